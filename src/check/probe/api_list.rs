//! `api-list` and `api-endpointslices`, the kubernetes strategy: the GET libcluster makes
//! (Endpoints or Pods by label selector, with the service account's token), the names it
//! builds from the answer (our name among them, or which fact differs), and the EndpointSlices
//! compared with the Endpoints.

use std::collections::BTreeSet;

use super::api_host::api_host;
use super::rbac::forbidden;
use crate::check::kubeapi::{self, ApiClient, ApiError, ApiResponse};
use crate::check::{Check, CheckInput, Lookup, Status, clean, host_of, our_ip};
use crate::dns::Resolver;
use crate::libcluster::Mode;
use crate::libcluster::api::{Address, Kind, Objects};
use crate::libcluster::names;

/// `Cluster.Strategy.Kubernetes`: the API host resolves, then the GET it makes.
pub fn api_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    checks.push(api_host(input, resolver));
    let (Some(namespace), Some(selector)) = (input.namespace.as_deref(), input.selector.as_deref())
    else {
        checks.push(Check::new(
            "api-list",
            Status::Skip,
            "the API request libcluster makes",
            "no namespace or --selector given",
        ));
        return None;
    };
    let query = format!("labelSelector={}", kubeapi::encode_query_value(selector));
    let resource = input.lookup.to_string();
    let path = format!("/api/v1/namespaces/{namespace}/{resource}?{query}");
    let (client, asked, parsed) = request(input, resolver, namespace, &path, checks)?;
    let listed = Listed::read(input.lookup, &parsed);
    let names: Vec<String> = listed.peers.iter().map(|p| node_for(input, p)).collect();
    checks.push(list_check(
        input, asked, &listed, &names, namespace, selector,
    ));
    if input.lookup == Lookup::Endpoints {
        checks.push(endpoint_slices(&client, namespace, &query, &listed.peers));
    }
    Some(names)
}

