//! relnode driven from outside: every strategy row, every command, bad input, the exec hand-off.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{BIN, Pod, exists, ok, shell, stderr, stdout};

/// One row of the README's strategy table: flags, env, and the name libcluster dials.
struct Row {
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    want: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        what: "kubernetes ip (default)",
        args: &[],
        env: &[("RELEASE_NAME", "myapp"), ("MY_POD_IP", "10.42.1.49")],
        want: "myapp@10.42.1.49",
    },
    Row {
        what: "kubernetes dns",
        args: &["--mode", "dns"],
        env: &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.42.2.46"),
            ("MY_POD_NAMESPACE", "default"),
        ],
        want: "app@10-42-2-46.default.pod.cluster.local",
    },
    Row {
        what: "kubernetes hostname",
        args: &["--mode", "hostname"],
        env: &[
            ("RELNODE_BASENAME", "myapp"),
            ("RELNODE_HOSTNAME", "both-0"),
            ("MY_POD_NAMESPACE", "default"),
        ],
        want: "myapp@both-0.both.default.svc.cluster.local",
    },
    Row {
        what: "Kubernetes.DNS",
        args: &["--strategy", "dns"],
        env: &[("RELEASE_NAME", "myapp"), ("MY_POD_IP", "10.42.1.61")],
        want: "myapp@10.42.1.61",
    },
    Row {
        what: "Kubernetes.DNSSRV",
        args: &["--strategy", "dnssrv"],
        env: &[
            ("RELEASE_NAME", "myapp"),
            ("RELNODE_HOSTNAME", "both-1"),
            ("MY_POD_NAMESPACE", "default"),
        ],
        want: "myapp@both-1.both.default.svc.cluster.local",
    },
    Row {
        what: "Kubernetes.DNSSRV for a Deployment (dashed-IP SRV target)",
        args: &[
            "--strategy",
            "dnssrv",
            "--mode",
            "dns",
            "--service",
            "app-headless",
        ],
        env: &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.42.3.71"),
            ("MY_POD_NAMESPACE", "default"),
        ],
        want: "app@10-42-3-71.app-headless.default.svc.cluster.local",
    },
];

/// The pod each row runs in: kubelet files for a StatefulSet pod of Service `both`.
fn row_pod(row: &Row) -> Pod {
    let host = row
        .env
        .iter()
        .find(|(k, _)| *k == "RELNODE_HOSTNAME")
        .map_or("both-0", |(_, v)| *v);
    Pod::kubelet("row", "default", "cluster.local", host, "both", "10.42.0.7")
}

fn with<'a>(args: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(extra).copied().collect()
}

#[test]
fn every_row_gives_the_name_libcluster_dials_in_every_output() {
    for row in ROWS {
        let pod = row_pod(row);
        // env --format sh, evaluated by a real shell.
        let sh = ok(pod.run(&with(&["env"], row.args), row.env));
        let sourced = shell(
            &["sh"],
            &format!("{sh}\nprintf '%s|%s' \"$RELEASE_DISTRIBUTION\" \"$RELEASE_NODE\""),
            &[],
        );
        assert_eq!(
            stdout(&sourced),
            format!("name|{}", row.want),
            "{}: env sh",
            row.what
        );
        // env --format json and dotenv.
        let json = ok(pod.run(
            &with(&["env"], &with(row.args, &["--format", "json"])),
            row.env,
        ));
        assert!(
            json.contains(&format!("\"RELEASE_NODE\": \"{}\"", row.want)),
            "{}: json {json}",
            row.what
        );
        assert!(
            json.contains("\"RELEASE_DISTRIBUTION\": \"name\""),
            "{}: json {json}",
            row.what
        );
        let dotenv = ok(pod.run(
            &with(&["env"], &with(row.args, &["--format", "dotenv"])),
            row.env,
        ));
        assert_eq!(
            dotenv,
            format!("RELEASE_DISTRIBUTION=name\nRELEASE_NODE={}\n", row.want),
            "{}",
            row.what
        );
        // render, then `.` the file.
        let out = pod.path("out/env.sh");
        let out_s = out.to_str().expect("utf-8 path");
        ok(pod.run(&with(&["render", "--output", out_s], row.args), row.env));
        let sourced = shell(
            &["sh"],
            &format!(". '{out_s}'; printf %s \"$RELEASE_NODE\""),
            &[],
        );
        assert_eq!(stdout(&sourced), row.want, "{}: render", row.what);
        // exec: the child sees the variables.
        let mut args = with(&["exec"], row.args);
        args.extend([
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$RELEASE_DISTRIBUTION\" \"$RELEASE_NODE\"",
        ]);
        assert_eq!(
            ok(pod.run(&args, row.env)),
            format!("name|{}", row.want),
            "{}: exec",
            row.what
        );
    }
}

