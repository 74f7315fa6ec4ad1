//! `api-host`, the kubernetes strategy: the API host libcluster builds (from
//! `kubernetes_master` and `CLUSTER_DOMAIN`) resolves from the pod, over IPv4 as `:httpc` asks.

use crate::check::{
    Check, CheckInput, Servers, Status, dns_failed, list_ips, nxdomain, other_type, timeout_check,
};
use crate::dns::{Outcome, RecordType, Records, Resolver, SearchRule};
use crate::libcluster::names;

/// libcluster's API host resolves from the pod (it dials the name, not KUBERNETES_SERVICE_HOST).
pub fn api_host(input: &CheckInput, resolver: &Resolver) -> Check {
    let master = libcluster_master(input);
    let asked = format!("A {master} (libcluster's API host)");
    let lookup = resolver.lookup(&master, RecordType::A, SearchRule::Libc);
    let servers = Servers::of(&lookup);
    match lookup.outcome {
        Outcome::Found {
            name,
            records: Records::Addrs(addrs),
        } => Check::new(
            "api-host",
            Status::Ok,
            asked,
            format!("{name} -> {}", list_ips(&addrs)),
        ),
        Outcome::NoData { .. } => {
            let v6 = resolver.lookup(&master, RecordType::Aaaa, SearchRule::Libc);
            let answer = match v6.outcome {
                Outcome::Found {
                    records: Records::Addrs(a),
                    ..
                } => format!("AAAA only: {}", list_ips(&a)),
                _ => "no A record".into(),
            };
            Check::new("api-host", Status::Warn, asked, answer).because(
                "libcluster's :httpc resolves the API host over IPv4 only, so every poll fails with nxdomain on an IPv6-only cluster",
                "call :httpc.set_options(ipfamily: :inet6fb4) when the application starts",
            )
        }
        Outcome::NxDomain => {
            let domain = input.cluster_domain.trim_end_matches('.');
            Check::new("api-host", Status::Fail, asked, nxdomain(&lookup.asked)).because(
                format!("libcluster builds the API host from CLUSTER_DOMAIN, else <kubernetes_cluster_name>.local ({}), but the cluster's domain is {domain}", names::local_zone(&input.cluster_name)),
                format!("set CLUSTER_DOMAIN={domain} in the release's environment, or kubernetes_master: \"kubernetes.default.svc.{domain}\""),
            )
        }
        Outcome::Timeout => timeout_check("api-host", asked, input, &servers),
        Outcome::Failed(problem) => dns_failed("api-host", asked, problem),
        Outcome::Found { .. } => other_type("api-host", asked),
    }
}

/// The host libcluster builds from `kubernetes_master` (default `kubernetes.default.svc`).
fn libcluster_master(input: &CheckInput) -> String {
    names::master_host(&input.cluster_name, input.libcluster_domain_env.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::input;
    use crate::libcluster::Mode;

    #[test]
    fn master_host_follows_cluster_domain_env() {
        let mut i = input(Mode::Ip);
        assert_eq!(
            libcluster_master(&i),
            "kubernetes.default.svc.cluster.local"
        );
        i.libcluster_domain_env = Some("k8s.example".into());
        assert_eq!(libcluster_master(&i), "kubernetes.default.svc.k8s.example");
    }
}
