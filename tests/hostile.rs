//! Hostile and clumsy input, tried from outside the binary (issue 7): outputs that are not
//! plain files, inputs that never end or block, stale and planted files in shared volumes,
//! bytes that are not UTF-8, secrets in messages, and the footguns. Each test asserts what a
//! user sees: the exit code, the message, and what is (not) on disk.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, Pod, exists, is_root, ok, stderr, stdout};

const BASE: &[(&str, &str)] = &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];

/// Runs `cmd`, killing it after `secs`: a hang is a failure, not a stuck test suite.
fn bounded(mut cmd: Command, secs: u64) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn relnode");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().expect("output");
            panic!(
                "relnode hung for {secs} s (killed); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn refused(out: &Output, says: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("fix: "), "no fix line: {err}");
    for needle in says {
        assert!(err.contains(needle), "message lacks {needle:?}: {err}");
    }
}

/// `sh -c SCRIPT sh ARGS…` in a new mount namespace, with only PATH and `env` set (root).
fn in_mount_namespace(script: &str, args: &[&OsStr], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "sh", "-c", script, "sh"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied());
    cmd
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// #1: devices, FIFOs, sockets, directories and links are never replaced.
#[test]
fn output_that_is_not_a_regular_file_is_refused_and_left_as_it_was() {
    let pod = Pod::new("out-kinds");
    let fifo = pod.path("fifo");
    mkfifo(&fifo);
    let socket = pod.path("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind socket");
    let dir = pod.path("sa");
    let target = pod.write("precious", "keep me\n");
    let link = pod.path("link");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    for (path, says) in [
        (Path::new("/dev/null"), "character device"),
        (fifo.as_path(), "FIFO"),
        (socket.as_path(), "socket"),
        (dir.as_path(), "directory"),
        (link.as_path(), "symbolic link"),
    ] {
        let out = bounded(
            pod.cmd(&["render", "--output", path.to_str().expect("utf-8")], BASE),
            10,
        );
        refused(&out, &["--output", says]);
    }
    let null = std::fs::metadata("/dev/null").expect("stat /dev/null");
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "keep me\n"
    );
}

/// #2: every file input is a bounded read of a regular file.
#[test]
fn file_inputs_that_block_or_never_end_are_refused_quickly() {
    let pod = Pod::kubelet(
        "in-kinds",
        "shop",
        "cluster.local",
        "web-0",
        "web",
        "10.0.0.1",
    );
    let fifo = pod.path("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().expect("utf-8");
    let big = pod.write("big", &"# padding\n".repeat(300_000));
    let big = big.to_str().expect("utf-8");
    let srv: &[&str] = &[
        "--strategy",
        "dnssrv",
        "--mode",
        "hostname",
        "--hostname",
        "web-0",
        "--service",
        "web",
    ];
    // (flags, extra env, the input the message must name)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["--cookie-file", fifo], vec![], "--cookie-file"),
        (vec!["--cookie-file", "/dev/zero"], vec![], "--cookie-file"),
        (vec!["--cookie-file", big], vec![], "--cookie-file"),
        (vec!["--template", fifo], vec![], "--template"),
        (vec!["--template", big], vec![], "--template"),
        (
            srv.to_vec(),
            vec![("RELNODE_RESOLV_CONF", fifo)],
            "--resolv-conf",
        ),
        (
            srv.to_vec(),
            vec![("RELNODE_RESOLV_CONF", "/dev/zero")],
            "--resolv-conf",
        ),
        (
            srv.to_vec(),
            vec![("RELNODE_RESOLV_CONF", big)],
            "--resolv-conf",
        ),
        (
            [
                "--strategy",
                "dnssrv",
                "--mode",
                "hostname",
                "--hostname",
                "web-0",
            ]
            .to_vec(),
            vec![("RELNODE_HOSTS_FILE", fifo), ("MY_POD_NAMESPACE", "shop")],
            "--hosts-file",
        ),
        (
            ["--mode", "dns"].to_vec(),
            vec![("RELNODE_SERVICE_ACCOUNT_DIR", "/dev/zero")],
            "--service-account-dir",
        ),
    ];
    for (args, env, says) in cases {
        let output = pod.path("out/env.sh");
        let mut all = vec!["render", "--output", output.to_str().expect("utf-8")];
        all.extend(&args);
        let mut env_all = BASE.to_vec();
        env_all.extend(env);
        let started = Instant::now();
        let out = bounded(pod.cmd(&all, &env_all), 10);
        refused(&out, &[says]);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert!(!exists(&output), "{args:?}: wrote a file");
    }
}

