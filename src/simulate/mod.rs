//! `relnode simulate`: the node names libcluster 3.5.0 would dial, from what
//! `kubectl get endpoints|endpointslices|pods -o json` prints, with every entry that will
//! not work flagged. It gathers no pod facts; the names come from `libcluster::names`, which
//! holds libcluster's rules (`kubernetes_host`) and relnode's own (`node_name`): an entry is
//! flagged when the two disagree or relnode refuses the parts.

pub mod dnspoll;
pub mod input;

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::error::{Result, bad_flag as bad};
use crate::libcluster::api::Kind;
use crate::libcluster::erlang;
use crate::libcluster::names::{self, Parts};
use crate::libcluster::text::{Text, text};
use crate::libcluster::{LIBCLUSTER_STRATEGIES, Mode, Part, SHAPES, Shape, Strategy};
use input::{Entry, Listed, TargetRef};

/// What libcluster does with one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Dials,
    Skips,
    /// The entry makes the strategy crash (nothing is dialled while it is listed).
    Crashes,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Dials => "dials",
            Verdict::Skips => "skips",
            Verdict::Crashes => "crashes",
        }
    }
}

#[derive(Debug)]
pub struct Row {
    pub verdict: Verdict,
    /// The node name dialled (`Dials` only).
    pub name: Option<String>,
    pub ip: Option<String>,
    pub from: String,
    /// Why it is skipped or crashes.
    pub reason: Option<String>,
    /// Why the dialled name cannot work.
    pub problems: Vec<String>,
    /// Surprising but not broken by itself.
    pub warnings: Vec<String>,
}

/// The settings a simulation runs with; [`Config::validated`] checks them.
#[derive(Debug)]
pub struct Config {
    pub strategy: Strategy,
    pub mode: Mode,
    pub basename: String,
    pub cluster_name: String,
    pub cluster_domain: String,
    pub service: Option<String>,
}

/// `use kubernetes, dns, dnssrv or dnspoll`: the strategies simulate models.
const SIMULATED: &str = text!(
    Text::new()
        .add("use ")
        .names(LIBCLUSTER_STRATEGIES, ", ")
        .add(" or dnspoll")
);

impl Config {
    /// The settings as given, checked: the shape exists, the names are DNS names. A trailing
    /// root dot on the cluster domain is dropped.
    pub fn validated(self) -> Result<Config> {
        let Config { strategy, mode, .. } = self;
        // dns_cluster is not libcluster; DNSPoll is modelled on the records CoreDNS serves.
        if strategy == Strategy::DnsCluster {
            return Err(bad(
                "--strategy",
                Some(&strategy.to_string()),
                format!(
                    "is {}, which simulate does not model (it simulates libcluster reading Endpoints, EndpointSlices or Pods)",
                    if strategy == Strategy::DnsCluster {
                        "phoenixframework/dns_cluster"
                    } else {
                        strategy.module()
                    }
                ),
                &format!(
                    "{SIMULATED}; {strategy} names are <basename>@<ip> (relnode env --strategy {strategy})"
                ),
            ));
        }
        if Shape::new(strategy, mode).is_none() {
            return Err(bad(
                "--mode",
                Some(&mode.to_string()),
                format!("does not exist for strategy {strategy}"),
                &format!("libcluster has {SHAPES}"),
            ));
        }
        erlang::check_basename(&self.basename).map_err(|err| {
            bad(
                "--basename",
                Some(&self.basename),
                err.describe(),
                "give the part before '@' that libcluster is configured with",
            )
        })?;
        if names::cluster_name_for_domain(&self.cluster_name).is_some() {
            return Err(bad(
                "--cluster-name",
                Some(&self.cluster_name),
                "ends in .local, and libcluster appends .local itself",
                "did you mean --cluster-domain? --cluster-name is the part before .local (cluster)",
            ));
        }
        erlang::domain(&self.cluster_name, Part::ClusterName).map_err(|err| {
            bad(
                "--cluster-name",
                Some(&self.cluster_name),
                err.describe(),
                "give libcluster's kubernetes_cluster_name (default cluster)",
            )
        })?;
        let domain = erlang::strip_root_dot(&self.cluster_domain);
        erlang::domain(domain, Part::ClusterDomain).map_err(|err| {
            bad(
                "--cluster-domain",
                Some(&self.cluster_domain),
                err.describe(),
                "give the cluster's DNS domain (default cluster.local)",
            )
        })?;
        Ok(Config {
            cluster_domain: domain.to_owned(),
            ..self
        })
    }

