//! `relnode advise --platform ecs`: the setup for AWS ECS / Fargate, in one fixed shape (no
//! decision tree: ECS has one way that works). awsvpc networking, so each task has its own VPC
//! address (relnode reads it from the task metadata endpoint); Cloud Map service discovery, so
//! one DNS name lists every task (dns_cluster's query); a self-referencing security group rule
//! for epmd (4369) and a pinned distribution port range; a task definition fragment.

use serde_json::json;

use super::label;
use crate::error::{Result, bad_flag as bad};
use crate::libcluster::{Part, erlang};

/// The distribution port range the advice pins (security groups open ranges, not "any").
const DIST_PORTS: (u16, u16) = (9100, 9155);

/// The answers: the release name and the Cloud Map namespace.
pub struct Ecs {
    pub app: String,
    pub namespace: String,
}

impl Ecs {
    pub fn validated(app: String, namespace: &str) -> Result<Ecs> {
        label("--app", &app, "the release name")?;
        let namespace = erlang::strip_root_dot(namespace);
        erlang::domain(namespace, Part::ClusterDomain).map_err(|err| {
            bad(
                "--cloud-map-namespace",
                Some(namespace),
                err.describe(),
                "give the Cloud Map private DNS namespace, e.g. shop.internal",
            )
        })?;
        Ok(Ecs {
            app,
            namespace: namespace.to_owned(),
        })
    }

    fn query(&self) -> String {
        format!("{}.{}", self.app, self.namespace)
    }

    /// advice.txt, the task definition fragment, and the vm.args and runtime.exs lines.
    pub fn render(&self) -> Vec<(&'static str, String)> {
        vec![
            ("advice.txt", self.advice()),
            ("task-definition.json", self.task_definition()),
            ("vm.args.eex", self.vm_args()),
            ("runtime.exs", self.runtime()),
        ]
    }

    fn advice(&self) -> String {
        let (app, q) = (&self.app, self.query());
        let (lo, hi) = DIST_PORTS;
        format!(
            "relnode advise: AWS ECS / Fargate, release {app}

Strategy: dns_cluster (relnode's default on ECS) over the Cloud Map name {q}.
Each node is named {app}@<task IP>, e.g. {app}@10.0.2.100.

1. Networking: \"networkMode\": \"awsvpc\" (Fargate always is). Each task gets its own VPC
   address; relnode reads it from the task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4,
   Fargate platform 1.4.0+, EC2 agent 1.39.0+). bridge and host mode are refused (exit 2): a
   bridge address is the instance's Docker bridge, which other instances cannot reach; in host
   mode pass the instance's address with --pod-ip.
2. Discovery: Cloud Map service discovery, a private DNS namespace {ns} in the tasks' VPC and a
   service {app} with an A record per task (routing policy MULTIVALUE), registered by the ECS
   service (serviceRegistries):
     aws servicediscovery create-private-dns-namespace --name {ns} --vpc $VPC_ID
     aws servicediscovery create-service --name {app} --namespace-id $NAMESPACE_ID \\
       --dns-config 'RoutingPolicy=MULTIVALUE,DnsRecords=[{{Type=A,TTL=10}}]' \\
       --health-check-custom-config FailureThreshold=1
     aws ecs create-service ... --network-configuration ... \\
       --service-registries registryArn=$CLOUD_MAP_SERVICE_ARN
3. Security group of the tasks: inbound from itself on epmd and the distribution ports:
     aws ec2 authorize-security-group-ingress --group-id $SG --protocol tcp --port 4369 --source-group $SG
     aws ec2 authorize-security-group-ingress --group-id $SG --protocol tcp --port {lo}-{hi} --source-group $SG
   and pin the range in rel/vm.args.eex (vm.args.eex below).
4. The task definition (task-definition.json): relnode as the entry point, DNS_CLUSTER_QUERY
   {q}, the cookie from Secrets Manager as RELEASE_COOKIE (the same for every task).
5. The application (runtime.exs): dns_cluster reads DNS_CLUSTER_QUERY.
6. From inside a task: aws ecs execute-command --interactive --command \"/relnode check --basename {app}\"
   reads the metadata, then looks up {q} and says whether this task is among its answers.

Livebook: --target livebook (docs/livebook.md); its distribution listens on 13825, so open
13825 instead of {lo}-{hi}.
",
            ns = self.namespace
        )
    }

    fn task_definition(&self) -> String {
        let app = &self.app;
        let doc = json!({
            "family": app,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{
                "name": app,
                "image": format!("<registry>/{app}:<tag>"),
                "entryPoint": ["/relnode", "exec", "--"],
                "command": [format!("/app/bin/{app}"), "start"],
                "environment": [{"name": "DNS_CLUSTER_QUERY", "value": self.query()}],
                "secrets": [{
                    "name": "RELEASE_COOKIE",
                    "valueFrom": format!("arn:aws:secretsmanager:<region>:<account>:secret:{app}-cookie")
                }],
                "portMappings": [
                    {"containerPort": 4369, "protocol": "tcp"},
                    {"containerPort": DIST_PORTS.0, "protocol": "tcp"}
                ]
            }]
        });
        super::pretty(&doc)
    }

    fn vm_args(&self) -> String {
        let (lo, hi) = DIST_PORTS;
        format!(
            "## The distribution ports the security group opens\n-kernel inet_dist_listen_min {lo} inet_dist_listen_max {hi}\n"
        )
    }

    fn runtime(&self) -> String {
        format!(
            "# config/runtime.exs (phoenixframework/dns_cluster in the supervision tree:\n# {{DNSCluster, query: Application.get_env(:{app}, :dns_cluster_query) || :ignore}})\nconfig :{app}, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\n",
            app = self.app.replace('-', "_")
        )
    }

    pub fn to_json(&self, files: &[(&str, String)]) -> String {
        let doc = json!({
            "platform": "ecs",
            "strategy": "dnscluster",
            "mode": "ip",
            "query": self.query(),
            "example_node": format!("{}@10.0.2.100", self.app),
        });
        super::document(doc, files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ecs_setup_names_awsvpc_cloud_map_ports_and_the_query() {
        let ecs = Ecs::validated("shop".into(), "shop.internal.").unwrap();
        let files = ecs.render();
        let advice = &files[0].1;
        for part in [
            "awsvpc",
            "MULTIVALUE",
            "--port 4369",
            "--port 9100-9155",
            "shop.shop.internal",
        ] {
            assert!(advice.contains(part), "{part}");
        }
        let task: serde_json::Value = serde_json::from_str(&files[1].1).unwrap();
        assert_eq!(task["networkMode"], "awsvpc");
        assert_eq!(
            task["containerDefinitions"][0]["environment"][0]["value"],
            "shop.shop.internal"
        );
        assert!(Ecs::validated("Shop".into(), "x.internal").is_err());
        assert!(Ecs::validated("shop".into(), "bad..name").is_err());
    }
}
