//! The image, built and run by a real container engine: podman (rootful, with runc), since
//! Docker's engine cannot run on the test machines.
//!
//! The Dockerfile's builder stage needs a Rust base image from a registry the tests cannot reach,
//! so only the final stage is built, from the static binary tests/static_binary.rs checks
//! (`common::static_build`). Its Containerfile is *derived* from the Dockerfile
//! (`final_stage_containerfile`): the text after the last `FROM`, with only the source of its
//! `COPY --from=<stage>` replaced by the local binary, so USER, ENTRYPOINT, CMD, labels and the
//! destination cannot drift from what ships. `containerfile_*` check the derivation (no root).
//!
//! The `image_*` tests need root (`#[ignore = "needs root"]`; `scripts/test` adds
//! `--include-ignored` as root, and asked for without root they fail). Without podman or runc
//! they fail under `CI=true` and elsewhere print a SKIPPED line saying why (scripts/test and
//! .ci/run install both). They run one at a time, each with its own directory under the temp
//! dir holding podman's containers.conf, storage.conf and an empty registries.conf (the
//! `CONTAINERS_*` variables: none of the machine's is read), its storage, run state, locks and
//! runc's state, and its own cgroup parent; every container runs with `--network none`, nothing
//! is pulled, and every podman call runs under `timeout`. Each test removes its containers, images, cgroups and
//! directory when it ends, failed or not. One thing lands outside: `podman build` (4.3) keeps
//! containers/image's blob-info cache in /var/lib/containers/cache wherever storage is.

mod common;

use common::static_build::static_bin;

use std::env;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

const DOCKERFILE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile"));
/// The local binary's name in the build context, replacing the builder stage's output.
const LOCAL_BINARY: &str = "relnode";
const HEADER: &str = "# Derived by tests/image.rs from the Dockerfile's final stage.";

// ---------------------------------------------------------------- deriving the Containerfile

/// Instructions, with `\`-continued lines joined (comment lines inside one dropped, as the
/// Dockerfile parser does); comment and blank lines kept as they are.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Option<String> = None;
    for line in text.lines() {
        let comment = line.trim_start().starts_with('#');
        if comment && open.is_some() {
            continue;
        }
        let (body, continued) = match line.trim_end().strip_suffix('\\') {
            Some(body) if !comment => (body, true),
            _ => (line, false),
        };
        open.get_or_insert_with(String::new).push_str(body);
        if !continued {
            out.extend(open.take());
        }
    }
    out.extend(open);
    out
}

/// The instruction's keyword, upper-cased; `None` for comments and blank lines.
fn keyword(line: &str) -> Option<String> {
    let line = line.trim_start();
    (!line.starts_with('#'))
        .then(|| line.split_whitespace().next())
        .flatten()
        .map(str::to_ascii_uppercase)
}

/// A `FROM [--flag…] image [AS name]` line's image and stage name.
fn from_parts(line: &str) -> (String, Option<String>) {
    let mut words = line
        .split_whitespace()
        .skip(1)
        .skip_while(|w| w.starts_with("--"));
    let image = words.next().unwrap_or_default().to_string();
    let name = match (words.next(), words.next()) {
        (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => Some(name.to_string()),
        _ => None,
    };
    (image, name)
}

/// `COPY --from=<earlier stage> <the binary> DEST` becomes `COPY relnode DEST`, other flags
/// (`--chmod`, `--chown`, `--link`) kept.
fn local_copy(line: &str, stages: &[String]) -> Result<String, String> {
    let words: Vec<&str> = line.split_whitespace().skip(1).collect();
    let (flags, paths): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.starts_with("--"));
    let from = flags
        .iter()
        .find_map(|f| f.strip_prefix("--from="))
        .ok_or_else(|| format!("`{line}`: no --from=<stage>"))?;
    if !stages.iter().any(|s| s == from) && from.parse::<usize>().is_err() {
        return Err(format!(
            "`{line}` copies from {from}, not an earlier stage: the test cannot pull images"
        ));
    }
    let dest = match paths.as_slice() {
        [src, dest] if !src.starts_with('[') && Path::new(src).ends_with(LOCAL_BINARY) => dest,
        _ => {
            return Err(format!(
                "`{line}`: the test supplies only the relnode binary, as `COPY --from=STAGE \
                 .../relnode DEST` (no JSON form)"
            ));
        }
    };
    let kept = flags.iter().filter(|f| !f.starts_with("--from="));
    let mut out = vec!["COPY"];
    out.extend(kept);
    out.extend([LOCAL_BINARY, dest]);
    Ok(out.join(" "))
}

