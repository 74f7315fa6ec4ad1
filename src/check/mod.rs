//! `relnode check`: runs, from inside the pod, the lookups libcluster 3.5.0 makes for the
//! configured strategy, and says whether our node name is among the names peers will dial.
//!
//! The engine takes a plain [`CheckInput`], so it does not care how the facts were gathered;
//! `gather` builds one from relnode's inputs. Each probe (`probe/`) asks one thing and writes
//! [`Check`] lines into the one report model (`report.rs`): what was asked, what came back, and
//! for a failure the likely cause and the fix.

pub mod gather;
pub mod handshake;
pub mod json;
pub mod kubeapi;
mod probe;
mod report;
pub mod text;

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::dns::{RecordType, ResolvConf, Resolver};
use crate::libcluster::{Shape, Strategy};
use crate::platform::address::LocalAddress;
pub use report::{Check, Dial, Report, Status, Verdict};

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
    /// The one DNS name dns_cluster or DNSPoll looks up (strategies dnscluster, dnspoll).
    pub query: Option<String>,
    /// This host's addresses, where a miss is shown beside them: the platforms that name the
    /// node after a DNS answer, and DNSPoll. `None` elsewhere (or when getifaddrs failed).
    pub local: Option<Vec<LocalAddress>>,
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
    /// Also TCP-connect to epmd (4369) of every peer that resolves.
    pub peers: bool,
    /// `--dist-port`: handshake with this port, without epmd.
    pub dist_port: Option<u16>,
    /// `--dist-tls`: the peers speak TLS distribution; nothing is sent.
    pub dist_tls: bool,
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
        // The deadline cuts the attempt in progress too: every lookup, request and probe.
        let mut report = run(input, wait.map(|w| start + w));
        report.attempts = attempt;
        let Some(wait) = wait else { return report };
        let elapsed = start.elapsed();
        if !report.failed() || elapsed >= wait {
            return report;
        }
        // A retry waits `delay`; the last one, which `delay` would push past the deadline,
        // starts `margin` before it so that it still has time to ask. With less than that
        // left no retry is made, and the last answers stand.
        let left = wait - elapsed;
        let margin = input.timeout.min(Duration::from_millis(250));
        let sleep = if delay < left {
            delay
        } else {
            match left.checked_sub(margin).filter(|s| !s.is_zero()) {
                Some(sleep) => sleep,
                None => return report,
            }
        };
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
pub fn run(input: &CheckInput, deadline: Option<Instant>) -> Report {
    let mut resolver = Resolver::new(input.resolv.clone(), input.timeout);
    if let Some(deadline) = deadline {
        resolver = resolver.until(deadline);
    }
    let mut checks = vec![probe::own_name::own_name(input, &resolver)];
    let names = match input.shape.strategy {
        Strategy::Dns => probe::dns::dns_strategy(input, &resolver, &mut checks),
        Strategy::DnsSrv => probe::dnssrv::srv_strategy(input, &resolver, &mut checks),
        Strategy::Kubernetes => probe::api_list::api_strategy(input, &resolver, &mut checks),
        Strategy::DnsCluster | Strategy::DnsPoll => {
            probe::query::query_strategy(input, &resolver, &mut checks)
        }
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
        checks.extend(probe::peers::peers(input, &resolver, dialled.as_deref()));
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

/// Which nameservers a lookup asked, and which of them never answered in their share of the
/// time: a timeout names both, not every server resolv.conf lists.
pub struct Servers {
    asked: Vec<IpAddr>,
    silent: Vec<IpAddr>,
}

impl Servers {
    pub fn of(lookup: &crate::dns::Lookup) -> Servers {
        Servers {
            asked: lookup.servers_asked(),
            silent: lookup.servers_timed_out(),
        }
    }
}

fn timeout_check(id: &'static str, asked: String, input: &CheckInput, servers: &Servers) -> Check {
    let answer = if servers.asked.is_empty() {
        format!(
            "no nameserver asked: no time was left (resolv.conf lists {})",
            nameservers(input)
        )
    } else {
        format!(
            "asked {}; no answer from {} within {:?}",
            list_ips(&servers.asked),
            list_ips(&servers.silent),
            input.timeout
        )
    };
    Check::new(id, Status::Fail, asked, answer)
        .because(
            "the pod cannot reach its DNS server, or the server is overloaded",
            "check that a NetworkPolicy allows egress to kube-dns on UDP and TCP 53, that CoreDNS runs (kubectl -n kube-system get pods -l k8s-app=kube-dns), or raise --timeout",
        )
        .not_run()
}

/// The line for a lookup that failed other than by timing out; which part failed (the pod's
/// resolv.conf, or the DNS server) decides the cause. A resolv.conf without a nameserver is a
/// wrong setup (exit 1), a server that cannot answer is a check that could not run.
fn dns_failed(id: &'static str, asked: String, problem: String) -> Check {
    if problem == crate::dns::NO_NAMESERVER {
        return Check::new(id, Status::Fail, asked, problem).because(
            "the pod's resolv.conf names no nameserver, so no name resolves in the pod (no DNS server was asked)",
            "leave the pod's dnsPolicy at ClusterFirst (or give dnsConfig.nameservers); or point --resolv-conf (RELNODE_RESOLV_CONF) at the file the release reads",
        );
    }
    Check::new(id, Status::Fail, asked, problem)
        .because(
            "the DNS server could not answer: an error code, or an answer that is malformed or does not fit",
            "check CoreDNS's logs (kubectl -n kube-system logs -l k8s-app=kube-dns)",
        )
        .not_run()
}

/// The line for an answer with records of another type than asked (a server bug).
fn other_type(id: &'static str, asked: String) -> Check {
    Check::new(id, Status::Fail, asked, "an answer of another type").because(
        "the DNS server answered with records of another type than asked",
        "check CoreDNS's logs and configuration (rewrite or template plugins); report the answer to relnode if CoreDNS is plain",
    )
}

/// A string from a peer or the API, safe to print: control and bidi characters escaped
/// ([`crate::error::escaped`], the rule for all input), cut to 256 characters.
pub fn clean(value: &str) -> String {
    let cut: String = value.chars().take(256).collect();
    let mut out = crate::error::escaped(&cut);
    if value.chars().count() > 256 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libcluster::Mode;

    /// A kubernetes-strategy input of shape `mode` (the probes' tests share it).
    pub(crate) fn input(mode: Mode) -> CheckInput {
        CheckInput {
            node_name: "app@pod-0.svc.ns.svc.cluster.local".into(),
            shape: Shape::new(Strategy::Kubernetes, mode).unwrap(),
            basename: "app".into(),
            pod_ips: vec!["10.0.0.5".parse().unwrap()],
            namespace: Some("ns".into()),
            service: Some("svc".into()),
            query: None,
            local: None,
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
        // Attempts at 0, 0.5 and 1.5 s; a fourth would start with less than the 250 ms margin
        // left of 1.7 s, so none is made and the third's answers stand.
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
            took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
            "{took:?}"
        );
    }
}
