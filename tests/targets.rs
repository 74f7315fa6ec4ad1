//! The binary, driven from outside, for issue 10's targets and platforms: `--target vm-args`,
//! `rabbitmq`, `none` with `--node-var`/`--host-var`, strategy `dnscluster`, platform Fly.io.
//! Every output a user's config reads is checked byte for byte or through a real shell; every
//! bad input exits 2, names the flag and env var, writes nothing and starts nothing.
//! (tests/e2e/scenarios/targets.sh runs the same targets with real relx, RabbitMQ and Erlang.)

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Pod, ok, shell, stderr, stdout};

const APP: &[(&str, &str)] = &[("RELNODE_BASENAME", "app"), ("MY_POD_IP", "10.0.0.1")];

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(extra).copied().collect()
}

#[test]
fn vm_args_render_writes_only_the_name_fragment() {
    let pod = Pod::new("vmargs");
    let out = pod.path("run/vm.args");
    let path = out.to_str().unwrap();
    ok(pod.run(&["render", "--target", "vm-args", "--output", path], APP));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "-name app@10.0.0.1\n"
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    // The same through RELNODE_TARGET, and for an IPv6 pod a warning says what relnode
    // cannot put there: -proto_dist in vm.args itself, USE_NODETOOL=1.
    let out6 = pod.path("run/vm6.args");
    let run = pod.run(
        &["render", "--output", out6.to_str().unwrap()],
        &[
            ("RELNODE_TARGET", "vm-args"),
            ("RELNODE_BASENAME", "app"),
            ("MY_POD_IP", "FD00:0::1"),
        ],
    );
    let warning = stderr(&run);
    ok(run);
    assert_eq!(
        std::fs::read_to_string(&out6).unwrap(),
        "-name app@fd00::1\n"
    );
    assert!(
        warning.contains("-proto_dist inet6_tcp") && warning.contains("USE_NODETOOL=1"),
        "{warning}"
    );
}

