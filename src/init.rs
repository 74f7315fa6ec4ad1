//! `exec --init`: relnode starts the release as its child and stays as a minimal init, so the
//! container needs no tini. It forwards every signal it is sent to the child (or the child's
//! process group), reaps every zombie that lands on it, and exits with the child's status.
//!
//! The BEAM handles SIGTERM itself but never reaps the orphans that end up on PID 1: `epmd`
//! after `-daemon`, processes a `bin/app rpc` or `System.cmd` left behind. As PID 1 (or as a
//! child subreaper when not), relnode collects them.
//!
//! Signals are blocked and read from a signalfd: the wait sleeps in the kernel until a signal
//! arrives, so an idle init costs no CPU. Blocking also matters for PID 1 of a namespace: the
//! kernel drops a signal sent to it whose disposition is the default, but queues a blocked one.

use std::ffi::OsString;
use std::fmt;
use std::io::IsTerminal as _;
use std::os::fd::BorrowedFd;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{Pid, getpgrp, getpid, setpgid, tcsetpgrp};

use crate::error::{Error, ExecError, InputError};
use crate::inputs::{Id, Lookup, Sourced, input};

/// How `exec --init` supervises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InitOptions {
    /// Put the child in its own process group (the terminal's foreground group when stdin is a
    /// TTY) and signal the whole group, so the release's own children get the signal too.
    pub process_group: bool,
}

/// `--init` and `--process-group` (or their env vars), from the inputs table. `None`: a plain
/// exec.
pub fn options(lookup: &Lookup) -> Result<Option<InitOptions>, InputError> {
    let on = |s: &Option<Sourced<bool>>| s.as_ref().is_some_and(|s| s.value);
    let init = lookup.switch(Id::Init)?;
    let process_group = lookup.switch(Id::ProcessGroup)?;
    match (on(&init), &process_group) {
        (true, _) => Ok(Some(InitOptions {
            process_group: on(&process_group),
        })),
        (false, Some(group)) if group.value => Err(InputError {
            subject: input(Id::ProcessGroup).subject(),
            found: Some(format!("on (from {})", group.source)),
            problem: "applies only when relnode stays as init, and init is off".into(),
            fix: "add --init (or RELNODE_INIT=1), or drop the process-group setting".into(),
        }),
        _ => Ok(None),
    }
}

/// Why supervising failed.
#[derive(Debug)]
pub enum InitError {
    /// The command could not be started: exit 127 or 126, worded as a plain `exec` words it.
    Spawn(ExecError),
    /// The kernel refused a call relnode needs to stay as init: exit 1.
    System { call: &'static str, errno: Errno },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Spawn(exec) => exec.fmt(f),
            InitError::System { call, errno } => write!(
                f,
                "cannot stay as init for the command: {call} failed: {}",
                errno.desc()
            ),
        }
    }
}

// No `source`: each message is complete, and `{:#}` would repeat it.
impl std::error::Error for InitError {}

/// Into relnode's one error type: a spawn failure is an `exec` failure (127/126), the rest 1.
impl From<InitError> for Error {
    fn from(err: InitError) -> Self {
        match err {
            InitError::Spawn(exec) => Error::Exec(exec),
            system @ InitError::System { .. } => Error::Failed(anyhow::Error::new(system)),
        }
    }
}

fn system(call: &'static str) -> impl FnOnce(Errno) -> InitError {
    move |errno| InitError::System { call, errno }
}

/// Signals left alone rather than collected, as tini leaves them: faults raised by relnode's
/// own code (blocked, they would hide a crash), and the terminal stops TTIN/TTOU, which relnode
/// ignores instead so that handing the terminal to the child's group cannot stop relnode.
const NOT_COLLECTED: [Signal; 9] = [
    Signal::SIGFPE,
    Signal::SIGILL,
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGABRT,
    Signal::SIGTRAP,
    Signal::SIGSYS,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];

/// How orphans reach relnode.
enum Reaper {
    Pid1,
    Subreaper,
    Neither(Errno),
}

fn become_reaper() -> Reaper {
    if getpid() == Pid::from_raw(1) {
        return Reaper::Pid1;
    }
    // e.g. `shareProcessNamespace: true`, where the pause container is PID 1: orphans of the
    // release then come to relnode instead of to it.
    match nix::sys::prctl::set_child_subreaper(true) {
        Ok(()) => Reaper::Subreaper,
        Err(errno) => Reaper::Neither(errno),
    }
}

