//! Runs the end-to-end suite `tests/e2e/run` against the relnode binary cargo just built: real
//! Erlang distribution between three simulated Kubernetes pods (network namespaces, dnsmasq as
//! cluster DNS, a real mix release). Without root the script prints a SKIP line and passes;
//! as root, a missing package is a failure (scripts/test installs them).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use common::is_root;

/// What one run of the suite printed and how it ended.
struct Run {
    success: bool,
    failures: Vec<String>,
    summary: Option<String>,
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
    command.arg(&script).env("RELNODE_BIN", relnode);
    if let Some(only) = only {
        command.env("E2E_ONLY", only);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let mut failures = Vec::new();
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
        } else if line.ends_with(" failed") && line.contains(" passed, ") {
            summary = Some(line);
        }
    }
    let status = child.wait().expect("wait for the suite");
    Run {
        success: status.success(),
        failures,
        summary,
    }
}

#[test]
fn e2e_suite() {
    let run = run_suite(Path::new(env!("CARGO_BIN_EXE_relnode")), None, None);
    assert!(
        run.success && run.failures.is_empty(),
        "tests/e2e/run failed:\n{}",
        run.failures.join("\n")
    );
    assert!(
        run.summary.is_some() || !is_root(),
        "the suite ran as root but printed no summary line"
    );
}

/// The suite can fail: a relnode that ignores `--mode` (and `RELNODE_MODE`) names every pod
/// in the ip shape, and the scenarios whose peers dial the dns and hostname shapes must fail.
#[test]
fn e2e_suite_fails_with_a_relnode_that_ignores_mode() {
    if !is_root() {
        println!("SKIP e2e_suite_fails_with_a_relnode_that_ignores_mode: needs root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("relnode-wrong-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let wrong = dir.join("relnode-ignoring-mode");
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
    assert!(
        !run.success,
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
