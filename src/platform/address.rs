//! The node's own address off Kubernetes, chosen as its peers will dial it: a DNS-discovered
//! node (libcluster's DNSPoll, dns_cluster, Kubernetes.DNS) is dialled at the address the
//! answer lists for it, so the name must carry exactly that address, not "the default route's
//! address" (on Docker Swarm that is the `docker_gwbridge` one no peer dials).
//!
//! Pure rules over the local interface addresses ([`local_interfaces`] reads them with
//! getifaddrs) and a DNS answer; the caller does the lookup and the retries.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One address of a local interface, with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalAddress {
    pub interface: String,
    pub ip: IpAddr,
    pub prefix: u8,
}

impl fmt::Display for LocalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.ip, self.prefix, self.interface)
    }
}

/// An address no peer can dial: loopback, link-local (fe80::/10, 169.254/16), IPv4-mapped,
/// unspecified, multicast.
pub fn never_dialled(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_multicast()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some()
        }
    }
}

/// The addresses of this host's interfaces a peer could dial, in interface order.
pub fn local_interfaces() -> std::io::Result<Vec<LocalAddress>> {
    let mut found = Vec::new();
    for entry in nix::ifaddrs::getifaddrs().map_err(std::io::Error::from)? {
        let (Some(address), Some(netmask)) = (entry.address, entry.netmask) else {
            continue;
        };
        let (ip, prefix) = if let (Some(a), Some(m)) =
            (address.as_sockaddr_in(), netmask.as_sockaddr_in())
        {
            (IpAddr::V4(a.ip()), m.ip().to_bits().count_ones())
        } else if let (Some(a), Some(m)) = (address.as_sockaddr_in6(), netmask.as_sockaddr_in6()) {
            (IpAddr::V6(a.ip()), m.ip().to_bits().count_ones())
        } else {
            continue;
        };
        if never_dialled(ip) {
            continue;
        }
        found.push(LocalAddress {
            interface: entry.interface_name,
            ip: canonical(ip),
            prefix: u8::try_from(prefix).unwrap_or(128),
        });
    }
    Ok(found)
}

/// Addresses compare canonically: an IPv4-mapped IPv6 answer is the IPv4 address it maps.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// `--ip-cidr`: an address range, `10.0.9.0/24` or `fd00:1::/64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| "has no /PREFIX (write it as 10.0.9.0/24 or fd00:1::/64)".to_owned())?;
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("has {addr:?}, which is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 =
            prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
                format!("has prefix {prefix:?}; it must be a number from 0 to {max}")
            })?;
        Ok(Cidr { network, prefix })
    }
}

