//! Platform AWS ECS / Fargate: the node is `<basename>@<task IP>`, the task's own VPC address
//! as the task metadata endpoint v4 gives it (`GET $ECS_CONTAINER_METADATA_URI_V4`, the
//! container document: `Networks[].NetworkMode`, `IPv4Addresses`, `IPv6Addresses`; AWS's
//! "Amazon ECS task metadata endpoint version 4", Fargate platform 1.4.0+, EC2 agent 1.39.0+).
//! Peers find each other by a Cloud Map service's DNS name (dns_cluster's query).
//!
//! Only `awsvpc` gives a task an address of its own (always so on Fargate). In `bridge` mode the
//! container's address is on its instance's Docker bridge, which no task on another instance
//! can reach; in `host` mode the task is the instance, whose address the metadata does not
//! give. Both are refused, saying so, unless the address is given (`--pod-ip`): then the
//! endpoint is not read at all. Nothing here runs on any other platform's start-up path.

mod http;
mod json;
mod sha1;

use std::ffi::OsString;
use std::net::IpAddr;

use anyhow::anyhow;

use super::address::never_dialled;
use super::fly::Basename;
use super::{Detection, Entry, Platform, kubernetes};
use crate::error::{Error, InputError, shown};
use crate::facts::{Common, Found, Only, libcluster_mode};
use crate::inputs::{Id, Lookup, Source, Sourced, input};
use crate::libcluster::{Mode, Shape, Strategy};
use json::Json;

pub const METADATA_URI: &str = "ECS_CONTAINER_METADATA_URI_V4";

const DETECTED_WHEN: &str = "ECS_CONTAINER_METADATA_URI_V4 is set";

pub const ENTRY: Entry = Entry {
    name: "ecs",
    aliases: &["aws-ecs", "fargate"],
    about: Some(
        "AWS ECS/Fargate: the task IP from the task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4), awsvpc mode",
    ),
    detection: Some(Detection {
        when: DETECTED_WHEN,
        explain: text!["detected: ", DETECTED_WHEN],
    }),
    platform: &Ecs,
};

/// Tasks find each other by one DNS name and dial `<basename>@<each address>`.
const ONLY_DNS: Only = Only {
    allows: dns_named,
    problem: "cannot work on AWS ECS: tasks find each other by a DNS name (Cloud Map service discovery) and dial <basename>@<task IP>, which only the DNS strategies' mode ip names",
    fix: "use --strategy dnscluster (the default on ECS) or dns, without --mode",
};

fn dns_named(shape: Shape) -> bool {
    shape.mode == Mode::Ip && shape.strategy != Strategy::Kubernetes
}

const FROM_IPV4: &str = "ECS task metadata: Networks[0].IPv4Addresses[0] (awsvpc)";
const FROM_IPV6: &str = "ECS task metadata: Networks[0].IPv6Addresses[0] (awsvpc)";
const FROM_DEPLOY: &str =
    "<basename>-<first 10 hex of sha1 of the image ID> (--ecs-basename deploy, as Livebook)";

pub struct Ecs;

impl Platform for Ecs {
    fn detected(&self, lookup: &Lookup) -> bool {
        lookup.var_os(METADATA_URI).is_some()
    }

    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        Some(Sourced::new(
            Strategy::DnsCluster,
            Source::Derived(
                "platform ecs: dns_cluster over a Cloud Map name, as Phoenix generates",
            ),
        ))
    }

    fn gather(&self, common: &mut Common) -> Result<Found, Error> {
        let lookup = common.lookup;
        common.shape(Some(&ONLY_DNS), libcluster_mode)?;
        let deploy = lookup
            .value::<Basename>(Id::EcsBasename)?
            .is_some_and(|given| given.value == Basename::Deploy);
        let mut basename = common.basename()?;
        let want_v6 = kubernetes::ip_family(lookup)?;
        let (ip, image_id) = match lookup.text(Id::PodIp)? {
            // Given: the endpoint is not read at all.
            Some(given) => {
                if deploy {
                    return Err(deploy_needs_metadata(&given).into());
                }
                let ip = kubernetes::parse_ip(Id::PodIp, &given, &given.value)?;
                (Sourced::new(ip, given.source), None)
            }
            None => {
                let url = metadata_url(lookup, &common.platform().source)?;
                let container = read(&url)?;
                (container.address(want_v6, &url)?, container.image_id)
            }
        };
        if deploy {
            let image = image_id.ok_or_else(|| {
                anyhow!("the ECS task metadata has no ImageID, which --ecs-basename deploy names the node after; use --ecs-basename app")
            })?;
            let digest = sha1::hex(format!("{image}\n").as_bytes());
            basename = Sourced::new(
                format!("{}-{}", basename.value, &digest[..10]),
                Source::Derived(FROM_DEPLOY),
            );
        }
        let mut warnings = Vec::new();
        if lookup.text(Id::Query)?.is_none() {
            warnings.push("no --query (DNS_CLUSTER_QUERY): the release learns no DNS name to find the other tasks by; give the Cloud Map service's name, <service>.<namespace>".to_owned());
        }
        Ok(Found {
            basename: Some(basename),
            ipv6: ip.value.is_ipv6(),
            ip: Some(ip),
            warnings,
            ..Found::default()
        })
    }
}