/// The Dockerfile's final stage, buildable offline from a context holding the static binary as
/// `relnode`: the same lines, the `COPY --from` sources replaced. Refuses a final stage that is
/// not `FROM scratch` or copies anything else from elsewhere: the test could not build it as is.
fn final_stage_containerfile(dockerfile: &str) -> Result<String, String> {
    let lines = logical_lines(dockerfile);
    let froms: Vec<usize> = (0..lines.len())
        .filter(|&i| keyword(&lines[i]).as_deref() == Some("FROM"))
        .collect();
    let (&last, earlier) = froms.split_last().ok_or("the Dockerfile has no FROM")?;
    let stages: Vec<String> = earlier
        .iter()
        .filter_map(|&i| from_parts(&lines[i]).1)
        .collect();
    let (base, _) = from_parts(&lines[last]);
    if base != "scratch" {
        return Err(format!(
            "the final stage is FROM {base}, not scratch: the test can pull no base image"
        ));
    }
    let mut out = vec![HEADER.to_string()];
    let mut copies = 0;
    for line in &lines[last..] {
        let is_copy = keyword(line).as_deref() == Some("COPY");
        if is_copy && line.split_whitespace().any(|w| w.starts_with("--from=")) {
            out.push(local_copy(line, &stages)?);
            copies += 1;
        } else {
            out.push(line.clone());
        }
    }
    if copies != 1 {
        return Err(format!(
            "the final stage has {copies} COPY --from lines; the test supplies one binary"
        ));
    }
    Ok(out.join("\n") + "\n")
}

/// The argument text of the last `KEYWORD` instruction.
fn instruction(containerfile: &str, kw: &str) -> Option<String> {
    logical_lines(containerfile)
        .into_iter()
        .rfind(|l| keyword(l).as_deref() == Some(kw))
        .map(|l| l.trim_start()[kw.len()..].trim().to_string())
}

/// The Containerfile the tests build, and its numeric `USER` (uid, gid).
fn containerfile() -> (String, u32, u32) {
    let text = final_stage_containerfile(DOCKERFILE).unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    let user = instruction(&text, "USER").expect("the final stage sets USER");
    let ids = user
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)));
    let (uid, gid) = ids.unwrap_or_else(|| {
        panic!("USER {user}: a FROM scratch image needs numeric uid:gid (it has no /etc/passwd)")
    });
    (text, uid, gid)
}

#[test]
fn containerfile_is_the_dockerfiles_final_stage() {
    let (derived, uid, _) = containerfile();
    eprintln!("{derived}");
    let lines = logical_lines(DOCKERFILE);
    let last = lines
        .iter()
        .rposition(|l| keyword(l).as_deref() == Some("FROM"))
        .unwrap();
    let stage = &lines[last..];
    let derived: Vec<String> = logical_lines(&derived);
    assert_eq!(derived[0], HEADER);
    let derived = &derived[1..];
    assert_eq!(derived.len(), stage.len(), "{derived:#?}\n{stage:#?}");
    let changed: Vec<usize> = (0..stage.len())
        .filter(|&i| derived[i] != stage[i])
        .collect();
    assert_eq!(changed.len(), 1, "more than the COPY changed: {changed:?}");
    let (theirs, ours) = (&stage[changed[0]], &derived[changed[0]]);
    assert!(theirs.starts_with("COPY --from="), "{theirs}");
    assert!(ours.starts_with("COPY relnode "), "{ours}");
    assert_eq!(
        theirs.split_whitespace().last(),
        ours.split_whitespace().last(),
        "the COPY destination moved"
    );
    // What the image tests below rely on.
    assert_ne!(uid, 0, "the image's USER is root");
    for kw in ["ENTRYPOINT", "CMD"] {
        assert!(instruction(DOCKERFILE, kw).is_some(), "no {kw}");
    }
}

