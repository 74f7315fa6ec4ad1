//! The hand-off: relnode becomes the release (execvp: same PID, no shell, arguments verbatim,
//! stdio untouched), so the release is PID 1's direct successor and gets the signals.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::error::ExecError;

/// Replaces this process with `argv`, adding `vars` to the environment. Returns only on failure.
pub fn exec(argv: &[OsString], vars: &[(&str, String)]) -> ExecError {
    let Some((program, args)) = argv.split_first() else {
        return ExecError {
            program: OsString::new(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
    };
    // std searches PATH like execvp and restores SIGPIPE's default disposition for the child.
    let source = Command::new(program)
        .args(args)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .exec();
    ExecError {
        program: program.clone(),
        source,
    }
}
