//! The files kubelet gives a pod: `/etc/resolv.conf` (parsed by the resolver, `dns::conf`;
//! what kubelet writes into its search list is read here), `/etc/hosts`, and the
//! service-account directory. Pure parsers that read bytes: one stray non-UTF-8 byte (in a comment, say)
//! costs only the word it is in, never the whole file. [`Files`] reads them where the inputs
//! place them, bounded and at most once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use crate::dns::ResolvConf;
use crate::dns::words;
use crate::error::{InputError, shown};
use crate::files::{self, ReadError};
use crate::inputs::{
    DEFAULT_HOSTS_FILE, DEFAULT_RESOLV_CONF, DEFAULT_SERVICE_ACCOUNT_DIR, Id, Lookup, Source,
    Sourced, input,
};

type Result<T> = std::result::Result<T, InputError>;

/// The kubelet search entry `<ns>.svc.<domain>` (or `svc.<domain>` alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterSearch<'a> {
    pub namespace: Option<&'a str>,
    pub domain: &'a str,
}

impl ResolvConf {
    /// The namespace and cluster domain in a kubelet search list
    /// (`<ns>.svc.<domain> svc.<domain> <domain>`): the `<label>.svc.<domain>` entry whose label
    /// is `namespace` when known, else the first one, else `svc.<domain>` for the domain alone.
    pub fn cluster_search(&self, namespace: Option<&str>) -> Option<ClusterSearch<'_>> {
        let namespaced = self.search.iter().filter_map(|entry| {
            let (ns, domain) = entry.split_once(".svc.")?;
            (!ns.is_empty() && !ns.contains('.') && !domain.is_empty()).then_some(ClusterSearch {
                namespace: Some(ns),
                domain,
            })
        });
        let preferred = namespaced
            .clone()
            .find(|entry| namespace.is_some() && entry.namespace == namespace);
        preferred.or_else(|| namespaced.clone().next()).or_else(|| {
            self.search.iter().find_map(|e| {
                e.strip_prefix("svc.")
                    .filter(|d| !d.is_empty())
                    .map(|domain| ClusterSearch {
                        namespace: None,
                        domain,
                    })
            })
        })
    }
}

/// One line of a hosts file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostsLine {
    pub ip: IpAddr,
    pub names: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    pub lines: Vec<HostsLine>,
}

/// A StatefulSet pod's own line: `IP host.<service>.<ns>.svc.<domain> host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodFqdn {
    pub ip: IpAddr,
    pub service: String,
    pub namespace: String,
    pub domain: String,
}

impl Hosts {
    pub fn parse(bytes: &[u8]) -> Hosts {
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter_map(|line| {
                let mut words = words(line);
                let ip = words.next()?.parse().ok()?;
                Some(HostsLine {
                    ip,
                    names: words.map(str::to_owned).collect(),
                })
            })
            .collect();
        Hosts { lines }
    }

    /// The first line naming `hostname.<service>.<ns>.svc.<domain>` (kubelet writes it only
    /// when the pod sets `spec.hostname` and `spec.subdomain`, as a StatefulSet does).
    pub fn pod_fqdn(&self, hostname: &str) -> Option<PodFqdn> {
        self.lines.iter().find_map(|line| {
            line.names.iter().find_map(|name| {
                let rest = name.strip_prefix(hostname)?.strip_prefix('.')?;
                let (service, rest) = rest.split_once('.')?;
                let (namespace, rest) = rest.split_once('.')?;
                let domain = rest.strip_prefix("svc.")?.trim_end_matches('.');
                (!service.is_empty() && !namespace.is_empty() && !domain.is_empty()).then(|| {
                    PodFqdn {
                        ip: line.ip,
                        service: service.to_owned(),
                        namespace: namespace.to_owned(),
                        domain: domain.to_owned(),
                    }
                })
            })
        })
    }
}

/// The files kubelet mounts for the pod's service account.
#[derive(Clone, Debug)]
pub struct ServiceAccount {
    pub dir: PathBuf,
}

