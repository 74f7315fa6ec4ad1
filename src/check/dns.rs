//! A small synchronous DNS client: A, AAAA and SRV over UDP (TCP when the answer is truncated),
//! asking the nameservers of the pod's resolv.conf in the order and with the search rules that
//! peers use.
//!
//! Hand-written rather than `hickory-proto`: relnode asks three record types and reads four
//! (A, AAAA, SRV, CNAME), which is a few hundred lines, while hickory-proto brings its whole
//! record zoo into a start-up helper (BENCHMARKS.md has the measurement). Every query is bounded
//! by a deadline; no thread, no async runtime.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// The resolver's configuration is kubelet's resolv.conf as `kubelet::ResolvConf` parses it
/// (nameservers asked on port 53, as every resolver does).
pub use crate::platform::kubelet::ResolvConf;

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

/// A lookup's outcome and every fully qualified name asked, in order.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub outcome: Outcome,
    pub asked: Vec<String>,
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
}

pub struct Resolver {
    pub conf: ResolvConf,
    /// Bounds one whole lookup, search list included (relnode's `--timeout`).
    pub timeout: Duration,
}

/// The largest answer read over TCP; Kubernetes answers for a 1000-pod Service fit well.
const MAX_TCP_ANSWER: usize = 65_535;
/// Pointer hops allowed while reading one compressed name.
const MAX_POINTERS: usize = 32;

impl Resolver {
    pub fn new(conf: ResolvConf, timeout: Duration) -> Resolver {
        Resolver { conf, timeout }
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
            SearchRule::InetRes if dots == 0 => searched.collect(),
            SearchRule::InetRes => std::iter::once(name.to_owned()).chain(searched).collect(),
        }
    }

    /// Looks `name` up as `rule` does: the first name that has records of the type wins.
    pub fn lookup(&self, name: &str, rtype: RecordType, rule: SearchRule) -> Lookup {
        let deadline = Instant::now() + self.timeout;
        let mut asked = Vec::new();
        let mut best: Option<Outcome> = None;
        for candidate in self.candidates(name, rule) {
            asked.push(candidate.clone());
            let outcome = self.query(&candidate, rtype, deadline);
            match outcome {
                Outcome::Found { .. } => return Lookup { outcome, asked },
                // A timeout or server failure stops the search, as in glibc: the next names
                // would meet the same server.
                Outcome::Timeout | Outcome::Failed(_) => return Lookup { outcome, asked },
                // no-data says more than NXDOMAIN: the name exists, with other types.
                Outcome::NoData { .. } => best = Some(outcome),
                Outcome::NxDomain => {
                    if best.is_none() {
                        best = Some(outcome)
                    }
                }
            }
        }
        Lookup {
            outcome: best.unwrap_or(Outcome::NxDomain),
            asked,
        }
    }

    /// One fully qualified name at each nameserver in turn, `attempts` rounds, until `deadline`.
    pub fn query(&self, fqdn: &str, rtype: RecordType, deadline: Instant) -> Outcome {
        let message = match encode_query(fqdn, rtype, query_id()) {
            Ok(m) => m,
            Err(problem) => return Outcome::Failed(problem),
        };
        if self.conf.nameservers.is_empty() {
            return Outcome::Failed("resolv.conf names no nameserver".into());
        }
        let mut last = Outcome::Timeout;
        for _ in 0..self.conf.attempts.max(1) {
            for ip in &self.conf.nameservers {
                let server = SocketAddr::new(*ip, DNS_PORT);
                let now = Instant::now();
                if now >= deadline {
                    return last;
                }
                let per_try = Duration::from_secs(u64::from(self.conf.timeout_secs));
                let wait = per_try.min(deadline - now);
                match ask(server, &message, rtype, wait) {
                    Ok(Answer::Final(outcome)) => return outcome,
                    Ok(Answer::ServerFailed(problem)) => last = Outcome::Failed(problem),
                    Err(AskError::Timeout) => {}
                    Err(AskError::Io(problem)) => last = Outcome::Failed(problem),
                }
            }
        }
        last
    }
}

enum Answer {
    Final(Outcome),
    /// SERVFAIL/REFUSED: the next nameserver may know better.
    ServerFailed(String),
}

enum AskError {
    Timeout,
    Io(String),
}