fn deploy_needs_metadata(given: &Sourced<String>) -> InputError {
    InputError {
        subject: format!(
            "{} with {}",
            input(Id::EcsBasename).subject(),
            input(Id::PodIp).subject()
        ),
        found: Some(given.found()),
        problem: "cannot both hold: the deploy basename is made from the image ID in the task metadata, which a given pod IP means is not read".into(),
        fix: "drop the pod IP (the metadata gives the task IP), or use --ecs-basename app".into(),
    }
}

/// `ECS_CONTAINER_METADATA_URI_V4`, as the agent sets it: `http://169.254.170.2/v4/<id>`.
fn metadata_url(lookup: &Lookup, chosen: &Source) -> Result<(String, http::Url), InputError> {
    let raw = lookup.var_os(METADATA_URI).unwrap_or_default();
    let bad = |problem: String| {
        InputError {
        subject: format!("{METADATA_URI} (platform ecs, {chosen})"),
        found: Some(shown(&raw)),
        problem,
        fix: "the ECS agent sets it to http://169.254.170.2/v4/<id>; do not override it, or give the task IP with --pod-ip (the endpoint is then not read)".into(),
    }
    };
    let text = OsString::into_string(raw.clone()).map_err(|_| bad("is not valid UTF-8".into()))?;
    if text.is_empty() {
        return Err(bad("is empty".into()));
    }
    let url = http::Url::parse(&text).map_err(bad)?;
    Ok((text, url))
}

/// GETs and parses the container document; failing is "could not run" (exit 3), naming the URL.
fn read((text, url): &(String, http::Url)) -> Result<Container, Error> {
    let body = http::get(url, &http::METADATA).map_err(|e| {
        anyhow!("cannot read the ECS task metadata: GET {text} ({METADATA_URI}) failed: {e}; relnode tries twice within 2 s. Fix: check that the task runs on Fargate platform 1.4.0+ or ECS agent 1.39.0+, or give the task IP with --pod-ip")
    })?;
    Container::parse(&body).map_err(|e| {
        Error::from(anyhow!(
            "the ECS task metadata from {text} ({METADATA_URI}) is not a container document relnode can read: {e}"
        ))
    })
}

/// What relnode reads of the container document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub image_id: Option<String>,
    pub networks: Vec<Network>,
}

/// One of `Networks[]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    pub mode: String,
    pub ipv4: Vec<String>,
    pub ipv6: Vec<String>,
}

impl Container {
    /// The fields relnode reads, checked for their documented types; others are ignored.
    pub fn parse(body: &[u8]) -> Result<Container, String> {
        let doc = json::parse(body)?;
        if !matches!(doc, Json::Object(_)) {
            return Err(format!("it is {}, not an object", doc.kind()));
        }
        let image_id = match doc.get("ImageID") {
            None | Some(Json::Null) => None,
            Some(value) => Some(string(value, "ImageID")?.to_owned()),
        };
        let networks = match doc.get("Networks") {
            None | Some(Json::Null) => Vec::new(),
            Some(value) => array(value, "Networks")?
                .iter()
                .enumerate()
                .map(|(i, net)| Network::parse(net, i))
                .collect::<Result<_, _>>()?,
        };
        Ok(Container { image_id, networks })
    }

