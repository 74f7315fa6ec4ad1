//! The shipped binary, built as the image ships it: a static release build for
//! `x86_64-unknown-linux-musl`, into its own target directory (`static` under cargo's
//! `CARGO_TARGET_TMPDIR`, so it never waits on the lock of the `cargo test` that runs it and never
//! writes into the source tree), or a prebuilt binary from `$RELNODE_STATIC_BIN`. Used by
//! tests/static_binary.rs (the empty root) and tests/image.rs (the image, run by podman); the
//! two share the build directory, and cargo's lock on it makes the second build a no-op.
//!
//! If the musl target is not installed and `rustup target add` cannot add it, the build falls
//! back to `x86_64-unknown-linux-gnu` with `-C target-feature=+crt-static` and says so on stderr.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const MUSL: &str = "x86_64-unknown-linux-musl";
const GNU: &str = "x86_64-unknown-linux-gnu";

/// The static release binary, built once per test binary (or `$RELNODE_STATIC_BIN`).
pub fn static_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(build_static)
}

fn build_static() -> PathBuf {
    if let Some(p) = env::var_os("RELNODE_STATIC_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "RELNODE_STATIC_BIN={} is not a file",
            p.display()
        );
        eprintln!(
            "static build: using prebuilt RELNODE_STATIC_BIN={}",
            p.display()
        );
        return p;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("static");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let (target, extra_rustflags) = if musl_target_installed() {
        (MUSL, None)
    } else {
        eprintln!(
            "static build: NOTE: the {MUSL} target is not installed and `rustup target add` \
             could not add it; falling back to {GNU} with -C target-feature=+crt-static"
        );
        (GNU, Some("-C target-feature=+crt-static"))
    };

    let mut cmd = Command::new(&cargo);
    cmd.current_dir(manifest)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            target,
            "--target-dir",
        ])
        .arg(&target_dir);
    if let Some(extra) = extra_rustflags {
        let mut flags = env::var("RUSTFLAGS").unwrap_or_default();
        if !flags.is_empty() {
            flags.push(' ');
        }
        flags.push_str(extra);
        cmd.env("RUSTFLAGS", flags);
    }
    eprintln!("static build: building: {cmd:?}");
    let status = cmd.status().expect("run cargo build for the static binary");
    assert!(status.success(), "static release build failed: {status}");
    let bin = target_dir.join(target).join("release").join("relnode");
    assert!(bin.is_file(), "{} missing after the build", bin.display());
    bin
}

fn musl_target_installed() -> bool {
    let has = || {
        Command::new("rustc")
            .args(["--print", "target-libdir", "--target", MUSL])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .and_then(|dir| fs::read_dir(dir).ok())
            .is_some_and(|mut entries| {
                entries.any(|e| {
                    e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
                })
            })
    };
    if has() {
        return true;
    }
    eprintln!("static build: {MUSL} not installed; trying `rustup target add {MUSL}`");
    let added = Command::new("rustup")
        .args(["target", "add", MUSL])
        .status()
        .is_ok_and(|s| s.success());
    added && has()
}
