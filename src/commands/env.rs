//! `relnode env`: print the variables, for `eval`, `.` or a file.

use super::Pod;
use crate::cli::{EnvArgs, Format};
use crate::error::{ExitStatus, Result};
use crate::inputs::ProcessEnv;
use crate::output::Encoding;

pub fn run(args: EnvArgs) -> Result<ExitStatus> {
    let env = ProcessEnv;
    let pod = Pod::prepare(&args.pod, &env, None)?;
    let encoding = match args.format {
        Format::Sh => Encoding::Sh { template: None },
        Format::Json => Encoding::Json,
        Format::Dotenv => Encoding::Dotenv,
    };
    let bytes = encoding.encode(&pod.output(), &env)?;
    super::print(&bytes)?;
    Ok(ExitStatus::Ok)
}