    fn describe_shape(&self, kind: Kind) -> String {
        let kind = match kind {
            Kind::Endpoints => "Endpoints",
            Kind::EndpointSlice => "EndpointSlices",
            Kind::Pod => "Pods",
        };
        match self.strategy {
            Strategy::Kubernetes => format!(
                "Cluster.Strategy.Kubernetes mode: :{}, kubernetes_ip_lookup_mode: :{} ({kind} read{})",
                self.mode,
                if kind == "Pods" { "pods" } else { "endpoints" },
                if kind == "EndpointSlices" {
                    " as the Endpoints they mirror"
                } else {
                    ""
                }
            ),
            Strategy::Dns => format!(
                "Cluster.Strategy.Kubernetes.DNS (the A records CoreDNS serves from these {kind})"
            ),
            Strategy::DnsSrv => format!(
                "Cluster.Strategy.Kubernetes.DNSSRV (the SRV targets CoreDNS serves from these {kind}, domain {})",
                self.cluster_domain
            ),
            Strategy::DnsPoll => format!(
                "Cluster.Strategy.DNSPoll (the A and AAAA records CoreDNS serves from these {kind} for the headless Service, asked as given: query: must be its full name <service>.<namespace>.svc.{})",
                self.cluster_domain
            ),
            Strategy::DnsCluster => {
                unreachable!("Config::validated refuses dnscluster")
            }
        }
    }
}

/// The rows, in input order, for one parsed answer.
pub fn simulate(config: &Config, kind: Kind, entries: Vec<Entry>) -> Result<Vec<Row>> {
    if kind == Kind::Pod && config.strategy != Strategy::Kubernetes {
        return Err(bad(
            "--from",
            None,
            format!(
                "holds Pods, but {} reads DNS, which the cluster serves from the Service's endpoints",
                config.strategy.module()
            ),
            "give kubectl get endpoints (or endpointslices) -l ... -o json, or --strategy kubernetes",
        ));
    }
    let mut rows: Vec<Row> = entries.into_iter().map(|e| row(config, kind, e)).collect();
    repeated(&mut rows);
    Ok(rows)
}

/// libcluster dials a set of names: a name listed twice (an address in two objects, a
/// repeated address) is one node, dialled once. Later rows with a name seen before say so.
fn repeated(rows: &mut [Row]) {
    let mut first: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for row in rows.iter_mut().filter(|r| r.verdict == Verdict::Dials) {
        let Some(name) = row.name.clone() else {
            continue;
        };
        match first.get(&name) {
            Some(from) => row.warnings.push(format!(
                "the same name as the entry from {from}: libcluster dials a set of names, so this is one node, dialled and counted once"
            )),
            None => {
                first.insert(name, row.from.clone());
            }
        }
    }
}

/// The distinct names dialled, and how many of them have a problem.
fn dialled_counts(rows: &[Row]) -> (usize, usize) {
    let mut names = std::collections::HashSet::new();
    let mut broken = std::collections::HashSet::new();
    for r in rows.iter().filter(|r| r.verdict == Verdict::Dials) {
        if let Some(name) = &r.name {
            names.insert(name);
            if !r.problems.is_empty() {
                broken.insert(name);
            }
        }
    }
    (names.len(), broken.len())
}

