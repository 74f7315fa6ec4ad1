//! Platform Kubernetes: the pod's facts from the downward API's env vars (MY_POD_IP,
//! MY_POD_IPS, MY_POD_NAMESPACE) and the files kubelet writes for the pod (resolv.conf,
//! /etc/hosts, the service account; parsed by `kubelet`), and remembers where each came from.
//! Only the facts the chosen shape needs are looked up, so an `ip`-mode pod never reads
//! resolv.conf or the hosts file.

use std::net::IpAddr;
use std::path::Path;

use super::kubelet::{Files, ResolvConf, ServiceAccount};
use super::{Entry, Platform};
use crate::error::{InputError, shown};
use crate::facts::{Common, Found, invalid};
use crate::inputs::{Id, Lookup, Source, Sourced, input};
use crate::libcluster::family::IpFamily;
use crate::libcluster::{Mode, NameError, Part, Shape, Strategy, erlang, names};

pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

pub const ENTRY: Entry = Entry {
    name: "kubernetes",
    aliases: &["k8s"],
    about: None,
    detection: None,
    platform: &Kubernetes,
};

type Result<T> = std::result::Result<T, InputError>;
/// A fact the shape may not need.
type Fact = Option<Sourced<String>>;

pub struct Kubernetes;

impl Platform for Kubernetes {
    fn gather(&self, common: &mut Common) -> crate::error::Result<Found> {
        let mut pod = Pod::new(common.lookup);
        let shape = common.shape(None, |strategy| pod.default_mode(strategy))?;
        // The basename is checked before the pod's own facts.
        let basename = common.basename()?;
        let hostname = if shape.needs_hostname() {
            Some(pod.hostname()?)
        } else {
            None
        };
        let ip = pod.ip(shape, hostname.as_ref())?;
        let namespace = if shape.needs_namespace() {
            Some(pod.namespace()?)
        } else {
            None
        };
        let mut warnings = Vec::new();
        let ns = namespace.as_ref().map(|n| n.value.as_str());
        let (cluster_domain, cluster_name) = pod.cluster(shape, ns, &mut warnings)?;
        let service = if shape.needs_service() {
            Some(pod.service(shape, hostname.as_ref())?)
        } else {
            None
        };
        if ip.dual_stack_unchosen
            && (shape.strategy == Strategy::DnsCluster
                || (shape.strategy == Strategy::DnsSrv && shape.mode == Mode::Dns))
        {
            warnings.push(dual_stack_note(shape, ip.chosen.as_ref()));
        }
        Ok(Found {
            basename: Some(basename),
            ip: ip.chosen,
            ipv6: ip.ipv6,
            namespace,
            cluster_domain,
            cluster_name,
            hostname,
            service,
            query: None,
            discovered: false,
            warnings,
        })
    }
}

/// The pod's namespace as `gather` finds it (flag, env vars, the service-account file,
/// resolv.conf), for a command that needs it whatever the shape: `check`'s API path. `None`
/// when nothing gives one; a file that exists but cannot be read is an error, as in `gather`.
#[cfg(feature = "check")]
pub fn namespace(lookup: &Lookup) -> Result<Option<Sourced<String>>> {
    let found = match lookup.text(Id::Namespace)? {
        Some(given) => Some(given),
        None => Pod::new(lookup).namespace_from_files()?,
    };
    if let Some(found) = &found {
        check_label(
            Id::Namespace,
            found,
            "use the pod's namespace as Kubernetes spells it, e.g. default",
        )?;
    }
    Ok(found)
}

/// The pod's IPs as MY_POD_IPS lists them (the downward API's `status.podIPs`, comma
/// separated; empty items skipped), each checked as the pod IP is: an item that is no address
/// a pod can be reached at is an error naming it, never skipped.
pub fn pod_ips(lookup: &Lookup) -> Result<Vec<Sourced<IpAddr>>> {
    let Some(given) = lookup.text(Id::PodIps)? else {
        return Ok(Vec::new());
    };
    given
        .value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let ip = parse_ip(Id::PodIps, &given, item)?;
            Ok(Sourced::new(ip, given.source.clone()))
        })
        .collect()
}

