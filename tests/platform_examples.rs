//! examples/swarm/stack.yml and examples/compose/compose.yaml: valid against the Compose
//! Specification's JSON schema (offline: the copy check-jsonschema ships, from PyPI; there is
//! no Docker engine here, so no `docker compose config`), parsed as YAML, and holding what
//! relnode relies on: the query names the service, `RELNODE_IP_CIDR` is the subnet the file
//! fixes, the cookie file is the mounted secret, /run/relnode is writable, and relnode reads
//! every `RELNODE_*` value the file sets.

mod common;

use common::{BIN, Pod, stderr};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path)
}

const STACK: &str = "swarm/stack.yml";
const COMPOSE: &str = "compose/compose.yaml";

/// The facts of one compose file relnode relies on, as `key=value` lines printed by Python's
/// YAML parser (PyYAML, or ruamel.yaml, which check-jsonschema brings): the service's
/// environment (`env.NAME`), its secret targets, tmpfs targets, networks, and the subnet of
/// each network (`subnet.NET`).
fn facts(path: &str, service: &str) -> BTreeMap<String, String> {
    const SCRIPT: &str = r#"
import sys
try:
    import yaml
    load = lambda f: yaml.safe_load(f)
except ImportError:
    from ruamel.yaml import YAML
    load = YAML(typ="safe").load
doc = load(open(sys.argv[1]))
svc = doc["services"][sys.argv[2]]
env = svc.get("environment", {})
if isinstance(env, list):
    env = dict(e.split("=", 1) for e in env)
for k, v in env.items():
    print(f"env.{k}={v}")
for s in svc.get("secrets", []):
    name = s if isinstance(s, str) else s["source"]
    target = name if isinstance(s, str) else s.get("target", name)
    print(f"secret.{name}={target}")
tmpfs = svc.get("tmpfs", [])
tmpfs = [tmpfs] if isinstance(tmpfs, str) else tmpfs
tmpfs += [v["target"] for v in svc.get("volumes", []) if isinstance(v, dict) and v.get("type") == "tmpfs"]
print("tmpfs=" + " ".join(tmpfs))
nets = svc.get("networks", ["default"])
print("networks=" + " ".join(nets if isinstance(nets, list) else list(nets)))
print("healthcheck=" + ("yes" if "healthcheck" in svc else "no"))
for name, net in (doc.get("networks") or {}).items():
    net = net or {}
    print(f"driver.{name}={net.get('driver', '')}")
    for c in (net.get("ipam") or {}).get("config", []):
        print(f"subnet.{name}={c['subnet']}")
for name, sec in (doc.get("secrets") or {}).items():
    print(f"secretdef.{name}=" + ("external" if sec.get("external") else sec.get("file", "")))
"#;
    let python = std::env::var_os("RELNODE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
    let out = Command::new(&python)
        .args(["-c", SCRIPT])
        .arg(example(path))
        .arg(service)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{path}: does not parse as YAML with the keys relnode relies on, or Python has no YAML \
         library (scripts/test installs check-jsonschema, which brings ruamel.yaml): {}",
        stderr(&out)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn get<'a>(facts: &'a BTreeMap<String, String>, key: &str, path: &str) -> &'a str {
    facts
        .get(key)
        .unwrap_or_else(|| panic!("{path}: no {key}: {facts:?}"))
}

#[test]
fn the_swarm_stack_names_tasks_of_its_service_on_its_fixed_overlay_subnet() {
    let f = facts(STACK, "app");
    assert_eq!(get(&f, "env.RELNODE_PLATFORM", STACK), "dns");
    assert_eq!(get(&f, "env.RELNODE_STRATEGY", STACK), "dnspoll");
    // tasks.<service>: every task's overlay address (the stack's short name is an alias)
    assert_eq!(get(&f, "env.RELNODE_QUERY", STACK), "tasks.app");
    let networks = get(&f, "networks", STACK);
    assert_eq!(
        networks, "cluster",
        "{STACK}: the service must be on the overlay only"
    );
    assert_eq!(get(&f, "driver.cluster", STACK), "overlay");
    assert_eq!(
        get(&f, "env.RELNODE_IP_CIDR", STACK),
        get(&f, "subnet.cluster", STACK),
        "{STACK}: RELNODE_IP_CIDR must be the overlay's fixed subnet"
    );
    // the cookie is a Swarm secret, mounted at /run/secrets/<target>
    let target = get(&f, "secret.erlang_cookie", STACK);
    assert_eq!(
        get(&f, "env.RELNODE_COOKIE_FILE", STACK),
        format!("/run/secrets/{target}")
    );
    assert_eq!(get(&f, "secretdef.erlang_cookie", STACK), "external");
    assert_eq!(get(&f, "tmpfs", STACK), "/run/relnode");
    // the HEALTHCHECK interplay is documented next to a healthcheck
    assert_eq!(get(&f, "healthcheck", STACK), "yes");
    let text = std::fs::read_to_string(example(STACK)).expect("read the stack file");
    assert!(
        text.contains("only once it is") && text.contains("RELNODE_IP_CIDR"),
        "{STACK}: the comments must say that Swarm lists a task only once healthy and why --ip-cidr"
    );
}

