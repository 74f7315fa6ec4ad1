//! The command line. The pod inputs come from one table (`inputs::INPUTS`) and are flattened
//! only into the commands that gather pod facts. Each subcommand's arguments are built only when
//! it runs (`defer`): building clap's argument table is most of relnode's start-up.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::inputs::{Id, PodArgs, input};
use crate::target;
#[cfg(feature = "tools")]
use crate::{
    advise::Family,
    libcluster::{Mode, Strategy, family::IpFamily},
};

/// `0.1.0 (v0.1.0-3-gabc1234)` when built from a git checkout, else the crate version.
pub const VERSION: &str = match option_env!("RELNODE_GIT_DESCRIBE") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

const ABOUT: &str =
    "Gives an Erlang/Elixir release the exact node name its peers will dial, and proves it";

const LONG_ABOUT: &str = "\
Gives an Erlang/Elixir release the exact node name its peers will dial (libcluster,
dns_cluster, Livebook) on Kubernetes, Docker Swarm/Compose, Nomad, Fly.io, Railway, Render and
AWS ECS, and proves it (relnode check).

Names, by libcluster strategy (--strategy) and mode (--mode):
  kubernetes ip (default)  myapp@10.42.1.49
  kubernetes dns           myapp@10-42-1-49.<ns>.pod.<cluster_name>.local
  kubernetes hostname      myapp@<hostname>.<service>.<ns>.svc.<cluster_name>.local
  dns (ip)                 myapp@10.42.1.49
  dnssrv hostname          myapp@<hostname>.<service>.<ns>.svc.<cluster domain>  (StatefulSet)
  dnssrv dns               myapp@10-42-1-49.<service>.<ns>.svc.<cluster domain>  (Deployment)
  dnscluster, dnspoll      myapp@<the address --query lists for this node>  (dns_cluster, DNSPoll)
  --platform fly           <app>-<image ref suffix>@<FLY_PRIVATE_IP>  (detected on Fly.io)
  --platform ecs           <basename>@<task IP>  (detected on AWS ECS/Fargate)

What reads the name (--target): elixir (RELEASE_*, default), vm-args (rebar3/relx: a
-name fragment for -args_file), rabbitmq (RABBITMQ_NODENAME), livebook (LIVEBOOK_NODE), none;
--node-var/--host-var also export it under a server's own variable (EMQX_NODE__NAME,
CouchDB's NODENAME).

Every input is a flag, then env vars (an empty one counts as unset), then files:
the service-account namespace file, /etc/resolv.conf (the cluster domain is X in the
search entry <ns>.svc.X), /etc/hosts (the Service of a StatefulSet pod), the kernel hostname.
Bad input exits 2 and writes nothing; what could not be done (I/O, a timeout) exits 3;
`exec` exits 127/126 when the command cannot run.";

/// `check --help`: a failure that could not run is no answer yet, not a wrong setup.
#[cfg(feature = "check")]
const CHECK_EXIT: &str = "\
Exit 0 when no check failed, 1 when a check failed, 3 when every failed check could not run
(a DNS timeout or a resolver that cannot answer, the API server unreachable), 2 for bad input.";

#[derive(Parser, Debug)]
#[command(name = "relnode", version = VERSION, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum CliCommand {
    /// Print the variables (RELEASE_DISTRIBUTION, RELEASE_NODE, ...) for eval or a file
    Env(EnvArgs),
    /// Write the env file a release sources (atomically; 0644, or 0600 with a cookie)
    Render(RenderArgs),
    /// Set the variables and exec the release: `relnode exec -- /app/bin/myapp start`
    Exec(ExecArgs),
    /// Run libcluster's own lookups from inside the pod and say whether peers will reach it
    #[cfg(feature = "check")]
    #[command(after_help = CHECK_EXIT)]
    Check(CheckArgs),
    /// Show the node names libcluster would dial, from kubectl's JSON (endpoints, endpointslices, pods)
    #[cfg(feature = "tools")]
    Simulate(SimulateArgs),
    /// Choose the libcluster strategy for a workload and print the setup that makes it work
    #[cfg(feature = "tools")]
    Advise(AdviseArgs),
    /// Print a shell completion script
    #[cfg(feature = "completions")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[cfg(feature = "man")]
    Man,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// sh: `export KEY='value'` lines for eval or `.`; json: one object; dotenv: KEY=value
    #[arg(long, value_enum, default_value_t = Format::Sh)]
    pub format: Format,
    #[command(flatten)]
    pub pod: PodArgs,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The file to write; parent directories are created. Never a link, device or FIFO
    #[arg(long, short, value_name = "PATH")]
    pub output: PathBuf,
    /// A Tera template to use instead of the built-in one (docs/reference.md, "Template variables")
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub pod: PodArgs,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Also write the env file here, for `bin/myapp remote` and `rpc` run later
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub pod: PodArgs,
    /// The command and its arguments, passed verbatim (no shell)
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[cfg(feature = "check")]
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// text: one line per check and a summary; json: one document
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Bounds each DNS lookup and API request (500ms, 5s, 1m)
    #[arg(long, value_name = "DUR", default_value = "5s")]
    pub timeout: String,
    /// Retry failed checks with capped exponential backoff until they pass or DUR runs out
    #[arg(long, value_name = "DUR")]
    pub wait: Option<String>,
    /// Also ask every peer for its real node name: its epmd (4369), then Erlang's handshake up
    /// to the peer's challenge, which names it (no cookie sent, nothing after it)
    #[arg(long)]
    pub peers: bool,
    #[command(flatten)]
    pub pod: PodArgs,
}

