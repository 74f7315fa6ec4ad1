//! relnode: gives an Erlang/Elixir release the node name libcluster will dial in Kubernetes.

#[cfg(feature = "tools")]
mod advise;
mod arena;
mod atomic;
#[cfg(feature = "check")]
mod check;
mod cli;
mod commands;
// Core since issue 16: the DNS-discovered platforms resolve with it; parts only `check` calls.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
mod dns;
mod envfile;
mod error;
mod facts;
mod files;
mod init;
mod inputs;
mod libcluster;
mod node;
mod output;
mod platform;
#[cfg(feature = "tools")]
mod simulate;
mod target;

use std::process::ExitCode;

use crate::cli::{Cli, CliCommand};

fn main() -> ExitCode {
    let outcome = match Cli::parse_args().command {
        CliCommand::Env(args) => commands::env::run(args),
        CliCommand::Render(args) => commands::render::run(args),
        CliCommand::Exec(args) => commands::exec::run(args),
        #[cfg(feature = "check")]
        CliCommand::Check(args) => commands::check::run(args),
        #[cfg(feature = "tools")]
        CliCommand::Simulate(args) => commands::simulate::run(args),
        #[cfg(feature = "tools")]
        CliCommand::Advise(args) => commands::advise::run(args),
        #[cfg(feature = "completions")]
        CliCommand::Completions { shell } => commands::completions::run(shell),
        #[cfg(feature = "man")]
        CliCommand::Man => commands::man::run(),
    };
    outcome
        .unwrap_or_else(|err| {
            eprintln!("relnode: error: {err}");
            err.exit_status()
        })
        .into()
}