#[test]
fn the_compose_file_queries_its_service_name_on_its_fixed_subnet() {
    let f = facts(COMPOSE, "app");
    assert_eq!(get(&f, "env.RELNODE_PLATFORM", COMPOSE), "dns");
    assert_eq!(get(&f, "env.RELNODE_STRATEGY", COMPOSE), "dnspoll");
    // the embedded DNS answers the bare service name
    assert_eq!(get(&f, "env.RELNODE_QUERY", COMPOSE), "app");
    assert_eq!(get(&f, "networks", COMPOSE), "default");
    assert_eq!(
        get(&f, "env.RELNODE_IP_CIDR", COMPOSE),
        get(&f, "subnet.default", COMPOSE)
    );
    let target = get(&f, "secret.erlang_cookie", COMPOSE);
    assert_eq!(
        get(&f, "env.RELNODE_COOKIE_FILE", COMPOSE),
        format!("/run/secrets/{target}")
    );
    assert_eq!(get(&f, "tmpfs", COMPOSE), "/run/relnode");
}

/// relnode reads every `RELNODE_*` value the file sets: started with exactly that environment
/// (the cookie file a real one) on a machine with no address in the file's subnet, the one
/// refusal is that no local address lies inside RELNODE_IP_CIDR (exit 2), not a bad input.
fn relnode_reads_the_environment_of(path: &str) {
    let pod = Pod::new("platform-examples");
    let cookie = pod.write("cookie", "secret-cookie\n");
    let f = facts(path, "app");
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RELEASE_NAME", "myapp")
        .args(["env", "--format", "sh"]);
    for (key, value) in &f {
        if let Some(name) = key.strip_prefix("env.") {
            if name == "RELNODE_COOKIE_FILE" {
                cmd.env(name, &cookie);
            } else {
                cmd.env(name, value);
            }
        }
    }
    let cidr = get(&f, "env.RELNODE_IP_CIDR", path);
    let out = cmd.output().expect("run relnode");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{path}: {err}");
    assert!(
        err.contains(cidr) && err.contains("--ip-cidr"),
        "{path}: the refusal must be about {cidr} (no local address inside it): {err}"
    );
    assert!(
        !err.contains("secret-cookie"),
        "{path}: the cookie was printed"
    );
}

#[test]
fn relnode_reads_the_swarm_stacks_environment() {
    relnode_reads_the_environment_of(STACK);
}

/// The single label `app` included: Compose's embedded DNS answers it as given, so DNSPoll
/// resolves it (tests/e2e/scenarios/platforms.sh, sc_compose).
#[test]
fn relnode_reads_the_compose_files_environment() {
    relnode_reads_the_environment_of(COMPOSE);
}

/// Both files against the Compose Specification schema (check-jsonschema's built-in
/// `vendor.compose-spec`), offline. The stack file also follows docker stack deploy's own
/// v3.8 schema (docker/cli), checked by hand for this change: docker/cli ships no package.
#[test]
fn the_examples_validate_against_the_compose_spec_schema() {
    let tool = std::env::var_os("CHECK_JSONSCHEMA").unwrap_or_else(|| "check-jsonschema".into());
    let probe = Command::new(&tool).arg("--version").output();
    if probe.as_ref().map_or(true, |o| !o.status.success()) {
        let why = format!(
            "{} is not installed (pip install check-jsonschema; scripts/test does it)",
            tool.to_string_lossy()
        );
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("{why}");
        }
        eprintln!("SKIPPED the_examples_validate_against_the_compose_spec_schema: {why}");
        return;
    }
    let validate = |path: &PathBuf| {
        Command::new(&tool)
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(path)
            .output()
            .expect("run check-jsonschema")
    };
    for path in [STACK, COMPOSE] {
        let out = validate(&example(path));
        assert!(
            out.status.success(),
            "{path}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
    // The check can fail: a misspelt service key.
    let pod = Pod::new("platform-examples-invalid");
    let bad = pod.write(
        "bad.yaml",
        "services:\n  app:\n    image: x\n    environmen:\n      RELNODE_QUERY: app\n",
    );
    assert!(
        !validate(&bad).status.success(),
        "a misspelt key must fail validation"
    );
}