impl ServiceAccount {
    pub fn new(dir: &Path) -> ServiceAccount {
        ServiceAccount {
            dir: dir.to_owned(),
        }
    }

    pub fn namespace_file(&self) -> PathBuf {
        self.dir.join("namespace")
    }

    /// The namespace file's content, trimmed as libcluster trims it; `None` when it holds no
    /// text.
    pub fn parse_namespace(bytes: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(bytes.trim_ascii()).ok()?;
        (!text.is_empty()).then(|| text.to_owned())
    }
}

/// The pod's kubelet files where the inputs place them, each read at most once, bounded.
pub struct Files<'a> {
    lookup: &'a Lookup<'a>,
    resolv: Option<(PathBuf, ResolvConf)>,
    hosts: Option<(PathBuf, Hosts)>,
}

impl<'a> Files<'a> {
    pub fn new(lookup: &'a Lookup<'a>) -> Self {
        Files {
            lookup,
            resolv: None,
            hosts: None,
        }
    }

    pub fn service_account(&self) -> Result<ServiceAccount> {
        let dir = self
            .lookup
            .path(Id::ServiceAccountDir, DEFAULT_SERVICE_ACCOUNT_DIR)?;
        Ok(ServiceAccount::new(&dir.value))
    }

    pub fn resolv_path(&self) -> Result<Sourced<PathBuf>> {
        self.lookup.path(Id::ResolvConf, DEFAULT_RESOLV_CONF)
    }

    /// resolv.conf as parsed; empty when the default file is missing, as on a laptop.
    pub fn resolv(&mut self) -> Result<(&PathBuf, &ResolvConf)> {
        if self.resolv.is_none() {
            let path = self.resolv_path()?;
            let given = path.source != Source::Default;
            let conf = self
                .read(Id::ResolvConf, &path.value, !given)?
                .map(|bytes| ResolvConf::parse(&bytes))
                .unwrap_or_default();
            self.resolv = Some((path.value, conf));
        }
        let (path, conf) = self.resolv.as_ref().expect("filled above");
        Ok((path, conf))
    }

    /// The hosts file as parsed; empty when the default file is missing.
    pub fn hosts(&mut self) -> Result<(&PathBuf, &Hosts)> {
        if self.hosts.is_none() {
            let path = self.lookup.path(Id::HostsFile, DEFAULT_HOSTS_FILE)?;
            let given = path.source != Source::Default;
            let hosts = self
                .read(Id::HostsFile, &path.value, !given)?
                .map(|bytes| Hosts::parse(&bytes))
                .unwrap_or_default();
            self.hosts = Some((path.value, hosts));
        }
        let (path, hosts) = self.hosts.as_ref().expect("filled above");
        Ok((path, hosts))
    }

