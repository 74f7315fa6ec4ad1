//! Target `elixir`: a mix release's `bin/<name>` reads `RELEASE_DISTRIBUTION`, `RELEASE_NODE`
//! and `RELEASE_COOKIE` (each overrides its own default), and passes `ELIXIR_ERL_OPTIONS` to
//! the VM.

use super::{CookieUse, Target, Value, Var};
use crate::node::{DISTRIBUTION, Node};

const ERL_OPTIONS_VAR: &str = "ELIXIR_ERL_OPTIONS";

pub struct Elixir;

impl Target for Elixir {
    fn name(&self) -> &'static str {
        "elixir"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["mix"]
    }

    fn help(&self) -> &'static str {
        "a mix release's RELEASE_*"
    }

    fn guarded(&self) -> &'static [&'static str] {
        &["RELEASE_NODE"]
    }

    fn cookie(&self) -> CookieUse {
        CookieUse::Exported
    }

    fn mix_release(&self) -> bool {
        true
    }

    fn vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = vec![
            Var {
                name: "RELEASE_DISTRIBUTION".into(),
                value: Value::Text(DISTRIBUTION.to_owned()),
            },
            Var {
                name: "RELEASE_NODE".into(),
                value: Value::Text(node.name.clone()),
            },
        ];
        if let Some(cookie) = &node.cookie {
            vars.push(Var {
                name: "RELEASE_COOKIE".into(),
                value: Value::Secret(cookie.clone()),
            });
        }
        if node.ipv6 {
            vars.push(Var {
                name: ERL_OPTIONS_VAR.into(),
                value: Value::AppendProtoDist,
            });
        }
        vars
    }
}
