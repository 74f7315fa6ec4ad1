//! `relnode check` for the strategies that dial every address of one DNS name (dnspoll,
//! dnscluster) on the platforms that name the node after that answer (dns, railway, render),
//! against real parts: a network namespace made as Docker Swarm makes a task's (an overlay-like
//! interface in 10.0.9.0/24 that dnsmasq lists for `tasks.app`, a gwbridge-like one in
//! 172.18/16 holding the default route), dnsmasq as its resolver, relnode's binary inside it
//! through `ip netns exec`, no pod IP unless a test gives the wrong one. Needs root.
//!
//! What is real: the binary, getifaddrs on the namespace's interfaces, relnode's DNS client
//! talking to dnsmasq over UDP. What is transcribed: the records (Swarm's `tasks.<svc>`, a name
//! answered only through the search list as CoreDNS and Render answer it), as facts.md says.

#![cfg(feature = "check")]

mod common;

use std::process::Output;

use common::netns::Netns;
use common::{stderr, stdout};

const RECORDS: &[&str] = &[
    // This task (10.0.9.7) and two peers on the overlay.
    "tasks.app,10.0.9.5",
    "tasks.app,10.0.9.7",
    "tasks.app,10.0.9.6",
    // Not listed yet (a HEALTHCHECK still starting); its peers are.
    "tasks.late,10.0.9.5",
    "tasks.late,10.0.9.6",
    // Nomad bridge mode: the hosts' addresses, which no interface here has nor neighbours.
    "tasks.far,192.168.50.3",
    // Only the search list finds it (CoreDNS, Render).
    "web.swarm.test,10.0.9.7",
    "web.swarm.test,10.0.9.6",
];
const ZONES: &[&str] = &["app", "late", "far", "empty", "swarm.test"];

/// A task's network namespace with dnsmasq on its loopback.
struct Task {
    net: Netns,
}

crate::deref_netns!(Task);

impl Task {
    fn new() -> Task {
        let task = Netns::new(
            "tests/check_dnspoll.rs",
            "relnode-chkp",
            "relnode-chkp",
            None,
        );
        task.task_network(
            &[("eth0", &["10.0.9.7/24"]), ("eth1", &["172.18.0.4/16"])],
            ZONES,
            RECORDS,
            &[],
        );
        Task { net: task }
    }

    /// `relnode check --basename app ARGS` inside the namespace, with only `env`.
    fn check(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.relnode()
            .args(["check", "--basename", "app"])
            .args(["--timeout", "2s", "--dns-wait", "1s"])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run relnode")
    }

    /// Expected to exit with `code`: its stdout (the report).
    fn report(&self, args: &[&str], env: &[(&str, &str)], code: i32) -> String {
        let out = self.check(args, env);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }
}

const DNSPOLL: &[&str] = &["--platform", "dns", "--strategy", "dnspoll"];

/// The line that starts with `start`, without it.
fn line_of(report: &str, start: &str) -> String {
    report
        .lines()
        .find_map(|l| l.strip_prefix(start))
        .unwrap_or_else(|| panic!("no line {start:?} in:\n{report}"))
        .to_owned()
}

/// The addresses a line lists, sorted.
fn addresses(line: &str) -> Vec<String> {
    let list = line.split(" (").next().unwrap_or_default();
    let mut all: Vec<String> = list.split(", ").map(str::to_owned).collect();
    all.sort();
    all
}

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
#[ignore = "needs root"]
fn dnspoll_names_the_listed_address_and_finds_it_among_the_names_dialled() {
    let task = Task::new();
    let report = task.report(&with(DNSPOLL, &["--query", "tasks.app"]), &[], 0);
    assert!(
        report.starts_with("relnode check: node app@10.0.9.7 ("),
        "{report}"
    );
    // dnsmasq rotates the order of its answer.
    let line = line_of(
        &report,
        "ok    dnspoll-query      A and AAAA tasks.app (as given, as DNSPoll's :inet_res.lookup does: no search list) -> ",
    );
    assert!(line.ends_with(" (ours among them)"), "{report}");
    assert_eq!(
        addresses(&line),
        ["10.0.9.5", "10.0.9.6", "10.0.9.7"],
        "{report}"
    );
    assert!(
        report.contains("names libcluster would dial (3):"),
        "{report}"
    );
    assert!(report.contains("  app@10.0.9.7  <- this node"), "{report}");
    // No pod IP was needed: the platform chose the address from the answer.
    assert!(!report.contains("\nFAIL"), "{report}");
}

#[test]
#[ignore = "needs root"]
fn the_default_routes_address_is_a_miss_shown_beside_this_hosts_addresses() {
    let task = Task::new();
    // The corkbits mistake: the node named after the gwbridge address (`hostname -i`).
    let args = with(DNSPOLL, &["--query", "tasks.app", "--pod-ip", "172.18.0.4"]);
    let report = task.report(&args, &[], 1);
    assert!(report.contains("FAIL  dnspoll-query"), "{report}");
    assert!(
        report.contains("cause: the node is named after 172.18.0.4, but the query lists this host at 10.0.9.7: peers dial that one"),
        "{report}"
    );
    assert!(report.contains("--ip-cidr"), "{report}");
    let listed = line_of(&report, "        query lists:    ");
    assert_eq!(
        addresses(&listed),
        ["10.0.9.5", "10.0.9.6", "10.0.9.7"],
        "{report}"
    );
    assert!(
        report.contains("this host has:  10.0.9.7/24 (eth0), 172.18.0.4/16 (eth1)"),
        "{report}"
    );
    assert!(
        report.contains("(this node, app@172.18.0.4, is not among them)"),
        "{report}"
    );
    // The same with --ip-cidr naming the gwbridge's subnet, and with dnscluster.
    let args = with(
        DNSPOLL,
        &["--query", "tasks.app", "--ip-cidr", "172.18.0.0/16"],
    );
    let report = task.report(&args, &[], 1);
    assert!(report.contains("this host at 10.0.9.7"), "{report}");
    let args = [
        "--platform",
        "dns",
        "--query",
        "tasks.app",
        "--pod-ip",
        "172.18.0.4",
    ];
    let report = task.report(&args, &[], 1);
    assert!(
        report.contains("FAIL  dnscluster-query   A and AAAA tasks.app (as dns_cluster's :inet_res.getbyname does)"),
        "{report}"
    );
    assert!(
        report.contains("this host has:  10.0.9.7/24 (eth0)"),
        "{report}"
    );
}

