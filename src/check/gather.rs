//! Builds a [`CheckInput`] from the pod's facts plus the few things only `check` reads.
//!
//! `facts::gather` looks up only what the shape's name needs; `check` needs a little more (the
//! namespace for the API, the Service for the DNS strategies, resolv.conf's nameservers). Those
//! come from the same input table and kubelet parsers, in relnode's order: flag, env vars,
//! file, default.

use std::net::IpAddr;
use std::time::Duration;

use super::{ApiTarget, CheckInput, Lookup};
use crate::error::{InputError, shown};
use crate::facts::PodFacts;
use crate::files::{self, ReadError};
use crate::inputs::{self, DEFAULT_RESOLV_CONF, DEFAULT_SERVICE_ACCOUNT_DIR, Id, input};
use crate::naming::Strategy;
use crate::platform::kubelet;
use crate::platform::kubernetes::{self, DEFAULT_CLUSTER_DOMAIN};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// `relnode check`'s own flags, as parsed.
#[derive(Debug)]
pub struct CheckOptions {
    pub format: Format,
    pub timeout: String,
    pub wait: Option<String>,
    pub peers: bool,
}

type Result<T> = std::result::Result<T, InputError>;

pub struct Prepared {
    pub input: CheckInput,
    pub wait: Option<Duration>,
    pub format: Format,
}

fn bad(subject: &str, found: &str, problem: &str, fix: &str) -> InputError {
    InputError {
        subject: subject.into(),
        found: Some(shown(found)),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// `5s`, `500ms`, `2m`, or plain seconds; at most a day.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    let seconds = number.parse::<f64>().map(|n| n * scale);
    match seconds {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(bad(
            flag,
            text,
            "is not a duration",
            "give a positive number with a unit: 500ms, 5s, 2m (plain numbers are seconds)",
        )),
    }
}

fn text(lookup: &inputs::Lookup, id: Id) -> Result<Option<String>> {
    Ok(lookup.text(id)?.map(|s| s.value))
}

pub fn prepare(
    facts: &PodFacts,
    node: &str,
    lookup: &inputs::Lookup,
    options: &CheckOptions,
) -> Result<Prepared> {
    let timeout = parse_duration("--timeout", &options.timeout)?;
    let wait = match &options.wait {
        Some(w) => Some(parse_duration("--wait", w)?),
        None => None,
    };
    let ip_lookup = match text(lookup, Id::IpLookup)?.as_deref() {
        None | Some("endpoints" | ":endpoints") => Lookup::Endpoints,
        Some("pods" | ":pods") => Lookup::Pods,
        Some(other) => {
            return Err(bad(
                &input(Id::IpLookup).subject(),
                other,
                "is not a kubernetes_ip_lookup_mode",
                "use endpoints (libcluster's default) or pods",
            ));
        }
    };
    let strategy = facts.shape.strategy;

    // The resolver: check asks the nameservers the pod's resolv.conf names.
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
    let resolv = kubelet::ResolvConf::parse(&resolv_bytes);

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
    let cluster_domain = match facts.cluster_domain.as_ref().map(|d| d.value.clone()) {
        Some(d) => d,
        None => match text(lookup, Id::ClusterDomain)? {
            Some(d) => d,
            None => resolv.cluster_search(namespace.as_deref()).map_or_else(
                || DEFAULT_CLUSTER_DOMAIN.to_owned(),
                |s| s.domain.to_owned(),
            ),
        },
    };
    // libcluster's default kubernetes_cluster_name is "cluster"; relnode's own (derived from
    // the domain) applies to the modes whose names use it.
    let cluster_name = match facts.cluster_name.as_ref().map(|c| c.value.clone()) {
        Some(c) => c,
        None => text(lookup, Id::ClusterName)?.unwrap_or_else(|| "cluster".into()),
    };

    let mut pod_ips: Vec<IpAddr> = facts.ip.iter().map(|i| i.value).collect();
    if let Some(list) = text(lookup, Id::PodIps)? {
        pod_ips.extend(
            list.split(',')
                .filter_map(|i| i.trim().parse::<IpAddr>().ok())
                .filter(|ip| facts.ip.as_ref().is_none_or(|p| p.value != *ip)),
        );
    }

    let selector = text(lookup, Id::Selector)?;
    match strategy {
        Strategy::Kubernetes if selector.is_none() => {
            return Err(InputError {
                subject: input(Id::Selector).subject(),
                found: None,
                problem: "is not set; the kubernetes strategy's request needs libcluster's kubernetes_selector".into(),
                fix: "pass the same selector as in libcluster's config, e.g. --selector app=myapp".into(),
            });
        }
        Strategy::Kubernetes if namespace.is_none() => {
            return Err(InputError {
                subject: input(Id::Namespace).subject(),
                found: None,
                problem: "is not set and the service-account namespace file is missing".into(),
                fix: "set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace)"
                    .into(),
            });
        }
        Strategy::Dns | Strategy::DnsSrv if service.is_none() => {
            return Err(InputError {
                subject: input(Id::Service).subject(),
                found: None,
                problem: format!("is not set; {} looks up libcluster's service:", strategy.module()),
                fix: "pass the headless Service's name as in libcluster's config, e.g. --service myapp-headless".into(),
            });
        }
        _ => {}
    }

    // As the release will see it: libcluster reads CLUSTER_DOMAIN for the SRV query and the API host.
    let libcluster_domain_env = lookup.var_text("CLUSTER_DOMAIN")?;
    let api = match lookup.var_text("KUBERNETES_SERVICE_HOST")? {
        Some(host) => {
            let port_text = lookup
                .var_text("KUBERNETES_SERVICE_PORT")?
                .unwrap_or_else(|| "443".into());
            let port = port_text.parse::<u16>().map_err(|_| {
                bad(
                    "API port (KUBERNETES_SERVICE_PORT)",
                    &port_text,
                    "is not a port number",
                    "leave it as the kubelet sets it, or unset it to use 443",
                )
            })?;
            ApiTarget {
                host,
                port,
                source: "KUBERNETES_SERVICE_HOST/PORT".into(),
            }
        }
        None => ApiTarget {
            host: super::master_host(&cluster_name, libcluster_domain_env.as_deref()),
            port: 443,
            source: "libcluster's kubernetes_master default".into(),
        },
    };

    Ok(Prepared {
        input: CheckInput {
            node_name: node.to_owned(),
            shape: facts.shape,
            basename: facts.basename.value.clone(),
            pod_ips,
            namespace,
            service,
            query: facts.query.as_ref().map(|q| q.value.clone()),
            hostname,
            cluster_domain,
            cluster_name,
            libcluster_domain_env,
            resolv,
            service_account_dir: sa_dir,
            api,
            selector,
            lookup: ip_lookup,
            timeout,
            peers: options.peers,
        },
        wait,
        format: options.format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("--t", "500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("--t", "2").unwrap(), Duration::from_secs(2));
        assert_eq!(
            parse_duration("--t", "1.5s").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("--t", "2m").unwrap(),
            Duration::from_secs(120)
        );
        for bad in ["", "0", "-1s", "5x", "s", "2d", "1e9"] {
            assert!(parse_duration("--t", bad).is_err(), "{bad:?}");
        }
    }
}
