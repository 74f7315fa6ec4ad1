//! `relnode completions SHELL`: a completion script generated from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Result;

pub fn run(shell: clap_complete::Shell) -> Result<ExitCode> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "relnode",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
