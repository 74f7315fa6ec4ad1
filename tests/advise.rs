//! `relnode advise` driven from outside: the committed examples are what it prints today, every
//! YAML file validates against the Kubernetes schemas, and bad answers exit 2.
//!
//! Regenerate the examples after changing advise or its templates:
//!     UPDATE_EXAMPLES=1 cargo test --test advise
//! (the only time a test writes into the source tree).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{BIN, Pod};

/// One folder of examples/ per leaf of the decision tree, and the answers that give it.
const SHAPES: &[(&str, &[&str])] = &[
    (
        "kubernetes-ip",
        &["--service-account", "yes", "--workload", "deployment"],
    ),
    (
        "kubernetes-hostname",
        &["--service-account", "yes", "--workload", "statefulset"],
    ),
    (
        "kubernetes-ip-statefulset-other-domain",
        &[
            "--service-account",
            "yes",
            "--workload",
            "statefulset",
            "--cluster-domain",
            "k8s.example.org",
        ],
    ),
    (
        "dns",
        &["--service-account", "no", "--workload", "deployment"],
    ),
    (
        "dns-dual-stack",
        &[
            "--service-account",
            "no",
            "--workload",
            "deployment",
            "--ip-family",
            "dual",
        ],
    ),
    (
        "dnssrv",
        &["--service-account", "no", "--workload", "statefulset"],
    ),
    (
        "dnssrv-dns-ipv6",
        &[
            "--service-account",
            "no",
            "--workload",
            "deployment",
            "--ip-family",
            "ipv6",
        ],
    ),
];

