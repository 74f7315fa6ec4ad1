//! Gathers the pod's facts from the inputs (see `inputs`) and the kubelet files (see
//! `kubelet`), and remembers where each came from. Only the facts the chosen shape needs are
//! looked up, so an `ip`-mode pod never reads resolv.conf or the hosts file.

use std::ffi::OsStr;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::error::{InputError, shown};
use crate::files::{self, ReadError};
use crate::fly;
use crate::inputs::{
    DEFAULT_HOSTS_FILE, DEFAULT_RESOLV_CONF, DEFAULT_SERVICE_ACCOUNT_DIR, Id, Input, Lookup,
    Source, Sourced, input,
};
use crate::kubelet::{Hosts, ResolvConf, ServiceAccount};
use crate::naming::{self, Mode, NameError, Part, Shape, Strategy};
use crate::node::Cookie;
use crate::target::{self, Target};

pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

#[derive(Debug)]
pub struct PodFacts {
    pub strategy: Sourced<Strategy>,
    pub mode: Sourced<Mode>,
    pub shape: Shape,
    pub basename: Sourced<String>,
    pub ip: Option<Sourced<IpAddr>>,
    /// The pod speaks IPv6: its chosen IP is IPv6, `--ip-family ipv6` was asked for, or (with
    /// no IP given) its own hosts line is IPv6.
    pub ipv6: bool,
    pub namespace: Option<Sourced<String>>,
    pub cluster_domain: Option<Sourced<String>>,
    pub cluster_name: Option<Sourced<String>>,
    pub hostname: Option<Sourced<String>>,
    pub service: Option<Sourced<String>>,
    pub cookie: Option<Sourced<Cookie>>,
    /// What reads the name (`--target`).
    pub target: Sourced<&'static dyn Target>,
    /// `kubernetes` or `fly`.
    pub platform: Sourced<fly::Platform>,
    /// Strategy dnscluster: the name dns_cluster looks up, handed on as DNS_CLUSTER_QUERY.
    pub query: Option<Sourced<String>>,
    /// Said once the name is known to be good.
    pub warnings: Vec<String>,
}

type Result<T> = std::result::Result<T, InputError>;

impl PodFacts {
    /// The node name the peers will dial; the last check is Erlang's own rules on the whole name.
    pub fn node_name(&self) -> Result<String> {
        let parts = naming::Parts {
            basename: &self.basename.value,
            ip: self.ip.as_ref().map(|i| i.value),
            hostname: self.hostname.as_ref().map(|h| h.value.as_str()),
            service: self.service.as_ref().map(|s| s.value.as_str()),
            namespace: self.namespace.as_ref().map(|n| n.value.as_str()),
            cluster_domain: self.cluster_domain.as_ref().map(|d| d.value.as_str()),
            cluster_name: self.cluster_name.as_ref().map(|c| c.value.as_str()),
        };
        naming::node_name(self.shape, &parts).map_err(|err| match err {
            NameError::Invalid { part, problem } => {
                let (input, found) = self.part(part);
                let fix = match part {
                    Part::Ip => "use mode ip (the name is then app@<ipv6>), or for a StatefulSet mode hostname, or the dnssrv strategy (its dashed-IP mode dns works for IPv6)",
                    Part::ClusterName => "use the kubernetes_cluster_name your DNS serves as <name>.local (DNS labels: lowercase letters, digits, '-')",
                    _ => "check the inputs with relnode env --explain",
                };
                InputError {
                    subject: input.subject(),
                    found: found.map(|f| f.found()),
                    problem,
                    fix: fix.into(),
                }
            }
            NameError::Name { name, problem } => InputError {
                subject: "node name".into(),
                found: Some(shown(&name)),
                problem,
                fix: "shorten the basename, service or namespace (relnode env --explain shows where each part came from)".into(),
            },
            // `gather` looks up every part the shape needs, so this is a bug, said plainly.
            NameError::Missing(part) => InputError {
                subject: self.part(part).0.subject(),
                found: None,
                problem: format!("was not looked up for {}", self.shape),
                fix: "pass it explicitly, and please report this as a relnode bug".into(),
            },
        })
    }

