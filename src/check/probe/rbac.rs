//! A 403 from the API (`api-list`, `api-endpointslices`): the service account, the Role and
//! RoleBinding that fix it, and what libcluster does meanwhile.

use super::api_list::status_message;
use crate::check::{Check, Status};

/// Who the API server says made the request: `User "..."` in a 403's message.
fn user_of(message: &str) -> Option<&str> {
    message.split("User \"").nth(1)?.split('"').next()
}

/// A Kubernetes object name (DNS-1123 subdomain): what a service account's name must be.
fn is_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// A double-quoted YAML scalar (a JSON string is one): nothing from the server's message
/// becomes YAML syntax.
fn yaml(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

/// A 403: the verb and resource, the RBAC that fixes it, and what libcluster does meanwhile.
/// The Role is offered only when the server names a service account; an anonymous request
/// (`system:anonymous`) or another user is a different fault, said as such.
pub fn forbidden(asked: &str, body: &str, namespace: &str, resource: &str, group: &str) -> Check {
    let message = status_message(body);
    let (id, status) = if group.is_empty() {
        ("api-list", Status::Fail)
    } else {
        ("api-endpointslices", Status::Warn)
    };
    let what = format!(
        "{resource}{} in namespace {namespace}",
        if group.is_empty() {
            String::new()
        } else {
            format!(" (group {group})")
        }
    );
    let check = Check::new(id, status, asked, format!("403 Forbidden: {message}"));
    let user = user_of(&message);
    // `system:serviceaccount:NS:SA`
    let account = user
        .and_then(|u| u.strip_prefix("system:serviceaccount:"))
        .and_then(|ns_sa| ns_sa.split_once(':'))
        .map(|(_, sa)| sa);
    let check = match (user, account) {
        (Some("system:anonymous"), _) => check.because(
            "the API server took the request as anonymous (system:anonymous), not as the service account: the token did not reach it as a bearer token, or the address is not the API server itself (a proxy that drops Authorization)",
            "make sure the token is mounted (automountServiceAccountToken: true) and KUBERNETES_SERVICE_HOST/PORT (or kubernetes_master) is the API server; do not grant list to system:anonymous",
        ),
        (Some(other), None) => check.because(
            format!("the API server took the token as user {other:?}, not a service account, and that user may not list {what}"),
            "use the pod's own service-account token (the kubelet mounts it), or grant the RBAC to that user",
        ),
        (_, Some(sa)) if !is_object_name(sa) => check.because(
            format!("the service account {sa:?} named in the server's message may not list {what}, and is not a Kubernetes object name, so no Role is offered"),
            "read the message; create a Role and RoleBinding for the pod's service account (kubectl create role/rolebinding)",
        ),
        (_, account) => {
            let account = account.unwrap_or("default");
            let group_yaml = yaml(group);
            let role = format!("{account}-{resource}-reader");
            let (role, quoted, ns) = (yaml(&role), yaml(account), yaml(namespace));
            let yaml = format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {role}\n  namespace: {ns}\nrules:\n  - apiGroups: [{group_yaml}]\n    resources: [{resource}]\n    verbs: [list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {role}\n  namespace: {ns}\nsubjects:\n  - kind: ServiceAccount\n    name: {quoted}\n    namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {role}"
            );
            let mut check = check.because(
                format!("the service account {account} may not list {what}"),
                "apply this Role and RoleBinding (kubectl apply -f -):",
            );
            check.extra = yaml.lines().map(str::to_owned).collect();
            check
        }
    };
    with_disconnect(check, group)
}

/// libcluster's reaction to a 403 on the list it reads (not on the slices it never reads).
fn with_disconnect(mut check: Check, group: &str) -> Check {
    if group.is_empty() {
        check.extra.push(
            "warning: libcluster treats a 403 as \"no peers\" and disconnects every node it was connected to".into(),
        );
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_account_and_prints_rbac() {
        let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints is forbidden: User \"system:serviceaccount:ns:myapp\" cannot list resource \"endpoints\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","details":{"kind":"endpoints"},"code":403}"#;
        let check = forbidden("GET x", body, "ns", "endpoints", "");
        assert_eq!(check.status, Status::Fail);
        let extra = check.extra.join("\n");
        assert!(
            extra.contains("name: \"myapp\"\n    namespace: \"ns\""),
            "{extra}"
        );
        assert!(
            extra.contains("resources: [endpoints]\n    verbs: [list]"),
            "{extra}"
        );
        assert!(extra.contains("disconnects every node"), "{extra}");
    }
}
