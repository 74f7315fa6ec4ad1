//! Every name libcluster and dns_cluster build, each formula once: the host after '@' for each
//! shape, the dashed IPs, the SRV name DNSSRV asks for and the API host the API strategy dials.
//! [`node_name`] validates the parts and the result (relnode names its own node with it);
//! [`kubernetes_host`] is libcluster's verbatim transcription, which checks nothing (simulate
//! and check build the names peers will actually dial with it).

use std::net::{IpAddr, Ipv4Addr};

use super::erlang::{check_basename, check_name, domain, label, ntoa};
use super::{Mode, NameError, Part, Shape, Strategy};

/// What a name is built from; only the parts the shape needs must be present.
#[derive(Clone, Debug, Default)]
pub struct Parts<'a> {
    pub basename: &'a str,
    pub ip: Option<IpAddr>,
    pub hostname: Option<&'a str>,
    pub service: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// For DNSSRV: the cluster domain, e.g. `cluster.local`.
    pub cluster_domain: Option<&'a str>,
    /// For the API strategy's `dns`/`hostname` modes: libcluster's `kubernetes_cluster_name`.
    pub cluster_name: Option<&'a str>,
}

/// `<basename>@<host>`.
pub fn node(basename: &str, host: &str) -> String {
    format!("{basename}@{host}")
}

/// `<basename>@<:inet.ntoa(ip)>`: the API strategy's mode `:ip`, Kubernetes.DNS and
/// dns_cluster (kubernetes.ex, kubernetes_dns.ex, dns_cluster.ex).
#[cfg_attr(not(any(feature = "tools", feature = "check")), allow(dead_code))]
pub fn ip_node(basename: &str, ip: IpAddr) -> String {
    node(basename, &ntoa(ip))
}

/// `<first>.<service>.<namespace>.svc.<zone>`: a pod's name under a headless Service (the
/// API strategy's mode `:hostname`, DNSSRV's targets: a hostname or a dashed IP).
pub fn service_host(first: &str, service: &str, namespace: &str, zone: &str) -> String {
    format!("{first}.{service}.{namespace}.svc.{zone}")
}

/// `<dashed ip>.<namespace>.pod.<zone>`: the pod A record the API strategy's mode `:dns` dials.
pub fn pod_host(dashed: &str, namespace: &str, zone: &str) -> String {
    format!("{dashed}.{namespace}.pod.{zone}")
}

/// The API strategy's zone: libcluster writes `<kubernetes_cluster_name>.local` literally.
pub fn local_zone(cluster_name: &str) -> String {
    format!("{cluster_name}.local")
}

/// The cluster name libcluster must be configured with so that `<name>.local` is the cluster
/// domain; `None` when the domain does not end in `.local`.
pub fn cluster_name_for_domain(domain: &str) -> Option<&str> {
    domain
        .strip_suffix(".local")
        .filter(|name| !name.is_empty())
}

/// `10.42.1.49` → `10-42-1-49`: the pod A record label (every dot, and only dots).
pub fn dashed_ipv4(ip: Ipv4Addr) -> String {
    ip.to_string().replace('.', "-")
}

/// CoreDNS's label for an endpoint without a hostname: the IP with every `.` or `:` a dash
/// (`fd00::7` → `fd00--7`), from the canonical (Go, RFC 5952) form. A label may not end in
/// `-`, so since CoreDNS 1.12.3 an address ending in `::` gets a `0` (`fd00:42::` →
/// `fd00-42--0`).
pub fn dashed_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => dashed_ipv4(v4),
        IpAddr::V6(v6) => {
            let mut label = v6.to_string().replace(':', "-");
            if label.ends_with('-') {
                label.push('0');
            }
            label
        }
    }
}

/// [`dashed_ip`] of an address as the API wrote it; a string that is no address keeps its
/// characters, its separators dashed.
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub fn dashed_ip_text(ip: &str) -> String {
    match ip.parse() {
        Ok(ip) => dashed_ip(ip),
        Err(_) => ip.replace([':', '.'], "-"),
    }
}

/// The domain libcluster's DNSSRV appends when `CLUSTER_DOMAIN` is unset.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
pub const LIBCLUSTER_SRV_DOMAIN: &str = "cluster.local.";

/// The domain libcluster's DNSSRV appends: `CLUSTER_DOMAIN`, else `cluster.local.`.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
pub fn srv_domain(cluster_domain_env: Option<&str>) -> &str {
    cluster_domain_env
        .filter(|d| !d.is_empty())
        .unwrap_or(LIBCLUSTER_SRV_DOMAIN)
}