/// The cluster domain: `given` (`--cluster-domain`, CLUSTER_DOMAIN), else the domain of
/// kubelet's search entry `<ns>.svc.<domain>` in resolv.conf (preferring the pod's
/// `namespace`; `resolv` is read only then), else cluster.local with the warning to say.
/// Without its root dot, and checked as a DNS name.
pub fn cluster_domain<'r>(
    given: Option<Sourced<String>>,
    namespace: Option<&str>,
    resolv: impl FnOnce() -> Result<(&'r Path, &'r ResolvConf)>,
) -> Result<(Sourced<String>, Option<String>)> {
    let mut warning = None;
    let found = match given {
        Some(given) => given,
        None => {
            let (path, conf) = resolv()?;
            match conf.cluster_search(namespace) {
                Some(entry) => {
                    Sourced::new(entry.domain.to_owned(), Source::File(path.to_path_buf()))
                }
                None => {
                    warning = Some(format!(
                        "no cluster domain in {} (no search entry <ns>.svc.<domain>, as on a hostNetwork pod or a laptop); assuming {DEFAULT_CLUSTER_DOMAIN}. Set CLUSTER_DOMAIN or --cluster-domain to be sure.",
                        shown(path)
                    ));
                    Sourced::new(DEFAULT_CLUSTER_DOMAIN.to_owned(), Source::Default)
                }
            }
        }
    };
    let found = Sourced::new(
        erlang::strip_root_dot(&found.value).to_owned(),
        found.source,
    );
    if let Err(NameError::Invalid { problem, .. }) =
        erlang::domain(&found.value, Part::ClusterDomain)
    {
        return Err(invalid(
            Id::ClusterDomain,
            &found,
            &problem,
            "use the cluster's DNS domain, e.g. cluster.local",
        ));
    }
    Ok((found, warning))
}

/// The pod IP relnode names the node after, and what it says about the pod's families.
struct PodIp {
    chosen: Option<Sourced<IpAddr>>,
    /// Distribution must listen on IPv6.
    ipv6: bool,
    /// The pod has IPv4 and IPv6 addresses and no `--ip-family` chose between them.
    dual_stack_unchosen: bool,
}

/// One gathering's view of the pod.
struct Pod<'a> {
    lookup: &'a Lookup<'a>,
    files: Files<'a>,
}

impl<'a> Pod<'a> {
    fn new(lookup: &'a Lookup<'a>) -> Self {
        Pod {
            lookup,
            files: Files::new(lookup),
        }
    }

    /// libcluster's default, except DNSSRV, whose SRV target depends on the pod: its hostname
    /// when it has a subdomain (kubelet then writes its FQDN line in /etc/hosts), else, for a
    /// Deployment behind a headless Service, its dashed IP.
    fn default_mode(&mut self, strategy: Strategy) -> Result<Sourced<Mode>> {
        if strategy != Strategy::DnsSrv {
            return Ok(Sourced::new(strategy.default_mode(), Source::Default));
        }
        // Unchecked here: the hostname is checked where the name uses it.
        let hostname = match self.lookup.text(Id::Hostname)? {
            Some(given) => Some(given.value),
            None => kernel_hostname().ok(),
        };
        let (_, hosts) = self.files.hosts()?;
        if hostname.is_some_and(|host| hosts.pod_fqdn(&host).is_some()) {
            return Ok(Sourced::new(
                Mode::Hostname,
                Source::Derived("dnssrv default: the hosts file has the pod's FQDN line"),
            ));
        }
        if self.lookup.text(Id::Service)?.is_some() {
            return Ok(Sourced::new(
                Mode::Dns,
                Source::Derived(
                    "dnssrv default: no FQDN line in the hosts file (a Deployment), a --service given: the SRV target is the dashed IP",
                ),
            ));
        }
        Ok(Sourced::new(Mode::Hostname, Source::Default))
    }

