//! The pod inputs: one table that makes the flags, their `--help` text (`[env: …]`, what is
//! used otherwise), the lookups and `--explain`'s names (like ripgrep's flag table).
//!
//! Every input is a flag, then its env vars in order (an empty one counts as unset), then what
//! `facts` finds in files, then a default. Env vars are read as bytes through [`Env`]: a value
//! relnode interprets must be UTF-8 (else bad input, naming the variable), a path stays bytes.

mod args;
mod lookup;
mod values;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

pub use args::{PodArgs, set_table_help};
pub use lookup::Lookup;
#[cfg(feature = "check")]
pub use values::Port;
pub use values::{InputValue, Wait};

use crate::error::shown;

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

#[cfg(test)]
pub mod tests {
    use super::values::Port;
    use super::*;
    use crate::libcluster::family::IpFamily;
    use crate::libcluster::{Mode, Strategy};
    use std::collections::HashMap;
    use std::ffi::OsStr;
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
