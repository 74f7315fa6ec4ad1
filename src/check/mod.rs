//! `relnode check`: runs, from inside the pod, the lookups libcluster 3.5.0 makes for the
//! configured strategy, and says whether our node name is among the names peers will dial.
//!
//! The engine takes a plain [`CheckInput`], so it does not care how the facts were gathered;
//! `gather` builds one from relnode's inputs. Each check is one [`Check`] line: what was asked,
//! what came back, and for a failure the likely cause and the fix.

pub mod dns;
pub mod gather;
pub mod handshake;
pub mod json;
pub mod kubeapi;
pub mod text;

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::naming::{Mode, Shape, Strategy};
use dns::{Outcome, RecordType, Records, ResolvConf, Resolver, SearchRule};

/// libcluster's `kubernetes_ip_lookup_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Endpoints,
    Pods,
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lookup::Endpoints => "endpoints",
            Lookup::Pods => "pods",
        })
    }
}

/// Where the in-cluster API is reached.
#[derive(Clone, Debug)]
pub struct ApiTarget {
    pub host: String,
    pub port: u16,
    /// Where host and port came from, for the report.
    pub source: String,
}

/// Everything a check needs, gathered beforehand.
#[derive(Clone, Debug)]
pub struct CheckInput {
    /// Our node name, as relnode computes it for the shape.
    pub node_name: String,
    pub shape: Shape,
    pub basename: String,
    /// Our pod IPs; the first is the one our name and records are compared with.
    pub pod_ips: Vec<IpAddr>,
    pub namespace: Option<String>,
    /// libcluster's `service:` (DNS strategies) or `kubernetes_service_name`.
    pub service: Option<String>,
    /// dns_cluster's query (strategy dnscluster).
    pub query: Option<String>,
    pub hostname: Option<String>,
    /// The cluster's DNS domain, e.g. `cluster.local`.
    pub cluster_domain: String,
    /// libcluster's `kubernetes_cluster_name` (its default is `cluster`).
    pub cluster_name: String,
    /// `CLUSTER_DOMAIN` as the release will see it: libcluster reads it for the DNSSRV query
    /// and the API host.
    pub libcluster_domain_env: Option<String>,
    pub resolv: ResolvConf,
    pub service_account_dir: PathBuf,
    pub api: ApiTarget,
    /// libcluster's `kubernetes_selector`.
    pub selector: Option<String>,
    pub lookup: Lookup,
    /// Bounds each lookup and request.
    pub timeout: Duration,
    /// Also probe every peer that resolves: epmd, then the handshake up to its challenge.
    pub peers: bool,
    /// `--dist-port`: handshake with this port, without epmd.
    pub dist_port: Option<u16>,
    /// `--dist-tls`: the peers speak TLS distribution; nothing is sent.
    pub dist_tls: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Fail,
    Warn,
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Check {
    /// A short stable name, e.g. `own-name`, `dns-a`, `api-endpoints`.
    pub id: &'static str,
    pub status: Status,
    pub asked: String,
    pub answer: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
    /// Further lines, e.g. the RBAC YAML that fixes a 403.
    pub extra: Vec<String>,
}

impl Check {
    fn new(
        id: &'static str,
        status: Status,
        asked: impl Into<String>,
        answer: impl Into<String>,
    ) -> Check {
        Check {
            id,
            status,
            asked: asked.into(),
            answer: answer.into(),
            cause: None,
            fix: None,
            extra: Vec::new(),
        }
    }

    fn because(mut self, cause: impl Into<String>, fix: impl Into<String>) -> Check {
        self.cause = Some(cause.into());
        self.fix = Some(fix.into());
        self
    }
}

/// A name libcluster would dial, and whether it is ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dial {
    pub name: String,
    pub ours: bool,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub node: String,
    pub shape: Shape,
    pub checks: Vec<Check>,
    /// The names libcluster would dial, from the strategy's own lookup; `None` when that
    /// lookup failed.
    pub dialled: Option<Vec<Dial>>,
    pub attempts: u32,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }
}

/// Runs the checks; with `wait`, runs them again after a capped exponential backoff while
/// any failed and time is left. Each attempt re-runs every check, so the report shows one
/// moment. `log` hears one line per retry.
pub fn run_with_wait(
    input: &CheckInput,
    wait: Option<Duration>,
    log: &mut dyn FnMut(String),
) -> Report {
    const FIRST_DELAY: Duration = Duration::from_millis(500);
    const MAX_DELAY: Duration = Duration::from_secs(8);
    let start = Instant::now();
    let mut delay = FIRST_DELAY;
    let mut attempt = 1;
    loop {
        let mut report = run(input);
        report.attempts = attempt;
        let Some(wait) = wait else { return report };
        let elapsed = start.elapsed();
        if !report.failed() || elapsed >= wait {
            return report;
        }
        let sleep = delay.min(wait - elapsed);
        let failed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect();
        log(format!(
            "attempt {attempt} at {:.1} s: failed {}; retrying in {:.1} s",
            elapsed.as_secs_f64(),
            failed.join(", "),
            sleep.as_secs_f64()
        ));
        std::thread::sleep(sleep);
        delay = (delay * 2).min(MAX_DELAY);
        attempt += 1;
    }
}

