//! `dns-a` / `dns-aaaa`, the dns strategy (`Cluster.Strategy.Kubernetes.DNS`): the headless
//! Service's addresses as `inet_res:getbyname` finds them, ours among them.

use std::net::IpAddr;

use crate::check::{
    Check, CheckInput, Servers, Status, dns_failed, list_ips, nxdomain, other_type, our_ip,
    timeout_check,
};
use crate::dns::{Outcome, RecordType, Records, Resolver, SearchRule};

/// `Cluster.Strategy.Kubernetes.DNS`: `:inet_res.getbyname(service, :a)`, names `app@<ip>`.
pub fn dns_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    let Some(service) = input.service.as_deref() else {
        checks.push(Check::new(
            "dns-a",
            Status::Skip,
            "A of the headless Service",
            "no --service given",
        ));
        return None;
    };
    let v6 = matches!(our_ip(input), Some(IpAddr::V6(_)));
    let rtype = if v6 { RecordType::Aaaa } else { RecordType::A };
    let id = if v6 { "dns-aaaa" } else { "dns-a" };
    let asked = format!("{rtype} {service} (as inet_res:getbyname does)");
    let lookup = resolver.lookup(service, rtype, SearchRule::InetRes);
    let servers = Servers::of(&lookup);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => {
            let names: Vec<String> = addrs
                .iter()
                .map(|ip| format!("{}@{ip}", input.basename))
                .collect();
            let answer = format!("{name} -> {}", list_ips(&addrs));
            checks.push(addresses_check(input, id, asked, answer, &addrs));
            Some(names)
        }
        Outcome::NxDomain => {
            checks.push(
                Check::new(id, Status::Fail, asked, nxdomain(&lookup.asked)).because(
                    "no Service by this name in the names searched: the name or namespace is wrong (a short name resolves only in the pod's own namespace, through the search list)",
                    "set libcluster's service: (and relnode's --service) to the headless Service's name, or its full name <service>.<namespace>.svc.<domain>",
                ),
            );
            None
        }
        Outcome::NoData { name } => {
            let other = if v6 { "IPv4" } else { "IPv6" };
            checks.push(
                Check::new(id, Status::Fail, asked, format!("{name} exists but has no {rtype} record")).because(
                    format!("the Service has no ready endpoint (no pod ready, or its selector matches none), or it is {other}-only"),
                    "check kubectl get endpointslices -l kubernetes.io/service-name=<service>; add publishNotReadyAddresses: true, or use --wait",
                ),
            );
            None
        }
        Outcome::Timeout => {
            checks.push(timeout_check(id, asked, input, &servers));
            None
        }
        Outcome::Failed(problem) => {
            checks.push(dns_failed(id, asked, problem));
            None
        }
        Outcome::Found { .. } => {
            checks.push(other_type(id, asked));
            None
        }
    }
}

/// The line for the Service's addresses: ours among them, or why not.
fn addresses_check(
    input: &CheckInput,
    id: &'static str,
    asked: String,
    answer: String,
    addrs: &[IpAddr],
) -> Check {
    let v6 = matches!(our_ip(input), Some(IpAddr::V6(_)));
    let ours = our_ip(input).is_some_and(|ip| addrs.contains(&ip));
    if ours && v6 {
        Check::new(id, Status::Warn, asked, format!("{answer} (ours among them)")).because(
            "libcluster 3.5.0's Kubernetes.DNS asks A records only, so an IPv6 Service gives :nxdomain and nothing is dialled",
            "give Kubernetes.DNS a resolver: that returns the AAAA answer as an :inet hostent, or use the dnssrv strategy or dns_cluster",
        )
    } else if ours {
        Check::new(id, Status::Ok, asked, format!("{answer} (ours among them)"))
    } else if addrs.len() == 1 {
        Check::new(id, Status::Fail, asked, answer).because(
            "one address that is not this pod's: the Service is not headless, so DNS gives its ClusterIP and peers would dial the Service, not the pods",
            "set clusterIP: None on the Service (a headless Service; clusterIP cannot be changed in place: recreate it)",
        )
    } else {
        Check::new(id, Status::Fail, asked, answer).because(
            format!("our IP {} is not among the Service's addresses: the pod is not ready and the Service lacks publishNotReadyAddresses, or the Service selects other pods", list_ips(&input.pod_ips)),
            "add publishNotReadyAddresses: true to the headless Service (clustering should not wait for readiness), check its selector, or use --wait until the pod is ready",
        )
    }
}
