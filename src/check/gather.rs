//! Builds a [`CheckInput`] from the pod's facts plus the few things only `check` reads.
//!
//! `facts::gather` looks up only what the shape's name needs; `check` needs a little more (the
//! namespace for the API, the Service for the DNS strategies, resolv.conf's nameservers). Those
//! come from the same input table and kubelet parsers, in relnode's order: flag, env vars,
//! file, default.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ApiTarget, CheckInput, Lookup};
use crate::error::{InputError, shown};
use crate::facts::PodFacts;
use crate::files::{self, ReadError};
use crate::inputs::{
    self, DEFAULT_RESOLV_CONF, DEFAULT_SERVICE_ACCOUNT_DIR, Id, InputValue, Port, input,
};
use crate::libcluster::{Strategy, names};
use crate::platform::address::{self, LocalAddress};
use crate::platform::kubernetes;
use crate::platform::{self, kubelet};

/// `relnode check`'s own options, parsed from its flags by the command.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// Bounds each lookup and request.
    pub timeout: Duration,
    /// Retry failed checks until they pass or this runs out.
    pub wait: Option<Duration>,
    /// Also TCP-connect to every peer's epmd.
    pub peers: bool,
}

type Result<T> = std::result::Result<T, InputError>;

fn text(lookup: &inputs::Lookup, id: Id) -> Result<Option<String>> {
    Ok(lookup.text(id)?.map(|s| s.value))
}

/// The [`CheckInput`] for this pod: `facts` and `node` as `env` computes them, plus what
/// only `check` reads, in relnode's order (flag, env vars, file, default).
pub fn prepare(
    facts: &PodFacts,
    node: &str,
    lookup: &inputs::Lookup,
    options: &CheckOptions,
) -> Result<CheckInput> {
    let ip_lookup = ip_lookup(lookup)?;
    let (dist_port, dist_tls) = dist(lookup)?;
    // Livebook's distribution listens on a fixed port behind its own EPMD module.
    let dist_port = dist_port.or(facts.target.value.dist_port());
    // The resolver: check asks the nameservers the pod's resolv.conf names.
    let (resolv_path, resolv) = resolv_conf(lookup)?;
    let sa_dir = lookup
        .path(Id::ServiceAccountDir, DEFAULT_SERVICE_ACCOUNT_DIR)?
        .value;
    let namespace = match facts.namespace.as_ref() {
        Some(ns) => Some(ns.value.clone()),
        None => kubernetes::namespace(lookup)?.map(|ns| ns.value),
    };
    let service = match facts.service.as_ref().map(|s| s.value.clone()) {
        Some(s) => Some(s),
        None => text(lookup, Id::Service)?,
    };
    let hostname = match facts.hostname.as_ref().map(|h| h.value.clone()) {
        Some(h) => Some(h),
        None => text(lookup, Id::Hostname)?,
    };
    let cluster_domain =
        cluster_domain(facts, lookup, (&resolv_path, &resolv), namespace.as_deref())?;
    // libcluster's default kubernetes_cluster_name is "cluster"; relnode's own (derived from
    // the domain) applies to the modes whose names use it.
    let cluster_name = match facts.cluster_name.as_ref().map(|c| c.value.clone()) {
        Some(c) => c,
        None => text(lookup, Id::ClusterName)?.unwrap_or_else(|| "cluster".into()),
    };
    let pod_ips = pod_ips(facts, lookup)?;
    let selector = text(lookup, Id::Selector)?;
    require(
        facts.shape.strategy,
        selector.as_deref(),
        namespace.as_deref(),
        service.as_deref(),
    )?;
    // As the release will see it: libcluster reads CLUSTER_DOMAIN for the SRV query and the API host.
    let libcluster_domain_env = lookup.var_text("CLUSTER_DOMAIN")?;
    let api = api_target(lookup, &cluster_name, libcluster_domain_env.as_deref())?;
    Ok(CheckInput {
        node_name: node.to_owned(),
        shape: facts.shape,
        basename: facts.basename.value.clone(),
        pod_ips,
        namespace,
        service,
        query: facts.query.as_ref().map(|q| q.value.clone()),
        local: local(facts),
        hostname,
        cluster_domain,
        cluster_name,
        libcluster_domain_env,
        resolv,
        service_account_dir: sa_dir,
        api,
        selector,
        lookup: ip_lookup,
        timeout: options.timeout,
        peers: options.peers,
        dist_port,
        dist_tls,
    })
}

/// This host's addresses, where a miss of the query is shown beside them: DNSPoll and the
/// platforms that name the node after a DNS answer. Unreadable, the miss is said without them.
fn local(facts: &PodFacts) -> Option<Vec<LocalAddress>> {
    let wanted =
        facts.shape.strategy == Strategy::DnsPoll || platform::discovers(facts.platform.value);
    wanted.then(address::local_interfaces)?.ok()
}

/// `--dist-port` (a port to handshake with, without epmd) and `--dist-tls` (send nothing).
fn dist(lookup: &inputs::Lookup) -> Result<(Option<u16>, bool)> {
    let dist_port = lookup.value::<Port>(Id::DistPort)?.map(|p| p.value.0);
    let dist_tls = lookup.switch(Id::DistTls)?.is_some_and(|s| s.value);
    Ok((dist_port, dist_tls))
}

