//! `relnode check --peers` against real Erlang nodes in a network namespace: the probe learns
//! each peer's real node name from the handshake (no cookie) and leaves the peer quiet and up.
//! The cluster DNS is dnsmasq on the namespace's loopback; the strategy is `dns` (mode ip),
//! so the peers dialled are `app@<IP>`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::netns::{Netns, sh, timed};
use common::{assert_exit, lines, stderr, stdout};

const OUR_IP: &str = "10.78.0.5";
const PEER_IP: &str = "10.78.0.6";
const COOKIE: &str = "relnode_handshake_it";
/// 1,000 peers, all behind a rule that drops port 4369.
const DROPPED_NET: &str = "10.82.0.0/16";

/// A network namespace with dnsmasq answering `app.ns1.svc.cluster.local` with `peers`.
struct Net {
    net: Netns,
    children: Vec<Child>,
}

crate::deref_netns!(Net);

impl Net {
    fn new(tag: &str, peers: &[String]) -> Net {
        let net = Netns::new("tests/handshake.rs", "relnode-hs", "relnode-hs", Some(tag));
        net.ip(&["addr", "add", &format!("{OUR_IP}/32"), "dev", "lo"]);
        net.ip(&["addr", "add", &format!("{PEER_IP}/32"), "dev", "lo"]);
        let mut hosts = format!("{OUR_IP} app.ns1.svc.cluster.local\n");
        for ip in peers {
            hosts.push_str(&format!("{ip} app.ns1.svc.cluster.local\n"));
        }
        net.write("dns.hosts", &hosts);
        net.dnsmasq(&[
            "--local=/cluster.local/".to_owned(),
            format!("--addn-hosts={}", net.dir.join("dns.hosts").display()),
        ]);
        net.kube_pod_files("cluster.local", &["127.0.0.1"]);
        Net {
            net,
            children: Vec::new(),
        }
    }

    /// epmd in the foreground (so it is our child), listening on the peer's address only
    /// (and loopback): other addresses of the namespace refuse port 4369.
    fn epmd(&mut self) {
        let child = self
            .exec()
            .arg("epmd")
            .env("ERL_EPMD_ADDRESS", PEER_IP)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run epmd");
        self.children.push(child);
        let start = Instant::now();
        while !self.epmd_names().contains("up and running") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "epmd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn epmd_names(&self) -> String {
        let out = self.exec().args(["epmd", "-names"]).output().unwrap();
        stdout(&out)
    }

