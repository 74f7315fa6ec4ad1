//! `relnode env`: print the variables, for `eval`, `.` or a file.

use super::Pod;
use crate::cli::EnvArgs;
use crate::error::{ExitStatus, Result};
use crate::inputs::ProcessEnv;
use crate::output;

pub fn run(args: EnvArgs) -> Result<ExitStatus> {
    let env = ProcessEnv;
    let pod = Pod::prepare(&args.pod, &env, None)?;
    let bytes = output::for_format(args.format).encode(&pod.output(), &env)?;
    super::print(&bytes)?;
    Ok(ExitStatus::Ok)
}
