//! `check --peers`: one report line per peer from the probe's answers.

use std::net::IpAddr;
use std::time::Instant;

use super::{Answer, EPMD_PORT, PeerAnswer, PeerTarget, ProbeOptions, Stage, probe_all};
use crate::check::{Check, CheckInput, Status, clean, family, host_of, our_ip};
use crate::dns::{Outcome, Records, Resolver, SearchRule};

const ID: &str = "peer-node";

/// Resolves each peer's host as Erlang's dial would, then probes them all at once under
/// one deadline (`--timeout` after the lookups).
pub(in crate::check) fn checks(
    input: &CheckInput,
    resolver: &Resolver,
    peers: &[&str],
) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut targets = Vec::new();
    for peer in peers {
        match resolve(input, resolver, host_of(peer)) {
            Some(ip) => targets.push(PeerTarget {
                node: (*peer).to_owned(),
                ip,
            }),
            None => checks.push(Check::new(
                ID,
                Status::Skip,
                format!("handshake with {peer}"),
                "the name does not resolve",
            )),
        }
    }
    let opts = ProbeOptions {
        epmd_port: EPMD_PORT,
        dist_port: input.dist_port,
        tls: input.dist_tls,
        long_host: our_ip(input)
            .map_or_else(|| "localhost.localdomain".into(), |ip| ip.to_string()),
        short_host: input
            .hostname
            .as_deref()
            .and_then(|h| h.split('.').next())
            .filter(|h| !h.is_empty())
            .unwrap_or("localhost")
            .to_owned(),
    };
    let deadline = Instant::now() + input.timeout;
    for answer in probe_all(&targets, &opts, deadline) {
        checks.push(line(input, &answer));
    }
    checks
}

fn resolve(input: &CheckInput, resolver: &Resolver, host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip);
    }
    match resolver
        .lookup(host, family(input), SearchRule::Libc)
        .outcome
    {
        Outcome::Found {
            records: Records::Addrs(addrs),
            ..
        } => addrs.first().copied(),
        _ => None,
    }
}

fn line(input: &CheckInput, a: &PeerAnswer) -> Check {
    let PeerTarget { node, ip } = &a.target;
    let short = node.split_once('@').map_or(node.as_str(), |(n, _)| n);
    let asked = match input.dist_port {
        Some(port) => format!("handshake with {node} at {ip}:{port} (as {})", a.our_name),
        None => format!(
            "handshake with {node}: epmd {ip}:{EPMD_PORT} for {short}, then its port (as {})",
            a.our_name
        ),
    };
    let port = a.port.map_or_else(String::new, |p| format!(" on port {p}"));
    let check = |status, answer: String| Check::new(ID, status, asked.clone(), answer);
    match &a.answer {
        Answer::Named { name, .. } if name == node => check(Status::Ok, format!("answered as {name}{port}")),
        Answer::Named { name, .. } => check(
            Status::Fail,
            format!("answered as {}{port}, not as {node}", clean(name)),
        )
        .because(
            format!(
                "the node at {ip} runs under another name than its peers dial: its own name has host `{}`, the strategy dials `{}`; libcluster's connect to {node} fails (the handshake checks the dialled name exactly)",
                clean(host_of(name)),
                host_of(node)
            ),
            format!(
                "start that pod with the name its peers dial ({node}): run relnode in that image too, or make its env.sh/vm.args build the strategy's shape (RELEASE_DISTRIBUTION and RELEASE_NODE)"
            ),
        ),
        Answer::NoEpmd => check(Status::Fail, format!("{ip}:{EPMD_PORT} refused: no epmd")).because(
            "no Erlang VM runs on that pod yet (or it crashed), or the release runs without epmd (-start_epmd false with its own EPMD module)",
            "look at that pod's logs; for a release without epmd give its distribution port with --dist-port",
        ),
        Answer::NoSuchNode { known } => no_such_node(check, ip, short, known.as_deref()),
        Answer::DistRefused => check(Status::Fail, format!("{ip}{port}: connection refused")).because(
            "nothing listens on the distribution port: the node stopped after registering with epmd, or --dist-port is not its port",
            "look at that pod's logs; give --dist-port only for nodes that listen on a fixed port",
        ),
        Answer::NotAllowed => check(Status::Warn, format!("status not_allowed{port}: the peer refuses unknown node names")).because(
            "the peer restricts who may connect (net_kernel:allow/1); our probe's name is not on its list, so its own name stays unproven",
            "nothing to fix for the cluster if your nodes are on the list; check the name on that pod itself",
        ),
        Answer::Nok | Answer::Alive => check(Status::Warn, format!("status {}{port}: the handshake stopped before the peer's name", if a.answer == Answer::Nok { "nok" } else { "alive" })),
        Answer::Closed(stage) => check(Status::Fail, format!("{ip}{port}: closed the connection while {stage}")).because(
            "what listens there is not a plain-TCP Erlang distribution of OTP 23 or newer: TLS distribution, another protocol, or a proxy (a service mesh sidecar)",
            "for TLS distribution give --dist-tls; for Istio exclude port 4369 and the distribution ports from the sidecar (traffic.sidecar.istio.io/excludeInboundPorts)",
        ),
        // Unreachable and unanswered peers: the check could not run there (exit 3 when alone).
        Answer::Unreachable(stage, err) => check(Status::Fail, format!("{ip}{port}: {err} while {stage}")).because(
            "no route to the peer: the pod is gone or a network policy rejects it",
            "allow TCP 4369 and the distribution port between the pods",
        ).not_run(),
        Answer::Timeout(stage) => timeout(check, input, ip, &port, *stage).not_run(),
        Answer::OldOtp { highest } => check(
            Status::Skip,
            format!("OTP < 23: epmd gives handshake version {highest}{port}; nothing more sent"),
        ),
        Answer::Tls => check(Status::Skip, "TLS distribution (--dist-tls): nothing sent".to_owned()),
        Answer::Error(e) => check(Status::Fail, format!("{ip}{port}: {e}")).because(
            "what answered does not speak epmd or Erlang distribution as OTP 23 and newer do (or the probe itself failed, as said above)",
            "check that the address is an Erlang node's pod and the port its epmd or --dist-port; for a proxy in between (a service mesh sidecar) exclude ports 4369 and the distribution port",
        ),
    }
}

