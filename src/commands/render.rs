//! `relnode render --output FILE`: write the env file a release sources (the init-container
//! way).

use std::path::Path;

use super::Pod;
use crate::atomic;
use crate::cli::RenderArgs;
use crate::error::{ExitStatus, InputError, Result, shown};
use crate::inputs::ProcessEnv;
use crate::output::{Encoding, vm_args};

pub fn run(args: RenderArgs) -> Result<ExitStatus> {
    let pod = Pod::prepare(&args.pod, &ProcessEnv, None)?;
    // `exec` hands the cookie to the release as RELX_COOKIE; a fragment file cannot carry it.
    if pod.target.writes_fragment() && pod.node.cookie.is_some() {
        return Err(InputError {
            subject: "cookie file (--cookie-file, RELNODE_COOKIE_FILE) with target vm-args".into(),
            found: None,
            problem: "would be lost: render writes only the `-name` fragment, and relx reads -setcookie from vm.args itself".into(),
            fix: "keep -setcookie in vm.args (or ${RELX_COOKIE} in a vm.args.src with --node-var, which renders an env file), or use relnode exec, which exports RELX_COOKIE".into(),
        }
        .into());
    }
    write_env_file(&pod, &args.output, args.template.as_deref())?;
    eprintln!(
        "relnode: wrote {} for node {}",
        shown(&args.output),
        pod.node.name
    );
    Ok(ExitStatus::Ok)
}

/// Checks the target, renders, writes atomically; shared with `exec --output`. Target
/// vm-args writes the `-name` fragment for `-args_file` instead (it holds no secret).
pub fn write_env_file(pod: &Pod, path: &Path, template: Option<&Path>) -> Result<()> {
    atomic::check_target(path, "--output", pod.facts.cookie_file())?;
    if pod.target.writes_fragment() {
        if template.is_some() {
            return Err(InputError {
                subject: "template (--template) with target vm-args".into(),
                found: None,
                problem: "has nothing to render: target vm-args writes only the `-name` fragment for -args_file".into(),
                fix: "drop --template, or add --node-var NODE_NAME to render an env file for a vm.args.src".into(),
            }
            .into());
        }
        return atomic::write(path, &vm_args::fragment(&pod.node), 0o644, "--output");
    }
    let encoding = Encoding::Sh {
        template: template.map(Path::to_path_buf),
    };
    let bytes = encoding.encode(&pod.output(), &ProcessEnv)?;
    atomic::write(path, &bytes, pod.file_mode(), "--output")
}
