//! The probe against real Erlang nodes on loopback (`erl` is installed where tests run).

use super::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const COOKIE: &str = "relnode_handshake_test";

/// A real node, killed on drop; it logs (level info) to its own file.
struct Node {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Node {
    /// `erl MODE NAME` with extra args; waits until epmd knows it.
    fn start(mode: &str, name: &str, extra: &[&str]) -> Node {
        let log =
            std::env::temp_dir().join(format!("relnode-hs-{}-{name}.log", std::process::id()));
        std::fs::remove_file(&log).ok();
        let handler = format!(
            "[{{handler,default,logger_std_h,#{{config=>#{{file=>\"{}\"}}}}}}]",
            log.display()
        );
        let child = Command::new("erl")
            .args(["-noshell", "-noinput", mode, name, "-setcookie", COOKIE])
            .args([
                "-kernel",
                "logger_level",
                "info",
                "-kernel",
                "logger",
                &handler,
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("run erl");
        let node = Node {
            child,
            name: name.to_owned(),
            log,
        };
        let short = name.split('@').next().unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            let out = Command::new("epmd").arg("-names").output().expect("epmd");
            if String::from_utf8_lossy(&out.stdout).contains(&format!("name {short} at port")) {
                return node;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{name} did not register with epmd");
    }

    /// Whether the node still answers a real, cookie-checked ping.
    fn pings(&self, mode: &str, from_host: &str) -> bool {
        // One name per ping: tests run in parallel and share this machine's epmd.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let me = format!("relnode_hs_pinger_{}_{n}@{from_host}", std::process::id());
        let eval = format!(
            "io:format(\"~p\", [net_adm:ping('{}')]), halt().",
            self.name
        );
        let out = Command::new("erl")
            .args(["-noshell", mode, &me, "-setcookie", COOKIE, "-eval", &eval])
            .output()
            .expect("run erl");
        String::from_utf8_lossy(&out.stdout).contains("pong")
    }

    /// The node's log so far, lines only from after its start-up.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_file(&self.log).ok();
    }
}

fn uniq(tag: &str) -> String {
    format!("relnode_hs_{tag}_{}", std::process::id())
}

fn opts() -> ProbeOptions {
    ProbeOptions {
        epmd_port: EPMD_PORT,
        dist_port: None,
        tls: false,
        long_host: "127.0.0.1".into(),
        short_host: hostname::get().unwrap().to_string_lossy().into_owned(),
    }
}

fn probe(node: &str, opts: &ProbeOptions) -> PeerAnswer {
    let targets = [PeerTarget {
        node: node.to_owned(),
        ip: "127.0.0.1".parse().unwrap(),
    }];
    let deadline = Instant::now() + Duration::from_secs(5);
    probe_all(&targets, opts, deadline).remove(0)
}

#[test]
fn long_and_short_name_modes() {
    assert!(long_names("app@10.0.0.1"));
    assert!(long_names("app@fd00::1"));
    assert!(long_names("app@pod-0.svc.ns.svc.cluster.local"));
    assert!(!long_names("app@pod-0"));
}

#[test]
fn a_rightly_named_long_node_answers_its_name_and_stays_quiet_and_up() {
    let name = format!("{}@127.0.0.1", uniq("ok"));
    let node = Node::start("-name", &name, &[]);
    // Up and done with start-up logging once it answers a ping.
    assert!(node.pings("-name", "127.0.0.1"));
    std::thread::sleep(Duration::from_millis(300));
    let before = node.log();
    assert!(
        before.contains("PROGRESS REPORT"),
        "the node logs nothing: {before}"
    );
    let got = probe(&name, &opts());
    match &got.answer {
        Answer::Named {
            name: answered,
            flags,
        } => {
            assert_eq!(answered, &name);
            assert_ne!(flags & dist::DFLAG_HANDSHAKE_23, 0);
        }
        other => panic!("{other:?}"),
    }
    assert!(got.our_name.starts_with("relnode_check_") && got.our_name.ends_with("@127.0.0.1"));
    assert!(got.port.is_some());
    // Give the node's connection process time to notice the close and log, if it would.
    std::thread::sleep(Duration::from_millis(500));
    let after = node.log();
    assert_eq!(after, before, "the probe left log lines");
    assert!(node.pings("-name", "127.0.0.1"), "{name} no longer answers");
}

#[test]
fn a_misnamed_node_answers_its_real_name() {
    let short = uniq("mis");
    let real = format!("{short}@pod-1.app.ns1.svc.cluster.local");
    let _node = Node::start("-name", &real, &[]);
    let got = probe(&format!("{short}@127.0.0.1"), &opts());
    assert_eq!(
        got.answer,
        Answer::Named {
            name: real,
            flags: match got.answer {
                Answer::Named { flags, .. } => flags,
                _ => 0,
            }
        },
        "{got:?}"
    );
}

#[test]
fn a_short_names_node_answers_under_its_short_name() {
    let host = hostname::get().unwrap().to_string_lossy().into_owned();
    let name = format!("{}@{host}", uniq("short"));
    let node = Node::start("-sname", &name, &[]);
    let got = probe(&name, &opts());
    assert!(
        matches!(&got.answer, Answer::Named { name: n, .. } if *n == name),
        "{got:?}"
    );
    assert!(got.our_name.ends_with(&format!("@{host}")), "{got:?}");
    assert!(node.pings("-sname", &host));
}

#[test]
fn no_such_node_lists_what_epmd_knows_and_a_refused_port() {
    let known = uniq("known");
    let _node = Node::start("-name", &format!("{known}@127.0.0.1"), &[]);
    let got = probe(&format!("{}@127.0.0.1", uniq("none")), &opts());
    match got.answer {
        Answer::NoSuchNode { known: Some(names) } => assert!(names.contains(&known), "{names:?}"),
        other => panic!("{other:?}"),
    }
    // A port nobody listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let direct = ProbeOptions {
        dist_port: Some(port),
        ..opts()
    };
    assert_eq!(probe("x@127.0.0.1", &direct).answer, Answer::DistRefused);
}

#[test]
fn dist_port_probes_without_epmd() {
    let name = format!("{}@127.0.0.1", uniq("direct"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let _node = Node::start(
        "-name",
        &name,
        &[
            "-kernel",
            "inet_dist_listen_min",
            &port,
            "-kernel",
            "inet_dist_listen_max",
            &port,
        ],
    );
    let direct = ProbeOptions {
        dist_port: port.parse().ok(),
        ..opts()
    };
    // Dialled under a name epmd would not know: only the port is asked.
    let got = probe("whatever@127.0.0.1", &direct);
    assert!(
        matches!(&got.answer, Answer::Named { name: n, .. } if *n == name),
        "{got:?}"
    );
}

#[test]
fn tls_sends_nothing() {
    let tls = ProbeOptions {
        tls: true,
        ..opts()
    };
    assert_eq!(probe("x@127.0.0.1", &tls).answer, Answer::Tls);
}

/// OTP 25 does not refuse a short probe name at a long-names node before its challenge: the
/// dialled short name still learns the node's real (long) name, and nothing is logged.
#[test]
fn a_long_names_node_dialled_with_a_short_name_answers_its_long_name() {
    let short = uniq("mode");
    let real = format!("{short}@127.0.0.1");
    let node = Node::start("-name", &real, &[]);
    assert!(node.pings("-name", "127.0.0.1"));
    std::thread::sleep(Duration::from_millis(300));
    let before = node.log();
    let host = hostname::get().unwrap().to_string_lossy().into_owned();
    let got = probe(&format!("{short}@{host}"), &opts());
    assert!(got.our_name.ends_with(&format!("@{host}")), "{got:?}");
    assert!(
        matches!(&got.answer, Answer::Named { name: n, .. } if *n == real),
        "{got:?}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(node.log(), before, "the probe left log lines");
}

/// OTP 22 and older are not installed here, so an "epmd" on its own port gives what theirs
/// gives (highest version 5); the probe must stop there and never dial the node's port.
#[test]
fn otp_before_23_is_skipped_and_its_port_never_dialled() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    let node_port = TcpListener::bind("127.0.0.1:0").unwrap();
    node_port.set_nonblocking(true).unwrap();
    let port = node_port.local_addr().unwrap().port().to_be_bytes();
    let epmd = TcpListener::bind("127.0.0.1:0").unwrap();
    let epmd_port = epmd.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = epmd.accept().unwrap();
        let mut req = [0u8; 6];
        conn.read_exact(&mut req).unwrap();
        let reply = [
            119, 0, port[0], port[1], 77, 0, 0, 5, 0, 5, 0, 3, b'o', b'l', b'd', 0, 0,
        ];
        conn.write_all(&reply).unwrap();
        req
    });
    let old = ProbeOptions {
        epmd_port,
        ..opts()
    };
    let got = probe("old@127.0.0.1", &old);
    assert_eq!(got.answer, Answer::OldOtp { highest: 5 });
    assert_eq!(server.join().unwrap(), [0, 4, 122, b'o', b'l', b'd']);
    assert!(
        node_port.accept().is_err(),
        "the old node's port was dialled"
    );
}

/// A node that restricts who may connect (net_kernel:allow/1) answers `not_allowed` before
/// any name: the probe says so instead of guessing.
#[test]
fn a_node_with_an_allow_list_answers_not_allowed() {
    let name = format!("{}@127.0.0.1", uniq("allow"));
    let _node = Node::start(
        "-name",
        &name,
        &["-eval", "ok = net_kernel:allow(['someone@127.0.0.1'])"],
    );
    // -eval runs after the node registered with epmd: wait for the list to be in place.
    let start = Instant::now();
    loop {
        let got = probe(&name, &opts());
        if got.answer == Answer::NotAllowed {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{got:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
