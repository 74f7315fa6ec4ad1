//! `peer-epmd`, with `--peers`: each peer libcluster would dial accepts a TCP connection on
//! its epmd port.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::check::dns::{Outcome, Records, Resolver, SearchRule};
use crate::check::{Check, CheckInput, Dial, Status, family, host_of};

/// One `peer-epmd` line per peer that is not us; a skip when the lookup gave no peer list.
pub fn peers(input: &CheckInput, resolver: &Resolver, dialled: Option<&[Dial]>) -> Vec<Check> {
    match dialled {
        Some(dialled) => dialled
            .iter()
            .filter(|d| !d.ours)
            .map(|peer| epmd(input, resolver, &peer.name))
            .collect(),
        None => vec![Check::new(
            "peer-epmd",
            Status::Skip,
            "TCP connect to each peer's epmd (4369)",
            "no peer list: the strategy's lookup failed",
        )],
    }
}

/// `--peers`: a TCP connect to the peer's epmd, nothing sent, then closed.
fn epmd(input: &CheckInput, resolver: &Resolver, peer: &str) -> Check {
    const EPMD_PORT: u16 = 4369;
    let host = host_of(peer);
    let asked = format!("TCP connect {host}:{EPMD_PORT} (epmd of {peer})");
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match resolver
            .lookup(host, family(input), SearchRule::Libc)
            .outcome
        {
            Outcome::Found {
                records: Records::Addrs(addrs),
                ..
            } if !addrs.is_empty() => addrs[0],
            _ => {
                return Check::new(
                    "peer-epmd",
                    Status::Skip,
                    asked,
                    "the name does not resolve",
                );
            }
        },
    };
    let wait = input.timeout.min(Duration::from_secs(2));
    match TcpStream::connect_timeout(&SocketAddr::new(ip, EPMD_PORT), wait) {
        Ok(_) => Check::new("peer-epmd", Status::Ok, asked, format!("{ip}: connected")),
        Err(err) => Check::new("peer-epmd", Status::Fail, asked, format!("{ip}: {err}")).because(
            "a NetworkPolicy blocks port 4369 (and the distribution port), a service mesh intercepts it (istio #6029), or epmd is not up yet on that pod",
            "allow TCP 4369 and the distribution port between the pods; for Istio exclude them (traffic.sidecar.istio.io/excludeInboundPorts/excludeOutboundPorts)",
        ),
    }
}
