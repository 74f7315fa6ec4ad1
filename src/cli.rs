//! The command line. The pod inputs come from one table (`inputs::INPUTS`) and are flattened
//! only into the commands that gather pod facts. Each subcommand's arguments are built only when
//! it runs (`defer`): building clap's argument table is most of relnode's start-up.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, Args, Parser, Subcommand, ValueEnum};

use crate::inputs::{Id, PodArgs, input};
use crate::target;

/// `0.1.0 (v0.1.0-3-gabc1234)` when built from a git checkout, else the crate version.
pub const VERSION: &str = match option_env!("RELNODE_GIT_DESCRIBE") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

const ABOUT: &str =
    "Gives an Erlang/Elixir release the exact node name libcluster will dial in Kubernetes";

const LONG_ABOUT: &str = "\
Gives an Erlang/Elixir release the exact node name libcluster will dial in Kubernetes.

Names, by libcluster strategy (--strategy) and mode (--mode):
  kubernetes ip (default)  myapp@10.42.1.49
  kubernetes dns           myapp@10-42-1-49.<ns>.pod.<cluster_name>.local
  kubernetes hostname      myapp@<hostname>.<service>.<ns>.svc.<cluster_name>.local
  dns (ip)                 myapp@10.42.1.49
  dnssrv hostname          myapp@<hostname>.<service>.<ns>.svc.<cluster domain>  (StatefulSet)
  dnssrv dns               myapp@10-42-1-49.<service>.<ns>.svc.<cluster domain>  (Deployment)
  dnscluster (ip)          myapp@10.42.1.49  (phoenixframework/dns_cluster)
  --platform fly           <app>-<image ref suffix>@<FLY_PRIVATE_IP>  (detected on Fly.io)

What reads the name (--target): elixir (RELEASE_*, default), vm-args (rebar3/relx: a
-name fragment for -args_file), rabbitmq (RABBITMQ_NODENAME), none; --node-var/--host-var
also export it under a server's own variable (EMQX_NODE__NAME, CouchDB's NODENAME).

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
#[command(mut_args(target_help))]
pub struct EnvArgs {
    /// sh: `export KEY='value'` lines for eval or `.`; json: one object; dotenv: KEY=value
    #[arg(long, value_enum, default_value_t = Format::Sh)]
    pub format: Format,
    #[command(flatten)]
    pub pod: PodArgs,
}

#[derive(Args, Debug)]
#[command(mut_args(target_help))]
pub struct RenderArgs {
    /// The file to write; parent directories are created. Never a link, device or FIFO
    #[arg(long, short, value_name = "PATH")]
    pub output: PathBuf,
    /// A Tera template to use instead of the built-in one (see the README)
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub pod: PodArgs,
}

#[derive(Args, Debug)]
#[command(mut_args(target_help))]
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
#[command(mut_args(target_help))]
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
    /// Also TCP-connect to epmd (4369) of every peer that resolves; nothing is sent
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
    /// libcluster strategy: kubernetes, dns or dnssrv
    #[arg(long, value_name = "STRATEGY", default_value = "kubernetes")]
    pub strategy: String,
    /// libcluster mode: ip, dns or hostname [default: ip; dnssrv: hostname]
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
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
    /// A dual-stack Service's primary family (its Endpoints carry only that one): ipv4 or ipv6
    #[arg(long, value_name = "FAMILY", default_value = "ipv4")]
    pub ip_family: String,
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
#[derive(Args, Debug, Default)]
pub struct AdviseArgs {
    /// May the pods run under a service account allowed to list Endpoints? yes or no
    #[arg(long, value_name = "yes|no")]
    pub service_account: Option<String>,
    /// The workload kind: deployment or statefulset
    #[arg(long, value_name = "KIND")]
    pub workload: Option<String>,
    /// The release name: the node basename, the pods' `app` label and the objects' name
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// The Kubernetes namespace
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// The headless Service [default: <app>-headless]
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// The pods' IP family: ipv4, ipv6 or dual
    #[arg(long, value_name = "FAMILY", default_value = "ipv4")]
    pub ip_family: String,
    /// The cluster's DNS domain
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    pub cluster_domain: String,
    /// Write advice.txt, libcluster.exs, env.sh.eex and kubernetes.yaml into this directory
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// text: the advice and every file, one after the other; json: one object
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
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

/// `--target`'s help names each target from their table (`inputs` cannot name `target`, which
/// reads the inputs); set on each command that flattens the pod inputs. `mut_args` keeps the
/// arguments' order, which completions follow.
fn target_help(arg: Arg) -> Arg {
    let input = input(Id::Target);
    if arg.get_id() != input.long {
        return arg;
    }
    arg.help(input.help_line_with(&format!("{}: {}", input.help, target::help())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::INPUTS;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
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
            let mut cmd = Cli::command();
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
}