    /// The pod IP, chosen from the primary IP and the dual-stack list by family.
    fn ip(&mut self, shape: Shape, hostname: Option<&Sourced<String>>) -> Result<PodIp> {
        let primary = match self.lookup.text(Id::PodIp)? {
            Some(s) => Some(Sourced::new(parse_ip(Id::PodIp, &s, &s.value)?, s.source)),
            None => None,
        };
        let list = pod_ips(self.lookup)?;
        let family = ip_family(self.lookup)?;
        let both_families =
            list.iter().any(|i| i.value.is_ipv6()) && list.iter().any(|i| i.value.is_ipv4());
        let dual_stack_unchosen = family.is_none() && both_families;
        let chosen = match family {
            None => primary.or_else(|| list.into_iter().next()),
            Some(want_v6) => by_family(primary, list, want_v6, shape)?,
        };
        if chosen.is_none() && shape.needs_ip() {
            let (ip, ips) = (input(Id::PodIp), input(Id::PodIps));
            return Err(InputError {
                subject: format!("{} ({}, {})", ip.what, ip.places(), ips.places()),
                found: None,
                problem: format!("is not set; {shape} names the node after the pod IP"),
                fix: "add the env var MY_POD_IP to the container from the downward API (valueFrom.fieldRef.fieldPath: status.podIP), or pass --pod-ip".into(),
            });
        }
        let ipv6 = match (&chosen, family) {
            (Some(ip), _) => ip.value.is_ipv6(),
            (None, Some(want_v6)) => want_v6,
            // No IP given and none needed (hostname modes): the family of the pod's own hosts
            // line decides, or an IPv6 pod would boot listening on IPv4 only.
            (None, None) => match hostname {
                Some(host) => {
                    let (_, hosts) = self.files.hosts()?;
                    hosts
                        .pod_fqdn(&host.value)
                        .is_some_and(|own| own.ip.is_ipv6())
                }
                None => false,
            },
        };
        Ok(PodIp {
            chosen,
            ipv6,
            dual_stack_unchosen,
        })
    }

