//! A small synchronous DNS client: A, AAAA and SRV over UDP (TCP when the answer is truncated),
//! asking the nameservers of the pod's resolv.conf in the order and with the search rules that
//! peers use. Core, not `check`'s: the start-up path resolves with it too.
//!
//! An answer is believed only when it is to the question asked (`wire`); every blocking call
//! ends by the lookup's deadline (`transport`); each nameserver gets its share of the time, and
//! every question sent is recorded on the [`Lookup`] so a report can say who was asked, who
//! was silent, and where Erlang's inet_res would have believed what relnode did not.
//!
//! Hand-written rather than `hickory-proto`: relnode asks three record types and reads four
//! (A, AAAA, SRV, CNAME), which is a few hundred lines, while hickory-proto brings its whole
//! record zoo into a start-up helper (BENCHMARKS.md has the measurement). Every query is bounded
//! by a deadline; no thread, no async runtime.

mod conf;
mod transport;
mod wire;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use transport::AskError;
pub use wire::Rejected;
use wire::{Question, Reply};

/// The resolver is configured by resolv.conf (its nameservers asked on port 53, as every
/// resolver does).
pub use conf::{ResolvConf, words};

/// The port every nameserver in resolv.conf is asked on.
const DNS_PORT: u16 = 53;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordType {
    A,
    Aaaa,
    Srv,
}

impl RecordType {
    fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Srv => "SRV",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// Without the trailing dot, as Erlang hands it to libcluster.
    pub target: String,
}

/// The records of the asked type in an answer (CNAMEs followed by the server are skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Records {
    Addrs(Vec<IpAddr>),
    Srv(Vec<Srv>),
}

impl Records {
    pub fn is_empty(&self) -> bool {
        match self {
            Records::Addrs(a) => a.is_empty(),
            Records::Srv(s) => s.is_empty(),
        }
    }
}

/// The problem of a lookup with no server to ask: the pod's resolv.conf lists none.
pub const NO_NAMESERVER: &str = "resolv.conf names no nameserver";

/// How one lookup ended. NXDOMAIN (the name does not exist) and no-data (it exists, but has
/// no record of this type) have different causes in Kubernetes, so they stay apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found {
        name: String,
        records: Records,
    },
    NoData {
        name: String,
    },
    NxDomain,
    Timeout,
    /// SERVFAIL, REFUSED, a malformed answer, or no nameserver at all.
    Failed(String),
}

/// What one nameserver did with one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TryResult {
    /// An answer that was believed: records, no data or NXDOMAIN.
    Answered,
    /// No believed answer within `waited`.
    TimedOut { waited: Duration },
    /// SERVFAIL, REFUSED or another rcode: the next nameserver is asked.
    ServerFailed(String),
    /// It answered, but not our question (or not well-formed).
    Rejected(Rejected),
    /// The socket failed, e.g. connection refused.
    Error(String),
}

/// One question to one nameserver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Try {
    pub server: IpAddr,
    /// The fully qualified name asked.
    pub name: String,
    pub result: TryResult,
}

/// A lookup's outcome, every fully qualified name asked, and who was asked.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub outcome: Outcome,
    pub asked: Vec<String>,
    /// Every question sent, in order: which server, which name, how it went.
    pub tries: Vec<Try>,
    /// What else the answers said: CNAMEs followed, records of other names ignored, and each
    /// answer relnode rejected that Erlang's inet_res (libcluster's resolver) would believe.
    pub notes: Vec<String>,
}

