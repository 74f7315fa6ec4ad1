//! Gathers the pod's facts from flags, env vars and files, and remembers where each came from.
//!
//! Each input is looked up in a fixed order (flag, env vars, files, default); an empty env var
//! counts as unset, an empty flag is bad input. Only the facts the chosen shape needs are looked
//! up, so an `ip`-mode pod never reads resolv.conf or the hosts file.

use std::ffi::OsStr;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::naming::{self, Mode, NameError, Part, Shape, Strategy};
use crate::options::Inputs;

/// An input as the user sees it: a flag and the env vars that mirror it, in lookup order.
#[derive(Debug)]
pub struct Input {
    pub what: &'static str,
    pub flag: &'static str,
    pub env: &'static [&'static str],
}

macro_rules! inputs {
    ($($name:ident: $what:literal, $flag:literal, [$($env:literal),*];)*) => {
        $(pub const $name: Input = Input { what: $what, flag: $flag, env: &[$($env),*] };)*
        /// Every input, for the check that `--help` names each env var.
        #[cfg(test)]
        pub const ALL_INPUTS: &[&Input] = &[$(&$name),*];
    };
}

inputs! {
    STRATEGY: "strategy", "--strategy", ["RELNODE_STRATEGY"];
    MODE: "mode", "--mode", ["RELNODE_MODE"];
    BASENAME: "basename", "--basename", ["RELNODE_BASENAME", "RELEASE_NAME"];
    POD_IP: "pod IP", "--pod-ip", ["MY_POD_IP", "POD_IP"];
    POD_IPS: "pod IPs", "--pod-ips", ["MY_POD_IPS"];
    IP_FAMILY: "IP family", "--ip-family", ["RELNODE_IP_FAMILY"];
    NAMESPACE: "namespace", "--namespace", ["MY_POD_NAMESPACE", "POD_NAMESPACE"];
    SERVICE_ACCOUNT_DIR: "service-account directory", "--service-account-dir", ["RELNODE_SERVICE_ACCOUNT_DIR"];
    CLUSTER_DOMAIN: "cluster domain", "--cluster-domain", ["CLUSTER_DOMAIN"];
    RESOLV_CONF: "resolv.conf", "--resolv-conf", ["RELNODE_RESOLV_CONF"];
    CLUSTER_NAME: "cluster name", "--cluster-name", ["RELNODE_CLUSTER_NAME"];
    HOSTNAME: "hostname", "--hostname", ["RELNODE_HOSTNAME"];
    SERVICE: "service", "--service", ["RELNODE_SERVICE"];
    HOSTS_FILE: "hosts file", "--hosts-file", ["RELNODE_HOSTS_FILE"];
    COOKIE_FILE: "cookie file", "--cookie-file", ["RELNODE_COOKIE_FILE"];
}

pub const DEFAULT_SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
pub const DEFAULT_RESOLV_CONF: &str = "/etc/resolv.conf";
pub const DEFAULT_HOSTS_FILE: &str = "/etc/hosts";
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

impl Input {
    /// `pod IP (--pod-ip, MY_POD_IP, POD_IP)`
    pub fn subject(&self) -> String {
        format!("{} ({})", self.what, self.places())
    }

    fn places(&self) -> String {
        std::iter::once(self.flag)
            .chain(self.env.iter().copied())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `--pod-ip or MY_POD_IP`
    fn set_hint(&self) -> String {
        format!("{} or {}", self.flag, self.env[0])
    }
}

/// Where a fact came from, for `--explain` and error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    File(PathBuf),
    Kernel,
    ReleaseScript(PathBuf),
    ClusterDomain,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "{flag}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Kernel => f.write_str("the kernel hostname"),
            Source::ReleaseScript(path) => write!(f, "release script {}", path.display()),
            Source::ClusterDomain => f.write_str("the cluster domain minus .local"),
            Source::Default => f.write_str("default"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    fn new(value: T, source: Source) -> Self {
        Sourced { value, source }
    }
}

/// The environment relnode reads; a trait so tests can hand in a map.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie(pub String);

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cookie(<{} bytes hidden>)", self.0.len())
    }
}