    /// The task IP: in awsvpc mode the first address of the family asked for (`want_v6`), or
    /// IPv4 when there is one. Other modes are refused, saying why.
    fn address(
        &self,
        want_v6: Option<bool>,
        (text, _): &(String, http::Url),
    ) -> Result<Sourced<IpAddr>, Error> {
        let Some(network) = self.networks.first() else {
            return Err(anyhow!("the ECS task metadata from {text} has no Networks, so no task address (the agent leaves it out when the container has no network information)").into());
        };
        network.refuse_mode()?;
        let (v4, v6) = (network.first(&network.ipv4)?, network.first(&network.ipv6)?);
        let chosen = match (want_v6, v4, v6) {
            (Some(false) | None, Some(ip), _) => Sourced::new(ip, Source::Derived(FROM_IPV4)),
            (Some(true) | None, _, Some(ip)) => Sourced::new(ip, Source::Derived(FROM_IPV6)),
            (Some(want_v6), _, _) => {
                let family = if want_v6 { "IPv6" } else { "IPv4" };
                return Err(InputError {
                    subject: input(Id::IpFamily).subject(),
                    found: Some(family.to_lowercase()),
                    problem: format!(
                        "asks for the task's {family} address, and the task metadata lists none (IPv4Addresses {:?}, IPv6Addresses {:?})",
                        network.ipv4, network.ipv6
                    ),
                    fix: "drop --ip-family, or give the task's subnet that family".into(),
                }
                .into());
            }
            (None, None, None) => {
                return Err(anyhow!("the ECS task metadata from {text} lists no address in awsvpc mode (IPv4Addresses and IPv6Addresses are empty)").into());
            }
        };
        if never_dialled(chosen.value) {
            return Err(anyhow!(
                "the ECS task metadata from {text} gives {} as the task address, which no peer can dial",
                chosen.value
            )
            .into());
        }
        Ok(chosen)
    }
}

impl Network {
    fn parse(value: &Json, i: usize) -> Result<Network, String> {
        let field = |name: &str| format!("Networks[{i}].{name}");
        let list = |name: &str| -> Result<Vec<String>, String> {
            match value.get(name) {
                None | Some(Json::Null) => Ok(Vec::new()),
                Some(items) => array(items, &field(name))?
                    .iter()
                    .map(|item| string(item, &field(name)).map(str::to_owned))
                    .collect(),
            }
        };
        let mode = value
            .get("NetworkMode")
            .ok_or_else(|| format!("{} is missing", field("NetworkMode")))?;
        Ok(Network {
            mode: string(mode, &field("NetworkMode"))?.to_owned(),
            ipv4: list("IPv4Addresses")?,
            ipv6: list("IPv6Addresses")?,
        })
    }

    /// Only awsvpc gives the task an address its peers dial.
    fn refuse_mode(&self) -> Result<(), InputError> {
        let (problem, fix) = match self.mode.as_str() {
            "awsvpc" => return Ok(()),
            "bridge" => (
                format!(
                    "names no address a peer can dial: in bridge mode the container's address ({}) is on the Docker bridge of its EC2 instance, which tasks on other instances cannot reach",
                    self.ipv4.first().map_or("none listed", String::as_str)
                ),
                "use \"networkMode\": \"awsvpc\" in the task definition (each task gets its own VPC address; Fargate always does), or, with the distribution ports published on the instance, pass the instance's address with --pod-ip",
            ),
            "host" => (
                "gives the task no address of its own: in host mode it shares its EC2 instance's network, and the metadata does not say which of the instance's addresses peers dial".to_owned(),
                "pass the instance's private address explicitly with --pod-ip (e.g. MY_POD_IP from the instance metadata service), or use \"networkMode\": \"awsvpc\"",
            ),
            _ => (
                "is not awsvpc, the mode that gives a task a VPC address of its own".to_owned(),
                "use \"networkMode\": \"awsvpc\" in the task definition, or pass the task's address with --pod-ip",
            ),
        };
        Err(InputError {
            subject: format!(
                "network mode (Networks[0].NetworkMode in the ECS task metadata, {METADATA_URI})"
            ),
            found: Some(shown(&self.mode)),
            problem,
            fix: fix.to_owned(),
        })
    }

    /// The first address of a list, which must be an IP address.
    fn first(&self, list: &[String]) -> Result<Option<IpAddr>, Error> {
        let Some(text) = list.first() else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            anyhow!(
                "the ECS task metadata lists {} as an address, which is not an IP address",
                shown(text)
            )
            .into()
        })
    }
}

fn string<'a>(value: &'a Json, field: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{field} is {}, not a string", value.kind()))
}

fn array<'a>(value: &'a Json, field: &str) -> Result<&'a [Json], String> {
    value
        .as_array()
        .ok_or_else(|| format!("{field} is {}, not an array", value.kind()))
}

#[cfg(test)]
mod tests;
