//! `--format json`: one object, keys in a fixed order.

use super::{Encoding, Output};
use crate::error::Error;
use crate::inputs::Env;

pub struct Json;

impl Encoding for Json {
    fn encode(&self, output: &Output, env: &dyn Env) -> Result<Vec<u8>, Error> {
        Ok(encode(&output.resolved_text(env, "json")?).into_bytes())
    }
}

fn encode(vars: &[(&str, String)]) -> String {
    let fields: Vec<String> = vars
        .iter()
        .map(|(key, value)| format!("  {}: {}", string(key), string(value)))
        .collect();
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_it_must() {
        let vars = [("A", "x\"y\\z\n\u{1}".to_owned())];
        assert_eq!(encode(&vars), "{\n  \"A\": \"x\\\"y\\\\z\\n\\u0001\"\n}\n");
    }
}
