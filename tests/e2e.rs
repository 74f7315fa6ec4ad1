//! Runs the end-to-end suite `tests/e2e/run` against the relnode binary cargo just built.
//!
//! What it proves, and with which real parts: real Erlang distribution between three simulated
//! Kubernetes pods (real network, mount and UTS namespaces), a real `mix release` started by
//! relnode, and a real resolver (dnsmasq answering for the cluster domain as CoreDNS does). The
//! peer discovery the pods run is libcluster 3.5.0's naming and lookup logic transcribed into
//! Elixir (`tests/e2e/app/lib/discovery.ex`), not libcluster itself, which cannot be installed
//! here (no hex.pm).
//!
//! Both tests need root, so they are `#[ignore = "needs root"]`: `scripts/test` (and so `.ci/run`)
//! adds `--include-ignored` when it runs as root. Run by hand without root they fail, never pass:
//! the script prints a SKIP line and exits 77. As root, a missing package is a failure too
//! (scripts/test installs them).
//!
//! The release the suite builds is cached under cargo's `CARGO_TARGET_TMPDIR` (passed as
//! `E2E_CACHE`), never in the source tree.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The exit status `tests/e2e/run` uses for "could not run" (automake's SKIP).
const SKIPPED: i32 = 77;

/// Asked for without root (`--include-ignored`), these tests fail and say why.
fn require_root() {
    assert!(
        common::is_root(),
        "needs root for network, mount and UTS namespaces (scripts/test runs it as root; \
         here: `sudo -E cargo test --test e2e -- --include-ignored`)"
    );
}

/// What one run of the suite printed and how it ended.
struct Run {
    code: Option<i32>,
    failures: Vec<String>,
    skip: Option<String>,
    summary: Option<String>,
}

impl Run {
    /// Fails the calling test when the suite did not run at all.
    fn assert_ran(&self) {
        assert!(
            self.code != Some(SKIPPED),
            "tests/e2e/run did not run (exit {SKIPPED}): {}",
            self.skip.as_deref().unwrap_or("no SKIP line")
        );
    }
}

/// `echo_prefix` marks the lines of a run that is meant to fail, and rewords its summary so no
/// log reader mistakes it for this test suite's own tally.
fn run_suite(relnode: &Path, only: Option<&str>, echo_prefix: Option<&str>) -> Run {
    // One run at a time: each already starts two scenarios at once on a 2-core machine.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/run");
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .env("RELNODE_BIN", relnode)
        .env(
            "E2E_CACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-cache"),
        )
        .env_remove("E2E_ONLY");
    if let Some(only) = only {
        command.env("E2E_ONLY", only);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let mut failures = Vec::new();
    let mut skip = None;
    let mut summary = None;
    let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    for line in lines {
        let line = line.expect("read the suite's output");
        // Straight to the real stdout, past libtest's capture, so CI logs show every
        // PASS/FAIL line as it happens.
        let echoed = match echo_prefix {
            None => line.clone(),
            Some(prefix) => format!(
                "{prefix} {}",
                line.replace(" passed, ", " scenarios passed and ")
            ),
        };
        writeln!(std::io::stdout().lock(), "{echoed}").ok();
        if line.starts_with("FAIL ") {
            failures.push(line);
        } else if line.starts_with("SKIP ") {
            skip = Some(line);
        } else if line.ends_with(" failed") && line.contains(" passed, ") {
            summary = Some(line);
        }
    }
    let status = child.wait().expect("wait for the suite");
    Run {
        code: status.code(),
        failures,
        skip,
        summary,
    }
}

#[test]
#[ignore = "needs root"]
fn e2e_suite() {
    require_root();
    let run = run_suite(Path::new(env!("CARGO_BIN_EXE_relnode")), None, None);
    run.assert_ran();
    assert!(
        run.code == Some(0) && run.failures.is_empty(),
        "tests/e2e/run failed (exit {:?}):\n{}",
        run.code,
        run.failures.join("\n")
    );
    assert!(
        run.summary.is_some(),
        "tests/e2e/run exited 0 but printed no `N passed, M failed` line"
    );
}

/// The suite can fail: a relnode that ignores `--mode` (and `RELNODE_MODE`) names every pod
/// in its strategy's default shape, and the scenarios whose peers dial another shape must fail.
#[test]
#[ignore = "needs root"]
fn e2e_suite_fails_with_a_relnode_that_ignores_mode() {
    require_root();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("relnode-ignoring-mode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a directory for the wrapper");
    let wrong = dir.join("relnode");
    let script = format!(
        "#!/bin/sh\n# A deliberately wrong relnode: it drops --mode and RELNODE_MODE.\n\
         unset RELNODE_MODE\nskip=\nfor a do\n  shift\n  if [ -n \"$skip\" ]; then skip=; continue; fi\n\
         case $a in --mode) skip=1; continue ;; --mode=*) continue ;; esac\n  set -- \"$@\" \"$a\"\ndone\n\
         exec '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_relnode")
    );
    std::fs::write(&wrong, script).expect("write the wrapper");
    std::fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod the wrapper");
    let run = run_suite(
        &wrong,
        Some("^kubernetes-(dns|hostname)"),
        Some("[control: relnode ignoring --mode, failures expected]"),
    );
    std::fs::remove_dir_all(&dir).ok();
    run.assert_ran();
    assert!(
        run.code != Some(0),
        "the suite passed with a relnode that ignores --mode"
    );
    for shape in ["kubernetes-dns", "kubernetes-hostname"] {
        assert!(
            run.failures
                .iter()
                .any(|f| f.starts_with(&format!("FAIL {shape}"))),
            "{shape} did not fail with a relnode that ignores --mode: {:?}",
            run.failures
        );
    }
}
