//! `relnode render --output FILE`: write the env file a release sources (the init-container
//! way).

use std::path::Path;
use std::process::ExitCode;

use super::Pod;
use crate::atomic;
use crate::cli::RenderArgs;
use crate::error::{Result, shown};
use crate::inputs::ProcessEnv;
use crate::output::Encoding;

pub fn run(args: RenderArgs) -> Result<ExitCode> {
    let pod = Pod::prepare(&args.pod, &ProcessEnv, None)?;
    write_env_file(&pod, &args.output, args.template.as_deref())?;
    eprintln!(
        "relnode: wrote {} for node {}",
        shown(&args.output),
        pod.node.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Checks the target, renders, writes atomically; shared with `exec --output`.
pub fn write_env_file(pod: &Pod, path: &Path, template: Option<&Path>) -> Result<()> {
    atomic::check_target(path, "--output", pod.facts.cookie_file())?;
    let encoding = Encoding::Sh {
        template: template.map(Path::to_path_buf),
    };
    let bytes = encoding.encode(&pod.elixir(), &ProcessEnv)?;
    atomic::write(path, &bytes, pod.file_mode(), "--output")
}
