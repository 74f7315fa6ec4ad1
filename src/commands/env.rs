//! `relnode env`: print the variables, for `eval`, `.` or a file.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Pod;
use crate::cli::{EnvArgs, Format};
use crate::error::Result;
use crate::inputs::ProcessEnv;
use crate::output::Encoding;

pub fn run(args: EnvArgs) -> Result<ExitCode> {
    let env = ProcessEnv;
    let pod = Pod::prepare(&args.pod, &env, None)?;
    let encoding = match args.format {
        Format::Sh => Encoding::Sh { template: None },
        Format::Json => Encoding::Json,
        Format::Dotenv => Encoding::Dotenv,
    };
    let bytes = encoding.encode(&pod.elixir(), &env)?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&bytes)
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
