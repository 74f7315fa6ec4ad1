//! relnode's DNS client against hostile nameservers this test runs itself (issue 16): a
//! server that drips its TCP answer a byte every 0.5 s, servers that answer another id,
//! another question or with another name's records, and a silent first nameserver before a
//! good one. They listen on port 53 of 127.0.0.1 and 127.0.0.2 inside a network namespace the
//! test creates; `relnode check` runs there through `ip netns exec`, its resolv.conf naming
//! them. Needs root.

#![cfg(feature = "check")]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::netns::{Netns, enter_netns, timed};
use common::{assert_exit, line, stderr, stdout};

const OUR_IP: [u8; 4] = [10, 77, 0, 5];
/// The one name the hostile servers misbehave for: what `--strategy dns --service app` asks.
const TARGET: &str = "app.ns1.svc.cluster.local";

/// What a server does with the A query for TARGET (any other query gets NXDOMAIN).
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Reads queries and never answers.
    Silent,
    /// A for TARGET: our IP.
    Good,
    /// Over UDP: truncated; over TCP: the good answer, one byte every 0.5 s.
    Drip,
    /// Over UDP: truncated; over TCP: the good answer under another id.
    OtherIdOverTcp,
    /// The good records, but the question and owner are `evil.example`.
    OtherName,
    /// The question asked, but the A record is owned by `evil.example`.
    StrangerRecord,
    /// NXDOMAIN under another id: inet_res takes it, relnode does not.
    NxOtherId,
}

/// A network namespace with loopback up, and a scratch pod directory.
struct Net {
    net: Netns,
}

crate::deref_netns!(Net);

impl Net {
    fn new(tag: &str, nameservers: &[&str]) -> Net {
        let net = Netns::new(
            "tests/resolver.rs",
            "relnode-res",
            "relnode-resolver",
            Some(tag),
        );
        net.kube_pod_files("cluster.local", nameservers);
        Net { net }
    }

    /// `relnode check --strategy dns --service app --timeout 2s` in the namespace; and how
    /// long it took.
    fn check(&self) -> (Output, Duration) {
        self.check_with(&["--timeout", "2s"])
    }

    /// The same with other timing flags (`--timeout`, `--wait`).
    fn check_with(&self, timing: &[&str]) -> (Output, Duration) {
        timed(
            self.relnode_in_pod(&[])
                .arg("check")
                .args(["--strategy", "dns", "--service", "app", "--basename", "app"])
                .args(timing)
                .env("MY_POD_IP", "10.77.0.5"),
        )
    }

    /// A hostile nameserver on `ip`:53 (UDP and TCP) inside the namespace.
    fn serve(&self, ip: Ipv4Addr, behaviour: Behaviour) -> Server {
        let netns = self.path();
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = {
            let (stop, queries) = (Arc::clone(&stop), Arc::clone(&queries));
            std::thread::spawn(move || {
                enter_netns(&netns);
                let udp = UdpSocket::bind((ip, 53)).expect("bind UDP 53");
                udp.set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let tcp = TcpListener::bind((ip, 53)).expect("bind TCP 53");
                tcp.set_nonblocking(true).unwrap();
                tx.send(()).unwrap();
                // Bounded: a test never leaves a server running.
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut buf = [0u8; 512];
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    if let Ok((n, from)) = udp.recv_from(&mut buf) {
                        queries.fetch_add(1, Ordering::Relaxed);
                        if let Some(reply) = udp_reply(&buf[..n], behaviour) {
                            udp.send_to(&reply, from).ok();
                        }
                    }
                    if let Ok((conn, _)) = tcp.accept() {
                        serve_tcp(conn, behaviour, &stop, deadline);
                    }
                }
            })
        };
        rx.recv_timeout(Duration::from_secs(5))
            .expect("DNS server listening");
        Server {
            queries,
            stop,
            thread: Some(thread),
        }
    }
}

struct Server {
    /// UDP queries received.
    queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

/// The question of `query`: its name (lower case, dotted) and type, and where it ends.
fn question(query: &[u8]) -> Option<(String, u16, usize)> {
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(pos)?);
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(pos + 1..pos + 1 + len)?).to_lowercase());
        pos += 1 + len;
    }
    let qtype = u16::from_be_bytes([*query.get(pos + 1)?, *query.get(pos + 2)?]);
    Some((labels.join("."), qtype, pos + 5))
}

fn encode_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A reply: `id`, flags (QR, RD, RA, `tc`, `rcode`), the question `qname`/A/IN, and an A
/// record per address owned by `owner`.
fn reply(id: [u8; 2], tc: bool, rcode: u8, qname: &str, owner: &str, addrs: &[[u8; 4]]) -> Vec<u8> {
    let mut msg = id.to_vec();
    msg.extend_from_slice(&[0x81 | if tc { 0x02 } else { 0 }, 0x80 | rcode, 0, 1]);
    msg.extend_from_slice(&(addrs.len() as u16).to_be_bytes());
    msg.extend_from_slice(&[0, 0, 0, 0]);
    msg.extend(encode_name(qname));
    msg.extend_from_slice(&[0, 1, 0, 1]);
    for ip in addrs {
        msg.extend(encode_name(owner));
        msg.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 30, 0, 4]);
        msg.extend_from_slice(ip);
    }
    msg
}

