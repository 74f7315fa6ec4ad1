//! `simulate --strategy dnspoll`: libcluster's DNSPoll on Kubernetes, its query a headless
//! Service's full name, asked as given; CoreDNS answers with every ready endpoint of both
//! families (what `input::Reader::ClusterDns` reads), each dialled as `<basename>@<ip>`.

use std::net::IpAddr;

use super::{Config, Row, Verdict};
use crate::libcluster::family::IpFamily;
use crate::libcluster::names;

/// `Cluster.Strategy.DNSPoll`: A ++ AAAA of the query, each address dialled as
/// `<basename>@<:inet.ntoa(ip)>`, both families.
pub fn dial(config: &Config, row: &mut Row, ip: &str) {
    match ip.parse::<IpAddr>() {
        Ok(parsed) => {
            row.verdict = Verdict::Dials;
            row.name = Some(names::ip_node(&config.basename, parsed));
        }
        Err(_) => row.reason = Some(format!("{ip:?} is not an IP address")),
    }
}

/// DNSPoll dials the addresses of both families; a node named by relnode carries one (IPv4
/// unless `--ip-family ipv6`), so the other family's names are names no node has.
pub fn other_family(rows: &mut [Row], family: IpFamily) {
    let v6 = family == IpFamily::V6;
    let families = |want_v6: bool| {
        rows.iter().any(|r| {
            r.verdict == Verdict::Dials
                && r.ip
                    .as_deref()
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
                    .is_some_and(|ip| ip.is_ipv6() == want_v6)
        })
    };
    if !(families(true) && families(false)) {
        return;
    }
    for row in rows.iter_mut().filter(|r| r.verdict == Verdict::Dials) {
        let Some(ip) = row.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()) else {
            continue;
        };
        if ip.is_ipv6() != v6 {
            row.warnings.push(format!(
                "dual stack: DNSPoll dials this {} address too, but a node named by relnode carries its {} one (--ip-family {}): a name no node has, a failed connection each poll",
                if v6 { "IPv4" } else { "IPv6" },
                if v6 { "IPv6" } else { "IPv4" },
                if v6 { "ipv6" } else { "ipv4" },
            ));
        }
    }
}
