//! Turns the node name into what a release reads: an env file (from a template), JSON or
//! dotenv lines, or the variables `exec` sets; and writes files atomically.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context as _;
use tera::{Context, Kwargs, State, Tera};

use crate::error::InputError;
use crate::facts::Facts;

/// The template used unless `--template` names another; embedded so the binary stands alone.
pub const DEFAULT_TEMPLATE: &str = include_str!("../templates/env.sh.tera");

/// Distribution over IPv6: without it the VM listens on IPv4 only and never meets its peers.
pub const PROTO_DIST_IPV6: &str = "inet6_tcp";
pub const ERL_OPTIONS_VAR: &str = "ELIXIR_ERL_OPTIONS";
/// Long names: every name libcluster dials has a dot or is an IP literal.
pub const RELEASE_DISTRIBUTION: &str = "name";

/// What the release must be started with.
#[derive(Debug)]
pub struct Release {
    pub node: String,
    pub cookie: Option<String>,
    pub ipv6: bool,
}

impl Release {
    pub fn new(facts: &Facts, node: String) -> Release {
        Release {
            node,
            cookie: facts.cookie.as_ref().map(|c| c.value.0.clone()),
            ipv6: facts.ipv6,
        }
    }

    /// The variables with their final values; `erl_options` is the caller's own
    /// `ELIXIR_ERL_OPTIONS`, which is kept.
    pub fn vars(&self, erl_options: Option<&str>) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("RELEASE_DISTRIBUTION", RELEASE_DISTRIBUTION.to_owned()),
            ("RELEASE_NODE", self.node.clone()),
        ];
        if let Some(cookie) = &self.cookie {
            vars.push(("RELEASE_COOKIE", cookie.clone()));
        }
        if let Some(merged) = merge_erl_options(erl_options).filter(|_| self.ipv6) {
            vars.push((ERL_OPTIONS_VAR, merged));
        }
        vars
    }
}

/// Appends `-proto_dist inet6_tcp` to the caller's options; `None` when they already chose
/// a `-proto_dist` (the same rule the rendered shell applies at source time).
pub fn merge_erl_options(current: Option<&str>) -> Option<String> {
    let current = current.unwrap_or_default();
    // The characters of POSIX [[:space:]], which the rendered shell matches on.
    let space = |c: char| " \t\n\x0b\x0c\r".contains(c);
    if current.split(space).any(|word| word == "-proto_dist") {
        return None;
    }
    let flag = format!("-proto_dist {PROTO_DIST_IPV6}");
    Some(if current.is_empty() {
        flag
    } else {
        format!("{current} {flag}")
    })
}

/// POSIX single quoting: safe in sh, dash, bash and busybox sh for any text, newlines included.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The template's variables; documented in the README ("Template variables").
fn context(facts: &Facts, release: &Release) -> Context {
    let text = |v: Option<String>| v.unwrap_or_default();
    let mut ctx = Context::new();
    ctx.insert("version", crate::cli::VERSION);
    ctx.insert("libcluster", &facts.shape.to_string());
    ctx.insert("strategy", &facts.strategy.value.to_string());
    ctx.insert("mode", &facts.mode.value.to_string());
    ctx.insert("release_distribution", RELEASE_DISTRIBUTION);
    ctx.insert("release_node", &release.node);
    ctx.insert("release_cookie", &text(release.cookie.clone()));
    ctx.insert("ipv6", &release.ipv6);
    ctx.insert(
        "proto_dist",
        if release.ipv6 { PROTO_DIST_IPV6 } else { "" },
    );
    ctx.insert("basename", &facts.basename.value);
    let host = release
        .node
        .split_once('@')
        .map(|(_, h)| h)
        .unwrap_or_default();
    ctx.insert("host", host);
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
    ctx
}