    /// A real node `-name NAME` whose log (level info) goes to a file; waits for epmd to know
    /// it and for its start-up logging to end. Returns the log's path.
    fn erl(&mut self, name: &str) -> PathBuf {
        let log = self.dir.join(format!("{name}.log"));
        let handler = format!(
            "[{{handler,default,logger_std_h,#{{config=>#{{file=>\"{}\"}}}}}}]",
            log.display()
        );
        let child = self
            .exec()
            .args([
                "erl",
                "-noshell",
                "-noinput",
                "-name",
                name,
                "-setcookie",
                COOKIE,
            ])
            .args([
                "-kernel",
                "logger_level",
                "info",
                "-kernel",
                "logger",
                &handler,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("run erl");
        self.children.push(child);
        let short = name.split('@').next().unwrap();
        let start = Instant::now();
        while !self.epmd_names().contains(&format!("name {short} at port")) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{name} did not register"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        while !read(&log).contains("application: stdlib") {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{name} did not log its start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        log
    }

    /// A real, cookie-checked `net_adm:ping` of `node` from a second node in the namespace.
    fn pings(&self, node: &str) -> bool {
        let eval = format!("io:format(\"~p\", [net_adm:ping('{node}')]), halt().");
        let out = self
            .exec()
            .args(["erl", "-noshell", "-name", &format!("pinger@{OUR_IP}")])
            .args(["-setcookie", COOKIE, "-eval", &eval])
            .output()
            .unwrap();
        stdout(&out).contains("pong")
    }

    /// `relnode check --strategy dns --service app --basename app --peers EXTRA`, timed.
    fn check(&self, extra: &[&str]) -> (Output, Duration) {
        self.check_under(&[], extra)
    }

    /// The same, run through `wrapper` (e.g. `prlimit --nofile=N:N`).
    fn check_under(&self, wrapper: &[&str], extra: &[&str]) -> (Output, Duration) {
        timed(
            self.relnode_in_pod(wrapper)
                .args([
                    "check",
                    "--strategy",
                    "dns",
                    "--service",
                    "app",
                    "--basename",
                    "app",
                ])
                .args(extra)
                .env("MY_POD_IP", OUR_IP),
        )
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for child in &mut self.children {
            child.kill().ok();
            child.wait().ok();
        }
        // Then `net` goes: dnsmasq, the namespace and the directory.
    }
}

/// The report's `peer-node` lines with their cause/fix lines.
fn peer_lines(report: &str) -> Vec<String> {
    lines(report, "peer-node")
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
#[ignore = "needs root"]
fn a_rightly_named_peer_is_ok_and_stays_quiet_and_up() {
    let mut net = Net::new("ok", &[PEER_IP.to_owned()]);
    net.epmd();
    let node = format!("app@{PEER_IP}");
    let log = net.erl(&node);
    let before = read(&log);
    let (out, _) = net.check(&["--peers"]);
    let report = assert_exit(&out, 0);
    let lines = peer_lines(&report);
    assert_eq!(lines.len(), 1, "{report}");
    assert!(
        lines[0].starts_with("ok")
            && lines[0].contains(&format!(
                "handshake with {node}: epmd {PEER_IP}:4369 for app"
            ))
            && lines[0].contains("(as relnode_check_")
            && lines[0].contains(&format!("@{OUR_IP})"))
            && lines[0].contains(&format!("-> answered as {node} on port ")),
        "{report}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read(&log), before, "the probe left lines in the peer's log");
    assert!(net.pings(&node), "the peer no longer answers a ping");
}

#[test]
#[ignore = "needs root"]
fn a_misnamed_peer_is_reported_with_its_real_name() {
    let mut net = Net::new("misnamed", &[PEER_IP.to_owned()]);
    net.epmd();
    // The peer runs under mode dns's shape while the strategy dials mode ip's.
    let real = "app@10-78-0-6.ns1.pod.cluster.local";
    let log = net.erl(real);
    let before = read(&log);
    let (out, _) = net.check(&["--peers"]);
    let report = assert_exit(&out, 1);
    eprintln!("{report}");
    let line = &peer_lines(&report)[0];
    assert!(
        line.starts_with("FAIL")
            && line.contains(&format!("answered as {real} on port "))
            && line.contains(&format!("not as app@{PEER_IP}"))
            && line.contains("cause: the node at 10.78.0.6 runs under another name")
            && line.contains("fix: start that pod with the name its peers dial (app@10.78.0.6)"),
        "{report}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(read(&log), before, "the probe left lines in the peer's log");
}

#[test]
#[ignore = "needs root"]
fn no_node_on_a_host() {
    // Nothing at all on the peer's address: epmd's port refuses.
    let mut net = Net::new("no-node", &[PEER_IP.to_owned()]);
    let (out, _) = net.check(&["--peers"]);
    let report = assert_exit(&out, 1);
    let line = &peer_lines(&report)[0];
    assert!(
        line.starts_with("FAIL") && line.contains("10.78.0.6:4369 refused: no epmd"),
        "{report}"
    );
    // epmd runs, but no node is registered.
    net.epmd();
    let (out, _) = net.check(&["--peers"]);
    let report = assert_exit(&out, 1);
    let line = &peer_lines(&report)[0];
    assert!(
        line.starts_with("FAIL")
            && line.contains("epmd at 10.78.0.6 knows no node named app (it knows none)")
            && line.contains("the release is not up yet"),
        "{report}"
    );
    // A node of another basename: epmd's names say which.
    net.erl(&format!("myapp@{PEER_IP}"));
    let (out, _) = net.check(&["--peers"]);
    let report = assert_exit(&out, 1);
    let line = &peer_lines(&report)[0];
    assert!(
        line.contains("knows no node named app (it knows myapp)")
            && line.contains("another basename"),
        "{report}"
    );
}

#[test]
#[ignore = "needs root"]
fn dist_port_asks_the_node_without_epmd() {
    let mut net = Net::new("dist-port", &[PEER_IP.to_owned()]);
    net.epmd();
    let node = format!("app@{PEER_IP}");
    net.erl(&node);
    let port = net
        .epmd_names()
        .lines()
        .find_map(|l| {
            l.strip_prefix("name app at port ")
                .map(|p| p.trim().to_owned())
        })
        .expect("app's port");
    let (out, _) = net.check(&["--peers", "--dist-port", &port]);
    let report = assert_exit(&out, 0);
    let line = &peer_lines(&report)[0];
    assert!(
        line.contains(&format!("handshake with {node} at {PEER_IP}:{port}"))
            && line.contains(&format!("answered as {node}")),
        "{report}"
    );
    let (out, _) = net.check(&["--peers", "--dist-tls"]);
    let report = assert_exit(&out, 0);
    assert!(peer_lines(&report)[0].starts_with("skip"), "{report}");
    let (out, _) = net.check(&["--peers", "--dist-port", "0"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--dist-port"), "{}", stderr(&out));
}

/// Drops TCP to port 4369 for `net` inside the namespace, as a NetworkPolicy does.
fn drop_epmd(net: &Net, dest: &str) {
    let mut args = vec!["ip", "netns", "exec", &net.ns];
    args.extend_from_slice(&["iptables", "-A", "OUTPUT", "-d", dest, "-p", "tcp"]);
    args.extend_from_slice(&["--dport", "4369", "-j", "DROP"]);
    sh(&args);
}

#[test]
#[ignore = "needs root"]
fn a_peer_behind_a_dropping_route_is_bounded() {
    let mut net = Net::new("drop", &[PEER_IP.to_owned()]);
    net.epmd();
    drop_epmd(&net, PEER_IP);
    let (_, without) = net.check(&["--timeout", "1s"]);
    let (out, took) = net.check(&["--peers", "--timeout", "1s"]);
    // Nothing answered: the check could not run there (exit 3), not "the name is wrong".
    let report = assert_exit(&out, 3);
    let line = &peer_lines(&report)[0];
    assert!(
        line.contains("no answer within 1.0 s while connecting to epmd")
            && line.contains("NetworkPolicy"),
        "{report}"
    );
    let probe = took.saturating_sub(without);
    assert!(
        probe < Duration::from_millis(1100),
        "the probe took {probe:?}"
    );
}

/// 1,000 peers, all behind the dropping rule, cost one timeout (measured; printed with
/// `--nocapture`).
#[test]
#[ignore = "needs root"]
fn a_thousand_dropped_peers_finish_within_the_timeout() {
    let peers: Vec<String> = (0..1000)
        .map(|i| format!("10.82.{}.{}", 1 + i / 250, 1 + i % 250))
        .collect();
    let net = Net::new("thousand", &peers);
    net.ip(&["route", "add", "local", DROPPED_NET, "dev", "lo"]);
    drop_epmd(&net, DROPPED_NET);
    let (_, without) = net.check(&["--timeout", "1s"]);
    let (out, took) = net.check(&["--peers", "--timeout", "1s"]);
    let report = assert_exit(&out, 3);
    let lines = peer_lines(&report);
    assert_eq!(lines.len(), 1000, "{report}");
    assert!(
        lines.iter().all(|l| l.contains("no answer within 1.0 s")),
        "{report}"
    );
    let probe = took.saturating_sub(without);
    eprintln!(
        "1,000 dropped peers, --timeout 1s: check {took:?}, without --peers {without:?}, probe {probe:?}"
    );
    assert!(
        probe < Duration::from_millis(1100),
        "the probe took {probe:?}"
    );

    // With RLIMIT_NOFILE 300, at most 236 sockets are open at once: the rest never start,
    // are reported as such, and the time stays bounded.
    let limited = ["prlimit", "--nofile=300:300"];
    let (out, took) = net.check_under(&limited, &["--peers", "--timeout", "1s"]);
    let report = assert_exit(&out, 3);
    let lines = peer_lines(&report);
    assert_eq!(lines.len(), 1000, "{report}");
    let queued = lines.iter().filter(|l| l.contains("never started")).count();
    assert_eq!(queued, 1000 - 236, "{report}");
    let probe = took.saturating_sub(without);
    eprintln!("  the same under RLIMIT_NOFILE 300: check {took:?}, probe {probe:?}");
    assert!(
        probe < Duration::from_millis(1100),
        "the probe took {probe:?}"
    );
}
