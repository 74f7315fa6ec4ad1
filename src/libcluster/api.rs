//! The Kubernetes API objects libcluster reads (Endpoints, EndpointSlices, Pods), typed from
//! serde_json once: for `simulate` (what `kubectl get ... -o json` printed) and `check` (what
//! the API server answered). Only the fields libcluster or the cluster's DNS look at are kept,
//! each as the API wrote it: libcluster interpolates the strings verbatim, so nothing is
//! normalised here. A field of the wrong JSON type reads as absent.

use std::fmt;

use serde_json::Value;

/// The three kinds of object an answer may hold (one kind per answer).
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

/// `metadata`, the parts read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// `metadata.deletionTimestamp` is present: the object is being deleted.
    pub deleting: bool,
    /// The `endpoints.kubernetes.io/over-capacity` annotation (`truncated`): the control plane
    /// cut the Endpoints object to its first 1,000 addresses.
    pub over_capacity: Option<String>,
}

/// A `targetRef` (an object reference).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// One of an Endpoints subset's `addresses` or `notReadyAddresses`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub ip: Option<String>,
    pub hostname: Option<String>,
    /// `None` when absent or `null` (hand-written Endpoints).
    pub target_ref: Option<ObjectRef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subset {
    pub addresses: Vec<Address>,
    pub not_ready_addresses: Vec<Address>,
}

/// `v1` Endpoints: what libcluster's API strategy reads in `kubernetes_ip_lookup_mode: :endpoints`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub meta: Meta,
    pub subsets: Vec<Subset>,
}

/// An EndpointSlice's `addressType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressType {
    Ipv4,
    Ipv6,
    Fqdn,
    /// Absent, or a type this model does not know.
    Other,
}

/// An endpoint's `conditions`; `None` when unset (the API says: read unset `ready` as ready).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// One per element of `addresses`, `None` where it is not a string (the Endpoints mirror
    /// takes the first).
    pub addresses: Vec<Option<String>>,
    pub hostname: Option<String>,
    pub target_ref: Option<ObjectRef>,
    pub conditions: Conditions,
}

/// `discovery.k8s.io/v1` EndpointSlice, which the cluster's DNS serves from and which the
/// control plane mirrors into Endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSlice {
    pub meta: Meta,
    /// The `kubernetes.io/service-name` label: the Service the slice belongs to.
    pub service: Option<String>,
    pub address_type: AddressType,
    pub endpoints: Vec<Endpoint>,
}

/// `spec`, the part read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodSpec {
    pub hostname: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodStatus {
    pub pod_ip: Option<String>,
    /// One per element of `podIPs`, its `ip` (`None` where it has none).
    pub pod_ips: Vec<Option<String>>,
    pub phase: Option<String>,
    /// The first `Ready` condition has status `True`.
    pub ready: bool,
}

/// A Pod: what libcluster's API strategy reads in `kubernetes_ip_lookup_mode: :pods`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    pub meta: Meta,
    /// `None` when the key is absent (libcluster's pattern needs one, even `null`).
    pub spec: Option<PodSpec>,
    pub status: PodStatus,
}

/// One answer's objects, all of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Objects {
    Endpoints(Vec<Endpoints>),
    EndpointSlices(Vec<EndpointSlice>),
    Pods(Vec<Pod>),
}

impl Objects {
    pub fn kind(&self) -> Kind {
        match self {
            Objects::Endpoints(_) => Kind::Endpoints,
            Objects::EndpointSlices(_) => Kind::EndpointSlice,
            Objects::Pods(_) => Kind::Pod,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Objects::Endpoints(items) => items.len(),
            Objects::EndpointSlices(items) => items.len(),
            Objects::Pods(items) => items.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The API server's answer to a list request for `kind` (what `check` asked): its
    /// `items`, read as that kind whatever they say. A document without an `items` array
    /// (`null`, or none) lists nothing.
    #[cfg(feature = "check")]
    pub fn read(kind: Kind, doc: &Value) -> Objects {
        let items: Vec<&Value> = match doc.get("items") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        of_kind(kind, &items)
    }
}

fn of_kind(kind: Kind, items: &[&Value]) -> Objects {
    match kind {
        Kind::Endpoints => Objects::Endpoints(items.iter().map(|v| endpoints(v)).collect()),
        Kind::EndpointSlice => {
            Objects::EndpointSlices(items.iter().map(|v| endpoint_slice(v)).collect())
        }
        Kind::Pod => Objects::Pods(items.iter().map(|v| pod(v)).collect()),
    }
}

/// Why a document is not one answer of Endpoints, EndpointSlices or Pods.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// serde_json's message.
    NotJson(String),
    ItemsNotArray,
    /// Item `n` has no `kind`, nor does its list say.
    NoKind(usize),
    /// An object of another kind (`Service`).
    OtherKind(String),
    Mixed(Kind, Kind),
    /// An untyped list with no items: the kind is unknown.
    Empty,
}

/// Parses one answer whose kind it names: a `List`/`EndpointsList`/`PodList`/
/// `EndpointSliceList`, or one object. Every item must be of the same kind. A typed list
/// with no items is an empty answer of its kind.
pub fn parse(bytes: &[u8]) -> Result<Objects, ParseError> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|err| ParseError::NotJson(err.to_string()))?;
    let top_kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let items: Vec<&Value> = match doc.get("items") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(_) => return Err(ParseError::ItemsNotArray),
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
        let this = match kind_named(item_kind) {
            Some(this) => this,
            None if item_kind.is_empty() => return Err(ParseError::NoKind(i)),
            None => return Err(ParseError::OtherKind(item_kind.to_owned())),
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => return Err(ParseError::Mixed(k, this)),
            Some(_) => {}
        }
    }
    let kind = kind
        .or_else(|| list_kind.and_then(kind_named))
        .ok_or(ParseError::Empty)?;
    Ok(of_kind(kind, &items))
}