#[test]
fn containerfile_derivation_refuses_what_it_cannot_build() {
    let builder = "FROM rust AS builder\nRUN cargo build\n";
    for (final_stage, why) in [
        (
            "FROM debian:12\nCOPY --from=builder /out/relnode /relnode\n",
            "not scratch",
        ),
        (
            "FROM scratch\nCOPY --from=builder /out/relnode /out/other /\n",
            "supplies only",
        ),
        (
            "FROM scratch\nCOPY --from=alpine:3 /bin/busybox /busybox\n",
            "not an earlier stage",
        ),
        (
            "FROM scratch\nCOPY --from=builder [\"/out/relnode\", \"/relnode\"]\n",
            "JSON",
        ),
        ("FROM scratch\nUSER 1:1\n", "0 COPY --from"),
    ] {
        let err =
            final_stage_containerfile(&format!("{builder}{final_stage}")).expect_err(final_stage);
        assert!(err.contains(why), "{final_stage}: {err}");
    }
    // A continued line is one instruction.
    let ok = final_stage_containerfile(&format!(
        "{builder}FROM scratch\nCOPY --from=builder \\\n    --chmod=0755 /out/relnode /relnode\n"
    ))
    .unwrap();
    assert!(
        ok.contains("\nCOPY --chmod=0755 relnode /relnode\n"),
        "{ok}"
    );
}

// ---------------------------------------------------------------- podman

/// The machine's hard RLIMIT_NOFILE can be below the 1048576 podman sets for root
/// (`error setting rlimit type 7`); cgroupfs because there is no systemd; one runc, named
/// `runc`, whose state goes to the test's directory (a wrapper adding `--root`: podman's
/// `--runtime-flag` does not reach the cleanup process conmon starts). File locks, no events
/// journal and the CNI config directory all inside the test's directory too.
const CONTAINERS_CONF: &str = r#"# Written by tests/image.rs; CONTAINERS_CONF makes it the only one read.
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "none"
lock_type = "file"
tmp_dir = "DIR/run/libpod"
volume_path = "DIR/storage/volumes"
image_copy_tmp_dir = "DIR/tmp"

[engine.runtimes]
runc = ["DIR/bin/runc"]

[network]
network_backend = "cni"
network_config_dir = "DIR/cni"
"#;

const STORAGE_CONF: &str = r#"# Written by tests/image.rs (CONTAINERS_STORAGE_CONF).
[storage]
driver = "overlay"
graphroot = "DIR/storage"
runroot = "DIR/run/storage"
"#;

/// Seconds any one podman call may take.
const BUILD_SECS: u32 = 120;
const RUN_SECS: u32 = 60;