impl crate::inputs::InputValue for Cidr {
    fn parse_input(text: &str) -> Result<Cidr, (String, String)> {
        text.parse().map_err(|problem| {
            (
                problem,
                "give the subnet of the network the peers dial each other on, e.g. 10.0.9.0/24"
                    .to_owned(),
            )
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        same_prefix(self.network, canonical(ip), self.prefix)
    }
}

/// Both addresses share their first `prefix` bits (and their family).
fn same_prefix(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    let (a, b, width) = match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    let prefix = u32::from(prefix).min(width);
    if prefix == 0 {
        return true;
    }
    let shift = width - prefix;
    (a >> shift) == (b >> shift)
}

/// Which rule chose the address, for `--explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The one local address inside `--ip-cidr`.
    Cidr,
    /// The local address the query's answer lists.
    Listed,
    /// Not listed yet, but the answer lists peers in the subnet of this local address.
    PeersSubnet,
}

impl Rule {
    /// The rule in words: `--explain`'s source of the address.
    pub const fn text(self) -> &'static str {
        match self {
            Rule::Cidr => "the one local address inside --ip-cidr",
            Rule::Listed => "the local address the query's answer lists",
            Rule::PeersSubnet => {
                "not listed yet: the local address in the subnet of the listed peers"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub address: LocalAddress,
    pub rule: Rule,
}

/// Why no address could be chosen; each names what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No local address inside the CIDR.
    NoneInCidr {
        cidr: Cidr,
        local: Vec<LocalAddress>,
    },
    /// More than one local address inside the CIDR.
    SeveralInCidr {
        cidr: Cidr,
        inside: Vec<LocalAddress>,
    },
    /// The answer was empty.
    EmptyAnswer,
    /// The answer lists neither us nor a peer in one of our subnets.
    NotListed {
        answer: Vec<IpAddr>,
        local: Vec<LocalAddress>,
    },
    /// Several local addresses of the chosen family qualify under the same rule.
    Several {
        rule: Rule,
        candidates: Vec<LocalAddress>,
    },
    /// `--ip-family` asks for a family none of the qualifying addresses has.
    NoneOfFamily {
        want_v6: bool,
        candidates: Vec<LocalAddress>,
    },
}

/// The one local address inside `cidr` (no lookup).
pub fn by_cidr(cidr: Cidr, local: &[LocalAddress]) -> Result<Chosen, Refusal> {
    let inside: Vec<LocalAddress> = local
        .iter()
        .filter(|a| cidr.contains(a.ip))
        .cloned()
        .collect();
    match inside.as_slice() {
        [] => Err(Refusal::NoneInCidr {
            cidr,
            local: local.to_vec(),
        }),
        [one] => Ok(Chosen {
            address: one.clone(),
            rule: Rule::Cidr,
        }),
        _ => Err(Refusal::SeveralInCidr { cidr, inside }),
    }
}

/// The local address the answer lists; else, when the answer lists peers, the local address in
/// their subnet. `want_v6`: `--ip-family`; without it IPv4 wins when both families qualify
/// (every replica must choose alike: one VM runs one `-proto_dist`).
pub fn from_answer(
    answer: &[IpAddr],
    local: &[LocalAddress],
    want_v6: Option<bool>,
) -> Result<Chosen, Refusal> {
    if answer.is_empty() {
        return Err(Refusal::EmptyAnswer);
    }
    let answer: Vec<IpAddr> = answer.iter().map(|ip| canonical(*ip)).collect();
    let listed: Vec<&LocalAddress> = local.iter().filter(|a| answer.contains(&a.ip)).collect();
    if !listed.is_empty() {
        return pick(listed, Rule::Listed, want_v6);
    }
    let near: Vec<&LocalAddress> = local
        .iter()
        .filter(|a| answer.iter().any(|peer| same_prefix(a.ip, *peer, a.prefix)))
        .collect();
    if !near.is_empty() {
        return pick(near, Rule::PeersSubnet, want_v6);
    }
    Err(Refusal::NotListed {
        answer,
        local: local.to_vec(),
    })
}

fn pick(
    candidates: Vec<&LocalAddress>,
    rule: Rule,
    want_v6: Option<bool>,
) -> Result<Chosen, Refusal> {
    let has_v4 = candidates.iter().any(|a| a.ip.is_ipv4());
    let v6 = want_v6.unwrap_or(!has_v4);
    let family: Vec<LocalAddress> = candidates
        .iter()
        .filter(|a| a.ip.is_ipv6() == v6)
        .map(|a| (*a).clone())
        .collect();
    match family.as_slice() {
        [one] => Ok(Chosen {
            address: one.clone(),
            rule,
        }),
        // The asked family has none: the other family's candidates show what was there.
        [] => Err(Refusal::NoneOfFamily {
            want_v6: v6,
            candidates: candidates.into_iter().cloned().collect(),
        }),
        _ => Err(Refusal::Several {
            rule,
            candidates: family,
        }),
    }
}

/// Local addresses and answers written as text, for this module's tests and `discovered`'s.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::LocalAddress;
    use std::net::IpAddr;

    pub fn local(spec: &[(&str, &str, u8)]) -> Vec<LocalAddress> {
        spec.iter()
            .map(|(interface, ip, prefix)| LocalAddress {
                interface: (*interface).to_owned(),
                ip: ip.parse().expect("test address"),
                prefix: *prefix,
            })
            .collect()
    }