/// One pass over every check the shape has.
pub fn run(input: &CheckInput) -> Report {
    let resolver = Resolver::new(input.resolv.clone(), input.timeout);
    let mut checks = vec![own_name(input, &resolver)];
    let names = match input.shape.strategy {
        Strategy::Dns => dns_strategy(input, &resolver, &mut checks),
        Strategy::DnsSrv => srv_strategy(input, &resolver, &mut checks),
        Strategy::Kubernetes => api_strategy(input, &resolver, &mut checks),
        Strategy::DnsCluster => dnscluster_strategy(input, &resolver, &mut checks),
    };
    let dialled = names.map(|names| {
        let unique: BTreeSet<String> = names.into_iter().collect();
        unique
            .into_iter()
            .map(|name| Dial {
                ours: name == input.node_name,
                name,
            })
            .collect::<Vec<_>>()
    });
    if input.peers {
        match &dialled {
            Some(dialled) => {
                let peers: Vec<&str> = dialled
                    .iter()
                    .filter(|d| !d.ours)
                    .map(|d| d.name.as_str())
                    .collect();
                checks.extend(epmd(input, &resolver, &peers));
            }
            None => checks.push(Check::new(
                "peer-node",
                Status::Skip,
                "handshake with each peer (epmd 4369, then its port)",
                "no peer list: the strategy's lookup failed",
            )),
        }
    }
    Report {
        node: input.node_name.clone(),
        shape: input.shape,
        checks,
        dialled,
        attempts: 1,
    }
}

fn host_of(node: &str) -> &str {
    node.split_once('@').map_or(node, |(_, host)| host)
}

fn our_ip(input: &CheckInput) -> Option<IpAddr> {
    input.pod_ips.first().copied()
}

fn family(input: &CheckInput) -> RecordType {
    match our_ip(input) {
        Some(IpAddr::V6(_)) => RecordType::Aaaa,
        _ => RecordType::A,
    }
}

fn list_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `NXDOMAIN (asked a, b)`; inet_res asks nothing for a dot-less name without a search list.
fn nxdomain(asked: &[String]) -> String {
    if asked.is_empty() {
        "NXDOMAIN without asking: a name without a dot is tried only with resolv.conf's search domains, and it has none".into()
    } else {
        format!("NXDOMAIN (asked {})", asked.join(", "))
    }
}

fn nameservers(input: &CheckInput) -> String {
    let ns: Vec<String> = input
        .resolv
        .nameservers
        .iter()
        .map(|ip| ip.to_string())
        .collect();
    if ns.is_empty() {
        "no nameserver".into()
    } else {
        ns.join(", ")
    }
}

fn timeout_check(id: &'static str, asked: String, input: &CheckInput) -> Check {
    Check::new(
        id,
        Status::Fail,
        asked,
        format!("no answer from {} within {:?}", nameservers(input), input.timeout),
    )
    .because(
        "the pod cannot reach its DNS server, or the server is overloaded",
        "check that a NetworkPolicy allows egress to kube-dns on UDP and TCP 53, that CoreDNS runs (kubectl -n kube-system get pods -l k8s-app=kube-dns), or raise --timeout",
    )
}

/// Every shape: the host part of our name resolves, through the pod's resolver, to our IP.
fn own_name(input: &CheckInput, resolver: &Resolver) -> Check {
    let host = host_of(&input.node_name);
    if host.parse::<IpAddr>().is_ok() {
        return Check::new(
            "own-name",
            Status::Skip,
            format!("resolve {host}"),
            "the host part is an IP address; peers dial it without DNS",
        );
    }
    let rtype = family(input);
    let asked = format!("{rtype} {host} via {}", nameservers(input));
    let lookup = resolver.lookup(host, rtype, SearchRule::Libc);
    let zone_note = zone_mismatch(input, host);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => {
            let answer = format!("{name} -> {}", list_ips(&addrs));
            match our_ip(input) {
                Some(ip) if addrs.contains(&ip) => Check::new("own-name", Status::Ok, asked, format!("{answer} (our IP)")),
                Some(ip) => Check::new("own-name", Status::Fail, asked, answer).because(
                    format!("the name resolves, but not to our IP {ip}: another pod holds this name, or the record is stale"),
                    "make every pod's name unique (hostname, namespace), and check that the pod IP input (MY_POD_IP) is status.podIP",
                ),
                None => Check::new("own-name", Status::Warn, asked, answer).because(
                    "our pod IP is unknown, so the answer cannot be compared with it",
                    "set MY_POD_IP from the downward API (fieldRef status.podIP)",
                ),
            }
        }
        Outcome::Found { .. } => {
            Check::new("own-name", Status::Fail, asked, "an answer of another type")
        }
        Outcome::NxDomain | Outcome::NoData { .. } => {
            let nx = matches!(lookup.outcome, Outcome::NxDomain);
            let answer = if nx {
                nxdomain(&lookup.asked)
            } else {
                format!("the name exists but has no {rtype} record")
            };
            let check = Check::new("own-name", Status::Fail, asked, answer);
            let (cause, fix) = match (input.shape.strategy, input.shape.mode) {
                (Strategy::DnsSrv, Mode::Dns) => (
                    format!(
                        "a Deployment pod's record <ip-with-dashes>.<service>.<ns>.svc.<zone> exists only while the headless Service {} in {} selects the pod and the pod is ready (or the Service has publishNotReadyAddresses: true){zone_note}",
                        input.service.as_deref().unwrap_or("?"),
                        input.namespace.as_deref().unwrap_or("?"),
                    ),
                    "check the Service's clusterIP: None and selector; add publishNotReadyAddresses: true, or use --wait while the pod becomes ready".to_owned(),
                ),
                (_, Mode::Dns) => (
                    format!(
                        "pod A records (<ip-with-dashes>.<ns>.pod.<zone>) exist only when CoreDNS runs with `pods insecure` or `pods verified`; CoreDNS's own default is `pods disabled` and GKE's kube-dns has no pod records (kubeadm, kind and k3s turn them on){zone_note}"
                    ),
                    "add `pods insecure` to the kubernetes block of the CoreDNS Corefile (kubectl -n kube-system edit configmap coredns), or use mode :ip, or mode :hostname with a headless Service".to_owned(),
                ),
                (_, _) => (
                    format!(
                        "this per-pod record of a headless Service exists only when the pod has spec.hostname and spec.subdomain equal to the Service name (a StatefulSet sets both from serviceName), the Service {} in {} is headless (clusterIP: None) and selects the pod, and the pod is ready or the Service has publishNotReadyAddresses: true{zone_note}",
                        input.service.as_deref().unwrap_or("?"),
                        input.namespace.as_deref().unwrap_or("?"),
                    ),
                    "check the StatefulSet's serviceName and the Service's clusterIP: None; add publishNotReadyAddresses: true so peers find pods before they are ready; or use --wait while the pod becomes ready".to_owned(),
                ),
            };
            check.because(cause, fix)
        }
        Outcome::Timeout => timeout_check("own-name", asked, input),
        Outcome::Failed(problem) => Check::new("own-name", Status::Fail, asked, problem).because(
            "the DNS server could not answer",
            "check CoreDNS's logs (kubectl -n kube-system logs -l k8s-app=kube-dns)",
        ),
    }
}

