use super::*;
use crate::inputs::PodArgs;
use crate::inputs::tests::env;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;

/// AWS's documented example answer (tests/fixtures/ecs/README.md says where it is from).
const DOCUMENTED: &str = include_str!("../../../tests/fixtures/ecs/container-awsvpc.json");

#[test]
fn the_documented_answer_gives_the_awsvpc_address_and_image() {
    let container = Container::parse(DOCUMENTED.as_bytes()).expect("AWS's example parses");
    assert_eq!(
        container.image_id.as_deref(),
        Some("sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553")
    );
    assert_eq!(
        container.networks,
        [Network {
            mode: "awsvpc".into(),
            ipv4: vec!["10.0.2.100".into()],
            ipv6: Vec::new(),
        }]
    );
    let url = (
        "http://169.254.170.2/v4/x".to_owned(),
        http::Url::parse("http://169.254.170.2/v4/x").unwrap(),
    );
    let ip = container.address(None, &url).unwrap();
    assert_eq!(
        (ip.value.to_string(), ip.source),
        ("10.0.2.100".into(), Source::Derived(FROM_IPV4))
    );
}

/// The documented answer with one field replaced: every variant keeps AWS's shape.
pub fn variant(from: &str, to: &str) -> String {
    assert!(DOCUMENTED.contains(from), "{from}");
    DOCUMENTED.replace(from, to)
}

pub const DUAL_STACK: (&str, &str) = (
    "\"IPv4Addresses\": [\n                \"10.0.2.100\"\n            ],",
    "\"IPv4Addresses\": [\n                \"10.0.2.100\"\n            ],\n            \"IPv6Addresses\": [\"2600:1f14:abc:de00::64\"],",
);

#[test]
fn families_and_modes() {
    let url = (
        "u".to_owned(),
        http::Url::parse("http://169.254.170.2/").unwrap(),
    );
    let dual = Container::parse(variant(DUAL_STACK.0, DUAL_STACK.1).as_bytes()).unwrap();
    let pick = |want| dual.address(want, &url).map(|ip| ip.value.to_string());
    assert_eq!(pick(None).unwrap(), "10.0.2.100");
    assert_eq!(pick(Some(false)).unwrap(), "10.0.2.100");
    assert_eq!(pick(Some(true)).unwrap(), "2600:1f14:abc:de00::64");
    let v6_only = Container::parse(
        variant("\"10.0.2.100\"", "")
            .replace(
                "\"IPv4Addresses\": [\n                \n            ],",
                "\"IPv6Addresses\": [\"2600:1f14::5\"],",
            )
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        v6_only.address(None, &url).unwrap().value.to_string(),
        "2600:1f14::5"
    );
    let err = v6_only.address(Some(false), &url).unwrap_err().to_string();
    assert!(
        err.contains("--ip-family") && err.contains("lists none"),
        "{err}"
    );
    for (mode, says) in [
        ("bridge", "Docker bridge"),
        ("host", "--pod-ip"),
        ("none", "awsvpc"),
    ] {
        let doc =
            Container::parse(variant("\"awsvpc\"", &format!("\"{mode}\"")).as_bytes()).unwrap();
        let err = doc.address(None, &url).unwrap_err();
        assert!(matches!(err, Error::Input(_)), "{mode}: exit 2, not 3");
        let text = err.to_string();
        assert!(
            text.contains(says) && text.contains("NetworkMode"),
            "{mode}: {text}"
        );
    }
}

