//! Looking an input up: the flag, else its env vars in order, as bytes, text, a switch, a path
//! or a typed value.

use std::ffi::OsString;
use std::path::PathBuf;

use super::values::InputValue;
use super::{Env, Id, PodArgs, Source, Sourced, input};
use crate::error::{InputError, shown};

/// Looks inputs up: the flag, else the first non-empty env var.
pub struct Lookup<'a> {
    pub args: &'a PodArgs,
    pub env: &'a dyn Env,
}

impl Lookup<'_> {
    /// The value as bytes (for paths).
    pub fn raw(&self, id: Id) -> Result<Option<Sourced<OsString>>, InputError> {
        let input = input(id);
        if let Some(value) = self.args.flag(id) {
            if value.is_empty() {
                return Err(InputError {
                    subject: input.subject(),
                    found: Some(format!("{} ''", input.flag())),
                    problem: "is empty".into(),
                    fix: format!(
                        "give {} a value, or leave it out to use {}",
                        input.flag(),
                        input.env[0]
                    ),
                });
            }
            return Ok(Some(Sourced::new(
                value.to_owned(),
                Source::Flag(input.long),
            )));
        }
        Ok(input.env.iter().find_map(|var| {
            self.env
                .var_os(var)
                .filter(|v| !v.is_empty())
                .map(|v| Sourced::new(v, Source::Env(var)))
        }))
    }

    /// The value as text: relnode interprets it, so bytes that are not UTF-8 are bad input
    /// (never skipped for the next env var, never taken as unset).
    pub fn text(&self, id: Id) -> Result<Option<Sourced<String>>, InputError> {
        let Some(raw) = self.raw(id)? else {
            return Ok(None);
        };
        match raw.value.into_string() {
            Ok(text) => Ok(Some(Sourced::new(text, raw.source))),
            Err(bytes) => Err(InputError {
                subject: input(id).subject(),
                found: Some(format!("{} (from {})", shown(&bytes), raw.source)),
                problem: "is not valid UTF-8".into(),
                fix: format!(
                    "set {} to plain text; check how the value is produced",
                    input(id).set_hint()
                ),
            }),
        }
    }

    /// The value parsed into its type; a value the type refuses is bad input naming this input.
    pub fn value<T: InputValue>(&self, id: Id) -> Result<Option<Sourced<T>>, InputError> {
        let Some(given) = self.text(id)? else {
            return Ok(None);
        };
        match T::parse_input(&given.value) {
            Ok(value) => Ok(Some(Sourced::new(value, given.source))),
            Err((problem, fix)) => Err(InputError {
                subject: input(id).subject(),
                found: Some(given.found()),
                problem,
                fix,
            }),
        }
    }

    /// An on/off switch: `None` when neither the flag nor the env var says.
    pub fn switch(&self, id: Id) -> Result<Option<Sourced<bool>>, InputError> {
        let Some(given) = self.text(id)? else {
            return Ok(None);
        };
        let on = match given.value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                let input = input(id);
                return Err(InputError {
                    subject: input.subject(),
                    found: Some(given.found()),
                    problem: "is not on or off".into(),
                    fix: format!(
                        "set {}=1 to turn it on, or 0 (or unset it) to turn it off",
                        input.env[0]
                    ),
                });
            }
        };
        Ok(Some(Sourced::new(on, given.source)))
    }

    /// A path: bytes, given or the default.
    pub fn path(&self, id: Id, default: &str) -> Result<Sourced<PathBuf>, InputError> {
        Ok(match self.raw(id)? {
            Some(given) => given.map(PathBuf::from),
            None => Sourced::new(PathBuf::from(default), Source::Default),
        })
    }

    /// An env var outside the table (PATH, ELIXIR_ERL_OPTIONS), as bytes.
    pub fn var_os(&self, name: &str) -> Option<OsString> {
        self.env.var_os(name)
    }

    /// An env var outside the table that relnode interprets (libcluster's own CLUSTER_DOMAIN,
    /// kubelet's KUBERNETES_SERVICE_HOST): text, empty counts as unset, not UTF-8 is bad input.
    #[cfg(feature = "check")]
    pub fn var_text(&self, name: &str) -> Result<Option<String>, InputError> {
        match self.env.var_os(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(value) => value.into_string().map(Some).map_err(|bytes| InputError {
                subject: name.to_owned(),
                found: Some(shown(&bytes)),
                problem: "is not valid UTF-8".into(),
                fix: format!("set {name} to plain text"),
            }),
        }
    }
}