/// `CLUSTER_DOMAIN` that makes libcluster's DNSSRV ask in `domain`, with the root dot its
/// default has.
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub fn cluster_domain_env(domain: &str) -> String {
    format!("{domain}.")
}

/// The SRV name DNSSRV asks for: `<service>.<namespace>.svc.<domain>`.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
pub fn srv_query(service: &str, namespace: &str, domain: &str) -> String {
    format!("{service}.{namespace}.svc.{domain}")
}

/// The API host libcluster's Kubernetes strategy dials: `kubernetes_master` (default
/// `kubernetes.default.svc`) with `CLUSTER_DOMAIN`, else `<kubernetes_cluster_name>.local`,
/// appended unless the master already ends in it or in a dot.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
pub fn master_host(cluster_name: &str, cluster_domain_env: Option<&str>) -> String {
    let master = "kubernetes.default.svc";
    let domain = cluster_domain_env
        .filter(|d| !d.is_empty())
        .map_or_else(|| local_zone(cluster_name), str::to_owned);
    if master.ends_with(&domain) || master.ends_with('.') {
        master.to_owned()
    } else {
        format!("{master}.{domain}")
    }
}

/// Builds the node name the peers of this pod will dial, exactly as libcluster 3.5.0 does.
pub fn node_name(shape: Shape, parts: &Parts) -> Result<String, NameError> {
    check_basename(parts.basename)?;
    let host = host(shape, parts)?;
    let name = node(parts.basename, &host);
    check_name(&name, &host, parts.ip.is_some() && shape.uses_ip_literal())?;
    Ok(name)
}

fn need(value: Option<&str>, part: Part) -> Result<&str, NameError> {
    value.ok_or(NameError::Missing(part))
}

fn host(shape: Shape, parts: &Parts) -> Result<String, NameError> {
    let namespace = || label(need(parts.namespace, Part::Namespace)?, Part::Namespace);
    let service = || label(need(parts.service, Part::Service)?, Part::Service);
    let cluster_domain = || {
        domain(
            need(parts.cluster_domain, Part::ClusterDomain)?,
            Part::ClusterDomain,
        )
    };
    let ip = || parts.ip.ok_or(NameError::Missing(Part::Ip));
    match (shape.strategy, shape.mode) {
        // kubernetes.ex `:ip` and kubernetes_dns.ex: `:inet_parse.ntoa(ip)`.
        (_, Mode::Ip) => Ok(ntoa(ip()?)),
        // DNSSRV for a Deployment: CoreDNS names a hostname-less endpoint after its IP.
        (Strategy::DnsSrv, Mode::Dns) => {
            let ip = ip()?;
            let (service, namespace) = (service()?, namespace()?);
            Ok(service_host(
                &dashed_ip(ip),
                service,
                namespace,
                cluster_domain()?,
            ))
        }
        (Strategy::Kubernetes, Mode::Dns) => {
            let ip = match ip()? {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(v6) => {
                    return Err(NameError::Invalid {
                        part: Part::Ip,
                        problem: format!(
                            "is IPv6; libcluster's mode :dns replaces only dots, so it would dial \
                             {}@{v6}.<ns>.pod..., a name no DNS server has",
                            parts.basename
                        ),
                    });
                }
            };
            let namespace = namespace()?;
            let zone = cluster_name_zone(need(parts.cluster_name, Part::ClusterName)?)?;
            Ok(pod_host(&dashed_ipv4(ip), namespace, &zone))
        }
        (_, Mode::Hostname) => {
            let hostname = label(need(parts.hostname, Part::Hostname)?, Part::Hostname)?;
            let (service, namespace) = (service()?, namespace()?);
            let zone = if shape.strategy == Strategy::Kubernetes {
                cluster_name_zone(need(parts.cluster_name, Part::ClusterName)?)?
            } else {
                cluster_domain()?.to_owned()
            };
            Ok(service_host(hostname, service, namespace, &zone))
        }
        // Shape::new admits no other pair.
        (_, Mode::Dns) => Err(NameError::Missing(Part::Ip)),
    }
}

/// [`local_zone`] of a cluster name that is a DNS name.
fn cluster_name_zone(cluster_name: &str) -> Result<String, NameError> {
    Ok(local_zone(domain(cluster_name, Part::ClusterName)?))
}

