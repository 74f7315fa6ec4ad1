//! Target `vm-args`, for rebar3/relx releases and plain `erl`: the node name as a vm.args
//! fragment that the release's own vm.args pulls in with `-args_file /run/relnode/vm.args`.
//!
//! relx's start script (rebar3 3.19, measured in the e2e suite) follows `-args_file` when it
//! looks for the one `-name`/`-sname`, but takes `-setcookie` and `-proto_dist` from vm.args
//! itself only. So the fragment holds only the name; the cookie goes to `RELX_COOKIE`, which the
//! script uses for its own ping/rpc/eval (and a `vm.args.src` may pass on with
//! `-setcookie ${RELX_COOKIE}`); `-proto_dist inet6_tcp` belongs in the user's vm.args.

use super::{CookieUse, Fragment, Refusal, Target, Value, Var};
use crate::node::Node;

const COOKIE_VAR: &str = "RELX_COOKIE";

pub struct VmArgs;

impl Target for VmArgs {
    fn name(&self) -> &'static str {
        "vm-args"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["vm.args", "relx", "rebar3"]
    }

    fn help(&self) -> &'static str {
        "rebar3/relx: a -name fragment for -args_file"
    }

    fn cookie(&self) -> CookieUse {
        CookieUse::Exported
    }

    fn fragment(&self) -> Option<&'static Fragment> {
        Some(&FRAGMENT)
    }

    fn warnings(&self, node: &Node) -> Vec<String> {
        if node.ipv6 {
            vec![IPV6_WARNING.into()]
        } else {
            Vec::new()
        }
    }

    fn vars(&self, node: &Node) -> Vec<Var> {
        node.cookie
            .iter()
            .map(|cookie| Var {
                name: COOKIE_VAR.into(),
                value: Value::Secret(cookie.clone()),
            })
            .collect()
    }
}

/// `exec` hands the cookie to the release as RELX_COOKIE; the fragment cannot carry it.
static FRAGMENT: Fragment = Fragment {
    content: fragment,
    cookie_lost: Refusal {
        subject: "cookie file (--cookie-file, RELNODE_COOKIE_FILE) with target vm-args",
        problem: "would be lost: render writes only the `-name` fragment, and relx reads -setcookie from vm.args itself",
        fix: "keep -setcookie in vm.args (or ${RELX_COOKIE} in a vm.args.src with --node-var, which renders an env file), or use relnode exec, which exports RELX_COOKIE",
    },
    no_template: Refusal {
        subject: "template (--template) with target vm-args",
        problem: "has nothing to render: target vm-args writes only the `-name` fragment for -args_file",
        fix: "drop --template, or add --node-var NODE_NAME to render an env file for a vm.args.src",
    },
};

/// The fragment: one `-name` line, as relx's check wants it (`^-s?name +`).
fn fragment(node: &Node) -> Vec<u8> {
    format!("-name {}\n", node.name).into_bytes()
}

/// Said on stderr for an IPv6 pod: what relnode cannot put in the fragment.
const IPV6_WARNING: &str = "an IPv6 pod: put `-proto_dist inet6_tcp` in the release's own vm.args (relx's script reads it only there, for ping/rpc/remote_console), and set USE_NODETOOL=1 in the container (the script's default erl_call cannot reach an IPv6 node)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Cookie;

    #[test]
    fn the_fragment_holds_only_the_name_and_the_cookie_goes_to_relx_cookie() {
        let node = Node {
            name: "app@fd00::1".into(),
            cookie: Some(Cookie::from_file_bytes(b"s3cret\n").unwrap()),
            ipv6: true,
        };
        assert_eq!(fragment(&node), b"-name app@fd00::1\n");
        let vars = VmArgs.vars(&node);
        assert_eq!(vars.len(), 1);
        assert_eq!(vars[0].name, "RELX_COOKIE");
        assert!(matches!(&vars[0].value, Value::Secret(c) if c.expose() == "s3cret"));
    }
}
