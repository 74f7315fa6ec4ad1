//! relnode: gives an Erlang/Elixir release the node name libcluster will dial in Kubernetes.

mod address;
#[cfg(feature = "tools")]
mod advise;
mod arena;
mod atomic;
#[cfg(feature = "check")]
mod check;
mod cli;
mod commands;
mod error;
mod facts;
mod files;
mod fly;
mod init;
mod inputs;
mod kubelet;
mod naming;
mod node;
mod output;
#[cfg(feature = "tools")]
mod simulate;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, CliCommand};

/// relnode lives a millisecond and then execs: allocate from a static arena, never free.
#[global_allocator]
pub static ALLOCATOR: arena::Arena<{ arena::ARENA_SIZE }> = arena::Arena::new();

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
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
    outcome.unwrap_or_else(|err| {
        eprintln!("relnode: error: {err}");
        ExitCode::from(err.exit_code())
    })
}