/// libcluster's `kubernetes_ip_lookup_mode`, `:endpoints` by default.
fn ip_lookup(lookup: &inputs::Lookup) -> Result<Lookup> {
    Ok(lookup
        .value::<Lookup>(Id::IpLookup)?
        .map_or(Lookup::Endpoints, |given| given.value))
}

impl InputValue for Lookup {
    fn parse_input(text: &str) -> std::result::Result<Lookup, (String, String)> {
        match text.strip_prefix(':').unwrap_or(text) {
            "endpoints" => Ok(Lookup::Endpoints),
            "pods" => Ok(Lookup::Pods),
            _ => Err((
                "is not a kubernetes_ip_lookup_mode".into(),
                "use endpoints (libcluster's default) or pods".into(),
            )),
        }
    }
}

/// The pod's resolv.conf; check cannot run without it.
fn resolv_conf(lookup: &inputs::Lookup) -> Result<(PathBuf, kubelet::ResolvConf)> {
    let resolv_path = lookup.path(Id::ResolvConf, DEFAULT_RESOLV_CONF)?;
    let resolv_bytes =
        files::read_limited(&resolv_path.value, files::MAX_KUBELET_FILE).map_err(|err| {
            let input = input(Id::ResolvConf);
            InputError {
                subject: input.subject(),
                found: Some(resolv_path.value.display().to_string()),
                problem: match err {
                    ReadError::NotFound => {
                        "does not exist; check asks the nameservers it names".into()
                    }
                    other => other.to_string(),
                },
                fix: format!(
                    "run check inside the pod (kubectl exec POD -- relnode check), or set {}",
                    input.set_hint()
                ),
            }
        })?;
    Ok((resolv_path.value, kubelet::ResolvConf::parse(&resolv_bytes)))
}

/// The facts' domain, else derived as the naming path derives it (`--cluster-domain`,
/// CLUSTER_DOMAIN, resolv.conf's `<ns>.svc.X` search entry, cluster.local).
fn cluster_domain(
    facts: &PodFacts,
    lookup: &inputs::Lookup,
    resolv: (&Path, &kubelet::ResolvConf),
    namespace: Option<&str>,
) -> Result<String> {
    if let Some(d) = facts.cluster_domain.as_ref() {
        return Ok(d.value.clone());
    }
    let given = lookup.text(Id::ClusterDomain)?;
    let (found, _warning) = kubernetes::cluster_domain(given, namespace, || Ok(resolv))?;
    Ok(found.value)
}

/// Our IPs: the chosen one first, then the rest of MY_POD_IPS, parsed as the naming path
/// parses them (a bad item is an error, never dropped).
fn pod_ips(facts: &PodFacts, lookup: &inputs::Lookup) -> Result<Vec<IpAddr>> {
    let mut ips: Vec<IpAddr> = facts.ip.iter().map(|i| i.value).collect();
    for ip in kubernetes::pod_ips(lookup)? {
        if !ips.contains(&ip.value) {
            ips.push(ip.value);
        }
    }
    Ok(ips)
}

/// What the strategy's own lookup cannot do without.
fn require(
    strategy: Strategy,
    selector: Option<&str>,
    namespace: Option<&str>,
    service: Option<&str>,
) -> Result<()> {
    match strategy {
        Strategy::Kubernetes if selector.is_none() => Err(InputError {
            subject: input(Id::Selector).subject(),
            found: None,
            problem: "is not set; the kubernetes strategy's request needs libcluster's kubernetes_selector".into(),
            fix: "pass the same selector as in libcluster's config, e.g. --selector app=myapp".into(),
        }),
        Strategy::Kubernetes if namespace.is_none() => Err(InputError {
            subject: input(Id::Namespace).subject(),
            found: None,
            problem: "is not set and the service-account namespace file is missing".into(),
            fix: "set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace)".into(),
        }),
        Strategy::Dns | Strategy::DnsSrv if service.is_none() => Err(InputError {
            subject: input(Id::Service).subject(),
            found: None,
            problem: format!("is not set; {} looks up libcluster's service:", strategy.module()),
            fix: "pass the headless Service's name as in libcluster's config, e.g. --service myapp-headless".into(),
        }),
        _ => Ok(()),
    }
}

/// The API as the kubelet announces it (KUBERNETES_SERVICE_HOST/PORT), else libcluster's
/// default master.
fn api_target(
    lookup: &inputs::Lookup,
    cluster_name: &str,
    libcluster_domain_env: Option<&str>,
) -> Result<ApiTarget> {
    let Some(host) = lookup.var_text("KUBERNETES_SERVICE_HOST")? else {
        return Ok(ApiTarget {
            host: names::master_host(cluster_name, libcluster_domain_env),
            port: 443,
            source: "libcluster's kubernetes_master default".into(),
        });
    };
    let port_text = lookup
        .var_text("KUBERNETES_SERVICE_PORT")?
        .unwrap_or_else(|| "443".into());
    let port = port_text.parse::<u16>().map_err(|_| InputError {
        subject: "API port (KUBERNETES_SERVICE_PORT)".into(),
        found: Some(shown(&port_text)),
        problem: "is not a port number".into(),
        fix: "leave it as the kubelet sets it, or unset it to use 443".into(),
    })?;
    Ok(ApiTarget {
        host,
        port,
        source: "KUBERNETES_SERVICE_HOST/PORT".into(),
    })
}