/// `; the name's zone is X but the cluster's domain is Y` when our name ends in another zone.
fn zone_mismatch(input: &CheckInput, host: &str) -> String {
    let domain = input.cluster_domain.trim_end_matches('.');
    if host.ends_with(&format!(".{domain}")) {
        return String::new();
    }
    let zone = match (input.shape.strategy, input.shape.mode) {
        (Strategy::Kubernetes, _) => format!("{}.local", input.cluster_name),
        _ => host.split('.').skip(4).collect::<Vec<_>>().join("."),
    };
    format!(
        "; also, the name ends in {zone} but the cluster's domain is {domain}, so no server has it (for the kubernetes strategy set kubernetes_cluster_name so that <name>.local is the domain)"
    )
}

/// `Cluster.Strategy.Kubernetes.DNS`: `:inet_res.getbyname(service, :a)`, names `app@<ip>`.
fn dns_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    let Some(service) = input.service.as_deref() else {
        checks.push(Check::new(
            "dns-a",
            Status::Skip,
            "A of the headless Service",
            "no --service given",
        ));
        return None;
    };
    let v6 = matches!(our_ip(input), Some(IpAddr::V6(_)));
    let rtype = if v6 { RecordType::Aaaa } else { RecordType::A };
    let id = if v6 { "dns-aaaa" } else { "dns-a" };
    let asked = format!("{rtype} {service} (as inet_res:getbyname does)");
    let lookup = resolver.lookup(service, rtype, SearchRule::InetRes);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => {
            let names: Vec<String> = addrs
                .iter()
                .map(|ip| format!("{}@{ip}", input.basename))
                .collect();
            let answer = format!("{name} -> {}", list_ips(&addrs));
            let ours = our_ip(input).is_some_and(|ip| addrs.contains(&ip));
            let check = if ours && v6 {
                Check::new(id, Status::Warn, asked, format!("{answer} (ours among them)")).because(
                    "libcluster 3.5.0's Kubernetes.DNS asks A records only, so an IPv6 Service gives :nxdomain and nothing is dialled",
                    "give Kubernetes.DNS a resolver: that returns the AAAA answer as an :inet hostent, or use the dnssrv strategy or dns_cluster",
                )
            } else if ours {
                Check::new(id, Status::Ok, asked, format!("{answer} (ours among them)"))
            } else if addrs.len() == 1 {
                Check::new(id, Status::Fail, asked, answer).because(
                    "one address that is not this pod's: the Service is not headless, so DNS gives its ClusterIP and peers would dial the Service, not the pods",
                    "set clusterIP: None on the Service (a headless Service; clusterIP cannot be changed in place: recreate it)",
                )
            } else {
                Check::new(id, Status::Fail, asked, answer).because(
                    format!("our IP {} is not among the Service's addresses: the pod is not ready and the Service lacks publishNotReadyAddresses, or the Service selects other pods", list_ips(&input.pod_ips)),
                    "add publishNotReadyAddresses: true to the headless Service (clustering should not wait for readiness), check its selector, or use --wait until the pod is ready",
                )
            };
            checks.push(check);
            Some(names)
        }
        Outcome::NxDomain => {
            checks.push(
                Check::new(id, Status::Fail, asked, nxdomain(&lookup.asked)).because(
                    "no Service by this name in the names searched: the name or namespace is wrong (a short name resolves only in the pod's own namespace, through the search list)",
                    "set libcluster's service: (and relnode's --service) to the headless Service's name, or its full name <service>.<namespace>.svc.<domain>",
                ),
            );
            None
        }
        Outcome::NoData { name } => {
            let other = if v6 { "IPv4" } else { "IPv6" };
            checks.push(
                Check::new(id, Status::Fail, asked, format!("{name} exists but has no {rtype} record")).because(
                    format!("the Service has no ready endpoint (no pod ready, or its selector matches none), or it is {other}-only"),
                    "check kubectl get endpointslices -l kubernetes.io/service-name=<service>; add publishNotReadyAddresses: true, or use --wait",
                ),
            );
            None
        }
        Outcome::Timeout => {
            checks.push(timeout_check(id, asked, input));
            None
        }
        Outcome::Found { .. } | Outcome::Failed(_) => {
            let problem = match lookup.outcome {
                Outcome::Failed(p) => p,
                _ => "an answer of another type".into(),
            };
            checks.push(Check::new(id, Status::Fail, asked, problem));
            None
        }
    }
}