/// The answer for TARGET as `behaviour` gives it over TCP (or UDP, when not truncated).
fn answer(id: [u8; 2], behaviour: Behaviour) -> Vec<u8> {
    let other_id = [id[0] ^ 0x55, id[1] ^ 0xaa];
    match behaviour {
        Behaviour::OtherIdOverTcp => reply(other_id, false, 0, TARGET, TARGET, &[OUR_IP]),
        Behaviour::OtherName => reply(id, false, 0, "evil.example", "evil.example", &[OUR_IP]),
        Behaviour::StrangerRecord => reply(id, false, 0, TARGET, "evil.example", &[OUR_IP]),
        Behaviour::NxOtherId => reply(other_id, false, 3, TARGET, TARGET, &[]),
        // Twenty addresses, ours first: about 400 bytes, 200 s at a byte per 0.5 s.
        Behaviour::Drip => {
            let mut addrs = vec![OUR_IP];
            addrs.extend((1..20).map(|n| [10, 78, 0, n]));
            reply(id, false, 0, TARGET, TARGET, &addrs)
        }
        Behaviour::Good | Behaviour::Silent => reply(id, false, 0, TARGET, TARGET, &[OUR_IP]),
    }
}

fn udp_reply(query: &[u8], behaviour: Behaviour) -> Option<Vec<u8>> {
    let (name, qtype, _) = question(query)?;
    let id = [query[0], query[1]];
    if matches!(behaviour, Behaviour::Silent) {
        return None;
    }
    if name != TARGET || qtype != 1 {
        // NXDOMAIN for every other question, asked back correctly.
        let mut nx = reply(id, false, 3, "x", "x", &[]);
        nx.truncate(12);
        nx.extend_from_slice(&query[12..]);
        return Some(nx);
    }
    Some(match behaviour {
        Behaviour::Drip | Behaviour::OtherIdOverTcp => reply(id, true, 0, TARGET, TARGET, &[]),
        other => answer(id, other),
    })
}