impl Lookup {
    fn new() -> Lookup {
        Lookup {
            outcome: Outcome::NxDomain,
            asked: Vec::new(),
            tries: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The nameservers asked, each once, in the order first asked.
    pub fn servers_asked(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for t in &self.tries {
            if !out.contains(&t.server) {
                out.push(t.server);
            }
        }
        out
    }

    /// The nameservers asked that never answered within their share of the time.
    pub fn servers_timed_out(&self) -> Vec<IpAddr> {
        self.servers_asked()
            .into_iter()
            .filter(|ip| {
                self.tries
                    .iter()
                    .filter(|t| t.server == *ip)
                    .all(|t| matches!(t.result, TryResult::TimedOut { .. }))
            })
            .collect()
    }

    // The same difference is in each rejected answer's message; this is for tests.
    #[cfg(test)]
    /// Whether libcluster's inet_res would have believed an answer relnode rejected.
    pub fn inet_res_differs(&self) -> bool {
        self.tries.iter().any(|t| match &t.result {
            TryResult::Rejected(r) => r.inet_res_accepts(),
            _ => false,
        })
    }
}

/// The order of names a resolver tries for a relative name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchRule {
    /// glibc: a name with at least `ndots` dots is tried as is first, then with each search
    /// domain; a name with fewer dots the other way round. `inet:getaddr` in a release
    /// (the native resolver) and epmd dialling go this way.
    Libc,
    /// Erlang's `inet_res:getbyname`, which libcluster's DNS strategies call: ndots is not read;
    /// a name without a dot goes only through the search list, a dotted one is tried as is and
    /// then with each search domain.
    InetRes,
    /// Erlang's `inet_res:lookup`, which libcluster's DNSPoll calls: the name as given, no
    /// search list at all (a single label is asked as is, at the root).
    AsGiven,
}

#[derive(Clone, Debug)]
pub struct Resolver {
    pub conf: ResolvConf,
    /// Bounds one whole lookup, search list included (relnode's `--timeout`).
    pub timeout: Duration,
    /// No lookup runs past this instant: the caller's own deadline (`check --wait`'s).
    pub deadline: Option<Instant>,
    /// The port nameservers are asked on: 53, except for tests' own servers.
    pub port: u16,
}

/// The least time a nameserver is given in a round: a round trip on a loaded node.
const MIN_TRY: Duration = Duration::from_millis(200);

impl Resolver {
    pub fn new(conf: ResolvConf, timeout: Duration) -> Resolver {
        Resolver {
            conf,
            timeout,
            deadline: None,
            port: DNS_PORT,
        }
    }

    /// The server's socket address, with the zone resolv.conf gave a link-local one.
    fn server(&self, ip: IpAddr) -> SocketAddr {
        match ip {
            IpAddr::V6(v6) => {
                let scope = self
                    .conf
                    .zones
                    .iter()
                    .find(|(z, _)| *z == v6)
                    .map_or(0, |(_, scope)| *scope);
                SocketAddr::V6(std::net::SocketAddrV6::new(v6, self.port, 0, scope))
            }
            v4 => SocketAddr::new(v4, self.port),
        }
    }

    /// Ends every lookup by `deadline` too, e.g. `check --wait`'s, so a lookup in progress
    /// is cut when the caller's time is up.
    pub fn until(mut self, deadline: Instant) -> Resolver {
        self.deadline = Some(deadline);
        self
    }

    /// The deadline of a lookup starting now: `timeout` from now, or the caller's if sooner.
    pub fn deadline_from_now(&self) -> Instant {
        let own = Instant::now() + self.timeout;
        self.deadline.map_or(own, |d| d.min(own))
    }

    /// The fully qualified names `rule` tries for `name`, in order.
    pub fn candidates(&self, name: &str, rule: SearchRule) -> Vec<String> {
        if let Some(absolute) = name.strip_suffix('.') {
            return vec![absolute.to_owned()];
        }
        let dots = name.matches('.').count();
        let searched = self.conf.search.iter().map(|d| {
            if d.is_empty() {
                name.to_owned()
            } else {
                format!("{name}.{d}")
            }
        });
        match rule {
            SearchRule::Libc if dots >= self.conf.ndots as usize => {
                std::iter::once(name.to_owned()).chain(searched).collect()
            }
            SearchRule::Libc => searched.chain(std::iter::once(name.to_owned())).collect(),
            // inet_res's search list is resolv.conf's search (or domain) line; with neither it
            // is [""], so a single label is asked as given (OTP 25, observed).
            SearchRule::InetRes if dots == 0 && self.conf.search.is_empty() => {
                vec![name.to_owned()]
            }
            SearchRule::InetRes if dots == 0 => searched.collect(),
            SearchRule::InetRes => std::iter::once(name.to_owned()).chain(searched).collect(),
            SearchRule::AsGiven => vec![name.to_owned()],
        }
    }

    /// Looks `name` up as `rule` does, within `timeout` (and the caller's deadline).
    pub fn lookup(&self, name: &str, rtype: RecordType, rule: SearchRule) -> Lookup {
        self.lookup_by(name, rtype, rule, self.deadline_from_now())
    }

    /// Looks `name` up as `rule` does, until `deadline`: the first name that has records of
    /// the type wins.
    pub fn lookup_by(
        &self,
        name: &str,
        rtype: RecordType,
        rule: SearchRule,
        deadline: Instant,
    ) -> Lookup {
        let deadline = self.deadline.map_or(deadline, |d| d.min(deadline));
        let mut lookup = Lookup::new();
        let mut best: Option<Outcome> = None;
        for candidate in self.candidates(name, rule) {
            lookup.asked.push(candidate.clone());
            let outcome = self.query(&candidate, rtype, deadline, &mut lookup);
            match outcome {
                // A timeout or server failure stops the search, as in glibc: the next names
                // would meet the same server.
                Outcome::Found { .. } | Outcome::Timeout | Outcome::Failed(_) => {
                    lookup.outcome = outcome;
                    return lookup;
                }
                // no-data says more than NXDOMAIN: the name exists, with other types.
                Outcome::NoData { .. } => best = Some(outcome),
                Outcome::NxDomain => {
                    best.get_or_insert(outcome);
                }
            }
        }
        lookup.outcome = best.unwrap_or(Outcome::NxDomain);
        lookup
    }

