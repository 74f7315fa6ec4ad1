//! resolv.conf as glibc reads it: the nameservers, the search list, `options ndots/timeout/
//! attempts`. Bytes in, never fails: one stray non-UTF-8 byte (in a comment, say) costs only the
//! word it is in.

use std::net::{IpAddr, Ipv6Addr};

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
    /// The scope id of each link-local nameserver given with a zone (`fe80::1%eth0` or
    /// `%2`): without it, a query to it has no link to leave by. A zone naming no interface
    /// of this host is left out (the query then fails, naming the server).
    pub zones: Vec<(Ipv6Addr, u32)>,
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
            zones: Vec::new(),
        }
    }
}

/// A zone as the scope id it names: a number, or an interface of this host.
fn scope_id(zone: &str) -> Option<u32> {
    if zone.is_empty() {
        return None;
    }
    zone.parse::<u32>()
        .ok()
        .or_else(|| nix::net::if_::if_nametoindex(zone).ok())
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
                    let word = words.next().unwrap_or_default();
                    let (address, zone) = word.split_once('%').unwrap_or((word, ""));
                    let ip: Option<IpAddr> = address.parse().ok();
                    if let Some(ip) = ip.filter(|_| conf.nameservers.len() < 3) {
                        conf.nameservers.push(ip);
                        if let IpAddr::V6(v6) = ip
                            && v6.is_unicast_link_local()
                            && let Some(scope) = scope_id(zone)
                        {
                            conf.zones.push((v6, scope));
                        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `fe80::1%lo` keeps its zone as the scope id (lo is interface 1 in every namespace);
    /// a numeric zone is taken as it is; an unknown interface, or a zone on an address that is
    /// not link-local, is dropped.
    #[test]
    fn a_link_local_nameserver_keeps_its_zone() {
        let conf = ResolvConf::parse(b"nameserver fe80::1%lo\nnameserver fe80::2%7\n");
        let zones = vec![
            ("fe80::1".parse().unwrap(), 1),
            ("fe80::2".parse().unwrap(), 7),
        ];
        assert_eq!(conf.zones, zones);
        let conf = ResolvConf::parse(b"nameserver fe80::3%no-such-if0\nnameserver fd00::4%lo\n");
        assert_eq!(conf.nameservers.len(), 2);
        assert!(conf.zones.is_empty(), "{:?}", conf.zones);
    }
}