#[test]
fn flags_win_over_env_and_files() {
    let pod = Pod::kubelet("flags", "shop", "cluster.local", "web-0", "web", "10.1.0.4");
    pod.write("sa/namespace", "from-file\n");
    let env = [
        ("RELEASE_NAME", "fromenv"),
        ("MY_POD_NAMESPACE", "from-env"),
        ("RELNODE_HOSTNAME", "web-0"),
    ];
    let out = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--strategy",
            "dnssrv",
            "--basename",
            "flag",
            "--namespace",
            "flagns",
        ],
        &env,
    ));
    assert!(
        out.contains("RELEASE_NODE=flag@web-0.web.flagns.svc.cluster.local"),
        "{out}"
    );
    let out = ok(pod.run(&["env", "--format", "dotenv", "--strategy", "dnssrv"], &env));
    assert!(
        out.contains("RELEASE_NODE=fromenv@web-0.web.from-env.svc.cluster.local"),
        "{out}"
    );
    // Without the env var, the service-account file; without that, resolv.conf's search entry.
    let env = [("RELEASE_NAME", "a"), ("RELNODE_HOSTNAME", "web-0")];
    let out = ok(pod.run(&["env", "--format", "dotenv", "--strategy", "dnssrv"], &env));
    assert!(
        out.contains("RELEASE_NODE=a@web-0.web.from-file.svc.cluster.local"),
        "{out}"
    );
    std::fs::remove_file(pod.path("sa/namespace")).expect("remove");
    let out = ok(pod.run(&["env", "--format", "dotenv", "--strategy", "dnssrv"], &env));
    assert!(
        out.contains("RELEASE_NODE=a@web-0.web.shop.svc.cluster.local"),
        "{out}"
    );
}

#[test]
fn cluster_domain_comes_from_resolv_conf_and_trailing_dots_drop() {
    let pod = Pod::kubelet("domain", "prod", "k8s.local", "db-2", "db", "10.9.0.2");
    let env = [
        ("RELEASE_NAME", "app"),
        ("RELNODE_HOSTNAME", "db-2"),
        ("MY_POD_IP", "10.9.0.2"),
    ];
    let srv = ok(pod.run(&["env", "--format", "dotenv", "--strategy", "dnssrv"], &env));
    assert!(
        srv.contains("RELEASE_NODE=app@db-2.db.prod.svc.k8s.local\n"),
        "{srv}"
    );
    // The API strategy's dns mode dials <cluster_name>.local, with cluster_name = k8s.
    let dns = ok(pod.run(&["env", "--format", "dotenv", "--mode", "dns"], &env));
    assert!(
        dns.contains("RELEASE_NODE=app@10-9-0-2.prod.pod.k8s.local\n"),
        "{dns}"
    );
    let dotted = ok(pod.run(
        &["env", "--format", "dotenv", "--strategy", "dnssrv"],
        &[
            ("RELEASE_NAME", "app"),
            ("RELNODE_HOSTNAME", "db-2"),
            ("CLUSTER_DOMAIN", "cluster.local."),
        ],
    ));
    assert!(
        dotted.contains("RELEASE_NODE=app@db-2.db.prod.svc.cluster.local\n"),
        "{dotted}"
    );
    // An explicit cluster name for a cluster whose DNS serves <name>.local.
    let named = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--mode",
            "dns",
            "--cluster-name",
            "east",
        ],
        &env,
    ));
    assert!(
        named.contains("RELEASE_NODE=app@10-9-0-2.prod.pod.east.local\n"),
        "{named}"
    );
}

