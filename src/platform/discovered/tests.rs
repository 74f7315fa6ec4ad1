//! The rules' wiring: which inputs each rule reads, and what each refusal says. The lookups
//! themselves run against dnsmasq in tests/platforms.rs.

use super::*;
use crate::facts::PodFacts;
use crate::inputs::PodArgs;
use crate::inputs::tests::env;
use crate::platform;
use crate::platform::address::fixtures::{ips, local};

fn gather(args: &[(Id, &str)], vars: &[(&str, &str)]) -> Result<PodFacts, String> {
    let (args, vars) = (PodArgs::with(args), env(vars));
    platform::gather(
        &Lookup {
            args: &args,
            env: &vars,
        },
        None,
    )
    .map_err(|e| format!("{}: {e}", e.exit_status().code()))
}

/// A resolv.conf that does not exist: a rule that looked up would fail reading it.
const NO_RESOLV: (Id, &str) = (Id::ResolvConf, "/nonexistent/relnode-test/resolv.conf");

fn swarm_task() -> Vec<LocalAddress> {
    local(&[("eth0", "10.0.1.7", 24), ("eth1", "172.18.0.4", 16)])
}

fn tasks_app() -> Sourced<String> {
    Sourced::new("tasks.app".into(), Source::Flag("query"))
}

#[test]
fn rule_1_an_explicit_pod_ip_is_taken_without_a_lookup() {
    let facts = gather(
        &[(Id::Platform, "dns"), (Id::Basename, "app"), NO_RESOLV],
        &[("MY_POD_IP", "10.0.1.7"), ("RELNODE_QUERY", "tasks.app")],
    )
    .expect("no lookup, so the missing resolv.conf is never read");
    assert_eq!(facts.node_name().expect("name"), "app@10.0.1.7");
    assert_eq!(facts.ip.expect("ip").source, Source::Env("MY_POD_IP"));
    assert_eq!(facts.strategy.value, Strategy::DnsCluster);
    // No query is needed when nothing is looked up.
    let facts = gather(
        &[(Id::Platform, "dns"), (Id::Basename, "app"), NO_RESOLV],
        &[
            ("MY_POD_IPS", "10.0.1.7,fd12::7"),
            ("RELNODE_IP_FAMILY", "ipv6"),
        ],
    )
    .expect("valid");
    assert_eq!(facts.node_name().expect("name"), "app@fd12::7");
    assert!(facts.ipv6);
}

#[test]
fn rule_2_a_cidr_holding_none_or_a_bad_cidr_is_refused_without_a_lookup() {
    let base = [(Id::Platform, "dns"), (Id::Basename, "app"), NO_RESOLV];
    let with = |cidr: &'static str| {
        let mut args = base.to_vec();
        args.push((Id::IpCidr, cidr));
        gather(&args, &[])
    };
    // A documentation range none of this machine's interfaces is in.
    let local = address::local_interfaces().expect("getifaddrs");
    let free = [
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.0.2.0/24",
        "2001:db8:7e57::/48",
    ]
    .into_iter()
    .find(|c| {
        let cidr: Cidr = c.parse().expect("cidr");
        !local.iter().any(|a| cidr.contains(a.ip))
    })
    .expect("a documentation range this machine does not use");
    let err = with(free).unwrap_err();
    assert!(
        err.starts_with("2: IP range (--ip-cidr, RELNODE_IP_CIDR)")
            && err.contains("holds none of this host's addresses"),
        "{err}"
    );
    let err = with("10.0.0.0").unwrap_err();
    assert!(err.starts_with("2: ") && err.contains("/PREFIX"), "{err}");
}

