//! `relnode render --output FILE`: write the env file a release sources (the init-container
//! way).

use super::Pod;
use crate::cli::RenderArgs;
use crate::envfile;
use crate::error::{ExitStatus, InputError, Result, shown};
use crate::inputs::ProcessEnv;

pub fn run(args: RenderArgs) -> Result<ExitStatus> {
    let pod = Pod::prepare(&args.pod, &ProcessEnv, None)?;
    // `exec` hands the cookie to the release in a variable; a fragment file cannot carry it.
    if let (Some(fragment), Some(_)) = (pod.target.fragment(), &pod.node.cookie) {
        return Err(InputError::from(&fragment.cookie_lost).into());
    }
    envfile::write(
        &args.output,
        args.template.as_deref(),
        &pod.target,
        &pod.output(),
    )?;
    eprintln!(
        "relnode: wrote {} for node {}",
        shown(&args.output),
        pod.node.name
    );
    Ok(ExitStatus::Ok)
}
