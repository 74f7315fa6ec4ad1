//! The DNS message format (RFC 1035): the query relnode sends, and what an answer must be
//! before it is believed: the same id, a response, the one question asked (name compared
//! case-insensitively, type, class IN), and only IN records owned by the name asked or by
//! its CNAME chain.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{RecordType, Records, Srv};

/// Pointer hops allowed while reading one compressed name.
const MAX_POINTERS: usize = 32;
/// CNAMEs followed from the name asked; CoreDNS flattens chains, so a long one is a loop.
const MAX_CNAMES: usize = 16;
const TYPE_CNAME: u16 = 5;
const CLASS_IN: u16 = 1;

/// One question, encoded, with what its answer is matched against.
pub struct Question {
    pub id: u16,
    pub rtype: RecordType,
    /// The name's labels, lower-cased, for matching.
    labels: Vec<Vec<u8>>,
    pub message: Vec<u8>,
}

impl Question {
    /// A standard query with recursion desired for `fqdn` (a trailing dot is optional).
    pub fn new(fqdn: &str, rtype: RecordType, id: u16) -> Result<Question, String> {
        let name = fqdn.trim_end_matches('.');
        if name.len() > 253 {
            return Err(format!("{name:?} is longer than 253 characters"));
        }
        let labels: Vec<&str> = if name.is_empty() {
            Vec::new()
        } else {
            name.split('.').collect()
        };
        if labels.iter().any(|l| l.is_empty() || l.len() > 63) {
            return Err(format!(
                "{name:?} has an empty label or one longer than 63 characters"
            ));
        }
        let mut message = Vec::with_capacity(18 + name.len());
        message.extend_from_slice(&id.to_be_bytes());
        message.extend_from_slice(&[0x01, 0x00]); // RD
        message.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1, AN=NS=AR=0
        for label in &labels {
            message.push(label.len() as u8);
            message.extend_from_slice(label.as_bytes());
        }
        message.push(0);
        message.extend_from_slice(&rtype.code().to_be_bytes());
        message.extend_from_slice(&CLASS_IN.to_be_bytes());
        Ok(Question {
            id,
            rtype,
            labels: labels
                .iter()
                .map(|l| l.to_ascii_lowercase().into_bytes())
                .collect(),
            message,
        })
    }
}

/// Why an answer was not believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    Malformed(String),
    /// Another id: a late answer to an earlier query, or a forged one.
    OtherId {
        got: u16,
        want: u16,
    },
    NotResponse,
    /// Not the one question asked: `got` says what it answers instead.
    OtherQuestion {
        got: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Malformed(what) => write!(f, "a malformed answer ({what})"),
            Rejection::OtherId { got, want } => {
                write!(
                    f,
                    "an answer with id {got:#06x}, not the query's {want:#06x}"
                )
            }
            Rejection::NotResponse => f.write_str("a message that is not a response (QR 0)"),
            Rejection::OtherQuestion { got } => write!(f, "an answer to another question ({got})"),
        }
    }
}

/// A rejected answer and its rcode, when the header could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub why: Rejection,
    pub rcode: Option<u8>,
}

impl Rejected {
    /// Erlang's inet_res (libcluster's resolver) checks id, QR and question only in a
    /// NOERROR answer (inet_res:decode_answer_noerror): any other rcode is taken as it is.
    pub fn inet_res_accepts(&self) -> bool {
        !matches!(self.why, Rejection::Malformed(_)) && self.rcode.is_some_and(|r| r != 0)
    }
}

/// A believed answer.
#[derive(Debug)]
pub struct Reply {
    pub rcode: u8,
    pub truncated: bool,
    /// The name asked, as the answer repeats it.
    pub question: String,
    pub records: Records,
    /// The CNAMEs followed from the name asked, in order.
    pub chain: Vec<String>,
    /// Owners of A/AAAA/SRV records that are neither the name asked nor in its chain.
    pub ignored: Vec<String>,
}

