//! `relnode check`: the pod's facts as for `env`, then libcluster's own lookups from inside
//! the pod (see `crate::check`). Exit 0 when nothing failed, 1 when a check failed, 2 for bad
//! input.

use super::Pod;
use crate::check::{self, gather};
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::{ExitStatus, Result};
use crate::inputs::{Lookup, ProcessEnv};

pub fn run(args: CheckArgs) -> Result<ExitStatus> {
    let env = ProcessEnv;
    let pod = Pod::prepare(&args.pod, &env, None)?;
    let options = gather::CheckOptions {
        format: match args.format {
            CheckFormat::Text => gather::Format::Text,
            CheckFormat::Json => gather::Format::Json,
        },
        timeout: args.timeout,
        wait: args.wait,
        peers: args.peers,
    };
    let lookup = Lookup {
        args: &args.pod,
        env: &env,
    };
    let prepared = gather::prepare(&pod.facts, &pod.node.name, &lookup, &options)?;
    let report = check::run_with_wait(&prepared.input, prepared.wait, &mut |line| {
        eprintln!("relnode: check: {line}")
    });
    let text = match prepared.format {
        gather::Format::Text => check::text::render(&report),
        gather::Format::Json => check::json::render(&report),
    };
    super::print(text.as_bytes())?;
    Ok(if report.failed() {
        ExitStatus::No
    } else {
        ExitStatus::Ok
    })
}
