//! The types input rows parse into, each with what is wrong and what to do when a value is not
//! one of them.

use crate::libcluster::family::{IP_FAMILY_VALUES, IpFamily};
use crate::libcluster::{MODE_VALUES, Mode, STRATEGY_VALUES, Strategy};

/// A value an input row parses into. The type knows its spellings, so what is wrong and what
/// to do are said once, beside the list that defines them; [`Lookup::value`] adds which input
/// it was and where the value came from.
pub trait InputValue: Sized {
    /// The value, or `(problem, fix)`: `"is not a strategy relnode knows"`, `"use one of …"`.
    fn parse_input(text: &str) -> Result<Self, (String, String)>;
}

/// A duration as the flags take it: `500ms`, `5s`, `2m`, `1h`, or plain seconds; more than 0,
/// at most a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub std::time::Duration);

impl InputValue for Wait {
    fn parse_input(text: &str) -> Result<Wait, (String, String)> {
        let text = text.trim();
        let (number, unit) = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .map_or((text, "s"), |at| text.split_at(at));
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => f64::NAN,
        };
        match number.parse::<f64>().map(|n| n * scale) {
            Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 => {
                Ok(Wait(std::time::Duration::from_secs_f64(secs)))
            }
            _ => Err((
                "is not a duration".into(),
                "give a positive number with a unit: 500ms, 5s, 2m (plain numbers are seconds)"
                    .into(),
            )),
        }
    }
}

impl InputValue for Strategy {
    fn parse_input(text: &str) -> Result<Strategy, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not a strategy relnode knows".into(),
                format!(
                    "use one of {STRATEGY_VALUES} (libcluster's Cluster.Strategy.Kubernetes, .Kubernetes.DNS, .Kubernetes.DNSSRV, .DNSPoll; phoenixframework/dns_cluster)"
                ),
            )
        })
    }
}

impl InputValue for Mode {
    fn parse_input(text: &str) -> Result<Mode, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not a libcluster mode".into(),
                format!("use one of {MODE_VALUES}"),
            )
        })
    }
}

impl InputValue for IpFamily {
    fn parse_input(text: &str) -> Result<IpFamily, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not an IP family".into(),
                format!("use {IP_FAMILY_VALUES}"),
            )
        })
    }
}

/// A TCP port, 1-65535.
#[cfg_attr(not(feature = "check"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port(pub u16);

impl InputValue for Port {
    fn parse_input(text: &str) -> Result<Port, (String, String)> {
        match text.parse::<u16>() {
            Ok(p) if p > 0 => Ok(Port(p)),
            _ => Err((
                "is not a TCP port".into(),
                "give a port from 1 to 65535 (e.g. 13825 for Livebook's distribution)".into(),
            )),
        }
    }
}
