//! `--format dotenv`: `KEY=value` lines that Docker's `--env-file` and compose/python-dotenv
//! read the same. Docker takes everything after the first `=` literally (no quote handling,
//! docker/cli#3630), so values are bare; a value the two would read differently is refused.

use super::{Encoding, Output};
use crate::error::{Error, InputError};
use crate::inputs::Env;

pub struct Dotenv;

impl Encoding for Dotenv {
    fn encode(&self, output: &Output, env: &dyn Env) -> Result<Vec<u8>, Error> {
        Ok(encode(&output.resolved_text(env, "dotenv")?)?.into_bytes())
    }
}

fn encode(vars: &[(&str, String)]) -> Result<String, InputError> {
    let mut out = String::new();
    for (key, value) in vars {
        if let Some(problem) = unreadable(value) {
            return Err(InputError {
                subject: "output format (--format dotenv)".into(),
                found: Some(format!("the value of {key}")),
                problem: format!(
                    "{problem}, which Docker's --env-file and dotenv readers would read differently"
                ),
                fix: "use --format json or --format sh".into(),
            });
        }
        out.push_str(&format!("{key}={value}\n"));
    }
    Ok(out)
}

/// Why a bare value would not read back the same in every dotenv reader.
fn unreadable(value: &str) -> Option<&'static str> {
    if value.contains(['\'', '"', '`']) {
        Some("holds a quote")
    } else if value.contains('$') {
        Some("holds '$'")
    } else if value.contains('\\') {
        Some("holds '\\'")
    } else if value.contains('#') {
        Some("holds '#'")
    } else if value.chars().any(char::is_control) {
        Some("holds a newline or control character")
    } else if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        Some("starts or ends with a space")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bare_and_ambiguous_ones_refused() {
        let ok = encode(&[
            ("N", "app@10.0.0.1".into()),
            ("O", "+S 1 -proto_dist inet6_tcp".into()),
        ])
        .expect("plain");
        assert_eq!(ok, "N=app@10.0.0.1\nO=+S 1 -proto_dist inet6_tcp\n");
        for bad in [
            "a'b", "a\"b", "$HOME", "a\\b", "a #b", "a\nb", " a", "a ", "a\tb",
        ] {
            let err = encode(&[("C", bad.into())]).unwrap_err().to_string();
            assert!(
                err.contains("--format json") && err.contains("the value of C"),
                "{bad:?}: {err}"
            );
        }
    }
}
