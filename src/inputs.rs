//! The pod inputs: one table that makes the flags, their `--help` text (`[env: …]`, what is
//! used otherwise), the lookups and `--explain`'s names (like ripgrep's flag table).
//!
//! Every input is a flag, then its env vars in order (an empty one counts as unset), then what
//! `facts` finds in files, then a default. Env vars are read as bytes through [`Env`]: a value
//! relnode interprets must be UTF-8 (else bad input, naming the variable), a path stays bytes.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::error::{InputError, shown};
use crate::libcluster::family::{IP_FAMILY_VALUES, IpFamily};
use crate::libcluster::{MODE_VALUES, Mode, STRATEGY_VALUES, Strategy};

/// Names an input; the index into [`INPUTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Strategy,
    Mode,
    Basename,
    ClusterName,
    PodIp,
    PodIps,
    IpFamily,
    IpCidr,
    Namespace,
    ClusterDomain,
    Hostname,
    Service,
    CookieFile,
    ServiceAccountDir,
    ResolvConf,
    HostsFile,
    // Issue 10: what reads the name, dns_cluster and Fly.io.
    Target,
    NodeVar,
    HostVar,
    // Issue 17: a name the platform already set; AWS ECS.
    ReplaceNodeName,
    Query,
    DnsWait,
    Platform,
    FlyBasename,
    EcsBasename,
    // `check` only: libcluster's options for the API request it repeats.
    Selector,
    IpLookup,
    DistPort,
    DistTls,
    // `exec` only: relnode staying as PID 1.
    Init,
    ProcessGroup,
}

/// An input as the user sees it.
#[derive(Debug)]
pub struct Input {
    pub id: Id,
    /// In words, for messages and `--explain`: `pod IP`.
    pub what: &'static str,
    /// The long flag without dashes: `pod-ip`.
    pub long: &'static str,
    /// The env vars that mirror the flag, in lookup order.
    pub env: &'static [&'static str],
    pub value_name: &'static str,
    pub help: &'static str,
    /// What is used when neither the flag nor an env var is set, for `--help`.
    pub otherwise: Option<&'static str>,
    pub heading: &'static str,
    /// The one command this input belongs to; `None`: every command that names the pod.
    pub only: Option<&'static str>,
    /// An on/off switch: the flag takes no value, the env var is on or off (1/0, true/false,
    /// yes/no, on/off).
    pub switch: bool,
}

const NAMING: &str = "Naming";
const POD: &str = "Pod facts";
const FILES: &str = "Files read";
const OUTPUT: &str = "Output";
const PLATFORM: &str = "Platform";
const CHECK: &str = "libcluster (check)";
const INIT: &str = "PID 1";

pub const DEFAULT_SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
pub const DEFAULT_RESOLV_CONF: &str = "/etc/resolv.conf";
pub const DEFAULT_HOSTS_FILE: &str = "/etc/hosts";