    /// Reads a kubelet file, bounded. Only a missing default file (ENOENT) counts as absent:
    /// any other failure would silently turn into a wrong default like `cluster.local`.
    pub fn read(&self, id: Id, path: &Path, missing_is_absent: bool) -> Result<Option<Vec<u8>>> {
        match files::read_limited(path, files::MAX_KUBELET_FILE) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(ReadError::NotFound) if missing_is_absent => Ok(None),
            Err(e) => {
                let input = input(id);
                Err(InputError {
                    subject: input.subject(),
                    found: Some(shown(path)),
                    problem: match e {
                        ReadError::NotFound => "cannot be read: it does not exist".into(),
                        other => other.to_string(),
                    },
                    fix: format!(
                        "point {} at the pod's file (a regular file of at most {} KiB), or fix its permissions",
                        input.set_hint(),
                        files::MAX_KUBELET_FILE / 1024
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_resolv_conf_gives_namespace_domain_and_resolver() {
        let conf = ResolvConf::parse(
            b"nameserver 10.96.0.10\nsearch shop.svc.k8s.local svc.k8s.local k8s.local ec2.internal\noptions ndots:5 timeout:2\n",
        );
        assert_eq!(
            conf.nameservers,
            vec!["10.96.0.10".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!((conf.ndots, conf.timeout_secs, conf.attempts), (5, 2, 2));
        assert_eq!(
            conf.cluster_search(None),
            Some(ClusterSearch {
                namespace: Some("shop"),
                domain: "k8s.local"
            })
        );
        // A namespace called "svc" still splits at the first ".svc.".
        let conf =
            ResolvConf::parse(b"search svc.svc.cluster.local svc.cluster.local cluster.local");
        assert_eq!(
            conf.cluster_search(None).map(|c| (c.namespace, c.domain)),
            Some((Some("svc"), "cluster.local"))
        );
        let conf = ResolvConf::parse(b"search svc.cluster.local. cluster.local.");
        assert_eq!(
            conf.cluster_search(None).map(|c| (c.namespace, c.domain)),
            Some((None, "cluster.local"))
        );
        assert_eq!(
            ResolvConf::parse(b"search example.com").cluster_search(None),
            None
        );
        // The last search line wins; the namespace asked for is preferred.
        let conf =
            ResolvConf::parse(b"search a.svc.one.local\nsearch b.svc.two.local c.svc.two.local");
        assert_eq!(
            conf.cluster_search(Some("c"))
                .map(|c| (c.namespace, c.domain)),
            Some((Some("c"), "two.local"))
        );
    }

    /// What `check`'s resolver reads: nameservers, search list, ndots, timeout and attempts.
    #[test]
    fn resolver_options_are_read() {
        let conf = ResolvConf::parse(
            b"search ns1.svc.cluster.local svc.cluster.local\nnameserver fd00::a\noptions ndots:5 timeout:1 attempts:3\n",
        );
        assert_eq!(
            conf.nameservers,
            vec!["fd00::a".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(conf.search, ["ns1.svc.cluster.local", "svc.cluster.local"]);
        assert_eq!((conf.ndots, conf.timeout_secs, conf.attempts), (5, 1, 3));
    }

    /// One stray byte costs its word, not the file (a silent fallback to cluster.local
    /// would give every pod a wrong name).
    #[test]
    fn non_utf8_bytes_and_comments_do_not_hide_the_search_line() {
        let conf = ResolvConf::parse(
            b"# generated by \xff\xfe tool\nsearch shop.svc.corp.local svc.corp.local # trailing \xff\nnameserver fd00::a%eth0\n",
        );
        assert_eq!(
            conf.cluster_search(None).map(|c| c.domain),
            Some("corp.local")
        );
        assert_eq!(
            conf.nameservers,
            vec!["fd00::a".parse::<IpAddr>().expect("ip")]
        );
    }

    #[test]
    fn hosts_line_gives_the_service_and_the_ip_family() {
        let hosts = Hosts::parse(
            b"127.0.0.1\tlocalhost\n# comment \xff\nfd00:42::7\tweb-0.web-headless.shop.svc.cluster.local\tweb-0\n",
        );
        let own = hosts.pod_fqdn("web-0").expect("StatefulSet line");
        assert_eq!(
            (
                own.service.as_str(),
                own.namespace.as_str(),
                own.domain.as_str()
            ),
            ("web-headless", "shop", "cluster.local")
        );
        assert!(own.ip.is_ipv6());
        assert_eq!(hosts.pod_fqdn("web-1"), None);
        // "web" is a prefix of "web-0" but not the pod.
        assert_eq!(hosts.pod_fqdn("web"), None);
        // A Deployment pod's hosts file has only the short name.
        assert_eq!(
            Hosts::parse(b"10.42.0.9\tapi-7d9f\n").pod_fqdn("api-7d9f"),
            None
        );
    }

    #[test]
    fn namespace_file_is_trimmed() {
        assert_eq!(
            ServiceAccount::parse_namespace(b"payments\n").as_deref(),
            Some("payments")
        );
        assert_eq!(ServiceAccount::parse_namespace(b" \n"), None);
        assert_eq!(ServiceAccount::parse_namespace(b"pay\xff"), None);
    }
}