/// The host libcluster 3.5.0's `Cluster.Strategy.Kubernetes` puts after '@' for one entry
/// of an API answer, verbatim (`format_node/5` in kubernetes.ex). libcluster interpolates the
/// API's strings and checks nothing: a missing hostname or service is an empty label, an IPv6
/// address keeps its colons in mode `:dns`. [`node_name`] is the validated counterpart.
#[cfg_attr(not(any(feature = "tools", feature = "check")), allow(dead_code))]
pub fn kubernetes_host(
    mode: Mode,
    ip: &str,
    hostname: Option<&str>,
    service: Option<&str>,
    namespace: &str,
    cluster_name: &str,
) -> String {
    let zone = local_zone(cluster_name);
    match mode {
        Mode::Ip => ip.to_owned(),
        Mode::Dns => pod_host(&ip.replace('.', "-"), namespace, &zone),
        Mode::Hostname => service_host(
            hostname.unwrap_or_default(),
            service.unwrap_or_default(),
            namespace,
            &zone,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libcluster::erlang::label_problem;

    fn shape(strategy: Strategy, mode: Mode) -> Shape {
        Shape::new(strategy, mode).expect("libcluster has this pair")
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("test IP"))
    }

    /// The seed article's and libcluster's documented examples, one per shape.
    #[test]
    fn names_match_libcluster_examples() {
        let cases: &[(Shape, Parts, &str)] = &[
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "myapp",
                    ip: ip("10.42.1.49"),
                    ..Parts::default()
                },
                "myapp@10.42.1.49",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Dns),
                Parts {
                    basename: "app",
                    ip: ip("10.42.2.46"),
                    namespace: Some("default"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "app@10-42-2-46.default.pod.cluster.local",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Hostname),
                Parts {
                    basename: "myapp",
                    hostname: Some("both-0"),
                    service: Some("both"),
                    namespace: Some("default"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "myapp@both-0.both.default.svc.cluster.local",
            ),
            (
                shape(Strategy::Dns, Mode::Ip),
                Parts {
                    basename: "myapp",
                    ip: ip("10.42.1.61"),
                    ..Parts::default()
                },
                "myapp@10.42.1.61",
            ),
            (
                shape(Strategy::DnsSrv, Mode::Hostname),
                Parts {
                    basename: "myapp",
                    hostname: Some("both-1"),
                    service: Some("both"),
                    namespace: Some("default"),
                    cluster_domain: Some("cluster.local"),
                    ..Parts::default()
                },
                "myapp@both-1.both.default.svc.cluster.local",
            ),
            // libcluster's own test suite (test/kubernetes_test.exs, "works with pods" and
            // "works with pods and dns").
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "test_basename",
                    ip: ip("10.48.33.136"),
                    ..Parts::default()
                },
                "test_basename@10.48.33.136",
            ),
            (
                shape(Strategy::Kubernetes, Mode::Dns),
                Parts {
                    basename: "test_basename",
                    ip: ip("10.48.33.136"),
                    namespace: Some("airatel-service-localization"),
                    cluster_name: Some("cluster"),
                    ..Parts::default()
                },
                "test_basename@10-48-33-136.airatel-service-localization.pod.cluster.local",
            ),
            // IPv6 in ip mode: the compressed form :inet.ntoa prints.
            (
                shape(Strategy::Kubernetes, Mode::Ip),
                Parts {
                    basename: "app",
                    ip: ip("FD00:0:0:0:0:0:0:A"),
                    ..Parts::default()
                },
                "app@fd00::a",
            ),
            // A non-default cluster domain.
            (
                shape(Strategy::DnsSrv, Mode::Hostname),
                Parts {
                    basename: "app",
                    hostname: Some("web-2"),
                    service: Some("web"),
                    namespace: Some("prod"),
                    cluster_domain: Some("k8s.example.org"),
                    ..Parts::default()
                },
                "app@web-2.web.prod.svc.k8s.example.org",
            ),
        ];
        for (shape, parts, want) in cases {
            assert_eq!(node_name(*shape, parts).as_deref(), Ok(*want), "{shape}");
        }
    }

    /// dns_cluster's own doc example: `myapp-123@fdaa:1:36c9:a7b:198:c4b1:73c6:1`, the
    /// basename followed by `:inet.ntoa` of an AAAA answer.
    #[test]
    fn dnscluster_names_are_basename_at_ntoa() {
        let dnscluster = shape(Strategy::DnsCluster, Mode::Ip);
        for (address, want) in [
            (
                "fdaa:1:36c9:a7b:198:c4b1:73c6:1",
                "myapp-123@fdaa:1:36c9:a7b:198:c4b1:73c6:1",
            ),
            ("10.42.1.49", "myapp-123@10.42.1.49"),
        ] {
            let parts = Parts {
                basename: "myapp-123",
                ip: ip(address),
                ..Parts::default()
            };
            assert_eq!(node_name(dnscluster, &parts).as_deref(), Ok(want));
        }
    }

    #[test]
    fn dashed_labels_replace_only_separators() {
        for (ip, want) in [
            ("10.42.2.46", "10-42-2-46"),
            ("0.0.0.0", "0-0-0-0"),
            ("fd00::7", "fd00--7"),
            ("FD00:0:0:0:0:0:42:7", "fd00--42-7"),
            ("2001:db8:1:2:3:4:5:6", "2001-db8-1-2-3-4-5-6"),
            ("fd00:42::", "fd00-42--0"),
        ] {
            let dashed = dashed_ip(ip.parse().expect("test IP"));
            assert_eq!(dashed, want);
            assert!(label_problem(&dashed).is_none(), "{dashed} is a DNS label");
        }
    }

    /// issue 12: a Deployment pod's SRV target is its dashed IP under the headless Service.
    #[test]
    fn dnssrv_dns_mode_names_the_dashed_ip_target() {
        let srv = shape(Strategy::DnsSrv, Mode::Dns);
        for (pod_ip, want) in [
            (
                "10.42.3.71",
                "app@10-42-3-71.headless-service.default.svc.cluster.local",
            ),
            (
                "fd00::7",
                "app@fd00--7.headless-service.default.svc.cluster.local",
            ),
        ] {
            let parts = Parts {
                basename: "app",
                ip: ip(pod_ip),
                service: Some("headless-service"),
                namespace: Some("default"),
                cluster_domain: Some("cluster.local"),
                ..Parts::default()
            };
            assert_eq!(node_name(srv, &parts).as_deref(), Ok(want));
        }
        let no_service = Parts {
            basename: "app",
            ip: ip("10.42.3.71"),
            namespace: Some("default"),
            cluster_domain: Some("cluster.local"),
            ..Parts::default()
        };
        assert_eq!(
            node_name(srv, &no_service),
            Err(NameError::Missing(Part::Service))
        );
    }

    #[test]
    fn ipv6_is_refused_in_dns_mode() {
        let parts = Parts {
            basename: "app",
            ip: ip("fd00::1"),
            namespace: Some("default"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Dns), &parts).unwrap_err();
        assert!(
            matches!(err, NameError::Invalid { part: Part::Ip, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn bad_parts_are_refused() {
        let good = Parts {
            basename: "app",
            hostname: Some("web-0"),
            service: Some("web"),
            namespace: Some("default"),
            cluster_domain: Some("cluster.local"),
            ..Parts::default()
        };
        let srv = shape(Strategy::DnsSrv, Mode::Hostname);
        assert!(node_name(srv, &good).is_ok());
        let long = "a".repeat(64);
        let cases: Vec<(Parts, Part)> = vec![
            (
                Parts {
                    basename: "my.app",
                    ..good.clone()
                },
                Part::Basename,
            ),
            (
                Parts {
                    basename: "my app",
                    ..good.clone()
                },
                Part::Basename,
            ),
            (
                Parts {
                    hostname: Some("Web-0"),
                    ..good.clone()
                },
                Part::Hostname,
            ),
            (
                Parts {
                    hostname: Some(&long),
                    ..good.clone()
                },
                Part::Hostname,
            ),
            (
                Parts {
                    service: Some("-web"),
                    ..good.clone()
                },
                Part::Service,
            ),
            (
                Parts {
                    namespace: Some("de_fault"),
                    ..good.clone()
                },
                Part::Namespace,
            ),
            (
                Parts {
                    cluster_domain: Some("cluster..local"),
                    ..good.clone()
                },
                Part::ClusterDomain,
            ),
            (
                Parts {
                    cluster_domain: Some("cluster.local."),
                    ..good.clone()
                },
                Part::ClusterDomain,
            ),
        ];
        for (parts, part) in cases {
            match node_name(srv, &parts) {
                Err(NameError::Invalid { part: got, .. }) => assert_eq!(got, part),
                other => panic!("{parts:?}: expected {part:?} refused, got {other:?}"),
            }
        }
        let missing = Parts {
            service: None,
            ..good.clone()
        };
        assert_eq!(
            node_name(srv, &missing),
            Err(NameError::Missing(Part::Service))
        );
    }

    /// libcluster's tests also use `kubernetes_cluster_name: "my_cluster"` and
    /// `kubernetes_service_name: "my_service"`. Erlang would accept those names, but no
    /// Kubernetes cluster domain or Service can contain '_', so the name could never be dialled:
    /// relnode refuses them rather than boot a node nobody reaches.
    #[test]
    fn underscored_cluster_and_service_names_are_refused() {
        let parts = Parts {
            basename: "test_basename",
            ip: ip("10.48.33.136"),
            namespace: Some("airatel-service-localization"),
            cluster_name: Some("my_cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Dns), &parts).unwrap_err();
        assert!(
            matches!(
                err,
                NameError::Invalid {
                    part: Part::ClusterName,
                    ..
                }
            ),
            "{err:?}"
        );
        let parts = Parts {
            basename: "test_basename",
            hostname: Some("my-hostname-0"),
            service: Some("my_service"),
            namespace: Some("airatel-service-localization"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Hostname), &parts).unwrap_err();
        assert!(
            matches!(
                err,
                NameError::Invalid {
                    part: Part::Service,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn whole_name_limits_hold() {
        // Four 63-character labels make a host of 255 > 253.
        let l = "a".repeat(63);
        let domain = format!("{l}.{l}");
        let parts = Parts {
            basename: "app",
            hostname: Some(&l),
            service: Some(&l),
            namespace: Some("ns"),
            cluster_domain: Some(&domain),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::DnsSrv, Mode::Hostname), &parts).unwrap_err();
        assert!(matches!(err, NameError::Name { .. }), "{err:?}");
        // A 250-character basename makes the whole name exceed 255.
        let base = "b".repeat(250);
        let parts = Parts {
            basename: &base,
            ip: ip("10.0.0.1"),
            ..Parts::default()
        };
        let err = node_name(shape(Strategy::Kubernetes, Mode::Ip), &parts).unwrap_err();
        assert!(matches!(err, NameError::Name { .. }), "{err:?}");
    }

    /// libcluster's verbatim names equal the validated ones where both exist, and keep the
    /// broken shapes (`app@.svc…`, colons in `:dns`) where relnode refuses.
    #[test]
    fn libcluster_hosts_are_verbatim() {
        let host = |mode, ip, h, s| kubernetes_host(mode, ip, h, s, "shop", "cluster");
        assert_eq!(host(Mode::Ip, "10.42.0.5", None, None), "10.42.0.5");
        assert_eq!(
            host(Mode::Dns, "10.42.0.5", None, None),
            "10-42-0-5.shop.pod.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", Some("db-0"), Some("db")),
            "db-0.db.shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", None, Some("db")),
            ".db.shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Hostname, "10.42.0.5", None, None),
            "..shop.svc.cluster.local"
        );
        assert_eq!(
            host(Mode::Dns, "fd00::5", None, None),
            "fd00::5.shop.pod.cluster.local"
        );
        let parts = Parts {
            basename: "app",
            ip: ip("10.42.0.5"),
            hostname: Some("db-0"),
            service: Some("db"),
            namespace: Some("shop"),
            cluster_name: Some("cluster"),
            ..Parts::default()
        };
        for mode in [Mode::Ip, Mode::Dns, Mode::Hostname] {
            let want = node_name(shape(Strategy::Kubernetes, mode), &parts).expect("valid");
            let got = host(mode, "10.42.0.5", Some("db-0"), Some("db"));
            assert_eq!(format!("app@{got}"), want, "{mode}");
        }
    }

    #[test]
    fn cluster_name_comes_from_a_local_domain() {
        assert_eq!(cluster_name_for_domain("cluster.local"), Some("cluster"));
        assert_eq!(cluster_name_for_domain("k8s.local"), Some("k8s"));
        assert_eq!(cluster_name_for_domain("local"), None);
        assert_eq!(cluster_name_for_domain("cluster.example"), None);
    }

    /// libcluster's API host and DNSSRV query follow CLUSTER_DOMAIN, else their defaults.
    #[test]
    fn libclusters_own_queries_follow_cluster_domain() {
        assert_eq!(
            master_host("cluster", None),
            "kubernetes.default.svc.cluster.local"
        );
        assert_eq!(
            master_host("k8s", Some("")),
            "kubernetes.default.svc.k8s.local"
        );
        assert_eq!(
            master_host("cluster", Some("corp.example")),
            "kubernetes.default.svc.corp.example"
        );
        assert_eq!(
            master_host("cluster", Some("svc")),
            "kubernetes.default.svc"
        );
        assert_eq!(srv_domain(None), "cluster.local.");
        assert_eq!(srv_domain(Some("")), "cluster.local.");
        assert_eq!(srv_domain(Some("k8s.example.")), "k8s.example.");
        assert_eq!(
            srv_query("web", "shop", srv_domain(None)),
            "web.shop.svc.cluster.local."
        );
        assert_eq!(cluster_domain_env("k8s.example"), "k8s.example.");
        assert_eq!(dashed_ip_text("fd00::7"), "fd00--7");
        assert_eq!(dashed_ip_text("10.0.0.x"), "10-0-0-x");
    }
}
