//! resolv.conf as glibc reads it: the nameservers, the search list, `options ndots/timeout/
//! attempts`. Bytes in, never fails: one stray non-UTF-8 byte (in a comment, say) costs only the
//! word it is in.

use std::net::IpAddr;

/// What the pod's resolver is configured with, as glibc reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// At most three, as glibc uses (MAXNS).
    pub nameservers: Vec<IpAddr>,
    /// The last `search` (or `domain`) line wins, as in glibc; root dots dropped.
    pub search: Vec<String>,
    pub ndots: u32,
    pub timeout_secs: u32,
    pub attempts: u32,
}

impl Default for ResolvConf {
    /// glibc's defaults.
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout_secs: 5,
            attempts: 2,
        }
    }
}

/// The words of a config line before any `#` or `;` comment, skipping words that are not UTF-8.
pub fn words(line: &[u8]) -> impl Iterator<Item = &str> {
    let end = line
        .iter()
        .position(|b| *b == b'#' || *b == b';')
        .unwrap_or(line.len());
    line[..end]
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .filter_map(|w| std::str::from_utf8(w).ok())
}

impl ResolvConf {
    pub fn parse(bytes: &[u8]) -> ResolvConf {
        let mut conf = ResolvConf::default();
        for line in bytes.split(|b| *b == b'\n') {
            let mut words = words(line);
            match words.next() {
                Some("nameserver") => {
                    // `fe80::1%eth0`: the zone is the resolver's business, not ours.
                    let ip = words
                        .next()
                        .and_then(|w| w.split('%').next())
                        .and_then(|w| w.parse().ok());
                    if let Some(ip) = ip.filter(|_| conf.nameservers.len() < 3) {
                        conf.nameservers.push(ip);
                    }
                }
                Some("search" | "domain") => {
                    conf.search = words.map(|w| w.trim_end_matches('.').to_owned()).collect();
                }
                Some("options") => {
                    for option in words {
                        let (name, value) = option.split_once(':').unwrap_or((option, ""));
                        let Ok(n) = value.parse::<u32>() else {
                            continue;
                        };
                        match name {
                            "ndots" => conf.ndots = n.min(15),
                            "timeout" => conf.timeout_secs = n.clamp(1, 30),
                            "attempts" => conf.attempts = n.clamp(1, 5),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        conf
    }
}
