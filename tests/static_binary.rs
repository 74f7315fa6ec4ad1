//! The shipped binary: statically linked, and working in an empty root.
//!
//! Builds `relnode` for `x86_64-unknown-linux-musl` with the release profile
//! (`common::static_build`: its own target directory under cargo's
//! `CARGO_TARGET_TMPDIR`, or a prebuilt binary from `$RELNODE_STATIC_BIN`;
//! tests/image.rs builds the image from the same binary). Then:
//!
//! * `static_binary_is_static` parses the ELF itself (no `file`/`readelf`
//!   needed): no `PT_INTERP`, and no `DT_NEEDED` in the dynamic section.
//!   Rust's musl target links *static-pie* by default, which does carry a
//!   `PT_DYNAMIC` (the self-relocation table) but no interpreter and no
//!   shared-library dependency; a non-PIE static build has neither.
//! * `empty_root_*` run the binary in a root holding nothing but the binary
//!   and the fake files it reads (resolv.conf, hosts, the service-account
//!   namespace file), like the `FROM scratch` image: a private mount and UTS
//!   namespace (`unshare --mount --uts`), the root bind-mounted read-only,
//!   one writable output directory, `chroot --userspec=65532:65532`.
//!   These need root, so they are `#[ignore = "needs root"]`; `scripts/test`
//!   (and so CI) adds `--include-ignored` when it runs as root. Run without
//!   root they fail and say why; a missing `unshare`/`chroot` or a refused
//!   namespace is a failure too.
//!
//! If the musl target cannot be installed, the build falls back to a static
//! glibc build and says so on stderr (`common::static_build`).

mod common;

use common::is_root;
use common::static_build::static_bin;

use std::env;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The image's `USER`.
const UID: u32 = 65532;

// ---------------------------------------------------------------- ELF

