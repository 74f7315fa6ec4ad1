//! `relnode exec -- CMD`: set the variables and become the release (execvp: same PID, no
//! shell, arguments verbatim, stdio untouched), so the release is PID 1's direct successor and
//! gets the signals. With `--init`, start it as a child instead and stay as its init (`init`).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::Pod;
use crate::cli::ExecArgs;
use crate::envfile;
use crate::error::{Error, ExecError, ExitStatus, Result};
use crate::init;
use crate::inputs::{Lookup, ProcessEnv};

pub fn run(args: ExecArgs) -> Result<ExitStatus> {
    let env = ProcessEnv;
    // Checked first, so a bad switch writes nothing.
    let init = init::options(&Lookup {
        args: &args.pod,
        env: &env,
    })?;
    let (program, rest) = args
        .command
        .split_first()
        .expect("clap requires at least one CMD word");
    let pod = Pod::prepare(&args.pod, &env, Some(program))?;
    let output = pod.output();
    if let Some(path) = &args.output {
        envfile::write(path, None, &pod.target, &output)?;
    }
    let vars = output.resolved(&env);
    // One write: this line lands in every pod's log, often beside the release's own.
    let line = format!(
        "relnode: starting {} as node {}\n",
        program.to_string_lossy(),
        pod.node.name
    );
    std::io::stderr().write_all(line.as_bytes()).ok();
    // Into relnode's own environment, which the command inherits: `Command::envs` would first
    // copy the whole environment (13 % of exec's instructions, BENCHMARKS.md).
    for (name, value) in vars {
        // SAFETY: relnode is single-threaded here; nothing reads the environment concurrently.
        unsafe { std::env::set_var(name, value) };
    }
    // std searches PATH like execvp and restores SIGPIPE's default disposition for the child.
    let mut command = Command::new(program);
    command.args(rest);
    if let Some(init) = init {
        // relnode now runs as long as the release: the bump arena, which never frees, stops.
        crate::arena::seal();
        return Ok(ExitStatus::Child(init::supervise(command, init)?));
    }
    let source = command.exec();
    Err(Error::Exec(ExecError {
        program: program.clone(),
        source,
    }))
}