#[test]
fn rule_3_needs_a_query_and_a_given_pod_ip_needs_no_lookup() {
    let err = gather(&[(Id::Platform, "dns"), (Id::Basename, "app")], &[]).unwrap_err();
    assert!(
        err.starts_with("2: query (--query, RELNODE_QUERY, DNS_CLUSTER_QUERY)")
            && err.contains("tasks.<service>"),
        "{err}"
    );
    let args = [
        (Id::Platform, "dns"),
        (Id::Basename, "app"),
        (Id::Strategy, "Cluster.Strategy.DNSPoll"),
        (Id::Query, "app"),
    ];
    // With the pod IP given nothing is looked up: a single-label DNSPoll query is the user's
    // to vouch for (tests/platforms.rs refuses one the resolver answers only via the search list).
    let facts = gather(&args, &[("MY_POD_IP", "10.0.1.7")]).expect("no lookup");
    assert_eq!(facts.node_name().expect("name"), "app@10.0.1.7");
    // dns_cluster applies the search list: a single label is fine; the root dot is dropped.
    let facts = gather(
        &[
            (Id::Platform, "dns"),
            (Id::Basename, "app"),
            (Id::Query, "tasks.app."),
        ],
        &[("MY_POD_IP", "10.0.1.7"), ("DNS_CLUSTER_QUERY", "other")],
    )
    .expect("valid");
    let query = facts.query.expect("query");
    assert_eq!(
        (query.value.as_str(), &query.source),
        ("tasks.app", &Source::Flag("query"))
    );
}

#[test]
fn only_the_dns_strategies_name_a_dns_discovered_node() {
    for (strategy, mode) in [
        ("kubernetes", "ip"),
        ("dnssrv", "hostname"),
        ("dnspoll", "dns"),
    ] {
        let err = gather(
            &[
                (Id::Platform, "dns"),
                (Id::Basename, "app"),
                (Id::Strategy, strategy),
                (Id::Mode, mode),
            ],
            &[("MY_POD_IP", "10.0.1.7")],
        )
        .unwrap_err();
        assert!(err.starts_with("2: strategy"), "{strategy} {mode}: {err}");
    }
    let facts = gather(
        &[
            (Id::Platform, "dns"),
            (Id::Basename, "app"),
            (Id::Strategy, "dnspoll"),
            (Id::Query, "tasks.app"),
        ],
        &[("MY_POD_IP", "10.0.1.7")],
    )
    .expect("valid");
    assert_eq!(facts.node_name().expect("name"), "app@10.0.1.7");
}

#[test]
fn rules_3_and_4_say_which_rule_chose() {
    let (ip, warnings) = by_answer(
        &tasks_app(),
        &ips(&["10.0.1.5", "10.0.1.7"]),
        &swarm_task(),
        None,
    )
    .expect("listed");
    assert_eq!(ip.value, "10.0.1.7".parse::<IpAddr>().unwrap());
    assert_eq!(ip.source, Source::Derived(address::Rule::Listed.text()));
    assert!(warnings.is_empty());
    let (ip, warnings) =
        by_answer(&tasks_app(), &ips(&["10.0.1.5"]), &swarm_task(), None).expect("subnet");
    assert_eq!(
        ip.source,
        Source::Derived(address::Rule::PeersSubnet.text())
    );
    assert!(
        warnings[0].contains("does not list this node yet") && warnings[0].contains("eth0"),
        "{warnings:?}"
    );
}

#[test]
fn the_refusals_name_what_was_seen_and_nomads_bridge_mode() {
    let refused = |answer: &[&str], local: &[LocalAddress], v6: Option<bool>| {
        let err = by_answer(&tasks_app(), &ips(answer), local, v6).unwrap_err();
        (err.exit_status().code(), err.to_string())
    };
    let (code, err) = refused(&["192.168.50.3"], &swarm_task(), None);
    assert_eq!(code, 2);
    assert!(
        err.contains("192.168.50.3")
            && err.contains("10.0.1.7/24 (eth0)")
            && err.contains("Nomad's bridge networking Consul registers the host's address"),
        "{err}"
    );
    let two = local(&[("eth0", "10.0.1.7", 24), ("eth1", "10.0.1.8", 24)]);
    let (code, err) = refused(&["10.0.1.7", "10.0.1.8"], &two, None);
    assert_eq!(code, 2);
    assert!(
        err.contains("several") && err.contains("10.0.1.8/24 (eth1)") && err.contains("--ip-cidr"),
        "{err}"
    );
    let (code, err) = refused(&["10.0.1.7"], &swarm_task(), Some(true));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("IP family (--ip-family") && err.contains("asks for ipv6"),
        "{err}"
    );
}