#[cfg(feature = "check")]
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[cfg(feature = "tools")]
// `relnode simulate`'s flags. No pod inputs: everything comes from the document.
/// Show the node names libcluster 3.5.0 would dial, from `kubectl get endpoints|endpointslices|pods
/// -o json`, and flag every entry that will not work
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// kubectl's -o json output for endpoints, endpointslices or pods; `-` reads stdin
    #[arg(long, value_name = "FILE|-")]
    pub from: String,
    #[arg(long, value_name = "STRATEGY", default_value = "kubernetes", help = tools::SIMULATE_STRATEGY_HELP,
        value_parser = tools::parsed::<Strategy>(tools::STRATEGY_PROBLEM, tools::STRATEGY_FIX))]
    pub strategy: Strategy,
    #[arg(long, value_name = "MODE", help = tools::SIMULATE_MODE_HELP,
        value_parser = tools::parsed::<Mode>("is not a mode", tools::MODE_FIX))]
    pub mode: Option<Mode>,
    /// The part before '@' (kubernetes_node_basename / application_name)
    #[arg(long, value_name = "NAME")]
    pub basename: String,
    /// libcluster's kubernetes_cluster_name (names end in <NAME>.local)
    #[arg(long, value_name = "NAME", default_value = "cluster")]
    pub cluster_name: String,
    /// The cluster's DNS domain, for dnssrv (SRV targets end in it)
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    pub cluster_domain: String,
    /// kubernetes_service_name for mode hostname [default: each Endpoints' own Service]
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    #[arg(long, value_name = "FAMILY", default_value = "ipv4", help = tools::SIMULATE_FAMILY_HELP,
        value_parser = tools::parsed::<IpFamily>(tools::FAMILY_PROBLEM, tools::FAMILY_FIX))]
    pub ip_family: IpFamily,
    /// Say whether this node name is among the dialled ones (exit 1 when it is not)
    #[arg(long = "self", value_name = "NAME")]
    pub self_name: Option<String>,
    /// text: one line per entry; json: one object
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[cfg(feature = "tools")]
// `relnode advise`'s flags. Missing answers are asked for on a terminal, refused in a script.
/// Choose the libcluster strategy for a workload (the seed article's decision tree) and print the
/// setup that makes it work: libcluster config, rel/env.sh.eex, relnode invocation, Kubernetes YAML
#[derive(Args, Debug)]
pub struct AdviseArgs {
    /// Where the nodes run [default: kubernetes; asked on a terminal]: kubernetes (the decision
    /// tree below); ecs (AWS ECS/Fargate: awsvpc, Cloud Map, the security group rules, a task
    /// definition fragment); fly, swarm, compose, railway, render or nomad (one DNS name lists
    /// the nodes: DNSPoll or dns_cluster and why, the topology, env.sh.eex, the ENTRYPOINT)
    #[arg(long, value_enum, value_name = "PLATFORM")]
    pub platform: Option<AdvisePlatform>,
    /// With --platform ecs: the Cloud Map private DNS namespace (the query is <app>.<namespace>)
    #[arg(long, value_name = "NAMESPACE", default_value = "ecs.internal")]
    pub cloud_map_namespace: String,
    /// May the pods run under a service account allowed to list Endpoints? yes or no
    #[arg(long, value_name = "yes|no")]
    pub service_account: Option<String>,
    /// The workload kind: deployment or statefulset
    #[arg(long, value_name = "KIND")]
    pub workload: Option<String>,
    /// The release name: the node basename, the pods' `app` label and the objects' name (a
    /// StatefulSet's at most 52 characters)
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// The Kubernetes namespace
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// The headless Service [default: <app>-headless]; with --platform swarm, compose or nomad
    /// the service whose DNS name lists the nodes [default: <app>]
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    #[arg(long, value_name = "FAMILY", default_value = "ipv4", help = tools::ADVISE_FAMILY_HELP,
        value_parser = tools::parsed::<Family>(tools::FAMILY_PROBLEM, tools::ADVISE_FAMILY_FIX))]
    pub ip_family: Family,
    /// The cluster's DNS domain
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    pub cluster_domain: String,
    /// Write the advice and its files into this directory, and print only the decision and the
    /// list of files
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// text: the advice and every file, one after the other; json: one object
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `advise --platform`.
#[cfg(feature = "tools")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AdvisePlatform {
    Kubernetes,
    Fly,
    Ecs,
    Swarm,
    Compose,
    Railway,
    Render,
    Nomad,
}

