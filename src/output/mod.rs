//! Output: a target turns the target-neutral [`Node`] into variables (today `elixir`:
//! `RELEASE_*`), and an encoding writes them (`sh`, `json`, `dotenv`), one file each, as
//! hyperfine's `export/` does. `exec` takes the variables as they resolve in its own
//! environment.

mod dotenv;
mod elixir;
mod json;
mod rabbitmq;
mod select;
mod sh;
pub mod vm_args;

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{Error, InputError};
use crate::facts::PodFacts;
use crate::inputs::Env;
use crate::node::{Cookie, Node, merge_proto_dist};

pub use elixir::Elixir;
pub use select::{Selected, TARGET_VALUES, TargetKind};

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

/// What a kind of release reads its node name from.
pub trait Target {
    fn vars(&self, node: &Node) -> Vec<Var>;
}

/// Everything an encoding may use.
pub struct Output<'a> {
    pub facts: &'a PodFacts,
    pub node: &'a Node,
    pub vars: Vec<Var>,
}

impl Output<'_> {
    /// The variables with their values now, in this environment: a merged `AppendProtoDist`
    /// holds the user's options, and is left out when they chose their own `-proto_dist`.
    pub fn resolved(&self, env: &dyn Env) -> Vec<(&str, OsString)> {
        self.vars
            .iter()
            .filter_map(|var| {
                let value = match &var.value {
                    Value::Text(text) => OsString::from(text),
                    Value::Secret(cookie) => OsString::from(cookie.expose()),
                    Value::AppendProtoDist => merge_proto_dist(env.var_os(&var.name).as_deref())?,
                };
                Some((var.name.as_ref(), value))
            })
            .collect()
    }

    /// The values as text, for formats that cannot carry other bytes.
    fn resolved_text(
        &self,
        env: &dyn Env,
        format: &str,
    ) -> Result<Vec<(&str, String)>, InputError> {
        self.resolved(env)
            .into_iter()
            .map(|(name, value)| {
                value
                    .into_string()
                    .map(|text| (name, text))
                    .map_err(|_| InputError {
                        subject: format!("output format (--format {format})"),
                        found: Some(format!("the value of {name}")),
                        problem: "is not UTF-8, which this format cannot carry".into(),
                        fix: "use --format sh, or fix the variable's value".into(),
                    })
            })
            .collect()
    }

    /// The secrets this output holds, to keep out of messages.
    fn secrets(&self) -> Vec<&str> {
        self.vars
            .iter()
            .filter_map(|var| match &var.value {
                Value::Secret(cookie) => Some(cookie.expose()),
                _ => None,
            })
            .collect()
    }
}

/// How the variables are written.
#[derive(Clone, Debug)]
pub enum Encoding {
    /// `export KEY='value'` lines from a Tera template (the built-in one unless given).
    Sh {
        template: Option<PathBuf>,
    },
    Json,
    Dotenv,
}

impl Encoding {
    pub fn encode(&self, output: &Output, env: &dyn Env) -> Result<Vec<u8>, Error> {
        match self {
            Encoding::Sh { template } => sh::encode(output, template.as_deref()),
            Encoding::Json => Ok(json::encode(&output.resolved_text(env, "json")?).into_bytes()),
            Encoding::Dotenv => {
                Ok(dotenv::encode(&output.resolved_text(env, "dotenv")?)?.into_bytes())
            }
        }
    }
}

/// Replaces each secret in `message` (a message must never print one).
pub fn mask(message: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(message.to_owned(), |m, s| m.replace(s, "<cookie hidden>"))
}