/// One TCP query: the answer, dripped a byte at a time for `Drip`.
fn serve_tcp(mut conn: TcpStream, behaviour: Behaviour, stop: &AtomicBool, deadline: Instant) {
    conn.set_nonblocking(false).ok();
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut len = [0u8; 2];
    if conn.read_exact(&mut len).is_err() {
        return;
    }
    let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
    if conn.read_exact(&mut query).is_err() || query.len() < 12 {
        return;
    }
    let body = answer([query[0], query[1]], behaviour);
    let mut framed = (body.len() as u16).to_be_bytes().to_vec();
    framed.extend(body);
    if !matches!(behaviour, Behaviour::Drip) {
        conn.write_all(&framed).ok();
        return;
    }
    for byte in framed {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            return;
        }
        // The client has gone (it gave up): stop dripping.
        if conn.write_all(&[byte]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The baseline the hostile cases differ from: a good server passes.
#[test]
#[ignore = "needs root"]
fn a_good_server_passes() {
    let net = Net::new("good", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::Good);
    let (out, _) = net.check();
    let text = assert_exit(&out, 0);
    assert!(
        line(&text, "dns-a").contains("10.77.0.5 (ours among them)"),
        "{text}"
    );
}

/// `--timeout 2s` bounds an answer dripped over TCP a byte every 0.5 s (f4c3747 read it to
/// the end: minutes).
#[test]
#[ignore = "needs root"]
fn a_dripping_tcp_answer_is_cut_at_the_timeout() {
    let net = Net::new("drip", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::Drip);
    let (out, took) = net.check();
    let text = assert_exit(&out, 3);
    let a = line(&text, "dns-a");
    assert!(
        a.starts_with("FAIL") && a.contains("no answer from 127.0.0.1"),
        "{text}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

/// An answer over TCP must carry the query's id too (f4c3747 believed it: ok dns-a).
#[test]
#[ignore = "needs root"]
fn an_answer_with_another_id_over_tcp_is_not_believed() {
    let net = Net::new("tcpid", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::OtherIdOverTcp);
    let (out, _) = net.check();
    let text = assert_exit(&out, 3);
    let a = line(&text, "dns-a");
    assert!(a.starts_with("FAIL"), "{text}");
    assert!(
        a.contains("an answer with id") && a.contains("not believed"),
        "{text}"
    );
}

/// An answer to another question (f4c3747: `ok dns-a evil.example -> 10.77.0.5`).
#[test]
#[ignore = "needs root"]
fn an_answer_to_another_name_is_not_believed() {
    let net = Net::new("qname", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::OtherName);
    let (out, _) = net.check();
    let text = assert_exit(&out, 3);
    let a = line(&text, "dns-a");
    assert!(a.starts_with("FAIL"), "{text}");
    assert!(
        a.contains("an answer to another question (evil.example type 1 class 1)"),
        "{text}"
    );
    assert!(!a.contains("ours among them"), "{text}");
}

/// The question asked, but the address is another name's: no data for ours (f4c3747 took it).
#[test]
#[ignore = "needs root"]
fn a_record_of_another_name_is_ignored() {
    let net = Net::new("owner", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::StrangerRecord);
    let (out, _) = net.check();
    let text = assert_exit(&out, 1);
    let a = line(&text, "dns-a");
    assert!(
        a.starts_with("FAIL") && a.contains("has no A record"),
        "{text}"
    );
}

/// NXDOMAIN under another id is not believed, and the report says inet_res would believe it
/// (f4c3747 skipped it silently and reported a timeout).
#[test]
#[ignore = "needs root"]
fn nxdomain_with_another_id_is_noted_as_believed_by_inet_res() {
    let net = Net::new("nxid", &["127.0.0.1"]);
    let _server = net.serve(Ipv4Addr::LOCALHOST, Behaviour::NxOtherId);
    let (out, _) = net.check();
    let text = assert_exit(&out, 3);
    let a = line(&text, "dns-a");
    assert!(a.starts_with("FAIL"), "{text}");
    assert!(
        a.contains("NXDOMAIN") && a.contains("inet_res") && a.contains("would take it"),
        "{text}"
    );
}

/// A silent first nameserver leaves the second its share of `--timeout` (f4c3747 spent all
/// of it on the first and never asked the second).
#[test]
#[ignore = "needs root"]
fn a_silent_first_nameserver_leaves_time_for_the_second() {
    let net = Net::new("silent", &["127.0.0.2", "127.0.0.1"]);
    let silent = net.serve(Ipv4Addr::new(127, 0, 0, 2), Behaviour::Silent);
    let good = net.serve(Ipv4Addr::LOCALHOST, Behaviour::Good);
    let (out, took) = net.check();
    let text = assert_exit(&out, 0);
    assert!(
        line(&text, "dns-a").contains("10.77.0.5 (ours among them)"),
        "{text}"
    );
    assert!(silent.queries.load(Ordering::Relaxed) >= 1);
    assert!(good.queries.load(Ordering::Relaxed) >= 1);
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

/// Two silent nameservers: both are asked within `--timeout`, as the message says.
#[test]
#[ignore = "needs root"]
fn every_silent_nameserver_is_asked_within_the_timeout() {
    let net = Net::new("silent2", &["127.0.0.2", "127.0.0.1"]);
    let first = net.serve(Ipv4Addr::new(127, 0, 0, 2), Behaviour::Silent);
    let second = net.serve(Ipv4Addr::LOCALHOST, Behaviour::Silent);
    let (out, took) = net.check();
    let text = assert_exit(&out, 3);
    let a = line(&text, "dns-a");
    assert!(
        a.starts_with("FAIL") && a.contains("no answer from 127.0.0.2, 127.0.0.1"),
        "{text}"
    );
    assert!(first.queries.load(Ordering::Relaxed) >= 1);
    assert!(
        second.queries.load(Ordering::Relaxed) >= 1,
        "the second nameserver was never asked"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

/// What inet_res does with the same answers (real Erlang in the same namespace), so the
/// report's inet_res note rests on a run, not on reading its source: NXDOMAIN under another
/// id is believed; an answer to another question is not.
/// 0.2: `check --wait 3s` ran 10.3 s, the attempt in progress outliving the deadline.
#[test]
#[ignore = "needs root"]
fn the_wait_deadline_cuts_the_attempt_in_progress() {
    let net = Net::new("waitcut", &["127.0.0.1"]);
    let _silent = net.serve(Ipv4Addr::LOCALHOST, Behaviour::Silent);
    let (out, took) = net.check_with(&["--timeout", "5s", "--wait", "2s"]);
    let text = assert_exit(&out, 3);
    assert!(line(&text, "dns-a").starts_with("FAIL"), "{text}");
    assert!(took < Duration::from_millis(2600), "took {took:?}");
}

#[test]
#[ignore = "needs root"]
fn inet_res_believes_a_mismatched_nxdomain_but_not_another_question() {
    let inet_res = |behaviour| {
        let net = Net::new("erl", &["127.0.0.1"]);
        let _server = net.serve(Ipv4Addr::LOCALHOST, behaviour);
        let eval = format!(
            "R = inet_res:resolve(\"{TARGET}\", in, a, [{{nameservers, [{{{{127,0,0,1}}, 53}}]}}, {{retry, 1}}, {{timeout, 1000}}]), io:format(\"~p~n\", [element(1, R) =:= ok orelse R]), halt()."
        );
        let out = net
            .exec()
            .args(["erl", "-noshell", "-eval", &eval])
            .output()
            .expect("run erl (scripts/test installs Erlang)");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    assert_eq!(inet_res(Behaviour::NxOtherId), "{error,nxdomain}");
    let other = inet_res(Behaviour::OtherName);
    assert!(other.starts_with("{error,{noquery,"), "{other}");
}
