//! Builds a [`CheckInput`] from relnode's facts plus the few inputs only `check` reads.
//!
//! `facts::gather` looks up only what the shape's name needs; `check` needs a little more
//! (the namespace for the API, the Service for the DNS strategies, resolv.conf's nameservers).
//! Those are looked up here in relnode's order: flag, env vars, file, default.
// TODO(foundation): once `src/inputs.rs` and `src/kubelet.rs` land, take these lookups from the
// input table and resolv.conf from kubelet's parser, and drop the copies here.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::dns::ResolvConf;
use super::{ApiTarget, CheckInput, Lookup};
use crate::error::InputError;
use crate::facts::{self, Env, Facts};
use crate::naming::Strategy;
use crate::options::Inputs;

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
    pub selector: Option<String>,
    pub lookup: Option<String>,
    pub peers: bool,
}

type Result<T> = std::result::Result<T, InputError>;

/// resolv.conf and the service-account files are a few KiB; more is not one of them.
const MAX_KUBELET_FILE: u64 = 64 * 1024;

pub struct Prepared {
    pub input: CheckInput,
    pub wait: Option<Duration>,
    pub format: Format,
}

fn bad(subject: &str, found: &str, problem: &str, fix: &str) -> InputError {
    InputError {
        subject: subject.into(),
        found: Some(format!("{found:?}")),
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

fn given(flag: Option<&str>, vars: &[&str], env: &dyn Env) -> Option<String> {
    flag.map(str::to_owned)
        .filter(|v| !v.is_empty())
        .or_else(|| {
            vars.iter()
                .find_map(|v| env.var(v).filter(|v| !v.is_empty()))
        })
}

fn read_small(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_KUBELET_FILE).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn prepare(
    facts: &Facts,
    node: &str,
    inputs: &Inputs,
    options: &CheckOptions,
    env: &dyn Env,
) -> Result<Prepared> {
    let timeout = parse_duration("--timeout", &options.timeout)?;
    let wait = match &options.wait {
        Some(w) => Some(parse_duration("--wait", w)?),
        None => None,
    };
    let lookup = match given(options.lookup.as_deref(), &["RELNODE_LOOKUP"], env).as_deref() {
        None | Some("endpoints" | ":endpoints") => Lookup::Endpoints,
        Some("pods" | ":pods") => Lookup::Pods,
        Some(other) => {
            return Err(bad(
                "lookup (--lookup, RELNODE_LOOKUP)",
                other,
                "is not a kubernetes_ip_lookup_mode",
                "use endpoints (libcluster's default) or pods",
            ));
        }
    };
    let strategy = facts.shape.strategy;

    let resolv_path = PathBuf::from(
        given(inputs.resolv_conf.as_deref(), facts::RESOLV_CONF.env, env)
            .unwrap_or_else(|| facts::DEFAULT_RESOLV_CONF.into()),
    );
    let resolv_text = read_small(&resolv_path).map_err(|err| InputError {
        subject: facts::RESOLV_CONF.subject(),
        found: Some(resolv_path.display().to_string()),
        problem: format!("cannot be read ({err}); check asks the nameservers it names"),
        fix: "run check inside the pod (kubectl exec POD -- relnode check), or pass --resolv-conf"
            .into(),
    })?;
    let resolv = ResolvConf::parse(&resolv_text);

    let sa_dir = PathBuf::from(
        given(
            inputs.service_account_dir.as_deref(),
            facts::SERVICE_ACCOUNT_DIR.env,
            env,
        )
        .unwrap_or_else(|| facts::DEFAULT_SERVICE_ACCOUNT_DIR.into()),
    );
    let namespace = facts
        .namespace
        .as_ref()
        .map(|n| n.value.clone())
        .or_else(|| given(inputs.namespace.as_deref(), facts::NAMESPACE.env, env))
        .or_else(|| {
            read_small(&sa_dir.join("namespace"))
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        });
    let service = facts
        .service
        .as_ref()
        .map(|s| s.value.clone())
        .or_else(|| given(inputs.service.as_deref(), facts::SERVICE.env, env));
    let hostname = facts
        .hostname
        .as_ref()
        .map(|h| h.value.clone())
        .or_else(|| given(inputs.hostname.as_deref(), facts::HOSTNAME.env, env));
    let cluster_domain = facts
        .cluster_domain
        .as_ref()
        .map(|d| d.value.clone())
        .or_else(|| {
            given(
                inputs.cluster_domain.as_deref(),
                facts::CLUSTER_DOMAIN.env,
                env,
            )
        })
        .or_else(|| {
            let ns = namespace.as_deref()?;
            let prefix = format!("{ns}.svc.");
            resolv
                .search
                .iter()
                .find_map(|s| s.strip_prefix(&prefix).map(str::to_owned))
        })
        .unwrap_or_else(|| facts::DEFAULT_CLUSTER_DOMAIN.into());
    // libcluster's default kubernetes_cluster_name is "cluster"; relnode's own cluster name
    // (derived from the domain) applies to the modes whose names use it.
    let cluster_name = facts
        .cluster_name
        .as_ref()
        .map(|c| c.value.clone())
        .or_else(|| given(inputs.cluster_name.as_deref(), facts::CLUSTER_NAME.env, env))
        .unwrap_or_else(|| "cluster".into());

    let mut pod_ips: Vec<IpAddr> = facts.ip.iter().map(|i| i.value).collect();
    if let Some(list) = given(inputs.pod_ips.as_deref(), facts::POD_IPS.env, env) {
        pod_ips.extend(
            list.split(',')
                .filter_map(|i| i.trim().parse::<IpAddr>().ok())
                .filter(|ip| facts.ip.as_ref().is_none_or(|p| p.value != *ip)),
        );
    }

    let selector = given(options.selector.as_deref(), &["RELNODE_SELECTOR"], env);
    match strategy {
        Strategy::Kubernetes if selector.is_none() => {
            return Err(InputError {
                subject: "selector (--selector, RELNODE_SELECTOR)".into(),
                found: None,
                problem: "is not set; the kubernetes strategy's request needs libcluster's kubernetes_selector".into(),
                fix: "pass the same selector as in libcluster's config, e.g. --selector app=myapp".into(),
            });
        }
        Strategy::Kubernetes if namespace.is_none() => {
            return Err(InputError {
                subject: facts::NAMESPACE.subject(),
                found: None,
                problem: "is not set and the service-account namespace file is missing".into(),
                fix: "set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace)"
                    .into(),
            });
        }
        Strategy::Dns | Strategy::DnsSrv if service.is_none() => {
            return Err(InputError {
                subject: facts::SERVICE.subject(),
                found: None,
                problem: format!("is not set; {} looks up libcluster's service:", strategy.module()),
                fix: "pass the headless Service's name as in libcluster's config, e.g. --service myapp-headless".into(),
            });
        }
        _ => {}
    }

    let libcluster_domain_env = env.var("CLUSTER_DOMAIN").filter(|d| !d.is_empty());
    let api = match env.var("KUBERNETES_SERVICE_HOST").filter(|h| !h.is_empty()) {
        Some(host) => {
            let port_text = env
                .var("KUBERNETES_SERVICE_PORT")
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
            hostname,
            cluster_domain,
            cluster_name,
            libcluster_domain_env,
            resolv,
            service_account_dir: sa_dir,
            api,
            selector,
            lookup,
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