#[test]
fn missing_cluster_domain_defaults_with_a_warning() {
    let pod = Pod::new("nodomain");
    let out = pod.run(
        &["env", "--format", "dotenv", "--mode", "dns"],
        &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.0.0.3"),
            ("MY_POD_NAMESPACE", "ns"),
        ],
    );
    assert!(
        stdout(&out).contains("RELEASE_NODE=app@10-0-0-3.ns.pod.cluster.local"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains("CLUSTER_DOMAIN"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ipv6_pods_get_proto_dist_and_keep_the_users_options() {
    let pod = Pod::new("v6");
    let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "FD00:42:0:0::7")];
    let sh = ok(pod.run(&["env"], &env));
    let script = format!("set -eu\n{sh}\nprintf '%s|%s' \"$RELEASE_NODE\" \"$ELIXIR_ERL_OPTIONS\"");
    assert_eq!(
        stdout(&shell(&["sh"], &script, &[])),
        "app@fd00:42::7|-proto_dist inet6_tcp"
    );
    let kept = shell(&["sh"], &script, &[("ELIXIR_ERL_OPTIONS", "+S 1")]);
    assert_eq!(
        stdout(&kept),
        "app@fd00:42::7|+S 1 -proto_dist inet6_tcp",
        "{}",
        stderr(&kept)
    );
    let theirs = shell(
        &["sh"],
        &script,
        &[("ELIXIR_ERL_OPTIONS", "-proto_dist inet6_tls")],
    );
    assert_eq!(stdout(&theirs), "app@fd00:42::7|-proto_dist inet6_tls");
    // exec merges with its own environment.
    let child = ok(pod.run(
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"$ELIXIR_ERL_OPTIONS\"",
        ],
        &[
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "fd00::7"),
            ("ELIXIR_ERL_OPTIONS", "+S 1"),
        ],
    ));
    assert_eq!(child, "+S 1 -proto_dist inet6_tcp");
    // An IPv4 pod gets nothing of the sort.
    let v4 = ok(pod.run(
        &["env", "--format", "json"],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.7")],
    ));
    assert!(!v4.contains("ELIXIR_ERL_OPTIONS"), "{v4}");
}

#[test]
fn dual_stack_picks_ipv6_on_request_and_hostname_modes_get_proto_dist() {
    let pod = Pod::kubelet(
        "dual",
        "default",
        "cluster.local",
        "web-0",
        "web",
        "fd00::7",
    );
    let env = [
        ("RELEASE_NAME", "app"),
        ("MY_POD_IP", "10.0.0.7"),
        ("MY_POD_IPS", "10.0.0.7,fd00::7"),
    ];
    assert!(
        ok(pod.run(&["env", "--format", "dotenv"], &env)).contains("RELEASE_NODE=app@10.0.0.7\n")
    );
    let v6 = ok(pod.run(&["env", "--format", "dotenv", "--ip-family", "ipv6"], &env));
    assert!(
        v6.contains("RELEASE_NODE=app@fd00::7\n") && v6.contains("-proto_dist inet6_tcp"),
        "{v6}"
    );
    // DNSSRV on an IPv6 pod: the name is a hostname, but peers resolve it to AAAA only.
    let srv = ok(pod.run(
        &["env", "--format", "dotenv", "--strategy", "dnssrv"],
        &[
            ("RELEASE_NAME", "app"),
            ("RELNODE_HOSTNAME", "web-0"),
            ("MY_POD_IP", "fd00::7"),
        ],
    ));
    assert!(
        srv.contains("RELEASE_NODE=app@web-0.web.default.svc.cluster.local\n"),
        "{srv}"
    );
    assert!(
        srv.contains("ELIXIR_ERL_OPTIONS=-proto_dist inet6_tcp\n"),
        "{srv}"
    );
}

