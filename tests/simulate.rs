//! `relnode simulate` driven from outside, on kubectl-shaped JSON (tests/simulate/*.json):
//! which names libcluster 3.5.0 dials, which entries it skips or crashes on, and what is flagged.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::{BIN, Pod};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/simulate")
        .join(name)
}

fn simulate(args: &[&str]) -> Output {
    let mut all = vec!["simulate"];
    all.extend(args);
    common::relnode_clean(&all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `verdict name-or-ip` pairs of the text output, in order.
fn verdicts(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .map(|l| {
            let mut words = l.split_whitespace();
            (
                words.next().unwrap_or_default().to_owned(),
                words.next().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The indented lines (why/problem/warning) under the entry whose second column is `key`.
fn notes_of(stdout: &str, key: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stdout.lines() {
        if !line.starts_with(' ') {
            inside = line.split_whitespace().nth(1) == Some(key);
        } else if inside {
            out += line.trim();
            out.push('\n');
        }
    }
    out
}

struct Case {
    what: &'static str,
    file: &'static str,
    args: &'static [&'static str],
    /// (verdict, name or IP) per entry, in input order.
    want: &'static [(&'static str, &'static str)],
    /// (entry, text its notes must contain).
    flagged: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        what: "StatefulSet Endpoints, mode hostname: notReadyAddresses are never dialled",
        file: "endpoints-statefulset.json",
        args: &["--mode", "hostname"],
        want: &[
            ("dials", "app@db-0.db-headless.shop.svc.cluster.local"),
            ("dials", "app@db-1.db-headless.shop.svc.cluster.local"),
            ("skips", "10.42.0.12"),
        ],
        flagged: &[("10.42.0.12", "notReadyAddresses")],
    },
    Case {
        what: "StatefulSet Endpoints, mode dns",
        file: "endpoints-statefulset.json",
        args: &["--mode", "dns", "--cluster-name", "k8s"],
        want: &[
            ("dials", "app@10-42-0-10.shop.pod.k8s.local"),
            ("dials", "app@10-42-0-11.shop.pod.k8s.local"),
            ("skips", "10.42.0.12"),
        ],
        flagged: &[],
    },
    Case {
        what: "StatefulSet Endpoints through DNSSRV: the SRV targets, in the cluster domain",
        file: "endpoints-statefulset.json",
        args: &[
            "--strategy",
            "dnssrv",
            "--cluster-domain",
            "k8s.example.org",
        ],
        want: &[
            ("dials", "app@db-0.db-headless.shop.svc.k8s.example.org"),
            ("dials", "app@db-1.db-headless.shop.svc.k8s.example.org"),
            ("skips", "10.42.0.12"),
        ],
        flagged: &[],
    },
    Case {
        what: "Deployment Endpoints, mode ip: an address without targetRef crashes libcluster",
        file: "endpoints-deployment.json",
        args: &[],
        want: &[
            ("dials", "app@10.42.1.49"),
            ("dials", "app@10.42.2.50"),
            ("crashes", "10.42.3.51"),
        ],
        flagged: &[("10.42.3.51", "PR #216")],
    },
    Case {
        what: "Deployment Endpoints, mode hostname: no hostname gives app@.svc…",
        file: "endpoints-deployment.json",
        args: &["--mode", "hostname"],
        want: &[
            ("dials", "app@.web-headless.shop.svc.cluster.local"),
            ("dials", "app@.web-headless.shop.svc.cluster.local"),
            ("crashes", "10.42.3.51"),
        ],
        flagged: &[("app@.web-headless.shop.svc.cluster.local", "no hostname")],
    },
    Case {
        what: "Deployment Endpoints through Kubernetes.DNS: no targetRef is fine for DNS",
        file: "endpoints-deployment.json",
        args: &["--strategy", "dns"],
        want: &[
            ("dials", "app@10.42.1.49"),
            ("dials", "app@10.42.2.50"),
            ("dials", "app@10.42.3.51"),
        ],
        flagged: &[],
    },
    Case {
        what: "Deployment Endpoints through DNSSRV: dashed-IP targets",
        file: "endpoints-deployment.json",
        args: &["--strategy", "dnssrv", "--mode", "dns"],
        want: &[
            (
                "dials",
                "app@10-42-1-49.web-headless.shop.svc.cluster.local",
            ),
            (
                "dials",
                "app@10-42-2-50.web-headless.shop.svc.cluster.local",
            ),
            (
                "dials",
                "app@10-42-3-51.web-headless.shop.svc.cluster.local",
            ),
        ],
        flagged: &[(
            "app@10-42-1-49.web-headless.shop.svc.cluster.local",
            "dashed IP",
        )],
    },
    Case {
        what: "IPv6 Endpoints, mode ip: the address as :inet.ntoa prints it",
        file: "endpoints-ipv6.json",
        args: &[],
        want: &[("dials", "app@fd00:42::10")],
        flagged: &[],
    },
    Case {
        what: "IPv6 Endpoints, mode dns: the colons stay",
        file: "endpoints-ipv6.json",
        args: &["--mode", "dns"],
        want: &[("dials", "app@fd00:42::10.shop.pod.cluster.local")],
        flagged: &[("app@fd00:42::10.shop.pod.cluster.local", "keeps its colons")],
    },
    Case {
        what: "IPv6 Endpoints through Kubernetes.DNS: A records only, never dialled",
        file: "endpoints-ipv6.json",
        args: &["--strategy", "dns"],
        want: &[("skips", "fd00:42::10")],
        flagged: &[("fd00:42::10", "A records only")],
    },
    Case {
        what: "IPv6 Endpoints through DNSSRV mode dns: dashed IPv6 target",
        file: "endpoints-ipv6.json",
        args: &["--strategy", "dnssrv", "--mode", "dns"],
        want: &[(
            "dials",
            "app@fd00-42--10.web-headless.shop.svc.cluster.local",
        )],
        flagged: &[],
    },
    Case {
        what: "pods, mode hostname: spec.hostname, not metadata.name; not ready and terminating still dialled",
        file: "pods.json",
        args: &["--mode", "hostname", "--service", "db-headless"],
        want: &[
            ("dials", "app@db-0.db-headless.shop.svc.cluster.local"),
            ("dials", "app@.db-headless.shop.svc.cluster.local"),
            ("dials", "app@db-1.db-headless.shop.svc.cluster.local"),
            ("dials", "app@db-2.db-headless.shop.svc.cluster.local"),
            ("skips", "-"),
        ],
        flagged: &[
            (
                "app@db-0.db-headless.shop.svc.cluster.local",
                "status.podIP only",
            ),
            (
                "app@.db-headless.shop.svc.cluster.local",
                "not metadata.name",
            ),
            ("app@db-1.db-headless.shop.svc.cluster.local", "not ready"),
            ("app@db-2.db-headless.shop.svc.cluster.local", "terminating"),
        ],
    },
    Case {
        what: "pods, mode hostname without --service: an empty label",
        file: "pods.json",
        args: &["--mode", "hostname"],
        want: &[
            ("dials", "app@db-0..shop.svc.cluster.local"),
            ("dials", "app@..shop.svc.cluster.local"),
            ("dials", "app@db-1..shop.svc.cluster.local"),
            ("dials", "app@db-2..shop.svc.cluster.local"),
            ("skips", "-"),
        ],
        flagged: &[(
            "app@db-0..shop.svc.cluster.local",
            "kubernetes_service_name",
        )],
    },
    Case {
        what: "dual-stack EndpointSlices, read as Endpoints: ready, not ready, terminating, IPv6 slice",
        file: "endpointslices-dual-stack.json",
        args: &["--mode", "hostname"],
        want: &[
            ("dials", "app@db-0.db-headless.shop.svc.cluster.local"),
            ("skips", "10.42.0.11"),
            ("skips", "10.42.0.12"),
            ("dials", "app@db-3.db-headless.shop.svc.cluster.local"),
            ("skips", "fd00:42::10"),
        ],
        flagged: &[
            ("10.42.0.11", "notReadyAddresses"),
            ("10.42.0.12", "terminating (still serving)"),
            (
                "app@db-3.db-headless.shop.svc.cluster.local",
                "terminating but ready",
            ),
            ("fd00:42::10", "primary family"),
        ],
    },
    Case {
        what: "dual-stack EndpointSlices with an IPv6-first Service",
        file: "endpointslices-dual-stack.json",
        args: &["--ip-family", "ipv6"],
        want: &[
            ("skips", "10.42.0.10"),
            ("skips", "10.42.0.11"),
            ("skips", "10.42.0.12"),
            ("skips", "10.42.0.13"),
            ("dials", "app@fd00:42::10"),
        ],
        flagged: &[],
    },
    Case {
        what: "dual-stack EndpointSlices through Kubernetes.DNS: CoreDNS serves the A records whatever the primary family",
        file: "endpointslices-dual-stack.json",
        args: &["--strategy", "dns", "--ip-family", "ipv6"],
        want: &[
            ("dials", "app@10.42.0.10"),
            ("skips", "10.42.0.11"),
            ("skips", "10.42.0.12"),
            ("dials", "app@10.42.0.13"),
            ("skips", "fd00:42::10"),
        ],
        flagged: &[
            ("10.42.0.11", "ready endpoints only"),
            ("fd00:42::10", "A records only"),
        ],
    },
    Case {
        what: "dual-stack EndpointSlices through DNSSRV mode dns: one SRV target per family, both dialled",
        file: "endpointslices-dual-stack-deployment.json",
        args: &["--strategy", "dnssrv", "--mode", "dns"],
        want: &[
            (
                "dials",
                "app@10-42-1-49.web-headless.shop.svc.cluster.local",
            ),
            (
                "dials",
                "app@fd00-42--49.web-headless.shop.svc.cluster.local",
            ),
        ],
        flagged: &[],
    },
];

#[test]
fn names_as_libcluster_dials_them() {
    for case in CASES {
        let mut args = vec!["--basename", "app", "--from"];
        let path = fixture(case.file);
        args.push(path.to_str().expect("utf-8 path"));
        args.extend(case.args);
        let out = simulate(&args);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}{stdout}",
            case.what,
            text(&out.stderr)
        );
        let got = verdicts(&stdout);
        let want: Vec<(String, String)> = case
            .want
            .iter()
            .map(|(v, n)| (v.to_string(), n.to_string()))
            .collect();
        assert_eq!(got, want, "{}:\n{stdout}", case.what);
        for (entry, needle) in case.flagged {
            assert!(
                notes_of(&stdout, entry).contains(needle),
                "{}: {entry} should be flagged with {needle:?}:\n{stdout}",
                case.what
            );
        }
        // Entries nobody flagged really have no notes (the right ones, not every one).
        if case
            .what
            .starts_with("StatefulSet Endpoints, mode hostname")
        {
            assert!(notes_of(&stdout, "app@db-0.db-headless.shop.svc.cluster.local").is_empty());
        }
    }
}

#[test]
fn self_says_whether_a_name_is_dialled() {
    let path = fixture("endpoints-statefulset.json");
    let base = [
        "--basename",
        "app",
        "--mode",
        "hostname",
        "--from",
        path.to_str().expect("utf-8"),
    ];
    let out = simulate(
        &[
            &base[..],
            &["--self", "app@db-1.db-headless.shop.svc.cluster.local"],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("# self app@db-1.db-headless.shop.svc.cluster.local: dialled (Endpoints shop/db-headless, pod db-1)"));
    // Not ready, so not dialled: exit 1.
    let out = simulate(
        &[
            &base[..],
            &["--self", "app@db-2.db-headless.shop.svc.cluster.local"],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("NOT among the dialled names"));
}

#[test]
fn stdin_and_json() {
    let doc = std::fs::read(fixture("endpoints-deployment.json")).expect("fixture");
    let mut child = Command::new(BIN)
        .args([
            "simulate",
            "--basename",
            "app",
            "--from",
            "-",
            "--format",
            "json",
        ])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&doc)
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "\"crashes\": true",
        "\"name\": \"app@10.42.1.49\"",
        "\"verdict\": \"crashes\"",
        "\"input\": \"Endpoints\"",
    ] {
        assert!(s.contains(want), "{want} missing:\n{s}");
    }
}

/// Unreadable, non-JSON, wrong-kind, oversized input and bad flags: exit 2, nothing on stdout.
#[test]
fn bad_input_exits_2() {
    let scratch = Pod::new("simulate-bad");
    let not_json = scratch.write("not.json", "NAME ENDPOINTS\ndb 10.0.0.1:4369\n");
    let service = scratch.write(
        "svc.json",
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"db"}}"#,
    );
    let empty = scratch.write(
        "empty.json",
        r#"{"apiVersion":"v1","kind":"List","items":[]}"#,
    );
    let big = scratch.path("big.json");
    {
        let file = std::fs::File::create(&big).expect("create");
        file.set_len((64 << 20) + 1).expect("sparse file");
    }
    let fifo = scratch.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let s = |p: &PathBuf| p.to_str().expect("utf-8").to_owned();
    let dir = s(&scratch.dir);
    let pods = s(&fixture("pods.json"));
    let ep = s(&fixture("endpoints-statefulset.json"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--from".into(), s(&scratch.path("missing.json"))],
            "does not exist",
        ),
        (vec!["--from".into(), s(&not_json)], "is not JSON"),
        (vec!["--from".into(), s(&service)], "\"Service\""),
        (vec!["--from".into(), s(&empty)], "empty list"),
        (vec!["--from".into(), s(&big)], "is larger than"),
        (vec!["--from".into(), s(&fifo)], "not a regular file"),
        (vec!["--from".into(), dir], "not a regular file"),
        (
            vec!["--from".into(), "/dev/zero".into()],
            "not a regular file",
        ),
        (
            vec!["--from".into(), pods, "--strategy".into(), "dns".into()],
            "holds Pods",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--strategy".into(),
                "epmd".into(),
            ],
            "--strategy",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--strategy".into(),
                "dns".into(),
                "--mode".into(),
                "hostname".into(),
            ],
            "--mode",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--cluster-name".into(),
                "cluster.local".into(),
            ],
            "did you mean --cluster-domain",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--format".into(),
                "yaml".into(),
            ],
            "--format",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--ip-family".into(),
                "v6".into(),
            ],
            "--ip-family",
        ),
        (
            vec![
                "--from".into(),
                ep.clone(),
                "--basename".into(),
                "my.app".into(),
            ],
            "--basename",
        ),
        (
            vec!["--from".into(), ep, "--pod-ip".into(), "10.0.0.1".into()],
            "--pod-ip",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["--basename".to_owned(), "app".to_owned()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = simulate(&refs);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{refs:?}: {err}");
        assert!(err.contains(want), "{refs:?}: {want:?} not in {err}");
        assert!(out.stdout.is_empty(), "{refs:?}");
    }
}