#[test]
#[ignore = "needs root"]
fn not_listed_yet_names_the_healthcheck_and_readiness() {
    let task = Task::new();
    // Rule 4 named the node after the peers' subnet; check says it is not listed yet.
    let report = task.report(&with(DNSPOLL, &["--query", "tasks.late"]), &[], 1);
    assert!(
        report.contains(
            "cause: this node is not listed yet; its peers are, in the subnet of 10.0.9.7/24 (eth0)"
        ),
        "{report}"
    );
    assert!(report.contains("HEALTHCHECK"), "{report}");
    assert!(report.contains("publishNotReadyAddresses"), "{report}");
}

#[test]
#[ignore = "needs root"]
fn an_answer_of_another_network_names_nomads_bridge_mode() {
    let task = Task::new();
    // The platform refuses to name the node (exit 2); with the address given, check shows why.
    let args = with(
        DNSPOLL,
        &["--query", "tasks.far", "--ip-cidr", "10.0.9.0/24"],
    );
    let report = task.report(&args, &[], 1);
    assert!(report.contains("query lists:    192.168.50.3"), "{report}");
    assert!(report.contains("Nomad's bridge networking"), "{report}");
    let out = task.check(&with(DNSPOLL, &["--query", "tasks.far"]), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Nomad's bridge networking"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
#[ignore = "needs root"]
fn dnspoll_asks_as_given_where_dnscluster_applies_the_search_list() {
    let task = Task::new();
    // dnscluster (search list) finds web.swarm.test; DNSPoll asks `web` as given and finds none.
    let args = [
        "--platform",
        "dns",
        "--query",
        "web",
        "--ip-cidr",
        "10.0.9.0/24",
    ];
    let report = task.report(&args, &[], 0);
    assert!(report.contains("ok    dnscluster-query"), "{report}");
    let args = with(DNSPOLL, &["--query", "web", "--ip-cidr", "10.0.9.0/24"]);
    let report = task.report(&args, &[], 1);
    assert!(
        report.contains("FAIL  dnspoll-query      A and AAAA web (as given"),
        "{report}"
    );
    assert!(
        report.contains("only resolv.conf's search list makes it web.swarm.test"),
        "{report}"
    );
    assert!(
        report.contains("fix: set DNSPoll's query: (and relnode --query) to web.swarm.test"),
        "{report}"
    );
    assert!(
        report.contains("names libcluster would dial: unknown"),
        "{report}"
    );
}

#[test]
#[ignore = "needs root"]
fn an_empty_answer_names_the_causes() {
    let task = Task::new();
    let args = with(
        DNSPOLL,
        &["--query", "tasks.empty", "--ip-cidr", "10.0.9.0/24"],
    );
    let report = task.report(&args, &[], 1);
    assert!(report.contains("FAIL  dnspoll-query"), "{report}");
    assert!(report.contains("HEALTHCHECK"), "{report}");
    assert!(report.contains("DNSPoll dials nothing"), "{report}");
}

#[test]
#[ignore = "needs root"]
fn railway_and_render_are_checked_through_their_platform() {
    let task = Task::new();
    // Railway's query comes from RAILWAY_PRIVATE_DOMAIN (here a Swarm-shaped name).
    let report = task.report(
        &["--strategy", "dnspoll"],
        &[("RAILWAY_PRIVATE_DOMAIN", "tasks.app")],
        0,
    );
    assert!(
        report.contains("ok    dnspoll-query      A and AAAA tasks.app"),
        "{report}"
    );
    // Render: its basename and (search-list) discovery name; dns_cluster finds it.
    let out = task
        .relnode()
        .args(["check", "--timeout", "2s"])
        .envs([
            ("RENDER", "true"),
            ("RENDER_DISCOVERY_SERVICE", "web"),
            ("RENDER_SERVICE_NAME", "shop"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("relnode check: node shop@10.0.9.7 ("),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("ok    dnscluster-query   A and AAAA web"),
        "{}",
        stdout(&out)
    );
}

#[test]
#[ignore = "needs root"]
fn dnscluster_on_kubernetes_says_a_miss_as_before() {
    let task = Task::new();
    // The kubernetes platform with a pod IP: no local addresses, 0.2's cause and fix.
    let args = [
        "--strategy",
        "dnscluster",
        "--query",
        "tasks.app",
        "--pod-ip",
        "10.0.9.8",
    ];
    let report = task.report(&args, &[], 1);
    assert!(
        report.contains("      cause: our IP 10.0.9.8 is not among the query's addresses: peers never dial this node\n      fix: point the query at the Service that selects this pod, add publishNotReadyAddresses: true, or use --wait until the pod is ready\nnames dns_cluster would dial (3):\n"),
        "{report}"
    );
    assert!(!report.contains("this host has"), "{report}");
}
