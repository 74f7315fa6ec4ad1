//! The hand-off: relnode becomes the release (execvp: same PID, no shell, arguments verbatim,
//! stdio untouched), so the release is PID 1's direct successor and gets the signals.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::error::ExecError;

/// Replaces this process with `argv`, adding `vars` to the environment. Returns only on failure.
pub fn exec(argv: &[OsString], vars: &[(&str, String)]) -> ExecError {
    let mut command = match command(argv, vars) {
        Ok(command) => command,
        Err(err) => return err,
    };
    let source = command.exec();
    ExecError {
        program: command.get_program().to_owned(),
        source,
    }
}

/// `argv` with `vars` added to the environment, ready to exec (or, for `exec --init`, to spawn).
/// std searches PATH like execvp and restores SIGPIPE's default disposition for the child.
pub fn command(argv: &[OsString], vars: &[(&str, String)]) -> Result<Command, ExecError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(ExecError {
            program: OsString::new(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    };
    let mut command = Command::new(program);
    command.args(args).envs(vars.iter().map(|(k, v)| (k, v)));
    Ok(command)
}
