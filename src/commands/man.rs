//! `relnode man`: the man page (roff) generated from the clap definition.

use anyhow::Context as _;

use crate::cli::Cli;
use crate::error::{ExitStatus, Result};

pub fn run() -> Result<ExitStatus> {
    let mut cmd = Cli::definition();
    cmd.build();
    clap_mangen::Man::new(cmd)
        .render(&mut std::io::stdout())
        .context("cannot write the man page")?;
    Ok(ExitStatus::Ok)
}