/// #3: a stale or planted temporary file in the output directory changes nothing and is not
/// deleted (relnode deletes only what it created).
#[test]
fn planted_temporary_files_neither_block_nor_vanish() {
    let pod = Pod::new("planted");
    let dir = pod.path("run");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let planted: Vec<_> = (1..64)
        .map(|pid| {
            let p = dir.join(format!(".env.sh.relnode-{pid}.tmp"));
            std::fs::write(&p, "someone else's").expect("plant");
            p
        })
        .collect();
    let output = dir.join("env.sh");
    ok(pod.run(
        &["render", "--output", output.to_str().expect("utf-8")],
        BASE,
    ));
    assert!(
        std::fs::read_to_string(&output)
            .expect("written")
            .contains("RELEASE_NODE='app@10.0.0.1'")
    );
    for p in &planted {
        assert_eq!(
            std::fs::read_to_string(p).expect("still there"),
            "someone else's"
        );
    }
}

/// #3 as it happens in a container: relnode is PID 1 on every start, and a killed start left
/// `.env.sh.relnode-1.tmp` behind. Needs root for a PID namespace.
#[test]
#[ignore = "needs root"]
fn as_pid_1_a_leftover_temporary_file_does_not_stop_the_next_start() {
    assert!(
        is_root(),
        "run as root (scripts/test does, with --include-ignored)"
    );
    let pod = Pod::new("pid1");
    let dir = pod.path("run");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let stale = dir.join(".env.sh.relnode-1.tmp");
    std::fs::write(&stale, "left by a killed start").expect("plant");
    let output = dir.join("env.sh");
    let mut cmd = pod.cmd(&[], BASE);
    cmd.env("RELNODE", BIN);
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child", "sh", "-c"])
        .arg(r#"echo "pid $$"; exec "$RELNODE" render --output "$1""#)
        .arg("sh")
        .arg(&output)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RELNODE", BIN)
        .envs(BASE.iter().copied())
        .env("RELNODE_RESOLV_CONF", pod.path("resolv.conf"))
        .env("RELNODE_HOSTS_FILE", pod.path("hosts"))
        .output()
        .expect("unshare");
    assert!(
        stdout(&out).contains("pid 1"),
        "not PID 1: {}",
        stdout(&out)
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(exists(&output));
    assert_eq!(
        std::fs::read_to_string(&stale).expect("kept"),
        "left by a killed start"
    );
}

/// Docker's `--env-file` takes the text after the first `=` literally.
fn docker_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// #4: dotenv is read the same by Docker's rule and by python-dotenv (compose's reader), and
/// an IPv6 pod's ELIXIR_ERL_OPTIONS reaches Docker without quotes.
#[test]
fn dotenv_reads_the_same_in_docker_and_python_dotenv() {
    let pod = Pod::new("dotenv");
    let cookie = pod.write("cookie", "A-Cookie.with:some/chars@1\n");
    let out = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--cookie-file",
            cookie.to_str().expect("utf-8"),
        ],
        &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "fd00::7"),
            ("ELIXIR_ERL_OPTIONS", "+S 1"),
        ],
    ));
    let docker = docker_env_file(&out);
    assert!(
        docker.contains(&(
            "ELIXIR_ERL_OPTIONS".into(),
            "+S 1 -proto_dist inet6_tcp".into()
        )),
        "{out}"
    );
    // scripts/test puts python-dotenv in a venv and names its python here.
    let python = std::env::var_os("RELNODE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
    let python = Command::new(python)
        .args(["-c", "import sys, json, dotenv; print(json.dumps(list(dotenv.dotenv_values(sys.argv[1]).items())))"])
        .arg(pod.write("app.env", &out))
        .output()
        .expect("python3");
    assert!(
        python.status.success(),
        "python-dotenv is needed (scripts/test installs it): {}",
        stderr(&python)
    );
    let python = stdout(&python);
    let expected: Vec<String> = docker
        .iter()
        .map(|(k, v)| format!("[{}, {}]", json(k), json(v)))
        .collect();
    assert_eq!(python.trim(), format!("[{}]", expected.join(", ")));

    // A value the two would read differently is refused, pointing at json and sh.
    let out = pod.run(
        &["env", "--format", "dotenv"],
        &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "fd00::7"),
            ("ELIXIR_ERL_OPTIONS", "-eval '$X'"),
        ],
    );
    refused(&out, &["dotenv", "--format json", "--format sh"]);
    assert!(out.stdout.is_empty());
}

