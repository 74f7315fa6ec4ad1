//! How each strategy asks its one DNS name: libcluster's DNSPoll the name as given
//! (`:inet_res.lookup`, A ++ AAAA), dns_cluster through the search list (`:inet_res.getbyname`,
//! A and AAAA), Kubernetes.DNS through the search list (A only). The start-up path
//! (`discovered`) and `check`'s query probe both ask through this one definition.

use std::net::IpAddr;

use crate::dns::{Lookup, Outcome, RecordType, Records, Resolver, SearchRule};
use crate::libcluster::Strategy;

pub struct Asker {
    pub rule: SearchRule,
    pub types: &'static [RecordType],
}

impl Asker {
    pub fn new(strategy: Strategy) -> Asker {
        match strategy {
            Strategy::DnsPoll => Asker {
                rule: SearchRule::AsGiven,
                types: &[RecordType::A, RecordType::Aaaa],
            },
            Strategy::Dns => Asker {
                rule: SearchRule::InetRes,
                types: &[RecordType::A],
            },
            _ => Asker {
                rule: SearchRule::InetRes,
                types: &[RecordType::A, RecordType::Aaaa],
            },
        }
    }

    /// The name the search list makes of `name` when that one has addresses (as getbyname,
    /// which DNSPoll does not use, would find them).
    pub fn search_list_name(&self, resolver: &Resolver, name: &str) -> Option<String> {
        self.types.iter().find_map(|rtype| {
            match resolver.lookup(name, *rtype, SearchRule::InetRes).outcome {
                Outcome::Found {
                    name: full,
                    records: Records::Addrs(addrs),
                } if !addrs.is_empty() && full != name => Some(full),
                _ => None,
            }
        })
    }

    /// Each question, in the strategy's order, with its lookup; after one whose outcome
    /// `stop` picks nothing more is asked.
    pub fn lookups(
        &self,
        resolver: &Resolver,
        name: &str,
        stop: impl Fn(&Outcome) -> bool,
    ) -> Vec<(RecordType, Lookup)> {
        let mut all = Vec::new();
        for rtype in self.types {
            let lookup = resolver.lookup(name, *rtype, self.rule);
            let last = stop(&lookup.outcome);
            all.push((*rtype, lookup));
            if last {
                break;
            }
        }
        all
    }

    /// Every address the answers list. As libcluster and dns_cluster do, a question that fails
    /// counts as no address of its type when another type answered; `Err` when no type gave an
    /// address and one got no believable answer.
    pub fn ask(&self, resolver: &Resolver, name: &str) -> Result<Vec<IpAddr>, String> {
        let mut found = Vec::new();
        let mut problem = None;
        for (rtype, lookup) in self.lookups(resolver, name, |_| false) {
            match lookup.outcome {
                Outcome::Found {
                    records: Records::Addrs(addrs),
                    ..
                } => found.extend(addrs),
                Outcome::Found { .. } | Outcome::NoData { .. } | Outcome::NxDomain => {}
                Outcome::Timeout => {
                    let asked: Vec<String> = lookup
                        .servers_asked()
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    problem.get_or_insert(format!(
                        "no nameserver answered the {rtype} question (asked {})",
                        if asked.is_empty() {
                            "none: no time left".to_owned()
                        } else {
                            asked.join(", ")
                        }
                    ));
                }
                Outcome::Failed(failed) => {
                    problem.get_or_insert(failed);
                }
            }
        }
        match problem {
            Some(problem) if found.is_empty() => Err(problem),
            _ => Ok(found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_strategy_asks_as_its_resolver_does() {
        let poll = Asker::new(Strategy::DnsPoll);
        assert_eq!(
            (poll.rule, poll.types),
            (SearchRule::AsGiven, &[RecordType::A, RecordType::Aaaa][..])
        );
        let cluster = Asker::new(Strategy::DnsCluster);
        assert_eq!(
            (cluster.rule, cluster.types),
            (SearchRule::InetRes, &[RecordType::A, RecordType::Aaaa][..])
        );
        // libcluster's Kubernetes.DNS asks for A records only.
        let dns = Asker::new(Strategy::Dns);
        assert_eq!(
            (dns.rule, dns.types),
            (SearchRule::InetRes, &[RecordType::A][..])
        );
    }
}