#[test]
fn render_is_atomic_deterministic_and_private_with_a_cookie() {
    let pod = Pod::new("render");
    let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
    let out = pod.path("deep/dir/env.sh");
    let out_s = out.to_str().expect("utf-8");
    ok(pod.run(&["render", "-o", out_s], &env));
    let first = std::fs::read(&out).expect("rendered");
    assert!(
        first.ends_with(b"RELEASE_NODE='app@10.0.0.1'\n"),
        "the file ends with its last export and one newline: {:?}",
        String::from_utf8_lossy(&first)
    );
    assert_eq!(
        std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777,
        0o644
    );
    ok(pod.run(&["render", "-o", out_s], &env));
    assert_eq!(
        std::fs::read(&out).expect("again"),
        first,
        "same inputs, same bytes"
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().expect("dir"))
        .expect("list")
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    let cookie = pod.write("cookie", "s3cr3t\n");
    ok(pod.run(
        &[
            "render",
            "-o",
            out_s,
            "--cookie-file",
            cookie.to_str().expect("utf-8"),
        ],
        &env,
    ));
    assert_eq!(
        std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    let sourced = shell(
        &["sh"],
        &format!(". '{out_s}'; printf %s \"$RELEASE_COOKIE\""),
        &[],
    );
    assert_eq!(stdout(&sourced), "s3cr3t");
}

#[test]
fn custom_templates_render_and_unknown_variables_are_refused() {
    let pod = Pod::new("template");
    let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
    let good = pod.write(
        "good.tera",
        "NODE={{ release_node | sh_quote }} HOST={{ host }} IP={{ pod_ip }}\n",
    );
    let out = pod.path("custom.env");
    ok(pod.run(
        &[
            "render",
            "-o",
            out.to_str().expect("utf-8"),
            "--template",
            good.to_str().expect("utf-8"),
        ],
        &env,
    ));
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "NODE='app@10.0.0.1' HOST=10.0.0.1 IP=10.0.0.1\n"
    );
    let bad = pod.write("bad.tera", "NODE={{ relase_node }}\n");
    let out2 = pod.path("never.env");
    let res = pod.run(
        &[
            "render",
            "-o",
            out2.to_str().expect("utf-8"),
            "--template",
            bad.to_str().expect("utf-8"),
        ],
        &env,
    );
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    assert!(
        stderr(&res).contains("--template") && stderr(&res).contains("relase_node"),
        "{}",
        stderr(&res)
    );
    assert!(!exists(&out2));
}

