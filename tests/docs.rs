//! The documentation against the binary: the Inputs table (docs/reference.md) names every
//! input the binary takes, with its env vars, checked against `--help` of each command that
//! takes pod inputs (generated from `src/inputs.rs`); every relative link in README.md,
//! CHANGELOG.md and docs/ resolves.

mod common;

use common::{BIN, ok};
use std::process::Command;

/// The `| input | flag | env vars | then |` rows of the reference's "## Inputs" section.
fn readme_inputs() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md"))
        .expect("read docs/reference.md");
    readme
        .lines()
        .skip_while(|l| *l != "## Inputs")
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| ") && l.contains("`--"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_inputs_table_names_every_flag_and_env_var() {
    let rows = readme_inputs();
    assert!(rows.len() > 10, "no Inputs table found: {rows:?}");
    let commands: &[&str] = if cfg!(feature = "check") {
        &["env", "render", "exec", "check"]
    } else {
        &["env", "render", "exec"]
    };
    for command in commands {
        let help = ok(Command::new(BIN)
            .args([command, "--help"])
            .output()
            .expect("run relnode"));
        // `--flag …  … [env: A, B]`: every input line of --help.
        for line in help.lines().filter(|l| l.contains("[env: ")) {
            let flag = line
                .split_whitespace()
                .find(|w| w.starts_with("--"))
                .expect("a flag on the line");
            let env = line
                .split("[env: ")
                .nth(1)
                .and_then(|rest| rest.split(']').next())
                .expect("env list");
            let row = rows
                .iter()
                .find(|r| r.contains(&format!("`{flag}`")))
                .unwrap_or_else(|| {
                    panic!("docs/reference.md's Inputs table has no row for {flag}")
                });
            for var in env.split(", ") {
                assert!(
                    row.contains(&format!("`{var}`")),
                    "docs/reference.md's row for {flag} lacks {var}: {row}"
                );
            }
        }
    }
}

/// Issue 18 #9: `--service-account-dir`'s help and README row name every file read there:
/// `namespace`, and `check`'s `token` and `ca.crt`.
#[test]
fn the_service_account_dir_names_every_file_read_there() {
    let files = ["`namespace`", "`token`", "`ca.crt`"];
    let rows = readme_inputs();
    let row = rows
        .iter()
        .find(|r| r.contains("`--service-account-dir`"))
        .expect("docs/reference.md's Inputs table has --service-account-dir");
    for file in files {
        assert!(
            row.contains(file),
            "docs/reference.md's row lacks {file}: {row}"
        );
    }
    let commands: &[&str] = if cfg!(feature = "check") {
        &["env", "check"]
    } else {
        &["env"]
    };
    for command in commands {
        let help = ok(Command::new(BIN)
            .args([command, "--help"])
            .output()
            .expect("run relnode"));
        let line = help
            .lines()
            .find(|l| l.contains("--service-account-dir"))
            .unwrap_or_else(|| panic!("{command} --help has no --service-account-dir: {help}"));
        for file in files {
            assert!(line.contains(file), "{command} --help lacks {file}: {line}");
        }
    }
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped (but `-` and `_`), spaces to `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The `](target)` links of a Markdown text, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

/// Issue 19: every relative link in README.md and docs/ resolves, to a file and, with `#`, to
/// one of its headings.
#[test]
fn every_relative_link_in_the_docs_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md"), root.join("CHANGELOG.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("read page");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a folder").join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", page.display()));
                continue;
            }
            if fragment.is_empty() || target.is_dir() {
                continue;
            }
            let body = std::fs::read_to_string(&target).unwrap_or_default();
            let headings: Vec<String> = body
                .lines()
                .filter(|l| l.starts_with('#'))
                .map(|l| anchor(l.trim_start_matches('#')))
                .collect();
            if !headings.iter().any(|h| h == fragment) {
                broken.push(format!("{}: {link}: no such heading", page.display()));
            }
        }
    }
    assert!(checked > 5, "only {checked} relative links found");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