/// phoenixframework/dns_cluster 0.2: A and AAAA of its query through `:inet_res.getbyname`,
/// each address dialled as `<our basename>@<:inet.ntoa(ip)>`.
fn dnscluster_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    const ID: &str = "dnscluster-query";
    let Some(query) = input.query.as_deref() else {
        checks.push(Check::new(
            ID,
            Status::Skip,
            "A and AAAA of DNS_CLUSTER_QUERY",
            "no --query / DNS_CLUSTER_QUERY given",
        ));
        return None;
    };
    let asked = format!("A and AAAA {query} (as dns_cluster's :inet_res.getbyname does)");
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut missing = Vec::new();
    for rtype in [RecordType::A, RecordType::Aaaa] {
        let lookup = resolver.lookup(query, rtype, SearchRule::InetRes);
        match lookup.outcome {
            Outcome::Found {
                records: Records::Addrs(found),
                ..
            } => addrs.extend(found),
            Outcome::Timeout => {
                checks.push(timeout_check(ID, asked, input));
                return None;
            }
            // One family only is normal; dns_cluster treats every error as no addresses.
            Outcome::NoData { .. } => missing.push(format!("no {rtype}")),
            Outcome::NxDomain => missing.push(format!("{rtype}: {}", nxdomain(&lookup.asked))),
            Outcome::Found { .. } => missing.push(format!("{rtype}: an answer of another type")),
            Outcome::Failed(problem) => missing.push(format!("{rtype}: {problem}")),
        }
    }
    if addrs.is_empty() {
        checks.push(
            Check::new(ID, Status::Fail, asked, missing.join("; ")).because(
                "the query lists no node: dns_cluster dials nothing",
                "set DNS_CLUSTER_QUERY (relnode --query) to the headless Service's name (with publishNotReadyAddresses: true) or, on Fly, <app>.internal",
            ),
        );
        return None;
    }
    let answer = list_ips(&addrs);
    let ours = our_ip(input).is_some_and(|ip| addrs.contains(&ip));
    checks.push(if ours {
        Check::new(ID, Status::Ok, asked, format!("{answer} (ours among them)"))
    } else {
        Check::new(ID, Status::Fail, asked, answer).because(
            format!("our IP {} is not among the query's addresses: peers never dial this node", list_ips(&input.pod_ips)),
            "point the query at the Service that selects this pod, add publishNotReadyAddresses: true, or use --wait until the pod is ready",
        )
    });
    Some(
        addrs
            .into_iter()
            .map(|ip| format!("{}@{}", input.basename, crate::naming::ntoa(ip)))
            .collect(),
    )
}

/// The domain libcluster's DNSSRV appends: `CLUSTER_DOMAIN`, else `cluster.local.`.
fn libcluster_srv_domain(input: &CheckInput) -> String {
    input
        .libcluster_domain_env
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "cluster.local.".into())
}

/// A kube-dns hash label (kubernetes#51326) or CoreDNS's dashed IP: the pod has no hostname.
fn looks_generated(label: &str) -> bool {
    let hex = label.len() >= 8 && label.bytes().all(|b| b.is_ascii_hexdigit());
    let dashed_ip =
        label.split('-').count() == 4 && label.split('-').all(|p| p.parse::<u8>().is_ok());
    hex || dashed_ip
}

/// `Cluster.Strategy.Kubernetes.DNSSRV`: SRV `<service>.<ns>.svc.<CLUSTER_DOMAIN or cluster.local.>`.
fn srv_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    let (Some(service), Some(namespace)) = (input.service.as_deref(), input.namespace.as_deref())
    else {
        checks.push(Check::new(
            "dnssrv",
            Status::Skip,
            "SRV of the headless Service",
            "no service or namespace",
        ));
        return None;
    };
    let domain = libcluster_srv_domain(input);
    let query = format!("{service}.{namespace}.svc.{domain}");
    let asked = format!("SRV {query} (libcluster's query)");
    let ours_domain = input.cluster_domain.trim_end_matches('.');
    let domain_note = if domain.trim_end_matches('.') != ours_domain {
        format!(
            "; libcluster appends {domain} (CLUSTER_DOMAIN {}) but the cluster's domain is {ours_domain}: set CLUSTER_DOMAIN={ours_domain}. in the release's environment",
            if input.libcluster_domain_env.is_some() {
                "as set"
            } else {
                "unset"
            }
        )
    } else {
        String::new()
    };
    let lookup = resolver.lookup(&query, RecordType::Srv, SearchRule::InetRes);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Srv(srvs),
        } => {
            let targets: Vec<&str> = srvs.iter().map(|s| s.target.as_str()).collect();
            let names: Vec<String> = targets
                .iter()
                .map(|t| format!("{}@{t}", input.basename))
                .collect();
            let answer = format!("{name} -> {}", targets.join(", "));
            let our_host = host_of(&input.node_name);
            let check = if targets.contains(&our_host) {
                Check::new(
                    "dnssrv",
                    Status::Ok,
                    asked,
                    format!("{answer} (ours among them)"),
                )
            } else {
                let service_fqdn = query.trim_end_matches('.');
                let (cause, fix) = if targets.contains(&service_fqdn) {
                    (
                        "the target is the Service's own name: the Service is not headless, so every peer would dial app@<service name> (libcluster #149)".to_owned(),
                        "set clusterIP: None on the Service (recreate it)".to_owned(),
                    )
                } else if input.shape.mode == Mode::Hostname
                    && targets
                        .iter()
                        .any(|t| looks_generated(t.split('.').next().unwrap_or("")))
                {
                    (
                        "targets are named by a hash (kube-dns) or the pod IP (CoreDNS): the pods have no spec.hostname/spec.subdomain, so their names cannot be ours (kubernetes#51326)".to_owned(),
                        format!("run the pods as a StatefulSet with serviceName: {service}, or set spec.hostname and spec.subdomain: {service}"),
                    )
                } else {
                    (
                        format!("{our_host} is not among the targets: the pod is not ready and the Service lacks publishNotReadyAddresses, or the hostname, service or namespace differ{}", differing_fact(input, &targets)),
                        "add publishNotReadyAddresses: true to the headless Service, check the StatefulSet's serviceName, or use --wait until the pod is ready".to_owned(),
                    )
                };
                Check::new("dnssrv", Status::Fail, asked, answer)
                    .because(format!("{cause}{domain_note}"), fix)
            };
            checks.push(check);
            Some(names)
        }
        Outcome::NxDomain | Outcome::NoData { .. } => {
            let answer = match &lookup.outcome {
                Outcome::NxDomain => "NXDOMAIN".to_owned(),
                _ => "the name exists but has no SRV record".to_owned(),
            };
            checks.push(Check::new("dnssrv", Status::Fail, asked, answer).because(
                format!("a headless Service with no port has no SRV records (libcluster #121); or the Service {service}, the namespace {namespace} or the domain is wrong, or no pod is ready{domain_note}"),
                "give the headless Service a port (any port, e.g. name: epmd, port: 4369), check service: and namespace: in libcluster's config, and add publishNotReadyAddresses: true",
            ));
            None
        }
        Outcome::Timeout => {
            checks.push(timeout_check("dnssrv", asked, input));
            None
        }
        Outcome::Found { .. } | Outcome::Failed(_) => {
            let problem = match lookup.outcome {
                Outcome::Failed(p) => p,
                _ => "an answer of another type".into(),
            };
            checks.push(Check::new("dnssrv", Status::Fail, asked, problem));
            None
        }
    }
}