/// Bad input: exit 2, a message naming the input (flag and env var), nothing written, and the
/// wrapped command never started.
#[test]
fn bad_input_is_refused_with_a_message_and_nothing_happens() {
    struct Bad {
        args: &'static [&'static str],
        env: &'static [(&'static str, &'static str)],
        says: &'static [&'static str],
    }
    let base: &[(&str, &str)] = &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
    let cases = [
        Bad {
            args: &[],
            env: &[("RELEASE_NAME", "app")],
            says: &["--pod-ip", "MY_POD_IP", "status.podIP"],
        },
        Bad {
            args: &[],
            env: &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0")],
            says: &["--pod-ip", "MY_POD_IP", "\"10.0.0\"", "not an IP"],
        },
        Bad {
            args: &[],
            env: &[("RELEASE_NAME", "app"), ("MY_POD_IP", "[fd00::1]")],
            says: &["MY_POD_IP", "not an IP"],
        },
        Bad {
            args: &[],
            env: &[("RELEASE_NAME", "app"), ("MY_POD_IP", "0.0.0.0")],
            says: &["MY_POD_IP", "unspecified"],
        },
        Bad {
            args: &["--pod-ip", ""],
            env: base,
            says: &["--pod-ip", "empty"],
        },
        Bad {
            args: &[],
            env: &[("MY_POD_IP", "10.0.0.1")],
            says: &["--basename", "RELNODE_BASENAME", "RELEASE_NAME"],
        },
        Bad {
            args: &["--basename", "my.app"],
            env: base,
            says: &["--basename", "'.'"],
        },
        Bad {
            args: &["--strategy", "gossip"],
            env: base,
            says: &["--strategy", "RELNODE_STRATEGY", "kubernetes, dns, dnssrv"],
        },
        Bad {
            args: &["--mode", "fqdn"],
            env: base,
            says: &["--mode", "RELNODE_MODE", "ip, dns, hostname"],
        },
        Bad {
            args: &["--strategy", "dns", "--mode", "hostname"],
            env: base,
            says: &["not a pair libcluster has", "dnssrv with mode hostname"],
        },
        Bad {
            args: &["--mode", "dns"],
            env: &[
                ("RELEASE_NAME", "a"),
                ("MY_POD_IP", "fd00::1"),
                ("MY_POD_NAMESPACE", "ns"),
            ],
            says: &["MY_POD_IP", "IPv6", "mode ip"],
        },
        Bad {
            args: &["--mode", "dns"],
            env: &[
                ("RELEASE_NAME", "a"),
                ("MY_POD_IP", "10.0.0.1"),
                ("MY_POD_NAMESPACE", "Prod"),
            ],
            says: &["--namespace", "MY_POD_NAMESPACE", "\"Prod\"", "lowercase"],
        },
        Bad {
            args: &["--mode", "dns"],
            env: &[("RELEASE_NAME", "a"), ("MY_POD_IP", "10.0.0.1")],
            says: &["--namespace", "MY_POD_NAMESPACE", "metadata.namespace"],
        },
        Bad {
            args: &["--mode", "dns", "--cluster-domain", "corp.example"],
            env: &[
                ("RELEASE_NAME", "a"),
                ("MY_POD_IP", "10.0.0.1"),
                ("MY_POD_NAMESPACE", "ns"),
            ],
            says: &[
                "--cluster-name",
                "RELNODE_CLUSTER_NAME",
                "CLUSTER_DOMAIN",
                ".local",
                "dnssrv",
            ],
        },
        Bad {
            args: &["--strategy", "dnssrv", "--hostname", "web-0"],
            env: &[("RELEASE_NAME", "a"), ("MY_POD_NAMESPACE", "ns")],
            says: &["--service", "RELNODE_SERVICE", "subdomain"],
        },
        Bad {
            args: &[
                "--strategy",
                "dnssrv",
                "--mode",
                "hostname",
                "--hostname",
                "Web_0",
                "--service",
                "w",
            ],
            env: &[("RELEASE_NAME", "a"), ("MY_POD_NAMESPACE", "ns")],
            says: &["--hostname", "RELNODE_HOSTNAME", "\"Web_0\""],
        },
        Bad {
            args: &["--ip-family", "ipv7"],
            env: base,
            says: &["--ip-family", "RELNODE_IP_FAMILY", "ipv4 or ipv6"],
        },
        Bad {
            args: &["--ip-family", "ipv6"],
            env: &[("RELEASE_NAME", "a"), ("MY_POD_IPS", "10.0.0.1")],
            says: &["MY_POD_IPS", "no IPv6"],
        },
        Bad {
            args: &["--cookie-file", "/nonexistent/cookie"],
            env: base,
            says: &["--cookie-file", "RELNODE_COOKIE_FILE", "cannot be read"],
        },
        Bad {
            args: &[],
            env: &[
                ("RELEASE_NAME", "a"),
                ("MY_POD_IP", "10.0.0.1"),
                ("RELNODE_RESOLV_CONF", "/nonexistent/resolv.conf"),
                ("RELNODE_STRATEGY", "dnssrv"),
                ("RELNODE_HOSTNAME", "w-0"),
                ("RELNODE_SERVICE", "w"),
                ("MY_POD_NAMESPACE", "n"),
            ],
            says: &["--resolv-conf", "RELNODE_RESOLV_CONF", "cannot be read"],
        },
    ];
    for case in cases {
        let pod = Pod::new("bad");
        let marker = pod.path("started");
        let output = pod.path("out/env.sh");
        let mut args = vec!["exec", "--output", output.to_str().expect("utf-8")];
        args.extend(case.args);
        let touch = format!("touch '{}'", marker.display());
        args.extend(["--", "sh", "-c", &touch]);
        let res = pod.run(&args, case.env);
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(2), "{:?}: {err}", case.args);
        assert!(
            err.starts_with("relnode: error: ") && err.contains("fix: "),
            "{:?}: {err}",
            case.args
        );
        for needle in case.says {
            assert!(
                err.contains(needle),
                "{:?} {:?}: message lacks {needle:?}: {err}",
                case.args,
                case.env
            );
        }
        assert!(!exists(&output), "{:?}: wrote a file", case.args);
        assert!(!exists(&marker), "{:?}: started the command", case.args);
        assert!(res.stdout.is_empty(), "{:?}: printed to stdout", case.args);
    }
}

#[test]
fn cookies_are_checked_and_never_printed() {
    let pod = Pod::new("cookie");
    let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
    for (content, says) in [
        ("", "empty"),
        ("\n", "empty"),
        ("top\tsecret-value\n", "control character"),
        ("top-secret-value\r\n", "Windows"),
        ("top-secret\nvalue\n", "control character"),
    ] {
        let file = pod.write("cookie", content);
        let res = pod.run(
            &["env", "--cookie-file", file.to_str().expect("utf-8")],
            &env,
        );
        assert_eq!(res.status.code(), Some(2), "{content:?}");
        let err = stderr(&res);
        assert!(
            err.contains(says) && err.contains("--cookie-file"),
            "{content:?}: {err}"
        );
        assert!(!err.contains("secret"), "the cookie leaked: {err}");
    }
    let file = pod.write("cookie", "top-secret-value\n");
    let res = pod.run(
        &["env", "-v", "--cookie-file", file.to_str().expect("utf-8")],
        &env,
    );
    assert!(stdout(&res).contains("export RELEASE_COOKIE='top-secret-value'\n"));
    assert!(
        !stderr(&res).contains("secret-value"),
        "--explain leaked the cookie: {}",
        stderr(&res)
    );
}