/// An `"ip"` that is no IP address, in a shape whose name is built from it.
fn not_an_ip(ip: &str, name: &str) -> Option<String> {
    ip.parse::<IpAddr>().is_err().then(|| {
        format!(
            "\"ip\" {ip:?} is not an IP address, so libcluster dials {name}, which no node has; the object is hand-written or damaged"
        )
    })
}

/// One entry's row: skipped when libcluster's source does not list it, a crash when it has
/// no IP, else what the strategy makes of it.
fn row(config: &Config, kind: Kind, entry: Entry) -> Row {
    let Entry {
        from,
        ip,
        target,
        object_namespace,
        service,
        hostname,
        listed,
        warnings,
    } = entry;
    let mut row = Row {
        verdict: Verdict::Skips,
        name: None,
        ip: ip.clone(),
        from,
        reason: None,
        problems: Vec::new(),
        warnings,
    };
    if let Listed::No(reason) = listed {
        row.reason = Some(reason);
        return row;
    }
    let Some(ip) = ip else {
        row.verdict = Verdict::Crashes;
        row.reason = Some(
            "an address without \"ip\": libcluster's pattern match fails and the strategy crashes"
                .into(),
        );
        return row;
    };
    match config.strategy {
        Strategy::Kubernetes => match api_namespace(kind, target) {
            Ok(namespace) => {
                let service = config.service.clone().or(service);
                api_dial(config, kind, &mut row, &ip, &namespace, &hostname, &service);
            }
            Err((verdict, reason)) => {
                row.verdict = verdict;
                row.reason = Some(reason);
            }
        },
        Strategy::Dns => a_record_dial(config, &mut row, &ip),
        Strategy::DnsSrv => match (object_namespace, service) {
            (Some(namespace), Some(service)) => {
                srv_dial(config, &mut row, &ip, &namespace, &service, hostname);
            }
            _ => {
                row.reason = Some(
                    "the object names no Service and namespace, so no SRV record can be derived"
                        .into(),
                );
            }
        },
        Strategy::DnsPoll => dnspoll::dial(config, &mut row, &ip),
        Strategy::DnsCluster => unreachable!("Config::validated refuses dnscluster"),
    }
    row
}

/// The namespace the API strategy's pattern takes from an entry (the address's
/// `targetRef.namespace`, the pod's `metadata.namespace`), or whether it skips or crashes.
fn api_namespace(kind: Kind, target: TargetRef) -> std::result::Result<String, (Verdict, String)> {
    match target {
        TargetRef::Namespace(ns) => Ok(ns),
        TargetRef::Missing | TargetRef::NoNamespace if kind == Kind::Pod => Err((
            Verdict::Skips,
            "no metadata.namespace: libcluster's pattern skips the pod".into(),
        )),
        TargetRef::Missing => Err((
            Verdict::Crashes,
            "no targetRef: libcluster 3.5.0 matches targetRef.namespace on every address and crashes (FunctionClauseError; libcluster PR #216), dialling nothing while this address is listed".into(),
        )),
        TargetRef::NoNamespace => Err((
            Verdict::Crashes,
            "a targetRef without namespace: libcluster 3.5.0's pattern match fails and the strategy crashes (libcluster PR #216)".into(),
        )),
    }
}

/// `Cluster.Strategy.Kubernetes`: the name format_node builds, and why it cannot work.
fn api_dial(
    config: &Config,
    kind: Kind,
    row: &mut Row,
    ip: &str,
    namespace: &str,
    hostname: &Option<String>,
    service: &Option<String>,
) {
    let host = names::kubernetes_host(
        config.mode,
        ip,
        hostname.as_deref(),
        service.as_deref(),
        namespace,
        &config.cluster_name,
    );
    let name = names::node(&config.basename, &host);
    let parsed_ip: Option<IpAddr> = ip.parse().ok();
    row.verdict = Verdict::Dials;
    let ip_problem = (config.mode != Mode::Hostname)
        .then(|| not_an_ip(ip, &name))
        .flatten();
    let problem = ip_problem
        .or_else(|| kubernetes_problem(config, kind, &name, parsed_ip, hostname, service))
        .or_else(|| {
            let parts = Parts {
                basename: &config.basename,
                ip: parsed_ip,
                hostname: hostname.as_deref(),
                service: service.as_deref(),
                namespace: Some(namespace),
                cluster_domain: None,
                cluster_name: Some(&config.cluster_name),
            };
            let shape = Shape::new(Strategy::Kubernetes, config.mode)
                .expect("the API strategy has every mode");
            disagreement(shape, &parts, &name)
        });
    row.problems.extend(problem);
    row.name = Some(name);
}

