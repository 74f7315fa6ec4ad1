//! Target `livebook`: Livebook starts distribution itself. Its release forces
//! `RELEASE_DISTRIBUTION=none` (`rel/server/env.sh.eex`); at boot it takes the node name from
//! `LIVEBOOK_NODE` (long names), the cookie from `LIVEBOOK_COOKIE` (else a random one), and
//! clusters with dns_cluster when `LIVEBOOK_CLUSTER` is `dns:<query>` (`lib/livebook.ex`,
//! `Livebook.Config.node!/1`, `dns_cluster_query!/1`, livebook-dev/livebook). So no `RELEASE_*`.
//!
//! IPv6 the way its own Fly branch does it: `-proto_dist inet6_tcp` appended to `ERL_AFLAGS`
//! unless a `-proto_dist` is there already. Its distribution listens on port 13825
//! (`rel/server/vm.args.eex`: `-kernel inet_dist_listen_min 13825` with its own EPMD module), so
//! `check --peers` handshakes there directly.

use super::{CookieUse, Target, Value, Var};
use crate::libcluster::Strategy;
use crate::node::Node;

/// The port `rel/server/vm.args.eex` gives Livebook's distribution.
pub const DIST_PORT: u16 = 13825;

const NODE_VAR: &str = "LIVEBOOK_NODE";
const CLUSTER_VAR: &str = "LIVEBOOK_CLUSTER";

pub struct Livebook;

impl Target for Livebook {
    fn name(&self) -> &'static str {
        "livebook"
    }

    fn help(&self) -> &'static str {
        "LIVEBOOK_NODE, LIVEBOOK_CLUSTER=dns:<query>, LIVEBOOK_COOKIE"
    }

    fn cookie(&self) -> CookieUse {
        CookieUse::Exported
    }

    /// Livebook's own ECS name is `livebook-<sha10 of the image ID>`: with
    /// `--ecs-basename deploy` relnode's is the same.
    fn default_basename(&self) -> Option<&'static str> {
        Some("livebook")
    }

    fn guarded(&self) -> &'static [&'static str] {
        &[NODE_VAR, CLUSTER_VAR]
    }

    fn dist_port(&self) -> Option<u16> {
        Some(DIST_PORT)
    }

    /// Livebook runs its own dns_cluster from `LIVEBOOK_CLUSTER`, whatever the strategy.
    fn query_var(&self, query: &str, _strategy: Strategy) -> Option<Var> {
        Some(Var {
            name: CLUSTER_VAR.into(),
            value: Value::Text(format!("dns:{query}")),
        })
    }

    fn warnings(&self, node: &Node) -> Vec<String> {
        if node.cookie.is_some() {
            return Vec::new();
        }
        vec!["no --cookie-file: without LIVEBOOK_COOKIE each Livebook node picks a random cookie at boot and the nodes never connect; mount one shared cookie and pass --cookie-file".into()]
    }

    fn vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = vec![Var {
            name: NODE_VAR.into(),
            value: Value::Text(node.name.clone()),
        }];
        if let Some(cookie) = &node.cookie {
            vars.push(Var {
                name: "LIVEBOOK_COOKIE".into(),
                value: Value::Secret(cookie.clone()),
            });
        }
        if node.ipv6 {
            vars.push(Var {
                name: "ERL_AFLAGS".into(),
                value: Value::AppendProtoDist,
            });
        }
        vars
    }
}