fn u16_at(msg: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]))
}

/// One resource record of the answer section, as read.
struct Record<'a> {
    owner: Vec<Vec<u8>>,
    rtype: u16,
    class: u16,
    /// Offset of the data in the message (SRV targets may point back into it).
    start: usize,
    data: &'a [u8],
}

/// Reads an answer to `q`, or says why it is not one.
pub fn decode(msg: &[u8], q: &Question) -> Result<Reply, Rejected> {
    let malformed = |what: &str, rcode| Rejected {
        why: Rejection::Malformed(what.to_owned()),
        rcode,
    };
    if msg.len() < 12 {
        return Err(malformed("shorter than a header", None));
    }
    let (id, flags) = (u16_be(msg, 0), u16_be(msg, 2));
    let rcode = (flags & 0x000f) as u8;
    let reject = |why| {
        Err(Rejected {
            why,
            rcode: Some(rcode),
        })
    };
    if id != q.id {
        return reject(Rejection::OtherId {
            got: id,
            want: q.id,
        });
    }
    if flags & 0x8000 == 0 {
        return reject(Rejection::NotResponse);
    }
    let qdcount = u16_be(msg, 4);
    if qdcount != 1 {
        return reject(Rejection::OtherQuestion {
            got: format!("{qdcount} questions"),
        });
    }
    let (qname, next) =
        read_labels(msg, 12).ok_or_else(|| malformed("question name", Some(rcode)))?;
    let (qtype, qclass) = match (u16_at(msg, next), u16_at(msg, next + 2)) {
        (Some(t), Some(c)) => (t, c),
        _ => return Err(malformed("question type", Some(rcode))),
    };
    if !same_name(&qname, &q.labels) || qtype != q.rtype.code() || qclass != CLASS_IN {
        return reject(Rejection::OtherQuestion {
            got: format!("{} type {qtype} class {qclass}", render(&qname)),
        });
    }
    let truncated = flags & 0x0200 != 0;
    let mut reply = Reply {
        rcode,
        truncated,
        question: render(&qname),
        records: match q.rtype {
            RecordType::Srv => Records::Srv(Vec::new()),
            _ => Records::Addrs(Vec::new()),
        },
        chain: Vec::new(),
        ignored: Vec::new(),
    };
    if truncated {
        return Ok(reply);
    }
    let answers = read_answers(msg, next + 4, u16_be(msg, 6))
        .map_err(|what| malformed(&what, Some(rcode)))?;
    select(msg, &answers, q, &mut reply).map_err(|what| malformed(&what, Some(rcode)))?;
    Ok(reply)
}

fn u16_be(msg: &[u8], pos: usize) -> u16 {
    u16::from_be_bytes([msg[pos], msg[pos + 1]])
}

fn read_answers(msg: &[u8], mut pos: usize, count: u16) -> Result<Vec<Record<'_>>, String> {
    let mut out = Vec::new();
    for _ in 0..count {
        let (owner, next) = read_labels(msg, pos).ok_or("record name")?;
        let fixed = msg.get(next..next + 10).ok_or("record header")?;
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let start = next + 10;
        let data = msg.get(start..start + rdlen).ok_or("record data")?;
        out.push(Record {
            owner,
            rtype: u16::from_be_bytes([fixed[0], fixed[1]]),
            class: u16::from_be_bytes([fixed[2], fixed[3]]),
            start,
            data,
        });
        pos = start + rdlen;
    }
    Ok(out)
}

