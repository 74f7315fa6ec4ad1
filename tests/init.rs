//! `relnode exec --init`: tini's contract, checked from outside the way tini's own tests check
//! it (exit codes, signals, reaping), with real processes and a real `sh` as the child.
//!
//! The root tests run each case in a fresh PID namespace (`unshare --pid --fork --mount-proc`),
//! so relnode really is PID 1 there: signals reach it as a container runtime sends them (from
//! the parent namespace), orphans of the namespace land on it, and its /proc shows only the
//! namespace's processes. The other tests run relnode as an ordinary process, where it is a
//! child subreaper.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use common::{BIN, Pod, stderr};

/// The facts relnode needs to name the node; the names themselves are tested elsewhere.
const POD_ENV: [(&str, &str); 2] = [("MY_POD_IP", "10.42.0.7"), ("RELEASE_NAME", "app")];

/// Long enough for a loaded 2-core CI machine; a hang fails the test instead of stalling it.
const PATIENCE: Duration = Duration::from_secs(20);

/// Where relnode runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    /// An ordinary process of this test's (subreaper mode).
    Here,
    /// PID 1 of a fresh PID namespace.
    Pid1,
    /// A fresh PID namespace whose PID 1 is a shell that runs relnode (subreaper mode, as
    /// with `shareProcessNamespace`, where the pause container is PID 1).
    UnderShell,
}

/// relnode `exec --init [extra] -- sh -c script`, running, its stdout read line by line.
struct Init {
    child: Child,
    place: Place,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Receiver<String>,
}

fn start(place: Place, extra: &[&str], script: &str) -> Init {
    let mut relnode = vec![BIN, "exec", "--init"];
    relnode.extend_from_slice(extra);
    relnode.extend_from_slice(&["--", "sh", "-c", script]);
    let mut command = match place {
        Place::Here => {
            let mut c = Command::new(BIN);
            // Its own process group, which holds whatever relnode and its children leave
            // behind, so that `finish` and `kill` can remove it all.
            c.args(&relnode[1..]).process_group(0);
            c
        }
        Place::Pid1 => namespace(&relnode),
        Place::UnderShell => {
            // PID 1 is this shell; `"$@"` is relnode, which reports its exit status after it.
            let mut args = vec!["sh", "-c", "\"$@\"; echo \"RELNODE_EXIT $?\"", "sh"];
            args.extend_from_slice(&relnode);
            namespace(&args)
        }
    };
    let mut child = command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(POD_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start relnode ({place:?}): {e}"));
    let (tx, lines) = channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut err = child.stderr.take().expect("piped stderr");
    let (tx, stderr) = channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        err.read_to_string(&mut text).ok();
        tx.send(text).ok();
    });
    Init {
        child,
        place,
        lines,
        seen: Vec::new(),
        stderr,
    }
}

/// `args` as PID 1 of a new PID namespace (and a mount namespace with that namespace's /proc).
/// `--kill-child`: if the test gives up and kills unshare, the namespace goes with it.
fn namespace(args: &[&str]) -> Command {
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
        .args(args);
    c
}

impl Init {
    /// Waits for the next line starting with `prefix` and returns it.
    fn expect(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!(
                        "no line {prefix:?} within {PATIENCE:?}; saw {:?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let stderr = self.finish().1;
                    panic!(
                        "the output ended without a line {prefix:?}; saw {:?}; stderr: {stderr}",
                        self.seen
                    )
                }
            }
        }
    }

    /// relnode's PID as this test sees it (the namespace's PID 1 is unshare's child).
    fn relnode_pid(&self) -> Pid {
        let own = Pid::from_raw(self.child.id() as i32);
        match self.place {
            Place::Here => own,
            Place::Pid1 => only_child(own),
            Place::UnderShell => only_child(only_child(own)),
        }
    }

    fn signal(&self, sig: Signal) {
        kill(self.relnode_pid(), sig).unwrap_or_else(|e| panic!("cannot send {sig}: {e}"));
    }

    /// Ends relnode and everything it left: its process group here, its PID namespace (unshare's
    /// `--kill-child`) otherwise.
    fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        self.sweep();
    }

    /// Here, leftovers of a failed run (orphans relnode did not end) would keep the pipes open
    /// and outlive the test: the process group goes. In a namespace the kernel ends them.
    fn sweep(&self) {
        if self.place == Place::Here {
            killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL).ok();
        }
    }

    /// Waits for the end: the exit status (relnode's) and stderr; the rest of stdout is kept.
    fn finish(&mut self) -> (i32, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for relnode") {
                break status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "relnode did not exit within {PATIENCE:?}; saw {:?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.sweep();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let stderr = self
            .stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| "(stderr still open: something relnode started lives on)".into());
        let code = status
            .code()
            .unwrap_or_else(|| panic!("relnode's parent was killed: {status:?}; stderr: {stderr}"));
        if self.place == Place::UnderShell {
            // The shell exits 0; relnode's own status is the line it printed.
            let line = self
                .seen
                .iter()
                .find_map(|l| l.strip_prefix("RELNODE_EXIT "))
                .unwrap_or_else(|| panic!("no RELNODE_EXIT line: {:?}", self.seen));
            return (line.parse().expect("a number"), stderr);
        }
        (code, stderr)
    }
}