    /// One fully qualified name at each nameserver in turn, `attempts` rounds, until
    /// `deadline`. Each server gets its share of the time left in the round, so every
    /// nameserver in resolv.conf is asked even when the first is silent.
    fn query(
        &self,
        fqdn: &str,
        rtype: RecordType,
        deadline: Instant,
        trace: &mut Lookup,
    ) -> Outcome {
        let q = match Question::new(fqdn, rtype, query_id()) {
            Ok(q) => q,
            Err(problem) => return Outcome::Failed(problem),
        };
        let servers = &self.conf.nameservers;
        if servers.is_empty() {
            return Outcome::Failed(NO_NAMESERVER.into());
        }
        let first = trace.tries.len();
        let cap = Duration::from_secs(u64::from(self.conf.timeout_secs.max(1)));
        'rounds: for _ in 0..self.conf.attempts.max(1) {
            for (i, ip) in servers.iter().enumerate() {
                let now = Instant::now();
                let left = deadline.saturating_duration_since(now);
                if left.is_zero() {
                    break 'rounds;
                }
                let share = left / (servers.len() - i) as u32;
                let wait = share.max(MIN_TRY).min(cap).min(left);
                let server = self.server(*ip);
                let (result, outcome) = match transport::exchange(server, &q, now + wait) {
                    Ok(reply) => judge(server, reply, trace),
                    Err(AskError::Timeout) => (TryResult::TimedOut { waited: wait }, None),
                    Err(AskError::Rejected(r)) => {
                        if r.inet_res_accepts() {
                            trace.notes.push(inet_res_note(server, fqdn, &r));
                        }
                        (TryResult::Rejected(r), None)
                    }
                    Err(AskError::Io(problem)) => (TryResult::Error(problem), None),
                };
                trace.tries.push(Try {
                    server: *ip,
                    name: fqdn.to_owned(),
                    result,
                });
                if let Some(outcome) = outcome {
                    return outcome;
                }
            }
        }
        unanswered(&trace.tries[first..], self.port)
    }
}

/// What a believed answer means: final (records, no data, NXDOMAIN), or ask the next server.
fn judge(server: SocketAddr, reply: Reply, trace: &mut Lookup) -> (TryResult, Option<Outcome>) {
    if !reply.chain.is_empty() {
        trace.notes.push(format!(
            "{} is an alias: {}",
            reply.question,
            reply.chain.join(" -> ")
        ));
    }
    if !reply.ignored.is_empty() {
        trace.notes.push(format!(
            "{server} also sent records of {}, neither the name asked ({}) nor its CNAME chain: ignored, as inet_res ignores them",
            reply.ignored.join(", "),
            reply.question
        ));
    }
    let outcome = match reply.rcode {
        0 if reply.records.is_empty() => Outcome::NoData {
            name: reply.question,
        },
        0 => Outcome::Found {
            name: reply.question,
            records: reply.records,
        },
        3 => Outcome::NxDomain,
        code => {
            let failed = format!("{server} answered {}", rcode_name(code));
            return (TryResult::ServerFailed(failed), None);
        }
    };
    (TryResult::Answered, Some(outcome))
}

fn inet_res_note(server: SocketAddr, fqdn: &str, r: &Rejected) -> String {
    let rcode = r.rcode.map_or_else(String::new, rcode_name);
    format!(
        "{server} sent {rcode} for {fqdn} in {}; relnode ignored it, but Erlang's inet_res (libcluster's resolver) checks id and question only in NOERROR answers and would take it as {rcode}",
        r.why
    )
}