fn json(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// #5: a cookie is an atom: over 255 characters it is refused, and never printed.
#[test]
fn oversized_cookies_are_refused_without_printing_them() {
    let pod = Pod::new("long-cookie");
    for len in [256, 200_000] {
        let secret = format!("s3cret{}", "x".repeat(len - 6));
        let file = pod.write("cookie", &secret);
        let marker = pod.path("started");
        let touch = format!("touch '{}'", marker.display());
        let out = pod.run(
            &[
                "exec",
                "--cookie-file",
                file.to_str().expect("utf-8"),
                "--",
                "sh",
                "-c",
                &touch,
            ],
            BASE,
        );
        refused(&out, &["--cookie-file"]);
        assert!(!stderr(&out).contains("s3cret"), "the cookie leaked");
        assert!(!exists(&marker), "started the command");
    }
}

/// #6: a value relnode interprets must be UTF-8, and is never skipped for the next variable;
/// the user's own VM options are bytes, kept as they are.
#[test]
fn non_utf8_values_are_refused_and_the_users_bytes_are_kept() {
    let pod = Pod::new("utf8");
    let run = |var: &str, value: &[u8], extra: &[(&str, &str)]| {
        let mut cmd = pod.cmd(&["env"], extra);
        cmd.env(var, OsStr::from_bytes(value));
        cmd.output().expect("run")
    };
    let out = run(
        "MY_POD_IP",
        b"10.0.0.1\xff",
        &[("RELEASE_NAME", "app"), ("POD_IP", "10.0.0.2")],
    );
    refused(&out, &["MY_POD_IP", "UTF-8"]);
    let out = run("RELNODE_STRATEGY", b"dnssrv\xff", BASE);
    refused(&out, &["RELNODE_STRATEGY", "UTF-8"]);
    // exec: a TLS distribution choice plus one odd byte is still the user's choice.
    let dump = pod.path("options");
    let script = format!("printf %s \"$ELIXIR_ERL_OPTIONS\" > '{}'", dump.display());
    let mut cmd = pod.cmd(
        &["exec", "--", "sh", "-c", &script],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "fd00::7")],
    );
    cmd.env(
        "ELIXIR_ERL_OPTIONS",
        OsStr::from_bytes(b"-proto_dist inet6_tls -kernel x \xff"),
    );
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&dump).expect("dump"),
        b"-proto_dist inet6_tls -kernel x \xff"
    );
}

/// #7: an IPv6 StatefulSet pod without MY_POD_IP gets -proto_dist from its own hosts line.
#[test]
fn an_ipv6_hosts_line_gives_proto_dist_without_a_pod_ip() {
    let pod = Pod::kubelet(
        "v6-hosts",
        "shop",
        "cluster.local",
        "web-0",
        "web",
        "fd00:42::10",
    );
    let out = ok(pod.run(
        &["env", "--strategy", "dnssrv", "--hostname", "web-0"],
        &[("RELEASE_NAME", "app"), ("MY_POD_NAMESPACE", "shop")],
    ));
    assert!(
        out.contains("RELEASE_NODE='app@web-0.web.shop.svc.cluster.local'"),
        "{out}"
    );
    assert!(out.contains("-proto_dist inet6_tcp"), "{out}");
}

/// #8: one stray byte in a comment does not turn the cluster domain into the default.
#[test]
fn a_non_utf8_comment_does_not_hide_the_cluster_domain() {
    let pod = Pod::new("stray-byte");
    std::fs::write(
        pod.path("resolv.conf"),
        b"# written by \xff tool\nsearch shop.svc.k8s.local svc.k8s.local k8s.local\noptions ndots:5\n",
    )
    .expect("write");
    let out = ok(pod.run(
        &[
            "env",
            "--strategy",
            "dnssrv",
            "--mode",
            "hostname",
            "--hostname",
            "web-0",
            "--service",
            "web",
        ],
        &[("RELEASE_NAME", "app"), ("MY_POD_NAMESPACE", "shop")],
    ));
    assert!(out.contains("@web-0.web.shop.svc.k8s.local'"), "{out}");
}

