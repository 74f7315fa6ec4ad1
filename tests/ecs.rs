//! Platform AWS ECS, driven from outside: the binary reads a task metadata endpoint served on
//! loopback by this test (AWS's documented v4 container answer, tests/fixtures/ecs/), in both
//! of the framings Go's `net/http` (the ECS agent) uses. awsvpc names the task; bridge and host
//! are refused (exit 2) naming why; an endpoint that is silent, closed or redirecting is exit 3
//! within the 2 s bound, naming the URL; a given pod IP means the endpoint is never asked.
//! (tests/e2e/scenarios/ecs.sh runs the same with netns tasks, dnsmasq and real Erlang.)

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Pod, ok, stderr, stdout};

const DOCUMENTED: &str = include_str!("fixtures/ecs/container-awsvpc.json");
const IMAGE_ID: &str = "sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553";

/// A metadata endpoint on loopback: each connection gets `answer(body)`; counts requests.
struct Agent {
    url: String,
    asked: Arc<AtomicUsize>,
}

fn agent(answer: impl Fn() -> Vec<u8> + Send + 'static) -> Agent {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/v4/8f03e41243824aea923aca126495f665-1907208212",
        listener.local_addr().unwrap()
    );
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut request = [0u8; 2048];
            let n = conn.read(&mut request).unwrap_or(0);
            if request[..n]
                .starts_with(b"GET /v4/8f03e41243824aea923aca126495f665-1907208212 HTTP/1.1\r\n")
            {
                count.fetch_add(1, Ordering::SeqCst);
            }
            let _ = conn.write_all(&answer());
        }
    });
    Agent { url, asked }
}

fn sized(body: String) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// As Go sends a body larger than its first buffer: chunks of 1000 bytes.
fn chunked(body: String) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for chunk in body.as_bytes().chunks(1000) {
        out.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend(chunk);
        out.extend(b"\r\n");
    }
    out.extend(b"0\r\n\r\n");
    out
}

fn run(pod: &Pod, url: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut vars = vec![
        ("ECS_CONTAINER_METADATA_URI_V4", url),
        ("RELNODE_BASENAME", "app"),
    ];
    vars.extend_from_slice(env);
    pod.run(args, &vars)
}