/// A host tool, looked up in PATH and the sbin directories (runc lives in /usr/sbin).
fn tool(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Asked for without root (`--include-ignored`), these tests fail and say why.
fn require_root() {
    assert!(
        common::is_root(),
        "needs root for rootful podman (scripts/test runs it as root; here: \
         `sudo -E cargo test --test image -- --include-ignored`)"
    );
}

/// Root podman with storage, state and configuration in a directory of its own, removed (with
/// its containers, images and cgroups) on drop.
struct Podman {
    dir: PathBuf,
    runc: PathBuf,
    cgroup_parent: String,
    _turn: MutexGuard<'static, ()>,
}

impl Podman {
    /// `None` (after a SKIPPED line) where podman or runc is not installed, outside CI.
    fn start(test: &str) -> Option<Podman> {
        require_root();
        let missing = ["podman", "runc", "timeout"]
            .into_iter()
            .find(|t| tool(t).is_none());
        if let Some(t) = missing {
            let why = format!(
                "`{t}` is not installed (apt-get install podman runc coreutils; scripts/test does it)"
            );
            if env::var_os("CI").is_some_and(|v| v == "true") {
                panic!("{why}");
            }
            // Past libtest's capture (which holds eprintln! of a passing test): visible.
            let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
            return None;
        }
        // One at a time: a build and a few containers each, on 2 cores shared with the rest.
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        // A short name: under a long directory every `podman run` waits 20 s for conmon
        // ("Exceeded conmon timeout waiting for container to exit").
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("relnode-img-{}-{n}", std::process::id());
        let dir = env::temp_dir().join(&name);
        let _ = fs::remove_dir_all(&dir);
        let podman = Podman {
            runc: tool("runc").unwrap(),
            cgroup_parent: format!("/{name}"),
            dir,
            _turn: turn,
        };
        podman.write_config();
        Some(podman)
    }

    fn write_config(&self) {
        for d in ["bin", "cni", "tmp", "run", "context"] {
            fs::create_dir_all(self.dir.join(d)).expect("create the podman test directory");
        }
        let dir = self.dir.to_str().expect("a UTF-8 temp dir");
        fs::write(
            self.dir.join("containers.conf"),
            CONTAINERS_CONF.replace("DIR", dir),
        )
        .unwrap();
        fs::write(
            self.dir.join("storage.conf"),
            STORAGE_CONF.replace("DIR", dir),
        )
        .unwrap();
        // No registries: nothing is ever pulled.
        fs::write(self.dir.join("registries.conf"), "").unwrap();
        let wrapper = self.dir.join("bin/runc");
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec '{}' --root '{dir}/run/runc' \"$@\"\n",
                self.runc.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// `podman ARGS` under `timeout`, with only this test's configuration. Panics on a timeout.
    fn podman(&self, secs: u32, args: &[&str]) -> Output {
        let out = self
            .podman_unchecked(secs, args)
            .expect("run timeout podman");
        assert!(
            !matches!(out.status.code(), Some(124 | 137) | None),
            "podman {} timed out after {secs} s",
            args.join(" ")
        );
        out
    }

    /// `podman`, without panicking (for drop).
    fn podman_unchecked(&self, secs: u32, args: &[&str]) -> std::io::Result<Output> {
        let timeout = tool("timeout").ok_or(std::io::ErrorKind::NotFound)?;
        let out = Command::new(timeout)
            .args(["--kill-after=10", &secs.to_string(), "podman"])
            .args(args)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", &self.dir)
            .env("TMPDIR", self.dir.join("tmp"))
            .env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.dir.join("storage.conf"))
            .env(
                "CONTAINERS_REGISTRIES_CONF",
                self.dir.join("registries.conf"),
            )
            .output()?;
        let cut = |b: &[u8]| {
            let s = String::from_utf8_lossy(b);
            s.trim_end().chars().take(3000).collect::<String>()
        };
        eprintln!(
            "$ podman {}\n  exit {:?}\n  stdout: {}\n  stderr: {}",
            args.join(" "),
            out.status.code(),
            cut(&out.stdout),
            cut(&out.stderr)
        );
        Ok(out)
    }

    /// Builds `containerfile` from a context holding `files` (name, source); returns the tag.
    fn build(&self, tag: &str, files: &[(&str, &Path)], containerfile: &str) -> String {
        let context = self.dir.join("context").join(tag);
        fs::create_dir_all(&context).unwrap();
        for (name, src) in files {
            fs::copy(src, context.join(name)).unwrap();
            fs::set_permissions(context.join(name), fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::write(context.join("Containerfile"), containerfile).unwrap();
        let image = format!("localhost/relnode-test-{tag}:latest");
        let out = self.podman(
            BUILD_SECS,
            &[
                "build",
                "--network",
                "none",
                "--tag",
                &image,
                context.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "podman build {image} failed");
        image
    }

    /// The image: the Dockerfile's final stage over the static binary.
    fn relnode_image(&self) -> String {
        self.build(
            "relnode",
            &[(LOCAL_BINARY, static_bin())],
            &containerfile().0,
        )
    }

    /// An app container's shell: static busybox (busybox-static) in an otherwise empty image.
    fn shell_image(&self) -> String {
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .map(PathBuf::from)
            .into_iter()
            .find(|p| p.is_file())
            .expect("busybox is not installed: run scripts/test (it installs busybox-static)");
        self.build(
            "shell",
            &[("busybox", &busybox)],
            "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n",
        )
    }

    /// `podman run --rm --network none` of `image` with `opts` before it and `args` after.
    fn run(&self, opts: &[&str], image: &str, args: &[&str]) -> Output {
        let mut all = vec![
            "run",
            "--rm",
            "--network",
            "none",
            "--pull",
            "never",
            "--cgroup-parent",
            &self.cgroup_parent,
        ];
        all.extend(opts);
        all.push(image);
        all.extend(args);
        self.podman(RUN_SECS, &all)
    }

    /// A directory as the kubelet makes an emptyDir: root-owned, 0777, no sticky bit.
    fn empty_dir(&self, name: &str) -> PathBuf {
        let d = self.dir.join(name);
        fs::create_dir(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        let meta = fs::metadata(&d).unwrap();
        assert_eq!((meta.uid(), meta.mode() & 0o7777), (0, 0o777));
        d
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.podman_unchecked(RUN_SECS, &["rm", "--all", "--force", "--time", "0"]);
        let _ = self.podman_unchecked(RUN_SECS, &["rmi", "--all", "--force"]);
        // Nothing should still be mounted; if something is, unmount it before deleting.
        let mut mounts: Vec<String> = fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(' ').nth(4).map(str::to_string))
            .filter(|m| Path::new(m).starts_with(&self.dir))
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            eprintln!("image: unmounting {m} left by podman");
            let _ = Command::new("umount").args(["--lazy", &m]).status();
        }
        // The cgroup parent in every hierarchy (cgroup v1) or the one (v2), deepest first.
        let root = Path::new("/sys/fs/cgroup");
        let hierarchies = fs::read_dir(root)
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default();
        for h in std::iter::once(root.to_path_buf()).chain(hierarchies) {
            remove_cgroup(&h.join(self.cgroup_parent.trim_start_matches('/')));
        }
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("image: could not remove {}: {e}", self.dir.display());
        }
    }
}

/// Removes an (empty of processes) cgroup directory and the ones below it.
fn remove_cgroup(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup(&e.path());
            }
        }
        if let Err(e) = fs::remove_dir(dir) {
            eprintln!("image: could not remove cgroup {}: {e}", dir.display());
        }
    }
}

