//! The IP family a flag or variable names: one spelling set (`ipv4`/`ipv6`, `4`/`6`, any case).

use std::fmt;
use std::str::FromStr;

use super::Choice;
use super::text::{Text, text};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpFamily {
    V4,
    V6,
}

pub const IP_FAMILIES: &[Choice<IpFamily>] = &[
    Choice {
        name: "ipv4",
        also: &["4"],
        value: IpFamily::V4,
    },
    Choice {
        name: "ipv6",
        also: &["6"],
        value: IpFamily::V6,
    },
];

/// `ipv4 or ipv6`
pub const IP_FAMILY_VALUES: &str = text!(Text::new().names(IP_FAMILIES, " or "));

impl FromStr for IpFamily {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        super::parse_choice(IP_FAMILIES, &s.to_ascii_lowercase()).ok_or(())
    }
}

impl fmt::Display for IpFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::name_of(IP_FAMILIES, *self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_set() {
        for (text, want) in [
            ("ipv4", IpFamily::V4),
            ("IPv4", IpFamily::V4),
            ("4", IpFamily::V4),
            ("ipv6", IpFamily::V6),
            ("IPV6", IpFamily::V6),
            ("6", IpFamily::V6),
        ] {
            assert_eq!(text.parse(), Ok(want), "{text}");
        }
        for bad in ["v6", "ipv5", "", "dual", "inet6"] {
            assert!(bad.parse::<IpFamily>().is_err(), "{bad}");
        }
        assert_eq!(IpFamily::V6.to_string(), "ipv6");
        assert_eq!(IP_FAMILY_VALUES, "ipv4 or ipv6");
    }
}
