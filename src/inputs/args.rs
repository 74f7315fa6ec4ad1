//! The inputs as clap arguments: each row a flag (with its `--help` line), read back into
//! [`PodArgs`] in table order.

use std::ffi::{OsStr, OsString};
use std::sync::OnceLock;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use super::{INPUTS, Id, Input};

/// `--help` text a row cannot own because it comes from a table above `inputs` (the targets',
/// the platforms': those modules read the inputs). `cli` hands it in before the command is
/// built, so `inputs` names no module above it. Until it does, the flags carry no help text:
/// a run that shows no help (every pod start) formats none (a tenth of `exec`'s instructions,
/// BENCHMARKS.md).
static TABLE_HELP: OnceLock<fn(Id) -> Option<String>> = OnceLock::new();

pub fn set_table_help(help: fn(Id) -> Option<String>) {
    // Set once per process; a second call (tests) hands in the same function.
    let _ = TABLE_HELP.set(help);
}

fn help_of(input: &Input) -> Option<String> {
    let table = TABLE_HELP.get()?;
    Some(table(input.id).unwrap_or_else(|| input.help_line()))
}

/// What the command line gave for each input, in table order, and `--explain`.
#[derive(Clone, Debug, Default)]
pub struct PodArgs {
    values: Vec<Option<OsString>>,
    pub explain: bool,
}

const EXPLAIN: &str = "explain";

impl PodArgs {
    #[cfg(test)]
    pub fn with(pairs: &[(Id, &str)]) -> PodArgs {
        let mut args = PodArgs {
            values: vec![None; INPUTS.len()],
            explain: false,
        };
        for (id, value) in pairs {
            args.values[*id as usize] = Some(OsString::from(value));
        }
        args
    }

    pub(super) fn flag(&self, id: Id) -> Option<&OsStr> {
        self.values.get(id as usize)?.as_deref()
    }
}

impl FromArgMatches for PodArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(PodArgs {
            // An input of another command is not defined here: `try_`, and absent.
            values: INPUTS
                .iter()
                .map(|input| {
                    if input.switch {
                        // A switch that is on reads as "1", as its env var may.
                        let on = matches.try_get_one::<bool>(input.long).ok().flatten();
                        return on.copied().unwrap_or(false).then(|| OsString::from("1"));
                    }
                    matches
                        .try_get_one::<OsString>(input.long)
                        .ok()
                        .flatten()
                        .cloned()
                })
                .collect(),
            explain: matches.get_flag(EXPLAIN),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for PodArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd.arg(
            Arg::new(EXPLAIN)
                .long(EXPLAIN)
                .short('v')
                .visible_alias("verbose")
                .action(ArgAction::SetTrue)
                .help("Print each fact, its value and its source on stderr"),
        );
        let command = cmd.get_name().to_owned();
        let mine = INPUTS
            .iter()
            .filter(|input| input.only.is_none_or(|only| only == command));
        mine.fold(cmd, |cmd, input| {
            let arg = Arg::new(input.long)
                .long(input.long)
                .help_heading(input.heading);
            let arg = if input.switch {
                arg.action(ArgAction::SetTrue)
            } else {
                arg.value_name(input.value_name)
                    .value_parser(clap::builder::OsStringValueParser::new())
                    .action(ArgAction::Set)
            };
            cmd.arg(match help_of(input) {
                Some(help) => arg.help(help),
                None => arg,
            })
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
