//! `--format sh` and `render`: the env file a release sources, from a Tera template (the
//! built-in `templates/env.sh.tera`, or the user's `--template`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::{Context, Kwargs, State, Tera};

use super::{Encoding, Output, mask};
use crate::error::{Error, InputError, shown};
use crate::files::{self, ReadError};
use crate::inputs::Env;
use crate::node::{DISTRIBUTION, PROTO_DIST_IPV6, merge_proto_dist_sh};
use crate::target::Value;

/// Embedded so the binary stands alone.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/env.sh.tera");

/// `export KEY='value'` lines from a Tera template (the built-in one unless given).
pub struct Sh {
    pub template: Option<PathBuf>,
}

impl Encoding for Sh {
    fn encode(&self, output: &Output, _: &dyn Env) -> Result<Vec<u8>, Error> {
        encode(output, self.template.as_deref())
    }
}

/// POSIX single quoting: safe in sh, dash, bash and busybox sh for any text, newlines included.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The template's variables; documented in docs/reference.md ("Template variables"). `cookie` is
/// what `release_cookie` holds: the real one, or a stand-in when rendering an error message.
fn context(output: &Output, cookie: &str) -> Context {
    let facts = output.facts;
    let node = output.node;
    let text = |v: Option<String>| v.unwrap_or_default();
    let mut ctx = Context::new();
    ctx.insert("version", crate::cli::VERSION);
    ctx.insert("libcluster", &facts.shape.to_string());
    ctx.insert("strategy", &facts.strategy.value.to_string());
    ctx.insert("mode", &facts.mode.value.to_string());
    ctx.insert("release_distribution", DISTRIBUTION);
    ctx.insert("release_node", &node.name);
    ctx.insert("release_cookie", cookie);
    ctx.insert("ipv6", &node.ipv6);
    ctx.insert("proto_dist", if node.ipv6 { PROTO_DIST_IPV6 } else { "" });
    ctx.insert("basename", node.basename());
    ctx.insert("host", node.host());
    ctx.insert(
        "pod_ip",
        &text(facts.ip.as_ref().map(|i| i.value.to_string())),
    );
    for (key, fact) in [
        ("namespace", &facts.namespace),
        ("cluster_domain", &facts.cluster_domain),
        ("cluster_name", &facts.cluster_name),
        ("hostname", &facts.hostname),
        ("service", &facts.service),
    ] {
        ctx.insert(key, &text(fact.as_ref().map(|f| f.value.clone())));
    }
    // The target's variables: plain ones to export, and the sh form of the -proto_dist rule.
    let mut exports = Vec::new();
    let mut merges = String::new();
    for var in &output.vars {
        let value = match &var.value {
            Value::Text(text) => text.clone(),
            Value::Secret(_) => cookie.to_owned(),
            Value::AppendProtoDist => {
                merges.push_str(&merge_proto_dist_sh(&var.name));
                continue;
            }
        };
        exports.push(BTreeMap::from([
            ("name", var.name.to_string()),
            ("value", value),
        ]));
    }
    ctx.insert_value("exports", exports.into());
    ctx.insert("proto_dist_sh", &merges);
    ctx
}

/// Renders the template, which Tera checks strictly: an unknown variable is an error, not an
/// empty string. An error message never holds the cookie.
fn encode(output: &Output, template: Option<&Path>) -> Result<Vec<u8>, Error> {
    let source = match template {
        None => DEFAULT_TEMPLATE.to_owned(),
        Some(path) => read_template(path)?,
    };
    let cookie = output
        .node
        .cookie
        .as_ref()
        .map(|c| c.expose())
        .unwrap_or_default();
    match render(&source, &context(output, cookie)) {
        Ok(mut text) => {
            // Tera drops a template's final newline; a file should end as its template does.
            if source.ends_with('\n') && !text.ends_with('\n') {
                text.push('\n');
            }
            Ok(text.into_bytes())
        }
        Err(message) => {
            // Say what went wrong with a stand-in cookie, so the real one cannot be quoted;
            // masking is the second guard.
            let message = match (
                cookie.is_empty(),
                render(&source, &context(output, "COOKIE")),
            ) {
                (false, Err(stand_in)) => stand_in,
                _ => message,
            };
            let message = mask(&message, &output.secrets());
            Err(match template {
                Some(path) => template_error(path, format!("does not render: {message}")).into(),
                None => anyhow::anyhow!("the built-in template does not render: {message}").into(),
            })
        }
    }
}

fn render(source: &str, ctx: &Context) -> Result<String, String> {
    let mut tera = Tera::new();
    // Shell, not HTML: nothing is escaped unless the template asks for sh_quote.
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("sh_quote", |value: &str, _: Kwargs, _: &State| {
        sh_quote(value)
    });
    tera.add_raw_template("env.sh", source)
        .and_then(|()| tera.render("env.sh", ctx))
        .map_err(|e| tera_message(&e))
}

fn read_template(path: &Path) -> Result<String, InputError> {
    let bytes = files::read_limited(path, files::MAX_TEMPLATE).map_err(|e| {
        template_error(
            path,
            match e {
                ReadError::NotFound => "cannot be read: it does not exist".into(),
                other => other.to_string(),
            },
        )
    })?;
    String::from_utf8(bytes).map_err(|_| template_error(path, "is not UTF-8 text".into()))
}

fn tera_message(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        message = format!("{message}: {inner}");
        source = inner.source();
    }
    message
}

fn template_error(path: &Path, problem: String) -> InputError {
    InputError {
        subject: "template (--template)".into(),
        found: Some(shown(path)),
        problem,
        fix: "see \"Template variables\" in docs/reference.md for the variables and the sh_quote filter, or drop --template for the built-in one".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_closes_and_reopens_around_quotes() {
        assert_eq!(sh_quote("app@10.0.0.1"), "'app@10.0.0.1'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
    }

    /// Values no input can carry today (newlines, control characters) still survive the
    /// quoting, so a future input or a user's template cannot break the file.
    #[test]
    fn sh_quote_survives_a_real_shell_for_any_text() {
        for value in [
            "a\nb",
            "\n",
            "tab\there",
            "'\n'",
            "$(echo no)\n`echo no`",
            "\u{1}\u{7f}é",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("v={}; printf %s \"$v\"", sh_quote(value)))
                .output()
                .expect("run sh");
            assert_eq!(String::from_utf8_lossy(&out.stdout), value, "{value:?}");
        }
    }
}