/// The value lists `simulate` and `advise` take, and clap's parser for them: their help
/// and messages are built from `libcluster`'s lists.
#[cfg(feature = "tools")]
pub mod tools {
    use std::ffi::OsStr;
    use std::marker::PhantomData;
    use std::str::FromStr;

    use clap::builder::TypedValueParser;
    use clap::error::ErrorKind;
    use clap::{Arg, Command};

    use crate::error::{InputError, shown};
    use crate::libcluster::family::{IP_FAMILIES, IP_FAMILY_VALUES};
    use crate::libcluster::text::{Text, text};
    use crate::libcluster::{LIBCLUSTER_STRATEGIES, MODES, STRATEGIES};

    pub const SIMULATE_STRATEGY_HELP: &str = text!(
        Text::new()
            .add("libcluster strategy: ")
            .names(LIBCLUSTER_STRATEGIES, ", ")
            .add(" or dnspoll")
    );
    pub const SIMULATE_MODE_HELP: &str = text!(
        Text::new()
            .add("libcluster mode: ")
            .names(MODES, " or ")
            .add(" [default: ip; dnssrv: hostname]")
    );
    pub const SIMULATE_FAMILY_HELP: &str = text!(
        Text::new()
            .add("A dual-stack Service's primary family (its Endpoints carry only that one): ")
            .add(IP_FAMILY_VALUES)
    );
    pub const ADVISE_FAMILY_HELP: &str = text!(
        Text::new()
            .add("The pods' IP family: ")
            .names(IP_FAMILIES, ", ")
            .add(" or dual")
    );
    pub const STRATEGY_PROBLEM: &str = "is not a libcluster strategy relnode knows";
    pub const STRATEGY_FIX: &str = text!(Text::new().add("use one of ").names(STRATEGIES, ", "));
    pub const MODE_FIX: &str = text!(Text::new().add("use one of ").names(MODES, ", "));
    pub const FAMILY_PROBLEM: &str = "is not an IP family";
    pub const FAMILY_FIX: &str = text!(Text::new().add("use ").add(IP_FAMILY_VALUES));
    pub const ADVISE_FAMILY_FIX: &str = text!(
        Text::new()
            .add("use ")
            .names(IP_FAMILIES, ", ")
            .add(" or dual")
    );

    /// A flag's value parsed by its type's `FromStr`; a bad one is refused as relnode refuses
    /// bad input (the flag, the value, what is wrong, what to do), with clap's exit status 2.
    #[derive(Clone)]
    pub struct Parsed<T> {
        problem: &'static str,
        fix: &'static str,
        value: PhantomData<fn() -> T>,
    }

    pub const fn parsed<T>(problem: &'static str, fix: &'static str) -> Parsed<T> {
        Parsed {
            problem,
            fix,
            value: PhantomData,
        }
    }

    impl<T: FromStr + Clone + Send + Sync + 'static> TypedValueParser for Parsed<T> {
        type Value = T;

        fn parse_ref(
            &self,
            cmd: &Command,
            arg: Option<&Arg>,
            value: &OsStr,
        ) -> Result<T, clap::Error> {
            if let Some(parsed) = value.to_str().and_then(|text| text.parse().ok()) {
                return Ok(parsed);
            }
            let refusal = InputError {
                subject: arg
                    .and_then(Arg::get_long)
                    .map_or_else(String::new, |long| format!("--{long}")),
                found: Some(shown(value)),
                problem: self.problem.to_owned(),
                fix: self.fix.to_owned(),
            };
            Err(clap::Error::raw(ErrorKind::InvalidValue, format!("{refusal}\n")).with_cmd(cmd))
        }
    }
}

/// `simulate` and `advise`: a report for people, or one JSON object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Sh,
    Json,
    Dotenv,
}

/// `--target`'s and `--platform`'s help come from the target and platform tables (`inputs`
/// cannot name those modules, which read the inputs).
fn table_help(id: Id) -> Option<String> {
    let input = input(id);
    match id {
        Id::Target => Some(input.help_line_with(&format!("{}: {}", input.help, target::help()))),
        Id::Platform => {
            Some(input.help_line_full(crate::platform::HELP, Some(crate::platform::DETECTION)))
        }
        _ => None,
    }
}