fn ask(
    server: SocketAddr,
    message: &[u8],
    rtype: RecordType,
    wait: Duration,
) -> Result<Answer, AskError> {
    let deadline = Instant::now() + wait;
    let reply = udp_exchange(server, message, deadline)?;
    let parsed = decode(&reply, rtype).map_err(AskError::Io)?;
    let parsed = if parsed.truncated {
        let reply = tcp_exchange(server, message, deadline)?;
        decode(&reply, rtype).map_err(AskError::Io)?
    } else {
        parsed
    };
    Ok(match parsed.rcode {
        0 if parsed.records.is_empty() => Answer::Final(Outcome::NoData {
            name: parsed.question,
        }),
        0 => Answer::Final(Outcome::Found {
            name: parsed.question,
            records: parsed.records,
        }),
        3 => Answer::Final(Outcome::NxDomain),
        2 => Answer::ServerFailed(format!("{server} answered SERVFAIL")),
        5 => Answer::ServerFailed(format!("{server} refused the query (REFUSED)")),
        code => Answer::ServerFailed(format!("{server} answered with rcode {code}")),
    })
}

fn io_error(server: SocketAddr, err: std::io::Error) -> AskError {
    match err.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => AskError::Timeout,
        _ => AskError::Io(format!("{server}: {err}")),
    }
}

fn remaining(deadline: Instant) -> Result<Duration, AskError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(AskError::Timeout)
    } else {
        Ok(left)
    }
}

fn udp_exchange(
    server: SocketAddr,
    message: &[u8],
    deadline: Instant,
) -> Result<Vec<u8>, AskError> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).map_err(|e| io_error(server, e))?;
    // connect(): the kernel then drops datagrams from anyone but the server.
    socket.connect(server).map_err(|e| io_error(server, e))?;
    socket.send(message).map_err(|e| io_error(server, e))?;
    let mut buf = vec![0u8; 4096];
    loop {
        socket
            .set_read_timeout(Some(remaining(deadline)?))
            .map_err(|e| io_error(server, e))?;
        let n = socket.recv(&mut buf).map_err(|e| io_error(server, e))?;
        // A reply to someone else's id (or a stray packet) is skipped, not believed.
        if n >= 2 && buf[..2] == message[..2] {
            buf.truncate(n);
            return Ok(buf);
        }
    }
}

fn tcp_exchange(
    server: SocketAddr,
    message: &[u8],
    deadline: Instant,
) -> Result<Vec<u8>, AskError> {
    let mut stream = TcpStream::connect_timeout(&server, remaining(deadline)?)
        .map_err(|e| io_error(server, e))?;
    stream
        .set_write_timeout(Some(remaining(deadline)?))
        .map_err(|e| io_error(server, e))?;
    let len = u16::try_from(message.len()).map_err(|_| AskError::Io("query too long".into()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    stream.write_all(&framed).map_err(|e| io_error(server, e))?;
    let mut read_exact = |buf: &mut [u8]| -> Result<(), AskError> {
        stream
            .set_read_timeout(Some(remaining(deadline)?))
            .map_err(|e| io_error(server, e))?;
        stream.read_exact(buf).map_err(|e| io_error(server, e))
    };
    let mut len = [0u8; 2];
    read_exact(&mut len)?;
    let len = usize::from(u16::from_be_bytes(len)).min(MAX_TCP_ANSWER);
    let mut reply = vec![0u8; len];
    read_exact(&mut reply)?;
    Ok(reply)
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

/// A standard query with recursion desired and one question.
pub fn encode_query(fqdn: &str, rtype: RecordType, id: u16) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(18 + fqdn.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1, AN=NS=AR=0
    let name = fqdn.trim_end_matches('.');
    if name.len() > 253 {
        return Err(format!("{name:?} is longer than 253 characters"));
    }
    for label in name
        .split('.')
        .filter(|l| !name.is_empty() || !l.is_empty())
    {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{name:?} has an empty label or one longer than 63 characters"
            ));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&rtype.code().to_be_bytes());
    out.extend_from_slice(&[0, 1]); // class IN
    Ok(out)
}

#[derive(Debug)]
pub struct Decoded {
    pub rcode: u8,
    pub truncated: bool,
    /// The name asked, as the answer repeats it.
    pub question: String,
    pub records: Records,
}

/// Reads an answer, keeping the records of the asked type.
pub fn decode(msg: &[u8], rtype: RecordType) -> Result<Decoded, String> {
    let bad = |what: &str| format!("malformed DNS answer: {what}");
    if msg.len() < 12 {
        return Err(bad("shorter than a header"));
    }
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 == 0 {
        return Err(bad("not a response"));
    }
    let truncated = flags & 0x0200 != 0;
    let rcode = (flags & 0x000f) as u8;
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    let ancount = u16::from_be_bytes([msg[6], msg[7]]);
    let mut pos = 12;
    let mut question = String::new();
    for _ in 0..qdcount {
        let (name, next) = read_name(msg, pos).ok_or_else(|| bad("question name"))?;
        question = name;
        pos = next + 4;
    }
    let mut records = match rtype {
        RecordType::Srv => Records::Srv(Vec::new()),
        _ => Records::Addrs(Vec::new()),
    };
    if truncated {
        return Ok(Decoded {
            rcode,
            truncated,
            question,
            records,
        });
    }
    for _ in 0..ancount {
        let (_, next) = read_name(msg, pos).ok_or_else(|| bad("record name"))?;
        let fixed = msg
            .get(next..next + 10)
            .ok_or_else(|| bad("record header"))?;
        let typ = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let start = next + 10;
        let data = msg
            .get(start..start + rdlen)
            .ok_or_else(|| bad("record data"))?;
        match (&mut records, typ) {
            (Records::Addrs(addrs), 1) if rtype == RecordType::A && rdlen == 4 => {
                addrs.push(IpAddr::V4(Ipv4Addr::new(
                    data[0], data[1], data[2], data[3],
                )));
            }
            (Records::Addrs(addrs), 28) if rtype == RecordType::Aaaa && rdlen == 16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(data);
                addrs.push(IpAddr::V6(Ipv6Addr::from(octets)));
            }
            (Records::Srv(srvs), 33) if rdlen > 6 => {
                let (target, _) = read_name(msg, start + 6).ok_or_else(|| bad("SRV target"))?;
                srvs.push(Srv {
                    priority: u16::from_be_bytes([data[0], data[1]]),
                    weight: u16::from_be_bytes([data[2], data[3]]),
                    port: u16::from_be_bytes([data[4], data[5]]),
                    target,
                });
            }
            // CNAMEs the server followed, and anything else: not what was asked.
            _ => {}
        }
        pos = start + rdlen;
    }
    Ok(Decoded {
        rcode,
        truncated,
        question,
        records,
    })
}

