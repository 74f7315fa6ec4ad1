//! The platform-neutral facts a node name is built from ([`PodFacts`]), the name itself and
//! `--explain`; and the inputs every platform shares ([`Common`]: target, strategy, mode,
//! basename, cookie, query), each read once. Where the other facts come from (the pod IP, its
//! namespace, a Machine's variables) is the platform's business: see `platform`.

use std::ffi::OsStr;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::error::{InputError, shown};
use crate::files::{self, ReadError};
use crate::inputs::{Id, Input, Lookup, Source, Sourced, input};
use crate::libcluster::{Mode, NameError, Part, Shape, Strategy, erlang, names};
use crate::node::Cookie;
use crate::target::{self, Target};

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
    /// Where the node runs (`--platform`, or detected).
    pub platform: Sourced<&'static str>,
    /// The name the strategy looks up (dnscluster, dnspoll, or any DNS strategy off
    /// Kubernetes); dnscluster's is handed on as DNS_CLUSTER_QUERY.
    pub query: Option<Sourced<String>>,
    /// Said once the name is known to be good.
    pub warnings: Vec<String>,
}

type Result<T> = std::result::Result<T, InputError>;

impl PodFacts {
    /// The node name the peers will dial; the last check is Erlang's own rules on the whole name.
    pub fn node_name(&self) -> Result<String> {
        let parts = names::Parts {
            basename: &self.basename.value,
            ip: self.ip.as_ref().map(|i| i.value),
            hostname: self.hostname.as_ref().map(|h| h.value.as_str()),
            service: self.service.as_ref().map(|s| s.value.as_str()),
            namespace: self.namespace.as_ref().map(|n| n.value.as_str()),
            cluster_domain: self.cluster_domain.as_ref().map(|d| d.value.as_str()),
            cluster_name: self.cluster_name.as_ref().map(|c| c.value.as_str()),
        };
        names::node_name(self.shape, &parts).map_err(|err| match err {
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

/// What a platform found for a name: the parts its shape needs, each with where it came from.
#[derive(Debug, Default)]
pub struct Found {
    /// The platform's own basename (Fly's `<app>-<deploy>`), or [`Common::basename`] read
    /// where the platform wants its errors; `None`: the common one, read last.
    pub basename: Option<Sourced<String>>,
    pub ip: Option<Sourced<IpAddr>>,
    /// Distribution must listen on IPv6.
    pub ipv6: bool,
    pub namespace: Option<Sourced<String>>,
    pub cluster_domain: Option<Sourced<String>>,
    pub cluster_name: Option<Sourced<String>>,
    pub hostname: Option<Sourced<String>>,
    pub service: Option<Sourced<String>>,
    /// dns_cluster's query when none is given (Fly's `<app>.internal`).
    pub query: Option<Sourced<String>>,
    /// The address was found through the query (a DNS-discovered platform): `query` is final,
    /// whatever the strategy.
    pub discovered: bool,
    pub warnings: Vec<String>,
}

/// The shapes a platform can name a node by, and what to say of the others.
pub struct Only {
    pub allows: fn(Shape) -> bool,
    pub problem: &'static str,
    pub fix: &'static str,
}

/// The mode libcluster uses when none is given.
pub fn libcluster_mode(strategy: Strategy) -> Result<Sourced<Mode>> {
    Ok(Sourced::new(strategy.default_mode(), Source::Default))
}

/// The strategy, mode and shape, as settled.
struct Settled {
    strategy: Sourced<Strategy>,
    mode: Sourced<Mode>,
    shape: Shape,
}

/// The inputs every platform shares, each read once: the target first, the strategy and mode
/// and the basename when the platform asks ([`Self::shape`], [`Self::basename`]), the cookie
/// and the query last ([`Self::finish`]).
pub struct Common<'a> {
    pub lookup: &'a Lookup<'a>,
    wrapped_command: Option<&'a OsStr>,
    target: Sourced<&'static dyn Target>,
    platform: Sourced<&'static str>,
    default_strategy: Option<Sourced<Strategy>>,
    settled: Option<Settled>,
}

impl<'a> Common<'a> {
    /// `wrapped_command` is what `exec` will run (a mix release script names the basename);
    /// `default_strategy` is the platform's.
    pub fn new(
        lookup: &'a Lookup<'a>,
        wrapped_command: Option<&'a OsStr>,
        target: Sourced<&'static dyn Target>,
        platform: Sourced<&'static str>,
        default_strategy: Option<Sourced<Strategy>>,
    ) -> Self {
        Common {
            lookup,
            wrapped_command,
            target,
            platform,
            default_strategy,
            settled: None,
        }
    }

    /// What reads the name (`--target`); read before anything else.
    pub fn target(lookup: &Lookup) -> Result<Sourced<&'static dyn Target>> {
        Ok(match lookup.text(Id::Target)? {
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

    /// The platform as chosen, and how.
    pub fn platform(&self) -> &Sourced<&'static str> {
        &self.platform
    }

    /// The shape the strategy and mode make, settled once. `only`: the platform's limits;
    /// `default_mode`: its mode when none is given ([`libcluster_mode`] for libcluster's).
    pub fn shape(
        &mut self,
        only: Option<&Only>,
        default_mode: impl FnOnce(Strategy) -> Result<Sourced<Mode>>,
    ) -> Result<Shape> {
        if let Some(settled) = &self.settled {
            return Ok(settled.shape);
        }
        let settled = self.settle(only, default_mode)?;
        let shape = settled.shape;
        self.settled = Some(settled);
        Ok(shape)
    }

    fn settle(
        &self,
        only: Option<&Only>,
        default_mode: impl FnOnce(Strategy) -> Result<Sourced<Mode>>,
    ) -> Result<Settled> {
        let strategy = match self.lookup.value::<Strategy>(Id::Strategy)? {
            Some(given) => given,
            None => match &self.default_strategy {
                Some(platform_default) => platform_default.clone(),
                None => Sourced::new(Strategy::Kubernetes, Source::Default),
            },
        };
        let mode = match self.lookup.value::<Mode>(Id::Mode)? {
            Some(given) => given,
            None => default_mode(strategy.value)?,
        };
        let shape = Shape::new(strategy.value, mode.value)
            .filter(|shape| only.is_none_or(|only| (only.allows)(*shape)))
            .ok_or_else(|| no_such_shape(&strategy, &mode, only))?;
        Ok(Settled {
            strategy,
            mode,
            shape,
        })
    }

    /// The part before '@': given, else the target's own default, else a mix release
    /// script's name.
    pub fn basename(&self) -> Result<Sourced<String>> {
        let found = match self.lookup.text(Id::Basename)? {
            Some(given) => given,
            // The target's own default (RabbitMQ's `rabbit`).
            None => match self.target.value.default_basename() {
                Some(default) => Sourced::new(default.to_owned(), Source::Default),
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
            },
        };
        match erlang::check_basename(&found.value) {
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

    /// The platform's facts with the shared inputs it did not ask for, the cookie and the
    /// query: the pod's facts.
    pub fn finish(mut self, found: Found) -> Result<PodFacts> {
        let settled = match self.settled.take() {
            Some(settled) => settled,
            None => self.settle(None, libcluster_mode)?,
        };
        let basename = match found.basename {
            Some(basename) => basename,
            None => self.basename()?,
        };
        let cookie = self.cookie()?;
        let query = if found.discovered {
            found.query
        } else {
            self.query(settled.shape, found.query)?
        };
        let mut warnings = found.warnings;
        // libcluster's own limits matter only to a mix release that runs it.
        if self.target.value.mix_release() {
            warnings.extend(libcluster_warnings(settled.shape, found.ipv6));
        }
        Ok(PodFacts {
            strategy: settled.strategy,
            mode: settled.mode,
            shape: settled.shape,
            basename,
            ip: found.ip,
            ipv6: found.ipv6,
            namespace: found.namespace,
            cluster_domain: found.cluster_domain,
            cluster_name: found.cluster_name,
            hostname: found.hostname,
            service: found.service,
            cookie,
            target: self.target,
            platform: self.platform,
            query,
            warnings,
        })
    }

    /// The query: given, or the platform's (Fly's `<app>.internal`). Only for the strategies
    /// that look one up (dnscluster, dnspoll).
    fn query(
        &self,
        shape: Shape,
        platform_default: Option<Sourced<String>>,
    ) -> Result<Option<Sourced<String>>> {
        if !shape.strategy.looks_up_query() {
            return Ok(None);
        }
        let Some(given) = self.lookup.text(Id::Query)? else {
            return Ok(platform_default);
        };
        let name = erlang::strip_root_dot(&given.value);
        if let Err(NameError::Invalid { problem, .. }) = erlang::domain(name, Part::ClusterDomain) {
            return Err(invalid(
                Id::Query,
                &given,
                &problem,
                "use the DNS name whose A/AAAA records list the nodes, e.g. myapp-headless.default.svc.cluster.local or myapp.internal",
            ));
        }
        Ok(Some(Sourced::new(name.to_owned(), given.source)))
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

/// Strategy and mode that name no node anyone dials; dns_cluster and the platform say why.
fn no_such_shape(
    strategy: &Sourced<Strategy>,
    mode: &Sourced<Mode>,
    only: Option<&Only>,
) -> InputError {
    let (problem, fix) = if strategy.value == Strategy::DnsCluster {
        (
            "cannot work: dns_cluster dials <its basename>@<each A/AAAA address>, so a node named by a host name never matches (dns_cluster #14)".to_owned(),
            "drop --mode (dnscluster names are <basename>@<ip>), or use libcluster's dnssrv strategy for host names".to_owned(),
        )
    } else if let Some(only) = only {
        (only.problem.to_owned(), only.fix.to_owned())
    } else {
        (
            "is not a pair libcluster has".to_owned(),
            format!("choose one of: {}", crate::libcluster::SHAPES),
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

/// A value given for `id` that is wrong: what, and how to fix it.
pub fn invalid(id: Id, found: &Sourced<String>, problem: &str, fix: &str) -> InputError {
    InputError {
        subject: input(id).subject(),
        found: Some(found.found()),
        problem: problem.to_owned(),
        fix: fix.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;

    /// A platform that asks for nothing still gets the shared inputs, read last: libcluster's
    /// mode, the common basename, the query (only for dnscluster, without its root dot).
    #[test]
    fn finish_reads_what_the_platform_did_not_ask_for() {
        let args = PodArgs::with(&[(Id::Strategy, "dnscluster"), (Id::Query, "app.internal.")]);
        let vars = env(&[("RELEASE_NAME", "app")]);
        let lookup = Lookup {
            args: &args,
            env: &vars,
        };
        let target = Common::target(&lookup).expect("valid");
        let common = Common::new(
            &lookup,
            None,
            target,
            Sourced::new("test", Source::Default),
            None,
        );
        let ip = Sourced::new(IpAddr::from([10, 0, 0, 1]), Source::Default);
        let facts = common
            .finish(Found {
                ip: Some(ip),
                ..Found::default()
            })
            .expect("valid");
        assert_eq!(facts.node_name().expect("name"), "app@10.0.0.1");
        assert_eq!(
            (facts.mode.value, &facts.mode.source),
            (Mode::Ip, &Source::Default)
        );
        assert_eq!(
            facts.query.as_ref().map(|q| q.value.as_str()),
            Some("app.internal")
        );
        assert_eq!(
            facts.explain()[1],
            ("platform", "test".into(), "default".into())
        );
    }
}
