//! `relnode simulate --from FILE|-`: the node names libcluster would dial, from kubectl's JSON.
//! Gathers no pod facts; the rules live in `simulate` and `libcluster`.

use crate::cli::{SimulateArgs, TextOrJson};
use crate::error::{ExitStatus, Result, bad_flag as bad, shown};
use crate::files;
use crate::libcluster::Strategy;
use crate::libcluster::api;
use crate::libcluster::family::IpFamily;
use crate::simulate::{self, Config, Verdict, input};

const FIX: &str = "give the file kubectl get endpoints|endpointslices|pods -l ... -o json wrote";

pub fn run(args: SimulateArgs) -> Result<ExitStatus> {
    let config = Config {
        strategy: args.strategy,
        mode: args.mode.unwrap_or(args.strategy.default_mode()),
        basename: args.basename.clone(),
        cluster_name: args.cluster_name.clone(),
        cluster_domain: args.cluster_domain.clone(),
        service: args.service.clone(),
    }
    .validated()?;
    let json_out = args.format == TextOrJson::Json;
    let bytes = if args.from == "-" {
        input::read_stdin().map_err(|problem| bad("--from - (stdin)", None, problem, FIX))?
    } else {
        files::read_limited(args.from.as_ref(), input::MAX_INPUT).map_err(|err| {
            let problem = match err {
                files::ReadError::NotRegular(_) => {
                    format!("{err}; save kubectl's output to a file, or pipe it into --from -")
                }
                _ => err.to_string(),
            };
            bad(&format!("--from {}", shown(&args.from)), None, problem, FIX)
        })?
    };
    let from = || format!("--from {}", shown(&args.from));
    let objects =
        api::parse(&bytes).map_err(|err| bad(&from(), None, input::problem(&err), FIX))?;
    let entries = if config.strategy == Strategy::DnsPoll {
        served(&objects)
    } else {
        input::entries(&objects, args.ip_family)
    }
    .map_err(|problem| bad(&from(), None, problem, FIX))?;
    let kind = objects.kind();
    let mut rows = simulate::simulate(&config, kind, entries)?;
    if config.strategy == Strategy::DnsPoll {
        simulate::other_family(&mut rows, args.ip_family);
    }
    // A crash dials nobody, so nobody is found.
    let crashes = rows.iter().any(|r| r.verdict == Verdict::Crashes);
    let own = args.self_name.as_deref().map(|me| {
        let hit = rows
            .iter()
            .filter(|_| !crashes)
            .find(|r| r.verdict == Verdict::Dials && r.name.as_deref() == Some(me));
        (me, hit.map(|r| r.from.as_str()))
    });
    let text = if json_out {
        simulate::to_json(&config, kind, &rows, own)
    } else {
        simulate::to_text(&config, kind, &rows, own)
    };
    super::print(text.as_bytes())?;
    // Like a failed check: the name asked about is not dialled.
    Ok(match own {
        Some((_, None)) => ExitStatus::No,
        _ => ExitStatus::Ok,
    })
}

/// The endpoints CoreDNS serves for a headless Service: every ready one, of both families (the
/// Endpoints' primary-family rule is the API strategy's, not DNS's). Read once per family: an
/// entry listed in either reading is served.
fn served(objects: &api::Objects) -> std::result::Result<Vec<input::Entry>, String> {
    let v4 = input::entries(objects, IpFamily::V4)?;
    let v6 = input::entries(objects, IpFamily::V6)?;
    Ok(v4
        .into_iter()
        .zip(v6)
        .map(|(a, b)| match (&a.listed, &b.listed) {
            (input::Listed::No(_), input::Listed::Yes) => b,
            _ => a,
        })
        .collect())
}
