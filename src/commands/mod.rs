//! One module per command, each with `run(args) -> Result<ExitStatus>` (as fd's `main.rs` does).
//! The commands that name this pod share [`Pod::prepare`]: gather the facts, explain them,
//! build the node, warn.

#[cfg(feature = "tools")]
pub mod advise;
#[cfg(feature = "check")]
pub mod check;
#[cfg(feature = "completions")]
pub mod completions;
pub mod env;
pub mod exec;
#[cfg(feature = "man")]
pub mod man;
pub mod render;
#[cfg(feature = "tools")]
pub mod simulate;

use std::ffi::OsStr;

use crate::error::Result;
use crate::facts::PodFacts;
use crate::inputs::{Env, Lookup, PodArgs};
use crate::node::Node;
use crate::output::Output;
use crate::platform;
use crate::target::Selected;

/// Writes a command's result to stdout, all of it or an error (a closed pipe, a full disk).
pub fn print(bytes: &[u8]) -> Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    Ok(())
}

/// This pod: its facts and the node they name.
pub struct Pod {
    pub facts: PodFacts,
    pub node: Node,
    /// The target (`--target`) and the variables it carries.
    pub target: Selected,
}

impl Pod {
    /// Gathers the facts (`wrapped_command`: what `exec` will run, which may name the
    /// basename), prints `--explain` and the warnings on stderr, and checks the name.
    pub fn prepare(args: &PodArgs, env: &dyn Env, wrapped_command: Option<&OsStr>) -> Result<Pod> {
        let facts = platform::gather(&Lookup { args, env }, wrapped_command)?;
        if args.explain {
            for (what, value, source) in facts.explain() {
                eprintln!("relnode: {what:<15} {value:<40} from {source}");
            }
        }
        let name = facts.node_name()?;
        let node = Node {
            name,
            cookie: facts.cookie.as_ref().map(|c| c.value.clone()),
            ipv6: facts.ipv6,
        };
        // Only dns_cluster reads DNS_CLUSTER_QUERY; DNSPoll's query is in libcluster's config.
        let query = facts
            .query
            .as_ref()
            .filter(|_| facts.shape.strategy == crate::libcluster::Strategy::DnsCluster)
            .map(|q| q.value.as_str());
        let target = Selected::new(&facts.target, &Lookup { args, env }, &node, query)?;
        // Only now that the name and the target are known to be good: a failure's one message
        // stays one message.
        for warning in facts.warnings.iter().cloned().chain(target.warnings(&node)) {
            eprintln!("relnode: warning: {warning}");
        }
        if args.explain {
            eprintln!(
                "relnode: {:<15} {:<40} dialled by {}",
                "node name", node.name, facts.shape
            );
        }
        Ok(Pod {
            facts,
            node,
            target,
        })
    }

    /// The chosen target's variables.
    pub fn output(&self) -> Output<'_> {
        Output {
            facts: &self.facts,
            node: &self.node,
            vars: self.target.vars(&self.node),
        }
    }
}