#[derive(Debug, Default)]
struct ElfFacts {
    elf_type: u16,
    interp: bool,
    dynamic: bool,
    needed: usize,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// Reads the program headers of a little-endian ELF64 file: is there an
/// interpreter, a dynamic segment, and how many `DT_NEEDED` entries does it hold.
fn elf_facts(b: &[u8]) -> ElfFacts {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NULL: u64 = 0;
    const DT_NEEDED: u64 = 1;
    assert!(b.len() >= 64 && &b[..4] == b"\x7fELF", "not an ELF file");
    assert_eq!(b[4], 2, "not ELF64");
    assert_eq!(b[5], 1, "not little-endian");
    let mut f = ElfFacts {
        elf_type: u16_at(b, 0x10),
        ..ElfFacts::default()
    };
    let phoff = u64_at(b, 0x20) as usize;
    let phentsize = u16_at(b, 0x36) as usize;
    let phnum = u16_at(b, 0x38) as usize;
    assert!(
        phentsize >= 56 && phoff + phnum * phentsize <= b.len(),
        "bad program headers"
    );
    for i in 0..phnum {
        let ph = &b[phoff + i * phentsize..][..phentsize];
        match u32_at(ph, 0) {
            PT_INTERP => f.interp = true,
            PT_DYNAMIC => {
                f.dynamic = true;
                let (off, size) = (u64_at(ph, 8) as usize, u64_at(ph, 32) as usize);
                assert!(off + size <= b.len(), "dynamic segment outside the file");
                for entry in b[off..off + size].chunks_exact(16) {
                    match u64_at(entry, 0) {
                        DT_NULL => break,
                        DT_NEEDED => f.needed += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    f
}

#[test]
fn elf_parser_sees_a_dynamic_executable() {
    // Guard against a parser that always says "static": any dynamically linked
    // binary on the machine running the test must show PT_INTERP and DT_NEEDED.
    let dynamic = ["/bin/sh", "/usr/bin/env", "/bin/ls"]
        .iter()
        .filter_map(|p| fs::read(p).ok())
        .map(|b| elf_facts(&b))
        .find(|f| f.interp);
    match dynamic {
        Some(f) => assert!(f.dynamic && f.needed > 0, "{f:?}"),
        None => eprintln!(
            "elf_parser_sees_a_dynamic_executable: no dynamically linked /bin/sh, /usr/bin/env or /bin/ls here to compare with"
        ),
    }
}

#[test]
fn static_binary_is_static() {
    let bin = static_bin();
    let bytes = fs::read(bin).unwrap();
    let f = elf_facts(&bytes);
    eprintln!(
        "static_binary: {} is {} bytes, {f:?}",
        bin.display(),
        bytes.len()
    );
    assert!(
        matches!(f.elf_type, 2 | 3),
        "ELF type {} is neither EXEC nor DYN",
        f.elf_type
    );
    assert!(
        !f.interp,
        "{} has a PT_INTERP: it needs a dynamic loader",
        bin.display()
    );
    assert_eq!(
        f.needed,
        0,
        "{} needs shared libraries (DT_NEEDED)",
        bin.display()
    );
    if f.elf_type == 2 {
        // Non-PIE static: nothing dynamic at all.
        assert!(!f.dynamic, "a non-PIE static executable with a PT_DYNAMIC");
    }
}

// ---------------------------------------------------------------- empty root

/// The empty-root tests are ignored unless asked for; asked for without root, they fail.
fn require_root() {
    assert!(
        is_root(),
        "needs root for unshare --mount/--uts, bind mounts and chroot (scripts/test runs it \
         as root; here: `sudo -E cargo test --test static_binary -- --include-ignored`)"
    );
}

/// Finds a host tool in the usual places; its absence is a failure for root.
fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` (util-linux/coreutils) is needed for the empty-root test and is missing");
}

const HOSTNAME: &str = "myapp-0";
const DOMAIN: &str = "k8s.example"; // not cluster.local: proves resolv.conf was read
const NS: &str = "prod";
const SVC: &str = "myapp-headless";
const IP: &str = "10.42.1.49";

/// A root holding only `/relnode`, the fake files it reads, a writable `/out`
/// owned by the image user and a world-writable `/tmp` (which the read-only
/// mount, not its mode, keeps from being written).
struct EmptyRoot {
    dir: PathBuf,
}

impl EmptyRoot {
    fn new(tag: &str) -> EmptyRoot {
        let dir = env::temp_dir().join(format!("relnode-emptyroot-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let r = EmptyRoot { dir };
        let write = |rel: &str, text: &str| {
            let p = r.dir.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        };
        write(
            "etc/resolv.conf",
            &format!(
                "search {NS}.svc.{DOMAIN} svc.{DOMAIN} {DOMAIN}\nnameserver 10.96.0.10\noptions ndots:5\n"
            ),
        );
        write(
            "etc/hosts",
            &format!(
                "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                 {IP}\t{HOSTNAME}.{SVC}.{NS}.svc.{DOMAIN}\t{HOSTNAME}\n"
            ),
        );
        write("var/run/secrets/kubernetes.io/serviceaccount/namespace", NS);
        fs::copy(static_bin(), r.dir.join("relnode")).unwrap();
        fs::set_permissions(r.dir.join("relnode"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(r.dir.join("out")).unwrap();
        std::os::unix::fs::chown(r.dir.join("out"), Some(UID), Some(UID)).unwrap();
        fs::create_dir(r.dir.join("tmp")).unwrap();
        fs::set_permissions(r.dir.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
        for d in ["", "etc", "var", "var/run", "var/run/secrets"] {
            fs::set_permissions(r.dir.join(d), fs::Permissions::from_mode(0o755)).unwrap();
        }
        r
    }

    /// Runs `/relnode ARGS` inside the root as 65532:65532 with exactly `envs`.
    fn run(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        const SCRIPT: &str = r#"set -eu
root=$1; chroot=$2; shift 2
mount --bind "$root" "$root"
mount --bind "$root/out" "$root/out"
mount -o remount,bind,ro "$root"
echo "$HOSTNAME_FOR_TEST" > /proc/sys/kernel/hostname
unset HOSTNAME_FOR_TEST
exec "$chroot" --userspec=65532:65532 --groups=65532 "$root" /relnode "$@"
"#;
        let mut cmd = Command::new(tool("unshare"));
        cmd.args([
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            SCRIPT,
            "sh",
        ])
        .arg(&self.dir)
        .arg(tool("chroot"))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOSTNAME_FOR_TEST", HOSTNAME);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run unshare");
        eprintln!(
            "$ relnode {}\n  exit {:?}\n  stdout: {}\n  stderr: {}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim_end(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
        // The wrapper's own failures (no namespaces, mount refused) show up as
        // messages from unshare/mount/sh, never from relnode: fail loudly.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("unshare:") && !err.contains("mount:") && !err.contains("chroot:"),
            "the empty-root wrapper failed, not relnode: {err}"
        );
        out
    }

    fn out_files(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.dir.join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for EmptyRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The line of `text` that sets `key`, whatever the quoting.
fn line_with<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find(|l| {
        let l = l.trim_start().trim_start_matches("export ").trim_start();
        l.starts_with(key) && l[key.len()..].starts_with('=')
    })
}

const IP_ENV: &[(&str, &str)] = &[
    ("MY_POD_IP", IP),
    ("MY_POD_NAMESPACE", NS),
    ("RELEASE_NAME", "myapp"),
];
const IP_NODE: &str = "myapp@10.42.1.49";

/// dnssrv/hostname reading everything from the fake files and the kernel
/// hostname: namespace from the service-account file, domain from the
/// resolv.conf search list, service from the hosts file.
const SRV_ENV: &[(&str, &str)] = &[
    ("RELNODE_STRATEGY", "dnssrv"),
    ("RELEASE_NAME", "myapp"),
    ("MY_POD_IP", IP),
];
fn srv_node() -> String {
    format!("myapp@{HOSTNAME}.{SVC}.{NS}.svc.{DOMAIN}")
}

#[test]
#[ignore = "needs root"]
fn empty_root_render_writes_only_the_output_dir() {
    require_root();
    let root = EmptyRoot::new("render");

    let ok = root.run(IP_ENV, &["render", "--output", "/out/env.sh"]);
    assert!(
        ok.status.success(),
        "render --output /out/env.sh failed in the empty root"
    );
    let path = root.dir.join("out/env.sh");
    let text = fs::read_to_string(&path).expect("/out/env.sh written");
    let node =
        line_with(&text, "RELEASE_NODE").unwrap_or_else(|| panic!("no RELEASE_NODE in:\n{text}"));
    assert!(
        node.contains(IP_NODE),
        "RELEASE_NODE line {node:?} lacks {IP_NODE}"
    );
    let dist = line_with(&text, "RELEASE_DISTRIBUTION")
        .unwrap_or_else(|| panic!("no RELEASE_DISTRIBUTION in:\n{text}"));
    assert!(dist.contains("name"), "{dist:?}");
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.uid(), UID, "env.sh not owned by the image user");
    assert_eq!(
        meta.mode() & 0o777,
        0o644,
        "env.sh mode {:o}",
        meta.mode() & 0o777
    );
    assert_eq!(
        root.out_files(),
        ["env.sh"],
        "left something besides env.sh in /out"
    );

    // Anywhere but /out: the read-only root (even the world-writable /tmp), the
    // root directory itself, a directory that does not exist.
    for target in [
        "/etc/env.sh",
        "/tmp/env.sh",
        "/env.sh",
        "/run/relnode/env.sh",
        "/relnode",
    ] {
        let before = fs::read(root.dir.join(&target[1..])).ok();
        let o = root.run(IP_ENV, &["render", "--output", target]);
        assert!(
            !o.status.success(),
            "render --output {target} succeeded in a read-only root"
        );
        assert!(
            !o.stderr.is_empty(),
            "render --output {target} failed without a message"
        );
        assert_eq!(
            fs::read(root.dir.join(&target[1..])).ok(),
            before,
            "{target} changed"
        );
    }
    for d in ["", "etc", "tmp"] {
        let mut names: Vec<_> = fs::read_dir(root.dir.join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let expected: &[&str] = match d {
            "" => &["etc", "out", "relnode", "tmp", "var"],
            "etc" => &["hosts", "resolv.conf"],
            _ => &[],
        };
        assert_eq!(names, expected, "something was written into /{d}");
    }
    assert_eq!(root.out_files(), ["env.sh"]);
}

#[test]
#[ignore = "needs root"]
fn empty_root_env_prints_the_name() {
    require_root();
    let root = EmptyRoot::new("env");

    let o = root.run(IP_ENV, &["env"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let node =
        line_with(&text, "RELEASE_NODE").unwrap_or_else(|| panic!("no RELEASE_NODE in:\n{text}"));
    assert!(node.contains(IP_NODE), "{node:?}");

    // Everything from the files and the kernel hostname.
    let o = root.run(SRV_ENV, &["env"]);
    assert!(o.status.success(), "dnssrv env failed in the empty root");
    let text = stdout(&o);
    let node =
        line_with(&text, "RELEASE_NODE").unwrap_or_else(|| panic!("no RELEASE_NODE in:\n{text}"));
    assert!(node.contains(&srv_node()), "{node:?} is not {}", srv_node());
    assert!(root.out_files().is_empty(), "env wrote a file");
}

#[test]
#[ignore = "needs root"]
fn empty_root_exec_without_a_shell() {
    require_root();
    let root = EmptyRoot::new("exec");

    // No /bin/sh in the root: exec must not need one. The command run is
    // relnode itself, printing the name.
    let o = root.run(
        SRV_ENV,
        &["exec", "--output", "/out/env.sh", "--", "/relnode", "env"],
    );
    assert!(o.status.success(), "exec in the empty root failed");
    let text = stdout(&o);
    assert!(
        line_with(&text, "RELEASE_NODE").is_some_and(|l| l.contains(&srv_node())),
        "exec'd command printed:\n{text}"
    );
    let file =
        fs::read_to_string(root.dir.join("out/env.sh")).expect("exec --output wrote the file");
    assert!(
        line_with(&file, "RELEASE_NODE").is_some_and(|l| l.contains(&srv_node())),
        "{file}"
    );
    assert_eq!(root.out_files(), ["env.sh"]);

    let o = root.run(SRV_ENV, &["exec", "--", "/no/such/command"]);
    assert_eq!(o.status.code(), Some(127), "exec of a missing command");
}