/// Keeps the IN records of the asked type owned by the name asked or, following its CNAMEs
/// (exactly one per name, no loop, as inet_db:resolve_cnames follows them), by the last name.
fn select(msg: &[u8], answers: &[Record], q: &Question, reply: &mut Reply) -> Result<(), String> {
    let want = q.rtype.code();
    let mut current = q.labels.clone();
    let mut seen = vec![current.clone()];
    let mut owner_found = None;
    for _ in 0..=MAX_CNAMES {
        if !owned(answers, want, &current).is_empty() {
            owner_found = Some(current.clone());
            break;
        }
        let cnames = owned(answers, TYPE_CNAME, &current);
        let [cname] = cnames.as_slice() else { break };
        let (target, _) = read_labels(msg, cname.start).ok_or("CNAME target")?;
        let target = lower(&target);
        if seen.contains(&target) {
            break;
        }
        reply.chain.push(render(&target));
        seen.push(target.clone());
        current = target;
    }
    for record in answers.iter().filter(|r| r.class == CLASS_IN) {
        let wanted = Some(lower(&record.owner)) == owner_found && record.rtype == want;
        if wanted {
            push_record(msg, record, &mut reply.records)?;
        } else if [1, 28, 33].contains(&record.rtype) {
            let owner = render(&record.owner);
            if !reply.ignored.contains(&owner) {
                reply.ignored.push(owner);
            }
        }
    }
    Ok(())
}

/// The IN records of type `rtype` owned by `name`.
fn owned<'m, 'r>(answers: &'r [Record<'m>], rtype: u16, name: &[Vec<u8>]) -> Vec<&'r Record<'m>> {
    answers
        .iter()
        .filter(|r| r.class == CLASS_IN && r.rtype == rtype && same_name(&r.owner, name))
        .collect()
}

fn push_record(msg: &[u8], record: &Record, records: &mut Records) -> Result<(), String> {
    let data = record.data;
    match records {
        Records::Addrs(addrs) => match data.len() {
            4 => addrs.push(IpAddr::V4(Ipv4Addr::new(
                data[0], data[1], data[2], data[3],
            ))),
            16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(data);
                addrs.push(IpAddr::V6(Ipv6Addr::from(octets)));
            }
            n => return Err(format!("an address record of {n} bytes")),
        },
        Records::Srv(srvs) => {
            if data.len() < 7 {
                return Err("SRV record".into());
            }
            let (target, _) = read_labels(msg, record.start + 6).ok_or("SRV target")?;
            srvs.push(Srv {
                priority: u16::from_be_bytes([data[0], data[1]]),
                weight: u16::from_be_bytes([data[2], data[3]]),
                port: u16::from_be_bytes([data[4], data[5]]),
                target: render(&target),
            });
        }
    }
    Ok(())
}

fn lower(labels: &[Vec<u8>]) -> Vec<Vec<u8>> {
    labels.iter().map(|l| l.to_ascii_lowercase()).collect()
}

/// DNS names compare ASCII case-insensitively (RFC 4343).
fn same_name(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// A name for people: dotted, no trailing dot; bytes outside printable ASCII escaped, so a
/// hostile answer cannot write control characters into the report.
pub fn render(labels: &[Vec<u8>]) -> String {
    let mut name = String::new();
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            name.push('.');
        }
        name.extend(
            label
                .iter()
                .flat_map(|b| std::ascii::escape_default(*b))
                .map(char::from),
        );
    }
    name
}