/// The outcome when no server gave a believed answer: a timeout only if all were silent;
/// otherwise what each server did, so the report names them.
fn unanswered(tries: &[Try], port: u16) -> Outcome {
    if tries
        .iter()
        .all(|t| matches!(t.result, TryResult::TimedOut { .. }))
    {
        return Outcome::Timeout;
    }
    let mut last: Vec<&Try> = Vec::new();
    for t in tries.iter().rev() {
        if !last.iter().any(|l| l.server == t.server) {
            last.insert(0, t);
        }
    }
    let parts: Vec<String> = last
        .iter()
        .map(|t| {
            let server = SocketAddr::new(t.server, port);
            match &t.result {
                TryResult::TimedOut { waited } => {
                    format!("{server}: no answer within {:.1} s", waited.as_secs_f64())
                }
                TryResult::ServerFailed(problem) | TryResult::Error(problem) => problem.clone(),
                TryResult::Rejected(r) => {
                    let inet_res = if r.inet_res_accepts() {
                        format!(
                            " (Erlang's inet_res, libcluster's resolver, would take it as {})",
                            r.rcode.map_or_else(String::new, rcode_name)
                        )
                    } else {
                        " (inet_res rejects it too)".to_owned()
                    };
                    format!("{server} sent {}: not believed{inet_res}", r.why)
                }
                TryResult::Answered => format!("{server} answered"),
            }
        })
        .collect();
    Outcome::Failed(parts.join("; "))
}

fn rcode_name(code: u8) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED (the server refused the query)".into(),
        n => format!("rcode {n}"),
    }
}