/// For a hostname-shaped name missing from `hosts`: which part of ours differs from the
/// closest one (same first label).
fn differing_fact(input: &CheckInput, hosts: &[&str]) -> String {
    let ours: Vec<&str> = host_of(&input.node_name).split('.').collect();
    let Some(closest) = hosts
        .iter()
        .find(|h| h.split('.').next() == ours.first().copied())
    else {
        return format!(
            "; no target starts with our hostname {}",
            ours.first().unwrap_or(&"")
        );
    };
    let theirs: Vec<&str> = closest.split('.').collect();
    let parts = ["hostname", "service", "namespace", "svc", "domain"];
    let differs: Vec<&str> = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            if *i == 4 {
                ours.get(4..) != theirs.get(4..)
            } else {
                ours.get(*i) != theirs.get(*i)
            }
        })
        .map(|(_, p)| *p)
        .collect();
    format!(
        "; the closest target {closest} differs in: {}",
        differs.join(", ")
    )
}

/// One address in the API's answer, as libcluster's parse_response keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Peer {
    ip: String,
    namespace: String,
    hostname: Option<String>,
}

/// libcluster's format_node, from naming's transcription (shared with `simulate`).
fn node_for(input: &CheckInput, peer: &Peer) -> String {
    let host = crate::naming::libcluster_kubernetes_host(
        input.shape.mode,
        &peer.ip,
        peer.hostname.as_deref(),
        input.service.as_deref(),
        &peer.namespace,
        &input.cluster_name,
    );
    format!("{}@{host}", input.basename)
}

/// The host libcluster builds from `kubernetes_master` (default `kubernetes.default.svc`).
fn libcluster_master(input: &CheckInput) -> String {
    master_host(&input.cluster_name, input.libcluster_domain_env.as_deref())
}

/// libcluster's rule: `CLUSTER_DOMAIN`, else `<kubernetes_cluster_name>.local`, is appended
/// unless the master already ends in it or in a dot.
pub fn master_host(cluster_name: &str, domain_env: Option<&str>) -> String {
    let master = "kubernetes.default.svc";
    let domain = domain_env
        .filter(|d| !d.is_empty())
        .map_or_else(|| format!("{cluster_name}.local"), str::to_owned);
    if master.ends_with(&domain) || master.ends_with('.') {
        master.to_owned()
    } else {
        format!("{master}.{domain}")
    }
}