#[test]
fn explain_names_each_fact_and_its_source() {
    let pod = Pod::kubelet(
        "explain",
        "shop",
        "cluster.local",
        "web-0",
        "web",
        "10.0.0.9",
    );
    pod.write("sa/namespace", "shop");
    let res = pod.run(
        &[
            "env",
            "--explain",
            "--strategy",
            "dnssrv",
            "--hostname",
            "web-0",
        ],
        &[("RELEASE_NAME", "app")],
    );
    let err = stderr(&res);
    for line in [
        ("strategy", "dnssrv", "--strategy"),
        ("basename", "app", "env RELEASE_NAME"),
        ("namespace", "shop", "sa/namespace"),
        ("cluster domain", "cluster.local", "resolv.conf"),
        ("service", "web", "hosts"),
        ("hostname", "web-0", "--hostname"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(line.0) && l.contains(line.1) && l.contains(line.2)),
            "no {line:?} in:\n{err}"
        );
    }
    assert!(
        err.contains("app@web-0.web.shop.svc.cluster.local"),
        "{err}"
    );
}

#[test]
fn exec_keeps_the_pid_and_passes_arguments_verbatim() {
    let pod = Pod::new("pid");
    let child = pod
        .cmd(
            &[
                "exec",
                "--",
                "sh",
                "-c",
                "printf '%s|' \"$$\" \"$@\"",
                "argv0",
                "a b",
                "",
                "$HOME",
                "*",
            ],
            &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn relnode");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("{pid}|a b||$HOME|*|"),
        "same PID, arguments untouched"
    );
}

