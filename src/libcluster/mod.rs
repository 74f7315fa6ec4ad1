//! libcluster 3.5.0 and phoenixframework/dns_cluster, as relnode models them: the strategies,
//! modes and shapes with the value lists flags take (their `--help` text is built from the
//! lists), every name formula once ([`names`]), Erlang's rules for a node name ([`erlang`]), the
//! IP family ([`family`]), and the API objects libcluster reads ([`api`]).
//!
//! Pure: no I/O, no environment. Everything takes plain values so the rules can be checked
//! against libcluster's own examples in unit tests.

#[cfg(any(feature = "tools", feature = "check"))]
pub mod api;
pub mod erlang;
// Only simulate and advise use it until facts.rs moves to it (issue 15).
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub mod family;
pub mod names;
pub mod text;

use std::fmt;
use std::str::FromStr;

use text::{Text, text};

/// The libcluster strategy whose peers will dial this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// `Cluster.Strategy.Kubernetes` (the API strategy).
    Kubernetes,
    /// `Cluster.Strategy.Kubernetes.DNS` (A records of a headless Service).
    Dns,
    /// `Cluster.Strategy.Kubernetes.DNSSRV` (SRV records of a headless Service: a StatefulSet
    /// pod's hostname, or a Deployment pod's dashed IP).
    DnsSrv,
    /// phoenixframework/dns_cluster (the Phoenix generator's default, not libcluster): it looks
    /// up A and AAAA records and dials `<its own basename>@<:inet.ntoa(ip)>`.
    DnsCluster,
    /// `Cluster.Strategy.DNSPoll`: `:inet_res.lookup` of the query as given (no search list),
    /// A ++ AAAA, dialling `<node_basename>@<:inet_parse.ntoa(ip)>` (dns_poll.ex).
    DnsPoll,
}

/// The `mode:` option of `Cluster.Strategy.Kubernetes`. For DNSSRV, which has no such option,
/// it says what the SRV target is: the pod's hostname (`hostname`) or its dashed IP (`dns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ip,
    Dns,
    Hostname,
}

/// One value a flag takes: the name relnode prints, and the other spellings it accepts
/// (lowercase; compared after the type's own normalisation).
#[derive(Clone, Copy, Debug)]
pub struct Choice<T: Copy> {
    pub name: &'static str,
    pub also: &'static [&'static str],
    pub value: T,
}

/// Every strategy, libcluster's first. The module names are accepted too: `Elixir.` and
/// `Cluster.Strategy.` are dropped before the comparison (`Cluster.Strategy.Kubernetes.DNS`).
pub const STRATEGIES: &[Choice<Strategy>] = &[
    Choice {
        name: "kubernetes",
        also: &[],
        value: Strategy::Kubernetes,
    },
    Choice {
        name: "dns",
        also: &["kubernetes.dns"],
        value: Strategy::Dns,
    },
    Choice {
        name: "dnssrv",
        also: &["kubernetes.dnssrv"],
        value: Strategy::DnsSrv,
    },
    Choice {
        name: "dnscluster",
        also: &["dns_cluster"],
        value: Strategy::DnsCluster,
    },
    Choice {
        name: "dnspoll",
        also: &["dns_poll"],
        value: Strategy::DnsPoll,
    },
];

/// libcluster's Kubernetes strategies: the ones that read Endpoints, or the DNS records the
/// cluster serves from them (what `simulate` models).
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub const LIBCLUSTER_STRATEGIES: &[Choice<Strategy>] = STRATEGIES.split_at(3).0;

/// The modes; libcluster's atom spelling `:ip` is accepted too.
pub const MODES: &[Choice<Mode>] = &[
    Choice {
        name: "ip",
        also: &[],
        value: Mode::Ip,
    },
    Choice {
        name: "dns",
        also: &[],
        value: Mode::Dns,
    },
    Choice {
        name: "hostname",
        also: &[],
        value: Mode::Hostname,
    },
];

/// `kubernetes, dns, dnssrv, dnscluster`: for "use one of ..." in messages.
pub const STRATEGY_VALUES: &str = text!(Text::new().names(STRATEGIES, ", "));
/// `ip, dns, hostname`
pub const MODE_VALUES: &str = text!(Text::new().names(MODES, ", "));
/// Every pair libcluster 3.5.0 (and dns_cluster) has, in the words users will recognise:
/// `kubernetes with mode ip, dns or hostname; dns with mode ip; ...`.
pub const SHAPES: &str = text!(Text::new().shapes(STRATEGIES));
/// The `--strategy` help of the commands that name a pod.
pub const STRATEGY_HELP: &str = text!(
    Text::new()
        .add("libcluster strategy: ")
        .names(STRATEGIES, " or ")
);
/// The `--mode` help of the commands that name a pod.
pub const MODE_HELP: &str = text!(
    Text::new()
        .add("libcluster mode: ")
        .names(MODES, " or ")
        .add(" (dnssrv: hostname, or dns for a Deployment's dashed-IP SRV target)")
);

