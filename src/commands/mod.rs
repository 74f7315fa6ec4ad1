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

use crate::error::{InputError, Result};
use crate::facts::PodFacts;
use crate::inputs::{Env, Id, Lookup, PodArgs};
use crate::node::Node;
use crate::output::Output;
use crate::platform;
use crate::target::{Preset, Selected};

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
        // Which variable, if any, carries the query is the target's to say (`query_var`).
        let query = facts
            .query
            .as_ref()
            .map(|q| (q.value.as_str(), facts.shape.strategy));
        let lookup = Lookup { args, env };
        let target = Selected::new(&facts.target, &lookup, &node, query)?;
        already_set(&lookup, &target.preset(&node, env), &facts)?;
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

/// A name the environment already holds (a platform's `RELEASE_NODE`, an image's
/// `LIVEBOOK_CLUSTER=auto`): equal, relnode carries on; different, it refuses, naming both and
/// where each came from, unless `--replace-node-name` lets relnode's win. `--explain` shows it.
fn already_set(lookup: &Lookup, presets: &[Preset], facts: &PodFacts) -> Result<()> {
    let replace = lookup.switch(Id::ReplaceNodeName)?.is_some_and(|s| s.value);
    if lookup.args.explain {
        for preset in presets {
            let verdict = match (preset.equal, replace) {
                (true, _) => "equal to relnode's: kept",
                (false, true) => "differs: replaced (--replace-node-name)",
                (false, false) => "differs from relnode's",
            };
            eprintln!(
                "relnode: {:<15} {:<40} from env {} ({verdict})",
                "already set", preset.theirs, preset.var
            );
        }
    }
    let Some(preset) = presets.iter().find(|p| !p.equal).filter(|_| !replace) else {
        return Ok(());
    };
    let var = &preset.var;
    Err(InputError {
        subject: format!("{var} (already set in the environment)"),
        found: Some(format!(
            "{} (from env {var}: set before relnode ran, by the platform, the image's ENV or the shell)",
            preset.theirs
        )),
        problem: format!(
            "differs from relnode's value {} ({})",
            crate::error::shown(&preset.ours),
            derivation(facts)
        ),
        fix: format!(
            "if relnode's is the name peers dial, remove {var} from the image or the task/pod definition, or pass --replace-node-name (RELNODE_REPLACE_NODE_NAME=1) to let it win; if {var}'s is right, give relnode the inputs that make it (relnode env --explain shows each)"
        ),
    }
    .into())
}

/// Where relnode's name came from, in one line.
fn derivation(facts: &PodFacts) -> String {
    let mut parts = vec![
        format!("dialled by {}", facts.shape),
        format!("basename from {}", facts.basename.source),
    ];
    let sourced = [
        ("address", facts.ip.as_ref().map(|i| &i.source)),
        ("hostname", facts.hostname.as_ref().map(|h| &h.source)),
        ("query", facts.query.as_ref().map(|q| &q.source)),
    ];
    for (what, source) in sourced {
        if let Some(source) = source {
            parts.push(format!("{what} from {source}"));
        }
    }
    parts.push(format!(
        "platform {} from {}",
        facts.platform.value, facts.platform.source
    ));
    parts.join(", ")
}