/// Starts `command` (program, arguments and environment already set) as a child and supervises
/// it until it exits. Returns the exit status to exit with: the child's own, or 128 + the
/// signal that killed it.
pub fn supervise(mut command: Command, opts: InitOptions) -> Result<u8, InitError> {
    if let Reaper::Neither(errno) = become_reaper() {
        eprintln!(
            "relnode: warning: not PID 1, and registering as a child subreaper failed ({}): orphaned processes will not be reaped",
            errno.desc()
        );
    }

    let mut collected = SigSet::all();
    for sig in NOT_COLLECTED {
        collected.remove(sig);
    }
    let mut original_mask = SigSet::empty();
    signal::sigprocmask(
        SigmaskHow::SIG_SETMASK,
        Some(&collected),
        Some(&mut original_mask),
    )
    .map_err(system("sigprocmask"))?;
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: installs SIG_IGN, no handler code runs.
    let original_ttin =
        unsafe { signal::sigaction(Signal::SIGTTIN, &ignore) }.map_err(system("sigaction"))?;
    // SAFETY: as above.
    let original_ttou =
        unsafe { signal::sigaction(Signal::SIGTTOU, &ignore) }.map_err(system("sigaction"))?;
    // Signals sent before this point are pending (blocked), and the signalfd reports them.
    let signals =
        SignalFd::with_flags(&collected, SfdFlags::SFD_CLOEXEC).map_err(system("signalfd"))?;

    let process_group = opts.process_group;
    let foreground = process_group && std::io::stdin().is_terminal();
    // SAFETY: the closure runs in the forked child before exec and makes only async-signal-safe
    // calls (setpgid, tcsetpgrp, sigaction, sigprocmask); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if process_group {
                setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
                if foreground {
                    // Allowed from a background group because SIGTTOU is ignored (above).
                    // SAFETY: fd 0 is open (it was a terminal a moment ago) and outlives the call.
                    let stdin = BorrowedFd::borrow_raw(libc::STDIN_FILENO);
                    match tcsetpgrp(stdin, getpgrp()) {
                        Ok(()) | Err(Errno::ENOTTY | Errno::ENXIO) => {}
                        Err(errno) => return Err(errno.into()),
                    }
                }
            }
            // The child starts as a plain `exec` would have: relnode's original mask and
            // TTIN/TTOU dispositions (std resets SIGPIPE; exec resets handlers).
            signal::sigaction(Signal::SIGTTIN, &original_ttin)?;
            signal::sigaction(Signal::SIGTTOU, &original_ttou)?;
            signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&original_mask), None)?;
            Ok(())
        });
    }
    let program: OsString = command.get_program().to_owned();
    let child = command
        .spawn()
        .map_err(|source| InitError::Spawn(ExecError { program, source }))?;
    let child = Pid::from_raw(child.id() as libc::pid_t);
    // spawn returns once the child has exec'd, so its setpgid has happened: the group exists.
    let target = if process_group {
        Pid::from_raw(-child.as_raw())
    } else {
        child
    };

    wait_forwarding(&signals, child, target)
}

/// Blocks on the signalfd: every signal but SIGCHLD goes on to `target`; SIGCHLD reaps, until
/// `child` itself has exited (its status, or 128 + the signal that killed it).
fn wait_forwarding(signals: &SignalFd, child: Pid, target: Pid) -> Result<u8, InitError> {
    loop {
        let info = match signals.read_signal() {
            Ok(Some(info)) => info,
            Ok(None) | Err(Errno::EINTR) => continue,
            Err(errno) => return Err(system("read from signalfd")(errno)),
        };
        let signo = info.ssi_signo as libc::c_int;
        if signo == libc::SIGCHLD {
            if let Some(status) = reap(child)? {
                return Ok(status);
            }
        } else {
            forward(target, signo);
        }
    }
}

/// Sends `signo` on. Realtime signals have no `nix::Signal`, so they go through nix's libc.
fn forward(target: Pid, signo: libc::c_int) {
    let sent = match Signal::try_from(signo) {
        Ok(sig) => signal::kill(target, sig),
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        Err(_) => Errno::result(unsafe { libc::kill(target.as_raw(), signo) }).map(drop),
    };
    match sent {
        // The child (or its whole group) has just exited; its SIGCHLD is on its way.
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(errno) => eprintln!(
            "relnode: warning: cannot forward signal {signo} to {target}: {}",
            errno.desc()
        ),
    }
}

