//! What an Erlang node must be started with, whatever reads it (a mix release's env vars, a
//! relx vm.args, ...): its name, long-name distribution, the cookie, and whether distribution
//! must listen on IPv6. Also the one rule for adding `-proto_dist inet6_tcp` to a user's own
//! VM options, in Rust (for `exec`, JSON, dotenv) and in sh (for an env file sourced later).

use std::ffi::{OsStr, OsString};
use std::fmt;

/// Long names: every name libcluster dials has a dot or is an IP literal.
pub const DISTRIBUTION: &str = "name";
/// Distribution over IPv6: without it the VM listens on IPv4 only and never meets its peers.
pub const PROTO_DIST_IPV6: &str = "inet6_tcp";

/// An Erlang cookie: a secret that never prints (`Debug` shows only its length).
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie(String);

/// An Erlang atom holds at most 255 characters; a longer cookie boots into `system_limit` and
/// the crash report prints it.
pub const MAX_COOKIE_CHARS: usize = 255;

impl Cookie {
    /// The cookie in a file: one line of printable UTF-8, at most one trailing newline.
    /// The error never holds the cookie.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Cookie, &'static str> {
        let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text")?;
        let cookie = text.strip_suffix('\n').unwrap_or(text);
        if cookie.is_empty() {
            return Err("is empty");
        }
        if cookie.ends_with('\r') {
            return Err("has a control character at its end (Windows line ending?)");
        }
        if cookie.chars().any(char::is_control) {
            return Err("has a control character");
        }
        if cookie.chars().count() > MAX_COOKIE_CHARS {
            return Err(
                "is longer than 255 characters, the most an Erlang atom (and so a cookie) can hold",
            );
        }
        Ok(Cookie(cookie.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cookie(<{} bytes hidden>)", self.0.len())
    }
}

/// The node, target-neutral.
#[derive(Debug)]
pub struct Node {
    /// `basename@host`, checked by `naming`.
    pub name: String,
    pub cookie: Option<Cookie>,
    /// Distribution must use `-proto_dist inet6_tcp`.
    pub ipv6: bool,
}

impl Node {
    pub fn basename(&self) -> &str {
        self.name.split_once('@').map_or(&self.name, |(b, _)| b)
    }

    pub fn host(&self) -> &str {
        self.name.split_once('@').map_or("", |(_, h)| h)
    }
}

/// The characters of POSIX `[[:space:]]` in the C locale, which the sh rule matches on.
fn is_posix_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The rule: append `-proto_dist inet6_tcp` to the user's VM options, unless they already chose
/// a `-proto_dist` (e.g. `inet6_tls`, which must not be downgraded). `None`: leave them alone.
/// Bytes in, bytes out: the user's options are theirs, UTF-8 or not.
pub fn merge_proto_dist(current: Option<&OsStr>) -> Option<OsString> {
    let current = current.map(OsStr::as_encoded_bytes).unwrap_or_default();
    if current
        .split(|b| is_posix_space(*b))
        .any(|word| word == b"-proto_dist")
    {
        return None;
    }
    let mut merged = OsString::new();
    if !current.is_empty() {
        // SAFETY-free: the bytes came from an OsStr; `from_encoded_bytes_unchecked` is not needed
        // on Unix, where any bytes are an OsStr.
        merged.push(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(current));
        merged.push(" ");
    }
    merged.push(format!("-proto_dist {PROTO_DIST_IPV6}"));
    Some(merged)
}

/// The same rule for a shell that sources the env file later, with its own value of `var`.
pub fn merge_proto_dist_sh(var: &str) -> String {
    format!(
        "case \" ${{{var}-}} \" in\n  *[[:space:]]-proto_dist[[:space:]]*) ;;\n  *) export {var}=\"${{{var}:+${var} }}-proto_dist {PROTO_DIST_IPV6}\" ;;\nesac\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::process::Command;

    /// The Rust rule and the sh rule agree, case by case, run in a real shell. Each case says
    /// what the user had and what the VM gets.
    #[test]
    fn rust_and_sh_merge_agree_on_fixed_cases() {
        let cases: &[(Option<&[u8]>, &[u8])] = &[
            (None, b"-proto_dist inet6_tcp"),
            (Some(b""), b"-proto_dist inet6_tcp"),
            (Some(b"+S 1"), b"+S 1 -proto_dist inet6_tcp"),
            (Some(b"-proto_dist inet6_tls"), b"-proto_dist inet6_tls"),
            (
                Some(b"+S 1\n-proto_dist\tinet6_tls"),
                b"+S 1\n-proto_dist\tinet6_tls",
            ),
            (Some(b"-proto_dist"), b"-proto_dist"),
            // Not the flag: a longer word.
            (
                Some(b"-proto_distx y"),
                b"-proto_distx y -proto_dist inet6_tcp",
            ),
            (
                Some(b"-setcookie 'a b'"),
                b"-setcookie 'a b' -proto_dist inet6_tcp",
            ),
            // Not UTF-8: kept byte for byte, and a TLS choice is still seen.
            (
                Some(b"-proto_dist inet6_tls \xff"),
                b"-proto_dist inet6_tls \xff",
            ),
            (Some(b"+K \xfe"), b"+K \xfe -proto_dist inet6_tcp"),
        ];
        let script = format!(
            "{}printf %s \"$ELIXIR_ERL_OPTIONS\"",
            merge_proto_dist_sh("ELIXIR_ERL_OPTIONS")
        );
        for (given, want) in cases {
            let rust = match merge_proto_dist(given.map(OsStr::from_bytes)) {
                Some(merged) => merged.as_bytes().to_vec(),
                None => given.unwrap_or_default().to_vec(),
            };
            assert_eq!(rust, *want, "rust, given {given:?}");
            let mut sh = Command::new("sh");
            sh.arg("-c").arg(&script).env_clear();
            if let Some(given) = given {
                sh.env("ELIXIR_ERL_OPTIONS", OsStr::from_bytes(given));
            }
            let out = sh.output().expect("run sh");
            assert_eq!(out.stdout, *want, "sh, given {given:?}");
        }
    }

    #[test]
    fn cookies_are_atoms_and_never_print() {
        assert_eq!(
            Cookie::from_file_bytes(b"s3cret\n").map(|c| c.expose().to_owned()),
            Ok("s3cret".to_owned())
        );
        for bad in [&b""[..], b"\n", b"a\tb", b"a\r\n", b"a\nb", b"\xff"] {
            assert!(Cookie::from_file_bytes(bad).is_err(), "{bad:?}");
        }
        let longest = "é".repeat(255);
        assert!(Cookie::from_file_bytes(longest.as_bytes()).is_ok());
        let too_long = "a".repeat(256);
        let err = Cookie::from_file_bytes(too_long.as_bytes()).unwrap_err();
        assert!(!err.contains("aaaa"), "{err}");
        let debug = format!("{:?}", Cookie("top-secret".into()));
        assert!(!debug.contains("top-secret"), "{debug}");
    }
}
