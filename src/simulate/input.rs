//! kubectl's answer (`get endpoints|endpointslices|pods -o json`), typed by
//! [`api`](crate::libcluster::api), read into the entries libcluster would meet: which
//! addresses it lists, and what is surprising about each. Pure apart from [`read_stdin`].

use std::io::Read;

use crate::libcluster::api::{
    Address, AddressType, EndpointSlice, Endpoints, Meta, ObjectRef, Objects, ParseError, Pod,
};
use crate::libcluster::family::IpFamily;

/// A kubectl answer is a few KiB per object; 64 MiB is tens of thousands of pods.
pub const MAX_INPUT: u64 = 64 << 20;

/// Whether libcluster's source (the Endpoints `addresses[]`, or the pod list) carries the entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listed {
    /// In `subsets[].addresses[]` (for a slice: what the Endpoints mirror would put there), or
    /// a pod with `status.podIP`.
    Yes,
    /// Not there; the reason in words.
    No(String),
}

/// An address's `targetRef`, which libcluster's Endpoints parser pattern-matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetRef {
    Namespace(String),
    Missing,
    NoNamespace,
}

/// One address (or pod) as libcluster, or the cluster DNS, would meet it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `Endpoints shop/db, pod db-0`: where the entry came from, for the reader.
    pub from: String,
    /// The IP string exactly as the API wrote it (libcluster interpolates it verbatim).
    pub ip: Option<String>,
    /// Endpoints: the address's `targetRef`; pods: `metadata.namespace`.
    pub target: TargetRef,
    /// The namespace of the Endpoints/EndpointSlice object (the Service's, used by DNS).
    pub object_namespace: Option<String>,
    /// The Service the object belongs to: the Endpoints' name or the slice's
    /// `kubernetes.io/service-name` label. `None` for pods.
    pub service: Option<String>,
    /// The address's `hostname` (Endpoints) or the pod's `spec.hostname`.
    pub hostname: Option<String>,
    pub listed: Listed,
    /// Surprising but not broken by itself (a terminating pod still dialled, ...).
    pub warnings: Vec<String>,
}

/// What is wrong with the document, in words (the caller names the input).
pub fn problem(err: &ParseError) -> String {
    match err {
        ParseError::NotJson(err) => format!("is not JSON ({err}); give kubectl's -o json output"),
        ParseError::ItemsNotArray => "has an \"items\" that is not an array".into(),
        ParseError::NoKind(i) => format!(
            "item {i} has no \"kind\"; give kubectl's -o json output for endpoints, endpointslices or pods"
        ),
        ParseError::OtherKind(other) => format!(
            "holds a {other:?}; libcluster reads Endpoints or Pods (EndpointSlices are shown as the Endpoints they mirror): kubectl get endpoints|endpointslices|pods -l ... -o json"
        ),
        ParseError::Mixed(k, this) => format!(
            "mixes {k} and {this}; libcluster reads one kind: give one kubectl get at a time"
        ),
        ParseError::Empty => EMPTY.into(),
    }
}

const EMPTY: &str =
    "is an empty list: the selector matched nothing, so libcluster would dial no node";

/// Reads `--from -`: stdin, capped; a terminal is refused rather than waited on. (A file
/// goes through `files::read_limited`.)
pub fn read_stdin() -> Result<Vec<u8>, String> {
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err("is the terminal; pipe kubectl's output in (kubectl get endpoints -l app=myapp -o json | relnode simulate --from -)".into());
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot be read: {err}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!(
            "is larger than {} MiB; select fewer objects (kubectl get ... -l app=myapp)",
            MAX_INPUT >> 20
        ));
    }
    Ok(bytes)
}

/// Who reads the EndpointSlices: the Endpoints object the control plane mirrors from them
/// (libcluster's API strategy), or the cluster DNS, which serves from the slices themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// Through Endpoints, which carry a dual-stack Service's primary family only.
    Endpoints(IpFamily),
    /// CoreDNS: every ready endpoint of every slice, both families (A and AAAA, SRV targets).
    ClusterDns,
}