/// Reaps every child that has exited (one SIGCHLD may stand for several). Returns the status
/// to exit with once the main child is among them.
fn reap(child: Pid) -> Result<Option<u8>, InitError> {
    let mut main_status = None;
    loop {
        let mut raw = 0;
        // Raw waitpid: nix's `WaitStatus` cannot name a death by realtime signal, and its
        // waitpid then fails after the kernel has already reaped the child, losing the status.
        // SAFETY: `raw` is a valid, writable int for the duration of the call.
        let reaped = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
        match Errno::result(reaped) {
            Ok(0) | Err(Errno::ECHILD) => return Ok(main_status),
            Ok(pid) if pid == child.as_raw() => main_status = Some(exit_status(raw)),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(errno) => return Err(system("waitpid")(errno)),
        }
    }
}

/// As a shell reports it: the exit code, or 128 + the signal number.
fn exit_status(raw: libc::c_int) -> u8 {
    let code = if libc::WIFSIGNALED(raw) {
        128 + libc::WTERMSIG(raw)
    } else {
        libc::WEXITSTATUS(raw)
    };
    // Both fit in a byte on Linux (signals stop at 64); the mask only makes that explicit.
    (code & 0xff) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;

    /// `options` for flags (`--init` as "1") and env pairs.
    fn opts(flags: &[(Id, &str)], pairs: &[(&str, &str)]) -> Result<Option<InitOptions>, String> {
        let args = PodArgs::with(flags);
        let env = env(pairs);
        options(&Lookup {
            args: &args,
            env: &env,
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn flags_and_env_vars_turn_init_on() {
        let on = |group| {
            Ok(Some(InitOptions {
                process_group: group,
            }))
        };
        assert_eq!(opts(&[], &[]), Ok(None));
        assert_eq!(opts(&[(Id::Init, "1")], &[]), on(false));
        assert_eq!(
            opts(&[(Id::Init, "1"), (Id::ProcessGroup, "1")], &[]),
            on(true)
        );
        for value in ["1", "true", "YES", "on"] {
            let pairs = [
                ("RELNODE_INIT", value),
                ("RELNODE_INIT_PROCESS_GROUP", value),
            ];
            assert_eq!(opts(&[], &pairs), on(true), "{value}");
        }
        for value in ["", "0", "false", "No", "off"] {
            let pairs = [
                ("RELNODE_INIT", value),
                ("RELNODE_INIT_PROCESS_GROUP", value),
            ];
            assert_eq!(opts(&[], &pairs), Ok(None), "{value:?}");
        }
    }

    #[test]
    fn bad_values_and_a_group_without_init_are_refused() {
        let text = opts(&[], &[("RELNODE_INIT", "maybe")]).expect_err("refused");
        assert!(text.contains("--init, RELNODE_INIT"), "{text}");
        assert!(text.contains("\"maybe\" (from env RELNODE_INIT)"), "{text}");
        assert!(text.contains("fix: set RELNODE_INIT=1"), "{text}");

        let text = opts(&[(Id::ProcessGroup, "1")], &[]).expect_err("refused");
        assert!(text.contains("--process-group"), "{text}");
        assert!(text.contains("add --init"), "{text}");
        let text = opts(&[], &[("RELNODE_INIT_PROCESS_GROUP", "1")]).expect_err("refused");
        assert!(
            text.contains("from env RELNODE_INIT_PROCESS_GROUP"),
            "{text}"
        );
    }

    #[test]
    fn statuses_are_reported_as_a_shell_does() {
        // Raw wait statuses as Linux encodes them: code << 8 for an exit, the signal for a kill.
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(3 << 8), 3);
        assert_eq!(exit_status(255 << 8), 255);
        assert_eq!(exit_status(libc::SIGTERM), 143);
        assert_eq!(exit_status(libc::SIGKILL | 0x80), 137, "core dumped");
        assert_eq!(
            exit_status(libc::SIGRTMIN() + 2),
            (128 + libc::SIGRTMIN() + 2) as u8
        );
    }
}