#[test]
fn exec_failures_exit_like_a_shell() {
    let pod = Pod::new("execfail");
    let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
    let res = pod.run(&["exec", "--", "no-such-command-relnode"], &env);
    assert_eq!(res.status.code(), Some(127), "{}", stderr(&res));
    assert!(stderr(&res).contains("not found"), "{}", stderr(&res));
    let res = pod.run(&["exec", "--", "./missing/bin/app"], &env);
    assert_eq!(res.status.code(), Some(127));
    let script = pod.write("noexec.sh", "#!/bin/sh\necho hi\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let res = pod.run(&["exec", "--", script.to_str().expect("utf-8")], &env);
    // Even root needs an execute bit for execve.
    assert_eq!(res.status.code(), Some(126), "{}", stderr(&res));
    assert!(
        stderr(&res).contains("permission denied"),
        "{}",
        stderr(&res)
    );
    let res = pod.run(&["exec", "--", pod.dir.to_str().expect("utf-8")], &env);
    assert_eq!(
        res.status.code(),
        Some(126),
        "a directory is not executable"
    );
}

#[test]
fn exec_takes_the_basename_from_a_mix_release_script_only() {
    let pod = Pod::new("release");
    let script = pod.write("app/bin/shop", "#!/bin/sh\nprintf %s \"$RELEASE_NODE\"\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::create_dir_all(pod.path("app/releases/0.1.0")).expect("releases dir");
    let out = ok(pod.run(
        &["exec", "--", "app/bin/shop", "start"],
        &[("MY_POD_IP", "10.0.0.1")],
    ));
    assert_eq!(out, "shop@10.0.0.1");
    // A command that is not a release script names nothing.
    let res = pod.run(
        &["exec", "--", "/usr/bin/env"],
        &[("MY_POD_IP", "10.0.0.1")],
    );
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("--basename"), "{}", stderr(&res));
}

#[test]
fn exec_with_output_leaves_the_file_for_remote_and_rpc() {
    let pod = Pod::new("execout");
    let out = pod.path("run/relnode/env.sh");
    let out_s = out.to_str().expect("utf-8");
    ok(pod.run(
        &["exec", "--output", out_s, "--", "true"],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")],
    ));
    // Later, like `kubectl exec ... bin/app remote`: a fresh shell with none of PID 1's env.
    let later = shell(
        &["sh"],
        &format!("set -e; if [ -f '{out_s}' ]; then . '{out_s}'; fi; printf %s \"$RELEASE_NODE\""),
        &[],
    );
    assert_eq!(stdout(&later), "app@10.0.0.1");
}

#[test]
#[ignore = "needs root"]
fn hostname_falls_back_to_the_kernels_first_label() {
    assert!(
        common::is_root(),
        "needs root for a UTS namespace (scripts/test runs it as root with --include-ignored)"
    );
    let pod = Pod::kubelet(
        "uts",
        "default",
        "cluster.local",
        "web-3",
        "web",
        "10.0.0.3",
    );
    let script = format!(
        "hostname web-3.web.default.svc.cluster.local && exec {BIN} env --format dotenv --strategy dnssrv"
    );
    let res = Command::new("unshare")
        .args(["--uts", "sh", "-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RELEASE_NAME", "app")
        .env("MY_POD_NAMESPACE", "default")
        .env("RELNODE_RESOLV_CONF", pod.path("resolv.conf"))
        .env("RELNODE_HOSTS_FILE", pod.path("hosts"))
        .output()
        .expect("unshare (util-linux)");
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(
        stdout(&res).contains("RELEASE_NODE=app@web-3.web.default.svc.cluster.local\n"),
        "{}",
        stdout(&res)
    );
}

#[test]
fn version_help_completions_and_man() {
    let version = Command::new(BIN).arg("--version").output().expect("run");
    assert!(
        stdout(&version).starts_with(&format!("relnode {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        stdout(&version)
    );
    let help = stdout(
        &Command::new(BIN)
            .args(["exec", "--help"])
            .output()
            .expect("run"),
    );
    for needle in [
        "[env: MY_POD_IP, POD_IP]",
        "[env: RELNODE_COOKIE_FILE]",
        "--output",
    ] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(
            out.status.success() && stdout(&out).contains("relnode"),
            "{shell}"
        );
        assert!(
            stdout(&out).contains("pod-ip"),
            "{shell} completes the flags"
        );
    }
    let bash = stdout(
        &Command::new(BIN)
            .args(["completions", "bash"])
            .output()
            .expect("run"),
    );
    assert!(
        shell(&["bash"], &format!("{bash}\ncomplete -p relnode"), &[])
            .status
            .success(),
        "bash loads it"
    );
    let man = stdout(&Command::new(BIN).arg("man").output().expect("run"));
    assert!(
        man.starts_with(".ie") || man.contains(".TH relnode"),
        "{}",
        &man[..man.len().min(200)]
    );
}

#[test]
fn an_unwritable_output_says_what_to_do_and_starts_nothing() {
    let pod = Pod::new("unwritable");
    let blocker = pod.write("not-a-dir", "");
    let output = blocker.join("env.sh");
    let marker = pod.path("started");
    let touch = format!("touch '{}'", marker.display());
    let res = pod.run(
        &[
            "exec",
            "--output",
            output.to_str().expect("utf-8"),
            "--",
            "sh",
            "-c",
            &touch,
        ],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")],
    );
    assert_eq!(res.status.code(), Some(3), "{}", stderr(&res));
    let err = stderr(&res);
    assert!(err.contains("--output") && err.contains("fix: "), "{err}");
    assert!(!exists(&marker), "the release started without its env file");
}

/// A dual-stack pod behind a headless Service has one SRV target per family: the shapes that
/// name a node after a DNS answer say which name this node answers to, unless the family was
/// chosen.
#[test]
fn dual_stack_pods_hear_which_of_their_two_names_connects() {
    let pod = Pod::new("dual-srv");
    let args = [
        "env",
        "--strategy",
        "dnssrv",
        "--mode",
        "dns",
        "--service",
        "app-headless",
        "--namespace",
        "shop",
        "--cluster-domain",
        "cluster.local",
    ];
    let dual = [("RELEASE_NAME", "app"), ("MY_POD_IPS", "10.42.0.7,fd00::7")];
    let out = pod.run(&args, &dual);
    assert!(
        stdout(&out).contains("RELEASE_NODE='app@10-42-0-7.app-headless.shop.svc.cluster.local'"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("one SRV target per family") && err.contains("(10.42.0.7) connects"),
        "{err}"
    );
    // Single stack, or the family chosen: nothing to say.
    for (env, extra) in [
        (
            &[("RELEASE_NAME", "app"), ("MY_POD_IPS", "10.42.0.7")][..],
            None,
        ),
        (&dual[..], Some("--ip-family=ipv6")),
    ] {
        let mut all = args.to_vec();
        all.extend(extra);
        let err = stderr(&pod.run(&all, env));
        assert!(
            !err.contains("one SRV target per family"),
            "{extra:?}: {err}"
        );
    }
}