    fn namespace(&mut self) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::Namespace)? {
            Some(given) => Some(given),
            None => self.namespace_from_files()?,
        };
        let Some(found) = found else {
            return Err(InputError {
                subject: input(Id::Namespace).subject(),
                found: None,
                problem: format!(
                    "is not set, and neither the service-account namespace file nor a resolv.conf search entry <ns>.svc.<domain> gave one (looked in {} and {})",
                    shown(self.files.service_account()?.namespace_file()),
                    shown(self.files.resolv_path()?.value)
                ),
                fix: "add the env var MY_POD_NAMESPACE from the downward API (valueFrom.fieldRef.fieldPath: metadata.namespace), or pass --namespace".into(),
            });
        };
        check_label(
            Id::Namespace,
            &found,
            "use the pod's namespace as Kubernetes spells it, e.g. default",
        )?;
        Ok(found)
    }

    fn namespace_from_files(&mut self) -> Result<Option<Sourced<String>>> {
        let account = self.files.service_account()?;
        let file = account.namespace_file();
        if let Some(bytes) = self.files.read(Id::ServiceAccountDir, &file, true)? {
            if let Some(ns) = ServiceAccount::parse_namespace(&bytes) {
                return Ok(Some(Sourced::new(ns, Source::File(file))));
            }
        }
        let (path, conf) = self.files.resolv()?;
        Ok(conf
            .cluster_search(None)
            .and_then(|entry| entry.namespace)
            .map(|ns| Sourced::new(ns.to_owned(), Source::File(path.clone()))))
    }

    fn cluster_name(&self) -> Result<Option<Sourced<String>>> {
        let Some(given) = self.lookup.text(Id::ClusterName)? else {
            return Ok(None);
        };
        let name = erlang::strip_root_dot(&given.value).to_owned();
        // libcluster appends `.local` itself: `cluster.local` would dial `….cluster.local.local`.
        if name == "local" || name.ends_with(".local") {
            return Err(invalid(
                Id::ClusterName,
                &given,
                "ends in .local, and libcluster appends .local itself: the names would end in .local.local",
                &format!(
                    "did you mean --cluster-domain {name}? The cluster name is the domain minus .local (e.g. cluster for cluster.local)"
                ),
            ));
        }
        Ok(Some(Sourced::new(name, given.source)))
    }

    /// The cluster domain and cluster name the shape needs; the name, unless given, is the
    /// domain minus `.local`.
    fn cluster(
        &mut self,
        shape: Shape,
        namespace: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Result<(Fact, Fact)> {
        let cluster_name_given = if shape.needs_cluster_name() {
            self.cluster_name()?
        } else {
            None
        };
        let cluster_domain = if shape.needs_cluster_domain()
            || (shape.needs_cluster_name() && cluster_name_given.is_none())
        {
            let given = self.lookup.text(Id::ClusterDomain)?;
            let (domain, warning) = cluster_domain(given, namespace, || {
                let (path, conf) = self.files.resolv()?;
                Ok((path.as_path(), conf))
            })?;
            warnings.extend(warning);
            Some(domain)
        } else {
            None
        };
        let cluster_name = match (shape.needs_cluster_name(), cluster_name_given) {
            (false, _) => None,
            (true, Some(given)) => Some(given),
            (true, None) => match &cluster_domain {
                Some(domain) => Some(cluster_name_from_domain(domain)?),
                None => None,
            },
        };
        Ok((cluster_domain, cluster_name))
    }

    fn hostname(&self) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::Hostname)? {
            Some(given) => given,
            None => {
                let bad = |problem: String| InputError {
                    subject: input(Id::Hostname).subject(),
                    found: None,
                    problem,
                    fix: format!("pass {}", input(Id::Hostname).set_hint()),
                };
                let first = kernel_hostname().map_err(bad)?;
                Sourced::new(first, Source::Kernel)
            }
        };
        check_label(
            Id::Hostname,
            &found,
            "a StatefulSet pod's hostname is its name, e.g. myapp-0",
        )?;
        Ok(found)
    }

    fn service(
        &mut self,
        shape: Shape,
        hostname: Option<&Sourced<String>>,
    ) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::Service)? {
            Some(given) => given,
            None => {
                let from_hosts = match hostname {
                    Some(host) => {
                        let (path, hosts) = self.files.hosts()?;
                        hosts
                            .pod_fqdn(&host.value)
                            .map(|own| Sourced::new(own.service, Source::File(path.clone())))
                    }
                    None => None,
                };
                match from_hosts {
                    Some(found) => found,
                    None => return Err(self.missing_service(shape, hostname)?),
                }
            }
        };
        check_label(
            Id::Service,
            &found,
            "use the headless Service's name, e.g. myapp-headless",
        )?;
        Ok(found)
    }

    fn missing_service(
        &mut self,
        shape: Shape,
        hostname: Option<&Sourced<String>>,
    ) -> Result<InputError> {
        let subject = input(Id::Service).subject();
        let fix = "pass --service or set RELNODE_SERVICE to the headless Service's name (the StatefulSet's serviceName, libcluster's kubernetes_service_name / service)";
        Ok(match hostname {
            Some(host) => {
                let (path, _) = self.files.hosts()?;
                InputError {
                    subject,
                    found: None,
                    problem: format!(
                        "is not set, and {} has no line for {}.<service>.<ns>.svc.<domain> (kubelet writes one only when the pod sets spec.hostname and spec.subdomain, as a StatefulSet does)",
                        shown(path),
                        host.value
                    ),
                    fix: if shape.strategy == Strategy::DnsSrv {
                        format!(
                            "{fix}; a Deployment's pods use --mode dns with the Service, their SRV target being the dashed IP"
                        )
                    } else {
                        fix.to_owned()
                    },
                }
            }
            None => InputError {
                subject,
                found: None,
                problem: format!(
                    "is not set; {shape} names the node <ip>.<service>.<ns>.svc.<domain>"
                ),
                fix: fix.to_owned(),
            },
        })
    }
}

/// `--ip-family`: `Some(true)` for IPv6.
pub(super) fn ip_family(lookup: &Lookup) -> Result<Option<bool>> {
    Ok(lookup
        .value::<IpFamily>(Id::IpFamily)?
        .map(|family| family.value == IpFamily::V6))
}

