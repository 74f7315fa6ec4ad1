//! libcluster's naming rules, and Erlang's rules for what a node name may be.
//!
//! Pure: no I/O, no environment. Everything here takes plain values so the rules can be
//! checked against libcluster's own examples in unit tests.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

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
}

/// The `mode:` option of `Cluster.Strategy.Kubernetes`. For DNSSRV, which has no such option,
/// it says what the SRV target is: the pod's hostname (`hostname`) or its dashed IP (`dns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ip,
    Dns,
    Hostname,
}

/// A strategy and mode pair that libcluster actually has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub strategy: Strategy,
    pub mode: Mode,
}

pub const STRATEGY_VALUES: &str = "kubernetes, dns, dnssrv";
pub const MODE_VALUES: &str = "ip, dns, hostname";
/// Every pair libcluster 3.5.0 has, in the words users will recognise.
pub const SHAPES: &str =
    "kubernetes with mode ip, dns or hostname; dns with mode ip; dnssrv with mode hostname or dns";

impl FromStr for Strategy {
    type Err = ();
    /// Accepts relnode's short names and libcluster's module names (`Cluster.Strategy.Kubernetes.DNS`).
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.strip_prefix("Elixir.").unwrap_or(s);
        let s = s.strip_prefix("Cluster.Strategy.").unwrap_or(s);
        match s.to_ascii_lowercase().as_str() {
            "kubernetes" => Ok(Strategy::Kubernetes),
            "dns" | "kubernetes.dns" => Ok(Strategy::Dns),
            "dnssrv" | "kubernetes.dnssrv" => Ok(Strategy::DnsSrv),
            _ => Err(()),
        }
    }
}

impl FromStr for Mode {
    type Err = ();
    /// Accepts `ip` and libcluster's atom spelling `:ip`.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s
            .strip_prefix(':')
            .unwrap_or(s)
            .to_ascii_lowercase()
            .as_str()
        {
            "ip" => Ok(Mode::Ip),
            "dns" => Ok(Mode::Dns),
            "hostname" => Ok(Mode::Hostname),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Kubernetes => "kubernetes",
            Strategy::Dns => "dns",
            Strategy::DnsSrv => "dnssrv",
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Ip => "ip",
            Mode::Dns => "dns",
            Mode::Hostname => "hostname",
        })
    }
}

impl Strategy {
    /// libcluster's default for the strategy (the DNS strategies have only one).
    pub fn default_mode(self) -> Mode {
        match self {
            Strategy::Kubernetes | Strategy::Dns => Mode::Ip,
            Strategy::DnsSrv => Mode::Hostname,
        }
    }

    pub fn module(self) -> &'static str {
        match self {
            Strategy::Kubernetes => "Cluster.Strategy.Kubernetes",
            Strategy::Dns => "Cluster.Strategy.Kubernetes.DNS",
            Strategy::DnsSrv => "Cluster.Strategy.Kubernetes.DNSSRV",
        }
    }
}