fn kind_named(name: &str) -> Option<Kind> {
    match name {
        "Endpoints" => Some(Kind::Endpoints),
        "EndpointSlice" => Some(Kind::EndpointSlice),
        "Pod" => Some(Kind::Pod),
        _ => None,
    }
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn meta(obj: &Value) -> Meta {
    Meta {
        name: text(obj, &["metadata", "name"]),
        namespace: text(obj, &["metadata", "namespace"]),
        deleting: obj.pointer("/metadata/deletionTimestamp").is_some(),
        over_capacity: text(
            obj,
            &[
                "metadata",
                "annotations",
                "endpoints.kubernetes.io/over-capacity",
            ],
        ),
    }
}

fn target_ref(value: &Value) -> Option<ObjectRef> {
    match value.get("targetRef") {
        None | Some(Value::Null) => None,
        Some(t) => Some(ObjectRef {
            kind: text(t, &["kind"]),
            name: text(t, &["name"]),
            namespace: text(t, &["namespace"]),
        }),
    }
}

fn address(value: &Value) -> Address {
    Address {
        ip: text(value, &["ip"]),
        hostname: text(value, &["hostname"]),
        target_ref: target_ref(value),
    }
}

fn endpoints(obj: &Value) -> Endpoints {
    Endpoints {
        meta: meta(obj),
        subsets: array(obj, "subsets")
            .iter()
            .map(|subset| Subset {
                addresses: array(subset, "addresses").iter().map(address).collect(),
                not_ready_addresses: array(subset, "notReadyAddresses")
                    .iter()
                    .map(address)
                    .collect(),
            })
            .collect(),
    }
}

fn endpoint_slice(obj: &Value) -> EndpointSlice {
    let address_type = match obj.get("addressType").and_then(Value::as_str) {
        Some("IPv4") => AddressType::Ipv4,
        Some("IPv6") => AddressType::Ipv6,
        Some("FQDN") => AddressType::Fqdn,
        _ => AddressType::Other,
    };
    let endpoint = |ep: &Value| {
        let cond = |name: &str| {
            ep.get("conditions")
                .and_then(|c| c.get(name))
                .and_then(Value::as_bool)
        };
        Endpoint {
            addresses: array(ep, "addresses")
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect(),
            hostname: text(ep, &["hostname"]),
            target_ref: target_ref(ep),
            conditions: Conditions {
                ready: cond("ready"),
                serving: cond("serving"),
                terminating: cond("terminating"),
            },
        }
    };
    EndpointSlice {
        meta: meta(obj),
        service: text(obj, &["metadata", "labels", "kubernetes.io/service-name"]),
        address_type,
        endpoints: array(obj, "endpoints").iter().map(endpoint).collect(),
    }
}

fn pod(obj: &Value) -> Pod {
    let status = &obj["status"];
    let ready = array(status, "conditions")
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .and_then(|c| c.get("status").and_then(Value::as_str))
        == Some("True");
    Pod {
        meta: meta(obj),
        spec: obj.get("spec").map(|spec| PodSpec {
            hostname: text(spec, &["hostname"]),
        }),
        status: PodStatus {
            pod_ip: text(status, &["podIP"]),
            pod_ips: array(status, "podIPs")
                .iter()
                .map(|p| text(p, &["ip"]))
                .collect(),
            phase: text(status, &["phase"]),
            ready,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Objects, ParseError> {
        parse(s.as_bytes())
    }

    #[test]
    fn kinds_are_detected_from_lists_and_single_objects() {
        let ep = r#"{"kind":"Endpoints","metadata":{"name":"db","namespace":"shop"},
            "subsets":[{"addresses":[{"ip":"10.0.0.1","hostname":"db-0","targetRef":{"kind":"Pod","name":"db-0","namespace":"shop"}}],
            "notReadyAddresses":[{"ip":"10.0.0.2","targetRef":null}]}]}"#;
        let Ok(Objects::Endpoints(one)) = parse_str(ep) else {
            panic!("single object")
        };
        assert_eq!(one.len(), 1);
        let subset = &one[0].subsets[0];
        assert_eq!(subset.addresses[0].ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(subset.addresses[0].hostname.as_deref(), Some("db-0"));
        assert_eq!(
            subset.addresses[0].target_ref,
            Some(ObjectRef {
                kind: Some("Pod".into()),
                name: Some("db-0".into()),
                namespace: Some("shop".into()),
            })
        );
        assert_eq!(subset.not_ready_addresses[0].target_ref, None);
        let list = format!(r#"{{"kind":"List","items":[{ep},{ep}]}}"#);
        assert_eq!(parse_str(&list).expect("List").len(), 2);
        // A typed list's items carry no kind of their own.
        let typed = r#"{"kind":"PodList","items":[{"metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.0.0.2"},"spec":{}}]}"#;
        assert_eq!(parse_str(typed).expect("PodList").kind(), Kind::Pod);
        // An empty typed list is an empty answer of its kind; an empty List has no kind.
        let empty = r#"{"kind":"EndpointsList","items":[]}"#;
        assert_eq!(parse_str(empty), Ok(Objects::Endpoints(Vec::new())));
        assert_eq!(
            parse_str(r#"{"kind":"List","items":[]}"#),
            Err(ParseError::Empty)
        );
    }

    #[test]
    fn wrong_documents_are_refused_with_the_reason() {
        assert!(matches!(parse_str("not json"), Err(ParseError::NotJson(_))));
        for (doc, want) in [
            (
                r#"{"kind":"Service","metadata":{}}"#,
                ParseError::OtherKind("Service".into()),
            ),
            (r#"{"kind":"ServiceList","items":[]}"#, ParseError::Empty),
            (r#"{"items":{}}"#, ParseError::ItemsNotArray),
            (r#"{"metadata":{}}"#, ParseError::NoKind(0)),
            (
                r#"{"kind":"List","items":[{"kind":"Pod"},{"kind":"Endpoints"}]}"#,
                ParseError::Mixed(Kind::Pod, Kind::Endpoints),
            ),
        ] {
            assert_eq!(parse_str(doc), Err(want), "{doc}");
        }
    }

    #[test]
    fn pods_keep_spec_hostname_and_status() {
        let doc = r#"{"kind":"Pod","metadata":{"name":"web-0","namespace":"shop","deletionTimestamp":"2026-01-01T00:00:00Z"},
            "spec":{"hostname":"web-0"},"status":{"podIP":"10.0.0.3","podIPs":[{"ip":"10.0.0.3"},{"ip":"fd00::3"}],
            "phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#;
        let Ok(Objects::Pods(pods)) = parse_str(doc) else {
            panic!("pod")
        };
        let pod = &pods[0];
        assert!(pod.meta.deleting);
        assert_eq!(
            pod.spec.as_ref().and_then(|s| s.hostname.as_deref()),
            Some("web-0")
        );
        assert_eq!(pod.status.pod_ips.len(), 2);
        assert!(pod.status.ready);
        assert_eq!(pod.status.phase.as_deref(), Some("Running"));
        let bare = r#"{"kind":"Pod","metadata":{"name":"a"},"status":{}}"#;
        let Ok(Objects::Pods(pods)) = parse_str(bare) else {
            panic!("pod")
        };
        assert_eq!(pods[0].spec, None);
        assert!(!pods[0].status.ready);
    }

    #[test]
    fn slices_keep_conditions_and_every_address() {
        let doc = r#"{"kind":"EndpointSliceList","items":[{"metadata":{"name":"db-x","namespace":"shop",
            "labels":{"kubernetes.io/service-name":"db"}},"addressType":"IPv6","endpoints":[
            {"addresses":["fd00::1","fd00::2"],"conditions":{"ready":false,"terminating":true}}]}]}"#;
        let Ok(Objects::EndpointSlices(slices)) = parse_str(doc) else {
            panic!("slices")
        };
        let slice = &slices[0];
        assert_eq!(slice.service.as_deref(), Some("db"));
        assert_eq!(slice.address_type, AddressType::Ipv6);
        let ep = &slice.endpoints[0];
        assert_eq!(ep.addresses.len(), 2);
        assert_eq!(
            ep.conditions,
            Conditions {
                ready: Some(false),
                serving: None,
                terminating: Some(true),
            }
        );
    }

    /// What check reads: a list of the kind it asked for, kinds unchecked; no `items`, no
    /// objects.
    #[cfg(feature = "check")]
    #[test]
    fn check_reads_a_lists_items_as_the_kind_asked_for() {
        let read = |doc: &str| {
            let value: Value = serde_json::from_str(doc).expect("JSON");
            Objects::read(Kind::EndpointSlice, &value)
        };
        let list =
            r#"{"kind":"List","items":[{"kind":"Pod","endpoints":[{"addresses":["10.0.0.1"]}]}]}"#;
        let Objects::EndpointSlices(slices) = read(list) else {
            panic!("read as the kind asked for")
        };
        assert_eq!(slices[0].endpoints[0].addresses, [Some("10.0.0.1".into())]);
        for nothing in [r#"{"items":null}"#, r#"{"kind":"EndpointSlice"}"#, "[]"] {
            assert!(read(nothing).is_empty(), "{nothing}");
        }
    }
}