#[derive(Debug)]
pub struct Facts {
    pub strategy: Sourced<Strategy>,
    pub mode: Sourced<Mode>,
    pub shape: Shape,
    pub basename: Sourced<String>,
    pub ip: Option<Sourced<IpAddr>>,
    /// The pod speaks IPv6: its chosen IP is IPv6, or `--ip-family ipv6` was asked for.
    pub ipv6: bool,
    pub namespace: Option<Sourced<String>>,
    pub cluster_domain: Option<Sourced<String>>,
    pub cluster_name: Option<Sourced<String>>,
    pub hostname: Option<Sourced<String>>,
    pub service: Option<Sourced<String>>,
    pub cookie: Option<Sourced<Cookie>>,
    pub warnings: Vec<String>,
}

type Result<T> = std::result::Result<T, InputError>;

impl Facts {
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
                    Part::Ip => "use mode ip (the name is then app@<ipv6>), or for a StatefulSet mode hostname or the dnssrv strategy",
                    Part::ClusterName => "use the kubernetes_cluster_name your DNS serves as <name>.local (DNS labels: lowercase letters, digits, '-')",
                    _ => "check the inputs with relnode env --explain",
                };
                match found {
                    Some(found) => invalid(input, &found, &problem, fix),
                    None => InputError { subject: input.subject(), found: None, problem, fix: fix.into() },
                }
            }
            NameError::Name { name, problem } => InputError {
                subject: "node name".into(),
                found: Some(format!("{name:?}")),
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
        match part {
            Part::Basename => (&BASENAME, Some(self.basename.clone())),
            Part::Ip => (
                &POD_IP,
                self.ip
                    .as_ref()
                    .map(|i| Sourced::new(i.value.to_string(), i.source.clone())),
            ),
            Part::Hostname => (&HOSTNAME, self.hostname.clone()),
            Part::Service => (&SERVICE, self.service.clone()),
            Part::Namespace => (&NAMESPACE, self.namespace.clone()),
            Part::ClusterDomain => (&CLUSTER_DOMAIN, self.cluster_domain.clone()),
            Part::ClusterName => (&CLUSTER_NAME, self.cluster_name.clone()),
        }
    }

    /// Each fact, its value and where it came from, for `--explain`.
    pub fn explain(&self) -> Vec<(&'static str, String, String)> {
        fn row<T: fmt::Display>(
            what: &'static str,
            s: &Sourced<T>,
        ) -> (&'static str, String, String) {
            (what, s.value.to_string(), s.source.to_string())
        }
        let mut rows = vec![
            row("strategy", &self.strategy),
            row("mode", &self.mode),
            row("basename", &self.basename),
        ];
        if let Some(ip) = &self.ip {
            rows.push(row("pod ip", ip));
        }
        let optional = [
            ("namespace", &self.namespace),
            ("cluster domain", &self.cluster_domain),
            ("cluster name", &self.cluster_name),
            ("hostname", &self.hostname),
            ("service", &self.service),
        ];
        rows.extend(
            optional
                .into_iter()
                .filter_map(|(what, s)| s.as_ref().map(|s| row(what, s))),
        );
        if let Some(cookie) = &self.cookie {
            rows.push((
                "cookie",
                format!("<{} bytes, hidden>", cookie.value.0.len()),
                cookie.source.to_string(),
            ));
        }
        rows
    }
}

/// Looks up every fact the chosen shape needs.
pub fn gather(inputs: &Inputs, env: &dyn Env) -> Result<Facts> {
    Gatherer {
        inputs,
        env,
        resolv: None,
    }
    .gather()
}

struct Gatherer<'a> {
    inputs: &'a Inputs,
    env: &'a dyn Env,
    /// resolv.conf's search list, read at most once.
    resolv: Option<(PathBuf, Vec<String>)>,
}