/// A query id that differs between queries and processes; not a secret (the socket is
/// connected, so only the server can answer).
fn query_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos as u16) ^ (std::process::id() as u16) ^ COUNTER.fetch_add(0x9e37, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    fn resolver(ndots: u32) -> Resolver {
        let conf = ResolvConf {
            search: vec!["ns.svc.cluster.local".into(), "svc.cluster.local".into()],
            ndots,
            ..ResolvConf::default()
        };
        Resolver::new(conf, Duration::from_secs(1))
    }

    #[test]
    fn libc_tries_search_first_below_ndots() {
        let r = resolver(5);
        // 4 dots < ndots 5: the search list first (a pod A record name).
        assert_eq!(
            r.candidates("10-0-0-5.ns.pod.cluster.local", SearchRule::Libc),
            [
                "10-0-0-5.ns.pod.cluster.local.ns.svc.cluster.local",
                "10-0-0-5.ns.pod.cluster.local.svc.cluster.local",
                "10-0-0-5.ns.pod.cluster.local",
            ]
        );
        // 5 dots: as is first (a StatefulSet pod's FQDN).
        assert_eq!(
            r.candidates("pod-0.svc.ns.svc.cluster.local", SearchRule::Libc)[0],
            "pod-0.svc.ns.svc.cluster.local"
        );
        assert_eq!(
            resolver(1).candidates("a.b", SearchRule::Libc),
            ["a.b", "a.b.ns.svc.cluster.local", "a.b.svc.cluster.local"]
        );
        assert_eq!(r.candidates("a.b.", SearchRule::Libc), ["a.b"]);
    }

    #[test]
    fn inet_res_ignores_ndots() {
        let r = resolver(5);
        assert_eq!(
            r.candidates("headless", SearchRule::InetRes),
            [
                "headless.ns.svc.cluster.local",
                "headless.svc.cluster.local"
            ]
        );
        assert_eq!(
            r.candidates("headless.ns", SearchRule::InetRes),
            [
                "headless.ns",
                "headless.ns.ns.svc.cluster.local",
                "headless.ns.svc.cluster.local"
            ]
        );
        // No search (or domain) line: inet_res's search list is [""], a single label asked as
        // given (a Compose service name on Docker's resolv.conf, which has none).
        let bare = Resolver::new(ResolvConf::default(), Duration::from_secs(1));
        assert_eq!(bare.candidates("app", SearchRule::InetRes), ["app"]);
        // DNSPoll's inet_res:lookup: the name as given, whatever its dots.
        assert_eq!(r.candidates("headless", SearchRule::AsGiven), ["headless"]);
        assert_eq!(
            r.candidates("tasks.app.", SearchRule::AsGiven),
            ["tasks.app"]
        );
    }

    /// A UDP nameserver on `ip`:`port` of this host's loopback answering with `reply` (None:
    /// silent), for at most 10 s; it stops when dropped.
    struct Server {
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Server {
        fn start(socket: UdpSocket, reply: fn(&[u8]) -> Option<Vec<u8>>) -> Server {
            use std::sync::atomic::Ordering;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = std::sync::Arc::clone(&stop);
            socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            let thread = std::thread::spawn(move || {
                let end = Instant::now() + Duration::from_secs(10);
                let mut buf = [0u8; 512];
                while !flag.load(Ordering::Relaxed) && Instant::now() < end {
                    if let Ok((n, from)) = socket.recv_from(&mut buf) {
                        if let Some(answer) = reply(&buf[..n]) {
                            socket.send_to(&answer, from).ok();
                        }
                    }
                }
            });
            Server {
                stop,
                thread: Some(thread),
            }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
            if let Some(t) = self.thread.take() {
                t.join().ok();
            }
        }
    }

    /// Two UDP sockets on 127.0.0.2 and 127.0.0.1 with the same free port.
    fn pair() -> (UdpSocket, UdpSocket, u16) {
        for _ in 0..50 {
            let second = UdpSocket::bind("127.0.0.2:0").unwrap();
            let port = second.local_addr().unwrap().port();
            if let Ok(first) = UdpSocket::bind(("127.0.0.1", port)) {
                return (second, first, port);
            }
        }
        panic!("no port free on both 127.0.0.1 and 127.0.0.2");
    }

    /// The query echoed as a response with `rcode`, and our address when NOERROR.
    fn echo(query: &[u8], id_xor: u16, rcode: u8) -> Vec<u8> {
        let mut msg = query.to_vec();
        let id = u16::from_be_bytes([query[0], query[1]]) ^ id_xor;
        msg[..2].copy_from_slice(&id.to_be_bytes());
        msg[2] = 0x81;
        msg[3] = 0x80 | rcode;
        if rcode == 0 {
            msg[7] = 1;
            msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 5]);
        }
        msg
    }

    fn resolver_at(servers: &[&str], port: u16, timeout: Duration) -> Resolver {
        let conf = ResolvConf {
            nameservers: servers.iter().map(|s| s.parse().unwrap()).collect(),
            ..ResolvConf::default()
        };
        let mut r = Resolver::new(conf, timeout);
        r.port = port;
        r
    }

    const SERVERS: [&str; 2] = ["127.0.0.2", "127.0.0.1"];

    /// A silent first server gets half of the time; the second answers.
    #[test]
    fn every_nameserver_gets_its_share_of_the_time() {
        let (silent, good, port) = pair();
        let _silent = Server::start(silent, |_| None);
        let _good = Server::start(good, |q| Some(echo(q, 0, 0)));
        let r = resolver_at(&SERVERS, port, Duration::from_secs(2));
        let start = Instant::now();
        let lookup = r.lookup("pod-0.example.", RecordType::A, SearchRule::Libc);
        assert!(
            start.elapsed() < Duration::from_millis(1800),
            "{:?}",
            start.elapsed()
        );
        assert!(
            matches!(lookup.outcome, Outcome::Found { .. }),
            "{lookup:?}"
        );
        let ips: Vec<IpAddr> = SERVERS.iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(lookup.servers_asked(), ips);
        assert_eq!(lookup.servers_timed_out(), ips[..1]);
        let TryResult::TimedOut { waited } = lookup.tries[0].result else {
            panic!("{lookup:?}")
        };
        assert!(waited <= Duration::from_secs(1), "{waited:?}");
    }

    /// The caller's deadline (`check --wait`'s) cuts a lookup whose own timeout is longer.
    #[test]
    fn the_callers_deadline_cuts_a_lookup_in_progress() {
        let (first, second, port) = pair();
        let _servers = (
            Server::start(first, |_| None),
            Server::start(second, |_| None),
        );
        let r = resolver_at(&SERVERS, port, Duration::from_secs(20))
            .until(Instant::now() + Duration::from_millis(600));
        let start = Instant::now();
        let lookup = r.lookup("pod-0.example.", RecordType::A, SearchRule::Libc);
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(lookup.outcome, Outcome::Timeout);
        assert_eq!(lookup.servers_timed_out().len(), 2, "{lookup:?}");
        // Past the deadline nothing is asked.
        let lookup = r.lookup("pod-0.example.", RecordType::A, SearchRule::Libc);
        assert!(lookup.tries.is_empty(), "{lookup:?}");
        assert!(!lookup.inet_res_differs());
    }

    /// NXDOMAIN under another id: not believed, and noted as one inet_res would believe.
    #[test]
    fn a_mismatched_nxdomain_is_noted_for_inet_res() {
        let (first, second, port) = pair();
        let _servers = (
            Server::start(first, |q| Some(echo(q, 0x0f0f, 3))),
            Server::start(second, |q| Some(echo(q, 0x0f0f, 3))),
        );
        let r = resolver_at(&SERVERS, port, Duration::from_millis(800));
        let lookup = r.lookup("pod-0.example.", RecordType::A, SearchRule::Libc);
        let Outcome::Failed(problem) = &lookup.outcome else {
            panic!("{lookup:?}")
        };
        assert!(problem.contains("would take it as NXDOMAIN"), "{problem}");
        assert!(lookup.inet_res_differs());
        assert!(
            lookup.notes.iter().any(|n| n.contains("inet_res")),
            "{lookup:?}"
        );
    }
}