/// Renders the default template, or the user's (`--template`), which Tera checks strictly:
/// an unknown variable is an error, not an empty string.
pub fn render(facts: &Facts, release: &Release, template: Option<&Path>) -> anyhow::Result<String> {
    let (name, source) = match template {
        None => ("env.sh".to_owned(), DEFAULT_TEMPLATE.to_owned()),
        Some(path) => {
            let source = fs::read_to_string(path)
                .map_err(|e| template_error(path, format!("cannot be read: {e}")))?;
            (path.display().to_string(), source)
        }
    };
    let mut tera = Tera::new();
    // Shell, not HTML: nothing is escaped unless the template asks for sh_quote.
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("sh_quote", |value: &str, _: Kwargs, _: &State| {
        sh_quote(value)
    });
    let checked = tera
        .add_raw_template(&name, &source)
        .and_then(|()| tera.render(&name, &context(facts, release)));
    match (checked, template) {
        // Tera drops a template's final newline; a file should end as its template does.
        (Ok(mut text), _) => {
            if source.ends_with('\n') && !text.ends_with('\n') {
                text.push('\n');
            }
            Ok(text)
        }
        (Err(e), Some(path)) => {
            Err(template_error(path, format!("does not render: {}", tera_message(&e))).into())
        }
        (Err(e), None) => Err(anyhow::anyhow!(
            "the built-in template does not render: {}",
            tera_message(&e)
        )),
    }
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
        found: Some(format!("{:?}", path.display().to_string())),
        problem,
        fix: "see \"Template variables\" in the README for the variables and the sh_quote filter, or drop --template for the built-in one".into(),
    }
}

/// One JSON object, keys in a fixed order.
pub fn json(vars: &[(&str, String)]) -> String {
    let fields: Vec<String> = vars
        .iter()
        .map(|(key, value)| format!("  {}: {}", json_string(key), json_string(value)))
        .collect();
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `KEY=value` lines as Docker's `--env-file` and most dotenv readers take them: bare when the
/// value is plain, single-quoted otherwise. A value no dotenv reader agrees on is refused.
pub fn dotenv(vars: &[(&str, String)]) -> Result<String, InputError> {
    let mut out = String::new();
    for (key, value) in vars {
        let plain = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.:-_/,+=%".contains(c));
        if plain {
            out.push_str(&format!("{key}={value}\n"));
        } else if !value.contains(['\'', '\n', '\r']) {
            out.push_str(&format!("{key}='{value}'\n"));
        } else {
            return Err(InputError {
                subject: "output format (--format dotenv)".into(),
                found: Some(format!("the value of {key}")),
                problem: "holds a quote or newline that dotenv readers do not agree on".into(),
                fix: "use --format sh or --format json".into(),
            });
        }
    }
    Ok(out)
}

/// Writes `contents` so that a reader sees the old file or the new one, never half of either:
/// a temporary file in the same directory, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("--output {}: not a file path", path.display()))?;
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".relnode-{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> anyhow::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        // The umask may have narrowed the mode; the file gets exactly what was asked.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        if let Ok(dir) = fs::File::open(dir) {
            dir.sync_all().ok();
        }
        Ok(())
    })();
    if result.is_err() {
        fs::remove_file(&tmp).ok();
    }
    result.with_context(|| format!("cannot write {}", path.display()))
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

    #[test]
    fn erl_options_keep_the_users_own() {
        assert_eq!(
            merge_erl_options(None).as_deref(),
            Some("-proto_dist inet6_tcp")
        );
        assert_eq!(
            merge_erl_options(Some("")).as_deref(),
            Some("-proto_dist inet6_tcp")
        );
        assert_eq!(
            merge_erl_options(Some("+S 1")).as_deref(),
            Some("+S 1 -proto_dist inet6_tcp")
        );
        assert_eq!(merge_erl_options(Some("-proto_dist inet6_tls")), None);
        assert_eq!(
            merge_erl_options(Some("+S 1\n-proto_dist\tinet6_tls")),
            None
        );
    }

    #[test]
    fn json_escapes_what_it_must() {
        let vars = [("A", "x\"y\\z\n\u{1}".to_owned())];
        assert_eq!(json(&vars), "{\n  \"A\": \"x\\\"y\\\\z\\n\\u0001\"\n}\n");
    }

    #[test]
    fn dotenv_quotes_or_refuses() {
        let ok = dotenv(&[
            ("N", "app@10.0.0.1".into()),
            ("O", "+S 1 -proto_dist inet6_tcp".into()),
        ])
        .expect("plain");
        assert_eq!(ok, "N=app@10.0.0.1\nO='+S 1 -proto_dist inet6_tcp'\n");
        assert!(dotenv(&[("C", "a'b".into())]).is_err());
    }
}