/// `Cluster.Strategy.Kubernetes.DNS`: A records only, each dialled as its IP.
fn a_record_dial(config: &Config, row: &mut Row, ip: &str) {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            row.verdict = Verdict::Dials;
            // kubernetes_dns.ex prints the resolver's tuple with :inet_parse.ntoa.
            row.name = Some(names::ip_node(&config.basename, IpAddr::V4(v4)));
        }
        Ok(IpAddr::V6(_)) => {
            row.reason = Some("IPv6: Kubernetes.DNS asks for A records only, so it never sees this address (use DNSSRV, or the Kubernetes strategy in mode :ip)".into());
        }
        Err(_) => row.reason = Some(format!("{ip:?} is not an IP address")),
    }
}

/// `Cluster.Strategy.Kubernetes.DNSSRV`: the SRV target CoreDNS serves for the entry, its
/// hostname or (without one) its dashed IP under the Service.
fn srv_dial(
    config: &Config,
    row: &mut Row,
    ip: &str,
    namespace: &str,
    service: &str,
    hostname: Option<String>,
) {
    let zone = &config.cluster_domain;
    let parts = Parts {
        basename: &config.basename,
        service: Some(service),
        namespace: Some(namespace),
        cluster_domain: Some(zone),
        ..Parts::default()
    };
    let (first, parts, mode) = match &hostname {
        Some(h) => (
            h.clone(),
            Parts {
                hostname: Some(h),
                ..parts
            },
            Mode::Hostname,
        ),
        // CoreDNS names the SRV target of a hostname-less endpoint after its IP.
        None => (
            names::dashed_ip_text(ip),
            Parts {
                ip: ip.parse().ok(),
                ..parts
            },
            Mode::Dns,
        ),
    };
    let name = names::node(
        &config.basename,
        &names::service_host(&first, service, namespace, zone),
    );
    let shape = Shape::new(Strategy::DnsSrv, mode).expect("DNSSRV has modes hostname and dns");
    row.verdict = Verdict::Dials;
    let ip_problem = hostname.is_none().then(|| not_an_ip(ip, &name)).flatten();
    row.problems
        .extend(ip_problem.or_else(|| disagreement(shape, &parts, &name)));
    row.name = Some(name);
    if hostname.is_none() {
        row.warnings.push("no hostname (not a StatefulSet pod): CoreDNS's SRV target is the dashed IP (kube-dns uses a hash label instead, kubernetes#51326); name the pods with `relnode --strategy dnssrv --mode dns`".into());
    }
}

/// The broken shapes of the API strategy that deserve their own words.
fn kubernetes_problem(
    config: &Config,
    kind: Kind,
    name: &str,
    ip: Option<IpAddr>,
    hostname: &Option<String>,
    service: &Option<String>,
) -> Option<String> {
    match config.mode {
        Mode::Hostname if hostname.is_none() => Some(if kind == Kind::Pod {
            format!(
                "no spec.hostname (libcluster reads spec.hostname, not metadata.name; only StatefulSet pods have one), so it dials {name}, a name no pod has; use a StatefulSet, or mode :ip"
            )
        } else {
            format!(
                "no hostname on this address (only pods whose spec.subdomain is this Service, i.e. StatefulSet pods, get one), so libcluster dials {name}, a name no pod has; use a StatefulSet, or mode :ip"
            )
        }),
        Mode::Hostname if service.is_none() => Some(format!(
            "no kubernetes_service_name, so libcluster dials {name} with an empty label; pass --service (and set kubernetes_service_name)"
        )),
        Mode::Dns if matches!(ip, Some(IpAddr::V6(_))) => Some(format!(
            "IPv6 in mode :dns keeps its colons (libcluster replaces only dots), so it dials {name}, which no DNS server has; use mode :ip"
        )),
        _ => None,
    }
}

