//! `relnode check`: the pod's facts as for `env`, then libcluster's own lookups from inside
//! the pod (see `crate::check`). Exit 0 when nothing failed, 1 when a check failed, 3 when
//! every failed check could not run (a timeout, the resolver or API server unreachable), 2 for
//! bad input.

use std::time::Duration;

use super::Pod;
use crate::check::gather::{self, CheckOptions};
use crate::check::{self, Check, Status, Verdict};
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::{ExitStatus, InputError, Result, shown};
use crate::inputs::{InputValue, Lookup, ProcessEnv, Source, Wait};

pub fn run(args: CheckArgs) -> Result<ExitStatus> {
    let env = ProcessEnv;
    let pod = Pod::prepare(&args.pod, &env, None)?;
    let options = options(&args)?;
    let lookup = Lookup {
        args: &args.pod,
        env: &env,
    };
    let input = gather::prepare(&pod.facts, &pod.node.name, &lookup, &options)?;
    let mut report = check::run_with_wait(&input, options.wait, &mut |line| {
        eprintln!("relnode: check: {line}")
    });
    if let Some(read) = ecs_metadata(&pod, &lookup) {
        report.checks.insert(0, read);
    }
    let text = match args.format {
        CheckFormat::Text => check::text::render(&report),
        CheckFormat::Json => check::json::render(&report),
    };
    super::print(text.as_bytes())?;
    Ok(match report.verdict() {
        Verdict::Pass => ExitStatus::Ok,
        Verdict::No => ExitStatus::No,
        Verdict::CouldNotRun => ExitStatus::CouldNotRun,
    })
}

/// On ECS the name's address came from the task metadata endpoint (read by `Pod::prepare`,
/// whose failure is exit 3 before any check): say what it gave, before the strategy's lookups.
fn ecs_metadata(pod: &Pod, lookup: &Lookup) -> Option<Check> {
    if pod.facts.platform.value != crate::platform::ecs::ENTRY.name {
        return None;
    }
    let uri = lookup
        .var_os(crate::platform::ecs::METADATA_URI)
        .map(|u| shown(&u))
        .unwrap_or_default();
    let asked = format!("GET {uri} (ECS task metadata, the container document)");
    let ip = pod.facts.ip.as_ref()?;
    Some(match &ip.source {
        Source::Derived(how) => Check::new(
            "ecs-metadata",
            Status::Ok,
            asked,
            format!("task address {} ({how})", ip.value),
        ),
        given => Check::new(
            "ecs-metadata",
            Status::Skip,
            asked,
            format!("not read: the address {} is given ({given})", ip.value),
        ),
    })
}

/// check's own flags, parsed.
fn options(args: &CheckArgs) -> Result<CheckOptions, InputError> {
    Ok(CheckOptions {
        timeout: parse_duration("--timeout", &args.timeout)?,
        wait: match &args.wait {
            Some(w) => Some(parse_duration("--wait", w)?),
            None => None,
        },
        peers: args.peers,
    })
}

/// `5s`, `500ms`, `2m`, or plain seconds; at most a day.
fn parse_duration(flag: &str, text: &str) -> Result<Duration, InputError> {
    Wait::parse_input(text)
        .map(|Wait(duration)| duration)
        .map_err(|(problem, fix)| InputError {
            subject: flag.into(),
            found: Some(shown(text)),
            problem,
            fix,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("--t", "500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("--t", "2").unwrap(), Duration::from_secs(2));
        assert_eq!(
            parse_duration("--t", "1.5s").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("--t", "2m").unwrap(),
            Duration::from_secs(120)
        );
        for bad in ["", "0", "-1s", "5x", "s", "2d", "1e9"] {
            assert!(parse_duration("--t", bad).is_err(), "{bad:?}");
        }
    }
}
