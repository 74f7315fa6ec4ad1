//! The two kinds of failure a caller branches on: bad input (exit 2, nothing written, nothing
//! started) and a command that cannot be started (exit 127 or 126, as shells do).

use std::ffi::OsString;
use std::fmt;

/// Exit status for bad input, as for a usage error.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit statuses shells use when a command cannot be run.
pub const EXIT_NOT_FOUND: u8 = 127;
pub const EXIT_NOT_EXECUTABLE: u8 = 126;

/// One input was missing or malformed. Rendered as one message: which input (flag and env
/// vars), what was found and where, what is wrong, and what to do.
#[derive(Debug)]
pub struct InputError {
    /// The input in words, with the flag and env vars that set it: `pod IP (--pod-ip, MY_POD_IP, POD_IP)`.
    pub subject: String,
    /// The offending value and where it came from, already quoted; `None` when nothing was
    /// found or when the value is a secret.
    pub found: Option<String>,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.subject)?;
        if let Some(found) = &self.found {
            write!(f, "{found} ")?;
        }
        write!(f, "{}\n  fix: {}", self.problem, self.fix)
    }
}

impl std::error::Error for InputError {}

/// `exec` could not replace relnode with the command.
#[derive(Debug)]
pub struct ExecError {
    pub program: OsString,
    pub source: std::io::Error,
}

impl ExecError {
    pub fn exit_code(&self) -> u8 {
        match self.source.kind() {
            std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
            _ => EXIT_NOT_EXECUTABLE,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = self.program.to_string_lossy();
        match self.source.kind() {
            std::io::ErrorKind::NotFound if !program.contains('/') => write!(
                f,
                "cannot run {program:?}: command not found in PATH; give its full path (e.g. /app/bin/myapp)"
            ),
            std::io::ErrorKind::NotFound => write!(
                f,
                "cannot run {program:?}: no such file (or its #! interpreter is missing)"
            ),
            std::io::ErrorKind::PermissionDenied => write!(
                f,
                "cannot run {program:?}: permission denied; make it executable (chmod +x) and check that its filesystem is not mounted noexec"
            ),
            _ => write!(f, "cannot run {program:?}: {}", self.source),
        }
    }
}

impl std::error::Error for ExecError {}
