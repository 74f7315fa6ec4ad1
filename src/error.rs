//! The one error type of relnode, and the exit code each kind of failure gets (like fd's
//! `exit_codes.rs`): bad input 2 (nothing written, nothing started), a command that cannot be
//! started 127 or 126 (as shells do), anything else 1. Commands that succeed choose their own
//! code (`check` returns 1 for a failed check, `exec --init` the child's status).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;

/// Exit status for bad input, as for a usage error.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit statuses shells use when a command cannot be run.
pub const EXIT_NOT_FOUND: u8 = 127;
pub const EXIT_NOT_EXECUTABLE: u8 = 126;
/// Anything else that went wrong: an I/O failure, a full disk.
pub const EXIT_FAILURE: u8 = 1;

#[derive(Debug)]
pub enum Error {
    /// An input was missing or malformed.
    Input(InputError),
    /// The command could not be started.
    Exec(ExecError),
    /// Something outside the inputs failed (I/O).
    Failed(anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => EXIT_BAD_INPUT,
            Error::Exec(exec) => exec.exit_code(),
            Error::Failed(_) => EXIT_FAILURE,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(e) => e.fmt(f),
            Error::Exec(e) => e.fmt(f),
            Error::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<ExecError> for Error {
    fn from(e: ExecError) -> Self {
        Error::Exec(e)
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Failed(e)
    }
}

/// One input was missing or malformed. Rendered as one message: which input (flag and env
/// vars), what was found and where, what is wrong, and what to do.
#[derive(Debug)]
pub struct InputError {
    /// The input in words, with the flag and env vars that set it: `pod IP (--pod-ip, MY_POD_IP, POD_IP)`.
    pub subject: String,
    /// The offending value and where it came from, already quoted with [`shown`]; `None` when
    /// nothing was found or when the value is a secret.
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

/// Bad input given by a flag of a command that reads no env var (`simulate`, `advise`):
/// exit 2, naming the flag. `found` is quoted with [`shown`].
#[cfg(feature = "tools")]
pub fn bad_flag(flag: &str, found: Option<&str>, problem: impl Into<String>, fix: &str) -> Error {
    InputError {
        subject: flag.to_owned(),
        found: found.map(shown),
        problem: problem.into(),
        fix: fix.to_owned(),
    }
    .into()
}

/// `exec` could not start the command.
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
        let program = shown(&self.program);
        let is_path = self.program.as_encoded_bytes().contains(&b'/');
        match self.source.kind() {
            std::io::ErrorKind::NotFound if !is_path => write!(
                f,
                "cannot run {program}: command not found in PATH\n  fix: give its full path (e.g. /app/bin/myapp)"
            ),
            std::io::ErrorKind::NotFound => write!(
                f,
                "cannot run {program}: no such file (or its #! interpreter is missing)\n  fix: check the path, and the interpreter on its first line"
            ),
            std::io::ErrorKind::PermissionDenied if Path::new(&self.program).is_dir() => write!(
                f,
                "cannot run {program}: it is a directory\n  fix: name the release script inside it, e.g. {}/bin/myapp",
                shown(self.program.as_os_str()).trim_matches('"')
            ),
            std::io::ErrorKind::PermissionDenied => write!(
                f,
                "cannot run {program}: permission denied\n  fix: make it executable (chmod +x) and check that its filesystem is not mounted noexec"
            ),
            _ => write!(f, "cannot run {program}: {}", self.source),
        }
    }
}

impl std::error::Error for ExecError {}

/// The longest value or path a message repeats; past it, the value is cut and its length given.
const SHOWN_MAX: usize = 120;

/// A value or path as messages show it: quoted, control characters and invalid UTF-8 escaped
/// (nothing raw reaches the terminal), cut to a sane length.
pub fn shown(value: impl AsRef<OsStr>) -> String {
    let bytes = value.as_ref().as_encoded_bytes();
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::from("\"");
    for (count, c) in text.chars().enumerate() {
        if count == SHOWN_MAX {
            out.push_str(&format!("\"... ({} bytes in all)", bytes.len()));
            return out;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{fffd}' => out.push_str("\\u{fffd}"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn shown_escapes_control_characters_and_cuts_long_values() {
        assert_eq!(shown("app"), "\"app\"");
        assert_eq!(shown("a\u{1b}[31mb\n"), "\"a\\u{1b}[31mb\\n\"");
        assert_eq!(
            shown(OsStr::from_bytes(b"10.0.0.1\xff")),
            "\"10.0.0.1\\u{fffd}\""
        );
        let long = "x".repeat(100_000);
        let out = shown(&long);
        assert!(out.len() < 200, "{} bytes", out.len());
        assert!(out.ends_with("(100000 bytes in all)"), "{out}");
    }

    #[test]
    fn each_kind_of_failure_has_its_exit_code() {
        let input = Error::from(InputError {
            subject: "s".into(),
            found: None,
            problem: "p".into(),
            fix: "f".into(),
        });
        assert_eq!(input.exit_code(), 2);
        let missing = Error::from(ExecError {
            program: "nope".into(),
            source: std::io::ErrorKind::NotFound.into(),
        });
        assert_eq!(missing.exit_code(), 127);
        let denied = Error::from(ExecError {
            program: "/".into(),
            source: std::io::ErrorKind::PermissionDenied.into(),
        });
        assert_eq!(denied.exit_code(), 126);
        assert!(denied.to_string().contains("is a directory"), "{denied}");
        assert_eq!(Error::from(anyhow::anyhow!("disk")).exit_code(), 1);
    }
}