/// The pod IP of the family asked for: from the dual-stack list, or the primary IP without one.
fn by_family(
    primary: Option<Sourced<IpAddr>>,
    list: Vec<Sourced<IpAddr>>,
    want_v6: bool,
    shape: Shape,
) -> Result<Option<Sourced<IpAddr>>> {
    let candidates: Vec<_> = if list.is_empty() {
        primary.into_iter().collect()
    } else {
        list
    };
    let all: Vec<String> = candidates.iter().map(|c| c.value.to_string()).collect();
    match candidates
        .into_iter()
        .find(|c| c.value.is_ipv6() == want_v6)
    {
        Some(found) => Ok(Some(found)),
        None if all.is_empty() && !shape.needs_ip() => Ok(None),
        None => {
            let fam = if want_v6 { "IPv6" } else { "IPv4" };
            Err(InputError {
                subject: format!(
                    "{} and {}",
                    input(Id::PodIps).subject(),
                    input(Id::IpFamily).subject()
                ),
                found: Some(format!("the pod's IPs [{}]", all.join(", "))),
                problem: format!("hold no {fam} address, but the IP family asks for {fam}"),
                fix: "set MY_POD_IPS from the downward API (fieldRef status.podIPs) on a dual-stack pod, or drop --ip-family/RELNODE_IP_FAMILY to use the primary IP".into(),
            })
        }
    }
}

/// A dual-stack pod is found under two names, one per family, by the shapes that name nodes
/// after addresses DNS returns: say which one this node answers to.
fn dual_stack_note(shape: Shape, ip: Option<&Sourced<IpAddr>>) -> String {
    let chosen = ip.map(|i| i.value.to_string()).unwrap_or_default();
    let how = if shape.strategy == Strategy::DnsCluster {
        "dns_cluster looks up A and AAAA and dials <basename>@ every address"
    } else {
        "CoreDNS gives a dual-stack Deployment pod one SRV target per family (its dashed IPv4 and IPv6), and libcluster dials both"
    };
    format!(
        "a dual-stack pod with {shape}: {how}, so each peer is dialled under both families' names and only the one this node is named by ({chosen}) connects; the other dials fail harmlessly. Set --ip-family (RELNODE_IP_FAMILY) to choose: ipv4, or ipv6 (distribution then runs over IPv6)"
    )
}

/// The kernel hostname's first label (with setHostnameAsFQDN the kernel holds the FQDN).
fn kernel_hostname() -> std::result::Result<String, String> {
    let kernel = hostname::get()
        .map_err(|e| format!("is not set and the kernel hostname cannot be read: {e}"))?
        .into_string()
        .map_err(|raw| {
            format!(
                "is not set and the kernel hostname {} is not UTF-8",
                shown(raw)
            )
        })?;
    Ok(kernel.split('.').next().unwrap_or_default().to_owned())
}

pub(super) fn parse_ip(id: Id, given: &Sourced<String>, text: &str) -> Result<IpAddr> {
    let input = input(id);
    let bad = |problem: &str| InputError {
        subject: input.subject(),
        found: Some(if text == given.value {
            given.found()
        } else {
            format!("{} in {}", shown(text), given.found())
        }),
        problem: problem.to_owned(),
        fix: format!(
            "set {} from the downward API (valueFrom.fieldRef.fieldPath: {}), or pass {}",
            input.env[0],
            if id == Id::PodIps {
                "status.podIPs"
            } else {
                "status.podIP"
            },
            input.flag()
        ),
    };
    let ip: IpAddr = text.parse().map_err(|_| {
        bad("is not an IP address; expected IPv4 like 10.42.1.49 or IPv6 like fd00::1 (no brackets, port or zone)")
    })?;
    let unusable = match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    };
    if unusable {
        return Err(bad(
            "is not an address a pod can be reached at (unspecified, multicast or broadcast)",
        ));
    }
    Ok(ip)
}

fn check_label(id: Id, found: &Sourced<String>, fix: &str) -> Result<()> {
    match erlang::label_problem(&found.value) {
        Some(problem) => Err(invalid(id, found, &problem, fix)),
        None => Ok(()),
    }
}

