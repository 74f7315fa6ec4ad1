//! Which target writes the node (`--target`), and the variables any target may carry besides:
//! `--node-var`/`--host-var` for servers that read their name from a variable of their own
//! (EMQX, CouchDB, VerneMQ, a relx `vm.args.src`), and `DNS_CLUSTER_QUERY` for dns_cluster.

use std::fmt;
use std::str::FromStr;

use super::rabbitmq::{self, RabbitMq};
use super::vm_args::{self, VmArgs};
use super::{Elixir, Target, Value, Var};
use crate::error::{InputError, shown};
use crate::inputs::{Id, Lookup, Sourced, input};
use crate::node::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// A mix release: `RELEASE_DISTRIBUTION`, `RELEASE_NODE`, `RELEASE_COOKIE`.
    Elixir,
    /// rebar3/relx: a `-name` fragment for `-args_file` (or, with `--node-var`, the variable
    /// a `vm.args.src` substitutes), `RELX_COOKIE`.
    VmArgs,
    /// `RABBITMQ_NODENAME`, `RABBITMQ_USE_LONGNAME`.
    RabbitMq,
    /// Only the variables named by `--node-var` and `--host-var`.
    None,
}

pub const TARGET_VALUES: &str = "elixir, vm-args, rabbitmq, none";

/// dns_cluster's query, as the Phoenix generator's `config/runtime.exs` reads it.
pub const QUERY_VAR: &str = "DNS_CLUSTER_QUERY";

impl FromStr for TargetKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "elixir" | "mix" => Ok(TargetKind::Elixir),
            "vm-args" | "vm.args" | "relx" | "rebar3" => Ok(TargetKind::VmArgs),
            "rabbitmq" => Ok(TargetKind::RabbitMq),
            "none" => Ok(TargetKind::None),
            _ => Err(()),
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetKind::Elixir => "elixir",
            TargetKind::VmArgs => "vm-args",
            TargetKind::RabbitMq => "rabbitmq",
            TargetKind::None => "none",
        })
    }
}

impl TargetKind {
    /// The basename when none is given: RabbitMQ's own `rabbit`.
    pub fn default_basename(self) -> Option<&'static str> {
        (self == TargetKind::RabbitMq).then_some(rabbitmq::DEFAULT_BASENAME)
    }

    fn target(self) -> Option<&'static dyn Target> {
        match self {
            TargetKind::Elixir => Some(&Elixir),
            TargetKind::VmArgs => Some(&VmArgs),
            TargetKind::RabbitMq => Some(&RabbitMq),
            TargetKind::None => None,
        }
    }
}

/// The chosen target with its extra variables, checked against each other.
#[derive(Debug)]
pub struct Selected {
    pub kind: TargetKind,
    node_var: Option<String>,
    host_var: Option<String>,
    query: Option<String>,
}

/// Variables whose value a name must never replace: the shell's, the loader's and the VM's own.
const RESERVED: &[&str] = &[
    "PATH",
    "HOME",
    "PWD",
    "SHELL",
    "IFS",
    "ENV",
    "BASH_ENV",
    "USER",
    "TERM",
    "TMPDIR",
    "ERL_FLAGS",
    "ERL_AFLAGS",
    "ERL_ZFLAGS",
    "ERL_LIBS",
    "ROOTDIR",
    "BINDIR",
];

