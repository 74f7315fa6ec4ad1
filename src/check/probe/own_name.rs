//! `own-name`, every shape: the host part of our name resolves, through the pod's resolver
//! (glibc's search rules), to our pod IP.

use std::net::IpAddr;

use crate::check::{
    Check, CheckInput, Servers, Status, dns_failed, family, host_of, list_ips, nameservers,
    nxdomain, other_type, our_ip, timeout_check,
};
use crate::dns::{Outcome, Records, Resolver, SearchRule};
use crate::libcluster::names;
use crate::libcluster::{Mode, Strategy};

/// Every shape: the host part of our name resolves, through the pod's resolver, to our IP.
pub fn own_name(input: &CheckInput, resolver: &Resolver) -> Check {
    let host = host_of(&input.node_name);
    if host.parse::<IpAddr>().is_ok() {
        return Check::new(
            "own-name",
            Status::Skip,
            format!("resolve {host}"),
            "the host part is an IP address; peers dial it without DNS",
        );
    }
    let rtype = family(input);
    let asked = format!("{rtype} {host} via {}", nameservers(input));
    let lookup = resolver.lookup(host, rtype, SearchRule::Libc);
    let servers = Servers::of(&lookup);
    let zone_note = zone_mismatch(input, host);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => {
            let answer = format!("{name} -> {}", list_ips(&addrs));
            match our_ip(input) {
                Some(ip) if addrs.contains(&ip) => Check::new("own-name", Status::Ok, asked, format!("{answer} (our IP)")),
                Some(ip) => Check::new("own-name", Status::Fail, asked, answer).because(
                    format!("the name resolves, but not to our IP {ip}: another pod holds this name, or the record is stale"),
                    "make every pod's name unique (hostname, namespace), and check that the pod IP input (MY_POD_IP) is status.podIP",
                ),
                None => Check::new("own-name", Status::Warn, asked, answer).because(
                    "our pod IP is unknown, so the answer cannot be compared with it",
                    "set MY_POD_IP from the downward API (fieldRef status.podIP)",
                ),
            }
        }
        Outcome::Found { .. } => other_type("own-name", asked),
        Outcome::NxDomain | Outcome::NoData { .. } => {
            let nx = matches!(lookup.outcome, Outcome::NxDomain);
            let answer = if nx {
                nxdomain(&lookup.asked)
            } else {
                format!("the name exists but has no {rtype} record")
            };
            let (cause, fix) = missing_record(input, &zone_note);
            Check::new("own-name", Status::Fail, asked, answer).because(cause, fix)
        }
        Outcome::Timeout => timeout_check("own-name", asked, input, &servers),
        Outcome::Failed(problem) => dns_failed("own-name", asked, problem),
    }
}

/// Why our own record is missing, and the fix, by the shape that names it.
fn missing_record(input: &CheckInput, zone_note: &str) -> (String, String) {
    match (input.shape.strategy, input.shape.mode) {
        (Strategy::DnsSrv, Mode::Dns) => (
            format!(
                "a Deployment pod's record <ip-with-dashes>.<service>.<ns>.svc.<zone> exists only while the headless Service {} in {} selects the pod and the pod is ready (or the Service has publishNotReadyAddresses: true){zone_note}",
                input.service.as_deref().unwrap_or("?"),
                input.namespace.as_deref().unwrap_or("?"),
            ),
            "check the Service's clusterIP: None and selector; add publishNotReadyAddresses: true, or use --wait while the pod becomes ready".to_owned(),
        ),
        (_, Mode::Dns) => (
            format!(
                "pod A records (<ip-with-dashes>.<ns>.pod.<zone>) exist only when CoreDNS runs with `pods insecure` or `pods verified`; CoreDNS's own default is `pods disabled` and GKE's kube-dns has no pod records (kubeadm, kind and k3s turn them on){zone_note}"
            ),
            "add `pods insecure` to the kubernetes block of the CoreDNS Corefile (kubectl -n kube-system edit configmap coredns), or use mode :ip, or mode :hostname with a headless Service".to_owned(),
        ),
        (_, _) => (
            format!(
                "this per-pod record of a headless Service exists only when the pod has spec.hostname and spec.subdomain equal to the Service name (a StatefulSet sets both from serviceName), the Service {} in {} is headless (clusterIP: None) and selects the pod, and the pod is ready or the Service has publishNotReadyAddresses: true{zone_note}",
                input.service.as_deref().unwrap_or("?"),
                input.namespace.as_deref().unwrap_or("?"),
            ),
            "check the StatefulSet's serviceName and the Service's clusterIP: None; add publishNotReadyAddresses: true so peers find pods before they are ready; or use --wait while the pod becomes ready".to_owned(),
        ),
    }
}

/// `; the name's zone is X but the cluster's domain is Y` when our name ends in another zone.
fn zone_mismatch(input: &CheckInput, host: &str) -> String {
    let domain = input.cluster_domain.trim_end_matches('.');
    if host.ends_with(&format!(".{domain}")) {
        return String::new();
    }
    let zone = match (input.shape.strategy, input.shape.mode) {
        (Strategy::Kubernetes, _) => names::local_zone(&input.cluster_name),
        _ => host.split('.').skip(4).collect::<Vec<_>>().join("."),
    };
    format!(
        "; also, the name ends in {zone} but the cluster's domain is {domain}, so no server has it (for the kubernetes strategy set kubernetes_cluster_name so that <name>.local is the domain)"
    )
}