fn cluster_name_from_domain(domain: &Sourced<String>) -> Result<Sourced<String>> {
    match names::cluster_name_for_domain(&domain.value) {
        Some(name) => Ok(Sourced::new(name.to_owned(), Source::Derived("the cluster domain minus .local"))),
        None => Err(InputError {
            subject: format!(
                "{} and {}",
                input(Id::ClusterName).subject(),
                input(Id::ClusterDomain).subject()
            ),
            found: Some(format!("cluster domain {}", domain.found())),
            problem: "does not end in .local, and libcluster's Cluster.Strategy.Kubernetes modes :dns and :hostname always dial <kubernetes_cluster_name>.local, a name this cluster's DNS does not serve".into(),
            fix: "use mode ip, or the dnssrv strategy (it dials the real domain); only if your DNS serves <name>.local, pass --cluster-name/RELNODE_CLUSTER_NAME with your kubernetes_cluster_name".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::PodFacts;
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;
    use crate::platform::gather;

    /// Inputs that never touch this machine's /etc files: empty kubelet files of the test's own.
    fn isolated(extra: &[(Id, &str)]) -> (tempfile::TempDir, PodArgs) {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = files(dir.path(), "", "");
        let args = args_of(&paths, extra);
        (dir, args)
    }

    fn gather_with(args: &PodArgs, pairs: &[(&str, &str)]) -> crate::error::Result<PodFacts> {
        let e = env(pairs);
        gather(&Lookup { args, env: &e }, None)
    }

    fn files(dir: &Path, resolv: &str, hosts: &str) -> Vec<(Id, String)> {
        std::fs::create_dir_all(dir.join("sa")).expect("sa dir");
        std::fs::write(dir.join("resolv.conf"), resolv).expect("write");
        std::fs::write(dir.join("hosts"), hosts).expect("write");
        vec![
            (
                Id::ResolvConf,
                dir.join("resolv.conf").display().to_string(),
            ),
            (Id::HostsFile, dir.join("hosts").display().to_string()),
            (Id::ServiceAccountDir, dir.join("sa").display().to_string()),
        ]
    }

    fn args_of(pairs: &[(Id, String)], extra: &[(Id, &str)]) -> PodArgs {
        let mut all: Vec<(Id, &str)> = pairs.iter().map(|(i, s)| (*i, s.as_str())).collect();
        all.extend_from_slice(extra);
        PodArgs::with(&all)
    }

    #[test]
    fn dual_stack_picks_by_family() {
        let e = [
            ("RELNODE_BASENAME", "app"),
            ("MY_POD_IP", "10.42.0.7"),
            ("MY_POD_IPS", "10.42.0.7,fd00:42::7"),
        ];
        let (_dir, args) = isolated(&[]);
        let facts = gather_with(&args, &e).expect("valid");
        assert_eq!(facts.ip.expect("ip").value.to_string(), "10.42.0.7");
        assert!(!facts.ipv6);
        let (_dir, args) = isolated(&[(Id::IpFamily, "ipv6")]);
        let facts = gather_with(&args, &e).expect("valid");
        assert_eq!(facts.ip.expect("ip").value.to_string(), "fd00:42::7");
        assert!(facts.ipv6);
        let e4 = [("RELNODE_BASENAME", "app"), ("MY_POD_IPS", "10.42.0.7")];
        assert!(gather_with(&args, &e4).is_err());
    }

    #[test]
    fn namespace_and_domain_fall_back_to_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = files(
            dir.path(),
            "search other.svc.corp.local svc.corp.local\n",
            "",
        );
        std::fs::write(dir.path().join("sa/namespace"), "payments\n").expect("write");
        let args = args_of(&paths, &[(Id::Mode, "dns")]);
        let facts = gather_with(
            &args,
            &[("RELNODE_BASENAME", "app"), ("MY_POD_IP", "10.1.2.3")],
        )
        .expect("valid");
        assert_eq!(
            facts.namespace.map(|n| (n.value, n.source)),
            Some((
                "payments".into(),
                Source::File(dir.path().join("sa/namespace"))
            ))
        );
        assert_eq!(
            facts.cluster_domain.map(|d| d.value),
            Some("corp.local".into())
        );
        assert_eq!(facts.cluster_name.map(|c| c.value), Some("corp".into()));
    }

    /// A default file that exists but cannot be used is an error, never a silent default.
    #[test]
    fn an_unusable_file_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = files(dir.path(), "", "");
        std::fs::remove_file(dir.path().join("resolv.conf")).expect("rm");
        std::fs::create_dir(dir.path().join("resolv.conf")).expect("dir in its place");
        let args = args_of(
            &paths,
            &[
                (Id::Strategy, "dnssrv"),
                (Id::Mode, "hostname"),
                (Id::Hostname, "web-0"),
                (Id::Service, "web"),
            ],
        );
        let err =
            gather_with(&args, &[("RELEASE_NAME", "a"), ("MY_POD_NAMESPACE", "n")]).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }

    #[test]
    fn default_domain_warns() {
        let (_dir, args) = isolated(&[(Id::Strategy, "dnssrv"), (Id::Mode, "hostname")]);
        let e = [
            ("RELNODE_BASENAME", "app"),
            ("RELNODE_HOSTNAME", "web-0"),
            ("RELNODE_SERVICE", "web"),
            ("MY_POD_NAMESPACE", "default"),
        ];
        let facts = gather_with(&args, &e).expect("valid");
        assert_eq!(
            facts.cluster_domain.map(|d| (d.value, d.source)),
            Some(("cluster.local".into(), Source::Default))
        );
        assert_eq!(facts.warnings.len(), 1, "{:?}", facts.warnings);
    }

    /// issue 12: DNSSRV's mode follows the pod: hostname with the FQDN hosts line (a
    /// StatefulSet), the dashed IP without it when a Service is given (a Deployment).
    #[test]
    fn dnssrv_mode_default_follows_the_hosts_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sts = files(
            dir.path(),
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n",
            "10.42.0.7\tweb-0.web.shop.svc.cluster.local\tweb-0\n",
        );
        let e = [
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.42.0.7"),
            ("MY_POD_NAMESPACE", "shop"),
        ];
        let args = args_of(
            &sts,
            &[
                (Id::Strategy, "dnssrv"),
                (Id::Hostname, "web-0"),
                (Id::Service, "web"),
            ],
        );
        let facts = gather_with(&args, &e).expect("valid");
        assert_eq!(facts.mode.value, Mode::Hostname);
        assert_eq!(
            facts.node_name().expect("name"),
            "app@web-0.web.shop.svc.cluster.local"
        );

        let deploy = files(
            dir.path(),
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n",
            "10.42.0.7\tapp-7d9f\n",
        );
        let args = args_of(
            &deploy,
            &[
                (Id::Strategy, "dnssrv"),
                (Id::Hostname, "app-7d9f"),
                (Id::Service, "app-headless"),
            ],
        );
        let facts = gather_with(&args, &e).expect("valid");
        assert_eq!(facts.mode.value, Mode::Dns);
        assert!(matches!(facts.mode.source, Source::Derived(_)));
        assert_eq!(
            facts.node_name().expect("name"),
            "app@10-42-0-7.app-headless.shop.svc.cluster.local"
        );
        // An explicit mode always wins.
        let args = args_of(
            &deploy,
            &[
                (Id::Strategy, "dnssrv"),
                (Id::Mode, "hostname"),
                (Id::Hostname, "app-7d9f"),
                (Id::Service, "app-headless"),
            ],
        );
        assert_eq!(
            gather_with(&args, &e).expect("valid").mode.value,
            Mode::Hostname
        );
    }

    /// issue 12, a Deployment's pod: dual stack, and no Service.
    #[test]
    fn dnssrv_mode_dns_needs_the_family_and_a_service() {
        let dir = tempfile::tempdir().expect("temp dir");
        let deploy = files(
            dir.path(),
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n",
            "10.42.0.7\tapp-7d9f\n",
        );
        let e = [
            ("RELEASE_NAME", "app"),
            ("MY_POD_IP", "10.42.0.7"),
            ("MY_POD_NAMESPACE", "shop"),
        ];
        // Dual stack: the family asked for gives the address CoreDNS holds for that Service.
        let args = args_of(
            &deploy,
            &[
                (Id::Strategy, "dnssrv"),
                (Id::Hostname, "app-7d9f"),
                (Id::Service, "app-headless"),
                (Id::IpFamily, "ipv6"),
            ],
        );
        let facts = gather_with(
            &args,
            &[
                ("RELEASE_NAME", "app"),
                ("MY_POD_IPS", "10.42.0.7,fd00::7"),
                ("MY_POD_NAMESPACE", "shop"),
            ],
        )
        .expect("valid");
        assert_eq!(
            facts.node_name().expect("name"),
            "app@fd00--7.app-headless.shop.svc.cluster.local"
        );
        assert!(facts.ipv6);
        // Without a Service there is nothing to name: exit 2 saying so.
        let args = args_of(&deploy, &[(Id::Strategy, "dnssrv"), (Id::Mode, "dns")]);
        let err = gather_with(&args, &e).unwrap_err().to_string();
        assert!(
            err.contains("--service") && err.contains("RELNODE_SERVICE"),
            "{err}"
        );
    }

    /// issue 7 #7: an IPv6 StatefulSet pod without MY_POD_IP still gets -proto_dist inet6_tcp.
    #[test]
    fn an_ipv6_hosts_line_makes_an_ipv6_pod() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = files(
            dir.path(),
            "search shop.svc.cluster.local svc.cluster.local cluster.local\n",
            "fd00:42::10\tweb-0.web.shop.svc.cluster.local\tweb-0\n",
        );
        let args = args_of(&paths, &[(Id::Strategy, "dnssrv"), (Id::Hostname, "web-0")]);
        let facts = gather_with(
            &args,
            &[("RELEASE_NAME", "app"), ("MY_POD_NAMESPACE", "shop")],
        )
        .expect("valid");
        assert!(facts.ip.is_none());
        assert!(facts.ipv6);
    }

    #[test]
    fn a_cluster_name_ending_in_local_asks_for_the_domain() {
        let (_dir, args) = isolated(&[(Id::Mode, "dns"), (Id::ClusterName, "cluster.local")]);
        let err = gather_with(
            &args,
            &[
                ("RELEASE_NAME", "a"),
                ("MY_POD_IP", "10.0.0.1"),
                ("MY_POD_NAMESPACE", "n"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--cluster-domain cluster.local"), "{err}");
    }

    /// One parse of MY_POD_IPS for every caller: a bad item is an error naming it and the
    /// variable, never dropped.
    #[test]
    fn pod_ips_are_parsed_once_and_strictly() {
        let args = PodArgs::default();
        let ips = |value: &str| {
            let e = env(&[("MY_POD_IPS", value)]);
            pod_ips(&Lookup {
                args: &args,
                env: &e,
            })
            .map(|ips| ips.iter().map(|i| i.value.to_string()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            ips(" 10.42.0.7, ,fd00::7 ,"),
            Ok(vec!["10.42.0.7".to_owned(), "fd00::7".to_owned()])
        );
        assert_eq!(ips(""), Ok(vec![]));
        for bad in ["10.42.0.7,pod", "10.42.0.7,0.0.0.0", "[fd00::7]"] {
            let err = ips(bad).unwrap_err();
            assert!(
                err.contains("MY_POD_IPS") && err.contains("status.podIPs"),
                "{err}"
            );
        }
    }

    /// One derivation of the cluster domain: given, else resolv.conf (read only then), else
    /// cluster.local with a warning.
    #[test]
    fn the_cluster_domain_is_derived_once() {
        let conf = ResolvConf::parse(b"search shop.svc.corp.local svc.corp.local corp.local\n");
        let path = Path::new("/etc/resolv.conf");
        let given = Sourced::new("example.com.".to_owned(), Source::Flag("cluster-domain"));
        let (domain, warning) =
            cluster_domain(Some(given), None, || panic!("resolv.conf read")).expect("valid");
        assert_eq!((domain.value.as_str(), warning), ("example.com", None));
        let (domain, warning) =
            cluster_domain(None, Some("shop"), || Ok((path, &conf))).expect("valid");
        assert_eq!(domain.source, Source::File(path.to_path_buf()));
        assert_eq!((domain.value.as_str(), warning), ("corp.local", None));
        let empty = ResolvConf::default();
        let (domain, warning) = cluster_domain(None, None, || Ok((path, &empty))).expect("valid");
        assert_eq!(
            (domain.value.as_str(), domain.source),
            (DEFAULT_CLUSTER_DOMAIN, Source::Default)
        );
        assert!(warning.is_some_and(|w| w.contains("/etc/resolv.conf")));
        let bad = Sourced::new("bad domain".to_owned(), Source::Env("CLUSTER_DOMAIN"));
        let err = cluster_domain(Some(bad), None, || Ok((path, &conf))).unwrap_err();
        assert!(err.to_string().contains("CLUSTER_DOMAIN"), "{err}");
    }
}
