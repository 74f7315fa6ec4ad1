//! `dnssrv`, the dnssrv strategy (`Cluster.Strategy.Kubernetes.DNSSRV`): the SRV targets of
//! libcluster's query, our FQDN among them; when it is not, which fact differs.

use crate::check::{
    Check, CheckInput, Servers, Status, dns_failed, host_of, other_type, timeout_check,
};
use crate::dns::{Outcome, RecordType, Records, Resolver, SearchRule};
use crate::libcluster::Mode;
use crate::libcluster::names;

/// A kube-dns hash label (kubernetes#51326) or CoreDNS's dashed IP: the pod has no hostname.
fn looks_generated(label: &str) -> bool {
    let hex = label.len() >= 8 && label.bytes().all(|b| b.is_ascii_hexdigit());
    let dashed_ip =
        label.split('-').count() == 4 && label.split('-').all(|p| p.parse::<u8>().is_ok());
    hex || dashed_ip
}

/// `Cluster.Strategy.Kubernetes.DNSSRV`: SRV `<service>.<ns>.svc.<CLUSTER_DOMAIN or cluster.local.>`.
pub fn srv_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    let (Some(service), Some(namespace)) = (input.service.as_deref(), input.namespace.as_deref())
    else {
        checks.push(Check::new(
            "dnssrv",
            Status::Skip,
            "SRV of the headless Service",
            "no service or namespace",
        ));
        return None;
    };
    let domain = names::srv_domain(input.libcluster_domain_env.as_deref());
    let query = names::srv_query(service, namespace, domain);
    let asked = format!("SRV {query} (libcluster's query)");
    let domain_note = domain_note(input, domain);
    let lookup = resolver.lookup(&query, RecordType::Srv, SearchRule::InetRes);
    let servers = Servers::of(&lookup);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Srv(srvs),
        } => {
            let targets: Vec<&str> = srvs.iter().map(|s| s.target.as_str()).collect();
            let dialled: Vec<String> = targets
                .iter()
                .map(|t| names::node(&input.basename, t))
                .collect();
            let answer = format!("{name} -> {}", targets.join(", "));
            let our_host = host_of(&input.node_name);
            let check = if targets.contains(&our_host) {
                Check::new(
                    "dnssrv",
                    Status::Ok,
                    asked,
                    format!("{answer} (ours among them)"),
                )
            } else {
                let (cause, fix) = missing_cause(input, service, &query, &targets);
                Check::new("dnssrv", Status::Fail, asked, answer)
                    .because(format!("{cause}{domain_note}"), fix)
            };
            checks.push(check);
            Some(dialled)
        }
        Outcome::NxDomain | Outcome::NoData { .. } => {
            let answer = match &lookup.outcome {
                Outcome::NxDomain => "NXDOMAIN".to_owned(),
                _ => "the name exists but has no SRV record".to_owned(),
            };
            checks.push(Check::new("dnssrv", Status::Fail, asked, answer).because(
                format!("a headless Service with no port has no SRV records (libcluster #121); or the Service {service}, the namespace {namespace} or the domain is wrong, or no pod is ready{domain_note}"),
                "give the headless Service a port (any port, e.g. name: epmd, port: 4369), check service: and namespace: in libcluster's config, and add publishNotReadyAddresses: true",
            ));
            None
        }
        Outcome::Timeout => {
            checks.push(timeout_check("dnssrv", asked, input, &servers));
            None
        }
        Outcome::Failed(problem) => {
            checks.push(dns_failed("dnssrv", asked, problem));
            None
        }
        Outcome::Found { .. } => {
            checks.push(other_type("dnssrv", asked));
            None
        }
    }
}

/// When libcluster's domain is not the cluster's: what to set.
fn domain_note(input: &CheckInput, domain: &str) -> String {
    let ours_domain = input.cluster_domain.trim_end_matches('.');
    if domain.trim_end_matches('.') != ours_domain {
        format!(
            "; libcluster appends {domain} (CLUSTER_DOMAIN {}) but the cluster's domain is {ours_domain}: set CLUSTER_DOMAIN={ours_domain}. in the release's environment",
            if input.libcluster_domain_env.is_some() {
                "as set"
            } else {
                "unset"
            }
        )
    } else {
        String::new()
    }
}

/// Why our host is not among the SRV targets, and the fix.
fn missing_cause(
    input: &CheckInput,
    service: &str,
    query: &str,
    targets: &[&str],
) -> (String, String) {
    let our_host = host_of(&input.node_name);
    let service_fqdn = query.trim_end_matches('.');
    if targets.contains(&service_fqdn) {
        (
            "the target is the Service's own name: the Service is not headless, so every peer would dial app@<service name> (libcluster #149)".to_owned(),
            "set clusterIP: None on the Service (recreate it)".to_owned(),
        )
    } else if input.shape.mode == Mode::Hostname
        && targets
            .iter()
            .any(|t| looks_generated(t.split('.').next().unwrap_or("")))
    {
        (
            "targets are named by a hash (kube-dns) or the pod IP (CoreDNS): the pods have no spec.hostname/spec.subdomain, so their names cannot be ours (kubernetes#51326)".to_owned(),
            format!("run the pods as a StatefulSet with serviceName: {service}, or set spec.hostname and spec.subdomain: {service}"),
        )
    } else {
        (
            format!("{our_host} is not among the targets: the pod is not ready and the Service lacks publishNotReadyAddresses, or the hostname, service or namespace differ{}", differing_fact(input, targets)),
            "add publishNotReadyAddresses: true to the headless Service, check the StatefulSet's serviceName, or use --wait until the pod is ready".to_owned(),
        )
    }
}

/// For a hostname-shaped name missing from `hosts`: which part of ours differs from the
/// closest one (same first label).
fn differing_fact(input: &CheckInput, hosts: &[&str]) -> String {
    let ours: Vec<&str> = host_of(&input.node_name).split('.').collect();
    let Some(closest) = hosts
        .iter()
        .find(|h| h.split('.').next() == ours.first().copied())
    else {
        return format!(
            "; no target starts with our hostname {}",
            ours.first().unwrap_or(&"")
        );
    };
    let theirs: Vec<&str> = closest.split('.').collect();
    let parts = ["hostname", "service", "namespace", "svc", "domain"];
    let differs: Vec<&str> = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            if *i == 4 {
                ours.get(4..) != theirs.get(4..)
            } else {
                ours.get(*i) != theirs.get(*i)
            }
        })
        .map(|(_, p)| *p)
        .collect();
    format!(
        "; the closest target {closest} differs in: {}",
        differs.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_target_labels() {
        assert!(looks_generated("6c35363039306361"));
        assert!(looks_generated("10-42-1-49"));
        assert!(!looks_generated("pod-0"));
        assert!(!looks_generated("cafe"));
    }
}
