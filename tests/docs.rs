//! The README's Inputs table names every input the binary takes, with its env vars: it is
//! checked against `--help` of each command that takes pod inputs, which is generated from
//! `src/inputs.rs`.

mod common;

use common::{BIN, ok};
use std::process::Command;

/// The `| input | flag | env vars | then |` rows of the README's "## Inputs" section.
fn readme_inputs() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read README.md");
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
                .unwrap_or_else(|| panic!("README's Inputs table has no row for {flag}"));
            for var in env.split(", ") {
                assert!(
                    row.contains(&format!("`{var}`")),
                    "README's row for {flag} lacks {var}: {row}"
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
        .expect("README's Inputs table has --service-account-dir");
    for file in files {
        assert!(row.contains(file), "README's row lacks {file}: {row}");
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