/// Where relnode's validated name for the same parts differs from what libcluster dials.
fn disagreement(shape: Shape, parts: &Parts, dialled: &str) -> Option<String> {
    match names::node_name(shape, parts) {
        Err(err) => Some(format!("cannot work: {}", err.describe())),
        Ok(own) if own != dialled => Some(format!(
            "a pod named by relnode is {own}; libcluster dials {dialled}, and Erlang needs the two to match byte for byte"
        )),
        Ok(_) => None,
    }
}

pub fn to_text(
    config: &Config,
    kind: Kind,
    rows: &[Row],
    notes: &[String],
    own: Option<(&str, Option<&str>)>,
) -> String {
    // Every text here may come from the input: escaped, so a newline or an escape sequence
    // inside a field cannot forge or hide a line.
    let e = crate::error::escaped;
    let mut out = format!("# {}\n", e(&config.describe_shape(kind)));
    for note in notes {
        out += &format!("# note: {}\n", e(note));
    }
    let shown = |r: &Row| {
        e(&r.name
            .clone()
            .or_else(|| r.ip.clone())
            .unwrap_or_else(|| "-".into()))
    };
    let width = rows.iter().map(|r| shown(r).len()).max().unwrap_or(0);
    for r in rows {
        out += &format!(
            "{:<7} {:<width$}  {}\n",
            r.verdict.word(),
            shown(r),
            e(&r.from)
        );
        if let Some(reason) = &r.reason {
            out += &format!("        why: {}\n", e(reason));
        }
        for p in &r.problems {
            out += &format!("        problem: {}\n", e(p));
        }
        for w in &r.warnings {
            out += &format!("        warning: {}\n", e(w));
        }
    }
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let (dialled, broken) = dialled_counts(rows);
    out += &format!(
        "# {dialled} dialled ({broken} with a problem), {} skipped\n",
        count(Verdict::Skips)
    );
    let crashes = count(Verdict::Crashes);
    if crashes > 0 {
        out += &format!(
            "# libcluster 3.5.0 crashes on {crashes} address(es) above: it dials no node at all while they are listed\n"
        );
    }
    let own = own.map(|(me, from)| (e(me), from.map(e)));
    match own
        .as_ref()
        .map(|(me, from)| (me.as_str(), from.as_deref()))
    {
        Some((me, Some(from))) => out += &format!("# self {me}: dialled ({from})\n"),
        Some((me, None)) if rows.is_empty() => {
            out += &format!(
                "# self {me}: NOT dialled: the list is empty (the selector matched nothing), so libcluster dials nobody\n"
            )
        }
        Some((me, None)) if crashes > 0 => {
            out += &format!("# self {me}: NOT dialled: libcluster crashes before it dials anyone\n")
        }
        Some((me, None)) => {
            out +=
                &format!("# self {me}: NOT among the dialled names: no peer will connect to it\n")
        }
        None => {}
    }
    out
}