impl Gatherer<'_> {
    fn gather(mut self) -> Result<Facts> {
        let inputs = self.inputs;
        let strategy = match self.given(inputs.strategy.as_deref(), &STRATEGY)? {
            Some(s) => Sourced::new(
                s.value.parse().map_err(|()| {
                    invalid(&STRATEGY, &s, "is not a strategy relnode knows", &format!(
                        "use one of {} (libcluster's Cluster.Strategy.Kubernetes, .Kubernetes.DNS, .Kubernetes.DNSSRV)",
                        naming::STRATEGY_VALUES
                    ))
                })?,
                s.source,
            ),
            None => Sourced::new(Strategy::Kubernetes, Source::Default),
        };
        let mode = match self.given(inputs.mode.as_deref(), &MODE)? {
            Some(m) => Sourced::new(
                m.value.parse().map_err(|()| {
                    invalid(
                        &MODE,
                        &m,
                        "is not a libcluster mode",
                        &format!("use one of {}", naming::MODE_VALUES),
                    )
                })?,
                m.source,
            ),
            None => Sourced::new(strategy.value.default_mode(), Source::Default),
        };
        let shape = Shape::new(strategy.value, mode.value).ok_or_else(|| InputError {
            subject: format!("{} and {}", STRATEGY.subject(), MODE.subject()),
            found: Some(format!(
                "strategy {} (from {}) with mode {} (from {})",
                strategy.value, strategy.source, mode.value, mode.source
            )),
            problem: "is not a pair libcluster has".into(),
            fix: format!("choose one of: {}", naming::SHAPES),
        })?;

        let basename = self.basename()?;
        let (ip, ipv6) = self.ip(shape)?;
        let namespace = if shape.needs_namespace() {
            Some(self.namespace()?)
        } else {
            None
        };
        let ns = namespace.as_ref().map(|n| n.value.as_str());
        let mut warnings = Vec::new();
        let cluster_name_given = if shape.needs_cluster_name() {
            self.given(inputs.cluster_name.as_deref(), &CLUSTER_NAME)?
                .map(|s| Sourced::new(naming::strip_root_dot(&s.value).to_owned(), s.source))
        } else {
            None
        };
        let cluster_domain = if shape.needs_cluster_domain()
            || (shape.needs_cluster_name() && cluster_name_given.is_none())
        {
            Some(self.cluster_domain(ns, &mut warnings)?)
        } else {
            None
        };
        let cluster_name = match (shape.needs_cluster_name(), cluster_name_given) {
            (false, _) => None,
            (true, Some(given)) => Some(given),
            (true, None) => {
                let domain = cluster_domain
                    .as_ref()
                    .expect("looked up above when no name was given");
                Some(cluster_name_from_domain(domain)?)
            }
        };
        let (hostname, service) = if shape.needs_hostname() {
            let hostname = self.hostname()?;
            let service = self.service(&hostname)?;
            (Some(hostname), Some(service))
        } else {
            (None, None)
        };
        let cookie = self.cookie()?;
        Ok(Facts {
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
            warnings,
        })
    }

    /// The flag, else the first non-empty env var.
    fn given(&self, flag: Option<&str>, input: &Input) -> Result<Option<Sourced<String>>> {
        if let Some(value) = flag {
            if value.is_empty() {
                return Err(InputError {
                    subject: input.subject(),
                    found: Some(format!("{} ''", input.flag)),
                    problem: "is empty".into(),
                    fix: format!(
                        "give {} a value, or leave it out to use {}",
                        input.flag, input.env[0]
                    ),
                });
            }
            return Ok(Some(Sourced::new(
                value.to_owned(),
                Source::Flag(input.flag),
            )));
        }
        Ok(input.env.iter().find_map(|var| {
            self.env
                .var(var)
                .filter(|v| !v.is_empty())
                .map(|v| Sourced::new(v, Source::Env(var)))
        }))
    }

    fn path(&self, flag: Option<&str>, input: &Input, default: &str) -> Result<Sourced<PathBuf>> {
        Ok(match self.given(flag, input)? {
            Some(s) => Sourced::new(PathBuf::from(s.value), s.source),
            None => Sourced::new(PathBuf::from(default), Source::Default),
        })
    }

    fn basename(&self) -> Result<Sourced<String>> {
        let found = match self.given(self.inputs.basename.as_deref(), &BASENAME)? {
            Some(given) => given,
            None => match self
                .inputs
                .wrapped_command
                .as_deref()
                .and_then(release_script_name)
            {
                Some((name, script)) => Sourced::new(name, Source::ReleaseScript(script)),
                None => {
                    return Err(InputError {
                        subject: BASENAME.subject(),
                        found: None,
                        problem: "is not set; it is the part before '@', libcluster's kubernetes_node_basename / application_name".into(),
                        fix: "pass --basename myapp or set RELNODE_BASENAME=myapp (relnode exec also takes it from a mix release script such as /app/bin/myapp)".into(),
                    });
                }
            },
        };
        match naming::check_basename(&found.value) {
            Err(NameError::Invalid { problem, .. }) => Err(invalid(
                &BASENAME,
                &found,
                &problem,
                "use the release name, e.g. myapp (letters, digits, '_' and '-' only)",
            )),
            _ => Ok(found),
        }
    }

    /// The pod IP, chosen from the primary IP and the dual-stack list by family.
    fn ip(&self, shape: Shape) -> Result<(Option<Sourced<IpAddr>>, bool)> {
        let inputs = self.inputs;
        let primary = match self.given(inputs.pod_ip.as_deref(), &POD_IP)? {
            Some(s) => Some(Sourced::new(parse_ip(&POD_IP, &s, &s.value)?, s.source)),
            None => None,
        };
        let list = match self.given(inputs.pod_ips.as_deref(), &POD_IPS)? {
            Some(s) => {
                let mut ips = Vec::new();
                for item in s.value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    ips.push(Sourced::new(
                        parse_ip(&POD_IPS, &s, item)?,
                        s.source.clone(),
                    ));
                }
                ips
            }
            None => Vec::new(),
        };
        let family = match self.given(inputs.ip_family.as_deref(), &IP_FAMILY)? {
            Some(s) => match s.value.to_ascii_lowercase().as_str() {
                "ipv4" | "4" => Some(false),
                "ipv6" | "6" => Some(true),
                _ => {
                    return Err(invalid(
                        &IP_FAMILY,
                        &s,
                        "is not an IP family",
                        "use ipv4 or ipv6",
                    ));
                }
            },
            None => None,
        };
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
                            subject: format!("{} and {}", POD_IPS.subject(), IP_FAMILY.subject()),
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
            return Err(InputError {
                subject: format!("{} ({}, {}, {}, {})", POD_IP.what, POD_IP.flag, POD_IP.env.join(", "), POD_IPS.flag, POD_IPS.env[0]),
                found: None,
                problem: format!("is not set; {shape} names the node after the pod IP"),
                fix: "add the env var MY_POD_IP to the container from the downward API (valueFrom.fieldRef.fieldPath: status.podIP), or pass --pod-ip".into(),
            });
        }
        let ipv6 = family.unwrap_or(false) || chosen.as_ref().is_some_and(|c| c.value.is_ipv6());
        Ok((chosen, ipv6))
    }

    fn namespace(&mut self) -> Result<Sourced<String>> {
        let found = match self.given(self.inputs.namespace.as_deref(), &NAMESPACE)? {
            Some(given) => Some(given),
            None => self.namespace_from_files()?,
        };
        let Some(found) = found else {
            return Err(InputError {
                subject: NAMESPACE.subject(),
                found: None,
                problem: format!(
                    "is not set, and neither the service-account namespace file nor a resolv.conf search entry <ns>.svc.<domain> gave one (looked in {} and {})",
                    self.sa_dir()?.value.join("namespace").display(),
                    self.resolv_path()?.value.display()
                ),
                fix: "add the env var MY_POD_NAMESPACE from the downward API (valueFrom.fieldRef.fieldPath: metadata.namespace), or pass --namespace".into(),
            });
        };
        check_label(
            &NAMESPACE,
            &found,
            "use the pod's namespace as Kubernetes spells it, e.g. default",
        )?;
        Ok(found)
    }

    fn namespace_from_files(&mut self) -> Result<Option<Sourced<String>>> {
        let file = self.sa_dir()?.value.join("namespace");
        if let Ok(text) = std::fs::read_to_string(&file) {
            let ns = text.trim();
            if !ns.is_empty() {
                return Ok(Some(Sourced::new(ns.to_owned(), Source::File(file))));
            }
        }
        let (path, search) = self.resolv_search()?;
        Ok(cluster_search_entry(search, None)
            .and_then(|(ns, _)| ns)
            .map(|ns| Sourced::new(ns.to_owned(), Source::File(path.clone()))))
    }

    fn sa_dir(&self) -> Result<Sourced<PathBuf>> {
        self.path(
            self.inputs.service_account_dir.as_deref(),
            &SERVICE_ACCOUNT_DIR,
            DEFAULT_SERVICE_ACCOUNT_DIR,
        )
    }

    fn resolv_path(&self) -> Result<Sourced<PathBuf>> {
        self.path(
            self.inputs.resolv_conf.as_deref(),
            &RESOLV_CONF,
            DEFAULT_RESOLV_CONF,
        )
    }

    /// The last `search` line of resolv.conf (the one the resolver uses); empty when the file
    /// is missing, as on a laptop or a hostNetwork pod.
    fn resolv_search(&mut self) -> Result<(&PathBuf, &[String])> {
        if self.resolv.is_none() {
            let path = self.resolv_path()?;
            let search = match std::fs::read_to_string(&path.value) {
                Ok(text) => parse_search(&text),
                Err(_) if path.source == Source::Default => Vec::new(),
                Err(e) => {
                    return Err(InputError {
                        subject: RESOLV_CONF.subject(),
                        found: Some(format!(
                            "{:?} (from {})",
                            path.value.display().to_string(),
                            path.source
                        )),
                        problem: format!("cannot be read: {e}"),
                        fix: format!(
                            "point {} at the pod's resolv.conf, or leave it unset for {DEFAULT_RESOLV_CONF}",
                            RESOLV_CONF.set_hint()
                        ),
                    });
                }
            };
            self.resolv = Some((path.value, search));
        }
        let (path, search) = self.resolv.as_ref().expect("filled above");
        Ok((path, search))
    }

    fn cluster_domain(
        &mut self,
        namespace: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Result<Sourced<String>> {
        let found = match self.given(self.inputs.cluster_domain.as_deref(), &CLUSTER_DOMAIN)? {
            Some(given) => given,
            None => {
                let (path, search) = self.resolv_search()?;
                match cluster_search_entry(search, namespace) {
                    Some((_, domain)) => {
                        Sourced::new(domain.to_owned(), Source::File(path.clone()))
                    }
                    None => {
                        warnings.push(format!(
                            "no cluster domain in {} (no search entry <ns>.svc.<domain>, as on a hostNetwork pod or a laptop); assuming {DEFAULT_CLUSTER_DOMAIN}. Set CLUSTER_DOMAIN or --cluster-domain to be sure.",
                            path.display()
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
                &CLUSTER_DOMAIN,
                &found,
                &problem,
                "use the cluster's DNS domain, e.g. cluster.local",
            ));
        }
        Ok(found)
    }

    fn hostname(&self) -> Result<Sourced<String>> {
        let found = match self.given(self.inputs.hostname.as_deref(), &HOSTNAME)? {
            Some(given) => given,
            None => {
                let kernel = hostname::get().map_err(|e| InputError {
                    subject: HOSTNAME.subject(),
                    found: None,
                    problem: format!("is not set and the kernel hostname cannot be read: {e}"),
                    fix: format!("pass {}", HOSTNAME.set_hint()),
                })?;
                let kernel = kernel.to_string_lossy();
                // With setHostnameAsFQDN the kernel holds the FQDN; the pod's hostname is its first label.
                let first = kernel.split('.').next().unwrap_or_default().to_owned();
                Sourced::new(first, Source::Kernel)
            }
        };
        check_label(
            &HOSTNAME,
            &found,
            "a StatefulSet pod's hostname is its name, e.g. myapp-0",
        )?;
        Ok(found)
    }

    fn service(&self, hostname: &Sourced<String>) -> Result<Sourced<String>> {
        let found = match self.given(self.inputs.service.as_deref(), &SERVICE)? {
            Some(given) => given,
            None => {
                let hosts = self.path(
                    self.inputs.hosts_file.as_deref(),
                    &HOSTS_FILE,
                    DEFAULT_HOSTS_FILE,
                )?;
                let text = std::fs::read_to_string(&hosts.value).unwrap_or_default();
                match service_from_hosts(&text, &hostname.value) {
                    Some(service) => Sourced::new(service, Source::File(hosts.value)),
                    None => {
                        return Err(InputError {
                            subject: SERVICE.subject(),
                            found: None,
                            problem: format!(
                                "is not set, and {} has no line for {}.<service>.<ns>.svc.<domain> (kubelet writes one only when the pod sets spec.hostname and spec.subdomain, as a StatefulSet does)",
                                hosts.value.display(),
                                hostname.value
                            ),
                            fix: "pass --service or set RELNODE_SERVICE to the headless Service's name (the StatefulSet's serviceName, libcluster's kubernetes_service_name / service)".into(),
                        });
                    }
                }
            }
        };
        check_label(
            &SERVICE,
            &found,
            "use the headless Service's name, e.g. myapp-headless",
        )?;
        Ok(found)
    }

    fn cookie(&self) -> Result<Option<Sourced<Cookie>>> {
        let Some(path) = self.given(self.inputs.cookie_file.as_deref(), &COOKIE_FILE)? else {
            return Ok(None);
        };
        let bad = |problem: String, fix: &str| InputError {
            subject: COOKIE_FILE.subject(),
            found: Some(format!("{:?} (from {})", path.value, path.source)),
            problem,
            fix: fix.to_owned(),
        };
        let bytes = std::fs::read(&path.value).map_err(|e| {
            bad(format!("cannot be read: {e}"), "mount the cookie Secret as a file and point --cookie-file or RELNODE_COOKIE_FILE at it")
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad("is not UTF-8 text".into(), "write the cookie as plain text"))?;
        let cookie = text.strip_suffix('\n').unwrap_or(&text);
        if cookie.is_empty() {
            return Err(bad(
                "is empty".into(),
                "put the Erlang cookie in the file (one line)",
            ));
        }
        if let Some(at) = cookie.find(|c: char| c.is_control()) {
            let hint = if cookie.ends_with('\r') {
                " (Windows line ending?)"
            } else {
                ""
            };
            return Err(bad(
                format!("has a control character at byte {at}{hint}"),
                "the cookie must be one line of printable text; a single trailing newline is allowed",
            ));
        }
        Ok(Some(Sourced::new(
            Cookie(cookie.to_owned()),
            Source::File(PathBuf::from(path.value)),
        )))
    }
}

/// `<root>/bin/NAME` with `<root>/releases/` beside `bin/`: the layout of a mix release.
fn release_script_name(command: &OsStr) -> Option<(String, PathBuf)> {
    let given = Path::new(command);
    let path = if given.components().count() > 1 {
        given.to_path_buf()
    } else {
        let search = std::env::var_os("PATH")?;
        std::env::split_paths(&search)
            .map(|dir| dir.join(given))
            .find(|p| p.is_file())?
    };
    let path = path.canonicalize().ok()?;
    let bin = path.parent()?;
    if bin.file_name()? != "bin" || !bin.parent()?.join("releases").is_dir() {
        return None;
    }
    Some((path.file_name()?.to_str()?.to_owned(), path))
}

fn parse_ip(input: &Input, given: &Sourced<String>, text: &str) -> Result<IpAddr> {
    let bad = |problem: &str| InputError {
        subject: input.subject(),
        found: Some(if text == given.value {
            format!("{text:?} (from {})", given.source)
        } else {
            format!("{text:?} in {:?} (from {})", given.value, given.source)
        }),
        problem: problem.to_owned(),
        fix: format!(
            "set {} from the downward API (valueFrom.fieldRef.fieldPath: {}), or pass {}",
            input.env[0],
            if input.flag == POD_IPS.flag {
                "status.podIPs"
            } else {
                "status.podIP"
            },
            input.flag
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

fn check_label(input: &Input, found: &Sourced<String>, fix: &str) -> Result<()> {
    match naming::label_problem(&found.value) {
        Some(problem) => Err(invalid(input, found, &problem, fix)),
        None => Ok(()),
    }
}

fn invalid(input: &Input, found: &Sourced<String>, problem: &str, fix: &str) -> InputError {
    InputError {
        subject: input.subject(),
        found: Some(format!("{:?} (from {})", found.value, found.source)),
        problem: problem.to_owned(),
        fix: fix.to_owned(),
    }
}

fn cluster_name_from_domain(domain: &Sourced<String>) -> Result<Sourced<String>> {
    match naming::cluster_name_for_domain(&domain.value) {
        Some(name) => Ok(Sourced::new(name.to_owned(), Source::ClusterDomain)),
        None => Err(InputError {
            subject: format!("{} and {}", CLUSTER_NAME.subject(), CLUSTER_DOMAIN.subject()),
            found: Some(format!("cluster domain {:?} (from {})", domain.value, domain.source)),
            problem: "does not end in .local, and libcluster's Cluster.Strategy.Kubernetes modes :dns and :hostname always dial <kubernetes_cluster_name>.local, a name this cluster's DNS does not serve".into(),
            fix: "use mode ip, or the dnssrv strategy (it dials the real domain); only if your DNS serves <name>.local, pass --cluster-name/RELNODE_CLUSTER_NAME with your kubernetes_cluster_name".into(),
        }),
    }
}

/// The search list of resolv.conf: the last `search` (or `domain`) line wins, as in glibc.
pub fn parse_search(text: &str) -> Vec<String> {
    let mut search = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or_default();
        let mut words = line.split_whitespace();
        if let Some("search" | "domain") = words.next() {
            search = words.map(|w| w.trim_end_matches('.').to_owned()).collect();
        }
    }
    search
}

/// Finds the namespace and cluster domain in a kubelet search list
/// (`<ns>.svc.<domain> svc.<domain> <domain>`): the first `<label>.svc.<domain>` entry (the one
/// whose label is `namespace`, when known), else `svc.<domain>` for the domain alone.
pub fn cluster_search_entry<'s>(
    search: &'s [String],
    namespace: Option<&str>,
) -> Option<(Option<&'s str>, &'s str)> {
    let namespaced = search.iter().filter_map(|entry| {
        let (ns, domain) = entry.split_once(".svc.")?;
        (!ns.is_empty() && !ns.contains('.') && !domain.is_empty()).then_some((Some(ns), domain))
    });
    let preferred = namespaced
        .clone()
        .find(|(ns, _)| namespace.is_some() && *ns == namespace);
    preferred.or_else(|| namespaced.clone().next()).or_else(|| {
        search.iter().find_map(|e| {
            e.strip_prefix("svc.")
                .filter(|d| !d.is_empty())
                .map(|d| (None, d))
        })
    })
}

/// The Service (subdomain) from kubelet's hosts line `IP host.<subdomain>.<ns>.svc.<domain> host`.
pub fn service_from_hosts(text: &str, hostname: &str) -> Option<String> {
    let prefix = format!("{hostname}.");
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| line.split_whitespace().skip(1))
        .filter_map(|name| name.strip_prefix(&prefix))
        .find_map(|rest| {
            let mut labels = rest.split('.');
            let service = labels.next()?;
            let _namespace = labels.next()?;
            (labels.next()? == "svc").then(|| service.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    fn env(pairs: &[(&'static str, &'static str)]) -> MapEnv {
        MapEnv(pairs.iter().copied().collect())
    }

    /// Inputs that never touch this machine's /etc files.
    fn isolated() -> Inputs {
        Inputs {
            resolv_conf: Some("/dev/null".into()),
            hosts_file: Some("/dev/null".into()),
            service_account_dir: Some("/nonexistent/sa".into()),
            ..Inputs::default()
        }
    }

    #[test]
    fn kubelet_search_list_gives_namespace_and_domain() {
        let search = parse_search(
            "nameserver 10.96.0.10\nsearch shop.svc.k8s.local svc.k8s.local k8s.local ec2.internal\noptions ndots:5\n",
        );
        assert_eq!(
            cluster_search_entry(&search, None),
            Some((Some("shop"), "k8s.local"))
        );
        // A namespace called "svc" still splits at the first ".svc.".
        let search = parse_search("search svc.svc.cluster.local svc.cluster.local cluster.local");
        assert_eq!(
            cluster_search_entry(&search, None),
            Some((Some("svc"), "cluster.local"))
        );
        let search = parse_search("search svc.cluster.local. cluster.local.");
        assert_eq!(
            cluster_search_entry(&search, None),
            Some((None, "cluster.local"))
        );
        assert_eq!(
            cluster_search_entry(&parse_search("search example.com"), None),
            None
        );
        // The last search line wins.
        let search = parse_search("search a.svc.one.local\nsearch b.svc.two.local");
        assert_eq!(
            cluster_search_entry(&search, None),
            Some((Some("b"), "two.local"))
        );
    }

    #[test]
    fn hosts_line_gives_the_service() {
        let hosts = "127.0.0.1\tlocalhost\n# comment\n10.42.0.7\tweb-0.web-headless.shop.svc.cluster.local\tweb-0\n";
        assert_eq!(
            service_from_hosts(hosts, "web-0").as_deref(),
            Some("web-headless")
        );
        assert_eq!(service_from_hosts(hosts, "web-1"), None);
        // A Deployment pod's hosts file has only the short name.
        assert_eq!(
            service_from_hosts("10.42.0.9\tapi-7d9f\n", "api-7d9f"),
            None
        );
    }

    #[test]
    fn empty_env_counts_as_unset() {
        let e = env(&[
            ("MY_POD_IP", ""),
            ("POD_IP", "10.0.0.5"),
            ("RELEASE_NAME", "shop"),
        ]);
        let facts = gather(&isolated(), &e).expect("valid");
        assert_eq!(
            facts.ip.map(|i| (i.value.to_string(), i.source)),
            Some(("10.0.0.5".into(), Source::Env("POD_IP")))
        );
        assert_eq!(facts.basename.source, Source::Env("RELEASE_NAME"));
    }

    #[test]
    fn empty_flag_is_bad_input() {
        let inputs = Inputs {
            pod_ip: Some(String::new()),
            basename: Some("a".into()),
            ..isolated()
        };
        let err = gather(&inputs, &env(&[("MY_POD_IP", "10.0.0.1")])).unwrap_err();
        assert!(err.to_string().contains("--pod-ip"), "{err}");
    }

    #[test]
    fn dual_stack_picks_by_family() {
        let e = env(&[
            ("RELNODE_BASENAME", "app"),
            ("MY_POD_IP", "10.42.0.7"),
            ("MY_POD_IPS", "10.42.0.7,fd00:42::7"),
        ]);
        let facts = gather(&isolated(), &e).expect("valid");
        assert_eq!(facts.ip.expect("ip").value.to_string(), "10.42.0.7");
        assert!(!facts.ipv6);
        let inputs = Inputs {
            ip_family: Some("ipv6".into()),
            ..isolated()
        };
        let facts = gather(&inputs, &e).expect("valid");
        assert_eq!(facts.ip.expect("ip").value.to_string(), "fd00:42::7");
        assert!(facts.ipv6);
        let e4 = env(&[("RELNODE_BASENAME", "app"), ("MY_POD_IPS", "10.42.0.7")]);
        assert!(gather(&inputs, &e4).is_err(), "no IPv6 to pick");
    }

    #[test]
    fn namespace_and_domain_fall_back_to_files() {
        let dir = std::env::temp_dir().join(format!("relnode-facts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sa")).expect("temp dir");
        std::fs::write(dir.join("sa/namespace"), "payments\n").expect("write");
        std::fs::write(
            dir.join("resolv.conf"),
            "search other.svc.corp.local svc.corp.local\n",
        )
        .expect("write");
        let inputs = Inputs {
            mode: Some("dns".into()),
            service_account_dir: Some(dir.join("sa").display().to_string()),
            resolv_conf: Some(dir.join("resolv.conf").display().to_string()),
            ..isolated()
        };
        let facts = gather(
            &inputs,
            &env(&[("RELNODE_BASENAME", "app"), ("MY_POD_IP", "10.1.2.3")]),
        )
        .expect("valid");
        assert_eq!(
            facts.namespace.as_ref().map(|n| n.value.as_str()),
            Some("payments")
        );
        assert_eq!(
            facts.namespace.map(|n| n.source),
            Some(Source::File(dir.join("sa/namespace")))
        );
        assert_eq!(
            facts.cluster_domain.map(|d| d.value),
            Some("corp.local".into())
        );
        assert_eq!(
            facts.cluster_name.map(|c| (c.value, c.source)),
            Some(("corp".into(), Source::ClusterDomain))
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn default_domain_warns() {
        let inputs = Inputs {
            strategy: Some("dnssrv".into()),
            ..isolated()
        };
        let e = env(&[
            ("RELNODE_BASENAME", "app"),
            ("RELNODE_HOSTNAME", "web-0"),
            ("RELNODE_SERVICE", "web"),
            ("MY_POD_NAMESPACE", "default"),
        ]);
        let facts = gather(&inputs, &e).expect("valid");
        assert_eq!(
            facts.cluster_domain.map(|d| (d.value, d.source)),
            Some(("cluster.local".into(), Source::Default))
        );
        assert_eq!(facts.warnings.len(), 1);
    }

    #[test]
    fn cookie_is_never_in_debug_output() {
        assert_eq!(
            format!("{:?}", Cookie("s3cret".into())),
            "Cookie(<6 bytes hidden>)"
        );
    }
}
