//! What `kubectl get endpoints|endpointslices|pods -o json` prints, read into the entries
//! libcluster would meet. Pure apart from [`read`]: the parsing takes bytes.

use std::fmt;
use std::io::Read;

use serde_json::Value;

/// A kubectl answer is a few KiB per object; 64 MiB is tens of thousands of pods.
pub const MAX_INPUT: u64 = 64 << 20;

/// The three kinds of object the answer may hold (one kind per answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Endpoints,
    EndpointSlice,
    Pod,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Endpoints => "Endpoints",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Pod => "Pod",
        })
    }
}

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

/// What was wrong with the document; the caller names the input.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

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

/// Parses one kubectl answer: a `List`/`EndpointsList`/`PodList`/`EndpointSliceList`, or one
/// object. Every item must be of the same kind.
pub fn parse(bytes: &[u8], ipv6_primary: bool) -> Result<(Kind, Vec<Entry>), ParseError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|err| {
        ParseError(format!(
            "is not JSON ({err}); give kubectl's -o json output"
        ))
    })?;
    let top_kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let items: Vec<&Value> = match doc.get("items") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(_) => return Err(ParseError("has an \"items\" that is not an array".into())),
        None => vec![&doc],
    };
    // A typed list's items often carry no kind of their own.
    let list_kind = top_kind.strip_suffix("List").filter(|k| !k.is_empty());
    let mut kind = None;
    for (i, item) in items.iter().enumerate() {
        let item_kind = item
            .get("kind")
            .and_then(Value::as_str)
            .or(list_kind)
            .unwrap_or("");
        let this = match item_kind {
            "Endpoints" => Kind::Endpoints,
            "EndpointSlice" => Kind::EndpointSlice,
            "Pod" => Kind::Pod,
            "" => {
                return Err(ParseError(format!(
                    "item {i} has no \"kind\"; give kubectl's -o json output for endpoints, endpointslices or pods"
                )));
            }
            other => {
                return Err(ParseError(format!(
                    "holds a {other:?}; libcluster reads Endpoints or Pods (EndpointSlices are shown as the Endpoints they mirror): kubectl get endpoints|endpointslices|pods -l ... -o json"
                )));
            }
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => {
                return Err(ParseError(format!(
                    "mixes {k} and {this}; libcluster reads one kind: give one kubectl get at a time"
                )));
            }
            Some(_) => {}
        }
    }
    let Some(kind) = kind else {
        return Err(ParseError(
            "is an empty list: the selector matched nothing, so libcluster would dial no node"
                .into(),
        ));
    };
    let mut entries = Vec::new();
    match kind {
        Kind::Endpoints => items.iter().for_each(|e| endpoints(e, &mut entries)),
        Kind::Pod => items.iter().for_each(|p| entries.push(pod(p))),
        Kind::EndpointSlice => slices(&items, ipv6_primary, &mut entries),
    }
    Ok((kind, entries))
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn object_name(kind: &str, obj: &Value) -> String {
    let name = text(obj, &["metadata", "name"]).unwrap_or("?");
    match text(obj, &["metadata", "namespace"]) {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn target_ref(addr: &Value) -> TargetRef {
    match addr.get("targetRef") {
        None | Some(Value::Null) => TargetRef::Missing,
        Some(t) => match t.get("namespace").and_then(Value::as_str) {
            Some(ns) => TargetRef::Namespace(ns.to_owned()),
            None => TargetRef::NoNamespace,
        },
    }
}

/// `, pod db-0` when the address points at a pod.
fn target_suffix(addr: &Value) -> String {
    match (
        text(addr, &["targetRef", "kind"]),
        text(addr, &["targetRef", "name"]),
    ) {
        (Some(kind), Some(name)) => format!(", {} {name}", kind.to_ascii_lowercase()),
        _ => String::new(),
    }
}

const NOT_READY: &str = "not ready: in notReadyAddresses, which libcluster never reads (publishNotReadyAddresses: true on the Service lists every pod in addresses)";

/// kubernetes.ex `parse_response(:endpoints, …)`: `subsets[].addresses[]` only.
fn endpoints(obj: &Value, out: &mut Vec<Entry>) {
    let from = object_name("Endpoints", obj);
    let namespace = text(obj, &["metadata", "namespace"]).map(str::to_owned);
    let service = text(obj, &["metadata", "name"]).map(str::to_owned);
    for subset in array(obj, "subsets") {
        for (key, listed) in [
            ("addresses", Listed::Yes),
            ("notReadyAddresses", Listed::No(NOT_READY.into())),
        ] {
            for addr in array(subset, key) {
                out.push(Entry {
                    from: format!("{from}{}", target_suffix(addr)),
                    ip: text(addr, &["ip"]).map(str::to_owned),
                    target: target_ref(addr),
                    object_namespace: namespace.clone(),
                    service: service.clone(),
                    hostname: text(addr, &["hostname"]).map(str::to_owned),
                    listed: listed.clone(),
                    warnings: Vec::new(),
                });
            }
        }
    }
}

/// kubernetes.ex `parse_response(:pods, …)`: every pod with `status.podIP`, ready or not.
fn pod(obj: &Value) -> Entry {
    let mut warnings = Vec::new();
    let ip = text(obj, &["status", "podIP"]).map(str::to_owned);
    let listed = if ip.is_none() {
        Listed::No("no status.podIP yet (pending): libcluster skips pods without an IP".into())
    } else if obj.get("spec").is_none() {
        Listed::No(
            "no spec: libcluster's pattern (status.podIP, metadata.namespace, spec) skips it"
                .into(),
        )
    } else {
        Listed::Yes
    };
    if ip.is_some() {
        if obj.pointer("/metadata/deletionTimestamp").is_some() {
            warnings.push("terminating (metadata.deletionTimestamp is set): the pods lookup still dials it until it is gone".into());
        }
        let ready = array(&obj["status"], "conditions")
            .iter()
            .find(|c| text(c, &["type"]) == Some("Ready"))
            .and_then(|c| text(c, &["status"]));
        if ready != Some("True") {
            warnings
                .push("not ready: the pods lookup dials every pod with an IP, ready or not".into());
        }
        if let Some(phase @ ("Succeeded" | "Failed")) = text(obj, &["status", "phase"]) {
            warnings.push(format!(
                "phase {phase}: no node runs there, but the pods lookup still dials it"
            ));
        }
        if array(&obj["status"], "podIPs").len() > 1 {
            warnings
                .push("dual stack: libcluster reads status.podIP only, never status.podIPs".into());
        }
    }
    Entry {
        from: object_name("Pod", obj),
        ip,
        target: match text(obj, &["metadata", "namespace"]) {
            Some(ns) => TargetRef::Namespace(ns.to_owned()),
            None => TargetRef::NoNamespace,
        },
        object_namespace: text(obj, &["metadata", "namespace"]).map(str::to_owned),
        service: None,
        hostname: text(obj, &["spec", "hostname"]).map(str::to_owned),
        listed,
        warnings,
    }
}

/// EndpointSlices, read as the Endpoints object the control plane mirrors from them:
/// `ready` endpoints go to `addresses`, not-ready ones to `notReadyAddresses`, terminating
/// ones are dropped (unless `ready`, which only `publishNotReadyAddresses` gives them).
/// A dual-stack Service's Endpoints carry its primary family only.
fn slices(items: &[&Value], ipv6_primary: bool, out: &mut Vec<Entry>) {
    let service_of = |s: &Value| {
        text(s, &["metadata", "labels", "kubernetes.io/service-name"]).map(str::to_owned)
    };
    let family = |s: &Value| text(s, &["addressType"]).unwrap_or("").to_owned();
    // Services with slices of both families: only the primary family reaches Endpoints.
    let dual: Vec<(Option<String>, Option<String>)> = items
        .iter()
        .filter(|s| family(s) == "IPv6")
        .map(|s| {
            (
                text(s, &["metadata", "namespace"]).map(str::to_owned),
                service_of(s),
            )
        })
        .filter(|key| {
            items.iter().any(|o| {
                family(o) == "IPv4"
                    && text(o, &["metadata", "namespace"]).map(str::to_owned) == key.0
                    && service_of(o) == key.1
            })
        })
        .collect();
    for slice in items {
        let from = object_name("EndpointSlice", slice);
        let namespace = text(slice, &["metadata", "namespace"]).map(str::to_owned);
        let service = service_of(slice);
        let family = family(slice);
        let secondary = dual.contains(&(namespace.clone(), service.clone()))
            && (family == "IPv6") != ipv6_primary;
        for ep in array(slice, "endpoints") {
            let addresses = array(ep, "addresses");
            let ip = addresses.first().and_then(Value::as_str).map(str::to_owned);
            let cond = |name: &str| {
                ep.get("conditions")
                    .and_then(|c| c.get(name))
                    .and_then(Value::as_bool)
            };
            let (ready, serving, terminating) =
                (cond("ready"), cond("serving"), cond("terminating"));
            let mut warnings = Vec::new();
            let listed = if family == "FQDN" {
                Listed::No("addressType FQDN: never mirrored into Endpoints".into())
            } else if secondary {
                Listed::No(format!(
                    "dual stack: Endpoints carry only the Service's primary family, taken as {} (--ip-family {} if the Service lists {} first)",
                    if ipv6_primary { "IPv6" } else { "IPv4" },
                    if ipv6_primary { "ipv4" } else { "ipv6" },
                    if ipv6_primary { "IPv4" } else { "IPv6" },
                ))
            } else {
                match ready {
                    Some(true) => {
                        if terminating == Some(true) {
                            warnings.push("terminating but ready (the Service publishes not-ready addresses): still dialled until the pod is gone".into());
                        }
                        Listed::Yes
                    }
                    None => {
                        warnings.push("conditions.ready is unset; read as ready, as the API tells consumers to".into());
                        Listed::Yes
                    }
                    Some(false) if terminating == Some(true) => Listed::No(format!(
                        "terminating{}: the Endpoints controller drops it, so libcluster no longer dials it",
                        if serving == Some(true) { " (still serving)" } else { "" }
                    )),
                    Some(false) => Listed::No(
                        "not ready: it is mirrored into notReadyAddresses, which libcluster never reads (publishNotReadyAddresses: true on the Service lists every pod in addresses)".into(),
                    ),
                }
            };
            if addresses.len() > 1 {
                warnings.push(format!(
                    "{} addresses on one endpoint; Endpoints mirror the first only",
                    addresses.len()
                ));
            }
            out.push(Entry {
                from: format!("{from}{}", target_suffix(ep)),
                ip,
                target: target_ref(ep),
                object_namespace: namespace.clone(),
                service: service.clone(),
                hostname: text(ep, &["hostname"]).map(str::to_owned),
                listed,
                warnings,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<(Kind, Vec<Entry>), ParseError> {
        parse(s.as_bytes(), false)
    }

    #[test]
    fn kinds_are_detected_from_lists_and_single_objects() {
        let ep = r#"{"kind":"Endpoints","metadata":{"name":"db","namespace":"shop"},
            "subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":"db-0","namespace":"shop"}}]}]}"#;
        let (kind, entries) = parse_str(ep).expect("single object");
        assert_eq!(kind, Kind::Endpoints);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].from, "Endpoints shop/db, pod db-0");
        let list = format!(r#"{{"kind":"List","items":[{ep},{ep}]}}"#);
        assert_eq!(parse_str(&list).expect("List").1.len(), 2);
        // A typed list's items carry no kind of their own.
        let typed = r#"{"kind":"PodList","items":[{"metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.0.0.2"},"spec":{}}]}"#;
        assert_eq!(parse_str(typed).expect("PodList").0, Kind::Pod);
    }

    #[test]
    fn wrong_documents_are_refused_with_the_reason() {
        for (doc, want) in [
            ("not json", "is not JSON"),
            (r#"{"kind":"Service","metadata":{}}"#, "holds a \"Service\""),
            (r#"{"kind":"List","items":[]}"#, "empty list"),
            (r#"{"items":{}}"#, "not an array"),
            (r#"{"metadata":{}}"#, "has no \"kind\""),
            (
                r#"{"kind":"List","items":[{"kind":"Pod"},{"kind":"Endpoints"}]}"#,
                "mixes Pod and Endpoints",
            ),
        ] {
            let err = parse_str(doc).expect_err(doc);
            assert!(err.0.contains(want), "{doc}: {}", err.0);
        }
    }

    #[test]
    fn pods_keep_spec_hostname_not_metadata_name() {
        let doc = r#"{"kind":"Pod","metadata":{"name":"web-7f9c-abcde","namespace":"shop"},
            "spec":{},"status":{"podIP":"10.0.0.3","conditions":[{"type":"Ready","status":"True"}]}}"#;
        let (_, entries) = parse_str(doc).expect("pod");
        assert_eq!(entries[0].hostname, None);
        assert!(entries[0].warnings.is_empty(), "{:?}", entries[0].warnings);
    }
}
