//! `relnode simulate --from FILE|-`: the node names libcluster would dial, from kubectl's JSON.
//! Gathers no pod facts; the rules live in `simulate` and `naming`.

use crate::cli::{SimulateArgs, TextOrJson};
use crate::error::{ExitStatus, Result, shown};
use crate::files;
use crate::simulate::{self, Config, Verdict, bad, input};

const FIX: &str = "give the file kubectl get endpoints|endpointslices|pods -l ... -o json wrote";

pub fn run(args: SimulateArgs) -> Result<ExitStatus> {
    let config = Config::from_args(&args)?;
    let json_out = args.format == TextOrJson::Json;
    let ipv6_primary = match args.ip_family.as_str() {
        "ipv4" => false,
        "ipv6" => true,
        other => {
            return Err(bad(
                "--ip-family",
                Some(other),
                "is not an IP family",
                "use ipv4 or ipv6",
            ));
        }
    };
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
    let (kind, entries) = input::parse(&bytes, ipv6_primary)
        .map_err(|err| bad(&format!("--from {}", shown(&args.from)), None, err.0, FIX))?;
    let rows = simulate::simulate(&config, kind, entries)?;
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