/// A possibly compressed name at `pos`: its raw labels and the offset after it.
fn read_labels(msg: &[u8], mut pos: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut labels = Vec::new();
    let mut total = 0;
    let mut end = None;
    for _ in 0..MAX_POINTERS {
        loop {
            let len = *msg.get(pos)?;
            match len & 0xc0 {
                0x00 if len == 0 => return Some((labels, end.unwrap_or(pos + 1))),
                0x00 => {
                    let label = msg.get(pos + 1..pos + 1 + usize::from(len))?;
                    total += label.len() + 1;
                    if total > 255 {
                        return None;
                    }
                    labels.push(label.to_vec());
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

    fn name(n: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for label in n.split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out
    }

    /// An uncompressed answer: header, one question, then `(owner, type, class, rdata)`.
    fn answer(
        id: u16,
        rcode: u8,
        question: (&str, u16, u16),
        records: &[(&str, u16, u16, Vec<u8>)],
    ) -> Vec<u8> {
        let mut msg = id.to_be_bytes().to_vec();
        msg.extend_from_slice(&[0x81, 0x80 | rcode, 0, 1]);
        msg.extend_from_slice(&(records.len() as u16).to_be_bytes());
        msg.extend_from_slice(&[0, 0, 0, 0]);
        msg.extend(name(question.0));
        msg.extend_from_slice(&question.1.to_be_bytes());
        msg.extend_from_slice(&question.2.to_be_bytes());
        for (owner, rtype, class, data) in records {
            msg.extend(name(owner));
            msg.extend_from_slice(&rtype.to_be_bytes());
            msg.extend_from_slice(&class.to_be_bytes());
            msg.extend_from_slice(&[0, 0, 0, 30]);
            msg.extend_from_slice(&(data.len() as u16).to_be_bytes());
            msg.extend_from_slice(data);
        }
        msg
    }

    fn a(owner: &str, ip: [u8; 4]) -> (&str, u16, u16, Vec<u8>) {
        (owner, 1, 1, ip.to_vec())
    }

    fn cname<'a>(owner: &'a str, target: &str) -> (&'a str, u16, u16, Vec<u8>) {
        (owner, 5, 1, name(target))
    }

    fn q(fqdn: &str, rtype: RecordType) -> Question {
        Question::new(fqdn, rtype, 0x1234).unwrap()
    }

    fn addrs(reply: &Reply) -> Vec<IpAddr> {
        match &reply.records {
            Records::Addrs(a) => a.clone(),
            Records::Srv(_) => panic!("SRV records"),
        }
    }

    #[test]
    fn query_encoding_is_rfc1035() {
        assert_eq!(
            q("a.bc.", RecordType::Srv).message,
            [
                0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 33, 0, 1
            ]
        );
        assert!(Question::new("a..b", RecordType::A, 1).is_err());
        assert!(Question::new(&"x".repeat(64), RecordType::A, 1).is_err());
    }

    /// An answer as a server builds it: compressed names, a CNAME before the SRV record.
    #[test]
    fn decodes_compressed_srv_answer() {
        let mut msg = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        msg.extend_from_slice(&[3, b's', b'v', b'c', 0, 0, 33, 0, 1]); // question at 12
        msg.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 2, 0xc0, 12]); // CNAME
        msg.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 30, 0, 11]);
        msg.extend_from_slice(&[0, 0, 0, 100, 0x11, 0x11, 3, b'p', b'-', b'0', 0xc0, 12]);
        let d = decode(&msg, &q("svc", RecordType::Srv)).unwrap();
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
    fn pointer_loops_and_short_answers_are_malformed() {
        let mut msg = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        let question = q("x", RecordType::A);
        for bad in [&msg[..], &msg[..8]] {
            let err = decode(bad, &question).unwrap_err();
            assert!(matches!(err.why, Rejection::Malformed(_)), "{err:?}");
            assert!(!err.inet_res_accepts());
        }
    }

    /// The answer must be to the one question asked: id, QR, count, name, type and class.
    #[test]
    fn answers_to_other_questions_are_rejected() {
        let question = q("pod-0.app.ns", RecordType::A);
        let good = [a("pod-0.app.ns", [10, 0, 0, 5])];
        let rejected = |msg: Vec<u8>| decode(&msg, &question).unwrap_err().why;
        assert!(matches!(
            rejected(answer(0x1235, 0, ("pod-0.app.ns", 1, 1), &good)),
            Rejection::OtherId {
                got: 0x1235,
                want: 0x1234
            }
        ));
        let mut query_echo = answer(0x1234, 0, ("pod-0.app.ns", 1, 1), &good);
        query_echo[2] &= 0x7f;
        assert_eq!(rejected(query_echo), Rejection::NotResponse);
        for other in [
            ("evil.example", 1, 1),
            ("pod-0.app.ns.evil", 1, 1),
            ("pod-0.app.ns", 28, 1),
            ("pod-0.app.ns", 1, 3),
        ] {
            let why = rejected(answer(0x1234, 0, other, &[a(other.0, [10, 0, 0, 5])]));
            assert!(
                matches!(why, Rejection::OtherQuestion { .. }),
                "{other:?}: {why:?}"
            );
        }
        let mut two = answer(0x1234, 0, ("pod-0.app.ns", 1, 1), &good);
        two[5] = 2;
        assert!(matches!(rejected(two), Rejection::OtherQuestion { .. }));
        // Names compare case-insensitively (RFC 4343), as inet_db:eq_domains does.
        let upper = answer(
            0x1234,
            0,
            ("POD-0.App.NS", 1, 1),
            &[a("Pod-0.app.ns", [10, 0, 0, 5])],
        );
        let reply = decode(&upper, &question).unwrap();
        assert_eq!(addrs(&reply), ["10.0.0.5".parse::<IpAddr>().unwrap()]);
    }

    /// inet_res checks id and question only when the rcode is NOERROR.
    #[test]
    fn inet_res_believes_a_mismatched_error_answer() {
        let question = q("pod-0.app.ns", RecordType::A);
        let nx = decode(&answer(0x4321, 3, ("pod-0.app.ns", 1, 1), &[]), &question).unwrap_err();
        assert!(nx.inet_res_accepts(), "{nx:?}");
        let nx = decode(&answer(0x1234, 3, ("evil.example", 1, 1), &[]), &question).unwrap_err();
        assert!(nx.inet_res_accepts(), "{nx:?}");
        let ok = decode(&answer(0x4321, 0, ("pod-0.app.ns", 1, 1), &[]), &question).unwrap_err();
        assert!(!ok.inet_res_accepts(), "{ok:?}");
    }

    /// Records count only when owned by the name asked or the end of its CNAME chain.
    #[test]
    fn only_the_cname_chain_of_the_name_asked_counts() {
        let question = q("a.example", RecordType::A);
        let msg = answer(
            0x1234,
            0,
            ("a.example", 1, 1),
            &[
                a("evil.example", [6, 6, 6, 6]),
                cname("a.example", "b.example"),
                cname("B.example", "c.example"),
                a("c.example", [10, 0, 0, 5]),
                ("c.example", 1, 3, vec![6, 6, 6, 7]), // class CH
            ],
        );
        let reply = decode(&msg, &question).unwrap();
        assert_eq!(addrs(&reply), ["10.0.0.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(reply.chain, ["b.example", "c.example"]);
        assert_eq!(reply.ignored, ["evil.example"]);

        // Only another name's record: no data, and the stranger is named.
        let msg = answer(
            0x1234,
            0,
            ("a.example", 1, 1),
            &[a("evil.example", [10, 0, 0, 5])],
        );
        let reply = decode(&msg, &question).unwrap();
        assert!(reply.records.is_empty());
        assert_eq!(reply.ignored, ["evil.example"]);

        // A CNAME loop ends in no data, not a hang.
        let msg = answer(
            0x1234,
            0,
            ("a.example", 1, 1),
            &[
                cname("a.example", "b.example"),
                cname("b.example", "a.example"),
            ],
        );
        assert!(decode(&msg, &question).unwrap().records.is_empty());
    }

    #[test]
    fn address_records_of_the_wrong_size_are_malformed() {
        let msg = answer(0x1234, 0, ("a", 1, 1), &[("a", 1, 1, vec![10, 0, 0])]);
        let err = decode(&msg, &q("a", RecordType::A)).unwrap_err();
        assert!(matches!(err.why, Rejection::Malformed(_)), "{err:?}");
    }
}
