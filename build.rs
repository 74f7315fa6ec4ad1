//! Stamps `relnode --version` with `git describe` when built from a checkout.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let describe = Command::new("git")
        .args(["describe", "--tags", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok());
    if let Some(describe) = describe
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
    {
        let version = env!("CARGO_PKG_VERSION");
        println!("cargo:rustc-env=RELNODE_GIT_DESCRIBE={version} ({describe})");
    }
}