// ---------------------------------------------------------------- the image, run

/// What the downward API gives the README's init container.
const POD_ENV: &[(&str, &str)] = &[("MY_POD_IP", "10.42.1.49"), ("MY_POD_NAMESPACE", "prod")];
const NODE: &str = "myapp@10.42.1.49";
/// Prints what sourcing env.sh set.
const PRINT: &str = r#"printf '%s\n' "$RELEASE_NODE" "$RELEASE_DISTRIBUTION""#;
/// A uid of the pod other than the image's.
const APP_USER: &str = "1000:1000";

fn expected() -> String {
    format!("{NODE}\nname\n")
}

/// `--env K=V` for each pair, then `extra`.
fn opts(env: &[(&str, &str)], extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = env
        .iter()
        .flat_map(|(k, val)| ["--env".to_string(), format!("{k}={val}")])
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Sources `file` in a host shell and prints the two variables.
fn source_on_host(shell: &str, file: &Path) -> String {
    let out = common::shell(&[shell], &format!(". '{}' && {PRINT}", file.display()), &[]);
    assert!(
        out.status.success(),
        "{shell}: sourcing {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// The README's init container: the pod's env, `vol` as its emptyDir at /run/relnode, a
/// read-only root, the image's own user. Returns the env.sh it wrote, on the host.
fn init_container(podman: &Podman, image: &str, vol: &Path) -> PathBuf {
    let mount = format!("{}:/run/relnode", vol.display());
    let o = opts(POD_ENV, &["--read-only", "--volume", &mount]);
    let args = [
        "render",
        "--output",
        "/run/relnode/env.sh",
        "--basename",
        "myapp",
    ];
    let out = podman.run(&strs(&o), image, &args);
    assert!(out.status.success(), "the init container failed");
    let env_sh = vol.join("env.sh");
    assert!(env_sh.is_file(), "no env.sh in the emptyDir");
    env_sh
}

/// Squeezes the whitespace out of a JSON text, outside its strings.
fn squeeze_json(s: &str) -> String {
    let (mut out, mut in_str, mut escaped) = (String::new(), false, false);
    for c in s.chars() {
        if in_str {
            (escaped, in_str) = (!escaped && c == '\\', in_str && (escaped || c != '"'));
        } else if c == '"' {
            in_str = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
#[ignore = "needs root"]
fn image_env_prints_the_node_name() {
    let Some(podman) = Podman::start("image_env_prints_the_node_name") else {
        return;
    };
    let image = podman.relnode_image();
    let o = opts(&[POD_ENV, &[("RELEASE_NAME", "myapp")]].concat(), &[]);
    let out = podman.run(&strs(&o), &image, &["env"]);
    assert!(out.status.success(), "relnode env failed in the image");
    let printed = podman.dir.join("printed.sh");
    fs::write(&printed, &out.stdout).unwrap();
    for sh in ["sh", "dash"] {
        assert_eq!(source_on_host(sh, &printed), expected(), "{}", stdout(&out));
    }
}

#[test]
#[ignore = "needs root"]
fn image_as_init_container_writes_env_sh_that_another_uid_sources() {
    let Some(podman) =
        Podman::start("image_as_init_container_writes_env_sh_that_another_uid_sources")
    else {
        return;
    };
    let (relnode, shell) = (podman.relnode_image(), podman.shell_image());
    let (_, uid, gid) = containerfile();
    let vol = podman.empty_dir("emptydir");
    let env_sh = init_container(&podman, &relnode, &vol);
    let meta = fs::metadata(&env_sh).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (uid, gid),
        "env.sh not written by the image's USER"
    );

    // The app container: another uid, the volume mounted read-only as in the README.
    let ro = format!("{}:/run/relnode:ro", vol.display());
    let script = format!(". /run/relnode/env.sh && {PRINT}");
    let out = podman.run(
        &["--user", APP_USER, "--volume", &ro],
        &shell,
        &["sh", "-c", &script],
    );
    assert!(
        out.status.success(),
        "the app container could not source env.sh"
    );
    assert_eq!(stdout(&out), expected());
    assert_eq!(
        stdout(&podman.run(&["--user", APP_USER], &shell, &["id", "-u"])),
        "1000\n"
    );

    // And the host's shells.
    for sh in ["sh", "dash"] {
        assert_eq!(source_on_host(sh, &env_sh), expected(), "{sh}");
    }
}

/// What the README warns about: in the kubelet's 0777 emptyDir any uid that mounts it writable
/// can replace env.sh; a read-only mount cannot.
#[test]
#[ignore = "needs root"]
fn image_emptydir_env_sh_is_replaceable_unless_mounted_read_only() {
    let Some(podman) =
        Podman::start("image_emptydir_env_sh_is_replaceable_unless_mounted_read_only")
    else {
        return;
    };
    let (relnode, shell) = (podman.relnode_image(), podman.shell_image());
    let vol = podman.empty_dir("emptydir");
    let env_sh = init_container(&podman, &relnode, &vol);
    let before = fs::read(&env_sh).unwrap();
    let replace = "echo 'export RELEASE_NODE=intruder@10.0.0.1' > /run/relnode/new && \
                   mv -f /run/relnode/new /run/relnode/env.sh";
    let mount = format!("{}:/run/relnode", vol.display());

    let ro = format!("{mount}:ro");
    let out = podman.run(
        &["--user", APP_USER, "--volume", &ro],
        &shell,
        &["sh", "-c", replace],
    );
    assert!(
        !out.status.success(),
        "replaced env.sh through a read-only mount"
    );
    assert_eq!(fs::read(&env_sh).unwrap(), before);

    let out = podman.run(
        &["--user", APP_USER, "--volume", &mount],
        &shell,
        &["sh", "-c", replace],
    );
    assert!(out.status.success(), "another uid could not replace env.sh");
    assert_eq!(fs::metadata(&env_sh).unwrap().uid(), 1000);
}

#[test]
#[ignore = "needs root"]
fn image_default_command_is_help() {
    let Some(podman) = Podman::start("image_default_command_is_help") else {
        return;
    };
    let image = podman.relnode_image();
    let out = podman.run(&[], &image, &[]);
    assert!(out.status.success(), "the image's default command failed");
    // The image runs /relnode: clap names the program after argv[0].
    let host = Command::new(static_bin())
        .arg0("relnode")
        .arg("--help")
        .env_clear()
        .output()
        .expect("run the static binary");
    assert!(!host.stdout.is_empty());
    assert_eq!(
        stdout(&out),
        stdout(&host),
        "the image did not print --help"
    );

    // The image's configuration is the Dockerfile's.
    let format = "{{.Config.User}}\n{{json .Config.Entrypoint}}\n{{json .Config.Cmd}}";
    let inspect = podman.podman(RUN_SECS, &["image", "inspect", "--format", format, &image]);
    assert!(inspect.status.success());
    let text = containerfile().0;
    let want = [
        instruction(&text, "USER").unwrap(),
        squeeze_json(&instruction(&text, "ENTRYPOINT").unwrap()),
        squeeze_json(&instruction(&text, "CMD").unwrap()),
    ];
    let got = stdout(&inspect);
    let got: Vec<String> = got.lines().map(squeeze_json).collect();
    assert_eq!(got, want);
}

#[test]
#[ignore = "needs root"]
fn image_runs_as_its_non_root_user() {
    let Some(podman) = Podman::start("image_runs_as_its_non_root_user") else {
        return;
    };
    let image = podman.relnode_image();
    let (_, uid, gid) = containerfile();
    let render = ["render", "--output", "/out/env.sh", "--basename", "myapp"];

    let open = podman.empty_dir("open");
    let o = opts(POD_ENV, &["--volume", &format!("{}:/out", open.display())]);
    let out = podman.run(&strs(&o), &image, &render);
    assert!(out.status.success(), "render into a 0777 directory failed");
    let meta = fs::metadata(open.join("env.sh")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (uid, gid));

    // Root could write into a root-owned 0755 directory; the image's user cannot.
    let closed = podman.dir.join("closed");
    fs::create_dir(&closed).unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
    let o = opts(
        POD_ENV,
        &["--volume", &format!("{}:/out", closed.display())],
    );
    let out = podman.run(&strs(&o), &image, &render);
    assert!(
        !out.status.success(),
        "wrote into a root-owned 0755 directory"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/out/env.sh"), "{err}");
    assert_eq!(fs::read_dir(&closed).unwrap().count(), 0);
}