impl Selected {
    /// Looks up `--node-var`/`--host-var` and checks them, and the cookie, against the target.
    pub fn new(
        kind: &Sourced<TargetKind>,
        lookup: &Lookup,
        node: &Node,
        query: Option<&str>,
    ) -> Result<Selected, InputError> {
        let node_var = var_name(lookup, Id::NodeVar)?;
        let host_var = var_name(lookup, Id::HostVar)?;
        let selected = Selected {
            kind: kind.value,
            node_var: node_var.map(|v| v.value),
            host_var: host_var.map(|v| v.value),
            query: query
                .filter(|_| kind.value == TargetKind::Elixir)
                .map(str::to_owned),
        };
        let target_subject = || input(Id::Target).subject();
        let found = || Some(format!("{} (from {})", kind.value, kind.source));
        if kind.value == TargetKind::None
            && selected.node_var.is_none()
            && selected.host_var.is_none()
        {
            return Err(InputError {
                subject: target_subject(),
                found: found(),
                problem: "exports nothing by itself, and neither --node-var nor --host-var is given".into(),
                fix: "name the variable your server reads, e.g. --node-var EMQX_NODE__NAME or --host-var NODENAME, or choose another --target".into(),
            });
        }
        if node.cookie.is_some() && matches!(kind.value, TargetKind::RabbitMq | TargetKind::None) {
            return Err(InputError {
                subject: format!("{} with {}", input(Id::CookieFile).subject(), target_subject()),
                found: found(),
                problem: format!("target {} has no variable for the cookie that relnode could set", kind.value),
                fix: match kind.value {
                    TargetKind::RabbitMq => "drop the cookie file: RabbitMQ and rabbitmqctl read $HOME/.erlang.cookie (mount the Secret there)".into(),
                    _ => "drop the cookie file and give the server its cookie its own way (e.g. EMQX_NODE__COOKIE from a Secret)".into(),
                },
            });
        }
        // Each variable is set once: two values for one name would leave one of them unsaid.
        let mut seen: Vec<(String, String)> = selected
            .target_vars(node)
            .iter()
            .map(|v| (v.name.to_string(), format!("target {}", kind.value)))
            .collect();
        for (id, name) in [
            (Id::NodeVar, selected.node_var.as_deref()),
            (Id::HostVar, selected.host_var.as_deref()),
        ] {
            let Some(name) = name else { continue };
            if let Some((_, by)) = seen.iter().find(|(n, _)| *n == name) {
                return Err(InputError {
                    subject: input(id).subject(),
                    found: Some(shown(name)),
                    problem: format!("is already set by {by}"),
                    fix: "choose the variable your server reads that relnode does not set already"
                        .into(),
                });
            }
            seen.push((name.to_owned(), input(id).flag()));
        }
        Ok(selected)
    }

    /// The target's own variables (none for `none`).
    fn target_vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = self.kind.target().map(|t| t.vars(node)).unwrap_or_default();
        if let Some(query) = &self.query {
            vars.push(Var {
                name: QUERY_VAR.into(),
                value: Value::Text(query.clone()),
            });
        }
        vars
    }

    /// Everything to export, in a fixed order: the target's, then the name and host variables.
    pub fn vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = self.target_vars(node);
        if let Some(name) = &self.node_var {
            vars.push(Var {
                name: name.clone().into(),
                value: Value::Text(node.name.clone()),
            });
        }
        if let Some(name) = &self.host_var {
            vars.push(Var {
                name: name.clone().into(),
                value: Value::Text(node.host().to_owned()),
            });
        }
        vars
    }

    /// `render`/`exec --output` write the vm.args fragment rather than an env file: target
    /// vm-args without `--node-var` (with it, a `vm.args.src` reads the variable instead).
    pub fn writes_fragment(&self) -> bool {
        self.kind == TargetKind::VmArgs && self.node_var.is_none()
    }

    /// Said on stderr: what the user must still do that relnode cannot.
    pub fn warnings(&self, node: &Node) -> Vec<String> {
        match self.kind {
            TargetKind::VmArgs if node.ipv6 => vec![vm_args::ipv6_warning()],
            TargetKind::RabbitMq if node.ipv6 => rabbitmq::ipv6_warnings(node),
            TargetKind::None if node.ipv6 => vec![
                "an IPv6 node: give the server `-proto_dist inet6_tcp` its own way (relnode exports only the name)".into(),
            ],
            _ => Vec::new(),
        }
    }
}

