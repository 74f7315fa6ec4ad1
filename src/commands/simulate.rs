//! `relnode simulate --from FILE|-`: the node names libcluster would dial, from kubectl's JSON.
//! Gathers no pod facts; the rules live in `simulate` and `libcluster`.

use crate::cli::{SimulateArgs, TextOrJson};
use crate::error::{ExitStatus, Result, bad_flag as bad, shown};
use crate::files;
use crate::libcluster::{Strategy, api};
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
    // An empty list is a valid answer: with --self it says "not dialled" (exit 1); without,
    // there is nothing to show, and the input is refused.
    let objects = match api::parse(&bytes) {
        Err(api::ParseError::Empty) if args.self_name.is_some() => {
            api::Objects::Endpoints(Vec::new())
        }
        parsed => parsed.map_err(|err| bad(&from(), None, input::problem(&err), FIX))?,
    };
    // The DNS strategies read what the cluster DNS serves from the slices, both families.
    let reader = match config.strategy {
        Strategy::Kubernetes => input::Reader::Endpoints(args.ip_family),
        _ => input::Reader::ClusterDns,
    };
    let entries = if objects.is_empty() && args.self_name.is_some() {
        Vec::new()
    } else {
        input::entries(&objects, reader).map_err(|problem| bad(&from(), None, problem, FIX))?
    };
    let notes = input::notes(&objects, reader, &entries);
    let kind = objects.kind();
    let mut rows = simulate::simulate(&config, kind, entries)?;
    if config.strategy == Strategy::DnsPoll {
        simulate::dnspoll::other_family(&mut rows, args.ip_family);
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
        simulate::to_json(&config, kind, &rows, &notes, own)
    } else {
        simulate::to_text(&config, kind, &rows, &notes, own)
    };
    super::print(text.as_bytes())?;
    // Like a failed check: the name asked about is not dialled.
    Ok(match own {
        Some((_, None)) => ExitStatus::No,
        _ => ExitStatus::Ok,
    })
}