/// A possibly compressed name at `pos`; returns it (no trailing dot) and the offset after it.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    for _ in 0..MAX_POINTERS {
        loop {
            let len = *msg.get(pos)?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    return Some((name, end.unwrap_or(pos + 1)));
                }
                0x00 => {
                    let label = msg.get(pos + 1..pos + 1 + usize::from(len))?;
                    if !name.is_empty() {
                        name.push('.');
                    }
                    // Kubernetes names are ASCII; anything else is shown escaped, never raw.
                    name.extend(
                        label
                            .iter()
                            .flat_map(|b| std::ascii::escape_default(*b))
                            .map(char::from),
                    );
                    if name.len() > 1024 {
                        return None;
                    }
                    pos += 1 + usize::from(len);
                }
                0xc0 => {
                    let low = *msg.get(pos + 1)?;
                    end.get_or_insert(pos + 2);
                    pos = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                    break;
                }
                _ => return None,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn query_encoding_is_rfc1035() {
        let q = encode_query("a.bc.", RecordType::Srv, 0x1234).unwrap();
        assert_eq!(
            q,
            [
                0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 33, 0, 1
            ]
        );
        assert!(encode_query("a..b", RecordType::A, 1).is_err());
        assert!(encode_query(&"x".repeat(64), RecordType::A, 1).is_err());
    }

    /// An answer as a server builds it: compressed names, a CNAME before the SRV record.
    #[test]
    fn decodes_compressed_srv_answer() {
        let mut msg = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        msg.extend_from_slice(&[3, b's', b'v', b'c', 0, 0, 33, 0, 1]); // question at 12
        msg.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 2, 0xc0, 12]); // CNAME
        msg.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 30, 0, 11]);
        msg.extend_from_slice(&[0, 0, 0, 100, 0x11, 0x11, 3, b'p', b'-', b'0', 0xc0, 12]);
        let d = decode(&msg, RecordType::Srv).unwrap();
        assert_eq!(d.question, "svc");
        assert_eq!(
            d.records,
            Records::Srv(vec![Srv {
                priority: 0,
                weight: 100,
                port: 0x1111,
                target: "p-0.svc".into()
            }])
        );
    }

    #[test]
    fn pointer_loops_and_short_answers_are_errors() {
        let mut msg = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(decode(&msg, RecordType::A).is_err());
        assert!(decode(&msg[..8], RecordType::A).is_err());
    }
}