const FILES: [&str; 4] = [
    "advice.txt",
    "libcluster.exs",
    "env.sh.eex",
    "kubernetes.yaml",
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn advise(args: &[&str]) -> Output {
    let mut all = vec!["advise"];
    all.extend(args);
    common::relnode_clean(&all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn examples_are_what_advise_prints_today() {
    let update = std::env::var_os("UPDATE_EXAMPLES").is_some_and(|v| v == "1");
    let scratch = Pod::new("advise-examples");
    let mut stale = Vec::new();
    for (shape, answers) in SHAPES {
        let out_dir = scratch.path(shape);
        let mut args = answers.to_vec();
        args.extend(["--app", "myapp", "--output"]);
        let out_str = out_dir.to_str().expect("utf-8 temp path");
        args.push(out_str);
        let out = advise(&args);
        assert!(out.status.success(), "{shape}: {}", text(&out.stderr));
        let committed = examples().join(shape);
        if update {
            std::fs::create_dir_all(&committed).expect("create example folder");
        }
        for file in FILES {
            let fresh = std::fs::read_to_string(out_dir.join(file)).expect("advise wrote it");
            let path = committed.join(file);
            if update {
                std::fs::write(&path, &fresh).expect("update example");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        // No file in the folder that advise does not write.
        let names: Vec<String> = std::fs::read_dir(&committed)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            if !FILES.contains(&name.as_str()) {
                stale.push(format!(
                    "{} (not written by advise)",
                    committed.join(name).display()
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "examples differ from what relnode advise prints today: {stale:?}\n  regenerate: UPDATE_EXAMPLES=1 cargo test --test advise"
    );
}

/// Every example's YAML against the Kubernetes OpenAPI schemas, offline and strict (an unknown
/// field fails). `kubernetes-validate` comes from PyPI; scripts/test installs it.
#[test]
fn example_yaml_validates_against_kubernetes_schemas() {
    let tool =
        std::env::var_os("KUBERNETES_VALIDATE").unwrap_or_else(|| "kubernetes-validate".into());
    let probe = Command::new(&tool).arg("--version").output();
    if probe.as_ref().map_or(true, |o| !o.status.success()) {
        let why = format!(
            "{} is not installed (pip install kubernetes-validate; scripts/test does it)",
            tool.to_string_lossy()
        );
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("{why}");
        }
        eprintln!("SKIPPED example_yaml_validates_against_kubernetes_schemas: {why}");
        return;
    }
    for (shape, _) in SHAPES {
        let path = examples().join(shape).join("kubernetes.yaml");
        let out = Command::new(&tool)
            .args(["--strict", "--kubernetes-version", "1.30.0"])
            .arg(&path)
            .output()
            .expect("run kubernetes-validate");
        let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{}: {said}", path.display());
        assert!(!said.contains("INVALID"), "{}: {said}", path.display());
    }
    let scratch = Pod::new("advise-invalid-yaml");
    // Names YAML would read as a boolean or a number validate too (issue 18 #2).
    for name in ["no", "true", "0x1f", "123"] {
        let dir = scratch.path(name);
        let out = advise(&[
            "--service-account",
            "yes",
            "--workload",
            "statefulset",
            "--app",
            name,
            "--namespace",
            name,
            "--output",
            dir.to_str().expect("utf-8 temp path"),
        ]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let out = Command::new(&tool)
            .args(["--strict", "--kubernetes-version", "1.30.0"])
            .arg(dir.join("kubernetes.yaml"))
            .output()
            .expect("run kubernetes-validate");
        let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "--app {name}: {said}");
        assert!(!said.contains("INVALID"), "--app {name}: {said}");
    }
    // The check can fail: a field the schema does not have.
    let bad = scratch.write(
        "bad.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  publishNotReadyAdresses: true\n",
    );
    let out = Command::new(&tool)
        .args(["--strict", "--kubernetes-version", "1.30.0"])
        .arg(&bad)
        .output()
        .expect("run kubernetes-validate");
    assert!(
        !out.status.success(),
        "a misspelt field must fail validation"
    );
}

/// Reads two renders of kubernetes.yaml with PyYAML (a YAML 1.1 reader, as kubectl's
/// sigs.k8s.io/yaml is) and prints every place where the hostile one differs from the benign one
/// with `benign` replaced by `hostile` in every string: a value read as a boolean, null or number.
const SAME_BUT_FOR_THE_NAME: &str = r#"
import json, sys, yaml
benign_file, hostile_file, benign, hostile = sys.argv[1:]
def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]
def swap(v):
    if isinstance(v, str):
        return v.replace(benign, hostile)
    if isinstance(v, list):
        return [swap(x) for x in v]
    if isinstance(v, dict):
        return {swap(k): swap(x) for k, x in v.items()}
    return v
def diff(path, want, got):
    if type(want) is not type(got):
        print(f"{path}: {got!r} ({type(got).__name__}), not {want!r}")
    elif isinstance(want, dict):
        for k in want:
            diff(f"{path}.{k}", want[k], got.get(k))
    elif isinstance(want, list):
        for i, (w, g) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", w, g)
    elif want != got:
        print(f"{path}: {got!r}, not {want!r}")
want, got = swap(load(benign_file)), load(hostile_file)
if len(want) != len(got):
    print(f"{len(got)} documents, not {len(want)}")
for i, (w, g) in enumerate(zip(want, got)):
    diff(f"document {i}", w, g)
"#;

/// Issue 18 #2: a value from input that YAML would read as something else (`no`, `on`, `true`
/// are YAML 1.1 booleans, `null` is null, `123`, `0x1f`, `012` integers) stays a string in
/// kubernetes.yaml: unquoted, `kubectl apply` rejects it, or `--namespace null` lands in the
/// default namespace. Every shape's YAML, read back, is the benign one with the name swapped.
#[test]
fn yaml_values_from_input_stay_strings() {
    // scripts/test's venv has PyYAML (kubernetes-validate needs it).
    let python = std::env::var_os("RELNODE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
    let scratch = Pod::new("advise-yaml-strings");
    let script = scratch.write("same.py", SAME_BUT_FOR_THE_NAME);
    let shapes: &[&[&str]] = &[
        &["--service-account", "yes", "--workload", "statefulset"],
        &["--service-account", "yes", "--workload", "deployment"],
        &[
            "--service-account",
            "no",
            "--workload",
            "statefulset",
            "--cluster-domain",
            "k8s.example.org",
        ],
        &[
            "--service-account",
            "no",
            "--workload",
            "deployment",
            "--ip-family",
            "dual",
        ],
    ];
    let render = |i: usize, shape: &[&str], name: &str| {
        let dir = scratch.path(&format!("{i}-{name}"));
        let mut args = shape.to_vec();
        args.extend(["--app", name, "--namespace", name, "--service", name]);
        args.extend(["--output", dir.to_str().expect("utf-8 temp path")]);
        let out = advise(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        dir.join("kubernetes.yaml")
    };
    let benign = "qx";
    for hostile in ["no", "on", "off", "true", "null", "123", "0x1f", "012"] {
        for (i, shape) in shapes.iter().enumerate() {
            let out = Command::new(&python)
                .arg(&script)
                .arg(render(i, shape, benign))
                .arg(render(i, shape, hostile))
                .args([benign, hostile])
                .output()
                .expect("run python3");
            assert!(
                out.status.success(),
                "python3 with PyYAML is needed (scripts/test's venv has it): {}",
                text(&out.stderr)
            );
            let differs = text(&out.stdout);
            assert!(
                differs.is_empty(),
                "{shape:?} named {hostile}: kubernetes.yaml reads differently:\n{differs}"
            );
        }
    }
}

/// The issue's "done": a StatefulSet without a service account gets DNSSRV, hostname names.
#[test]
fn statefulset_without_service_account_gets_dnssrv() {
    let out = advise(&[
        "--workload",
        "statefulset",
        "--service-account",
        "no",
        "--app",
        "shop",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("Strategy: Cluster.Strategy.Kubernetes.DNSSRV"),
        "{s}"
    );
    assert!(
        s.contains("shop@shop-0.shop-headless.default.svc.cluster.local"),
        "{s}"
    );
    assert!(
        s.contains("if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi"),
        "{s}"
    );
    assert!(!s.contains("] && . /run"), "{s}");
    assert!(s.contains("serviceName: \"shop-headless\""), "{s}");
    assert!(
        !s.contains("kind: Role"),
        "no service account, no Role: {s}"
    );
}

#[test]
fn json_format_carries_decision_and_files() {
    let out = advise(&[
        "--workload",
        "deployment",
        "--service-account",
        "yes",
        "--app",
        "shop",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "\"strategy\": \"kubernetes\"",
        "\"mode\": \"ip\"",
        "\"libcluster.exs\":",
        "\"kubernetes.yaml\":",
        "kind: Role",
        "resources: [\\\"endpoints\\\"]",
    ] {
        assert!(s.contains(want), "{want} missing: {s}");
    }
}

/// Bad or missing answers: exit 2 naming the flag, nothing on stdout, nothing written.
#[test]
fn bad_answers_exit_2_naming_the_flag() {
    let base = [
        "--service-account",
        "no",
        "--workload",
        "deployment",
        "--app",
        "shop",
    ];
    let cases: &[(&[&str], &str)] = &[
        (
            &["--workload", "deployment", "--app", "shop"],
            "--service-account",
        ),
        (&["--service-account", "no", "--app", "shop"], "--workload"),
        (
            &["--service-account", "no", "--workload", "deployment"],
            "--app",
        ),
        (
            &[
                "--service-account",
                "maybe",
                "--workload",
                "deployment",
                "--app",
                "shop",
            ],
            "--service-account",
        ),
        (
            &[
                "--service-account",
                "no",
                "--workload",
                "daemonset",
                "--app",
                "shop",
            ],
            "--workload",
        ),
        (
            &[
                "--service-account",
                "no",
                "--workload",
                "deployment",
                "--app",
                "Shop_1",
            ],
            "--app",
        ),
        (&["--namespace=-ns"], "--namespace"),
        (&["--service", "a.b"], "--service"),
        (&["--ip-family", "ipv5"], "--ip-family"),
        (&["--cluster-domain", "cluster..local"], "--cluster-domain"),
        (&["--format", "yaml"], "--format"),
    ];
    for (args, flag) in cases {
        let mut all: Vec<&str> = Vec::new();
        if args.len() < 3 {
            all.extend(base);
        }
        all.extend(*args);
        let out = advise(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(flag),
            "{all:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{all:?}");
    }
}

/// Issue 18 #7: a name whose pods Kubernetes cannot create or name is refused, blaming the
/// flag the user gave. A StatefulSet's name is at most 52 characters (its pods' label
/// controller-revision-hash=<name>-<hash of up to 10> is at most 63: kubernetes#64023); the
/// default Service `<app>-headless` is --app's doing; a node name over Erlang's 255 is all of
/// the names' together.
#[test]
fn names_kubernetes_cannot_give_the_pods_exit_2_naming_the_flag() {
    let long = |n: usize| "a".repeat(n);
    let (a52, a53, a55, a62, a63) = (long(52), long(53), long(55), long(62), long(63));
    let domain = format!("{0}.{0}.{0}.cc", long(60));
    let sts = ["--service-account", "no", "--workload", "statefulset"];
    let deploy = ["--service-account", "no", "--workload", "deployment"];
    let refused: &[(&[&str], &[&str], &str)] = &[
        (&sts, &["--app", &a62, "--service", "s"], "--app:"),
        (&sts, &["--app", &a53, "--service", "s"], "--app:"),
        (&sts, &["--app", &a63], "--app:"),
        (&deploy, &["--app", &a55], "--app:"),
        (
            &sts,
            &[
                "--app",
                "shop",
                "--service",
                &a63,
                "--namespace",
                &a63,
                "--cluster-domain",
                &domain,
            ],
            "--cluster-domain:",
        ),
    ];
    for (shape, names, subject) in refused {
        let args = [*shape, *names].concat();
        let out = advise(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("relnode: error: ") && err.contains(subject),
            "{args:?}: does not blame {subject} {err}"
        );
        assert!(!err.contains("error: --service"), "{args:?}: {err}");
        assert!(err.contains("fix:"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = advise(&[&sts[..], &["--app", &a62, "--service", "s"]].concat());
    assert!(
        text(&out.stderr).contains("at most 52"),
        "{}",
        text(&out.stderr)
    );
    // The longest names that work.
    for args in [
        [&sts[..], &["--app", &a52, "--service", &a63]].concat(),
        [&deploy[..], &["--app", &long(54)]].concat(),
        [&deploy[..], &["--app", &a63, "--service", "s"]].concat(),
    ] {
        let out = advise(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            !text(&out.stdout).contains("cannot be named"),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn output_replaces_only_regular_files() {
    let scratch = Pod::new("advise-output");
    let args = [
        "--service-account",
        "no",
        "--workload",
        "deployment",
        "--app",
        "shop",
        "--output",
    ];
    // A file where the directory should be.
    let file = scratch.write("not-a-dir", "keep\n");
    let out = advise(&[&args[..], &[file.to_str().expect("utf-8")]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&file).expect("still there"),
        "keep\n"
    );
    // A symlink among the targets: refused before anything is written.
    let dir = scratch.path("out");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let victim = scratch.write("victim", "secret\n");
    std::os::unix::fs::symlink(&victim, dir.join("kubernetes.yaml")).expect("symlink");
    let out = advise(&[&args[..], &[dir.to_str().expect("utf-8")]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is a symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "secret\n"
    );
    assert!(!dir.join("advice.txt").exists(), "nothing written");
    // A regular file is replaced, and the directory holds no temp file afterwards.
    std::fs::remove_file(dir.join("kubernetes.yaml")).expect("rm");
    std::fs::write(dir.join("kubernetes.yaml"), "old\n").expect("write");
    let out = advise(&[&args[..], &[dir.to_str().expect("utf-8")]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = std::fs::read_to_string(dir.join("kubernetes.yaml")).expect("yaml");
    assert!(yaml.contains("kind: Deployment"), "{yaml}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "advice.txt",
            "env.sh.eex",
            "kubernetes.yaml",
            "libcluster.exs"
        ]
    );
}

/// Issue 18 #9: a directory, link or device where advise writes one of its files is refused
/// with advise's own fix (move it, or another --output directory), not render's (name a file
/// such as /run/relnode/env.sh, or use relnode env).
#[test]
fn output_in_a_files_place_gets_advises_own_fix() {
    let scratch = Pod::new("advise-output-fix");
    let dir = scratch.path("out");
    std::fs::create_dir_all(dir.join("kubernetes.yaml")).expect("mkdir");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("advice.txt")).expect("symlink");
    let out_dir = dir.to_str().expect("utf-8 temp path");
    for (blocker, problem) in [
        ("advice.txt", "is a symbolic link"),
        ("kubernetes.yaml", "is a directory"),
    ] {
        let out = advise(&[
            "--service-account",
            "no",
            "--workload",
            "deployment",
            "--app",
            "shop",
            "--output",
            out_dir,
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for want in [
            "--output",
            blocker,
            problem,
            "fix: move",
            "another directory",
        ] {
            assert!(err.contains(want), "lacks {want:?}: {err}");
        }
        for render_advice in ["/run/relnode/env.sh", "relnode env", "point the flag"] {
            assert!(!err.contains(render_advice), "render's fix: {err}");
        }
        assert!(!dir.join("env.sh.eex").exists(), "nothing written");
        // Then the next file in the way: the directory.
        if blocker == "advice.txt" {
            std::fs::remove_file(dir.join(blocker)).expect("rm the link");
        }
    }
}

/// Neither command accepts the pod inputs of env/render/exec.
#[test]
fn advise_takes_no_pod_flags() {
    let out = advise(&[
        "--pod-ip",
        "10.0.0.1",
        "--service-account",
        "no",
        "--workload",
        "deployment",
        "--app",
        "shop",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// On a terminal, advise asks for what is missing (stdin and stderr a pty, from util-linux's
/// script(1), which passes our input to it). An unanswered question is exit 2.
#[test]
fn a_terminal_is_asked_for_missing_answers() {
    let run = |input: &str| {
        let mut child = Command::new("script")
            .args(["-qec", &format!("{BIN} advise --app shop"), "/dev/null"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script(1) from util-linux runs");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("answer");
        }
        child.wait_with_output().expect("wait")
    };
    // The platform first: an empty answer is Kubernetes.
    let out = run("\nno\nstatefulset\n");
    let s = text(&out.stdout);
    assert!(out.status.success(), "{s}{}", text(&out.stderr));
    assert!(
        s.contains("Where does the release run (kubernetes, fly, ecs, swarm, compose, railway, render or nomad) [kubernetes]?"),
        "{s}"
    );
    assert!(
        s.contains("service account allowed to list Endpoints (yes/no)?"),
        "{s}"
    );
    assert!(s.contains("deployment or a statefulset?"), "{s}");
    assert!(
        s.contains("Strategy: Cluster.Strategy.Kubernetes.DNSSRV"),
        "{s}"
    );
    // Off Kubernetes the Kubernetes questions are not asked.
    let out = run("swarm\n");
    let s = text(&out.stdout);
    assert!(out.status.success(), "{s}{}", text(&out.stderr));
    assert!(!s.contains("service account"), "{s}");
    assert!(s.contains("Strategy: Cluster.Strategy.DNSPoll"), "{s}");
    let out = run("\nmaybe\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("--service-account"),
        "{}",
        text(&out.stdout)
    );
}

/// `--platform` off Kubernetes: the strategy, the query, the ENTRYPOINT and the platform's
/// notes, per platform.
#[test]
fn each_platform_names_its_strategy_query_and_entrypoint() {
    struct Want {
        platform: &'static str,
        strategy: &'static str,
        /// In the topology file.
        config: &'static [&'static str],
        entrypoint: &'static str,
        note: &'static str,
    }
    const EXEC: &str =
        "ENTRYPOINT [\"/usr/local/bin/relnode\", \"exec\", \"--output\", \"/run/relnode/env.sh\", ";
    for want in [
        Want {
            platform: "swarm",
            strategy: "Strategy: Cluster.Strategy.DNSPoll (libcluster)",
            config: &["query: \"tasks.shop\"", "node_basename: \"shop\""],
            entrypoint: "\"--platform\", \"dns\", \"--strategy\", \"dnspoll\", \"--query\", \"tasks.shop\", \"--basename\", \"shop\", \"--ip-cidr\", \"10.0.9.0/24\", \"--\"]",
            note: "HEALTHCHECK",
        },
        Want {
            platform: "compose",
            strategy: "Strategy: Cluster.Strategy.DNSPoll (libcluster)",
            config: &["query: \"shop\""],
            entrypoint: "\"--platform\", \"dns\", \"--strategy\", \"dnspoll\", \"--query\", \"shop\", \"--basename\", \"shop\", \"--\"]",
            note: "--ip-cidr",
        },
        Want {
            platform: "railway",
            strategy: "Strategy: Cluster.Strategy.DNSPoll (libcluster)",
            config: &["query: System.fetch_env!(\"RAILWAY_PRIVATE_DOMAIN\")"],
            entrypoint: "\"--strategy\", \"dnspoll\", \"--basename\", \"shop\", \"--\"]",
            note: "IPv6 only",
        },
        Want {
            platform: "render",
            strategy: "Strategy: phoenixframework/dns_cluster",
            config: &["config :shop, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")"],
            entrypoint: "\"--\"]",
            note: "the full name the search list makes of RENDER_DISCOVERY_SERVICE",
        },
        Want {
            platform: "nomad",
            strategy: "Strategy: Cluster.Strategy.DNSPoll (libcluster)",
            config: &["query: \"shop.service.consul\""],
            entrypoint: "\"--platform\", \"dns\", \"--strategy\", \"dnspoll\", \"--query\", \"shop.service.consul\", \"--basename\", \"shop\", \"--\"]",
            note: "host networking",
        },
        Want {
            platform: "fly",
            strategy: "Strategy: phoenixframework/dns_cluster",
            config: &["DNS_CLUSTER_QUERY"],
            entrypoint: "\"--\"]",
            note: "inet6_tcp",
        },
    ] {
        let out = advise(&["--platform", want.platform, "--app", "shop"]);
        let s = text(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}",
            want.platform,
            text(&out.stderr)
        );
        assert!(s.contains(want.strategy), "{}: {s}", want.platform);
        for line in want.config {
            assert!(s.contains(line), "{}: lacks {line:?}: {s}", want.platform);
        }
        let entrypoint = format!("{EXEC}{}", want.entrypoint);
        assert!(
            s.contains(&entrypoint),
            "{}: lacks {entrypoint}: {s}",
            want.platform
        );
        assert!(s.contains("CMD [\"/app/bin/shop\", \"start\"]"), "{s}");
        assert!(
            s.contains("if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi"),
            "{s}"
        );
        assert!(
            s.contains(want.note),
            "{}: lacks {:?}: {s}",
            want.platform,
            want.note
        );
        assert!(!s.contains("kubernetes.yaml"), "{}: {s}", want.platform);
    }
    // --service names the platform's service; JSON carries the same decision.
    let out = advise(&[
        "--platform",
        "swarm",
        "--app",
        "shop",
        "--service",
        "web",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "\"platform\": \"swarm\"",
        "\"strategy\": \"dnspoll\"",
        "\"query\": \"tasks.web\"",
        "\"example_node\": \"shop@10.0.9.7\"",
        "\\\"--query\\\", \\\"tasks.web\\\"",
    ] {
        assert!(s.contains(want), "{want} missing: {s}");
    }
}

#[test]
fn platform_flags_are_checked() {
    for (args, flag) in [
        (&["--platform", "heroku", "--app", "shop"][..], "--platform"),
        (
            &[
                "--platform",
                "swarm",
                "--app",
                "shop",
                "--workload",
                "deployment",
            ][..],
            "--workload",
        ),
        (
            &["--platform", "swarm", "--app", "shop", "--service", "a b"][..],
            "--service",
        ),
        (&["--platform", "swarm", "--app", "a@b"][..], "--app"),
        (&["--platform", "swarm"][..], "--app"),
    ] {
        let out = advise(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing written");
    }
    // Kubernetes by name is the tree as without --platform, byte for byte.
    let base = [
        "--service-account",
        "no",
        "--workload",
        "deployment",
        "--app",
        "shop",
    ];
    let plain = advise(&base);
    let mut named = vec!["--platform", "kubernetes"];
    named.extend(base);
    assert_eq!(advise(&named).stdout, plain.stdout);
}

/// Issue 19: with `--output DIR` advise prints one screen: the decision and why, then the files
/// it wrote, not their contents. Every platform's advice, and Kubernetes' longest one.
#[test]
fn output_prints_the_summary_and_the_files_written() {
    let scratch = Pod::new("advise-summary");
    let cases: [&[&str]; 3] = [
        &["--service-account", "yes", "--workload", "statefulset"],
        &["--platform", "swarm"],
        &["--platform", "ecs"],
    ];
    for (i, case) in cases.iter().enumerate() {
        let dir = scratch.path(&format!("out{i}"));
        let mut args = case.to_vec();
        args.extend([
            "--app",
            "shop",
            "--output",
            dir.to_str().expect("utf-8 temp path"),
        ]);
        let out = advise(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let printed = text(&out.stdout);
        assert!(printed.starts_with("relnode advise"), "{printed}");
        assert!(printed.contains("Strategy: "), "{printed}");
        let written: Vec<String> = std::fs::read_dir(&dir)
            .expect("advise wrote the directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(written.len() >= 3, "{written:?}");
        for name in &written {
            assert!(
                printed.contains(&format!("{name}\"")),
                "{name} not listed: {printed}"
            );
        }
        // The files' contents stay in the files.
        for body in ["apiVersion:", "config :libcluster", "import Config"] {
            assert!(!printed.contains(body), "{body} printed: {printed}");
        }
        let lines = printed.lines().count();
        assert!(lines <= 24, "{lines} lines, more than a screen:\n{printed}");
    }
}