    pub fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter()
            .map(|s| s.parse().expect("test address"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{ips, local};
    use super::*;

    /// A Swarm task: overlay (listed in tasks.<svc>), ingress, and docker_gwbridge holding the
    /// default route.
    fn swarm_task() -> Vec<LocalAddress> {
        local(&[
            ("eth0", "10.0.1.7", 24),
            ("eth1", "10.0.0.9", 24),
            ("eth2", "172.18.0.4", 16),
        ])
    }

    #[test]
    fn the_listed_address_wins_over_the_default_routes() {
        let chosen = from_answer(
            &ips(&["10.0.1.5", "10.0.1.7", "10.0.1.6"]),
            &swarm_task(),
            None,
        )
        .expect("listed");
        assert_eq!(chosen.address.ip, "10.0.1.7".parse::<IpAddr>().unwrap());
        assert_eq!(chosen.address.interface, "eth0");
        assert_eq!(chosen.rule, Rule::Listed);
    }

    #[test]
    fn not_yet_listed_takes_the_peers_subnet() {
        let chosen =
            from_answer(&ips(&["10.0.1.5", "10.0.1.6"]), &swarm_task(), None).expect("subnet");
        assert_eq!(chosen.address.ip, "10.0.1.7".parse::<IpAddr>().unwrap());
        assert_eq!(chosen.rule, Rule::PeersSubnet);
    }

    #[test]
    fn an_answer_far_from_every_interface_is_refused() {
        let refusal = from_answer(&ips(&["192.0.2.1"]), &swarm_task(), None).unwrap_err();
        assert!(matches!(refusal, Refusal::NotListed { .. }), "{refusal:?}");
        assert_eq!(
            from_answer(&[], &swarm_task(), None),
            Err(Refusal::EmptyAnswer)
        );
    }

    #[test]
    fn both_families_listed_choose_ipv4_unless_ipv6_is_asked() {
        let dual = local(&[("eth0", "10.0.1.7", 24), ("eth0", "fd12::7", 64)]);
        let answer = ips(&["10.0.1.7", "fd12::7", "10.0.1.8", "fd12::8"]);
        let v4 = from_answer(&answer, &dual, None).expect("v4");
        assert!(v4.address.ip.is_ipv4());
        let v6 = from_answer(&answer, &dual, Some(true)).expect("v6");
        assert_eq!(v6.address.ip, "fd12::7".parse::<IpAddr>().unwrap());
        // Railway before 2025-10-16: AAAA only.
        let v6_only = from_answer(&ips(&["fd12::7", "fd12::8"]), &dual, None).expect("v6 only");
        assert!(v6_only.address.ip.is_ipv6());
        // IPv4 asked, only IPv6 listed: refused with what was there.
        assert!(matches!(
            from_answer(&ips(&["fd12::7"]), &dual, Some(false)),
            Err(Refusal::NoneOfFamily { want_v6: false, .. })
        ));
    }

    #[test]
    fn two_listed_in_one_family_are_refused_with_both() {
        let two = local(&[("eth0", "10.0.1.7", 24), ("eth1", "10.0.1.8", 24)]);
        match from_answer(&ips(&["10.0.1.7", "10.0.1.8"]), &two, None) {
            Err(Refusal::Several { candidates, rule }) => {
                assert_eq!(rule, Rule::Listed);
                assert_eq!(candidates.len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mapped_answers_compare_as_ipv4() {
        let chosen = from_answer(&ips(&["::ffff:10.0.1.7"]), &swarm_task(), None).expect("mapped");
        assert_eq!(chosen.address.ip, "10.0.1.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn cidr_picks_the_one_inside() {
        let cidr: Cidr = "10.0.1.0/24".parse().expect("cidr");
        let chosen = by_cidr(cidr, &swarm_task()).expect("inside");
        assert_eq!(chosen.address.interface, "eth0");
        assert_eq!(chosen.rule, Rule::Cidr);
        let wide: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(matches!(
            by_cidr(wide, &swarm_task()),
            Err(Refusal::SeveralInCidr { .. })
        ));
        let none: Cidr = "192.168.0.0/16".parse().expect("cidr");
        assert!(matches!(
            by_cidr(none, &swarm_task()),
            Err(Refusal::NoneInCidr { .. })
        ));
        let v6: Cidr = "fd12::/64".parse().expect("cidr");
        assert!(v6.contains("fd12::7".parse().unwrap()));
        assert!(!v6.contains("fd13::7".parse().unwrap()));
    }

    #[test]
    fn bad_cidrs_say_what_is_wrong() {
        for bad in [
            "10.0.1.0",
            "10.0.1.0/33",
            "fd12::/129",
            "nope/8",
            "10.0.1.0/x",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_no_peer_dials_are_never_candidates() {
        for ip in [
            "127.0.0.1",
            "::1",
            "169.254.1.1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(never_dialled(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.1.7", "fd12::7", "172.18.0.4"] {
            assert!(!never_dialled(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn this_hosts_interfaces_are_read() {
        // getifaddrs itself: whatever this machine has, nothing in it is loopback.
        let found = local_interfaces().expect("getifaddrs");
        assert!(found.iter().all(|a| !never_dialled(a.ip)), "{found:?}");
    }
}
