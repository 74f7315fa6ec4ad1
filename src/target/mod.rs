//! Targets: what reads the node name, one file each, listed once in [`TARGETS`]. A target turns
//! the target-neutral [`Node`] into variables (`elixir`: `RELEASE_*`) and says what else it
//! needs; adding one is a new file and a line in the table (`--target`'s values and help come
//! from it). [`Selected`] is the chosen target with the variables any target may carry besides:
//! `--node-var`/`--host-var` for servers that read their name from a variable of their own
//! (EMQX, CouchDB, VerneMQ, a relx `vm.args.src`), and `DNS_CLUSTER_QUERY` for dns_cluster.

mod elixir;
mod livebook;
mod none;
mod rabbitmq;
mod vm_args;

use std::borrow::Cow;
use std::fmt;

use crate::error::{InputError, shown};
use crate::inputs::{Env, Id, Lookup, Sourced, input};
use crate::libcluster::Strategy;
use crate::node::{Cookie, Node};

/// Every target, in `--help` order; the first is the default.
pub const TARGETS: &[&dyn Target] = &[
    &elixir::Elixir,
    &vm_args::VmArgs,
    &rabbitmq::RabbitMq,
    &livebook::Livebook,
    &none::NoTarget,
];

/// What `--target` is when not given.
pub const DEFAULT: &dyn Target = TARGETS[0];

/// What a kind of release or server reads its node name from, and what it needs besides.
pub trait Target: Sync {
    /// `--target`'s value; messages name the target by it.
    fn name(&self) -> &'static str;
    /// Other values `--target` takes for it.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// What it writes, for `--help`: `<name> (<help>)`.
    fn help(&self) -> &'static str;
    /// The variables it sets for this node, in a fixed order. `--node-var`/`--host-var` may
    /// not name them.
    fn vars(&self, node: &Node) -> Vec<Var>;
    /// What it does with the cookie file's cookie.
    fn cookie(&self) -> CookieUse;
    /// The basename when none is given.
    fn default_basename(&self) -> Option<&'static str> {
        None
    }
    /// A mix release runs libcluster or dns_cluster itself: it gets `DNS_CLUSTER_QUERY`, and
    /// libcluster's limits are warned about.
    fn mix_release(&self) -> bool {
        false
    }
    /// The file `render` and `exec --output` write instead of an env file, unless
    /// `--node-var` asks for one.
    fn fragment(&self) -> Option<&'static Fragment> {
        None
    }
    /// Said on stderr: what the user must still do that relnode cannot.
    fn warnings(&self, _: &Node) -> Vec<String> {
        Vec::new()
    }
    /// Its variables a platform or an image may already have set to a name of their own
    /// (Gigalixir's `RELEASE_NODE`, a Livebook Teams image's `LIVEBOOK_CLUSTER=auto`): a
    /// different value there is refused unless `--replace-node-name`.
    fn guarded(&self) -> &'static [&'static str] {
        &[]
    }
    /// The distribution port `check --peers` handshakes with when `--dist-port` is not given
    /// (`None`: the one each peer's epmd gives).
    #[cfg_attr(not(feature = "check"), allow(dead_code))]
    fn dist_port(&self) -> Option<u16> {
        None
    }
    /// The variable the query goes to, if this target hands it to the release under
    /// `strategy`: a mix release's dns_cluster reads `DNS_CLUSTER_QUERY`; libcluster's DNSPoll
    /// takes its query from its own config, so nothing is exported for it.
    fn query_var(&self, query: &str, strategy: Strategy) -> Option<Var> {
        (self.mix_release() && strategy == Strategy::DnsCluster).then(|| Var {
            name: QUERY_VAR.into(),
            value: Value::Text(query.to_owned()),
        })
    }
}

impl fmt::Display for dyn Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for dyn Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The target `--target` names, by its name or an alias.
pub fn named(value: &str) -> Option<&'static dyn Target> {
    TARGETS
        .iter()
        .copied()
        .find(|t| t.name() == value || t.aliases().contains(&value))
}