impl Shape {
    /// `None` when libcluster has no such pair.
    pub fn new(strategy: Strategy, mode: Mode) -> Option<Shape> {
        let exists = match strategy {
            Strategy::Kubernetes => true,
            Strategy::Dns => mode == Mode::Ip,
            Strategy::DnsSrv => mode != Mode::Ip,
        };
        exists.then_some(Shape { strategy, mode })
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

/// What a name is built from; only the parts the shape needs must be present.
#[derive(Clone, Debug, Default)]
pub struct Parts<'a> {
    pub basename: &'a str,
    pub ip: Option<IpAddr>,
    pub hostname: Option<&'a str>,
    pub service: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// For DNSSRV: the cluster domain, e.g. `cluster.local`.
    pub cluster_domain: Option<&'a str>,
    /// For the API strategy's `dns`/`hostname` modes: libcluster's `kubernetes_cluster_name`.
    pub cluster_name: Option<&'a str>,
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

/// Erlang's limit for a whole node name (`net_kernel`), and DNS's for a host name.
pub const MAX_NODE_NAME: usize = 255;
pub const MAX_HOST: usize = 253;
pub const MAX_LABEL: usize = 63;

/// Builds the node name the peers of this pod will dial, exactly as libcluster 3.5.0 does.
pub fn node_name(shape: Shape, parts: &Parts) -> Result<String, NameError> {
    check_basename(parts.basename)?;
    let host = host(shape, parts)?;
    let name = format!("{}@{}", parts.basename, host);
    check_name(&name, &host, parts.ip.is_some() && shape.uses_ip_literal())?;
    Ok(name)
}

fn need(value: Option<&str>, part: Part) -> Result<&str, NameError> {
    value.ok_or(NameError::Missing(part))
}

fn host(shape: Shape, parts: &Parts) -> Result<String, NameError> {
    match (shape.strategy, shape.mode) {
        // kubernetes.ex `:ip` and kubernetes_dns.ex: `:inet_parse.ntoa(ip)`.
        (_, Mode::Ip) => Ok(ntoa(parts.ip.ok_or(NameError::Missing(Part::Ip))?)),
        // DNSSRV for a Deployment: CoreDNS names a hostname-less endpoint after its IP.
        (Strategy::DnsSrv, Mode::Dns) => {
            let ip = parts.ip.ok_or(NameError::Missing(Part::Ip))?;
            let service = label(need(parts.service, Part::Service)?, Part::Service)?;
            let namespace = label(need(parts.namespace, Part::Namespace)?, Part::Namespace)?;
            let zone = domain(
                need(parts.cluster_domain, Part::ClusterDomain)?,
                Part::ClusterDomain,
            )?;
            Ok(format!(
                "{}.{service}.{namespace}.svc.{zone}",
                dashed_ip(ip)
            ))
        }
        (Strategy::Kubernetes, Mode::Dns) => {
            let ip = match parts.ip.ok_or(NameError::Missing(Part::Ip))? {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(v6) => {
                    return Err(NameError::Invalid {
                        part: Part::Ip,
                        problem: format!(
                            "is IPv6; libcluster's mode :dns replaces only dots, so it would dial \
                             {}@{v6}.<ns>.pod..., a name no DNS server has",
                            parts.basename
                        ),
                    });
                }
            };
            let namespace = label(need(parts.namespace, Part::Namespace)?, Part::Namespace)?;
            let suffix = cluster_name_suffix(need(parts.cluster_name, Part::ClusterName)?)?;
            Ok(format!("{}.{namespace}.pod.{suffix}", dashed_ipv4(ip)))
        }
        (_, Mode::Hostname) => {
            let hostname = label(need(parts.hostname, Part::Hostname)?, Part::Hostname)?;
            let service = label(need(parts.service, Part::Service)?, Part::Service)?;
            let namespace = label(need(parts.namespace, Part::Namespace)?, Part::Namespace)?;
            let zone = if shape.strategy == Strategy::Kubernetes {
                cluster_name_suffix(need(parts.cluster_name, Part::ClusterName)?)?
            } else {
                domain(
                    need(parts.cluster_domain, Part::ClusterDomain)?,
                    Part::ClusterDomain,
                )?
                .to_owned()
            };
            Ok(format!("{hostname}.{service}.{namespace}.svc.{zone}"))
        }
        // Shape::new admits no other pair.
        (_, Mode::Dns) => Err(NameError::Missing(Part::Ip)),
    }
}

/// `10.42.1.49` → `10-42-1-49`: the pod A record label (every dot, and only dots).
pub fn dashed_ipv4(ip: Ipv4Addr) -> String {
    ip.to_string().replace('.', "-")
}

/// CoreDNS's label for an endpoint without a hostname: the IP with every `.` or `:` a dash
/// (`fd00::7` → `fd00--7`), from the canonical (Go, RFC 5952) form. A label may not end in
/// `-`, so since CoreDNS 1.12.3 an address ending in `::` gets a `0` (`fd00:42::` →
/// `fd00-42--0`).
pub fn dashed_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => dashed_ipv4(v4),
        IpAddr::V6(v6) => {
            let mut label = v6.to_string().replace(':', "-");
            if label.ends_with('-') {
                label.push('0');
            }
            label
        }
    }
}

