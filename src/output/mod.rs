//! Output: the encodings that write a target's variables (`sh`, `json`, `dotenv`), one file
//! each behind [`Encoding`], as hyperfine's `export/` does. `exec` takes the variables as they
//! resolve in its own environment.

mod dotenv;
mod json;
mod sh;

use std::ffi::OsString;

use crate::cli::Format;
use crate::error::{Error, InputError};
use crate::facts::PodFacts;
use crate::inputs::Env;
use crate::node::{Node, merge_proto_dist};
use crate::target::{Value, Var};

pub use sh::Sh;

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
pub trait Encoding {
    fn encode(&self, output: &Output, env: &dyn Env) -> Result<Vec<u8>, Error>;
}

/// The encoding `--format` names; `sh` with the built-in template.
pub fn for_format(format: Format) -> Box<dyn Encoding> {
    match format {
        Format::Sh => Box::new(Sh { template: None }),
        Format::Json => Box::new(json::Json),
        Format::Dotenv => Box::new(dotenv::Dotenv),
    }
}

/// Replaces each secret in `message` (a message must never print one).
pub fn mask(message: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(message.to_owned(), |m, s| m.replace(s, "<cookie hidden>"))
}