/// The one child of `parent`, waited for (unshare forks it a moment after starting).
fn only_child(parent: Pid) -> Pid {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let children = children_of(parent);
        if let [one] = children[..] {
            return one;
        }
        assert!(
            Instant::now() < deadline,
            "{parent} has children {children:?}, expected one"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Processes whose parent is `parent`, from /proc/*/stat (field 4; the name in field 2 may
/// hold spaces, so fields are counted after its closing parenthesis).
fn children_of(parent: Pid) -> Vec<Pid> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1);
        if ppid == Some(&parent.as_raw().to_string()) {
            if let Ok(pid) = entry.file_name().to_string_lossy().parse() {
                found.push(Pid::from_raw(pid));
            }
        }
    }
    found
}

fn root_or_fail() {
    assert!(
        common::is_root(),
        "this test needs root (PID namespaces); run it with --include-ignored as root"
    );
}

// ------------------------------------------------------------------ exit codes

fn every_exit_code_passes_through(place: Place) {
    let mut wrong = Vec::new();
    for code in 0..=255 {
        let mut init = start(place, &[], &format!("exit {code}"));
        let (got, stderr) = init.finish();
        if got != code {
            wrong.push(format!("{code} -> {got} ({})", stderr.trim()));
        }
    }
    assert!(wrong.is_empty(), "exit codes changed: {wrong:?}");
}

/// All 256 codes: about a second.
#[test]
fn every_exit_code_passes_through_as_subreaper() {
    every_exit_code_passes_through(Place::Here);
}

/// All 256 codes, each in its own namespace: about two seconds.
#[test]
#[ignore = "needs root"]
fn every_exit_code_passes_through_as_pid1() {
    root_or_fail();
    every_exit_code_passes_through(Place::Pid1);
}

/// The child kills itself with signal N: relnode exits 128 + N, as a shell reports it. 40 is
/// a realtime signal (SIGRTMIN+6 on glibc), which `nix`'s `Signal` cannot name.
fn death_by_signal_is_128_plus_n(place: Place) {
    for n in [1, 2, 6, 9, 10, 13, 15, 40] {
        let mut init = start(place, &[], &format!("kill -{n} $$; sleep 5; exit 99"));
        let (got, stderr) = init.finish();
        assert_eq!(got, 128 + n, "child killed by signal {n}; stderr: {stderr}");
    }
}

#[test]
fn death_by_signal_is_128_plus_n_as_subreaper() {
    death_by_signal_is_128_plus_n(Place::Here);
}

#[test]
#[ignore = "needs root"]
fn death_by_signal_is_128_plus_n_as_pid1() {
    root_or_fail();
    death_by_signal_is_128_plus_n(Place::Pid1);
}

// ------------------------------------------------------------------ signals

/// Signals tini's README lists and more, each sent to relnode from outside and reported by the
/// child's trap, one at a time; TERM last, on which the child exits 0.
fn signals_reach_the_child(place: Place) {
    let forwarded: [(Signal, &str); 12] = [
        (Signal::SIGHUP, "HUP"),
        (Signal::SIGINT, "INT"),
        (Signal::SIGQUIT, "QUIT"),
        (Signal::SIGUSR1, "USR1"),
        (Signal::SIGUSR2, "USR2"),
        (Signal::SIGPIPE, "PIPE"),
        (Signal::SIGALRM, "ALRM"),
        (Signal::SIGCONT, "CONT"),
        (Signal::SIGTSTP, "TSTP"),
        (Signal::SIGURG, "URG"),
        (Signal::SIGWINCH, "WINCH"),
        (Signal::SIGXCPU, "XCPU"),
    ];
    let mut script = String::new();
    for (_, name) in &forwarded {
        script.push_str(&format!("trap 'echo got {name}' {name}\n"));
    }
    script.push_str(
        "trap 'echo got 40' 40\n\
         trap 'echo got TERM; kill $sleeper; exit 0' TERM\n\
         sleep 60 & sleeper=$!\n\
         echo ready\n\
         while kill -0 $sleeper 2>/dev/null; do wait $sleeper; done\n",
    );
    let mut init = start(place, &[], &script);
    init.expect("ready");
    for (sig, name) in forwarded {
        init.signal(sig);
        init.expect(&format!("got {name}"));
    }
    // A realtime signal, sent raw (nix cannot name it).
    // SAFETY: kill(2) takes plain integers.
    let sent = unsafe { nix::libc::kill(init.relnode_pid().as_raw(), 40) };
    assert_eq!(sent, 0, "kill -40");
    init.expect("got 40");
    init.signal(Signal::SIGTERM);
    init.expect("got TERM");
    let (code, stderr) = init.finish();
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(!stderr.contains("warning"), "no warning expected: {stderr}");
}

#[test]
fn signals_reach_the_child_as_subreaper() {
    signals_reach_the_child(Place::Here);
}

#[test]
#[ignore = "needs root"]
fn signals_reach_the_child_as_pid1() {
    root_or_fail();
    signals_reach_the_child(Place::Pid1);
}

/// SIGTERM to relnode kills a child that does not handle it: 143. PID 1 of a namespace is
/// immune to signals it has not asked for, so this shows relnode collects and passes them on.
#[test]
#[ignore = "needs root"]
fn sigterm_to_pid1_ends_a_child_that_does_not_trap_it() {
    root_or_fail();
    let mut init = start(Place::Pid1, &[], "echo ready; exec sleep 60");
    init.expect("ready");
    // After `exec sleep`: relnode's child is sleep itself.
    let deadline = Instant::now() + PATIENCE;
    while !children_of(init.relnode_pid())
        .iter()
        .any(|c| std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|n| n == "sleep\n"))
    {
        assert!(Instant::now() < deadline, "the child never became sleep");
        std::thread::sleep(Duration::from_millis(10));
    }
    init.signal(Signal::SIGTERM);
    let (code, stderr) = init.finish();
    assert_eq!(code, 128 + 15, "stderr: {stderr}");
}

// ------------------------------------------------------------------ reaping

/// A double fork leaves an orphan `sleep`; the child reports who adopted it (its PPid, and
/// relnode's PID as the child sees it), ends it, then reports whether it is gone from /proc (a
/// zombie nobody reaps stays, in state Z), then every zombie its /proc shows. The orphan lives
/// until it is killed, so a slow machine cannot make it exit before its parent is read.
const ORPHAN: &str = r#"
orphan=$( (sleep 60 >/dev/null 2>&1 & echo $!) )
ppid=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$orphan/status)
echo "ADOPTED ${ppid:-none} RELNODE $PPID"
kill $orphan
i=0
while [ -e /proc/$orphan ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
state=$(sed -n 's/^State:[[:space:]]*//p' /proc/$orphan/status 2>/dev/null)
echo "ORPHAN ${state:-reaped}"
zombies=
for f in /proc/[0-9]*/status; do
  if grep -q '^State:[[:space:]]*Z' "$f" 2>/dev/null; then zombies="$zombies ${f%/status}"; fi
done
echo "ZOMBIES$zombies"
"#;

/// Checks ORPHAN's report: adopted by relnode, then reaped; `whole_proc`: no zombie anywhere in
/// this /proc (only meaningful in a namespace of our own).
fn orphan_is_adopted_and_reaped(place: Place, whole_proc: bool) {
    let mut init = start(place, &[], ORPHAN);
    let adopted = init.expect("ADOPTED ");
    let words: Vec<&str> = adopted.split_whitespace().collect();
    assert_eq!(
        words[1], words[3],
        "the orphan's parent is not relnode: {adopted}"
    );
    if place == Place::Pid1 {
        assert_eq!(words[1], "1", "{adopted}");
    }
    let orphan = init.expect("ORPHAN ");
    assert_eq!(orphan, "ORPHAN reaped", "the orphan stayed a zombie");
    let zombies = init.expect("ZOMBIES");
    if whole_proc {
        assert_eq!(zombies, "ZOMBIES", "zombies remain in the namespace");
    }
    let (code, stderr) = init.finish();
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(!stderr.contains("warning"), "no warning expected: {stderr}");
}

/// No namespace: relnode registers as a child subreaper, so the orphan comes to it, not to
/// this machine's init.
#[test]
fn orphans_are_adopted_and_reaped_as_subreaper() {
    orphan_is_adopted_and_reaped(Place::Here, false);
}

#[test]
#[ignore = "needs root"]
fn orphans_are_adopted_and_reaped_as_pid1() {
    root_or_fail();
    orphan_is_adopted_and_reaped(Place::Pid1, true);
}

/// PID 1 is a shell that never reaps while it waits for relnode; the orphan must come to
/// relnode (subreaper) and be reaped by it.
#[test]
#[ignore = "needs root"]
fn orphans_are_adopted_and_reaped_when_pid1_is_someone_else() {
    root_or_fail();
    orphan_is_adopted_and_reaped(Place::UnderShell, true);
}

// ------------------------------------------------------------------ process groups

/// The child starts a grandchild; both trap TERM. Returns the lines seen after TERM.
fn term_with_a_grandchild(extra: &[&str]) -> Vec<String> {
    let script = r#"
sh -c 'trap "echo grandchild got TERM; exit 0" TERM; echo grandchild ready; sleep 60 & wait' &
grandchild=$!
trap 'echo child got TERM; sleep 1; exit 0' TERM
while kill -0 $grandchild 2>/dev/null; do wait $grandchild; done
"#;
    let mut init = start(Place::Pid1, extra, script);
    init.expect("grandchild ready");
    init.signal(Signal::SIGTERM);
    init.expect("child got TERM");
    let (code, stderr) = init.finish();
    assert_eq!(code, 0, "stderr: {stderr}");
    init.seen
}

#[test]
#[ignore = "needs root"]
fn process_group_signals_reach_grandchildren() {
    root_or_fail();
    let seen = term_with_a_grandchild(&["--process-group"]);
    assert!(
        seen.iter().any(|l| l == "grandchild got TERM"),
        "with --process-group the grandchild must get TERM: {seen:?}"
    );
    // Control: without it, only the child is signalled.
    let seen = term_with_a_grandchild(&[]);
    assert!(
        !seen.iter().any(|l| l == "grandchild got TERM"),
        "without --process-group only the child gets TERM: {seen:?}"
    );
}

/// With a terminal (a pty from `script`), --process-group makes the child's group the
/// foreground group, as `tini -g` does, so Ctrl-C reaches the release and not relnode.
#[test]
fn process_group_takes_the_terminal() {
    let report =
        "read -r pid _ _ _ pgrp _ _ tpgid _ < /proc/$$/stat; echo \"TTY $pid $pgrp $tpgid\"";
    let run = |extra: &str| -> Vec<String> {
        let inner = format!("{BIN} exec --init {extra} -- sh -c '{report}'");
        let out = Command::new("script")
            .args(["-qec", &inner, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(POD_ENV)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run script(1): {e} (bsdutils; scripts/test installs it)")
            });
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("TTY "))
            .unwrap_or_else(|| panic!("no TTY line: {text:?}"))
            .to_owned();
        line.split_whitespace().map(str::to_owned).collect()
    };
    let grouped = run("--process-group");
    assert_eq!(grouped[0], grouped[1], "own process group: {grouped:?}");
    assert_eq!(
        grouped[1], grouped[2],
        "the terminal's foreground: {grouped:?}"
    );
    let plain = run("");
    assert_ne!(plain[0], plain[1], "control: relnode's group: {plain:?}");
    assert_eq!(
        plain[1], plain[2],
        "control: relnode's group keeps the terminal"
    );
}

// ------------------------------------------------------------------ failures

/// 127/126 with the very message a plain `exec` prints.
#[test]
fn spawn_failures_exit_and_read_like_exec() {
    let pod = Pod::new("initfail");
    let script = pod.write("noexec.sh", "#!/bin/sh\necho started\n");
    let dir = pod.dir.to_str().expect("utf-8").to_owned();
    let cases = [
        ("no-such-command-relnode", 127),
        ("./missing/bin/app", 127),
        (script.to_str().expect("utf-8"), 126),
        (dir.as_str(), 126),
    ];
    for (program, want) in cases {
        let init = pod.run(&["exec", "--init", "--", program], &POD_ENV);
        let plain = pod.run(&["exec", "--", program], &POD_ENV);
        assert_eq!(
            init.status.code(),
            Some(want),
            "{program}: {}",
            stderr(&init)
        );
        assert_eq!(plain.status.code(), Some(want), "{program}");
        assert_eq!(stderr(&init), stderr(&plain), "{program}: the same words");
        assert!(!init.stdout.starts_with(b"started"), "{program} ran");
    }
}

/// A bad switch is bad input: exit 2, the env var named, nothing written, nothing started.
#[test]
fn bad_switches_are_refused_before_anything_happens() {
    let pod = Pod::new("initbad");
    let out = pod.path("env.sh");
    let out_s = out.to_str().expect("utf-8");
    let marker = pod.path("started");
    let touch = format!("touch {}", marker.display());
    for (args, env, names) in [
        (vec![], vec![("RELNODE_INIT", "maybe")], "RELNODE_INIT"),
        (vec!["--process-group"], vec![], "--process-group"),
        (
            vec![],
            vec![("RELNODE_INIT_PROCESS_GROUP", "1")],
            "RELNODE_INIT_PROCESS_GROUP",
        ),
        (
            vec!["--init"],
            vec![("RELNODE_INIT_PROCESS_GROUP", "2")],
            "RELNODE_INIT_PROCESS_GROUP",
        ),
    ] {
        let mut argv = vec!["exec", "--output", out_s];
        argv.extend(args.iter().copied());
        argv.extend(["--", "sh", "-c", touch.as_str()]);
        let mut all_env = POD_ENV.to_vec();
        all_env.extend(env.iter().copied());
        let res = pod.run(&argv, &all_env);
        let text = stderr(&res);
        assert_eq!(res.status.code(), Some(2), "{args:?} {env:?}: {text}");
        assert!(text.contains(names), "{text}");
        assert!(text.contains("fix:"), "{text}");
        assert!(!out.exists(), "nothing written");
        assert!(!marker.exists(), "nothing started");
    }
    // RELNODE_INIT=1 alone turns it on: relnode stays, as the child's parent.
    let mut cmd = pod.cmd(
        &["exec", "--", "sh", "-c", "echo $$ $PPID"],
        &[POD_ENV[0], POD_ENV[1], ("RELNODE_INIT", "1")],
    );
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run relnode");
    let relnode = child.id().to_string();
    let res = child.wait_with_output().expect("wait for relnode");
    let text = String::from_utf8_lossy(&res.stdout).into_owned();
    assert!(res.status.success(), "{}", stderr(&res));
    let pids: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(pids.len(), 2, "{text}");
    assert_ne!(pids[0], relnode, "the child is not relnode");
    assert_eq!(pids[1], relnode, "relnode is the child's parent");
}

/// `--init` computes the environment and the env file exactly as a plain `exec` does.
#[test]
fn the_child_gets_what_exec_gives() {
    let pod = Pod::new("initenv");
    let run = |init: bool, file: &str| {
        let out = pod.path(file);
        let out_s = out.to_str().expect("utf-8").to_owned();
        let mut args = vec!["exec", "--output", &out_s];
        if init {
            args.push("--init");
        }
        args.extend(["--", "env"]);
        let res = pod.run(&args, &POD_ENV);
        assert!(res.status.success(), "{}", stderr(&res));
        let mut vars: Vec<String> = String::from_utf8_lossy(&res.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        vars.sort();
        let text = std::fs::read_to_string(&out).expect("the env file is written");
        (vars, text)
    };
    let (plain_vars, plain_file) = run(false, "plain.sh");
    let (init_vars, init_file) = run(true, "init.sh");
    assert!(
        plain_vars.iter().any(|v| v == "RELEASE_NODE=app@10.42.0.7"),
        "{plain_vars:?}"
    );
    assert_eq!(init_vars, plain_vars, "the same environment");
    assert_eq!(init_file, plain_file, "the same env file");
}