/// #8 for the default path: an /etc/resolv.conf that exists but cannot be used (here a FIFO,
/// which also must not block) is an error, not `cluster.local`. Needs root for a mount
/// namespace.
#[test]
#[ignore = "needs root"]
fn an_unreadable_default_resolv_conf_is_an_error_not_the_default_domain() {
    assert!(
        is_root(),
        "run as root (scripts/test does, with --include-ignored)"
    );
    let pod = Pod::new("default-resolv");
    let fifo = pod.path("fifo");
    mkfifo(&fifo);
    let cmd = in_mount_namespace(
        r#"mount --bind "$1" /etc/resolv.conf && exec "$2" env --strategy dnssrv --mode hostname --hostname web-0 --service web"#,
        &[fifo.as_os_str(), OsStr::new(BIN)],
        &[("RELEASE_NAME", "app"), ("MY_POD_NAMESPACE", "shop")],
    );
    let out = bounded(cmd, 10);
    refused(&out, &["--resolv-conf", "/etc/resolv.conf", "FIFO"]);
}

/// #9: a template error never prints the cookie.
#[test]
fn template_errors_do_not_print_the_cookie() {
    let pod = Pod::new("tpl-secret");
    let cookie = pod.write("cookie", "hunter2-Secret\n");
    let template = pod.write("t.tera", "export C={{ release_cookie | int }}\n");
    let out = pod.run(
        &[
            "render",
            "--output",
            pod.path("out").to_str().expect("utf-8"),
            "--template",
            template.to_str().expect("utf-8"),
            "--cookie-file",
            cookie.to_str().expect("utf-8"),
        ],
        BASE,
    );
    refused(&out, &["--template", "does not render"]);
    assert!(
        !stderr(&out).contains("hunter2"),
        "the cookie leaked: {}",
        stderr(&out)
    );
}

/// #10: the footguns.
#[test]
fn footguns_get_their_own_message() {
    let pod = Pod::new("footguns");
    // libcluster appends .local itself.
    let out = pod.run(
        &["env", "--mode", "dns", "--cluster-name", "cluster.local"],
        &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.0.0.1"),
            ("MY_POD_NAMESPACE", "n"),
        ],
    );
    refused(&out, &["--cluster-name", "did you mean --cluster-domain"]);
    // The cookie file as --output would overwrite the secret.
    let cookie = pod.write("cookie", "keep-this-cookie\n");
    let out = pod.run(
        &[
            "render",
            "--output",
            cookie.to_str().expect("utf-8"),
            "--cookie-file",
            cookie.to_str().expect("utf-8"),
        ],
        BASE,
    );
    refused(&out, &["cookie file"]);
    assert_eq!(
        std::fs::read_to_string(&cookie).expect("cookie"),
        "keep-this-cookie\n"
    );
    // A parent that is a file: its own fix line.
    let blocker = pod.write("file", "");
    let out = pod.run(
        &[
            "render",
            "--output",
            blocker.join("env.sh").to_str().expect("utf-8"),
        ],
        BASE,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("is not a directory"),
        "{}",
        stderr(&out)
    );
    // Exec of a directory says so.
    let out = pod.run(
        &["exec", "--", pod.path("sa").to_str().expect("utf-8")],
        BASE,
    );
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    // A 100 KB basename with control characters: refused, cut, escaped.
    let huge = format!("\u{1b}[31m{}", "b".repeat(100_000));
    let out = pod.run(&["env", "--basename", &huge], &[("MY_POD_IP", "10.0.0.1")]);
    refused(&out, &["--basename"]);
    let err = stderr(&out);
    assert!(err.len() < 2_000, "{} bytes of message", err.len());
    assert!(
        !err.contains('\u{1b}'),
        "raw escape sequence reached the terminal"
    );
    // inet:ntoa's form for ::/96.
    let out = ok(pod.run(
        &["env"],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "::a0b:c0d")],
    ));
    assert!(out.contains("RELEASE_NODE='app@::10.11.12.13'"), "{out}");
}

/// #10: a full volume gets its own fix line. Needs root to mount a tiny tmpfs.
#[test]
#[ignore = "needs root"]
fn a_full_volume_says_so() {
    assert!(
        is_root(),
        "run as root (scripts/test does, with --include-ignored)"
    );
    let pod = Pod::new("enospc");
    let mnt = pod.path("full");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    let cookie = pod.write("cookie", &"c".repeat(255));
    let out = in_mount_namespace(
        r#"mount -t tmpfs -o size=4k tmpfs "$1" && head -c 1048576 /dev/zero > "$1/fill" 2>/dev/null; exec "$2" render --cookie-file "$3" --output "$1/env.sh""#,
        &[mnt.as_os_str(), OsStr::new(BIN), cookie.as_os_str()],
        BASE,
    )
    .output()
    .expect("unshare");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the volume is full"),
        "{}",
        stderr(&out)
    );
}
