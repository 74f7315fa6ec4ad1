//! A 403 from the API (`api-list`, `api-endpointslices`): the service account, the Role and
//! RoleBinding that fix it, and what libcluster does meanwhile.

use super::api_list::status_message;
use crate::check::{Check, Status};

/// A 403: the verb and resource, the RBAC that fixes it, and what libcluster does meanwhile.
pub fn forbidden(asked: &str, body: &str, namespace: &str, resource: &str, group: &str) -> Check {
    let message = status_message(body);
    // `User "system:serviceaccount:NS:SA" cannot ...`
    let account = message
        .split("system:serviceaccount:")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|ns_sa| ns_sa.split_once(':'))
        .map_or("default", |(_, sa)| sa)
        .to_owned();
    let group_yaml = if group.is_empty() {
        "\"\"".to_owned()
    } else {
        group.to_owned()
    };
    let role = format!("{}-{resource}-reader", account);
    let yaml = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {role}\n  namespace: {namespace}\nrules:\n  - apiGroups: [{group_yaml}]\n    resources: [{resource}]\n    verbs: [list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {role}\n  namespace: {namespace}\nsubjects:\n  - kind: ServiceAccount\n    name: {account}\n    namespace: {namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {role}"
    );
    let (id, status) = if group.is_empty() {
        ("api-list", Status::Fail)
    } else {
        ("api-endpointslices", Status::Warn)
    };
    let mut check = Check::new(id, status, asked, format!("403 Forbidden: {message}")).because(
        format!(
            "the service account {account} may not list {resource}{} in namespace {namespace}",
            if group.is_empty() {
                String::new()
            } else {
                format!(" (group {group})")
            }
        ),
        "apply this Role and RoleBinding (kubectl apply -f -):",
    );
    check.extra = yaml.lines().map(str::to_owned).collect();
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
        assert!(extra.contains("name: myapp\n    namespace: ns"), "{extra}");
        assert!(
            extra.contains("resources: [endpoints]\n    verbs: [list]"),
            "{extra}"
        );
        assert!(extra.contains("disconnects every node"), "{extra}");
    }
}