/// An address as Erlang's `inet:ntoa/1` prints it, which is what libcluster puts after the
/// '@'. It is RFC 5952 (as Rust prints) except in `::/96`: Erlang writes the IPv4-compatible
/// form `::10.11.12.13` (but `::` and `::1` as such), where Rust writes `::a0b:c0d`.
pub fn ntoa(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ntoa6(v6),
    }
}

fn ntoa6(v6: Ipv6Addr) -> String {
    match v6.segments() {
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => v6.to_string(),
        [0, 0, 0, 0, 0, 0, hi, lo] => {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            format!("::{a}.{b}.{c}.{d}")
        }
        _ => v6.to_string(),
    }
}

/// libcluster writes `<cluster_name>.local` literally.
fn cluster_name_suffix(cluster_name: &str) -> Result<String, NameError> {
    let name = domain(cluster_name, Part::ClusterName)?;
    Ok(format!("{name}.local"))
}

/// The cluster name libcluster must be configured with so that `<name>.local` is the cluster
/// domain; `None` when the domain does not end in `.local`.
pub fn cluster_name_for_domain(domain: &str) -> Option<&str> {
    domain
        .strip_suffix(".local")
        .filter(|name| !name.is_empty())
}

/// Drops one trailing root dot (`cluster.local.`, libcluster's DNSSRV default).
pub fn strip_root_dot(domain: &str) -> &str {
    domain.strip_suffix('.').unwrap_or(domain)
}

/// Erlang's rule for the part before '@'.
pub fn check_basename(basename: &str) -> Result<(), NameError> {
    if basename.is_empty() {
        return Err(NameError::Missing(Part::Basename));
    }
    if let Some(bad) = basename
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(NameError::Invalid {
            part: Part::Basename,
            problem: format!(
                "contains {bad:?}; Erlang allows only letters, digits, '_' and '-' before the '@'"
            ),
        });
    }
    Ok(())
}

/// A DNS-1123 label, as Kubernetes requires of namespaces, Services and pod hostnames.
fn label(value: &str, part: Part) -> Result<&str, NameError> {
    label_problem(value)
        .map(|problem| Err(NameError::Invalid { part, problem }))
        .unwrap_or(Ok(value))
}