/// `Cluster.Strategy.Kubernetes`: the API host resolves, then the GET it makes.
fn api_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    checks.push(api_host(input, resolver));
    let (Some(namespace), Some(selector)) = (input.namespace.as_deref(), input.selector.as_deref())
    else {
        checks.push(Check::new(
            "api-list",
            Status::Skip,
            "the API request libcluster makes",
            "no namespace or --selector given",
        ));
        return None;
    };
    let query = format!("labelSelector={}", kubeapi::encode_query_value(selector));
    let resource = input.lookup.to_string();
    let path = format!("/api/v1/namespaces/{namespace}/{resource}?{query}");
    let client = match kubeapi::ApiClient::new(
        &input.service_account_dir,
        &input.api.host,
        input.api.port,
        input.timeout,
    ) {
        Ok(client) => client,
        Err(err) => {
            checks.push(
                Check::new("api-list", Status::Fail, format!("GET {path}"), err.to_string()).because(
                    "the service-account token or CA cannot be read",
                    "mount the service-account token (automountServiceAccountToken: true) or pass --service-account-dir",
                ),
            );
            return None;
        }
    };
    let asked = format!("GET {}{path} (from {})", client.base(), input.api.source);
    let response = match client.get(&path) {
        Ok(r) => r,
        Err(err) => {
            checks.push(Check::new("api-list", Status::Fail, asked, err.to_string()).because(
                "the API server cannot be reached or is not who it claims to be",
                "check KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT, egress NetworkPolicy to the API server, and that ca.crt is the cluster's CA",
            ));
            return None;
        }
    };
    match response.status {
        200 => {}
        403 => {
            checks.push(forbidden(&asked, &response.body, namespace, &resource, ""));
            return None;
        }
        401 => {
            checks.push(Check::new("api-list", Status::Fail, asked, format!("401 {}", status_message(&response.body))).because(
                "the API server rejected the service-account token (expired, or of another cluster)",
                "let the kubelet mount a fresh projected token (restart the pod); do not copy tokens between clusters",
            ));
            return None;
        }
        code => {
            checks.push(
                Check::new(
                    "api-list",
                    Status::Fail,
                    asked,
                    format!("{code} {}", status_message(&response.body)),
                )
                .because(
                    "libcluster logs this and keeps its old node list",
                    "read the message; a 404 usually means a wrong namespace",
                ),
            );
            return None;
        }
    }
    let parsed = match serde_json::from_str::<serde_json::Value>(&response.body) {
        Ok(v) => v,
        Err(err) => {
            checks.push(Check::new(
                "api-list",
                Status::Fail,
                asked,
                format!("the body is not JSON: {err}"),
            ));
            return None;
        }
    };
    let (peers, not_ready, no_target_ref) = match input.lookup {
        Lookup::Endpoints => parse_endpoints(&parsed),
        Lookup::Pods => (parse_pods(&parsed), Vec::new(), Vec::new()),
    };
    let items = parsed["items"].as_array().map_or(0, Vec::len);
    let names: Vec<String> = peers.iter().map(|p| node_for(input, p)).collect();
    let ours = our_ip(input).map(|ip| ip.to_string());
    let our_entry = peers.iter().find(|p| Some(&p.ip) == ours.as_ref());
    let answer = format!(
        "200: {items} {resource} object(s), {} address(es): {}",
        peers.len(),
        peers
            .iter()
            .map(|p| p.ip.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let check = if !no_target_ref.is_empty() {
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("the addresses {} have no targetRef; libcluster 3.5.0's parser crashes on them (its PR #216)", no_target_ref.join(", ")),
            "select only Endpoints managed for a Service with a pod selector (not hand-written Endpoints)",
        )
    } else if names.contains(&input.node_name) {
        Check::new(
            "api-list",
            Status::Ok,
            asked,
            format!("{answer}; our name among the names built"),
        )
    } else if items == 0 {
        let (cause, fix) = match input.lookup {
            Lookup::Endpoints => (
                format!(
                    "no Endpoints object matches {selector:?}: an Endpoints object carries the Service's labels (the Service's metadata.labels), not the pods' labels"
                ),
                "put the label on the Service (metadata.labels), or set kubernetes_ip_lookup_mode: :pods (--lookup pods) to match the pods' labels",
            ),
            Lookup::Pods => (
                format!("no pod in {namespace} has labels matching {selector:?}"),
                "make kubernetes_selector (--selector) match the pod template's labels",
            ),
        };
        Check::new("api-list", Status::Fail, asked, answer).because(cause, fix)
    } else if let Some(entry) = our_entry {
        let built = node_for(input, entry);
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("our pod is in the answer, but libcluster builds {built} from it, not {}{}", input.node_name, api_difference(input, entry)),
            "make relnode's inputs match libcluster's config (relnode env --explain shows each), or the pod's spec.hostname/subdomain",
        )
    } else if ours.as_ref().is_some_and(|ip| not_ready.contains(ip)) {
        Check::new("api-list", Status::Fail, asked, answer).because(
            "our pod is listed under notReadyAddresses: libcluster reads only ready addresses",
            "use --wait until the pod is ready, or --lookup pods (kubernetes_ip_lookup_mode: :pods), which lists pods whatever their readiness",
        )
    } else {
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("our IP {} is not in the answer: the selector {selector:?} selects other objects, or the pod is not ready", ours.as_deref().unwrap_or("?")),
            "check kubernetes_selector against this pod's Service (endpoints) or labels (pods)",
        )
    };
    checks.push(check);
    if input.lookup == Lookup::Endpoints {
        checks.push(endpoint_slices(&client, namespace, &query, &peers));
    }
    Some(names)
}

/// Which fact differs between our name and the one built from our own entry.
fn api_difference(input: &CheckInput, entry: &Peer) -> String {
    let mut differs = Vec::new();
    if input.namespace.as_deref() != Some(entry.namespace.as_str()) {
        differs.push(format!(
            "namespace (ours {}, the pod's {})",
            input.namespace.as_deref().unwrap_or("?"),
            entry.namespace
        ));
    }
    if input.shape.mode == Mode::Hostname && input.hostname.as_deref() != entry.hostname.as_deref()
    {
        differs.push(format!(
            "hostname (ours {}, the address's {}; Endpoints carry a hostname only when the pod's spec.subdomain is the Service's name)",
            input.hostname.as_deref().unwrap_or("?"),
            entry.hostname.as_deref().unwrap_or("none")
        ));
    }
    let host = host_of(&input.node_name);
    let zone = format!(".{}.local", input.cluster_name);
    if input.shape.mode != Mode::Ip && !host.ends_with(&zone) {
        differs.push(format!(
            "domain (libcluster appends {zone}: kubernetes_cluster_name)"
        ));
    }
    if input.shape.mode == Mode::Hostname && !differs.iter().any(|d| d.starts_with("hostname")) {
        differs.push("service (kubernetes_service_name)".into());
    }
    if differs.is_empty() {
        String::new()
    } else {
        format!("; differs: {}", differs.join("; "))
    }
}

/// A string from the API, safe to print: control characters escaped, cut to 256 characters.
fn clean(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(256)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if value.chars().count() > 256 {
        out.push('…');
    }
    out
}

fn text_field(value: &serde_json::Value) -> Option<String> {
    value.as_str().map(clean)
}

/// (ready addresses, not-ready IPs, addresses without targetRef) of an EndpointsList.
fn parse_endpoints(list: &serde_json::Value) -> (Vec<Peer>, Vec<String>, Vec<String>) {
    let mut peers = Vec::new();
    let mut not_ready = Vec::new();
    let mut no_ref = Vec::new();
    for item in list["items"].as_array().into_iter().flatten() {
        for subset in item["subsets"].as_array().into_iter().flatten() {
            for address in subset["addresses"].as_array().into_iter().flatten() {
                let ip = text_field(&address["ip"]).unwrap_or_default();
                match text_field(&address["targetRef"]["namespace"]) {
                    Some(namespace) => peers.push(Peer {
                        ip,
                        namespace,
                        hostname: text_field(&address["hostname"]),
                    }),
                    None => no_ref.push(ip),
                }
            }
            for address in subset["notReadyAddresses"].as_array().into_iter().flatten() {
                not_ready.extend(text_field(&address["ip"]));
            }
        }
    }
    (peers, not_ready, no_ref)
}