impl Cli {
    /// The command line, parsed. The flags' help text is built only when this run may show it.
    pub fn parse_args() -> Cli {
        if shows_help(std::env::args_os().skip(1)) {
            crate::inputs::set_table_help(table_help);
        }
        <Cli as Parser>::parse()
    }

    /// The clap command (completions, man), with every flag's help in place.
    pub fn definition() -> clap::Command {
        crate::inputs::set_table_help(table_help);
        <Cli as clap::CommandFactory>::command()
    }
}

/// Whether clap may print the flags' help: `-h` (also in a cluster like `-vh`), `--help`, the
/// `help` subcommand, `completions` and `man`, or no arguments at all. Words after `--` are the
/// release's. A false positive only costs the time to build the help.
fn shows_help(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let mut any = false;
    for arg in args {
        let arg = arg.as_encoded_bytes();
        if arg == b"--" {
            break;
        }
        any = true;
        let short_h = arg.len() > 1 && arg[0] == b'-' && arg[1] != b'-' && arg.contains(&b'h');
        if short_h || matches!(arg, b"--help" | b"help" | b"completions" | b"man") {
            return true;
        }
    }
    !any
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::INPUTS;

    #[test]
    fn help_is_built_when_it_may_be_shown() {
        let shows = |args: &[&str]| shows_help(args.iter().map(std::ffi::OsString::from));
        for yes in [
            &["env", "--help"][..],
            &["env", "-h"],
            &["env", "-vh"],
            &["help", "env"],
            &["completions", "bash"],
            &["man"],
            &[],
        ] {
            assert!(shows(yes), "{yes:?}");
        }
        for no in [
            &["exec", "--", "/app/bin/myapp", "--help"][..],
            &["env", "--basename", "myapp", "-v"],
            &["render", "--output", "/run/relnode/env.sh"],
        ] {
            assert!(!shows(no), "{no:?}");
        }
    }

    #[test]
    fn definition_is_consistent() {
        Cli::definition().debug_assert();
    }

    /// Each fact-gathering command's `--help` names every input's env vars, from the table.
    #[test]
    fn help_names_every_env_var_the_lookups_read() {
        let subs: &[&str] = if cfg!(feature = "check") {
            &["env", "render", "exec", "check"]
        } else {
            &["env", "render", "exec"]
        };
        for sub in subs {
            let mut cmd = Cli::definition();
            cmd.build();
            let help = cmd
                .find_subcommand_mut(sub)
                .expect("subcommand")
                .render_long_help()
                .to_string();
            for input in INPUTS {
                let flag = input.flag();
                if input.only.is_some_and(|only| only != *sub) {
                    // Another command's input is not offered here at all.
                    assert!(!help.contains(&format!("{flag} ")), "{sub} offers {flag}");
                    continue;
                }
                let line = help
                    .lines()
                    .skip_while(|l| !l.trim_start().starts_with(&flag))
                    .take(3)
                    .collect::<String>();
                let expected = format!("[env: {}]", input.env.join(", "));
                assert!(
                    line.contains(&expected),
                    "{sub} {flag} help lacks {expected}: {line}"
                );
            }
            let targets = target::help();
            assert!(
                help.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(&targets),
                "{sub} --target help lacks {targets}"
            );
        }
    }

    /// simulate's and advise's value flags parse into libcluster's types; a bad value is
    /// refused as relnode refuses bad input, naming the flag, the value and the values there are.
    #[cfg(feature = "tools")]
    #[test]
    fn value_flags_parse_into_types() {
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        let simulate = ["relnode", "simulate", "--from", "-", "--basename", "app"];
        let with = |more: &[&'static str]| [&simulate[..], more].concat();
        match parse(&with(&[
            "--strategy",
            "Cluster.Strategy.Kubernetes.DNS",
            "--mode",
            ":ip",
            "--ip-family",
            "6",
        ]))
        .map(|cli| cli.command)
        {
            Ok(CliCommand::Simulate(args)) => {
                assert_eq!(args.strategy, Strategy::Dns);
                assert_eq!(args.mode, Some(Mode::Ip));
                assert_eq!(args.ip_family, IpFamily::V6);
            }
            other => panic!("{other:?}"),
        }
        let err = parse(&with(&["--strategy", "epmd\n"])).expect_err("refused");
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "error: --strategy: \"epmd\\n\" is not a libcluster strategy relnode knows\n  fix: use one of kubernetes, dns, dnssrv, dnscluster, dnspoll\n"
        );
        let err = parse(&["relnode", "advise", "--ip-family", "v6"]).expect_err("refused");
        assert!(err.to_string().contains("use ipv4, ipv6 or dual"), "{err}");
    }
}