#[test]
fn vm_args_src_gets_its_variable_and_relx_cookie_from_exec() {
    let pod = Pod::new("vmargs-src");
    let cookie = pod.write("cookie", "s3cret-cookie\n");
    let env_file = pod.path("run/env.sh");
    // exec: the release sees NODE_NAME and RELX_COOKIE, no RELEASE_* (not a mix release)
    let seen = ok(pod.run(
        &[
            "exec",
            "--target",
            "vm-args",
            "--node-var",
            "NODE_NAME",
            "--cookie-file",
            cookie.to_str().unwrap(),
            "--output",
            env_file.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s|%s\n' "$NODE_NAME" "$RELX_COOKIE" "${RELEASE_NODE-unset}""#,
        ],
        APP,
    ));
    assert_eq!(seen, "app@10.0.0.1|s3cret-cookie|unset\n");
    // The file written for later `bin/app eval` (kubectl exec) gives the same, in every shell;
    // with a cookie it is private.
    for sh in common::shells() {
        let out = shell(
            &sh,
            &format!(
                r#". '{}'; printf '%s|%s' "$NODE_NAME" "$RELX_COOKIE""#,
                env_file.display()
            ),
            &[],
        );
        assert_eq!(stdout(&out), "app@10.0.0.1|s3cret-cookie", "{sh:?}");
    }
    let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn rabbitmq_gets_long_names_in_the_guides_shape_and_ipv6_for_server_and_cli() {
    let pod = Pod::kubelet(
        "rabbit",
        "shop",
        "cluster.local",
        "rabbit-0",
        "rabbit-nodes",
        "10.0.0.7",
    );
    let json = ok(pod.run(
        &[
            "env",
            "--target",
            "rabbitmq",
            "--strategy",
            "dnssrv",
            "--format",
            "json",
        ],
        &[
            ("MY_POD_NAMESPACE", "shop"),
            ("RELNODE_HOSTNAME", "rabbit-0"),
        ],
    ));
    assert_eq!(
        json,
        "{\n  \"RABBITMQ_NODENAME\": \"rabbit@rabbit-0.rabbit-nodes.shop.svc.cluster.local\",\n  \"RABBITMQ_USE_LONGNAME\": \"true\"\n}\n"
    );
    // The IP shape, IPv6: the server's and rabbitmqctl's own options get -proto_dist, and a
    // value the user set stays in front.
    let sh_text = ok(pod.run(
        &["env", "--target", "rabbitmq"],
        &[("MY_POD_IP", "fd00::7")],
    ));
    let out = shell(
        &["sh"],
        &format!(
            "{sh_text}\nprintf '%s|%s|%s|%s' \"$RABBITMQ_NODENAME\" \"$RABBITMQ_USE_LONGNAME\" \"$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS\" \"$RABBITMQ_CTL_ERL_ARGS\""
        ),
        &[("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "+S 1")],
    );
    assert_eq!(
        stdout(&out),
        "rabbit@fd00::7|true|+S 1 -proto_dist inet6_tcp|-proto_dist inet6_tcp"
    );
}

/// The README's rows for servers that read their node name from a variable of their own.
#[test]
fn node_and_host_variables_for_emqx_couchdb_vernemq() {
    let pod = Pod::kubelet(
        "servers",
        "iot",
        "cluster.local",
        "emqx-0",
        "emqx-headless",
        "10.0.0.9",
    );
    let env = [("MY_POD_NAMESPACE", "iot"), ("RELNODE_HOSTNAME", "emqx-0")];
    for (args, want) in [
        (
            vec!["--basename", "emqx", "--node-var", "EMQX_NODE__NAME"],
            "EMQX_NODE__NAME=emqx@emqx-0.emqx-headless.iot.svc.cluster.local\n",
        ),
        (
            vec!["--basename", "couchdb", "--host-var", "NODENAME"],
            "NODENAME=emqx-0.emqx-headless.iot.svc.cluster.local\n",
        ),
        (
            vec![
                "--basename",
                "VerneMQ",
                "--node-var",
                "DOCKER_VERNEMQ_NODENAME",
            ],
            "DOCKER_VERNEMQ_NODENAME=VerneMQ@emqx-0.emqx-headless.iot.svc.cluster.local\n",
        ),
    ] {
        let mut all = vec![
            "env",
            "--target",
            "none",
            "--strategy",
            "dnssrv",
            "--format",
            "dotenv",
        ];
        all.extend(&args);
        assert_eq!(ok(pod.run(&all, &env)), want, "{args:?}");
    }
}

#[test]
fn dnscluster_names_basename_at_ip_and_hands_the_query_on() {
    let pod = Pod::new("dnscluster");
    let json = ok(pod.run(
        &["env", "--strategy", "dnscluster", "--format", "json"],
        &[
            ("RELNODE_BASENAME", "app"),
            ("MY_POD_IP", "FD00:0:0::1"),
            (
                "DNS_CLUSTER_QUERY",
                "app-headless.default.svc.cluster.local.",
            ),
        ],
    ));
    assert_eq!(
        json,
        "{\n  \"RELEASE_DISTRIBUTION\": \"name\",\n  \"RELEASE_NODE\": \"app@fd00::1\",\n  \"ELIXIR_ERL_OPTIONS\": \"-proto_dist inet6_tcp\",\n  \"DNS_CLUSTER_QUERY\": \"app-headless.default.svc.cluster.local\"\n}\n"
    );
    // Dual stack without a chosen family: named after the primary IP, and told why a family
    // matters to dns_cluster.
    let run = pod.run(
        &["env", "--strategy", "dnscluster", "--format", "dotenv"],
        &with(APP, &[("MY_POD_IPS", "10.0.0.1,fd00::1")]),
    );
    let note = stderr(&run);
    assert_eq!(
        ok(run),
        "RELEASE_DISTRIBUTION=name\nRELEASE_NODE=app@10.0.0.1\n"
    );
    assert!(
        note.contains("--ip-family") && note.contains("A and AAAA"),
        "{note}"
    );
}

const FLY: &[(&str, &str)] = &[
    ("FLY_APP_NAME", "shop"),
    (
        "FLY_IMAGE_REF",
        "registry.fly.io/shop:deployment-01H9RK9EYO9PGNBYAKGKT4AU4E",
    ),
    ("FLY_PRIVATE_IP", "fdaa:0:36c9:a7b:198:c4b1:73c6:2"),
    ("FLY_MACHINE_ID", "e784079b449483"),
];

#[test]
fn fly_is_detected_and_named_as_flys_guide_names_it() {
    let pod = Pod::new("fly");
    let json = ok(pod.run(&["env", "--format", "json"], FLY));
    assert_eq!(
        json,
        "{\n  \"RELEASE_DISTRIBUTION\": \"name\",\n  \"RELEASE_NODE\": \"shop-01H9RK9EYO9PGNBYAKGKT4AU4E@fdaa:0:36c9:a7b:198:c4b1:73c6:2\",\n  \"ELIXIR_ERL_OPTIONS\": \"-proto_dist inet6_tcp\",\n  \"DNS_CLUSTER_QUERY\": \"shop.internal\"\n}\n"
    );
    // The guide's own sh line gives the same name from the same variables.
    let guide = shell(
        &["sh"],
        r#"printf '%s' "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}""#,
        FLY,
    );
    assert!(json.contains(&format!("\"RELEASE_NODE\": \"{}\"", stdout(&guide))));
    // The plain option, and the env file sourced by remote/rpc carries -proto_dist too.
    let env_file = pod.path("env.sh");
    ok(pod.run(
        &[
            "render",
            "--fly-basename",
            "app",
            "--output",
            env_file.to_str().unwrap(),
        ],
        FLY,
    ));
    let out = shell(
        &["sh"],
        &format!(
            r#". '{}'; printf '%s|%s' "$RELEASE_NODE" "$ELIXIR_ERL_OPTIONS""#,
            env_file.display()
        ),
        &[],
    );
    assert_eq!(
        stdout(&out),
        "shop@fdaa:0:36c9:a7b:198:c4b1:73c6:2|-proto_dist inet6_tcp"
    );
    // Kubernetes facts around it change nothing, and --platform kubernetes opts out.
    let k8s = ok(pod.run(
        &["env", "--platform", "kubernetes", "--format", "dotenv"],
        &with(FLY, APP),
    ));
    assert_eq!(
        k8s,
        "RELEASE_DISTRIBUTION=name\nRELEASE_NODE=app@10.0.0.1\n"
    );
}

#[test]
fn bad_target_and_platform_input_exits_2_names_the_input_and_writes_nothing() {
    struct Bad {
        args: Vec<&'static str>,
        env: Vec<(&'static str, &'static str)>,
        says: &'static [&'static str],
    }
    let fly_without = |var: &str| {
        FLY.iter()
            .copied()
            .filter(|(k, _)| *k != var)
            .collect::<Vec<_>>()
    };
    let fly_with = |var: &'static str, value: &'static str| {
        let mut env = fly_without(var);
        env.push((var, value));
        env
    };
    let cookie_pod = Pod::new("bad-cookie");
    let cookie = cookie_pod.write("cookie", "c00kie-secret\n");
    let cookie: &'static str = Box::leak(cookie.to_str().unwrap().to_owned().into_boxed_str());
    let cases = [
        Bad {
            args: vec!["--target", "beam"],
            env: APP.to_vec(),
            says: &[
                "--target",
                "RELNODE_TARGET",
                "elixir, vm-args, rabbitmq, livebook, none",
            ],
        },
        Bad {
            args: vec!["--target", "none"],
            env: APP.to_vec(),
            says: &["--target", "RELNODE_TARGET", "--node-var", "--host-var"],
        },
        Bad {
            args: vec!["--target", "none", "--node-var", "EMQX-NODE"],
            env: APP.to_vec(),
            says: &["--node-var", "RELNODE_NODE_VAR", "not a variable name"],
        },
        Bad {
            args: vec!["--target", "none", "--host-var", "PATH"],
            env: APP.to_vec(),
            says: &["--host-var", "RELNODE_HOST_VAR", "must not replace"],
        },
        Bad {
            args: vec!["--target", "none"],
            env: with(APP, &[("RELNODE_NODE_VAR", "LD_PRELOAD")]),
            says: &["--node-var", "RELNODE_NODE_VAR"],
        },
        Bad {
            args: vec!["--node-var", "RELEASE_NODE"],
            env: APP.to_vec(),
            says: &["--node-var", "already set by target elixir"],
        },
        Bad {
            args: vec!["--target", "rabbitmq", "--cookie-file", cookie],
            env: APP.to_vec(),
            says: &[
                "--cookie-file",
                "RELNODE_COOKIE_FILE",
                "--target",
                ".erlang.cookie",
            ],
        },
        Bad {
            args: vec!["--strategy", "dnscluster", "--mode", "hostname"],
            env: APP.to_vec(),
            says: &[
                "--strategy",
                "RELNODE_STRATEGY",
                "--mode",
                "RELNODE_MODE",
                "dns_cluster #14",
            ],
        },
        Bad {
            args: vec!["--strategy", "dnscluster", "--query", "my app"],
            env: APP.to_vec(),
            says: &["--query", "DNS_CLUSTER_QUERY"],
        },
        Bad {
            args: vec!["--platform", "heroku"],
            env: APP.to_vec(),
            says: &[
                "--platform",
                "RELNODE_PLATFORM",
                "kubernetes, fly, ecs, railway, render or dns",
            ],
        },
        Bad {
            args: vec![],
            env: fly_without("FLY_PRIVATE_IP"),
            says: &["FLY_PRIVATE_IP", "is not set", "--platform kubernetes"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_PRIVATE_IP", ""),
            says: &["FLY_PRIVATE_IP", "is empty"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_PRIVATE_IP", "127.0.0.1"),
            says: &["FLY_PRIVATE_IP", "IPv4"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_PRIVATE_IP", "::1"),
            says: &["FLY_PRIVATE_IP", "no other Machine can dial"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_PRIVATE_IP", "fe80::1"),
            says: &["FLY_PRIVATE_IP", "link-local", "no other Machine can dial"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_PRIVATE_IP", "::ffff:10.0.0.1"),
            says: &["FLY_PRIVATE_IP", "IPv4-mapped", "no other Machine can dial"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_APP_NAME", ""),
            says: &["FLY_APP_NAME", "is empty"],
        },
        Bad {
            args: vec![],
            env: fly_without("FLY_APP_NAME")
                .into_iter()
                .chain([("FLY_APP_NAME", "My_App")])
                .collect(),
            says: &["FLY_APP_NAME"],
        },
        Bad {
            args: vec![],
            env: fly_without("FLY_IMAGE_REF"),
            says: &["FLY_IMAGE_REF", "is not set", "--fly-basename app"],
        },
        Bad {
            args: vec![],
            env: fly_with("FLY_IMAGE_REF", "registry.fly.io/shop@sha256:0123abcd"),
            says: &["FLY_IMAGE_REF", "--fly-basename app"],
        },
        Bad {
            args: vec!["--fly-basename", "machine"],
            env: FLY.to_vec(),
            says: &["--fly-basename", "RELNODE_FLY_BASENAME", "deploy, app"],
        },
        Bad {
            args: vec!["--mode", "hostname"],
            env: FLY.to_vec(),
            says: &["--mode", "RELNODE_MODE"],
        },
        Bad {
            args: vec!["--platform", "fly"],
            env: APP.to_vec(),
            says: &["FLY_APP_NAME", "is not set"],
        },
    ];
    for case in cases {
        let pod = Pod::new("bad");
        let output = pod.path("out/file");
        let started = pod.path("started");
        for command in ["render", "exec"] {
            let mut args = vec![command, "--output", output.to_str().unwrap()];
            args.extend(case.args.iter().copied());
            if command == "exec" {
                args.extend(["--", "touch", started.to_str().unwrap()]);
            }
            let run = pod.run(&args, &case.env);
            let err = stderr(&run);
            assert_eq!(run.status.code(), Some(2), "{args:?} {:?}: {err}", case.env);
            for word in case.says {
                assert!(
                    err.contains(word),
                    "{args:?} {:?}: lacks {word:?}: {err}",
                    case.env
                );
            }
            assert!(err.contains("fix:"), "{err}");
            assert!(!err.contains("c00kie-secret"), "{err}");
            assert!(
                !err.contains("@127.0.0.1") && !err.contains("app@\n"),
                "{err}"
            );
            assert!(stdout(&run).is_empty());
            assert!(!output.exists(), "{args:?}: wrote {}", output.display());
            assert!(!started.exists(), "{args:?}: started the command");
        }
    }
}

/// Issue 18 #3: `--node-var`/`--host-var` never name a cookie variable (the public node name
/// would become the cookie) nor one the C library or the shell reads (the resolver's
/// `RES_OPTIONS`, glibc's `GLIBC_TUNABLES`, bash's `SHELLOPTS`/`PS4`, ...): exit 2 naming the
/// flag and env var, nothing written, nothing started, for each target and from the env too.
#[test]
fn node_and_host_vars_refuse_cookie_resolver_and_libc_variables() {
    let cookies = [
        ("elixir", "RELEASE_COOKIE"),
        ("vm-args", "RELX_COOKIE"),
        ("none", "RABBITMQ_ERLANG_COOKIE"),
        ("none", "EMQX_NODE__COOKIE"),
    ];
    let libc = [
        "LOCALDOMAIN",
        "RES_OPTIONS",
        "HOSTALIASES",
        "GCONV_PATH",
        "LOCPATH",
        "GLIBC_TUNABLES",
        "MALLOC_CONF",
        "SHELLOPTS",
        "PS4",
    ];
    let cases = cookies
        .iter()
        .map(|&(target, var)| (target, var, "the cookie"))
        .chain(libc.iter().map(|&var| ("none", var, "must not replace it")));
    for (target, var, says) in cases {
        for (flag, env) in [
            ("--node-var", "RELNODE_NODE_VAR"),
            ("--host-var", "RELNODE_HOST_VAR"),
        ] {
            for by_env in [false, true] {
                let pod = Pod::new("reserved-var");
                let output = pod.path("out/file");
                let started = pod.path("started");
                let env_vars = if by_env {
                    with(APP, &[(env, var)])
                } else {
                    APP.to_vec()
                };
                for command in ["render", "exec"] {
                    let mut args = vec![command, "--output", output.to_str().unwrap()];
                    args.extend(["--target", target]);
                    if !by_env {
                        args.extend([flag, var]);
                    }
                    if command == "exec" {
                        args.extend(["--", "touch", started.to_str().unwrap()]);
                    }
                    let run = pod.run(&args, &env_vars);
                    let err = stderr(&run);
                    let what = format!("{args:?} {env_vars:?}");
                    assert_eq!(run.status.code(), Some(2), "{what}: {err}");
                    for word in [flag, env, var, says, "fix:"] {
                        assert!(err.contains(word), "{what}: lacks {word:?}: {err}");
                    }
                    assert!(stdout(&run).is_empty(), "{what}");
                    assert!(!output.exists(), "{what}: wrote {}", output.display());
                    assert!(!started.exists(), "{what}: started the command");
                }
            }
        }
    }
}

#[test]
fn render_refuses_a_cookie_the_vm_args_fragment_cannot_carry() {
    let pod = Pod::new("vmargs-cookie");
    let cookie = pod.write("cookie", "c00kie-secret\n");
    let out = pod.path("vm.args");
    let run = pod.run(
        &[
            "render",
            "--target",
            "vm-args",
            "--cookie-file",
            cookie.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
        APP,
    );
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--cookie-file")
            && err.contains("RELNODE_COOKIE_FILE")
            && err.contains("relnode exec"),
        "{err}"
    );
    assert!(!err.contains("c00kie-secret"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_template_has_nothing_to_render_for_the_vm_args_fragment() {
    let pod = Pod::new("vmargs-template");
    let template = pod.write("t.tera", "{{ release_node }}\n");
    let out = pod.path("vm.args");
    let run = pod.run(
        &[
            "render",
            "--target",
            "vm-args",
            "--template",
            template.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
        APP,
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("--template") && stderr(&run).contains("--node-var"));
    assert!(!out.exists());
}

/// Issue 17: a name already in the environment (Gigalixir's `RELEASE_NODE`, an image's `ENV`),
/// for every target's own name variable and `--node-var`: equal is kept, different is refused
/// (exit 2, both names and where each came from, nothing printed), `--replace-node-name` or
/// `RELNODE_REPLACE_NODE_NAME=1` lets relnode's win, `--explain` says what it found.
#[test]
fn a_name_already_set_is_kept_when_equal_and_refused_when_different_unless_replaced() {
    let pod = Pod::new("preset");
    let ours = "app@10.0.0.1";
    for (args, var) in [
        (&[][..], "RELEASE_NODE"),
        (&["--target", "rabbitmq"][..], "RABBITMQ_NODENAME"),
        (&["--target", "livebook"][..], "LIVEBOOK_NODE"),
        (
            &["--target", "vm-args", "--node-var", "NODE_NAME"][..],
            "NODE_NAME",
        ),
        (
            &["--target", "none", "--node-var", "EMQX_NODE__NAME"][..],
            "EMQX_NODE__NAME",
        ),
    ] {
        let mut argv = vec!["env", "--format", "dotenv"];
        argv.extend_from_slice(args);
        let equal = pod.run(
            &[&argv[..], &["--explain"]].concat(),
            &with(APP, &[(var, ours)]),
        );
        let said = stderr(&equal);
        assert!(ok(equal).contains(&format!("{var}={ours}\n")), "{var}");
        assert!(
            said.contains("already set") && said.contains("equal to relnode's: kept"),
            "{var}: {said}"
        );
        let different = pod.run(&argv, &with(APP, &[(var, "app@172.17.0.2")]));
        let err = stderr(&different);
        assert_eq!(different.status.code(), Some(2), "{var}: {err}");
        assert!(stdout(&different).is_empty(), "{var}");
        for part in [
            "\"app@172.17.0.2\" (from env ",
            &format!("{var} (already set in the environment)"),
            &format!("relnode's value \"{ours}\""),
            "basename from env RELNODE_BASENAME",
            "address from env MY_POD_IP",
            "--replace-node-name (RELNODE_REPLACE_NODE_NAME=1)",
        ] {
            assert!(err.contains(part), "{var}: lacks {part:?}: {err}");
        }
        let replaced = ok(pod.run(
            &[&argv[..], &["--replace-node-name"]].concat(),
            &with(APP, &[(var, "app@172.17.0.2")]),
        ));
        assert!(
            replaced.contains(&format!("{var}={ours}\n")),
            "{var}: {replaced}"
        );
        let by_env = ok(pod.run(
            &argv,
            &with(
                APP,
                &[(var, "app@172.17.0.2"), ("RELNODE_REPLACE_NODE_NAME", "1")],
            ),
        ));
        assert!(by_env.contains(&format!("{var}={ours}\n")), "{var}");
    }
    // --host-var carries the host part: compared as such.
    let host = ["env", "--target", "none", "--host-var", "NODENAME"];
    ok(pod.run(&host, &with(APP, &[("NODENAME", "10.0.0.1")])));
    let run = pod.run(&host, &with(APP, &[("NODENAME", "couchdb-0.couchdb")]));
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("NODENAME (already set"),
        "{}",
        stderr(&run)
    );
    // A variable relnode does not set is no concern of it: RELEASE_NODE under target livebook.
    ok(pod.run(
        &["env", "--target", "livebook"],
        &with(APP, &[("RELEASE_NODE", "other@10.9.9.9")]),
    ));
}

const LIVEBOOK: &[(&str, &str)] = &[
    ("RELNODE_BASENAME", "livebook"),
    ("MY_POD_IP", "10.0.0.1"),
    ("RELNODE_STRATEGY", "dnscluster"),
    (
        "DNS_CLUSTER_QUERY",
        "livebook-headless.tools.svc.cluster.local",
    ),
];

/// Livebook reads LIVEBOOK_NODE, LIVEBOOK_CLUSTER=dns:<query> and LIVEBOOK_COOKIE (its
/// lib/livebook.ex) and forces RELEASE_DISTRIBUTION=none: no RELEASE_* and no
/// DNS_CLUSTER_QUERY; IPv6 as its Fly branch does, in ERL_AFLAGS.
#[test]
fn livebook_gets_its_own_variables_and_no_release_ones() {
    let pod = Pod::new("livebook");
    let cookie = pod.write("cookie", "lb-cookie\n");
    let out = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--target",
            "livebook",
            "--cookie-file",
            cookie.to_str().unwrap(),
        ],
        LIVEBOOK,
    ));
    assert_eq!(
        out,
        "LIVEBOOK_NODE=livebook@10.0.0.1\nLIVEBOOK_COOKIE=lb-cookie\nLIVEBOOK_CLUSTER=dns:livebook-headless.tools.svc.cluster.local\n"
    );
    // With DNSPoll's query too: Livebook runs its own dns_cluster whatever the strategy.
    let poll = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--target",
            "livebook",
            "--strategy",
            "dnspoll",
            "--query",
            "lb.shop.local",
        ],
        &[("MY_POD_IP", "10.0.0.1")],
    ));
    assert_eq!(
        poll,
        "LIVEBOOK_NODE=livebook@10.0.0.1\nLIVEBOOK_CLUSTER=dns:lb.shop.local\n"
    );
    // Without a cookie: warned, Livebook would pick a random one per node.
    let run = pod.run(&["env", "--target", "livebook"], LIVEBOOK);
    let err = stderr(&run);
    ok(run);
    assert!(
        err.contains("random cookie") && err.contains("--cookie-file"),
        "{err}"
    );
    // Its default basename is Livebook's own.
    let out = ok(pod.run(
        &["env", "--format", "dotenv", "--target", "livebook"],
        &[("MY_POD_IP", "10.0.0.1")],
    ));
    assert_eq!(out, "LIVEBOOK_NODE=livebook@10.0.0.1\n");
    // IPv6: -proto_dist added to ERL_AFLAGS unless one is there, through a real shell too.
    let v6 = [("MY_POD_IP", "fd00::1"), ("RELNODE_BASENAME", "livebook")];
    let out = ok(pod.run(&["env", "--format", "dotenv", "--target", "livebook"], &v6));
    assert_eq!(
        out,
        "LIVEBOOK_NODE=livebook@fd00::1\nERL_AFLAGS=-proto_dist inet6_tcp\n"
    );
    let sh = ok(pod.run(&["env", "--target", "livebook"], &v6));
    let seen = shell(
        &["sh"],
        &format!("{sh}\nprintf '%s|%s' \"$LIVEBOOK_NODE\" \"$ERL_AFLAGS\""),
        &[("ERL_AFLAGS", "+S 1 -proto_dist inet6_tls")],
    );
    assert_eq!(
        String::from_utf8_lossy(&seen.stdout),
        "livebook@fd00::1|+S 1 -proto_dist inet6_tls"
    );
}

/// A Livebook Teams image sets LIVEBOOK_CLUSTER=auto: handled as a name already set.
#[test]
fn livebook_teams_auto_cluster_is_a_value_already_set() {
    let pod = Pod::new("livebook-auto");
    let auto = with(LIVEBOOK, &[("LIVEBOOK_CLUSTER", "auto")]);
    let run = pod.run(&["env", "--target", "livebook"], &auto);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("LIVEBOOK_CLUSTER (already set")
            && err.contains("\"auto\"")
            && err.contains("dns:livebook-headless.tools.svc.cluster.local")
            && err.contains("query from env DNS_CLUSTER_QUERY"),
        "{err}"
    );
    let out = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--target",
            "livebook",
            "--replace-node-name",
        ],
        &auto,
    ));
    assert!(
        out.contains("LIVEBOOK_CLUSTER=dns:livebook-headless"),
        "{out}"
    );
    // No query known: relnode sets no LIVEBOOK_CLUSTER, so `auto` is left to Livebook.
    let out = ok(pod.run(
        &["env", "--format", "dotenv", "--target", "livebook"],
        &with(APP, &[("LIVEBOOK_CLUSTER", "auto")]),
    ));
    assert_eq!(out, "LIVEBOOK_NODE=app@10.0.0.1\n");
}
