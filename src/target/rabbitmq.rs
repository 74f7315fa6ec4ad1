//! Target `rabbitmq`: `rabbitmq-server` and `rabbitmqctl` read the node name from
//! `RABBITMQ_NODENAME`, long names only with `RABBITMQ_USE_LONGNAME=true` (RabbitMQ's
//! Kubernetes guide: `rabbit@<pod>.<svc>.<ns>.svc.<cluster domain>`). On IPv6 the server and
//! the CLI tools each take `-proto_dist inet6_tcp` from their own variable (RabbitMQ's
//! networking guide). The cookie stays where RabbitMQ reads it: `$HOME/.erlang.cookie`.

use super::{CookieUse, Target, Value, Var};
use crate::node::Node;

/// RabbitMQ's own default basename.
const DEFAULT_BASENAME: &str = "rabbit";

pub struct RabbitMq;

impl Target for RabbitMq {
    fn name(&self) -> &'static str {
        "rabbitmq"
    }

    fn help(&self) -> &'static str {
        "RABBITMQ_NODENAME"
    }

    fn guarded(&self) -> &'static [&'static str] {
        &["RABBITMQ_NODENAME"]
    }

    fn cookie(&self) -> CookieUse {
        CookieUse::Refused {
            fix: "drop the cookie file: RabbitMQ and rabbitmqctl read $HOME/.erlang.cookie (mount the Secret there)",
        }
    }

    fn default_basename(&self) -> Option<&'static str> {
        Some(DEFAULT_BASENAME)
    }

    fn warnings(&self, node: &Node) -> Vec<String> {
        if node.ipv6 {
            ipv6_warnings(node)
        } else {
            Vec::new()
        }
    }

    fn vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = vec![
            Var {
                name: "RABBITMQ_NODENAME".into(),
                value: Value::Text(node.name.clone()),
            },
            Var {
                name: "RABBITMQ_USE_LONGNAME".into(),
                value: Value::Text("true".into()),
            },
        ];
        if node.ipv6 {
            for name in [
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "RABBITMQ_CTL_ERL_ARGS",
            ] {
                vars.push(Var {
                    name: name.into(),
                    value: Value::AppendProtoDist,
                });
            }
        }
        vars
    }
}

/// Measured with RabbitMQ 3.10 in IPv6-only pods (tests/e2e/scenarios/targets.sh).
fn ipv6_warnings(node: &Node) -> Vec<String> {
    let mut warnings = vec![
        "an IPv6 RabbitMQ node also needs `{inet6, true}.` in an inetrc file, passed in RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS as `-kernel inetrc '/etc/rabbitmq/erl_inetrc'` (without it the broker stops at boot with epmd_error ... nxdomain); relnode appends -proto_dist after your value".to_owned(),
    ];
    if node.host().parse::<std::net::IpAddr>().is_ok() {
        warnings.push(
            "rabbitmqctl 3.10 cannot reach a node named rabbit@<IPv6 address> (it names itself rabbitmqcli-N-rabbit@<address>.localdomain); use the FQDN shape: a StatefulSet with --strategy dnssrv".to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_and_ipv6_for_server_and_cli() {
        let node = Node {
            name: "rabbit@rabbit-0.rabbit-nodes.shop.svc.cluster.local".into(),
            cookie: None,
            ipv6: true,
        };
        let names: Vec<_> = RabbitMq
            .vars(&node)
            .iter()
            .map(|v| v.name.clone())
            .collect();
        assert_eq!(
            names,
            [
                "RABBITMQ_NODENAME",
                "RABBITMQ_USE_LONGNAME",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "RABBITMQ_CTL_ERL_ARGS"
            ]
        );
    }
}