/// The entries of one answer, in its order; an empty answer is refused (libcluster would
/// dial nobody).
pub fn entries(objects: &Objects, reader: Reader) -> Result<Vec<Entry>, String> {
    if objects.is_empty() {
        return Err(EMPTY.into());
    }
    let mut entries = Vec::new();
    match objects {
        Objects::Endpoints(items) => items.iter().for_each(|e| endpoints(e, &mut entries)),
        Objects::Pods(items) => entries.extend(items.iter().map(pod)),
        Objects::EndpointSlices(items) => {
            slices(items, reader, &mut entries);
            if matches!(reader, Reader::Endpoints(_)) {
                past_the_cap(&mut entries);
            }
        }
    }
    Ok(entries)
}

/// The addresses one Endpoints object holds at most; the control plane truncates the rest
/// and sets `endpoints.kubernetes.io/over-capacity: truncated`.
pub const ENDPOINTS_CAP: usize = 1000;

/// What the reader should know about the answer as a whole: an Endpoints object cut at the
/// cap, or slices of a Service with more ready endpoints than its Endpoints can hold.
pub fn notes(objects: &Objects, reader: Reader, entries: &[Entry]) -> Vec<String> {
    let mut notes = Vec::new();
    if let Objects::Endpoints(items) = objects {
        for e in items.iter().filter(|e| e.meta.over_capacity.is_some()) {
            let value = e.meta.over_capacity.as_deref().unwrap_or_default();
            notes.push(format!(
                "{} is over capacity (endpoints.kubernetes.io/over-capacity: {value}): the control plane keeps at most {ENDPOINTS_CAP} addresses in it, so the addresses past the cap are missing here and libcluster will not see them{}",
                object_name("Endpoints", &e.meta),
                if reader == Reader::ClusterDns {
                    "; the cluster DNS serves from EndpointSlices, which hold them all: simulate from kubectl get endpointslices"
                } else {
                    "; split the cluster, or see them all with kubectl get endpointslices"
                }
            ));
        }
    }
    let cut = entries
        .iter()
        .filter(|e| matches!(&e.listed, Listed::No(why) if why.starts_with(PAST_THE_CAP)))
        .count();
    if cut > 0 {
        notes.push(format!(
            "{cut} ready address(es) past the {ENDPOINTS_CAP} the mirrored Endpoints object holds: libcluster will not see them (marked below)"
        ));
    }
    notes
}

const PAST_THE_CAP: &str = "past the 1000 addresses";

/// Slices read as Endpoints: past the cap, a Service's ready endpoints are cut (ready ones
/// are kept first, so only ready ones past the cap are lost to libcluster).
fn past_the_cap(entries: &mut [Entry]) {
    let mut seen: std::collections::HashMap<(Option<String>, Option<String>), usize> =
        std::collections::HashMap::new();
    for entry in entries.iter_mut().filter(|e| e.listed == Listed::Yes) {
        let count = seen
            .entry((entry.object_namespace.clone(), entry.service.clone()))
            .or_default();
        *count += 1;
        if *count > ENDPOINTS_CAP {
            entry.listed = Listed::No(format!(
                "{PAST_THE_CAP} the Service's Endpoints object holds (endpoints.kubernetes.io/over-capacity: truncated): libcluster will not see it"
            ));
        }
    }
}