/// What makes `value` not a DNS-1123 label, if anything.
pub fn label_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".into());
    }
    if value.len() > MAX_LABEL {
        return Some(format!(
            "is {} characters long; a DNS label has at most {MAX_LABEL}",
            value.len()
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {bad:?}; a DNS-1123 label has only lowercase letters, digits and '-'"
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Some("starts or ends with '-'; a DNS-1123 label may not".into());
    }
    None
}

/// A DNS-1123 subdomain without a trailing dot (callers strip one root dot first).
pub fn domain(value: &str, part: Part) -> Result<&str, NameError> {
    let invalid = |problem: String| Err(NameError::Invalid { part, problem });
    if value.ends_with('.') {
        return invalid("ends with a dot; write it without the trailing root dot".into());
    }
    if value.len() > MAX_HOST {
        return invalid(format!(
            "is {} characters long; a DNS name has at most {MAX_HOST}",
            value.len()
        ));
    }
    for piece in value.split('.') {
        if let Some(problem) = label_problem(piece) {
            let which = if piece.is_empty() {
                "has an empty label (two dots in a row, or a leading dot)".to_owned()
            } else {
                format!("has a label {piece:?} that {problem}")
            };
            return invalid(which);
        }
    }
    Ok(value)
}

/// The host libcluster 3.5.0's `Cluster.Strategy.Kubernetes` puts after '@' for one entry
/// of an API answer, verbatim (`format_node/5` in kubernetes.ex). libcluster interpolates the
/// API's strings and checks nothing: a missing hostname or service is an empty label, an IPv6
/// address keeps its colons in mode `:dns`. [`node_name`] is the validated counterpart.
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub fn libcluster_kubernetes_host(
    mode: Mode,
    ip: &str,
    hostname: Option<&str>,
    service: Option<&str>,
    namespace: &str,
    cluster_name: &str,
) -> String {
    match mode {
        Mode::Ip => ip.to_owned(),
        Mode::Dns => format!(
            "{}.{namespace}.pod.{cluster_name}.local",
            ip.replace('.', "-")
        ),
        Mode::Hostname => format!(
            "{}.{}.{namespace}.svc.{cluster_name}.local",
            hostname.unwrap_or_default(),
            service.unwrap_or_default()
        ),
    }
}

/// Erlang's own rules for a long (`-name`) node name.
fn check_name(name: &str, host: &str, host_is_ip: bool) -> Result<(), NameError> {
    let problem = if name.len() > MAX_NODE_NAME {
        Some(format!(
            "is {} characters long; Erlang refuses node names over {MAX_NODE_NAME}",
            name.len()
        ))
    } else if !host_is_ip && host.len() > MAX_HOST {
        Some(format!(
            "has a host part of {} characters; DNS allows at most {MAX_HOST}",
            host.len()
        ))
    } else if host.ends_with('.') {
        Some("ends with a dot, which the dialled name never has".into())
    } else if !host_is_ip && !host.contains('.') {
        Some("has a host without a dot; Erlang long names (-name) refuse it unless it is an IP address".into())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(NameError::Name {
            name: name.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(strategy: Strategy, mode: Mode) -> Shape {
        Shape::new(strategy, mode).expect("libcluster has this pair")
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("test IP"))
    }

    /// The seed article's and libcluster's documented examples, one per shape.
    #[test]
    fn names_match_libcluster_examples() {
        let cases: &[(Shape, Parts, &str)] = &[
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "myapp",
                    ip: ip("10.42.1.49"),
                    ..Parts::default()
                },
                "myapp@10.42.1.49",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Dns),
                Parts {
                    basename: "app",
                    ip: ip("10.42.2.46"),
                    namespace: Some("default"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "app@10-42-2-46.default.pod.cluster.local",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Hostname),
                Parts {
                    basename: "myapp",
                    hostname: Some("both-0"),
                    service: Some("both"),
                    namespace: Some("default"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "myapp@both-0.both.default.svc.cluster.local",
            ),
            (
                shape(Strategy::Dns, Mode::Ip),
                Parts {
                    basename: "myapp",
                    ip: ip("10.42.1.61"),
                    ..Parts::default()
                },
                "myapp@10.42.1.61",
            ),
            (
                shape(Strategy::DnsSrv, Mode::Hostname),
                Parts {
                    basename: "myapp",
                    hostname: Some("both-1"),
                    service: Some("both"),
                    namespace: Some("default"),
                    cluster_domain: Some("cluster.local"),
                    ..Parts::default()
                },
                "myapp@both-1.both.default.svc.cluster.local",
            ),
            // libcluster's own test suite (test/kubernetes_test.exs, "works with pods" and
            // "works with pods and dns").
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "test_basename",
                    ip: ip("10.48.33.136"),
                    ..Parts::default()
                },
                "test_basename@10.48.33.136",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Dns),
                Parts {
                    basename: "test_basename",
                    ip: ip("10.48.33.136"),
                    namespace: Some("airatel-service-localization"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "test_basename@10-48-33-136.airatel-service-localization.pod.cluster.local",
            ),
            // IPv6 in ip mode: the compressed form :inet.ntoa prints.
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "app",
                    ip: ip("FD00:0:0:0:0:0:0:A"),
                    ..Parts::default()
                },
                "app@fd00::a",
            ),
            // A non-default cluster domain.
            (
                shape(Strategy::DnsSrv, Mode::Hostname),
                Parts {
                    basename: "app",
                    hostname: Some("web-2"),
                    service: Some("web"),
                    namespace: Some("prod"),
                    cluster_domain: Some("k8s.example.org"),
                    ..Parts::default()
                },
                "app@web-2.web.prod.svc.k8s.example.org",
            ),
        ];
        for (shape, parts, want) in cases {
            assert_eq!(node_name(*shape, parts).as_deref(), Ok(*want), "{shape}");
        }
    }

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
        ] {
            assert_eq!(
                Shape::new(strategy, mode).is_some(),
                exists,
                "{strategy} {mode}"
            );
            assert!(Shape::new(strategy, strategy.default_mode()).is_some());
        }
    }

    #[test]
    fn strategy_accepts_libcluster_module_names() {
        for (text, want) in [
            ("kubernetes", Strategy::Kubernetes),
            ("Cluster.Strategy.Kubernetes", Strategy::Kubernetes),
            ("Elixir.Cluster.Strategy.Kubernetes.DNS", Strategy::Dns),
            ("Kubernetes.DNSSRV", Strategy::DnsSrv),
            ("DNSSRV", Strategy::DnsSrv),
        ] {
            assert_eq!(text.parse::<Strategy>(), Ok(want), "{text}");
        }
        assert!("dnspoll".parse::<Strategy>().is_err());
        assert_eq!(":hostname".parse::<Mode>(), Ok(Mode::Hostname));
        assert!("fqdn".parse::<Mode>().is_err());
    }

    /// libcluster's `:ip` names print the address with Erlang's own `inet:ntoa/1`: compare
    /// ours with the real thing for the addresses where printers disagree (`::/96`, zero runs
    /// of equal length, IPv4-mapped) and a spread of others. Needs `erl` (scripts/test
    /// installs erlang-base).
    #[test]
    fn ntoa_matches_erlangs_inet_ntoa() {
        let mut sample: Vec<IpAddr> = [
            "::",
            "::1",
            "::2",
            "::a0b:c0d",
            "::ffff:a0b:c0d",
            "::1:0",
            "::ffff:1",
            "fd00::7",
            "1:0:0:1::1",
            "1::1:0:0:1",
            "1:0:0:1:0:0:1:1",
            "1:2:3:4:5:6:7:8",
            "0:1::",
            "fe80::1:0:0:0",
            "10.42.1.49",
            "0.0.0.0",
            "255.255.255.255",
        ]
        .iter()
        .map(|s| s.parse().expect("test address"))
        .collect();
        // Addresses with many zero groups, where compression choices differ.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let mut groups = [0u16; 8];
            for g in &mut groups {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *g = if x % 3 == 0 { (x >> 20) as u16 } else { 0 };
            }
            sample.push(IpAddr::V6(Ipv6Addr::from(groups)));
            sample.push(IpAddr::V4(Ipv4Addr::from((x >> 32) as u32)));
        }
        let terms: Vec<String> = sample
            .iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => {
                    let [a, b, c, d] = v4.octets();
                    format!("{{{a},{b},{c},{d}}}")
                }
                IpAddr::V6(v6) => {
                    let g = v6.segments().map(|s| s.to_string());
                    format!("{{{}}}", g.join(","))
                }
            })
            .collect();
        let script = format!(
            "[io:format(\"~s~n\", [inet:ntoa(A)]) || A <- [{}]], halt().",
            terms.join(",")
        );
        let out = std::process::Command::new("erl")
            .args(["-noshell", "-eval", &script])
            .output()
            .expect("run erl (scripts/test installs erlang-base)");
        let erlang = String::from_utf8(out.stdout).expect("ASCII");
        let ours: Vec<String> = sample.iter().map(|ip| ntoa(*ip)).collect();
        assert_eq!(erlang.lines().collect::<Vec<_>>(), ours);
    }

    /// The seed's `sed 's/./-/g'` dashed every character; CoreDNS dashes only the separators.
    #[test]
    fn dashed_labels_replace_only_separators() {
        for (ip, want) in [
            ("10.42.2.46", "10-42-2-46"),
            ("0.0.0.0", "0-0-0-0"),
            ("fd00::7", "fd00--7"),
            ("FD00:0:0:0:0:0:42:7", "fd00--42-7"),
            ("2001:db8:1:2:3:4:5:6", "2001-db8-1-2-3-4-5-6"),
            ("fd00:42::", "fd00-42--0"),
        ] {
            let dashed = dashed_ip(ip.parse().expect("test IP"));
            assert_eq!(dashed, want);
            assert!(label_problem(&dashed).is_none(), "{dashed} is a DNS label");
        }
    }

    /// issue 12: a Deployment pod's SRV target is its dashed IP under the headless Service.
    #[test]
    fn dnssrv_dns_mode_names_the_dashed_ip_target() {
        let srv = shape(Strategy::DnsSrv, Mode::Dns);
        for (pod_ip, want) in [
            (
                "10.42.3.71",
                "app@10-42-3-71.headless-service.default.svc.cluster.local",
            ),
            (
                "fd00::7",
                "app@fd00--7.headless-service.default.svc.cluster.local",
            ),
        ] {
            let parts = Parts {
                basename: "app",
                ip: ip(pod_ip),
                service: Some("headless-service"),
                namespace: Some("default"),
                cluster_domain: Some("cluster.local"),
                ..Parts::default()
            };
            assert_eq!(node_name(srv, &parts).as_deref(), Ok(want));
        }
        let no_service = Parts {
            basename: "app",
            ip: ip("10.42.3.71"),
            namespace: Some("default"),
            cluster_domain: Some("cluster.local"),
            ..Parts::default()
        };
        assert_eq!(
            node_name(srv, &no_service),
            Err(NameError::Missing(Part::Service))
        );
    }

    #[test]
    fn ipv6_is_refused_in_dns_mode() {
        let parts = Parts {
            basename: "app",
            ip: ip("fd00::1"),
            namespace: Some("default"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Dns), &parts).unwrap_err();
        assert!(
            matches!(err, NameError::Invalid { part: Part::Ip, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn bad_parts_are_refused() {
        let good = Parts {
            basename: "app",
            hostname: Some("web-0"),
            service: Some("web"),
            namespace: Some("default"),
            cluster_domain: Some("cluster.local"),
            ..Parts::default()
        };
        let srv = shape(Strategy::DnsSrv, Mode::Hostname);
        assert!(node_name(srv, &good).is_ok());
        let long = "a".repeat(64);
        let cases: Vec<(Parts, Part)> = vec![
            (
                Parts {
                    basename: "my.app",
                    ..good.clone()
                },
                Part::Basename,
            ),
            (
                Parts {
                    basename: "my app",
                    ..good.clone()
                },
                Part::Basename,
            ),
            (
                Parts {
                    hostname: Some("Web-0"),
                    ..good.clone()
                },
                Part::Hostname,
            ),
            (
                Parts {
                    hostname: Some(&long),
                    ..good.clone()
                },
                Part::Hostname,
            ),
            (
                Parts {
                    service: Some("-web"),
                    ..good.clone()
                },
                Part::Service,
            ),
            (
                Parts {
                    namespace: Some("de_fault"),
                    ..good.clone()
                },
                Part::Namespace,
            ),
            (
                Parts {
                    cluster_domain: Some("cluster..local"),
                    ..good.clone()
                },
                Part::ClusterDomain,
            ),
            (
                Parts {
                    cluster_domain: Some("cluster.local."),
                    ..good.clone()
                },
                Part::ClusterDomain,
            ),
        ];
        for (parts, part) in cases {
            match node_name(srv, &parts) {
                Err(NameError::Invalid { part: got, .. }) => assert_eq!(got, part),
                other => panic!("{parts:?}: expected {part:?} refused, got {other:?}"),
            }
        }
        let missing = Parts {
            service: None,
            ..good.clone()
        };
        assert_eq!(
            node_name(srv, &missing),
            Err(NameError::Missing(Part::Service))
        );
    }

    /// libcluster's tests also use `kubernetes_cluster_name: "my_cluster"` and
    /// `kubernetes_service_name: "my_service"`. Erlang would accept those names, but no
    /// Kubernetes cluster domain or Service can contain '_', so the name could never be dialled:
    /// relnode refuses them rather than boot a node nobody reaches.
    #[test]
    fn underscored_cluster_and_service_names_are_refused() {
        let parts = Parts {
            basename: "test_basename",
            ip: ip("10.48.33.136"),
            namespace: Some("airatel-service-localization"),
            cluster_name: Some("my_cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Dns), &parts).unwrap_err();
        assert!(
            matches!(
                err,
                NameError::Invalid {
                    part: Part::ClusterName,
                    ..
                }
            ),
            "{err:?}"
        );
        let parts = Parts {
            basename: "test_basename",
            hostname: Some("my-hostname-0"),
            service: Some("my_service"),
            namespace: Some("airatel-service-localization"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Hostname), &parts).unwrap_err();
        assert!(
            matches!(
                err,
                NameError::Invalid {
                    part: Part::Service,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn whole_name_limits_hold() {
        // Four 63-character labels make a host of 255 > 253.
        let l = "a".repeat(63);
        let domain = format!("{l}.{l}");
        let parts = Parts {
            basename: "app",
            hostname: Some(&l),
            service: Some(&l),
            namespace: Some("ns"),
            cluster_domain: Some(&domain),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::DnsSrv, Mode::Hostname), &parts).unwrap_err();
        assert!(matches!(err, NameError::Name { .. }), "{err:?}");
        // A 250-character basename makes the whole name exceed 255.
        let base = "b".repeat(250);
        let parts = Parts {
            basename: &base,
            ip: ip("10.0.0.1"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Ip), &parts).unwrap_err();
        assert!(matches!(err, NameError::Name { .. }), "{err:?}");
    }

    /// libcluster's verbatim names equal the validated ones where both exist, and keep the
    /// broken shapes (`app@.svc…`, colons in `:dns`) where relnode refuses.
    #[test]
    fn libcluster_hosts_are_verbatim() {
        let host = |mode, ip, h, s| libcluster_kubernetes_host(mode, ip, h, s, "shop", "cluster");
        assert_eq!(host(Mode::Ip, "10.42.0.5", None, None), "10.42.0.5");
        assert_eq!(
            host(Mode::Dns, "10.42.0.5", None, None),
            "10-42-0-5.shop.pod.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", Some("db-0"), Some("db")),
            "db-0.db.shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", None, Some("db")),
            ".db.shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", None, None),
            "..shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Dns, "fd00::5", None, None),
            "fd00::5.shop.pod.cluster.local"
        );
        let parts = Parts {
            basename: "app",
            ip: ip("10.42.0.5"),
            hostname: Some("db-0"),
            service: Some("db"),
            namespace: Some("shop"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        for mode in [Mode::Ip, Mode::Dns, Mode::Hostname] {
            let want = node_name(shape(Strategy::Kubernetes, mode), &parts).expect("valid");
            let got = host(mode, "10.42.0.5", Some("db-0"), Some("db"));
            assert_eq!(format!("app@{got}"), want, "{mode}");
        }
    }

    #[test]
    fn cluster_name_comes_from_a_local_domain() {
        assert_eq!(cluster_name_for_domain("cluster.local"), Some("cluster"));
        assert_eq!(cluster_name_for_domain("k8s.local"), Some("k8s"));
        assert_eq!(cluster_name_for_domain("local"), None);
        assert_eq!(cluster_name_for_domain("cluster.example"), None);
        assert_eq!(strip_root_dot("cluster.local."), "cluster.local");
        assert_eq!(strip_root_dot("cluster.local"), "cluster.local");
    }
}
