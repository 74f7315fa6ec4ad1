//! The one error type of relnode, and the one exit-status enum (like fd's `exit_codes.rs`):
//! 0 done; 1 the command ran and its answer is no (a check failed, `simulate --self` NAME is
//! not dialled); 2 bad input (nothing written, nothing started); 3 could not run (an I/O
//! failure, a resolver or endpoint unreachable, a timeout); 127 or 126 a command that cannot be
//! started (as shells do). `exec --init` passes its child's status through.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;
use std::process::ExitCode;

/// How relnode exits: every command returns one, and every [`Error`] maps to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Ok,
    /// 1: the command ran and says no: a check failed, or `simulate --self` NAME is not dialled.
    #[cfg_attr(not(any(feature = "check", feature = "tools")), allow(dead_code))]
    No,
    /// 2: bad or missing input, or a bad command line; nothing written, nothing started.
    BadInput,
    /// 3: could not run: an I/O failure, a resolver or endpoint unreachable, a timeout.
    CouldNotRun,
    /// 126: `exec`: the command is not executable (no execute bit, a directory, `noexec`).
    NotExecutable,
    /// 127: `exec`: the command does not exist.
    NotFound,
    /// `exec --init`: the child's exit code, or 128 + N when signal N killed it.
    Child(u8),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::No => 1,
            ExitStatus::BadInput => 2,
            ExitStatus::CouldNotRun => 3,
            ExitStatus::NotExecutable => 126,
            ExitStatus::NotFound => 127,
            ExitStatus::Child(code) => code,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

#[derive(Debug)]
pub enum Error {
    /// An input was missing or malformed.
    Input(InputError),
    /// The command could not be started.
    Exec(ExecError),
    /// Something outside the inputs failed (I/O): could not run.
    Failed(anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Input(_) => ExitStatus::BadInput,
            Error::Exec(exec) => exec.exit_status(),
            Error::Failed(_) => ExitStatus::CouldNotRun,
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
    pub fn exit_status(&self) -> ExitStatus {
        match self.source.kind() {
            std::io::ErrorKind::NotFound => ExitStatus::NotFound,
            _ => ExitStatus::NotExecutable,
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
/// A character a terminal acts on instead of showing: the C0/C1 controls, and Unicode's
/// invisible format controls (bidirectional overrides and isolates such as U+202E and U+2066,
/// zero-width characters, line and paragraph separators), which can make text read in another
/// order than it is. One rule for every text from input that relnode prints.
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `text` with each [`unsafe_char`] escaped as Rust writes it (`\n`, `\u{1b}`, `\u{202e}`);
/// nothing else changes.
#[cfg_attr(not(any(feature = "check", feature = "tools")), allow(dead_code))]
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

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
            c if unsafe_char(c) => out.extend(c.escape_default()),
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
    fn escaped_shows_controls_and_bidi_controls_and_nothing_else() {
        assert_eq!(
            escaped("a\u{1b}[31m\nb\u{202e}c\u{2066}d é"),
            "a\\u{1b}[31m\\nb\\u{202e}c\\u{2066}d é"
        );
        assert_eq!(shown("x\u{202e}"), "\"x\\u{202e}\"");
    }

    #[test]
    fn each_kind_of_failure_has_its_exit_code() {
        let input = Error::from(InputError {
            subject: "s".into(),
            found: None,
            problem: "p".into(),
            fix: "f".into(),
        });
        assert_eq!(input.exit_status().code(), 2);
        let missing = Error::from(ExecError {
            program: "nope".into(),
            source: std::io::ErrorKind::NotFound.into(),
        });
        assert_eq!(missing.exit_status().code(), 127);
        let denied = Error::from(ExecError {
            program: "/".into(),
            source: std::io::ErrorKind::PermissionDenied.into(),
        });
        assert_eq!(denied.exit_status().code(), 126);
        assert!(denied.to_string().contains("is a directory"), "{denied}");
        assert_eq!(Error::from(anyhow::anyhow!("disk")).exit_status().code(), 3);
    }
}