fn no_such_node(
    check: impl Fn(Status, String) -> Check,
    ip: &IpAddr,
    short: &str,
    known: Option<&[String]>,
) -> Check {
    let fix = "use one basename (the part of RELEASE_NODE before @) on every pod; if the release is starting, retry with --wait";
    match known {
        Some([]) => check(
            Status::Fail,
            format!("epmd at {ip} knows no node named {short} (it knows none)"),
        )
        .because(
            "epmd runs but no node is registered: the release is not up yet, or it stopped",
            fix,
        ),
        Some(names) => {
            let names: Vec<String> = names.iter().map(|n| clean(n)).collect();
            check(
                Status::Fail,
                format!(
                    "epmd at {ip} knows no node named {short} (it knows {})",
                    names.join(", ")
                ),
            )
            .because(
                format!(
                    "a VM runs there under another name part ({}) than the dialled `{short}`: another basename",
                    names.join(", ")
                ),
                fix,
            )
        }
        None => check(
            Status::Fail,
            format!("epmd at {ip} knows no node named {short}"),
        )
        .because(
            format!(
                "no node named `{short}` runs there: another basename, or the release is not up yet"
            ),
            fix,
        ),
    }
}

fn timeout(
    check: impl Fn(Status, String) -> Check,
    input: &CheckInput,
    ip: &IpAddr,
    port: &str,
    stage: Stage,
) -> Check {
    let secs = input.timeout.as_secs_f64();
    let fix = "allow TCP 4369 and the distribution port between the pods; for Istio exclude them (traffic.sidecar.istio.io/excludeInboundPorts/excludeOutboundPorts); or give a longer --timeout";
    match stage {
        Stage::Queued => check(
            Status::Fail,
            format!("{ip}: not probed within {secs:.1} s: never started (the peers before it held every socket relnode may open)"),
        )
        .because("more unanswering peers than sockets (RLIMIT_NOFILE) in the time", fix),
        Stage::DistStatus | Stage::DistChallenge => check(
            Status::Fail,
            format!("{ip}{port}: no answer within {secs:.1} s while {stage}"),
        )
        .because(
            "the distribution port accepted the connection but never answered the handshake: a proxy (a service mesh sidecar) holds it, or the node is overloaded",
            fix,
        ),
        _ => check(
            Status::Fail,
            format!("{ip}{port}: no answer within {secs:.1} s while {stage}"),
        )
        .because(
            "a NetworkPolicy or firewall drops port 4369 or the distribution port, a service mesh intercepts it (istio #6029), or the pod is gone",
            fix,
        ),
    }
}