fn parse_pods(list: &serde_json::Value) -> Vec<Peer> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pod| {
            Some(Peer {
                ip: text_field(&pod["status"]["podIP"])?,
                namespace: text_field(&pod["metadata"]["namespace"])?,
                hostname: text_field(&pod["spec"]["hostname"]),
            })
        })
        .collect()
}

fn status_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| text_field(&v["message"]))
        .unwrap_or_else(|| clean(body))
}

/// A 403: the verb and resource, the RBAC that fixes it, and what libcluster does meanwhile.
fn forbidden(asked: &str, body: &str, namespace: &str, resource: &str, group: &str) -> Check {
    let message = status_message(body);
    // `User "system:serviceaccount:NS:SA" cannot ...`
    let account = message
        .split("system:serviceaccount:")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|ns_sa| ns_sa.split_once(':'))
        .map_or("default", |(_, sa)| sa)
        .to_owned();
    let group_yaml = if group.is_empty() {
        "\"\"".to_owned()
    } else {
        group.to_owned()
    };
    let role = format!("{}-{resource}-reader", account);
    let yaml = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {role}\n  namespace: {namespace}\nrules:\n  - apiGroups: [{group_yaml}]\n    resources: [{resource}]\n    verbs: [list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {role}\n  namespace: {namespace}\nsubjects:\n  - kind: ServiceAccount\n    name: {account}\n    namespace: {namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {role}"
    );
    let (id, status) = if group.is_empty() {
        ("api-list", Status::Fail)
    } else {
        ("api-endpointslices", Status::Warn)
    };
    let mut check = Check::new(id, status, asked, format!("403 Forbidden: {message}")).because(
        format!(
            "the service account {account} may not list {resource}{} in namespace {namespace}",
            if group.is_empty() {
                String::new()
            } else {
                format!(" (group {group})")
            }
        ),
        "apply this Role and RoleBinding (kubectl apply -f -):",
    );
    check.extra = yaml.lines().map(str::to_owned).collect();
    if group.is_empty() {
        check.extra.push(
            "warning: libcluster treats a 403 as \"no peers\" and disconnects every node it was connected to".into(),
        );
    }
    check
}

/// Endpoints are deprecated (1.33) and may be empty where EndpointSlices are not: compare.
fn endpoint_slices(
    client: &kubeapi::ApiClient,
    namespace: &str,
    query: &str,
    endpoints: &[Peer],
) -> Check {
    let path = format!("/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices?{query}");
    let asked = format!("GET {}{path}", client.base());
    let response = match client.get(&path) {
        Ok(r) => r,
        Err(err) => return Check::new("api-endpointslices", Status::Warn, asked, err.to_string()),
    };
    match response.status {
        200 => {}
        403 => {
            return forbidden(
                &asked,
                &response.body,
                namespace,
                "endpointslices",
                "discovery.k8s.io",
            );
        }
        code => {
            return Check::new(
                "api-endpointslices",
                Status::Warn,
                asked,
                format!("{code} {}", status_message(&response.body)),
            );
        }
    }
    let Ok(list) = serde_json::from_str::<serde_json::Value>(&response.body) else {
        return Check::new(
            "api-endpointslices",
            Status::Warn,
            asked,
            "the body is not JSON",
        );
    };
    let mut slice_ips = BTreeSet::new();
    for slice in list["items"].as_array().into_iter().flatten() {
        for endpoint in slice["endpoints"].as_array().into_iter().flatten() {
            // Absent `ready` means ready (discovery.k8s.io/v1).
            if endpoint["conditions"]["ready"].as_bool() == Some(false) {
                continue;
            }
            for ip in endpoint["addresses"].as_array().into_iter().flatten() {
                slice_ips.extend(text_field(ip));
            }
        }
    }
    let endpoint_ips: BTreeSet<String> = endpoints.iter().map(|p| p.ip.clone()).collect();
    let show = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    if slice_ips == endpoint_ips {
        Check::new(
            "api-endpointslices",
            Status::Ok,
            asked,
            format!(
                "the same ready addresses as Endpoints: {}",
                show(&slice_ips)
            ),
        )
    } else {
        Check::new(
            "api-endpointslices",
            Status::Warn,
            asked,
            format!("ready addresses {} but Endpoints hold {}", show(&slice_ips), show(&endpoint_ips)),
        )
        .because(
            "Endpoints and EndpointSlices disagree: Endpoints is deprecated since Kubernetes 1.33 and may be capped (1000 addresses) or no longer maintained (KEP-4974); libcluster 3.5.0 reads only Endpoints",
            "use --lookup pods (kubernetes_ip_lookup_mode: :pods), or a strategy that does not read Endpoints (dns, dnssrv)",
        )
    }
}

/// libcluster's API host resolves from the pod (it dials the name, not KUBERNETES_SERVICE_HOST).
fn api_host(input: &CheckInput, resolver: &Resolver) -> Check {
    let master = libcluster_master(input);
    let asked = format!("A {master} (libcluster's API host)");
    let lookup = resolver.lookup(&master, RecordType::A, SearchRule::Libc);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => Check::new(
            "api-host",
            Status::Ok,
            asked,
            format!("{name} -> {}", list_ips(&addrs)),
        ),
        Outcome::NoData { .. } => {
            let v6 = resolver.lookup(&master, RecordType::Aaaa, SearchRule::Libc);
            let answer = match v6.outcome {
                Outcome::Found {
                    records: Records::Addrs(a),
                    ..
                } => format!("AAAA only: {}", list_ips(&a)),
                _ => "no A record".into(),
            };
            Check::new("api-host", Status::Warn, asked, answer).because(
                "libcluster's :httpc resolves the API host over IPv4 only, so every poll fails with nxdomain on an IPv6-only cluster",
                "call :httpc.set_options(ipfamily: :inet6fb4) when the application starts",
            )
        }
        Outcome::NxDomain => {
            let domain = input.cluster_domain.trim_end_matches('.');
            Check::new("api-host", Status::Fail, asked, nxdomain(&lookup.asked)).because(
                format!("libcluster builds the API host from CLUSTER_DOMAIN, else <kubernetes_cluster_name>.local ({}.local), but the cluster's domain is {domain}", input.cluster_name),
                format!("set CLUSTER_DOMAIN={domain} in the release's environment, or kubernetes_master: \"kubernetes.default.svc.{domain}\""),
            )
        }
        Outcome::Timeout => timeout_check("api-host", asked, input),
        Outcome::Found { .. } | Outcome::Failed(_) => {
            let problem = match lookup.outcome {
                Outcome::Failed(p) => p,
                _ => "an answer of another type".into(),
            };
            Check::new("api-host", Status::Fail, asked, problem)
        }
    }
}