/// An address without targetRef crashes the strategy, so no name is dialled, --self included.
#[test]
fn a_crash_dials_nobody() {
    let path = fixture("endpoints-deployment.json");
    let out = simulate(&[
        "--basename",
        "app",
        "--from",
        path.to_str().expect("utf-8"),
        "--self",
        "app@10.42.1.49",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("# self app@10.42.1.49: NOT dialled: libcluster crashes"),
        "{}",
        text(&out.stdout)
    );
}

/// Writes `doc` into a scratch file and simulates it with `args`.
fn simulate_doc(tag: &str, doc: &str, args: &[&str]) -> Output {
    let scratch = Pod::new(tag);
    let path = scratch.write("in.json", doc);
    let mut all = vec!["--basename", "app", "--from", path.to_str().expect("utf-8")];
    all.extend(args);
    simulate(&all)
}

fn address(ip: &str) -> String {
    format!(r#"{{"ip":"{ip}","targetRef":{{"kind":"Pod","name":"p","namespace":"shop"}}}}"#)
}

fn endpoints_doc(annotations: &str, addresses: &[String]) -> String {
    format!(
        r#"{{"kind":"Endpoints","metadata":{{"name":"db","namespace":"shop"{annotations}}},"subsets":[{{"addresses":[{}]}}]}}"#,
        addresses.join(",")
    )
}

/// libcluster dials a set: an address listed twice is one node, counted once.
#[test]
fn a_repeated_address_is_one_node() {
    let doc = endpoints_doc("", &[address("10.0.0.1"), address("10.0.0.1")]);
    let out = simulate_doc("repeat", &doc, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("# 1 dialled (0 with a problem)"),
        "{stdout}"
    );
    assert!(stdout.contains("counted once"), "{stdout}");
    let out = simulate_doc("repeat-json", &doc, &["--format", "json"]);
    assert!(
        text(&out.stdout).contains("\"dialled\": 1"),
        "{}",
        text(&out.stdout)
    );
}

/// An Endpoints object holds 1,000 addresses at most: the annotation says the rest are
/// missing, and slices past the cap are marked as what libcluster will not see.
#[test]
fn the_endpoints_cap_is_named() {
    let annotation = r#","annotations":{"endpoints.kubernetes.io/over-capacity":"truncated"}"#;
    let doc = endpoints_doc(annotation, &[address("10.0.0.1")]);
    let out = simulate_doc("cap", &doc, &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("# note: Endpoints shop/db is over capacity")
            && stdout.contains(
                "addresses past the cap are missing here and libcluster will not see them"
            ),
        "{stdout}"
    );
    let endpoints: Vec<String> = (0..1001)
        .map(|i| {
            format!(
                r#"{{"addresses":["10.1.{}.{}"],"conditions":{{"ready":true}},"targetRef":{{"kind":"Pod","name":"p{i}","namespace":"shop"}}}}"#,
                i / 250,
                i % 250
            )
        })
        .collect();
    let slices = format!(
        r#"{{"kind":"EndpointSlice","addressType":"IPv4","metadata":{{"name":"db-x","namespace":"shop","labels":{{"kubernetes.io/service-name":"db"}}}},"endpoints":[{}]}}"#,
        endpoints.join(",")
    );
    let out = simulate_doc("cap-slices", &slices, &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("# 1000 dialled"),
        "{}",
        &stdout[stdout.len() - 400..]
    );
    assert!(
        notes_of(&stdout, "10.1.4.0").contains("past the 1000 addresses"),
        "{}",
        &stdout[stdout.len() - 600..]
    );
    assert!(
        stdout.contains("# note: 1 ready address(es) past the 1000"),
        "{}",
        &stdout[..600]
    );
}

/// An empty list is valid: with --self it says the name is not dialled (exit 1); without,
/// there is nothing to simulate (exit 2, as `bad_input_exits_2` asserts).
#[test]
fn an_empty_list_with_self_is_not_dialled() {
    let out = simulate_doc(
        "empty-self",
        r#"{"apiVersion":"v1","kind":"List","items":[]}"#,
        &["--self", "app@10.0.0.1"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}{stdout}", text(&out.stderr));
    assert!(
        stdout.contains("# self app@10.0.0.1: NOT dialled: the list is empty"),
        "{stdout}"
    );
}

/// `"ip":"not-an-ip"` is an IP that is not one, not a missing IP.
#[test]
fn an_ip_that_is_not_one_is_named() {
    let doc = endpoints_doc("", &[address("not-an-ip")]);
    for args in [&[][..], &["--strategy", "dnssrv", "--mode", "dns"][..]] {
        let out = simulate_doc("not-ip", &doc, args);
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("\"not-an-ip\" is not an IP address") && !stdout.contains("has no IP"),
            "{args:?}: {stdout}"
        );
    }
}

/// Text from the input is printed escaped: an ESC, a newline or a bidi override inside a
/// field can neither colour the terminal nor forge a line.
#[test]
fn control_and_bidi_characters_from_the_input_are_escaped() {
    let doc = r#"{"kind":"Endpoints","metadata":{"name":"db","namespace":"shop"},"subsets":[{"addresses":[
        {"ip":"10.0.0.1","hostname":"db-0\u001b[31m\ndials   app@forged","targetRef":{"kind":"Pod","name":"p\u202eevil\u2066","namespace":"shop"}}]}]}"#;
    let out = simulate_doc("escape", doc, &["--mode", "hostname"]);
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{202e}') && !stdout.contains('\u{2066}'),
        "{stdout:?}"
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("dials   app@forged")),
        "{stdout}"
    );
    assert!(
        stdout.contains("\\u{1b}[31m\\ndials   app@forged")
            && stdout.contains("p\\u{202e}evil\\u{2066}"),
        "{stdout}"
    );
}