fn parse_choice<T: Copy>(list: &[Choice<T>], text: &str) -> Option<T> {
    list.iter()
        .find(|c| c.name == text || c.also.contains(&text))
        .map(|c| c.value)
}

fn name_of<T: Copy + PartialEq>(list: &[Choice<T>], value: T) -> &'static str {
    list.iter()
        .find(|c| c.value == value)
        .map_or("?", |c| c.name)
}

impl FromStr for Strategy {
    type Err = ();
    /// Accepts relnode's short names and libcluster's module names (`Cluster.Strategy.Kubernetes.DNS`).
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.strip_prefix("Elixir.").unwrap_or(s);
        let s = s.strip_prefix("Cluster.Strategy.").unwrap_or(s);
        parse_choice(STRATEGIES, &s.to_ascii_lowercase()).ok_or(())
    }
}

impl FromStr for Mode {
    type Err = ();
    /// Accepts `ip` and libcluster's atom spelling `:ip`.
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.strip_prefix(':').unwrap_or(s);
        parse_choice(MODES, &s.to_ascii_lowercase()).ok_or(())
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(name_of(STRATEGIES, *self))
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(name_of(MODES, *self))
    }
}

impl Strategy {
    /// The modes the strategy has, its default first.
    pub const fn modes(self) -> &'static [Mode] {
        match self {
            Strategy::Kubernetes => &[Mode::Ip, Mode::Dns, Mode::Hostname],
            // dns_cluster dials `<basename>@<ip>` only: a host-named node never matches
            // (dns_cluster #14).
            Strategy::Dns | Strategy::DnsCluster | Strategy::DnsPoll => &[Mode::Ip],
            Strategy::DnsSrv => &[Mode::Hostname, Mode::Dns],
        }
    }

    /// libcluster's default for the strategy (the DNS strategies have only one).
    pub fn default_mode(self) -> Mode {
        self.modes()[0]
    }

    pub fn module(self) -> &'static str {
        match self {
            Strategy::Kubernetes => "Cluster.Strategy.Kubernetes",
            Strategy::Dns => "Cluster.Strategy.Kubernetes.DNS",
            Strategy::DnsSrv => "Cluster.Strategy.Kubernetes.DNSSRV",
            Strategy::DnsCluster => "DNSCluster",
            Strategy::DnsPoll => "Cluster.Strategy.DNSPoll",
        }
    }

    /// Finds its peers by looking a DNS name up (`--query`) and dialling each address.
    pub fn looks_up_query(self) -> bool {
        matches!(self, Strategy::DnsCluster | Strategy::DnsPoll)
    }
}

/// A strategy and mode pair that libcluster actually has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub strategy: Strategy,
    pub mode: Mode,
}

impl Shape {
    /// `None` when libcluster has no such pair.
    pub fn new(strategy: Strategy, mode: Mode) -> Option<Shape> {
        strategy
            .modes()
            .contains(&mode)
            .then_some(Shape { strategy, mode })
    }

    /// The host part is the pod IP itself.
    pub fn uses_ip_literal(self) -> bool {
        self.mode == Mode::Ip
    }

    pub fn needs_ip(self) -> bool {
        matches!(self.mode, Mode::Ip | Mode::Dns)
    }

    pub fn needs_namespace(self) -> bool {
        self.mode != Mode::Ip
    }

    pub fn needs_hostname(self) -> bool {
        self.mode == Mode::Hostname
    }

    /// Hostname modes, and the dashed-IP SRV target `<ip>.<service>.<ns>.svc.<domain>`.
    pub fn needs_service(self) -> bool {
        self.mode == Mode::Hostname || self.strategy == Strategy::DnsSrv
    }

    /// The API strategy appends `<cluster_name>.local`; DNSSRV uses the real cluster domain.
    pub fn needs_cluster_name(self) -> bool {
        self.strategy == Strategy::Kubernetes && self.mode != Mode::Ip
    }

    pub fn needs_cluster_domain(self) -> bool {
        self.strategy == Strategy::DnsSrv
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.strategy {
            Strategy::Kubernetes => write!(f, "{} mode: :{}", self.strategy.module(), self.mode),
            Strategy::DnsSrv if self.mode == Mode::Dns => {
                write!(f, "{} (dashed-IP SRV targets)", self.strategy.module())
            }
            _ => f.write_str(self.strategy.module()),
        }
    }
}

