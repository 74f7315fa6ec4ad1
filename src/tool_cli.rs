//! The commands that gather no pod facts (`simulate`, `advise`), parsed on their own so that
//! they accept none of the global pod inputs. Until the foundation's `src/commands/` lands,
//! `main` asks this module first.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "relnode", version = crate::cli::VERSION)]
struct ToolCli {
    #[command(subcommand)]
    command: ToolCommand,
}

#[derive(Subcommand, Debug)]
enum ToolCommand {
    /// Show the node names libcluster would dial, from kubectl's JSON (endpoints, endpointslices, pods)
    Simulate(crate::simulate::Args),
    /// Choose the libcluster strategy for a workload and print the setup that makes it work
    Advise(crate::advise::Args),
}

/// `Some` when argv names one of these commands.
pub fn dispatch() -> Option<anyhow::Result<ExitCode>> {
    let first = std::env::args_os().nth(1)?;
    if first != "simulate" && first != "advise" {
        return None;
    }
    Some(match ToolCli::parse().command {
        ToolCommand::Simulate(args) => crate::simulate::run(args),
        ToolCommand::Advise(args) => crate::advise::run(args),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn definition_is_consistent() {
        use clap::CommandFactory as _;
        super::ToolCli::command().debug_assert();
    }
}