/// The GET libcluster makes, up to a 200 answer's JSON; any other end is pushed as the
/// `api-list` line, and gives `None`.
fn request(
    input: &CheckInput,
    resolver: &Resolver,
    namespace: &str,
    path: &str,
    checks: &mut Vec<Check>,
) -> Option<(ApiClient, String, serde_json::Value)> {
    // The host resolves through relnode's resolver, as api-host did: one answer for both.
    let client = match ApiClient::with_resolver(
        &input.service_account_dir,
        &input.api.host,
        input.api.port,
        resolver,
        resolver.deadline_from_now(),
    ) {
        Ok(client) => client,
        Err(err @ ApiError::Credentials(_)) => {
            checks.push(
                Check::new("api-list", Status::Fail, format!("GET {path}"), err.to_string()).because(
                    "the service-account token or CA cannot be read or used (nothing was sent to the API server)",
                    "mount the service-account token (automountServiceAccountToken: true) or pass --service-account-dir",
                ),
            );
            return None;
        }
        Err(err) => {
            checks.push(
                Check::new("api-list", Status::Fail, format!("GET {path}"), err.to_string())
                    .because(
                        format!("the API host {} does not resolve from this pod", input.api.host),
                        "check the pod's DNS (the own-name and api-host lines) and KUBERNETES_SERVICE_HOST",
                    )
                    .not_run(),
            );
            return None;
        }
    };
    let asked = format!("GET {}{path} (from {})", client.base(), input.api.source);
    let response = match client.get(path) {
        Ok(r) => r,
        Err(err) => {
            checks.push(no_answer(asked, &err));
            return None;
        }
    };
    if response.status != 200 {
        let resource = input.lookup.to_string();
        checks.push(status_check(asked, &response, namespace, &resource));
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(&response.body) {
        Ok(parsed) => Some((client, asked, parsed)),
        Err(err) => {
            checks.push(
                Check::new(
                    "api-list",
                    Status::Fail,
                    asked,
                    format!("200, but the body is not JSON: {err}"),
                )
                .because(
                    "the answer is not the API server's (a proxy or another service on that address): libcluster cannot parse it either",
                    "point KUBERNETES_SERVICE_HOST/PORT (or kubernetes_master) at the API server",
                ),
            );
            None
        }
    }
}

/// The `api-list` line for a GET that got no usable answer: unreachable, TLS, or a body
/// relnode does not read.
fn no_answer(asked: String, err: &ApiError) -> Check {
    let (cause, fix) = match err {
        ApiError::Unreachable(_) => (
            "the API server cannot be reached",
            "check KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and egress NetworkPolicy to the API server",
        ),
        ApiError::Answer(_) => (
            "the API server answered, but with a body relnode does not read (over the cap, or not UTF-8): libcluster cannot use it either",
            "select fewer objects (--selector), and check that KUBERNETES_SERVICE_HOST is the API server itself, not a proxy",
        ),
        _ => (
            "the API server is not who it claims to be, or the exchange failed (TLS)",
            "check that ca.crt is the cluster's CA and that the API host is a name the server's certificate carries",
        ),
    };
    let mut check =
        Check::new("api-list", Status::Fail, asked, err.to_string()).because(cause, fix);
    // Unreachable (refused, timed out) says nothing yet; a bad certificate does.
    check.could_not_run = matches!(err, ApiError::Unreachable(_));
    check
}

/// The `api-list` line for an answer other than 200.
fn status_check(asked: String, response: &ApiResponse, namespace: &str, resource: &str) -> Check {
    match response.status {
        403 => forbidden(&asked, &response.body, namespace, resource, ""),
        401 => Check::new("api-list", Status::Fail, asked, format!("401 {}", status_message(&response.body))).because(
            "the API server rejected the service-account token (expired, or of another cluster)",
            "let the kubelet mount a fresh projected token (restart the pod); do not copy tokens between clusters",
        ),
        code => {
            let (cause, fix) = other_status(code, namespace, resource);
            Check::new(
                "api-list",
                Status::Fail,
                asked,
                format!("{code} {}", status_message(&response.body)),
            )
            .because(
                format!("{cause}; libcluster logs this and keeps its old node list"),
                fix,
            )
        }
    }
}

/// The cause and fix of an answer other than 200, 401 and 403, by its class.
fn other_status(code: u16, namespace: &str, resource: &str) -> (String, String) {
    match code {
        404 => (
            format!("the API server has no {resource} list in namespace {namespace}"),
            format!("check the namespace (kubernetes_namespace, the service account's namespace file) and that {namespace} exists"),
        ),
        300..=399 => (
            format!("a redirect ({code}): the address is not the API server (the API server never redirects a list)"),
            "point KUBERNETES_SERVICE_HOST/PORT (or kubernetes_master) at the API server, not at a proxy or load balancer".into(),
        ),
        429 => (
            "the API server is throttling requests (429)".into(),
            "retry later; check the API server's priority and fairness settings".into(),
        ),
        500..=599 => (
            format!("the API server failed to answer ({code}): it is overloaded, starting, or cannot reach etcd"),
            "retry with --wait; check the control plane's health (kubectl get --raw /readyz)".into(),
        ),
        _ => (
            format!("an answer libcluster does not expect ({code})"),
            "read the message above; check that the address is the API server".into(),
        ),
    }
}

/// What a 200 answer lists, as libcluster's parse_response reads it.
struct Listed {
    /// Ready addresses (endpoints) or pods with an IP.
    peers: Vec<Peer>,
    /// The IPs under notReadyAddresses.
    not_ready: Vec<String>,
    /// Ready addresses without a targetRef.
    no_target_ref: Vec<String>,
    /// The list's objects.
    items: usize,
}

impl Listed {
    /// The answer's items, typed by [`crate::libcluster::api`] as the kind asked for.
    fn read(lookup: Lookup, parsed: &serde_json::Value) -> Listed {
        let kind = match lookup {
            Lookup::Endpoints => Kind::Endpoints,
            Lookup::Pods => Kind::Pod,
        };
        let objects = Objects::read(kind, parsed);
        let mut listed = Listed {
            peers: Vec::new(),
            not_ready: Vec::new(),
            no_target_ref: Vec::new(),
            items: objects.len(),
        };
        match &objects {
            Objects::Endpoints(items) => {
                for subset in items.iter().flat_map(|e| &e.subsets) {
                    subset.addresses.iter().for_each(|a| listed.address(a));
                    let not_ready = subset.not_ready_addresses.iter();
                    listed
                        .not_ready
                        .extend(not_ready.filter_map(|a| cleaned(&a.ip)));
                }
            }
            Objects::Pods(pods) => {
                listed.peers = pods
                    .iter()
                    .filter_map(|pod| {
                        Some(Peer {
                            ip: cleaned(&pod.status.pod_ip)?,
                            namespace: cleaned(&pod.meta.namespace)?,
                            hostname: pod.spec.as_ref().and_then(|s| cleaned(&s.hostname)),
                        })
                    })
                    .collect();
            }
            // Not asked for: `read` gives the kind asked.
            Objects::EndpointSlices(_) => {}
        }
        listed
    }

    /// A ready address: a peer when its targetRef names a namespace (libcluster's pattern).
    fn address(&mut self, address: &Address) {
        let ip = cleaned(&address.ip).unwrap_or_default();
        let namespace = address
            .target_ref
            .as_ref()
            .and_then(|t| cleaned(&t.namespace));
        match namespace {
            Some(namespace) => self.peers.push(Peer {
                ip,
                namespace,
                hostname: cleaned(&address.hostname),
            }),
            None => self.no_target_ref.push(ip),
        }
    }
}

/// The `api-list` line for a 200: our name among the names built, or why not.
fn list_check(
    input: &CheckInput,
    asked: String,
    listed: &Listed,
    names: &[String],
    namespace: &str,
    selector: &str,
) -> Check {
    let Listed {
        peers,
        not_ready,
        no_target_ref,
        items,
    } = listed;
    let resource = input.lookup;
    let ours = our_ip(input).map(|ip| ip.to_string());
    let our_entry = peers.iter().find(|p| Some(&p.ip) == ours.as_ref());
    let answer = format!(
        "200: {items} {resource} object(s), {} address(es): {}",
        peers.len(),
        peers
            .iter()
            .map(|p| p.ip.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !no_target_ref.is_empty() {
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("the addresses {} have no targetRef; libcluster 3.5.0's parser crashes on them (its PR #216)", no_target_ref.join(", ")),
            "select only Endpoints managed for a Service with a pod selector (not hand-written Endpoints)",
        )
    } else if names.contains(&input.node_name) {
        Check::new(
            "api-list",
            Status::Ok,
            asked,
            format!("{answer}; our name among the names built"),
        )
    } else if *items == 0 {
        let (cause, fix) = empty_cause(input.lookup, namespace, selector);
        Check::new("api-list", Status::Fail, asked, answer).because(cause, fix)
    } else if let Some(entry) = our_entry {
        let built = node_for(input, entry);
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("our pod is in the answer, but libcluster builds {built} from it, not {}{}", input.node_name, api_difference(input, entry)),
            "make relnode's inputs match libcluster's config (relnode env --explain shows each), or the pod's spec.hostname/subdomain",
        )
    } else if ours.as_ref().is_some_and(|ip| not_ready.contains(ip)) {
        Check::new("api-list", Status::Fail, asked, answer).because(
            "our pod is listed under notReadyAddresses: libcluster reads only ready addresses",
            "use --wait until the pod is ready, or --lookup pods (kubernetes_ip_lookup_mode: :pods), which lists pods whatever their readiness",
        )
    } else {
        Check::new("api-list", Status::Fail, asked, answer).because(
            format!("our IP {} is not in the answer: the selector {selector:?} selects other objects, or the pod is not ready", ours.as_deref().unwrap_or("?")),
            "check kubernetes_selector against this pod's Service (endpoints) or labels (pods)",
        )
    }
}

/// Why the list is empty, and the fix: Endpoints carry the Service's labels, not the pods'.
fn empty_cause(lookup: Lookup, namespace: &str, selector: &str) -> (String, &'static str) {
    match lookup {
        Lookup::Endpoints => (
            format!(
                "no Endpoints object matches {selector:?}: an Endpoints object carries the Service's labels (the Service's metadata.labels), not the pods' labels"
            ),
            "put the label on the Service (metadata.labels), or set kubernetes_ip_lookup_mode: :pods (--lookup pods) to match the pods' labels",
        ),
        Lookup::Pods => (
            format!("no pod in {namespace} has labels matching {selector:?}"),
            "make kubernetes_selector (--selector) match the pod template's labels",
        ),
    }
}

/// Endpoints are deprecated (1.33) and may be empty where EndpointSlices are not: compare.
fn endpoint_slices(client: &ApiClient, namespace: &str, query: &str, endpoints: &[Peer]) -> Check {
    let path = format!("/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices?{query}");
    let asked = format!("GET {}{path}", client.base());
    let response = match client.get(&path) {
        Ok(r) => r,
        Err(err) => return Check::new("api-endpointslices", Status::Warn, asked, err.to_string()),
    };
    match response.status {
        200 => {}
        403 => {
            return forbidden(
                &asked,
                &response.body,
                namespace,
                "endpointslices",
                "discovery.k8s.io",
            );
        }
        code => {
            return Check::new(
                "api-endpointslices",
                Status::Warn,
                asked,
                format!("{code} {}", status_message(&response.body)),
            );
        }
    }
    let Ok(list) = serde_json::from_str::<serde_json::Value>(&response.body) else {
        return Check::new(
            "api-endpointslices",
            Status::Warn,
            asked,
            "the body is not JSON",
        );
    };
    let mut slice_ips = BTreeSet::new();
    if let Objects::EndpointSlices(slices) = Objects::read(Kind::EndpointSlice, &list) {
        let endpoints = slices.iter().flat_map(|s| &s.endpoints);
        // Absent `ready` means ready (discovery.k8s.io/v1).
        for endpoint in endpoints.filter(|e| e.conditions.ready != Some(false)) {
            slice_ips.extend(endpoint.addresses.iter().filter_map(cleaned));
        }
    }
    let endpoint_ips: BTreeSet<String> = endpoints.iter().map(|p| p.ip.clone()).collect();
    let show = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    if slice_ips == endpoint_ips {
        Check::new(
            "api-endpointslices",
            Status::Ok,
            asked,
            format!(
                "the same ready addresses as Endpoints: {}",
                show(&slice_ips)
            ),
        )
    } else {
        Check::new(
            "api-endpointslices",
            Status::Warn,
            asked,
            format!("ready addresses {} but Endpoints hold {}", show(&slice_ips), show(&endpoint_ips)),
        )
        .because(
            "Endpoints and EndpointSlices disagree: Endpoints is deprecated since Kubernetes 1.33 and may be capped (1000 addresses) or no longer maintained (KEP-4974); libcluster 3.5.0 reads only Endpoints",
            "use --lookup pods (kubernetes_ip_lookup_mode: :pods), or a strategy that does not read Endpoints (dns, dnssrv)",
        )
    }
}

/// One address in the API's answer, as libcluster's parse_response keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Peer {
    ip: String,
    namespace: String,
    hostname: Option<String>,
}