/// Why a name cannot be built. The caller knows which input each part came from and turns
/// this into a message naming the flag and env var.
#[derive(Debug, PartialEq, Eq)]
pub enum NameError {
    /// A part the shape needs was not supplied.
    Missing(Part),
    /// A part was supplied but libcluster or Erlang cannot use it.
    Invalid { part: Part, problem: String },
    /// The assembled name breaks a rule of Erlang's (length, dot-less host).
    Name { name: String, problem: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Basename,
    Ip,
    Hostname,
    Service,
    Namespace,
    ClusterDomain,
    ClusterName,
}

impl NameError {
    /// The error in words, without flag names (for parts that come from a document, or a
    /// message that names the flag itself).
    #[cfg_attr(not(feature = "tools"), allow(dead_code))]
    pub fn describe(&self) -> String {
        let part = |p: &Part| match p {
            Part::Basename => "basename",
            Part::Ip => "IP",
            Part::Hostname => "hostname",
            Part::Service => "Service name",
            Part::Namespace => "namespace",
            Part::ClusterDomain => "cluster domain",
            Part::ClusterName => "cluster name",
        };
        match self {
            NameError::Missing(p) => format!("has no {}", part(p)),
            NameError::Invalid { part: p, problem } => format!("its {} {problem}", part(p)),
            NameError::Name { problem, .. } => format!("the name {problem}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_libclusters_pairs_exist() {
        use Mode::{Hostname, Ip};
        use Strategy::{DnsSrv, Kubernetes};
        for (strategy, mode, exists) in [
            (Kubernetes, Ip, true),
            (Kubernetes, Mode::Dns, true),
            (Kubernetes, Hostname, true),
            (Strategy::Dns, Ip, true),
            (Strategy::Dns, Mode::Dns, false),
            (Strategy::Dns, Hostname, false),
            (DnsSrv, Hostname, true),
            (DnsSrv, Ip, false),
            (DnsSrv, Mode::Dns, true),
            (Strategy::DnsCluster, Ip, true),
            (Strategy::DnsCluster, Mode::Dns, false),
            (Strategy::DnsCluster, Hostname, false),
            (Strategy::DnsPoll, Ip, true),
            (Strategy::DnsPoll, Mode::Dns, false),
            (Strategy::DnsPoll, Hostname, false),
        ] {
            assert_eq!(
                Shape::new(strategy, mode).is_some(),
                exists,
                "{strategy} {mode}"
            );
            assert!(Shape::new(strategy, strategy.default_mode()).is_some());
        }
        assert_eq!(DnsSrv.default_mode(), Hostname);
        assert_eq!(Kubernetes.default_mode(), Ip);
    }

    #[test]
    fn strategy_accepts_libcluster_module_names() {
        for (text, want) in [
            ("kubernetes", Strategy::Kubernetes),
            ("Cluster.Strategy.Kubernetes", Strategy::Kubernetes),
            ("Elixir.Cluster.Strategy.Kubernetes.DNS", Strategy::Dns),
            ("Kubernetes.DNSSRV", Strategy::DnsSrv),
            ("DNSSRV", Strategy::DnsSrv),
            ("dnscluster", Strategy::DnsCluster),
            ("DNSCluster", Strategy::DnsCluster),
            ("dns_cluster", Strategy::DnsCluster),
        ] {
            assert_eq!(text.parse::<Strategy>(), Ok(want), "{text}");
        }
        for text in ["dnspoll", "DNSPoll", "Cluster.Strategy.DNSPoll", "dns_poll"] {
            assert_eq!(text.parse::<Strategy>(), Ok(Strategy::DnsPoll), "{text}");
        }
        assert!("dnspol".parse::<Strategy>().is_err());
        assert_eq!(":hostname".parse::<Mode>(), Ok(Mode::Hostname));
        assert!("fqdn".parse::<Mode>().is_err());
    }

    /// The texts built from the lists say what they said when they were written by hand,
    /// and every value printed parses back.
    #[test]
    fn texts_are_built_from_the_lists() {
        assert_eq!(
            STRATEGY_VALUES,
            "kubernetes, dns, dnssrv, dnscluster, dnspoll"
        );
        assert_eq!(MODE_VALUES, "ip, dns, hostname");
        assert_eq!(
            SHAPES,
            "kubernetes with mode ip, dns or hostname; dns with mode ip; dnssrv with mode hostname or dns; dnscluster with mode ip; dnspoll with mode ip"
        );
        assert_eq!(
            STRATEGY_HELP,
            "libcluster strategy: kubernetes, dns, dnssrv, dnscluster or dnspoll"
        );
        assert_eq!(
            MODE_HELP,
            "libcluster mode: ip, dns or hostname (dnssrv: hostname, or dns for a Deployment's dashed-IP SRV target)"
        );
        for c in STRATEGIES {
            assert_eq!(c.name.parse::<Strategy>(), Ok(c.value));
            assert_eq!(c.value.to_string(), c.name);
        }
        for c in MODES {
            assert_eq!(c.name.parse::<Mode>(), Ok(c.value));
            assert_eq!(c.value.to_string(), c.name);
        }
        assert!(
            LIBCLUSTER_STRATEGIES
                .iter()
                .all(|c| !c.value.looks_up_query())
        );
    }
}