/// libcluster's DNSPoll on Kubernetes: its query (a headless Service's full name) answered by
/// CoreDNS with every ready endpoint of both families, each dialled as `<basename>@<ip>`.
const DNSPOLL_CASES: &[Case] = &[
    Case {
        what: "DNSPoll, dual-stack EndpointSlices: ready endpoints of both families",
        file: "endpointslices-dual-stack.json",
        args: &["--strategy", "dnspoll"],
        want: &[
            ("dials", "app@10.42.0.10"),
            ("skips", "10.42.0.11"),
            ("skips", "10.42.0.12"),
            ("dials", "app@10.42.0.13"),
            ("dials", "app@fd00:42::10"),
        ],
        flagged: &[
            ("10.42.0.11", "not ready"),
            ("app@fd00:42::10", "a name no node has"),
            ("app@fd00:42::10", "--ip-family ipv4"),
        ],
    },
    Case {
        what: "DNSPoll, dual-stack EndpointSlices, nodes named by their IPv6 address",
        file: "endpointslices-dual-stack.json",
        args: &["--strategy", "dnspoll", "--ip-family", "ipv6"],
        want: &[
            ("dials", "app@10.42.0.10"),
            ("skips", "10.42.0.11"),
            ("skips", "10.42.0.12"),
            ("dials", "app@10.42.0.13"),
            ("dials", "app@fd00:42::10"),
        ],
        flagged: &[("app@10.42.0.10", "its IPv6 one")],
    },
    Case {
        what: "DNSPoll, Deployment Endpoints: no targetRef is fine for DNS",
        file: "endpoints-deployment.json",
        args: &["--strategy", "dnspoll"],
        want: &[
            ("dials", "app@10.42.1.49"),
            ("dials", "app@10.42.2.50"),
            ("dials", "app@10.42.3.51"),
        ],
        flagged: &[],
    },
    Case {
        what: "DNSPoll, IPv6 Endpoints: AAAA records are asked too (unlike Kubernetes.DNS)",
        file: "endpoints-ipv6.json",
        args: &["--strategy", "dnspoll"],
        want: &[("dials", "app@fd00:42::10")],
        flagged: &[],
    },
];