/// `--peers`: each peer's epmd, then the distribution handshake up to the peer's challenge,
/// which names the node (no cookie, nothing after it); all peers at once.
fn epmd(input: &CheckInput, resolver: &Resolver, peers: &[&str]) -> Vec<Check> {
    handshake::checks(input, resolver, peers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(mode: Mode) -> CheckInput {
        CheckInput {
            node_name: "app@pod-0.svc.ns.svc.cluster.local".into(),
            shape: Shape::new(Strategy::Kubernetes, mode).unwrap(),
            basename: "app".into(),
            pod_ips: vec!["10.0.0.5".parse().unwrap()],
            namespace: Some("ns".into()),
            service: Some("svc".into()),
            query: None,
            hostname: Some("pod-0".into()),
            cluster_domain: "cluster.local".into(),
            cluster_name: "cluster".into(),
            libcluster_domain_env: None,
            resolv: ResolvConf::default(),
            service_account_dir: PathBuf::new(),
            api: ApiTarget {
                host: "127.0.0.1".into(),
                port: 443,
                source: "test".into(),
            },
            selector: Some("app=x".into()),
            lookup: Lookup::Endpoints,
            timeout: Duration::from_secs(1),
            peers: false,
            dist_port: None,
            dist_tls: false,
        }
    }

    /// The names libcluster's format_node builds, per mode, as in its source.
    #[test]
    fn names_as_format_node_builds_them() {
        let peer = Peer {
            ip: "10.0.0.5".into(),
            namespace: "ns".into(),
            hostname: Some("pod-0".into()),
        };
        assert_eq!(node_for(&input(Mode::Ip), &peer), "app@10.0.0.5");
        assert_eq!(
            node_for(&input(Mode::Dns), &peer),
            "app@10-0-0-5.ns.pod.cluster.local"
        );
        assert_eq!(
            node_for(&input(Mode::Hostname), &peer),
            "app@pod-0.svc.ns.svc.cluster.local"
        );
        let bare = Peer {
            hostname: None,
            ..peer
        };
        assert_eq!(
            node_for(&input(Mode::Hostname), &bare),
            "app@.svc.ns.svc.cluster.local"
        );
    }

    #[test]
    fn master_host_follows_cluster_domain_env() {
        let mut i = input(Mode::Ip);
        assert_eq!(
            libcluster_master(&i),
            "kubernetes.default.svc.cluster.local"
        );
        i.libcluster_domain_env = Some("k8s.example".into());
        assert_eq!(libcluster_master(&i), "kubernetes.default.svc.k8s.example");
    }

    /// Backoff doubles from 0.5 s and the last sleep is cut to the time left; every retry is
    /// logged. (A failing check that needs no network: a dot-less Service, no search list.)
    #[test]
    fn wait_backs_off_and_stops_when_time_runs_out() {
        let mut i = input(Mode::Ip);
        i.shape = Shape::new(Strategy::Dns, Mode::Ip).unwrap();
        i.node_name = "app@10.0.0.5".into();
        let mut lines = Vec::new();
        let start = Instant::now();
        let report = run_with_wait(&i, Some(Duration::from_millis(1700)), &mut |l| {
            lines.push(l)
        });
        let took = start.elapsed();
        assert!(report.failed());
        // Attempts at 0, 0.5 and 1.5 s; the third sleep is cut to what is left of 1.7 s (on a
        // loaded machine the third attempt may start too late to sleep at all).
        let delays: Vec<f64> = lines
            .iter()
            .map(|l| {
                let after = l.split("retrying in ").nth(1).expect("a delay");
                after.trim_end_matches(" s").parse().expect("seconds")
            })
            .collect();
        assert_eq!(&delays[..2], &[0.5, 1.0], "{lines:?}");
        assert!(delays[2..].iter().all(|d| *d <= 0.2), "{lines:?}");
        assert_eq!(report.attempts as usize, lines.len() + 1);
        assert!(lines[0].contains("failed dns-a"), "{lines:?}");
        assert!(
            took >= Duration::from_millis(1700) && took < Duration::from_secs(4),
            "{took:?}"
        );
    }

    #[test]
    fn api_strings_are_printed_escaped_and_cut() {
        assert_eq!(clean("pod-0"), "pod-0");
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(clean(&"x".repeat(300)).chars().count(), 257);
    }

    #[test]
    fn generated_target_labels() {
        assert!(looks_generated("6c35363039306361"));
        assert!(looks_generated("10-42-1-49"));
        assert!(!looks_generated("pod-0"));
        assert!(!looks_generated("cafe"));
    }

    #[test]
    fn forbidden_names_account_and_prints_rbac() {
        let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints is forbidden: User \"system:serviceaccount:ns:myapp\" cannot list resource \"endpoints\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","details":{"kind":"endpoints"},"code":403}"#;
        let check = forbidden("GET x", body, "ns", "endpoints", "");
        assert_eq!(check.status, Status::Fail);
        let extra = check.extra.join("\n");
        assert!(extra.contains("name: myapp\n    namespace: ns"), "{extra}");
        assert!(
            extra.contains("resources: [endpoints]\n    verbs: [list]"),
            "{extra}"
        );
        assert!(extra.contains("disconnects every node"), "{extra}");
    }
}