#[test]
fn an_awsvpc_task_is_named_after_its_vpc_address_in_either_framing() {
    let pod = Pod::new("ecs-awsvpc");
    for framing in [sized as fn(String) -> Vec<u8>, chunked] {
        let server = agent(move || framing(DOCUMENTED.to_owned()));
        let out = run(
            &pod,
            &server.url,
            &[
                "env",
                "--format",
                "dotenv",
                "--explain",
                "--query",
                "app.shop.local",
            ],
            &[],
        );
        let err = stderr(&out);
        assert_eq!(
            ok(out),
            "RELEASE_DISTRIBUTION=name\nRELEASE_NODE=app@10.0.2.100\nDNS_CLUSTER_QUERY=app.shop.local\n"
        );
        assert!(
            err.contains("detected: ECS_CONTAINER_METADATA_URI_V4 is set"),
            "{err}"
        );
        assert!(
            err.contains("ECS task metadata: Networks[0].IPv4Addresses[0] (awsvpc)"),
            "{err}"
        );
        assert_eq!(server.asked.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn an_ipv6_task_gets_ipv6_distribution() {
    let pod = Pod::new("ecs-v6");
    let doc = DOCUMENTED.replace(
        "\"IPv4Addresses\": [\n                \"10.0.2.100\"\n            ],",
        "\"IPv4Addresses\": [],\n            \"IPv6Addresses\": [\"2600:1F14:ABC:DE00:0:0:0:64\"],",
    );
    let server = agent(move || sized(doc.clone()));
    let out = ok(run(&pod, &server.url, &["env", "--format", "dotenv"], &[]));
    assert!(
        out.contains("RELEASE_NODE=app@2600:1f14:abc:de00::64\n"),
        "{out}"
    );
    assert!(
        out.contains("ELIXIR_ERL_OPTIONS=-proto_dist inet6_tcp\n"),
        "{out}"
    );
}

#[test]
fn the_deploy_basename_is_livebooks_own() {
    let pod = Pod::new("ecs-deploy");
    let server = agent(|| sized(DOCUMENTED.to_owned()));
    // Livebook's rel/server/env.sh.eex: `echo $image_id | shasum | cut -c 1-10`
    let theirs = std::process::Command::new("sh")
        .args(["-c", "echo $1 | sha1sum | cut -c 1-10", "sh", IMAGE_ID])
        .output()
        .unwrap();
    let deployment = String::from_utf8(theirs.stdout).unwrap().trim().to_owned();
    assert_eq!(deployment.len(), 10);
    let out = ok(pod.run(
        &[
            "env",
            "--format",
            "dotenv",
            "--target",
            "livebook",
            "--ecs-basename",
            "deploy",
        ],
        &[("ECS_CONTAINER_METADATA_URI_V4", &server.url)],
    ));
    assert!(
        out.starts_with(&format!("LIVEBOOK_NODE=livebook-{deployment}@10.0.2.100\n")),
        "{out}"
    );
}

#[test]
fn bridge_and_host_mode_are_refused_saying_why_and_nothing_is_written() {
    let pod = Pod::new("ecs-modes");
    for (mode, says) in [
        ("bridge", "Docker bridge"),
        ("host", "instance's private address"),
    ] {
        let doc = DOCUMENTED.replace("\"awsvpc\"", &format!("\"{mode}\""));
        let server = agent(move || sized(doc.clone()));
        let target = pod.path("run/env.sh");
        let out = run(
            &pod,
            &server.url,
            &["render", "--output", target.to_str().unwrap()],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{mode}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(says) && err.contains("awsvpc") && err.contains("--pod-ip"),
            "{mode}: {err}"
        );
        assert!(!target.exists(), "{mode}: nothing written");
    }
}

#[test]
fn a_given_pod_ip_wins_and_the_endpoint_is_never_asked() {
    let pod = Pod::new("ecs-given");
    let doc = DOCUMENTED.replace("\"awsvpc\"", "\"host\"");
    let server = agent(move || sized(doc.clone()));
    let out = ok(run(
        &pod,
        &server.url,
        &["env", "--format", "dotenv", "--explain"],
        &[("MY_POD_IP", "10.0.9.7")],
    ));
    assert!(out.contains("RELEASE_NODE=app@10.0.9.7\n"), "{out}");
    assert_eq!(
        server.asked.load(Ordering::SeqCst),
        0,
        "the endpoint was asked"
    );
}

/// Could not run: exit 3, the URL and the error named, within the 2 s bound (+ start-up).
#[test]
fn an_endpoint_that_fails_is_exit_3_naming_the_url_bounded() {
    let pod = Pod::new("ecs-fails");
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let redirect = agent(|| {
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n".to_vec()
    });
    let huge = agent(|| sized(format!("{{\"pad\": \"{}\"}}", "x".repeat(70 * 1024))));
    let busy = agent(|| b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec());
    let cases = [
        (
            format!("http://{}/v4/x", silent.local_addr().unwrap()),
            "no complete answer within 2 s",
        ),
        (format!("http://{closed}/v4/x"), "refused"),
        (redirect.url.clone(), "never follows"),
        (huge.url.clone(), "larger than 64 KiB"),
        (busy.url.clone(), "HTTP 503"),
    ];
    for (url, says) in cases {
        let started = Instant::now();
        let out = run(&pod, &url, &["env"], &[]);
        let took = started.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{url}: {err}");
        assert!(err.contains(&url) && err.contains(says), "{url}: {err}");
        assert!(stdout(&out).is_empty());
        assert!(took < Duration::from_millis(2600), "{url}: {took:?}");
    }
    assert_eq!(
        busy.asked.load(Ordering::SeqCst),
        2,
        "a 5xx is retried once"
    );
    assert_eq!(
        redirect.asked.load(Ordering::SeqCst),
        1,
        "a redirect is not retried"
    );
}

#[cfg(feature = "check")]
#[test]
fn check_on_ecs_reports_the_metadata_read_first() {
    let pod = Pod::new("ecs-check");
    let server = agent(|| sized(DOCUMENTED.to_owned()));
    // A resolver nobody answers on: the strategy's lookup cannot run, after the metadata line.
    pod.write("resolv.conf", "nameserver 127.0.0.1\n");
    let out = run(
        &pod,
        &server.url,
        &["check", "--query", "app.shop.local", "--timeout", "300ms"],
        &[],
    );
    let text = stdout(&out);
    let first = text
        .lines()
        .find(|l| l.contains("ecs-metadata"))
        .unwrap_or_default();
    assert!(
        first.contains("10.0.2.100") && first.contains(&server.url),
        "{text}"
    );
    assert!(text.find("ecs-metadata") < text.find("dns"), "{text}");
}