    /// The input behind a part of the name, and its value as found.
    fn part(&self, part: Part) -> (&'static Input, Option<Sourced<String>>) {
        let text = |fact: &Option<Sourced<String>>| fact.clone();
        match part {
            Part::Basename => (input(Id::Basename), Some(self.basename.clone())),
            Part::Ip => (
                input(Id::PodIp),
                self.ip.clone().map(|i| i.map(|ip| ip.to_string())),
            ),
            Part::Hostname => (input(Id::Hostname), text(&self.hostname)),
            Part::Service => (input(Id::Service), text(&self.service)),
            Part::Namespace => (input(Id::Namespace), text(&self.namespace)),
            Part::ClusterDomain => (input(Id::ClusterDomain), text(&self.cluster_domain)),
            Part::ClusterName => (input(Id::ClusterName), text(&self.cluster_name)),
        }
    }

    /// Each fact, its value and where it came from, for `--explain`; names from the input table.
    pub fn explain(&self) -> Vec<(&'static str, String, String)> {
        fn row<T: fmt::Display>(id: Id, s: &Sourced<T>) -> (&'static str, String, String) {
            (input(id).what, s.value.to_string(), s.source.to_string())
        }
        let mut rows = vec![
            row(Id::Target, &self.target),
            row(Id::Platform, &self.platform),
            row(Id::Strategy, &self.strategy),
            row(Id::Mode, &self.mode),
            row(Id::Basename, &self.basename),
        ];
        if let Some(ip) = &self.ip {
            rows.push(row(Id::PodIp, ip));
        }
        let optional = [
            (Id::Namespace, &self.namespace),
            (Id::ClusterDomain, &self.cluster_domain),
            (Id::ClusterName, &self.cluster_name),
            (Id::Hostname, &self.hostname),
            (Id::Service, &self.service),
            (Id::Query, &self.query),
        ];
        rows.extend(
            optional
                .into_iter()
                .filter_map(|(id, s)| s.as_ref().map(|s| row(id, s))),
        );
        if let Some(cookie) = &self.cookie {
            rows.push((
                "cookie",
                format!("<{} bytes, hidden>", cookie.value.len()),
                cookie.source.to_string(),
            ));
        }
        rows
    }

    /// The cookie file, when one was read (an `--output` must never replace it).
    pub fn cookie_file(&self) -> Option<&Path> {
        match &self.cookie.as_ref()?.source {
            Source::File(path) => Some(path),
            _ => None,
        }
    }
}

/// Looks up every fact the chosen shape needs. `wrapped_command` is what `exec` will run: a
/// mix release script names the node's basename.
pub fn gather(lookup: &Lookup, wrapped_command: Option<&OsStr>) -> Result<PodFacts> {
    Gatherer {
        lookup,
        wrapped_command,
        resolv: None,
        hosts: None,
    }
    .gather()
}

