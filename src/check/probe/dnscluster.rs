//! `dnscluster-query`, phoenixframework/dns_cluster: the A and AAAA addresses of its query,
//! ours among them.

use std::net::IpAddr;

use crate::check::{Check, CheckInput, Servers, Status, list_ips, nxdomain, our_ip, timeout_check};
use crate::dns::{Outcome, RecordType, Records, Resolver, SearchRule};
use crate::libcluster::names;

/// phoenixframework/dns_cluster 0.2: A and AAAA of its query through `:inet_res.getbyname`,
/// each address dialled as `<our basename>@<:inet.ntoa(ip)>`.
pub fn dnscluster_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    const ID: &str = "dnscluster-query";
    let Some(query) = input.query.as_deref() else {
        checks.push(Check::new(
            ID,
            Status::Skip,
            "A and AAAA of DNS_CLUSTER_QUERY",
            "no --query / DNS_CLUSTER_QUERY given",
        ));
        return None;
    };
    let asked = format!("A and AAAA {query} (as dns_cluster's :inet_res.getbyname does)");
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut missing = Vec::new();
    let mut unanswered = 0;
    for rtype in [RecordType::A, RecordType::Aaaa] {
        let lookup = resolver.lookup(query, rtype, SearchRule::InetRes);
        let servers = Servers::of(&lookup);
        match lookup.outcome {
            Outcome::Found {
                records: Records::Addrs(found),
                ..
            } => addrs.extend(found),
            Outcome::Timeout => {
                checks.push(timeout_check(ID, asked, input, &servers));
                return None;
            }
            // One family only is normal; dns_cluster treats every error as no addresses.
            Outcome::NoData { .. } => missing.push(format!("no {rtype}")),
            Outcome::NxDomain => missing.push(format!("{rtype}: {}", nxdomain(&lookup.asked))),
            Outcome::Found { .. } => missing.push(format!("{rtype}: an answer of another type")),
            Outcome::Failed(problem) => {
                unanswered += 1;
                missing.push(format!("{rtype}: {problem}"));
            }
        }
    }
    if addrs.is_empty() {
        let check = Check::new(ID, Status::Fail, asked, missing.join("; ")).because(
            "the query lists no node: dns_cluster dials nothing",
            "set DNS_CLUSTER_QUERY (relnode --query) to the headless Service's name (with publishNotReadyAddresses: true) or, on Fly, <app>.internal",
        );
        // Both families ended in a server failure: no answer yet, nothing known.
        checks.push(if unanswered == 2 {
            check.not_run()
        } else {
            check
        });
        return None;
    }
    let answer = list_ips(&addrs);
    let ours = our_ip(input).is_some_and(|ip| addrs.contains(&ip));
    checks.push(if ours {
        Check::new(ID, Status::Ok, asked, format!("{answer} (ours among them)"))
    } else {
        Check::new(ID, Status::Fail, asked, answer).because(
            format!("our IP {} is not among the query's addresses: peers never dial this node", list_ips(&input.pod_ips)),
            "point the query at the Service that selects this pod, add publishNotReadyAddresses: true, or use --wait until the pod is ready",
        )
    });
    Some(
        addrs
            .into_iter()
            .map(|ip| names::ip_node(&input.basename, ip))
            .collect(),
    )
}