/// libcluster's format_node, from libcluster's transcription (shared with `simulate`).
fn node_for(input: &CheckInput, peer: &Peer) -> String {
    let host = names::kubernetes_host(
        input.shape.mode,
        &peer.ip,
        peer.hostname.as_deref(),
        input.service.as_deref(),
        &peer.namespace,
        &input.cluster_name,
    );
    names::node(&input.basename, &host)
}

/// Which fact differs between our name and the one built from our own entry.
fn api_difference(input: &CheckInput, entry: &Peer) -> String {
    let mut differs = Vec::new();
    if input.namespace.as_deref() != Some(entry.namespace.as_str()) {
        differs.push(format!(
            "namespace (ours {}, the pod's {})",
            input.namespace.as_deref().unwrap_or("?"),
            entry.namespace
        ));
    }
    if input.shape.mode == Mode::Hostname && input.hostname.as_deref() != entry.hostname.as_deref()
    {
        differs.push(format!(
            "hostname (ours {}, the address's {}; Endpoints carry a hostname only when the pod's spec.subdomain is the Service's name)",
            input.hostname.as_deref().unwrap_or("?"),
            entry.hostname.as_deref().unwrap_or("none")
        ));
    }
    let host = host_of(&input.node_name);
    let zone = format!(".{}", names::local_zone(&input.cluster_name));
    if input.shape.mode != Mode::Ip && !host.ends_with(&zone) {
        differs.push(format!(
            "domain (libcluster appends {zone}: kubernetes_cluster_name)"
        ));
    }
    if input.shape.mode == Mode::Hostname && !differs.iter().any(|d| d.starts_with("hostname")) {
        differs.push("service (kubernetes_service_name)".into());
    }
    if differs.is_empty() {
        String::new()
    } else {
        format!("; differs: {}", differs.join("; "))
    }
}