/// The pod's namespace as `gather` finds it (flag, env vars, the service-account file,
/// resolv.conf), for a command that needs it whatever the shape: `check`'s API path. `None`
/// when nothing gives one; a file that exists but cannot be read is an error, as in `gather`.
#[cfg(feature = "check")]
pub fn namespace(lookup: &Lookup) -> Result<Option<Sourced<String>>> {
    let mut gatherer = Gatherer {
        lookup,
        wrapped_command: None,
        resolv: None,
        hosts: None,
    };
    let found = match lookup.text(Id::Namespace)? {
        Some(given) => Some(given),
        None => gatherer.namespace_from_files()?,
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

/// The pod IP relnode names the node after, and what it says about the pod's families.
struct PodIp {
    chosen: Option<Sourced<IpAddr>>,
    /// Distribution must listen on IPv6.
    ipv6: bool,
    /// The pod has IPv4 and IPv6 addresses and no `--ip-family` chose between them.
    dual_stack_unchosen: bool,
}

struct Gatherer<'a> {
    lookup: &'a Lookup<'a>,
    wrapped_command: Option<&'a OsStr>,
    /// Each kubelet file is read at most once.
    resolv: Option<(PathBuf, ResolvConf)>,
    hosts: Option<(PathBuf, Hosts)>,
}

impl Gatherer<'_> {
    fn gather(mut self) -> Result<PodFacts> {
        let target = self.target()?;
        let platform = fly::platform(self.lookup)?;
        let fly = if platform.value == fly::Platform::Fly {
            Some(fly::gather(self.lookup, &platform)?)
        } else {
            None
        };
        let strategy = match self.lookup.text(Id::Strategy)? {
            Some(s) => Sourced::new(
                s.value.parse().map_err(|()| {
                    invalid(Id::Strategy, &s, "is not a strategy relnode knows", &format!(
                        "use one of {} (libcluster's Cluster.Strategy.Kubernetes, .Kubernetes.DNS, .Kubernetes.DNSSRV; phoenixframework/dns_cluster)",
                        naming::STRATEGY_VALUES
                    ))
                })?,
                s.source,
            ),
            // Fly's Elixir guide clusters with dns_cluster.
            None if fly.is_some() => Sourced::new(
                Strategy::DnsCluster,
                Source::Derived("platform fly: dns_cluster, as Fly's Elixir guide does"),
            ),
            None => Sourced::new(Strategy::Kubernetes, Source::Default),
        };
        let mode = match self.lookup.text(Id::Mode)? {
            Some(m) => Sourced::new(
                m.value.parse().map_err(|()| {
                    invalid(
                        Id::Mode,
                        &m,
                        "is not a libcluster mode",
                        &format!("use one of {}", naming::MODE_VALUES),
                    )
                })?,
                m.source,
            ),
            None => self.default_mode(strategy.value)?,
        };
        let shape = Shape::new(strategy.value, mode.value)
            .filter(|shape| fly.is_none() || shape.uses_ip_literal())
            .ok_or_else(|| self.no_such_shape(&strategy, &mode, fly.is_some()))?;

        let basename = match &fly {
            Some(fly) => fly.basename.clone(),
            None => self.basename(target.value.default_basename())?,
        };
        let hostname = if shape.needs_hostname() {
            Some(self.hostname()?)
        } else {
            None
        };
        // Fly: always the 6PN address, always IPv6 distribution (remote and rpc too).
        let PodIp {
            chosen: ip,
            ipv6,
            dual_stack_unchosen,
        } = match &fly {
            Some(fly) => PodIp {
                chosen: Some(fly.ip.clone()),
                ipv6: true,
                dual_stack_unchosen: false,
            },
            None => self.ip(shape, hostname.as_ref())?,
        };
        let namespace = if shape.needs_namespace() {
            Some(self.namespace()?)
        } else {
            None
        };
        let ns = namespace.as_ref().map(|n| n.value.clone());
        let mut warnings = Vec::new();
        let cluster_name_given = if shape.needs_cluster_name() {
            self.cluster_name()?
        } else {
            None
        };
        let cluster_domain = if shape.needs_cluster_domain()
            || (shape.needs_cluster_name() && cluster_name_given.is_none())
        {
            Some(self.cluster_domain(ns.as_deref(), &mut warnings)?)
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
        let service = if shape.needs_service() {
            Some(self.service(shape, hostname.as_ref())?)
        } else {
            None
        };
        let cookie = self.cookie()?;
        let query = self.query(shape, fly.as_ref())?;
        if dual_stack_unchosen
            && (shape.strategy == Strategy::DnsCluster
                || (shape.strategy == Strategy::DnsSrv && shape.mode == Mode::Dns))
        {
            warnings.push(dual_stack_note(shape, ip.as_ref()));
        }
        // libcluster's own limits matter only to a mix release that runs it.
        if target.value.mix_release() {
            warnings.extend(libcluster_warnings(shape, ipv6));
        }
        Ok(PodFacts {
            strategy,
            mode,
            shape,
            basename,
            ip,
            ipv6,
            namespace,
            cluster_domain,
            cluster_name,
            hostname,
            service,
            cookie,
            target,
            platform,
            query,
            warnings,
        })
    }

    fn target(&self) -> Result<Sourced<&'static dyn Target>> {
        Ok(match self.lookup.text(Id::Target)? {
            Some(given) => match target::named(&given.value) {
                Some(kind) => Sourced::new(kind, given.source),
                None => {
                    return Err(invalid(
                        Id::Target,
                        &given,
                        "is not a target relnode knows",
                        &format!("use one of {}", target::names()),
                    ));
                }
            },
            None => Sourced::new(target::DEFAULT, Source::Default),
        })
    }

    /// Strategy and mode that name no node anyone dials; dns_cluster and Fly say why.
    fn no_such_shape(
        &self,
        strategy: &Sourced<Strategy>,
        mode: &Sourced<Mode>,
        on_fly: bool,
    ) -> InputError {
        let (problem, fix) = if strategy.value == Strategy::DnsCluster {
            (
                "cannot work: dns_cluster dials <its basename>@<each A/AAAA address>, so a node named by a host name never matches (dns_cluster #14)".to_owned(),
                "drop --mode (dnscluster names are <basename>@<ip>), or use libcluster's dnssrv strategy for host names".to_owned(),
            )
        } else if on_fly {
            (
                "cannot work on Fly.io: a Machine is reached at its FLY_PRIVATE_IP, and only mode ip names it so".to_owned(),
                "drop --mode (Fly names are <basename>@<FLY_PRIVATE_IP>)".to_owned(),
            )
        } else {
            (
                "is not a pair libcluster has".to_owned(),
                format!("choose one of: {}", naming::SHAPES),
            )
        };
        InputError {
            subject: format!(
                "{} and {}",
                input(Id::Strategy).subject(),
                input(Id::Mode).subject()
            ),
            found: Some(format!(
                "strategy {} (from {}) with mode {} (from {})",
                strategy.value, strategy.source, mode.value, mode.source
            )),
            problem,
            fix,
        }
    }

    /// dns_cluster's query: given, or on Fly `<app>.internal`. Only for strategy dnscluster.
    fn query(&self, shape: Shape, fly: Option<&fly::FlyFacts>) -> Result<Option<Sourced<String>>> {
        if shape.strategy != Strategy::DnsCluster {
            return Ok(None);
        }
        let Some(given) = self.lookup.text(Id::Query)? else {
            return Ok(fly.map(|f| {
                Sourced::new(
                    f.query.clone(),
                    Source::Derived("platform fly: <app>.internal"),
                )
            }));
        };
        let name = naming::strip_root_dot(&given.value);
        if let Err(NameError::Invalid { problem, .. }) = naming::domain(name, Part::ClusterDomain) {
            return Err(invalid(
                Id::Query,
                &given,
                &problem,
                "use the DNS name whose A/AAAA records list the nodes, e.g. myapp-headless.default.svc.cluster.local or myapp.internal",
            ));
        }
        Ok(Some(Sourced::new(name.to_owned(), given.source)))
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
        let (_, hosts) = self.hosts()?;
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

    fn basename(&self, default: Option<&'static str>) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::Basename)? {
            Some(given) => given,
            // The target's own default (RabbitMQ's `rabbit`).
            None if default.is_some() => {
                Sourced::new(default.unwrap_or_default().to_owned(), Source::Default)
            }
            None => match self
                .wrapped_command
                .and_then(|c| self.release_script_name(c))
            {
                Some((name, script)) => Sourced::new(name, Source::ReleaseScript(script)),
                None => {
                    return Err(InputError {
                        subject: input(Id::Basename).subject(),
                        found: None,
                        problem: "is not set; it is the part before '@', libcluster's kubernetes_node_basename / application_name".into(),
                        fix: "pass --basename myapp or set RELNODE_BASENAME=myapp (relnode exec also takes it from a mix release script such as /app/bin/myapp)".into(),
                    });
                }
            },
        };
        match naming::check_basename(&found.value) {
            Err(NameError::Invalid { problem, .. }) => Err(invalid(
                Id::Basename,
                &found,
                &problem,
                "use the release name, e.g. myapp (letters, digits, '_' and '-' only)",
            )),
            _ => Ok(found),
        }
    }

    /// `<root>/bin/NAME` with `<root>/releases/` beside `bin/`: the layout of a mix release.
    /// Only looks (stat), never reads: a FIFO or device cannot hold it up.
    fn release_script_name(&self, command: &OsStr) -> Option<(String, PathBuf)> {
        let given = Path::new(command);
        let path = if given.components().count() > 1 {
            given.to_path_buf()
        } else {
            let search = self.lookup.var_os("PATH")?;
            std::env::split_paths(&search)
                .map(|dir| dir.join(given))
                .find(|p| p.is_file())?
        };
        let path = path.canonicalize().ok()?;
        if !path.is_file() {
            return None;
        }
        let bin = path.parent()?;
        if bin.file_name()? != "bin" || !bin.parent()?.join("releases").is_dir() {
            return None;
        }
        Some((path.file_name()?.to_str()?.to_owned(), path))
    }

    /// The pod IP, chosen from the primary IP and the dual-stack list by family.
    fn ip(&mut self, shape: Shape, hostname: Option<&Sourced<String>>) -> Result<PodIp> {
        let primary = match self.lookup.text(Id::PodIp)? {
            Some(s) => Some(Sourced::new(parse_ip(Id::PodIp, &s, &s.value)?, s.source)),
            None => None,
        };
        let list = match self.lookup.text(Id::PodIps)? {
            Some(s) => {
                let mut ips = Vec::new();
                for item in s.value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    ips.push(Sourced::new(
                        parse_ip(Id::PodIps, &s, item)?,
                        s.source.clone(),
                    ));
                }
                ips
            }
            None => Vec::new(),
        };
        let family = match self.lookup.text(Id::IpFamily)? {
            Some(s) => match s.value.to_ascii_lowercase().as_str() {
                "ipv4" | "4" => Some(false),
                "ipv6" | "6" => Some(true),
                _ => {
                    return Err(invalid(
                        Id::IpFamily,
                        &s,
                        "is not an IP family",
                        "use ipv4 or ipv6",
                    ));
                }
            },
            None => None,
        };
        let both_families =
            list.iter().any(|i| i.value.is_ipv6()) && list.iter().any(|i| i.value.is_ipv4());
        let dual_stack_unchosen = family.is_none() && both_families;
        let chosen = match family {
            None => primary.or_else(|| list.into_iter().next()),
            Some(want_v6) => {
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
                    Some(found) => Some(found),
                    None if all.is_empty() && !shape.needs_ip() => None,
                    None => {
                        let fam = if want_v6 { "IPv6" } else { "IPv4" };
                        return Err(InputError {
                            subject: format!(
                                "{} and {}",
                                input(Id::PodIps).subject(),
                                input(Id::IpFamily).subject()
                            ),
                            found: Some(format!("the pod's IPs [{}]", all.join(", "))),
                            problem: format!(
                                "hold no {fam} address, but the IP family asks for {fam}"
                            ),
                            fix: "set MY_POD_IPS from the downward API (fieldRef status.podIPs) on a dual-stack pod, or drop --ip-family/RELNODE_IP_FAMILY to use the primary IP".into(),
                        });
                    }
                }
            }
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
                    let (_, hosts) = self.hosts()?;
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
                    shown(self.service_account()?.namespace_file()),
                    shown(self.resolv_path()?.value)
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
        let account = self.service_account()?;
        let file = account.namespace_file();
        if let Some(bytes) = self.read_kubelet_file(Id::ServiceAccountDir, &file, true)? {
            if let Some(ns) = ServiceAccount::parse_namespace(&bytes) {
                return Ok(Some(Sourced::new(ns, Source::File(file))));
            }
        }
        let (path, conf) = self.resolv()?;
        Ok(conf
            .cluster_search(None)
            .and_then(|entry| entry.namespace)
            .map(|ns| Sourced::new(ns.to_owned(), Source::File(path.clone()))))
    }

    fn service_account(&self) -> Result<ServiceAccount> {
        let dir = self
            .lookup
            .path(Id::ServiceAccountDir, DEFAULT_SERVICE_ACCOUNT_DIR)?;
        Ok(ServiceAccount::new(&dir.value))
    }

    fn resolv_path(&self) -> Result<Sourced<PathBuf>> {
        self.lookup.path(Id::ResolvConf, DEFAULT_RESOLV_CONF)
    }

    /// resolv.conf as parsed; empty when the default file is missing, as on a laptop.
    fn resolv(&mut self) -> Result<(&PathBuf, &ResolvConf)> {
        if self.resolv.is_none() {
            let path = self.resolv_path()?;
            let given = path.source != Source::Default;
            let conf = self
                .read_kubelet_file(Id::ResolvConf, &path.value, !given)?
                .map(|bytes| ResolvConf::parse(&bytes))
                .unwrap_or_default();
            self.resolv = Some((path.value, conf));
        }
        let (path, conf) = self.resolv.as_ref().expect("filled above");
        Ok((path, conf))
    }

    /// The hosts file as parsed; empty when the default file is missing.
    fn hosts(&mut self) -> Result<(&PathBuf, &Hosts)> {
        if self.hosts.is_none() {
            let path = self.lookup.path(Id::HostsFile, DEFAULT_HOSTS_FILE)?;
            let given = path.source != Source::Default;
            let hosts = self
                .read_kubelet_file(Id::HostsFile, &path.value, !given)?
                .map(|bytes| Hosts::parse(&bytes))
                .unwrap_or_default();
            self.hosts = Some((path.value, hosts));
        }
        let (path, hosts) = self.hosts.as_ref().expect("filled above");
        Ok((path, hosts))
    }

    /// Reads a kubelet file, bounded. Only a missing default file (ENOENT) counts as absent:
    /// any other failure would silently turn into a wrong default like `cluster.local`.
    fn read_kubelet_file(
        &self,
        id: Id,
        path: &Path,
        missing_is_absent: bool,
    ) -> Result<Option<Vec<u8>>> {
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

    fn cluster_name(&self) -> Result<Option<Sourced<String>>> {
        let Some(given) = self.lookup.text(Id::ClusterName)? else {
            return Ok(None);
        };
        let name = naming::strip_root_dot(&given.value).to_owned();
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

    fn cluster_domain(
        &mut self,
        namespace: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::ClusterDomain)? {
            Some(given) => given,
            None => {
                let (path, conf) = self.resolv()?;
                match conf.cluster_search(namespace) {
                    Some(entry) => {
                        Sourced::new(entry.domain.to_owned(), Source::File(path.clone()))
                    }
                    None => {
                        warnings.push(format!(
                            "no cluster domain in {} (no search entry <ns>.svc.<domain>, as on a hostNetwork pod or a laptop); assuming {DEFAULT_CLUSTER_DOMAIN}. Set CLUSTER_DOMAIN or --cluster-domain to be sure.",
                            shown(path)
                        ));
                        Sourced::new(DEFAULT_CLUSTER_DOMAIN.to_owned(), Source::Default)
                    }
                }
            }
        };
        let found = Sourced::new(
            naming::strip_root_dot(&found.value).to_owned(),
            found.source,
        );
        if let Err(NameError::Invalid { problem, .. }) =
            naming::domain(&found.value, Part::ClusterDomain)
        {
            return Err(invalid(
                Id::ClusterDomain,
                &found,
                &problem,
                "use the cluster's DNS domain, e.g. cluster.local",
            ));
        }
        Ok(found)
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
                        let (path, hosts) = self.hosts()?;
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
                let (path, _) = self.hosts()?;
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

    fn cookie(&self) -> Result<Option<Sourced<Cookie>>> {
        let Some(path) = self.lookup.raw(Id::CookieFile)? else {
            return Ok(None);
        };
        let path = path.map(PathBuf::from);
        let bad = |problem: String, fix: &str| InputError {
            subject: input(Id::CookieFile).subject(),
            found: Some(format!("{} (from {})", shown(&path.value), path.source)),
            problem,
            fix: fix.to_owned(),
        };
        let bytes = files::read_limited(&path.value, files::MAX_COOKIE_FILE).map_err(|e| {
            let problem = match e {
                ReadError::NotFound => "cannot be read: it does not exist".to_owned(),
                ReadError::Io(e) => format!("cannot be read: {e}"),
                other => other.to_string(),
            };
            bad(problem, "mount the cookie Secret as a file and point --cookie-file or RELNODE_COOKIE_FILE at it")
        })?;
        let cookie = Cookie::from_file_bytes(&bytes).map_err(|problem| {
            bad(problem.to_owned(), "the cookie must be one line of printable text, at most 255 characters (an Erlang atom); a single trailing newline is allowed")
        })?;
        Ok(Some(Sourced::new(cookie, Source::File(path.value))))
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

/// Where real libcluster 3.5.0 fails even with the right names.
fn libcluster_warnings(shape: Shape, ipv6: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    match (shape.strategy, shape.mode) {
        (Strategy::Dns, _) if ipv6 => warnings.push(
            "Cluster.Strategy.Kubernetes.DNS looks up A records only: an IPv6-only Service gives :nxdomain and nothing is dialled. Give it a :resolver that returns the AAAA answer as an :inet hostent, or use the dnssrv strategy (or dns_cluster)".to_owned(),
        ),
        (Strategy::Kubernetes, _) if ipv6 => warnings.push(
            "Cluster.Strategy.Kubernetes on an IPv6 pod: libcluster's :httpc resolves the API host over IPv4 only, so every poll fails with nxdomain. Call :httpc.set_options(ipfamily: :inet6fb4) when your application starts".to_owned(),
        ),
        (Strategy::DnsSrv, Mode::Dns) => warnings.push(
            "dnssrv mode dns relies on CoreDNS naming hostname-less endpoints by their dashed IP; kube-dns (GKE Standard) uses a hash label (kubernetes#51326) and CoreDNS with endpoint_pod_names uses the pod name: use mode hostname with a StatefulSet there (`relnode check` shows the SRV answer)".to_owned(),
        ),
        _ => {}
    }
    warnings
}

fn parse_ip(id: Id, given: &Sourced<String>, text: &str) -> Result<IpAddr> {
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
    match naming::label_problem(&found.value) {
        Some(problem) => Err(invalid(id, found, &problem, fix)),
        None => Ok(()),
    }
}

fn invalid(id: Id, found: &Sourced<String>, problem: &str, fix: &str) -> InputError {
    InputError {
        subject: input(id).subject(),
        found: Some(found.found()),
        problem: problem.to_owned(),
        fix: fix.to_owned(),
    }
}

fn cluster_name_from_domain(domain: &Sourced<String>) -> Result<Sourced<String>> {
    match naming::cluster_name_for_domain(&domain.value) {
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
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;

    /// Inputs that never touch this machine's /etc files: empty kubelet files of the test's own.
    fn isolated(extra: &[(Id, &str)]) -> (tempfile::TempDir, PodArgs) {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = files(dir.path(), "", "");
        let args = args_of(&paths, extra);
        (dir, args)
    }

    fn gather_with(args: &PodArgs, pairs: &[(&str, &str)]) -> Result<PodFacts> {
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
}