#[test]
fn dnspoll_dials_every_address_coredns_serves() {
    for case in DNSPOLL_CASES {
        let path = fixture(case.file);
        let mut args = vec!["--basename", "app", "--from", path.to_str().expect("utf-8")];
        args.extend(case.args);
        let out = simulate(&args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}: {}", case.what, text(&out.stderr));
        assert!(
            stdout.starts_with("# Cluster.Strategy.DNSPoll (the A and AAAA records CoreDNS serves"),
            "{}:\n{stdout}",
            case.what
        );
        assert!(stdout.contains("asked as given"), "{stdout}");
        let want: Vec<(String, String)> = case
            .want
            .iter()
            .map(|(v, n)| (v.to_string(), n.to_string()))
            .collect();
        assert_eq!(verdicts(&stdout), want, "{}:\n{stdout}", case.what);
        for (entry, needle) in case.flagged {
            assert!(
                notes_of(&stdout, entry).contains(needle),
                "{}: {entry} should be flagged with {needle:?}:\n{stdout}",
                case.what
            );
        }
    }
    // A single-family answer has no other family to warn about.
    let path = fixture("endpoints-deployment.json");
    let out = simulate(&[
        "--basename",
        "app",
        "--strategy",
        "dnspoll",
        "--from",
        path.to_str().expect("utf-8"),
        "--self",
        "app@10.42.3.51",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("dual stack"), "{stdout}");
    assert!(
        stdout.contains("# self app@10.42.3.51: dialled"),
        "{stdout}"
    );
    // DNS reads endpoints, not Pods; dns_cluster is not libcluster and stays unmodelled.
    let pods = fixture("pods.json");
    let pods = pods.to_str().expect("utf-8");
    let out = simulate(&["--basename", "app", "--strategy", "dnspoll", "--from", pods]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("holds Pods"),
        "{}",
        text(&out.stderr)
    );
    let out = simulate(&[
        "--basename",
        "app",
        "--strategy",
        "dnscluster",
        "--from",
        pods,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("use kubernetes, dns, dnssrv or dnspoll"),
        "{}",
        text(&out.stderr)
    );
}