/// An API string, [`clean`]ed.
fn cleaned(value: &Option<String>) -> Option<String> {
    value.as_deref().map(clean)
}

pub fn status_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(clean))
        .unwrap_or_else(|| clean(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::input;

    /// The names libcluster's format_node builds, per mode, as in its source.
    #[test]
    fn names_as_format_node_builds_them() {
        let peer = Peer {
            ip: "10.0.0.5".into(),
            namespace: "ns".into(),
            hostname: Some("pod-0".into()),
        };
        assert_eq!(node_for(&input(Mode::Ip), &peer), "app@10.0.0.5");
        assert_eq!(
            node_for(&input(Mode::Dns), &peer),
            "app@10-0-0-5.ns.pod.cluster.local"
        );
        assert_eq!(
            node_for(&input(Mode::Hostname), &peer),
            "app@pod-0.svc.ns.svc.cluster.local"
        );
        let bare = Peer {
            hostname: None,
            ..peer
        };
        assert_eq!(
            node_for(&input(Mode::Hostname), &bare),
            "app@.svc.ns.svc.cluster.local"
        );
    }

    #[test]
    fn api_strings_are_printed_escaped_and_cut() {
        assert_eq!(clean("pod-0"), "pod-0");
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(clean(&"x".repeat(300)).chars().count(), 257);
    }
}