/// `elixir, vm-args, rabbitmq, none`: the values a message suggests.
pub fn names() -> String {
    TARGETS
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--target`'s help after its lead: each target and what it writes.
pub fn help() -> String {
    TARGETS
        .iter()
        .map(|t| format!("{} ({})", t.name(), t.help()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A variable's value, as the target means it.
#[derive(Debug)]
pub enum Value {
    Text(String),
    /// Written out like text; never shown in a message.
    Secret(Cookie),
    /// The user's own VM options with `-proto_dist inet6_tcp` added by the one rule
    /// (`node::merge_proto_dist`), at the time and place they are read.
    AppendProtoDist,
}

#[derive(Debug)]
pub struct Var {
    pub name: Cow<'static, str>,
    pub value: Value,
}

/// What a target does with `--cookie-file`'s cookie.
pub enum CookieUse {
    /// One of its variables carries it.
    Exported,
    /// It has no variable for it; `fix` says where the server reads its cookie instead.
    Refused { fix: &'static str },
}

/// A file written instead of an env file (vm-args: the `-name` line for `-args_file`).
pub struct Fragment {
    /// The file for this node; it holds no secret.
    pub content: fn(&Node) -> Vec<u8>,
    /// `render` with a cookie file, which the fragment cannot carry.
    pub cookie_lost: Refusal,
    /// `--template`, which has nothing to render.
    pub no_template: Refusal,
}

/// Bad input, said in the target's own words.
pub struct Refusal {
    pub subject: &'static str,
    pub problem: &'static str,
    pub fix: &'static str,
}

impl From<&Refusal> for InputError {
    fn from(refusal: &Refusal) -> InputError {
        InputError {
            subject: refusal.subject.into(),
            found: None,
            problem: refusal.problem.into(),
            fix: refusal.fix.into(),
        }
    }
}

/// A variable relnode sets that was set already when it ran.
#[derive(Debug)]
pub struct Preset {
    pub var: String,
    /// The value found, quoted with `shown`.
    pub theirs: String,
    pub ours: String,
    pub equal: bool,
}

/// dns_cluster's query, as the Phoenix generator's `config/runtime.exs` reads it.
pub const QUERY_VAR: &str = "DNS_CLUSTER_QUERY";

/// The chosen target with its extra variables, checked against each other.
#[derive(Debug)]
pub struct Selected {
    kind: &'static dyn Target,
    node_var: Option<String>,
    host_var: Option<String>,
    /// The query and the strategy that asks it.
    query: Option<(String, Strategy)>,
}

/// Variables whose value a name must never replace: the shell's, the C library's, the loader's
/// (and every `LD_*`) and the VM's own.
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
    // The shell's tracing: with `SHELLOPTS=xtrace`, bash expands `PS4` (code) at every command.
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    // The C library's resolver, locale, time zone and allocator: glibc's own list of variables
    // it drops for setuid programs (sysdeps/generic/unsecvars.h, `LD_*` aside), and jemalloc's.
    "LOCALDOMAIN",
    "RES_OPTIONS",
    "HOSTALIASES",
    "RESOLV_HOST_CONF",
    "NIS_PATH",
    "GCONV_PATH",
    "GETCONF_DIR",
    "LOCPATH",
    "NLSPATH",
    "TZDIR",
    "GLIBC_TUNABLES",
    "MALLOC_TRACE",
    "MALLOC_CONF",
];

/// A cookie variable (`RELEASE_COOKIE`, `RELX_COOKIE`, `RABBITMQ_ERLANG_COOKIE`,
/// `EMQX_NODE__COOKIE`, ...): the node name there would become the cluster's cookie, which
/// every peer can read off the name.
fn is_cookie_var(name: &str) -> bool {
    name.to_ascii_uppercase().contains("COOKIE")
}

impl Selected {
    /// Looks up `--node-var`/`--host-var` and checks them, and the cookie, against the target.
    pub fn new(
        kind: &Sourced<&'static dyn Target>,
        lookup: &Lookup,
        node: &Node,
        query: Option<(&str, Strategy)>,
    ) -> Result<Selected, InputError> {
        let target = kind.value;
        let node_var = var_name(lookup, Id::NodeVar)?;
        let host_var = var_name(lookup, Id::HostVar)?;
        let selected = Selected {
            kind: target,
            node_var: node_var.map(|v| v.value),
            host_var: host_var.map(|v| v.value),
            query: query.map(|(q, strategy)| (q.to_owned(), strategy)),
        };
        let target_subject = || input(Id::Target).subject();
        let found = || Some(format!("{} (from {})", target, kind.source));
        if target.fragment().is_none()
            && target.vars(node).is_empty()
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
        if let (Some(_), CookieUse::Refused { fix }) = (&node.cookie, target.cookie()) {
            return Err(InputError {
                subject: format!(
                    "{} with {}",
                    input(Id::CookieFile).subject(),
                    target_subject()
                ),
                found: found(),
                problem: format!(
                    "target {target} has no variable for the cookie that relnode could set"
                ),
                fix: fix.into(),
            });
        }
        // Each variable is set once: two values for one name would leave one of them unsaid.
        let mut seen: Vec<(String, String)> = selected
            .target_vars(node)
            .iter()
            .map(|v| (v.name.to_string(), format!("target {target}")))
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

    /// The target's own variables, then the query's.
    fn target_vars(&self, node: &Node) -> Vec<Var> {
        let mut vars = self.kind.vars(node);
        if let Some((query, strategy)) = &self.query {
            vars.extend(self.kind.query_var(query, *strategy));
        }
        vars
    }

    /// The variables relnode sets that the environment already holds, each with both values:
    /// the target's guarded ones and `--node-var`/`--host-var`.
    pub fn preset(&self, node: &Node, env: &dyn Env) -> Vec<Preset> {
        let guarded = |name: &str| {
            self.kind.guarded().contains(&name)
                || self.node_var.as_deref() == Some(name)
                || self.host_var.as_deref() == Some(name)
        };
        self.vars(node)
            .into_iter()
            .filter(|var| guarded(&var.name))
            .filter_map(|var| {
                let Value::Text(ours) = var.value else {
                    return None;
                };
                let theirs = env.var_os(&var.name).filter(|v| !v.is_empty())?;
                Some(Preset {
                    equal: theirs.to_str() == Some(ours.as_str()),
                    theirs: shown(&theirs),
                    var: var.name.into_owned(),
                    ours,
                })
            })
            .collect()
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

    /// What `render`/`exec --output` write instead of an env file: the target's fragment,
    /// unless `--node-var` names the variable a `vm.args.src` reads (then an env file).
    pub fn fragment(&self) -> Option<&'static Fragment> {
        self.kind.fragment().filter(|_| self.node_var.is_none())
    }

    /// Said on stderr: what the user must still do that relnode cannot.
    pub fn warnings(&self, node: &Node) -> Vec<String> {
        self.kind.warnings(node)
    }
}

/// A variable name the shell and `env` accept: `[A-Za-z_][A-Za-z0-9_]*`, not one of the
/// process's own, not a cookie's.
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
    } else if is_cookie_var(name) {
        Some(
            "is a cookie variable; the node name must not become the cookie (relnode sets the cookie only from --cookie-file)",
        )
    } else if RESERVED.contains(&name) || name.starts_with("LD_") {
        Some(
            "is a variable the shell, the C library, the loader or the Erlang VM itself reads; the node name must not replace it",
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

    fn t(name: &str) -> &'static dyn Target {
        named(name).expect("a target in TARGETS")
    }

    fn select(
        kind: &'static dyn Target,
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
        Selected::new(
            &kind,
            &lookup,
            &node(cookie),
            Some(("app.internal", Strategy::DnsCluster)),
        )
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

    /// The query reaches the release only where something there reads it: a mix release's
    /// dns_cluster (strategy dnscluster), Livebook's own dns_cluster (any strategy).
    #[test]
    fn the_query_goes_where_it_is_read() {
        let with = |target: &str, strategy: Strategy| {
            let kind = Sourced::new(t(target), crate::inputs::Source::Default);
            let (args, e) = (PodArgs::with(&[]), env(&[]));
            let lookup = Lookup {
                args: &args,
                env: &e,
            };
            let selected =
                Selected::new(&kind, &lookup, &node(false), Some(("tasks.app", strategy)))
                    .expect("selected");
            exported(&selected, false)
        };
        assert!(
            with("elixir", Strategy::DnsCluster).contains(&"DNS_CLUSTER_QUERY=tasks.app".into())
        );
        assert!(
            !with("elixir", Strategy::DnsPoll)
                .iter()
                .any(|l| l.contains("tasks.app"))
        );
        assert!(
            !with("vm-args", Strategy::DnsCluster)
                .iter()
                .any(|l| l.contains("tasks.app"))
        );
        for strategy in [Strategy::DnsCluster, Strategy::DnsPoll] {
            assert!(
                with("livebook", strategy).contains(&"LIVEBOOK_CLUSTER=dns:tasks.app".into()),
                "{strategy}"
            );
        }
    }

    #[test]
    fn node_and_host_variables_for_emqx_couchdb_vernemq() {
        let emqx = select(t("none"), &[(Id::NodeVar, "EMQX_NODE__NAME")], false).unwrap();
        assert_eq!(
            exported(&emqx, false),
            ["EMQX_NODE__NAME=emqx@emqx-0.emqx-headless.iot.svc.cluster.local"]
        );
        let couch = select(t("none"), &[(Id::HostVar, "NODENAME")], false).unwrap();
        assert_eq!(
            exported(&couch, false),
            ["NODENAME=emqx-0.emqx-headless.iot.svc.cluster.local"]
        );
        // the query goes to the elixir target only, after its own variables
        let elixir = select(t("elixir"), &[(Id::NodeVar, "NODE_NAME")], false).unwrap();
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
            select(t("vm-args"), &[], false)
                .unwrap()
                .fragment()
                .is_some()
        );
        let src = select(t("vm-args"), &[(Id::NodeVar, "NODE_NAME")], true).unwrap();
        assert!(src.fragment().is_none());
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
            (t("none"), vec![(Id::NodeVar, "1NODE")], "--node-var"),
            (t("none"), vec![(Id::NodeVar, "EMQX-NODE")], "--node-var"),
            (t("none"), vec![(Id::HostVar, "PATH")], "--host-var"),
            (t("none"), vec![(Id::HostVar, "LD_PRELOAD")], "--host-var"),
            (
                t("elixir"),
                vec![(Id::NodeVar, "RELEASE_COOKIE")],
                "--node-var",
            ),
            (
                t("vm-args"),
                vec![(Id::NodeVar, "RELX_COOKIE")],
                "--node-var",
            ),
            (t("none"), vec![(Id::HostVar, "RES_OPTIONS")], "--host-var"),
            (
                t("none"),
                vec![(Id::NodeVar, "GLIBC_TUNABLES")],
                "--node-var",
            ),
            (
                t("elixir"),
                vec![(Id::NodeVar, "RELEASE_NODE")],
                "--node-var",
            ),
            (
                t("none"),
                vec![(Id::NodeVar, "N"), (Id::HostVar, "N")],
                "--host-var",
            ),
            (t("none"), vec![], "--target"),
        ] {
            let err = select(kind, &pairs, false).unwrap_err().to_string();
            assert!(err.contains(flag), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn a_cookie_with_no_variable_to_carry_it_is_refused() {
        for kind in [t("rabbitmq"), t("none")] {
            let err = select(kind, &[(Id::NodeVar, "X")], true)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--cookie-file") && err.contains("fix:"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_table_names_each_target_once_and_the_default_is_the_inputs() {
        let mut all: Vec<&str> = TARGETS
            .iter()
            .flat_map(|t| std::iter::once(t.name()).chain(t.aliases().iter().copied()))
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "a name or alias twice: {all:?}");
        for name in all {
            assert!(named(name).is_some(), "{name}");
        }
        assert_eq!(input(Id::Target).otherwise, Some(DEFAULT.name()));
    }
}
