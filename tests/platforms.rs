//! The platforms that discover peers by one DNS name (dns, railway, render), against real
//! parts: a network namespace made as Docker Swarm makes a task's (an overlay-like interface in
//! 10.0.9.0/24 that dnsmasq lists for `tasks.app`, a gwbridge-like one in 172.18/16 holding the
//! default route, a third with two addresses of another subnet), dnsmasq as its resolver, and
//! relnode's binary run inside it through `ip netns exec` with no pod IP. Needs root.
//!
//! What is real: the binary, getifaddrs on the namespace's interfaces, relnode's DNS client
//! talking to dnsmasq over UDP. What is transcribed: the records (Swarm's `tasks.<svc>`,
//! Railway's IPv6-only `<svc>.railway.internal`, Render's `<svc>-discovery` through the search
//! list), as facts.md describes them.

mod common;

use std::process::Output;
use std::time::Duration;

use common::netns::{Netns, timed};
use common::{BIN, stderr, stdout};

/// The records dnsmasq serves, and the zones it answers NXDOMAIN for what is not recorded.
const RECORDS: &[&str] = &[
    // Swarm's tasks.app: this task (10.0.9.7) and two peers on the overlay.
    "tasks.app,10.0.9.5",
    "tasks.app,10.0.9.7",
    "tasks.app,10.0.9.6",
    // Not listed yet (a HEALTHCHECK still starting), its peers are.
    "tasks.late,10.0.9.5",
    "tasks.late,10.0.9.6",
    // Addresses no interface here has nor shares a subnet with (Nomad bridge mode: the host's).
    "tasks.far,192.168.50.3",
    // Both families listed for this task.
    "tasks.dual,10.0.9.7,fd00:9::7",
    "tasks.dual,10.0.9.5,fd00:9::5",
    // Two addresses of this host listed.
    "tasks.two,10.0.10.7",
    "tasks.two,10.0.10.8",
    // A single label the resolver answers as given, as Docker's embedded DNS answers a Compose
    // service name.
    "bare,10.0.9.7",
    "bare,10.0.9.6",
    // A single label answered only through the search list (CoreDNS, Render).
    "web.swarm.test,10.0.9.7",
    "web.swarm.test,10.0.9.6",
    // Railway before 2025-10-16: IPv6 only.
    "app.railway.internal,fd00:9::7",
    "app.railway.internal,fd00:9::5",
    // Render's discovery name, through the search list.
    "shop-discovery.swarm.test,10.0.9.7",
    "shop-discovery.swarm.test,10.0.9.6",
];
const ZONES: &[&str] = &[
    "app",
    "bare",
    "late",
    "far",
    "dual",
    "two",
    "empty",
    "soon",
    "swarm.test",
    "railway.internal",
];

/// A task's network namespace with dnsmasq on its loopback.
struct Task {
    net: Netns,
}

crate::deref_netns!(Task);

impl Task {
    fn new() -> Task {
        let task = Netns::new(
            "tests/platforms.rs",
            "relnode-plt",
            "relnode-platforms",
            None,
        );
        // Records published later (SIGHUP), as Swarm lists a task once it is healthy.
        task.write("late.hosts", "");
        let late = format!("--addn-hosts={}", task.dir.join("late.hosts").display());
        task.task_network(
            // The overlay (listed in tasks.app), the gwbridge (the default route), another network.
            &[
                ("eth0", &["10.0.9.7/24", "fd00:9::7/64"]),
                ("eth1", &["172.18.0.4/16"]),
                ("eth2", &["10.0.10.7/24", "10.0.10.8/24"]),
            ],
            ZONES,
            RECORDS,
            &[late],
        );
        // A nameserver on the overlay that nobody answers at, inside this namespace.
        task.write("silent.conf", "nameserver 10.0.9.99\noptions timeout:1\n");
        Task { net: task }
    }

    /// `relnode env ARGS` inside the namespace with only `env`; and how long it took.
    fn env(&self, args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
        timed(
            self.relnode()
                .arg("env")
                .args(args)
                .envs(env.iter().copied()),
        )
    }