/// Every pod input, in `--help` order. `INPUTS[id as usize].id == id` (checked by a test).
pub const INPUTS: &[Input] = &[
    Input {
        id: Id::Strategy,
        what: "strategy",
        long: "strategy",
        env: &["RELNODE_STRATEGY"],
        value_name: "STRATEGY",
        help: crate::libcluster::STRATEGY_HELP,
        otherwise: Some("kubernetes"),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Mode,
        what: "mode",
        long: "mode",
        env: &["RELNODE_MODE"],
        value_name: "MODE",
        help: crate::libcluster::MODE_HELP,
        otherwise: Some(
            "ip; dnssrv: hostname when /etc/hosts has the pod's FQDN line, else dns with a --service",
        ),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Basename,
        what: "basename",
        long: "basename",
        env: &["RELNODE_BASENAME", "RELEASE_NAME"],
        value_name: "NAME",
        help: "The part before '@' (kubernetes_node_basename / application_name / DNSPoll's node_basename)",
        otherwise: Some("exec: the name of a mix release script"),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::ClusterName,
        what: "cluster name",
        long: "cluster-name",
        env: &["RELNODE_CLUSTER_NAME"],
        value_name: "NAME",
        help: "libcluster's kubernetes_cluster_name, for kubernetes dns/hostname (the names end in <NAME>.local)",
        otherwise: Some("the cluster domain minus .local"),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::PodIp,
        what: "pod IP",
        long: "pod-ip",
        env: &["MY_POD_IP", "POD_IP"],
        value_name: "IP",
        help: "The pod's primary IP (status.podIP)",
        otherwise: None,
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::PodIps,
        what: "pod IPs",
        long: "pod-ips",
        env: &["MY_POD_IPS"],
        value_name: "IP,IP",
        help: "All pod IPs, comma-separated (status.podIPs)",
        otherwise: None,
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::IpFamily,
        what: "IP family",
        long: "ip-family",
        env: &["RELNODE_IP_FAMILY"],
        value_name: "FAMILY",
        help: "Pick the pod IP of this family on a dual-stack pod: ipv4 or ipv6 (off Kubernetes: of the local addresses the query lists)",
        otherwise: Some("the primary IP's; off Kubernetes ipv4 when both are listed"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::IpCidr,
        what: "IP range",
        long: "ip-cidr",
        env: &["RELNODE_IP_CIDR"],
        value_name: "CIDR",
        help: "Off Kubernetes: name the node after the one local address inside CIDR (e.g. the Swarm overlay's subnet), without a DNS lookup",
        otherwise: Some("the local address the query lists"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Namespace,
        what: "namespace",
        long: "namespace",
        env: &["MY_POD_NAMESPACE", "POD_NAMESPACE"],
        value_name: "NS",
        help: "The pod's namespace (metadata.namespace)",
        otherwise: Some("the service-account namespace file, then resolv.conf's <ns>.svc.<domain>"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::ClusterDomain,
        what: "cluster domain",
        long: "cluster-domain",
        env: &["CLUSTER_DOMAIN"],
        value_name: "DOMAIN",
        help: "The cluster's DNS domain",
        otherwise: Some("from resolv.conf, else cluster.local"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Hostname,
        what: "hostname",
        long: "hostname",
        env: &["RELNODE_HOSTNAME"],
        value_name: "HOST",
        help: "The pod's hostname (spec.hostname; a StatefulSet pod's name)",
        otherwise: Some("the kernel hostname's first label"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Service,
        what: "service",
        long: "service",
        env: &["RELNODE_SERVICE"],
        value_name: "SERVICE",
        help: "The headless Service (the pod's subdomain; libcluster's service / kubernetes_service_name)",
        otherwise: Some("from the hosts file's FQDN line"),
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::CookieFile,
        what: "cookie file",
        long: "cookie-file",
        env: &["RELNODE_COOKIE_FILE"],
        value_name: "FILE",
        help: "A file holding the Erlang cookie, e.g. a mounted Secret",
        otherwise: None,
        heading: POD,
        only: None,
        switch: false,
    },
    Input {
        id: Id::ServiceAccountDir,
        what: "service-account directory",
        long: "service-account-dir",
        env: &["RELNODE_SERVICE_ACCOUNT_DIR"],
        value_name: "DIR",
        help: "The directory holding the service-account `namespace` file (`check` also reads `token` and `ca.crt` there)",
        otherwise: Some(DEFAULT_SERVICE_ACCOUNT_DIR),
        heading: FILES,
        only: None,
        switch: false,
    },
    Input {
        id: Id::ResolvConf,
        what: "resolv.conf",
        long: "resolv-conf",
        env: &["RELNODE_RESOLV_CONF"],
        value_name: "FILE",
        help: "The resolver config whose search list gives the cluster domain",
        otherwise: Some(DEFAULT_RESOLV_CONF),
        heading: FILES,
        only: None,
        switch: false,
    },
    Input {
        id: Id::HostsFile,
        what: "hosts file",
        long: "hosts-file",
        env: &["RELNODE_HOSTS_FILE"],
        value_name: "FILE",
        help: "The hosts file whose FQDN line gives the Service",
        otherwise: Some(DEFAULT_HOSTS_FILE),
        heading: FILES,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Target,
        what: "target",
        long: "target",
        env: &["RELNODE_TARGET"],
        value_name: "TARGET",
        // `cli` adds each target's name and help, from `target::TARGETS`.
        help: "What reads the name",
        otherwise: Some("elixir"),
        heading: OUTPUT,
        only: None,
        switch: false,
    },
    Input {
        id: Id::NodeVar,
        what: "node variable",
        long: "node-var",
        env: &["RELNODE_NODE_VAR"],
        value_name: "VAR",
        help: "Also export the whole name (name@host) as VAR: EMQX_NODE__NAME, DOCKER_VERNEMQ_NODENAME, NODE_NAME for a vm.args.src `-name ${NODE_NAME}`",
        otherwise: None,
        heading: OUTPUT,
        only: None,
        switch: false,
    },
    Input {
        id: Id::HostVar,
        what: "host variable",
        long: "host-var",
        env: &["RELNODE_HOST_VAR"],
        value_name: "VAR",
        help: "Also export the host part (after '@') as VAR: CouchDB's NODENAME",
        otherwise: None,
        heading: OUTPUT,
        only: None,
        switch: false,
    },
    Input {
        id: Id::ReplaceNodeName,
        what: "replace node name",
        long: "replace-node-name",
        env: &["RELNODE_REPLACE_NODE_NAME"],
        value_name: "",
        help: "Let relnode's name replace one already set in the environment (RELEASE_NODE, the target's own name variable, --node-var) that differs from it",
        otherwise: Some("off: a different name already set is refused (exit 2)"),
        heading: OUTPUT,
        only: None,
        switch: true,
    },
    Input {
        id: Id::Query,
        what: "query",
        long: "query",
        env: &["RELNODE_QUERY", "DNS_CLUSTER_QUERY"],
        value_name: "NAME",
        help: "The name whose A/AAAA records list the nodes (dnscluster, dnspoll; dns off Kubernetes); off Kubernetes the node is named after the local address it lists; dnscluster exports it as DNS_CLUSTER_QUERY",
        otherwise: Some(
            "fly: <app>.internal; railway: RAILWAY_PRIVATE_DOMAIN; render: RENDER_DISCOVERY_SERVICE",
        ),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::DnsWait,
        what: "DNS wait",
        long: "dns-wait",
        env: &["RELNODE_DNS_WAIT"],
        value_name: "DURATION",
        help: "Off Kubernetes: how long to retry while the query's answer is empty or its resolver does not answer (500ms, 10s, 2m)",
        otherwise: Some("10s"),
        heading: NAMING,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Platform,
        what: "platform",
        long: "platform",
        env: &["RELNODE_PLATFORM"],
        value_name: "PLATFORM",
        // The values and the detection order come from the platform table, which reads the
        // inputs: cli.rs writes them into `--help` (`inputs` names no module above it).
        help: "Where the node runs",
        otherwise: None,
        heading: PLATFORM,
        only: None,
        switch: false,
    },
    Input {
        id: Id::FlyBasename,
        what: "Fly basename",
        long: "fly-basename",
        env: &["RELNODE_FLY_BASENAME"],
        value_name: "SCHEME",
        help: "On Fly.io: deploy (<app>-<image ref suffix>, Fly's guide: each deploy its own cluster) or app (<app>)",
        otherwise: Some("deploy"),
        heading: PLATFORM,
        only: None,
        switch: false,
    },
    Input {
        id: Id::EcsBasename,
        what: "ECS basename",
        long: "ecs-basename",
        env: &["RELNODE_ECS_BASENAME"],
        value_name: "SCHEME",
        help: "On AWS ECS: app (<basename>) or deploy (<basename>-<first 10 hex of sha1 of the image ID>, as Livebook names ECS nodes: each image its own cluster)",
        otherwise: Some("app"),
        heading: PLATFORM,
        only: None,
        switch: false,
    },
    Input {
        id: Id::Selector,
        what: "selector",
        long: "selector",
        env: &["RELNODE_SELECTOR"],
        value_name: "SELECTOR",
        help: "libcluster's kubernetes_selector, for the kubernetes strategy's API request",
        otherwise: None,
        heading: CHECK,
        only: Some("check"),
        switch: false,
    },
    Input {
        id: Id::IpLookup,
        what: "lookup",
        long: "lookup",
        env: &["RELNODE_LOOKUP"],
        value_name: "MODE",
        help: "libcluster's kubernetes_ip_lookup_mode: endpoints or pods",
        otherwise: Some("endpoints"),
        heading: CHECK,
        only: Some("check"),
        switch: false,
    },
    Input {
        id: Id::DistPort,
        what: "distribution port",
        long: "dist-port",
        env: &["RELNODE_DIST_PORT"],
        value_name: "PORT",
        help: "With --peers: handshake with this port directly, without epmd (nodes with their own EPMD module, e.g. Livebook's 13825)",
        otherwise: Some("the port each peer's epmd gives"),
        heading: CHECK,
        only: Some("check"),
        switch: false,
    },
    Input {
        id: Id::DistTls,
        what: "TLS distribution",
        long: "dist-tls",
        env: &["RELNODE_DIST_TLS"],
        value_name: "",
        help: "With --peers: the peers run distribution over TLS (inet_tls_dist), so nothing is sent to them",
        otherwise: Some("off"),
        heading: CHECK,
        only: Some("check"),
        switch: true,
    },
    Input {
        id: Id::Init,
        what: "init",
        long: "init",
        env: &["RELNODE_INIT"],
        value_name: "",
        help: "Stay as PID 1: run CMD as a child, forward signals to it, reap zombies (no tini needed)",
        otherwise: Some("off: exec CMD in place"),
        heading: INIT,
        only: Some("exec"),
        switch: true,
    },
    Input {
        id: Id::ProcessGroup,
        what: "process group",
        long: "process-group",
        env: &["RELNODE_INIT_PROCESS_GROUP"],
        value_name: "",
        help: "With --init: give CMD its own process group and signal the whole group",
        otherwise: Some("off"),
        heading: INIT,
        only: Some("exec"),
        switch: true,
    },
];

pub fn input(id: Id) -> &'static Input {
    let input = &INPUTS[id as usize];
    debug_assert_eq!(input.id, id, "INPUTS is in Id order");
    input
}

impl Input {
    /// `--pod-ip`
    pub fn flag(&self) -> String {
        format!("--{}", self.long)
    }

    /// `pod IP (--pod-ip, MY_POD_IP, POD_IP)`
    pub fn subject(&self) -> String {
        format!("{} ({})", self.what, self.places())
    }

    /// `--pod-ip, MY_POD_IP, POD_IP`
    pub fn places(&self) -> String {
        std::iter::once(self.flag())
            .chain(self.env.iter().map(|e| (*e).to_owned()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `--pod-ip or MY_POD_IP`
    pub fn set_hint(&self) -> String {
        format!("{} or {}", self.flag(), self.env[0])
    }

    /// The `--help` line: the text, the env vars, what is used otherwise. Never a value.
    pub fn help_line(&self) -> String {
        self.help_line_with(self.help)
    }

    /// The `--help` line with another text before the env vars.
    pub fn help_line_with(&self, help: &str) -> String {
        self.help_line_full(help, self.otherwise)
    }

    /// The `--help` line with another text and another "otherwise".
    pub fn help_line_full(&self, help: &str, otherwise: Option<&str>) -> String {
        let mut line = format!("{help} [env: {}]", self.env.join(", "));
        if let Some(otherwise) = otherwise {
            line.push_str(&format!(" [default: {otherwise}]"));
        }
        line
    }
}

/// `--help` text a row cannot own because it comes from a table above `inputs` (the targets',
/// the platforms': those modules read the inputs). `cli` hands it in before the command is
/// built, so `inputs` names no module above it and start-up builds no string twice.
static TABLE_HELP: OnceLock<fn(Id) -> Option<String>> = OnceLock::new();

pub fn set_table_help(help: fn(Id) -> Option<String>) {
    // Set once per process; a second call (tests) hands in the same function.
    let _ = TABLE_HELP.set(help);
}

fn help_of(input: &Input) -> String {
    TABLE_HELP
        .get()
        .and_then(|help| help(input.id))
        .unwrap_or_else(|| input.help_line())
}

/// Where a fact came from, for `--explain` and error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    File(PathBuf),
    Kernel,
    ReleaseScript(PathBuf),
    /// Worked out from other facts, in words: `the cluster domain minus .local`.
    Derived(&'static str),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(long) => write!(f, "--{long}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::File(path) => f.write_str(&shown(path)),
            Source::Kernel => f.write_str("the kernel hostname"),
            Source::ReleaseScript(path) => write!(f, "release script {}", shown(path)),
            Source::Derived(how) => f.write_str(how),
            Source::Default => f.write_str("default"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Self {
        Sourced { value, source }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced::new(f(self.value), self.source)
    }
}

impl Sourced<String> {
    /// `"10.0.0.1" (from env MY_POD_IP)`, escaped and cut.
    pub fn found(&self) -> String {
        format!("{} (from {})", shown(&self.value), self.source)
    }
}

/// The environment relnode reads, as bytes; a trait so tests can hand in a map.
pub trait Env {
    fn var_os(&self, name: &str) -> Option<OsString>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var_os(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

/// What the command line gave for each input, in table order, and `--explain`.
#[derive(Clone, Debug, Default)]
pub struct PodArgs {
    values: Vec<Option<OsString>>,
    pub explain: bool,
}

const EXPLAIN: &str = "explain";

impl PodArgs {
    #[cfg(test)]
    pub fn with(pairs: &[(Id, &str)]) -> PodArgs {
        let mut args = PodArgs {
            values: vec![None; INPUTS.len()],
            explain: false,
        };
        for (id, value) in pairs {
            args.values[*id as usize] = Some(OsString::from(value));
        }
        args
    }

    fn flag(&self, id: Id) -> Option<&OsStr> {
        self.values.get(id as usize)?.as_deref()
    }
}

impl FromArgMatches for PodArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(PodArgs {
            // An input of another command is not defined here: `try_`, and absent.
            values: INPUTS
                .iter()
                .map(|input| {
                    if input.switch {
                        // A switch that is on reads as "1", as its env var may.
                        let on = matches.try_get_one::<bool>(input.long).ok().flatten();
                        return on.copied().unwrap_or(false).then(|| OsString::from("1"));
                    }
                    matches
                        .try_get_one::<OsString>(input.long)
                        .ok()
                        .flatten()
                        .cloned()
                })
                .collect(),
            explain: matches.get_flag(EXPLAIN),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for PodArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd.arg(
            Arg::new(EXPLAIN)
                .long(EXPLAIN)
                .short('v')
                .visible_alias("verbose")
                .action(ArgAction::SetTrue)
                .help("Print each fact, its value and its source on stderr"),
        );
        let command = cmd.get_name().to_owned();
        let mine = INPUTS
            .iter()
            .filter(|input| input.only.is_none_or(|only| only == command));
        mine.fold(cmd, |cmd, input| {
            if input.switch {
                return cmd.arg(
                    Arg::new(input.long)
                        .long(input.long)
                        .action(ArgAction::SetTrue)
                        .help(help_of(input))
                        .help_heading(input.heading),
                );
            }
            cmd.arg(
                Arg::new(input.long)
                    .long(input.long)
                    .value_name(input.value_name)
                    .value_parser(clap::builder::OsStringValueParser::new())
                    .action(ArgAction::Set)
                    .help(help_of(input))
                    .help_heading(input.heading),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// Looks inputs up: the flag, else the first non-empty env var.
pub struct Lookup<'a> {
    pub args: &'a PodArgs,
    pub env: &'a dyn Env,
}

/// A value an input row parses into. The type knows its spellings, so what is wrong and what
/// to do are said once, beside the list that defines them; [`Lookup::value`] adds which input
/// it was and where the value came from.
pub trait InputValue: Sized {
    /// The value, or `(problem, fix)`: `"is not a strategy relnode knows"`, `"use one of …"`.
    fn parse_input(text: &str) -> Result<Self, (String, String)>;
}

/// A duration as the flags take it: `500ms`, `5s`, `2m`, `1h`, or plain seconds; more than 0,
/// at most a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub std::time::Duration);

impl InputValue for Wait {
    fn parse_input(text: &str) -> Result<Wait, (String, String)> {
        let text = text.trim();
        let (number, unit) = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .map_or((text, "s"), |at| text.split_at(at));
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => f64::NAN,
        };
        match number.parse::<f64>().map(|n| n * scale) {
            Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 => {
                Ok(Wait(std::time::Duration::from_secs_f64(secs)))
            }
            _ => Err((
                "is not a duration".into(),
                "give a positive number with a unit: 500ms, 5s, 2m (plain numbers are seconds)"
                    .into(),
            )),
        }
    }
}

impl InputValue for Strategy {
    fn parse_input(text: &str) -> Result<Strategy, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not a strategy relnode knows".into(),
                format!(
                    "use one of {STRATEGY_VALUES} (libcluster's Cluster.Strategy.Kubernetes, .Kubernetes.DNS, .Kubernetes.DNSSRV, .DNSPoll; phoenixframework/dns_cluster)"
                ),
            )
        })
    }
}

impl InputValue for Mode {
    fn parse_input(text: &str) -> Result<Mode, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not a libcluster mode".into(),
                format!("use one of {MODE_VALUES}"),
            )
        })
    }
}

impl InputValue for IpFamily {
    fn parse_input(text: &str) -> Result<IpFamily, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not an IP family".into(),
                format!("use {IP_FAMILY_VALUES}"),
            )
        })
    }
}

/// A TCP port, 1-65535.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port(pub u16);

impl InputValue for Port {
    fn parse_input(text: &str) -> Result<Port, (String, String)> {
        match text.parse::<u16>() {
            Ok(p) if p > 0 => Ok(Port(p)),
            _ => Err((
                "is not a TCP port".into(),
                "give a port from 1 to 65535 (e.g. 13825 for Livebook's distribution)".into(),
            )),
        }
    }
}

impl Lookup<'_> {
    /// The value as bytes (for paths).
    pub fn raw(&self, id: Id) -> Result<Option<Sourced<OsString>>, InputError> {
        let input = input(id);
        if let Some(value) = self.args.flag(id) {
            if value.is_empty() {
                return Err(InputError {
                    subject: input.subject(),
                    found: Some(format!("{} ''", input.flag())),
                    problem: "is empty".into(),
                    fix: format!(
                        "give {} a value, or leave it out to use {}",
                        input.flag(),
                        input.env[0]
                    ),
                });
            }
            return Ok(Some(Sourced::new(
                value.to_owned(),
                Source::Flag(input.long),
            )));
        }
        Ok(input.env.iter().find_map(|var| {
            self.env
                .var_os(var)
                .filter(|v| !v.is_empty())
                .map(|v| Sourced::new(v, Source::Env(var)))
        }))
    }

    /// The value as text: relnode interprets it, so bytes that are not UTF-8 are bad input
    /// (never skipped for the next env var, never taken as unset).
    pub fn text(&self, id: Id) -> Result<Option<Sourced<String>>, InputError> {
        let Some(raw) = self.raw(id)? else {
            return Ok(None);
        };
        match raw.value.into_string() {
            Ok(text) => Ok(Some(Sourced::new(text, raw.source))),
            Err(bytes) => Err(InputError {
                subject: input(id).subject(),
                found: Some(format!("{} (from {})", shown(&bytes), raw.source)),
                problem: "is not valid UTF-8".into(),
                fix: format!(
                    "set {} to plain text; check how the value is produced",
                    input(id).set_hint()
                ),
            }),
        }
    }

    /// The value parsed into its type; a value the type refuses is bad input naming this input.
    pub fn value<T: InputValue>(&self, id: Id) -> Result<Option<Sourced<T>>, InputError> {
        let Some(given) = self.text(id)? else {
            return Ok(None);
        };
        match T::parse_input(&given.value) {
            Ok(value) => Ok(Some(Sourced::new(value, given.source))),
            Err((problem, fix)) => Err(InputError {
                subject: input(id).subject(),
                found: Some(given.found()),
                problem,
                fix,
            }),
        }
    }

    /// An on/off switch: `None` when neither the flag nor the env var says.
    pub fn switch(&self, id: Id) -> Result<Option<Sourced<bool>>, InputError> {
        let Some(given) = self.text(id)? else {
            return Ok(None);
        };
        let on = match given.value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                let input = input(id);
                return Err(InputError {
                    subject: input.subject(),
                    found: Some(given.found()),
                    problem: "is not on or off".into(),
                    fix: format!(
                        "set {}=1 to turn it on, or 0 (or unset it) to turn it off",
                        input.env[0]
                    ),
                });
            }
        };
        Ok(Some(Sourced::new(on, given.source)))
    }

    /// A path: bytes, given or the default.
    pub fn path(&self, id: Id, default: &str) -> Result<Sourced<PathBuf>, InputError> {
        Ok(match self.raw(id)? {
            Some(given) => given.map(PathBuf::from),
            None => Sourced::new(PathBuf::from(default), Source::Default),
        })
    }

    /// An env var outside the table (PATH, ELIXIR_ERL_OPTIONS), as bytes.
    pub fn var_os(&self, name: &str) -> Option<OsString> {
        self.env.var_os(name)
    }

    /// An env var outside the table that relnode interprets (libcluster's own CLUSTER_DOMAIN,
    /// kubelet's KUBERNETES_SERVICE_HOST): text, empty counts as unset, not UTF-8 is bad input.
    #[cfg(feature = "check")]
    pub fn var_text(&self, name: &str) -> Result<Option<String>, InputError> {
        match self.env.var_os(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(value) => value.into_string().map(Some).map_err(|bytes| InputError {
                subject: name.to_owned(),
                found: Some(shown(&bytes)),
                problem: "is not valid UTF-8".into(),
                fix: format!("set {name} to plain text"),
            }),
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::ffi::OsStrExt;

    /// An environment made of pairs, values as bytes.
    pub struct MapEnv(pub HashMap<String, OsString>);

    impl Env for MapEnv {
        fn var_os(&self, name: &str) -> Option<OsString> {
            self.0.get(name).cloned()
        }
    }

    pub fn env(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
                .collect(),
        )
    }

    #[test]
    fn the_table_is_indexed_by_id() {
        for (index, input) in INPUTS.iter().enumerate() {
            assert_eq!(input.id as usize, index, "{input:?}");
            assert!(!input.env.is_empty(), "{} has no env var", input.long);
        }
    }

    #[test]
    fn empty_env_counts_as_unset_and_an_empty_flag_is_refused() {
        let e = env(&[("MY_POD_IP", ""), ("POD_IP", "10.0.0.5")]);
        let args = PodArgs::with(&[]);
        let lookup = Lookup {
            args: &args,
            env: &e,
        };
        let ip = lookup.text(Id::PodIp).expect("valid").expect("set");
        assert_eq!(
            (ip.value.as_str(), ip.source),
            ("10.0.0.5", Source::Env("POD_IP"))
        );
        let args = PodArgs::with(&[(Id::PodIp, "")]);
        let lookup = Lookup {
            args: &args,
            env: &e,
        };
        let err = lookup.text(Id::PodIp).unwrap_err();
        assert!(err.to_string().contains("--pod-ip"), "{err}");
    }

    /// A non-UTF-8 value is bad input naming its variable, not "unset" (which would silently
    /// fall through to the next variable).
    #[test]
    fn typed_values_refuse_in_one_shape_naming_the_input() {
        let args = PodArgs::with(&[(Id::Strategy, "gossip")]);
        let env = env(&[("RELNODE_MODE", ":hostname"), ("RELNODE_IP_FAMILY", "IPv6")]);
        let lookup = Lookup {
            args: &args,
            env: &env,
        };
        let err = lookup.value::<Strategy>(Id::Strategy).unwrap_err();
        assert_eq!(err.subject, input(Id::Strategy).subject());
        assert!(
            err.found.as_deref().is_some_and(|f| f.contains("gossip")),
            "{err}"
        );
        assert!(err.fix.contains("dnscluster"), "{err}");
        let mode = lookup.value::<Mode>(Id::Mode).unwrap().unwrap();
        assert_eq!(mode.value, Mode::Hostname);
        assert_eq!(mode.source, Source::Env("RELNODE_MODE"));
        let family = lookup.value::<IpFamily>(Id::IpFamily).unwrap().unwrap();
        assert_eq!(family.value, IpFamily::V6);
        assert!(lookup.value::<Wait>(Id::Service).unwrap().is_none());
    }

    #[test]
    fn durations_and_ports() {
        let secs = |t: &str| Wait::parse_input(t).map(|Wait(d)| d.as_secs_f64());
        assert_eq!(secs("10"), Ok(10.0));
        assert_eq!(secs("500ms"), Ok(0.5));
        assert_eq!(secs("2m"), Ok(120.0));
        for bad in ["0", "-1s", "10x", "", "s", "2d", "25h"] {
            assert!(Wait::parse_input(bad).is_err(), "{bad}");
        }
        assert_eq!(Port::parse_input("13825"), Ok(Port(13825)));
        for bad in ["0", "65536", "x", "-1"] {
            assert!(Port::parse_input(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_utf8_is_refused_not_skipped() {
        let mut e = env(&[("POD_IP", "10.0.0.5")]);
        e.0.insert(
            "MY_POD_IP".into(),
            OsStr::from_bytes(b"10.0.0.1\xff").to_owned(),
        );
        let args = PodArgs::with(&[]);
        let lookup = Lookup {
            args: &args,
            env: &e,
        };
        let err = lookup.text(Id::PodIp).unwrap_err().to_string();
        assert!(err.contains("MY_POD_IP") && err.contains("UTF-8"), "{err}");
        // A path may be any bytes.
        e.0.insert(
            "RELNODE_RESOLV_CONF".into(),
            OsStr::from_bytes(b"/tmp/r\xff").to_owned(),
        );
        let lookup = Lookup {
            args: &args,
            env: &e,
        };
        let path = lookup
            .path(Id::ResolvConf, DEFAULT_RESOLV_CONF)
            .expect("bytes");
        assert_eq!(path.value.as_os_str().as_bytes(), b"/tmp/r\xff");
    }
}
