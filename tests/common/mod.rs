//! Drives the built relnode binary with a clean environment and a scratch directory of fake
//! pod files, so no test depends on this machine's /etc.

#![allow(dead_code)]

pub mod netns;
pub mod static_build;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const BIN: &str = env!("CARGO_BIN_EXE_relnode");

/// A scratch pod: its own resolv.conf, hosts file and service-account directory.
pub struct Pod {
    pub dir: PathBuf,
}

impl Pod {
    pub fn new(name: &str) -> Pod {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "relnode-test-{}-{}-{}",
            std::process::id(),
            name,
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(dir.join("sa")).expect("create scratch dir");
        let pod = Pod { dir };
        pod.write("resolv.conf", "");
        pod.write("hosts", "127.0.0.1\tlocalhost\n");
        pod
    }

    /// The kubelet files of a StatefulSet pod `<host>` of Service `<svc>` in `<ns>`.
    pub fn kubelet(name: &str, ns: &str, domain: &str, host: &str, svc: &str, ip: &str) -> Pod {
        let pod = Pod::new(name);
        pod.write(
            "resolv.conf",
            &format!("search {ns}.svc.{domain} svc.{domain} {domain}\nnameserver 10.96.0.10\noptions ndots:5\n"),
        );
        pod.write(
            "hosts",
            &format!("127.0.0.1\tlocalhost\n{ip}\t{host}.{svc}.{ns}.svc.{domain}\t{host}\n"),
        );
        pod
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, text).expect("write scratch file");
        path
    }

    /// relnode with only PATH and the pod's file locations in its environment.
    pub fn cmd(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RELNODE_RESOLV_CONF", self.path("resolv.conf"))
            .env("RELNODE_HOSTS_FILE", self.path("hosts"))
            .env("RELNODE_SERVICE_ACCOUNT_DIR", self.path("sa"))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(&self.dir);
        cmd
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.cmd(args, env).output().expect("run relnode")
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// relnode with `args`, an empty environment and no stdin: for the commands that take no pod
/// facts (`simulate`, `advise`).
pub fn relnode_clean(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run relnode")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "relnode failed: {:?}\nstderr: {}",
        out.status,
        stderr(&out)
    );
    stdout(&out)
}

/// Asserts exit status `code` (showing both streams otherwise) and returns stdout.
pub fn assert_exit(out: &Output, code: i32) -> String {
    let text = stdout(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(out)
    );
    text
}

/// A check report's line for check `id` (e.g. `FAIL  dnssrv ...`), with its cause/fix lines.
pub fn line(report: &str, id: &str) -> String {
    let mut lines = report.lines().skip_while(|l| {
        l.get(6..)
            .is_none_or(|rest| !rest.starts_with(&format!("{id} ")))
    });
    let mut block = lines
        .next()
        .unwrap_or_else(|| panic!("no {id} line in:\n{report}"))
        .to_owned();
    for l in lines.take_while(|l| l.starts_with("      ")) {
        block.push('\n');
        block.push_str(l);
    }
    block
}

/// Every line of a check report for check `id`, each with its cause/fix lines.
pub fn lines(report: &str, id: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut inside = false;
    for l in report.lines() {
        if l.get(6..)
            .is_some_and(|rest| rest.starts_with(&format!("{id} ")))
        {
            blocks.push(l.to_owned());
            inside = true;
        } else if inside && l.starts_with("      ") {
            let last = blocks.last_mut().unwrap();
            last.push('\n');
            last.push_str(l);
        } else {
            inside = false;
        }
    }
    blocks
}

/// Runs `script` in a shell with `args` as $1...; returns stdout as bytes.
pub fn shell(shell: &[&str], script: &str, env: &[(&str, &str)]) -> Output {
    Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {shell:?}: {e} (scripts/test installs dash, bash and busybox-static)"
            )
        })
}

/// The POSIX shells relnode's output must work in. Missing ones fail the test: scripts/test
/// installs them.
pub fn shells() -> Vec<Vec<&'static str>> {
    let mut all = vec![
        vec!["sh"],
        vec!["dash"],
        vec!["bash", "--posix"],
        vec!["bash"],
    ];
    let busybox = ["busybox", "/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|b| Command::new(b).arg("true").output().is_ok())
        .expect("busybox is not installed: run scripts/test (it installs busybox-static)");
    all.push(vec![busybox, "sh"]);
    all
}

/// Effective uid 0: the second number of `Uid:` in /proc/self/status (no libc needed).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}
