//! `relnode completions SHELL`: a completion script generated from the clap definition.

use crate::cli::Cli;
use crate::error::{ExitStatus, Result};

pub fn run(shell: clap_complete::Shell) -> Result<ExitStatus> {
    clap_complete::generate(
        shell,
        &mut Cli::definition(),
        "relnode",
        &mut std::io::stdout(),
    );
    Ok(ExitStatus::Ok)
}