/// A variable name the shell and `env` accept: `[A-Za-z_][A-Za-z0-9_]*`, not one of the
/// process's own.
fn var_name(lookup: &Lookup, id: Id) -> Result<Option<Sourced<String>>, InputError> {
    let Some(given) = lookup.text(id)? else {
        return Ok(None);
    };
    let name = given.value.as_str();
    let valid = name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let problem = if !valid {
        Some(
            "is not a variable name (letters, digits and '_', not starting with a digit, at most 128)",
        )
    } else if RESERVED.contains(&name) || name.starts_with("LD_") {
        Some(
            "is a variable the shell, the loader or the Erlang VM itself reads; the node name must not replace it",
        )
    } else {
        None
    };
    match problem {
        Some(problem) => Err(InputError {
            subject: input(id).subject(),
            found: Some(given.found()),
            problem: problem.into(),
            fix: "name the variable your server reads its node name from, e.g. EMQX_NODE__NAME"
                .into(),
        }),
        None => Ok(Some(given)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;
    use crate::node::Cookie;

    fn node(cookie: bool) -> Node {
        Node {
            name: "emqx@emqx-0.emqx-headless.iot.svc.cluster.local".into(),
            cookie: cookie.then(|| Cookie::from_file_bytes(b"c").unwrap()),
            ipv6: false,
        }
    }

    fn select(
        kind: TargetKind,
        pairs: &[(Id, &str)],
        cookie: bool,
    ) -> Result<Selected, InputError> {
        let args = PodArgs::with(pairs);
        let e = env(&[]);
        let lookup = Lookup {
            args: &args,
            env: &e,
        };
        let kind = Sourced::new(kind, crate::inputs::Source::Default);
        Selected::new(&kind, &lookup, &node(cookie), Some("app.internal"))
    }

    /// `NAME=value` for each variable, secrets and merges as placeholders.
    fn exported(selected: &Selected, cookie: bool) -> Vec<String> {
        selected
            .vars(&node(cookie))
            .into_iter()
            .map(|v| {
                let value = match v.value {
                    Value::Text(t) => t,
                    Value::Secret(_) => "<secret>".into(),
                    Value::AppendProtoDist => "<proto_dist>".into(),
                };
                format!("{}={value}", v.name)
            })
            .collect()
    }

    #[test]
    fn node_and_host_variables_for_emqx_couchdb_vernemq() {
        let emqx = select(TargetKind::None, &[(Id::NodeVar, "EMQX_NODE__NAME")], false).unwrap();
        assert_eq!(
            exported(&emqx, false),
            ["EMQX_NODE__NAME=emqx@emqx-0.emqx-headless.iot.svc.cluster.local"]
        );
        let couch = select(TargetKind::None, &[(Id::HostVar, "NODENAME")], false).unwrap();
        assert_eq!(
            exported(&couch, false),
            ["NODENAME=emqx-0.emqx-headless.iot.svc.cluster.local"]
        );
        // the query goes to the elixir target only, after its own variables
        let elixir = select(TargetKind::Elixir, &[(Id::NodeVar, "NODE_NAME")], false).unwrap();
        let exported = exported(&elixir, false);
        let names: Vec<_> = exported
            .iter()
            .filter_map(|line| line.split_once('=').map(|(n, _)| n))
            .collect();
        assert_eq!(
            names,
            [
                "RELEASE_DISTRIBUTION",
                "RELEASE_NODE",
                "DNS_CLUSTER_QUERY",
                "NODE_NAME"
            ]
        );
    }

    #[test]
    fn vm_args_writes_the_fragment_unless_a_vm_args_src_reads_a_variable() {
        assert!(
            select(TargetKind::VmArgs, &[], false)
                .unwrap()
                .writes_fragment()
        );
        let src = select(TargetKind::VmArgs, &[(Id::NodeVar, "NODE_NAME")], true).unwrap();
        assert!(!src.writes_fragment());
        assert_eq!(
            exported(&src, true),
            [
                "RELX_COOKIE=<secret>",
                "NODE_NAME=emqx@emqx-0.emqx-headless.iot.svc.cluster.local"
            ]
        );
    }

    #[test]
    fn bad_variable_names_and_clashes_are_refused_naming_the_flag() {
        for (kind, pairs, flag) in [
            (TargetKind::None, vec![(Id::NodeVar, "1NODE")], "--node-var"),
            (
                TargetKind::None,
                vec![(Id::NodeVar, "EMQX-NODE")],
                "--node-var",
            ),
            (TargetKind::None, vec![(Id::HostVar, "PATH")], "--host-var"),
            (
                TargetKind::None,
                vec![(Id::HostVar, "LD_PRELOAD")],
                "--host-var",
            ),
            (
                TargetKind::Elixir,
                vec![(Id::NodeVar, "RELEASE_NODE")],
                "--node-var",
            ),
            (
                TargetKind::None,
                vec![(Id::NodeVar, "N"), (Id::HostVar, "N")],
                "--host-var",
            ),
            (TargetKind::None, vec![], "--target"),
        ] {
            let err = select(kind, &pairs, false).unwrap_err().to_string();
            assert!(err.contains(flag), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn a_cookie_with_no_variable_to_carry_it_is_refused() {
        for kind in [TargetKind::RabbitMq, TargetKind::None] {
            let err = select(kind, &[(Id::NodeVar, "X")], true)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--cookie-file") && err.contains("fix:"),
                "{err}"
            );
        }
    }
}
