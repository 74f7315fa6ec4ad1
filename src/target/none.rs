//! Target `none`: only the variables `--node-var` and `--host-var` name, for servers that read
//! their node name from a variable of their own (EMQX, CouchDB, VerneMQ).

use super::{CookieUse, Target, Var};
use crate::node::Node;

pub struct NoTarget;

impl Target for NoTarget {
    fn name(&self) -> &'static str {
        "none"
    }

    fn help(&self) -> &'static str {
        "only --node-var/--host-var"
    }

    fn vars(&self, _: &Node) -> Vec<Var> {
        Vec::new()
    }

    fn cookie(&self) -> CookieUse {
        CookieUse::Refused {
            fix: "drop the cookie file and give the server its cookie its own way (e.g. EMQX_NODE__COOKIE from a Secret)",
        }
    }

    fn warnings(&self, node: &Node) -> Vec<String> {
        if node.ipv6 {
            vec!["an IPv6 node: give the server `-proto_dist inet6_tcp` its own way (relnode exports only the name)".into()]
        } else {
            Vec::new()
        }
    }
}