#[test]
fn an_empty_answer_names_the_gates_and_the_way_around() {
    let wait = Sourced::new(Duration::from_secs(3), Source::Flag("dns-wait"));
    let err = empty_answer(&tasks_app(), &wait);
    assert_eq!(err.exit_status().code(), 2);
    let text = err.to_string();
    for needed in [
        "3.0 s",
        "HEALTHCHECK",
        "publishNotReadyAddresses",
        "--ip-cidr",
    ] {
        assert!(text.contains(needed), "{needed}: {text}");
    }
}

#[test]
fn railway_fails_closed_and_its_domain_is_the_query() {
    let err = gather(&[(Id::Basename, "app")], &[("RAILWAY_PRIVATE_DOMAIN", "")]).unwrap_err();
    assert!(
        err.starts_with("2: RAILWAY_PRIVATE_DOMAIN: \"\" is empty"),
        "{err}"
    );
    let facts = gather(
        &[(Id::Basename, "app"), NO_RESOLV],
        &[
            ("RAILWAY_PRIVATE_DOMAIN", "app.railway.internal"),
            ("MY_POD_IP", "fd12::7"),
        ],
    )
    .expect("valid");
    let query = facts.query.as_ref().expect("query");
    assert_eq!(
        (query.value.as_str(), &query.source),
        (
            "app.railway.internal",
            &Source::Env("RAILWAY_PRIVATE_DOMAIN")
        )
    );
    assert_eq!(facts.platform.value, "railway");
    assert!(facts.ipv6);
}

#[test]
fn render_names_its_service_and_fails_closed_without_its_discovery_name() {
    let facts = gather(
        &[NO_RESOLV],
        &[
            ("RENDER", "true"),
            ("RENDER_SERVICE_NAME", "shop"),
            ("RENDER_DISCOVERY_SERVICE", "shop-discovery"),
            ("MY_POD_IP", "10.0.1.7"),
        ],
    )
    .expect("valid");
    assert_eq!(facts.node_name().expect("name"), "shop@10.0.1.7");
    assert_eq!(facts.basename.source, Source::Env("RENDER_SERVICE_NAME"));
    // --basename wins over the service name.
    let facts = gather(
        &[(Id::Basename, "app"), NO_RESOLV],
        &[
            ("RENDER", "true"),
            ("RENDER_SERVICE_NAME", "shop"),
            ("MY_POD_IP", "10.0.1.7"),
        ],
    )
    .expect("valid");
    assert_eq!(facts.node_name().expect("name"), "app@10.0.1.7");
    // Nothing to look up and no discovery name: refused, naming it.
    let err = gather(&[], &[("RENDER", "true"), ("RENDER_SERVICE_NAME", "shop")]).unwrap_err();
    assert!(
        err.starts_with("2: query") && err.contains("RENDER_DISCOVERY_SERVICE"),
        "{err}"
    );
    // DNSPoll with the pod IP given: nothing looked up (tests/platforms.rs refuses Render's
    // single label when the lookup is made and only the search list answers it).
    let facts = gather(
        &[(Id::Strategy, "dnspoll")],
        &[
            ("RENDER", "true"),
            ("RENDER_SERVICE_NAME", "shop"),
            ("RENDER_DISCOVERY_SERVICE", "shop-discovery"),
            ("MY_POD_IP", "10.0.1.7"),
        ],
    )
    .expect("no lookup");
    assert_eq!(facts.node_name().expect("name"), "shop@10.0.1.7");
}
