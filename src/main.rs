//! relnode: gives an Erlang/Elixir release the node name libcluster will dial in Kubernetes.

mod arena;
mod cli;
mod error;
mod exec;
mod facts;
mod init;
mod naming;
mod options;
mod render;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::error::{EXIT_BAD_INPUT, ExecError, InputError};
use crate::facts::ProcessEnv;
use crate::options::{Command, Format, Options};
use crate::render::{ERL_OPTIONS_VAR, Release};

/// relnode lives a millisecond and then execs: allocate from a static arena, never free.
#[global_allocator]
static ALLOCATOR: arena::Arena<{ arena::ARENA_SIZE }> = arena::Arena::new();

fn main() -> ExitCode {
    let outcome = match cli::parse() {
        cli::Parsed::Run(options) => run(*options),
        cli::Parsed::Completions(shell) => {
            cli::print_completions(shell);
            Ok(0)
        }
        cli::Parsed::Man => cli::print_man()
            .map(|()| 0)
            .context("cannot write the man page"),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("relnode: error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<InputError>().is_some() {
        EXIT_BAD_INPUT
    } else if let Some(exec) = err.downcast_ref::<ExecError>() {
        exec.exit_code()
    } else if let Some(init) = err.downcast_ref::<init::InitError>() {
        init.exit_code()
    } else {
        1
    }
}

/// The exit status: 0, or for `exec --init` the command's own.
fn run(options: Options) -> anyhow::Result<u8> {
    // Checked first, so bad input writes nothing.
    let init = match &options.command {
        Command::Exec {
            init,
            process_group,
            ..
        } => init::options(*init, *process_group, &ProcessEnv)?,
        _ => None,
    };
    let facts = facts::gather(&options.inputs, &ProcessEnv)?;
    if options.explain {
        for (what, value, source) in facts.explain() {
            eprintln!("relnode: {what:<15} {value:<40} from {source}");
        }
    }
    let node = facts.node_name()?;
    // After the name is known to be good: a failure's one message stays one message.
    for warning in &facts.warnings {
        eprintln!("relnode: warning: {warning}");
    }
    if options.explain {
        eprintln!(
            "relnode: {:<15} {node:<40} dialled by {}",
            "node name", facts.shape
        );
    }
    let release = Release::new(&facts, node);
    // Cookies are for the owner's eyes only.
    let file_mode = if release.cookie.is_some() {
        0o600
    } else {
        0o644
    };
    // The variables as set in this process: merged with its own ELIXIR_ERL_OPTIONS.
    let own_vars = || release.vars(std::env::var(ERL_OPTIONS_VAR).ok().as_deref());

    match options.command {
        Command::Env { format } => {
            let text = match format {
                Format::Sh => render::render(&facts, &release, None)?,
                Format::Json => render::json(&own_vars()),
                Format::Dotenv => render::dotenv(&own_vars())?,
            };
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")?;
        }
        Command::Render { output, template } => {
            let text = render::render(&facts, &release, template.as_deref())?;
            write_output(&output, &text, file_mode)?;
            eprintln!(
                "relnode: wrote {} for node {}",
                output.display(),
                release.node
            );
        }
        Command::Exec { output, argv, .. } => {
            if let Some(output) = output {
                let text = render::render(&facts, &release, None)?;
                write_output(&output, &text, file_mode)?;
            }
            // One write: this line lands in every pod's log, often beside the release's own.
            let line = format!(
                "relnode: starting {} as node {}\n",
                argv[0].to_string_lossy(),
                release.node
            );
            std::io::stderr().write_all(line.as_bytes()).ok();
            if let Some(init) = init {
                let command = exec::command(&argv, &own_vars())?;
                return Ok(init::supervise(command, init)?);
            }
            return Err(exec::exec(&argv, &own_vars()).into());
        }
    }
    Ok(0)
}

/// Writes the env file; a failure says what to do, as input errors do.
fn write_output(path: &std::path::Path, text: &str, mode: u32) -> anyhow::Result<()> {
    render::write_atomic(path, text.as_bytes(), mode).map_err(|err| {
        anyhow::anyhow!(
            "--output {}: {err:#}\n  fix: the directory must be writable by this user; mount a volume there (an emptyDir in Kubernetes) or choose another --output",
            path.display()
        )
    })
}