fn object_name(kind: &str, meta: &Meta) -> String {
    let name = meta.name.as_deref().unwrap_or("?");
    match &meta.namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn target(target_ref: &Option<ObjectRef>) -> TargetRef {
    match target_ref {
        None => TargetRef::Missing,
        Some(ObjectRef {
            namespace: Some(ns),
            ..
        }) => TargetRef::Namespace(ns.clone()),
        Some(_) => TargetRef::NoNamespace,
    }
}

/// `, pod db-0` when the address points at a pod.
fn target_suffix(target_ref: &Option<ObjectRef>) -> String {
    match target_ref {
        Some(ObjectRef {
            kind: Some(kind),
            name: Some(name),
            ..
        }) => format!(", {} {name}", kind.to_ascii_lowercase()),
        _ => String::new(),
    }
}

const NOT_READY: &str = "not ready: in notReadyAddresses, which libcluster never reads (publishNotReadyAddresses: true on the Service lists every pod in addresses)";

/// kubernetes.ex `parse_response(:endpoints, …)`: `subsets[].addresses[]` only.
fn endpoints(obj: &Endpoints, out: &mut Vec<Entry>) {
    let from = object_name("Endpoints", &obj.meta);
    let entry = |addr: &Address, listed: Listed| Entry {
        from: format!("{from}{}", target_suffix(&addr.target_ref)),
        ip: addr.ip.clone(),
        target: target(&addr.target_ref),
        object_namespace: obj.meta.namespace.clone(),
        service: obj.meta.name.clone(),
        hostname: addr.hostname.clone(),
        listed,
        warnings: Vec::new(),
    };
    for subset in &obj.subsets {
        out.extend(subset.addresses.iter().map(|a| entry(a, Listed::Yes)));
        out.extend(
            subset
                .not_ready_addresses
                .iter()
                .map(|a| entry(a, Listed::No(NOT_READY.into()))),
        );
    }
}

/// kubernetes.ex `parse_response(:pods, …)`: every pod with `status.podIP`, ready or not.
fn pod(obj: &Pod) -> Entry {
    let mut warnings = Vec::new();
    let ip = obj.status.pod_ip.clone();
    let listed = if ip.is_none() {
        Listed::No("no status.podIP yet (pending): libcluster skips pods without an IP".into())
    } else if obj.spec.is_none() {
        Listed::No(
            "no spec: libcluster's pattern (status.podIP, metadata.namespace, spec) skips it"
                .into(),
        )
    } else {
        Listed::Yes
    };
    if ip.is_some() {
        if obj.meta.deleting {
            warnings.push("terminating (metadata.deletionTimestamp is set): the pods lookup still dials it until it is gone".into());
        }
        if !obj.status.ready {
            warnings
                .push("not ready: the pods lookup dials every pod with an IP, ready or not".into());
        }
        if let Some(phase @ ("Succeeded" | "Failed")) = obj.status.phase.as_deref() {
            warnings.push(format!(
                "phase {phase}: no node runs there, but the pods lookup still dials it"
            ));
        }
        if obj.status.pod_ips.len() > 1 {
            warnings
                .push("dual stack: libcluster reads status.podIP only, never status.podIPs".into());
        }
    }
    Entry {
        from: object_name("Pod", &obj.meta),
        ip,
        target: match &obj.meta.namespace {
            Some(ns) => TargetRef::Namespace(ns.clone()),
            None => TargetRef::NoNamespace,
        },
        object_namespace: obj.meta.namespace.clone(),
        service: None,
        hostname: obj.spec.as_ref().and_then(|s| s.hostname.clone()),
        listed,
        warnings,
    }
}

/// EndpointSlices, read as the Endpoints object the control plane mirrors from them:
/// `ready` endpoints go to `addresses`, not-ready ones to `notReadyAddresses`, terminating
/// ones are dropped (unless `ready`, which only `publishNotReadyAddresses` gives them).
/// A dual-stack Service's Endpoints carry its primary family only; the cluster DNS serves
/// both (CoreDNS reads the slices, not the Endpoints).
fn slices(items: &[EndpointSlice], reader: Reader, out: &mut Vec<Entry>) {
    let key = |s: &EndpointSlice| (s.meta.namespace.clone(), s.service.clone());
    // Services with slices of both families: only the primary family reaches Endpoints.
    let dual: Vec<(Option<String>, Option<String>)> = items
        .iter()
        .filter(|s| s.address_type == AddressType::Ipv6)
        .map(key)
        .filter(|k| {
            items
                .iter()
                .any(|o| o.address_type == AddressType::Ipv4 && key(o) == *k)
        })
        .collect();
    let ipv6_primary = reader == Reader::Endpoints(IpFamily::V6);
    let dns = reader == Reader::ClusterDns;
    for slice in items {
        let from = object_name("EndpointSlice", &slice.meta);
        let secondary = !dns
            && dual.contains(&key(slice))
            && (slice.address_type == AddressType::Ipv6) != ipv6_primary;
        for ep in &slice.endpoints {
            let c = ep.conditions;
            let mut warnings = Vec::new();
            let listed = if slice.address_type == AddressType::Fqdn {
                Listed::No(if dns {
                    "addressType FQDN: the cluster DNS serves no record for it".into()
                } else {
                    "addressType FQDN: never mirrored into Endpoints".into()
                })
            } else if secondary {
                Listed::No(format!(
                    "dual stack: Endpoints carry only the Service's primary family, taken as {} (--ip-family {} if the Service lists {} first)",
                    if ipv6_primary { "IPv6" } else { "IPv4" },
                    if ipv6_primary { "ipv4" } else { "ipv6" },
                    if ipv6_primary { "IPv4" } else { "IPv6" },
                ))
            } else {
                match c.ready {
                    Some(true) => {
                        if c.terminating == Some(true) {
                            warnings.push("terminating but ready (the Service publishes not-ready addresses): still dialled until the pod is gone".into());
                        }
                        Listed::Yes
                    }
                    None => {
                        warnings.push("conditions.ready is unset; read as ready, as the API tells consumers to".into());
                        Listed::Yes
                    }
                    Some(false) if c.terminating == Some(true) => Listed::No(format!(
                        "terminating{}: {}, so libcluster no longer dials it",
                        if c.serving == Some(true) { " (still serving)" } else { "" },
                        if dns { "the cluster DNS serves ready endpoints only" } else { "the Endpoints controller drops it" }
                    )),
                    Some(false) if dns => Listed::No(
                        "not ready: the cluster DNS serves ready endpoints only (publishNotReadyAddresses: true on the Service serves every pod)".into(),
                    ),
                    Some(false) => Listed::No(
                        "not ready: it is mirrored into notReadyAddresses, which libcluster never reads (publishNotReadyAddresses: true on the Service lists every pod in addresses)".into(),
                    ),
                }
            };
            if ep.addresses.len() > 1 {
                warnings.push(format!(
                    "{} addresses on one endpoint; Endpoints mirror the first only",
                    ep.addresses.len()
                ));
            }
            out.push(Entry {
                from: format!("{from}{}", target_suffix(&ep.target_ref)),
                ip: ep.addresses.first().cloned().flatten(),
                target: target(&ep.target_ref),
                object_namespace: slice.meta.namespace.clone(),
                service: slice.service.clone(),
                hostname: ep.hostname.clone(),
                listed,
                warnings,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libcluster::api;

    fn parse_str(s: &str) -> Result<Vec<Entry>, String> {
        let objects = api::parse(s.as_bytes()).map_err(|err| problem(&err))?;
        entries(&objects, Reader::Endpoints(IpFamily::V4))
    }

    #[test]
    fn entries_name_where_they_came_from() {
        let ep = r#"{"kind":"Endpoints","metadata":{"name":"db","namespace":"shop"},
            "subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":"db-0","namespace":"shop"}}]}]}"#;
        let entries = parse_str(ep).expect("single object");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].from, "Endpoints shop/db, pod db-0");
        assert_eq!(entries[0].target, TargetRef::Namespace("shop".into()));
        assert_eq!(entries[0].service.as_deref(), Some("db"));
    }

    #[test]
    fn wrong_documents_are_refused_with_the_reason() {
        for (doc, want) in [
            ("not json", "is not JSON"),
            (r#"{"kind":"Service","metadata":{}}"#, "holds a \"Service\""),
            (r#"{"kind":"List","items":[]}"#, "empty list"),
            (r#"{"kind":"EndpointsList","items":[]}"#, "empty list"),
            (r#"{"items":{}}"#, "not an array"),
            (r#"{"metadata":{}}"#, "has no \"kind\""),
            (
                r#"{"kind":"List","items":[{"kind":"Pod"},{"kind":"Endpoints"}]}"#,
                "mixes Pod and Endpoints",
            ),
        ] {
            let err = parse_str(doc).expect_err(doc);
            assert!(err.contains(want), "{doc}: {err}");
        }
    }

    #[test]
    fn pods_keep_spec_hostname_not_metadata_name() {
        let doc = r#"{"kind":"Pod","metadata":{"name":"web-7f9c-abcde","namespace":"shop"},
            "spec":{},"status":{"podIP":"10.0.0.3","conditions":[{"type":"Ready","status":"True"}]}}"#;
        let entries = parse_str(doc).expect("pod");
        assert_eq!(entries[0].hostname, None);
        assert!(entries[0].warnings.is_empty(), "{:?}", entries[0].warnings);
    }
}