#[test]
fn answers_relnode_cannot_read_say_what_is_wrong() {
    for (body, says) in [
        ("[]", "not an object"),
        ("{\"Networks\": {}}", "Networks is an object, not an array"),
        ("{\"Networks\": [{}]}", "Networks[0].NetworkMode is missing"),
        (
            "{\"Networks\": [{\"NetworkMode\": \"awsvpc\", \"IPv4Addresses\": [1]}]}",
            "IPv4Addresses is a number",
        ),
        ("{\"ImageID\": 5}", "ImageID is a number"),
        ("{\"Networks\": [", "end of the text"),
    ] {
        let err = Container::parse(body.as_bytes()).unwrap_err();
        assert!(err.contains(says), "{body}: {err}");
    }
    let url = (
        "u".to_owned(),
        http::Url::parse("http://169.254.170.2/").unwrap(),
    );
    for body in [
        "{}",
        "{\"Networks\": [{\"NetworkMode\": \"awsvpc\"}]}",
        "{\"Networks\": [{\"NetworkMode\": \"awsvpc\", \"IPv4Addresses\": [\"169.254.172.2\"]}]}",
        "{\"Networks\": [{\"NetworkMode\": \"awsvpc\", \"IPv4Addresses\": [\"ten\"]}]}",
    ] {
        let err = Container::parse(body.as_bytes())
            .unwrap()
            .address(None, &url)
            .unwrap_err();
        assert!(matches!(err, Error::Failed(_)), "{body}: {err}");
    }
}

/// Serves `body` to one GET on loopback; returns the URL.
fn agent(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let _ = conn.read(&mut [0u8; 2048]);
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/v4/8f03e41243824aea923aca126495f665-1")
}

fn gather(
    url: &str,
    args: &[(Id, &str)],
    more: &[(&str, &str)],
) -> Result<crate::facts::PodFacts, Error> {
    let args = PodArgs::with(args);
    let mut vars = vec![(METADATA_URI, url), ("RELNODE_BASENAME", "shop")];
    vars.extend_from_slice(more);
    let vars = env(&vars);
    crate::platform::gather(
        &Lookup {
            args: &args,
            env: &vars,
        },
        None,
    )
}

#[test]
fn the_ecs_row_names_a_task_by_its_address() {
    let url = agent(DOCUMENTED.to_owned());
    let facts = gather(&url, &[(Id::Query, "shop.internal.local")], &[]).expect("valid");
    assert_eq!(facts.node_name().unwrap(), "shop@10.0.2.100");
    assert_eq!(facts.platform.value, "ecs");
    assert_eq!(facts.strategy.value, Strategy::DnsCluster);
    assert!(facts.warnings.is_empty(), "{:?}", facts.warnings);
    // deploy: Livebook's formula, sha1 of "<ImageID>\n" (its env.sh pipes `echo` into shasum)
    let url = agent(DOCUMENTED.to_owned());
    let facts = gather(
        &url,
        &[(Id::EcsBasename, "deploy"), (Id::Basename, "livebook")],
        &[],
    )
    .unwrap();
    let want =
        &sha1::hex(b"sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553\n")
            [..10];
    assert_eq!(
        facts.node_name().unwrap(),
        format!("livebook-{want}@10.0.2.100")
    );
    assert!(
        facts.warnings[0].contains("--query"),
        "{:?}",
        facts.warnings
    );
}

#[test]
fn a_given_pod_ip_wins_and_nothing_is_read() {
    // Nothing listens at this URL: had it been read, the gather would fail with exit 3.
    let silent = "http://127.0.0.1:9/v4/x";
    let facts = gather(silent, &[], &[("MY_POD_IP", "10.1.2.3")]).unwrap();
    assert_eq!(facts.node_name().unwrap(), "shop@10.1.2.3");
    let err = gather(
        silent,
        &[(Id::EcsBasename, "deploy")],
        &[("MY_POD_IP", "10.1.2.3")],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Input(_)) && err.to_string().contains("--ecs-basename"),
        "{err}"
    );
    let err = gather(silent, &[], &[]).unwrap_err();
    assert!(matches!(err, Error::Failed(_)), "{err}");
    assert!(err.to_string().contains(silent), "{err}");
}

#[test]
fn shapes_other_than_dns_ip_and_bad_urls_are_bad_input() {
    let err = gather("http://127.0.0.1:9/", &[(Id::Strategy, "kubernetes")], &[]).unwrap_err();
    assert!(err.to_string().contains("cannot work on AWS ECS"), "{err}");
    for bad in ["", "https://169.254.170.2/v4/x", "http://ecs-agent/v4/x"] {
        let err = gather(bad, &[], &[]).unwrap_err();
        assert!(
            matches!(err, Error::Input(_)) && err.to_string().contains(METADATA_URI),
            "{bad}: {err}"
        );
    }
}