pub fn to_json(
    config: &Config,
    kind: Kind,
    rows: &[Row],
    notes: &[String],
    own: Option<(&str, Option<&str>)>,
) -> String {
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "verdict": r.verdict.word(),
                "name": r.name,
                "ip": r.ip,
                "from": r.from,
                "reason": r.reason,
                "problems": r.problems,
                "warnings": r.warnings,
            })
        })
        .collect();
    let mut doc = json!({
        "strategy": config.strategy.to_string(),
        "mode": config.mode.to_string(),
        "input": kind.to_string(),
        "shape": config.describe_shape(kind),
        "crashes": rows.iter().any(|r| r.verdict == Verdict::Crashes),
        "dialled": dialled_counts(rows).0,
        "notes": notes,
        "entries": entries,
    });
    if let Some((me, from)) = own {
        doc["self"] = json!({ "name": me, "dialled": from.is_some(), "from": from });
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libcluster::family::IpFamily;

    fn config(strategy: Strategy, mode: Mode) -> Config {
        Config {
            strategy,
            mode,
            basename: "app".into(),
            cluster_name: "cluster".into(),
            cluster_domain: "cluster.local".into(),
            service: None,
        }
    }

    fn rows(config: &Config, doc: &str) -> Vec<Row> {
        let objects = crate::libcluster::api::parse(doc.as_bytes()).expect("valid document");
        let reader = match config.strategy {
            Strategy::Kubernetes => input::Reader::Endpoints(IpFamily::V4),
            _ => input::Reader::ClusterDns,
        };
        let entries = input::entries(&objects, reader).expect("entries");
        simulate(config, objects.kind(), entries).expect("simulates")
    }

    const STS_ENDPOINTS: &str = r#"{"kind":"Endpoints","metadata":{"name":"db","namespace":"shop"},"subsets":[{
        "addresses":[
          {"ip":"10.42.0.10","hostname":"db-0","targetRef":{"kind":"Pod","name":"db-0","namespace":"shop"}},
          {"ip":"10.42.0.11","targetRef":{"kind":"Pod","name":"web-1","namespace":"shop"}}],
        "notReadyAddresses":[
          {"ip":"10.42.0.12","hostname":"db-2","targetRef":{"kind":"Pod","name":"db-2","namespace":"shop"}}]}]}"#;

    #[test]
    fn hostname_mode_names_and_flags_entries() {
        let rows = rows(&config(Strategy::Kubernetes, Mode::Hostname), STS_ENDPOINTS);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].name.as_deref(),
            Some("app@db-0.db.shop.svc.cluster.local")
        );
        assert!(rows[0].problems.is_empty(), "{:?}", rows[0].problems);
        assert_eq!(
            rows[1].name.as_deref(),
            Some("app@.db.shop.svc.cluster.local")
        );
        assert!(
            rows[1].problems[0].contains("no hostname"),
            "{:?}",
            rows[1].problems
        );
        assert_eq!(rows[2].verdict, Verdict::Skips);
        assert!(
            rows[2]
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("notReadyAddresses")
        );
    }

    #[test]
    fn dns_strategies_read_dns_not_the_api() {
        let a = rows(&config(Strategy::Dns, Mode::Ip), STS_ENDPOINTS);
        assert_eq!(a[1].name.as_deref(), Some("app@10.42.0.11"));
        let srv = rows(&config(Strategy::DnsSrv, Mode::Hostname), STS_ENDPOINTS);
        assert_eq!(
            srv[0].name.as_deref(),
            Some("app@db-0.db.shop.svc.cluster.local")
        );
        assert_eq!(
            srv[1].name.as_deref(),
            Some("app@10-42-0-11.db.shop.svc.cluster.local")
        );
        assert!(srv[1].warnings[0].contains("--mode dns"));
    }

    #[test]
    fn a_non_canonical_ip_string_is_flagged() {
        let doc = r#"{"kind":"Endpoints","metadata":{"name":"a","namespace":"n"},"subsets":[{"addresses":[
            {"ip":"FD00:0:0:0:0:0:0:5","targetRef":{"kind":"Pod","name":"p","namespace":"n"}}]}]}"#;
        let rows = rows(&config(Strategy::Kubernetes, Mode::Ip), doc);
        assert_eq!(rows[0].name.as_deref(), Some("app@FD00:0:0:0:0:0:0:5"));
        assert!(
            rows[0].problems[0].contains("app@fd00::5"),
            "{:?}",
            rows[0].problems
        );
    }
}