    /// `relnode env --platform dns --basename app ARGS`, expected to succeed: its stdout.
    fn named(&self, args: &[&str]) -> String {
        let mut all = vec!["--platform", "dns", "--basename", "app"];
        all.extend_from_slice(args);
        let (out, _) = self.env(&all, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// Expected to fail with `code`: its stderr.
    fn refused(&self, args: &[&str], env: &[(&str, &str)], code: i32) -> (String, Duration) {
        let mut all = vec!["--basename", "app"];
        all.extend_from_slice(args);
        let (out, took) = self.env(&all, env);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing written: {}", stdout(&out));
        (stderr(&out), took)
    }
}

const NAMED_LISTED: &str = "RELEASE_NODE='app@10.0.9.7'";

#[test]
#[ignore = "needs root"]
fn a_swarm_task_is_named_after_its_listed_overlay_address_not_the_default_routes() {
    let task = Task::new();
    let (out, _) = task.env(
        &[
            "--platform",
            "dns",
            "--basename",
            "app",
            "--query",
            "tasks.app",
            "--explain",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(NAMED_LISTED), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the local address the query's answer lists"),
        "{}",
        stderr(&out)
    );
    // DNSPoll asks the name as given; RELNODE_QUERY is read before DNS_CLUSTER_QUERY.
    let (out, _) = task.env(
        &[
            "--platform",
            "dns",
            "--basename",
            "app",
            "--strategy",
            "Cluster.Strategy.DNSPoll",
        ],
        &[
            ("RELNODE_QUERY", "tasks.app"),
            ("DNS_CLUSTER_QUERY", "tasks.far"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(NAMED_LISTED), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("DNS_CLUSTER_QUERY"),
        "{}",
        stdout(&out)
    );
    // dns_cluster and Kubernetes.DNS go through the search list: Compose's service name.
    for strategy in ["dnscluster", "dns"] {
        let out = task.named(&["--strategy", strategy, "--query", "web"]);
        assert!(out.contains(NAMED_LISTED), "{strategy}: {out}");
    }
}

#[test]
#[ignore = "needs root"]
fn ip_cidr_chooses_without_a_lookup() {
    let task = Task::new();
    // The silent resolver would make any lookup fail: none is made.
    let (out, took) = task.env(
        &[
            "--platform",
            "dns",
            "--basename",
            "app",
            "--ip-cidr",
            "10.0.9.0/24",
        ],
        &[(
            "RELNODE_RESOLV_CONF",
            task.dir.join("silent.conf").to_str().unwrap(),
        )],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(NAMED_LISTED), "{}", stdout(&out));
    assert!(took < Duration::from_millis(900), "{took:?}");
    let (err, _) = task.refused(&["--platform", "dns", "--ip-cidr", "10.0.0.0/8"], &[], 2);
    assert!(
        err.contains("holds several") && err.contains("10.0.10.8/24 (eth2)"),
        "{err}"
    );
    // An explicit pod IP wins over everything, with no lookup either.
    let out = task.named(&["--pod-ip", "10.0.9.70", "--query", "tasks.far"]);
    assert!(out.contains("RELEASE_NODE='app@10.0.9.70'"), "{out}");
}

#[test]
#[ignore = "needs root"]
fn not_yet_listed_takes_the_peers_subnet_and_says_so() {
    let task = Task::new();
    let (out, _) = task.env(
        &[
            "--platform",
            "dns",
            "--basename",
            "app",
            "--query",
            "tasks.late",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(NAMED_LISTED), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("tasks.late does not list this node yet"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[ignore = "needs root"]
fn an_empty_answer_is_retried_until_dns_wait_then_refused() {
    let task = Task::new();
    let (err, took) = task.refused(
        &[
            "--platform",
            "dns",
            "--query",
            "tasks.empty",
            "--dns-wait",
            "1500ms",
        ],
        &[],
        2,
    );
    let retries = err
        .lines()
        .filter(|l| l.contains("lists no address yet"))
        .count();
    assert!(retries >= 3, "0.25 + 0.5 + 0.75 s: {err}");
    assert!(
        err.contains("HEALTHCHECK")
            && err.contains("publishNotReadyAddresses")
            && err.contains("--ip-cidr"),
        "{err}"
    );
    assert!(
        took >= Duration::from_millis(1100) && took < Duration::from_millis(2500),
        "{took:?}"
    );
}

#[test]
#[ignore = "needs root"]
fn a_task_listed_during_the_wait_is_named_after_it() {
    let task = Task::new();
    let child = task
        .exec()
        .args([BIN, "env", "--platform", "dns"])
        .args([
            "--basename",
            "app",
            "--query",
            "tasks.soon",
            "--dns-wait",
            "5s",
        ])
        .env_clear()
        .env("RELNODE_RESOLV_CONF", task.dir.join("resolv.conf"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run relnode");
    std::thread::sleep(Duration::from_millis(700));
    task.write("late.hosts", "10.0.9.7 tasks.soon\n10.0.9.5 tasks.soon\n");
    task.reload_dns();
    let out = child.wait_with_output().expect("relnode ends");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(NAMED_LISTED), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("tasks.soon lists no address yet"),
        "the retries are said: {}",
        stderr(&out)
    );
}

#[test]
#[ignore = "needs root"]
fn an_unreachable_resolver_could_not_run_within_dns_wait() {
    let task = Task::new();
    let silent = task.dir.join("silent.conf");
    let (err, took) = task.refused(
        &[
            "--platform",
            "dns",
            "--query",
            "tasks.app",
            "--dns-wait",
            "2s",
        ],
        &[("RELNODE_RESOLV_CONF", silent.to_str().unwrap())],
        3,
    );
    assert!(
        err.contains("cannot look up tasks.app") && err.contains("10.0.9.99"),
        "{err}"
    );
    assert!(took < Duration::from_millis(3500), "{took:?}");
    // No nameserver at all: could not run, at once.
    task.write("none.conf", "search swarm.test\n");
    let none = task.dir.join("none.conf");
    let (err, took) = task.refused(
        &["--platform", "dns", "--query", "tasks.app"],
        &[("RELNODE_RESOLV_CONF", none.to_str().unwrap())],
        3,
    );
    assert!(err.contains("names no nameserver"), "{err}");
    assert!(took < Duration::from_millis(900), "{took:?}");
}

#[test]
#[ignore = "needs root"]
fn refusals_search_list_only_dnspoll_several_listed_none_listed() {
    let task = Task::new();
    let (err, _) = task.refused(
        &[
            "--platform",
            "dns",
            "--strategy",
            "dnspoll",
            "--query",
            "web",
        ],
        &[],
        2,
    );
    // DNSPoll asks as given: only the search list gives `web` addresses, so it never would.
    assert!(
        err.contains("has no address as given") && err.contains("--query web.swarm.test"),
        "{err}"
    );
    // A single label the resolver answers as given is DNSPoll's to use (Compose).
    let out = task.named(&["--strategy", "dnspoll", "--query", "bare"]);
    assert!(out.contains("RELEASE_NODE='app@10.0.9.7'"), "{out}");
    let (err, _) = task.refused(&["--platform", "dns", "--query", "tasks.two"], &[], 2);
    assert!(
        err.contains("several") && err.contains("10.0.10.7/24 (eth2)"),
        "{err}"
    );
    let (err, _) = task.refused(&["--platform", "dns", "--query", "tasks.far"], &[], 2);
    assert!(
        err.contains("192.168.50.3") && err.contains("Nomad"),
        "{err}"
    );
}

#[test]
#[ignore = "needs root"]
fn both_families_listed_choose_ipv4_unless_ipv6_is_asked() {
    let task = Task::new();
    let out = task.named(&["--query", "tasks.dual"]);
    assert!(out.contains(NAMED_LISTED), "{out}");
    let out = task.named(&["--query", "tasks.dual", "--ip-family", "ipv6"]);
    assert!(out.contains("RELEASE_NODE='app@fd00:9::7'"), "{out}");
    assert!(out.contains("inet6_tcp"), "IPv6 distribution: {out}");
}

#[test]
#[ignore = "needs root"]
fn railway_and_render_are_detected_and_named_from_their_variables() {
    let task = Task::new();
    // Railway's legacy environment: IPv6 only.
    let (out, _) = task.env(
        &["--basename", "app", "--explain"],
        &[("RAILWAY_PRIVATE_DOMAIN", "app.railway.internal")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("RELEASE_NODE='app@fd00:9::7'"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("detected: RAILWAY_PRIVATE_DOMAIN is set"),
        "{}",
        stderr(&out)
    );
    // Render: <RENDER_SERVICE_NAME>@<the address its discovery name lists>.
    let render = [
        ("RENDER", "true"),
        ("RENDER_SERVICE_NAME", "shop"),
        ("RENDER_DISCOVERY_SERVICE", "shop-discovery"),
    ];
    let (out, _) = task.env(&[], &render);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("RELEASE_NODE='shop@10.0.9.7'"),
        "{}",
        stdout(&out)
    );
    // Fail closed: a detected platform lacking its fact.
    let (err, _) = task.refused(&[], &[("RAILWAY_PRIVATE_DOMAIN", "")], 2);
    assert!(
        err.contains("RAILWAY_PRIVATE_DOMAIN") && err.contains("is empty"),
        "{err}"
    );
    let (err, _) = task.refused(&[], &[("RENDER", "true")], 2);
    assert!(err.contains("RENDER_DISCOVERY_SERVICE"), "{err}");
    let (err, _) = task.refused(&["--strategy", "dnspoll"], &render, 2);
    assert!(
        err.contains("has no address as given")
            && err.contains("--query shop-discovery.swarm.test"),
        "{err}"
    );
    // Two platforms at once.
    let (err, _) = task.refused(
        &[],
        &[
            ("RENDER", "true"),
            ("RAILWAY_PRIVATE_DOMAIN", "app.railway.internal"),
        ],
        2,
    );
    assert!(
        err.contains("railway") && err.contains("render") && err.contains("--platform"),
        "{err}"
    );
}
