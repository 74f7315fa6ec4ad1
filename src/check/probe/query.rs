//! `dnscluster-query` and `dnspoll-query`: the strategies that dial `<basename>@<ip>` for every
//! address one DNS name lists, asked as each asks it (`platform::asker`): dns_cluster through
//! the search list (`:inet_res.getbyname`), libcluster's DNSPoll as given (`:inet_res.lookup`).
//! Ours among them; on a miss where the node is named after a DNS answer (the dns, railway
//! and render platforms, or DNSPoll), the answer beside this host's own addresses and the likely
//! mistake.

use std::net::IpAddr;

use crate::check::{Check, CheckInput, Servers, Status, list_ips, nxdomain, our_ip, timeout_check};
use crate::dns::{Outcome, Records, Resolver, SearchRule};
use crate::libcluster::{Strategy, names};
use crate::platform::address::{self, LocalAddress, Refusal, Rule};
use crate::platform::asker::Asker;

/// What differs between the two strategies' lines.
struct Words {
    id: &'static str,
    /// The skipped line's question, and why it is skipped.
    skip: (&'static str, &'static str),
    /// How the question is asked, after the name.
    how: &'static str,
    dialler: &'static str,
}

fn words(strategy: Strategy) -> Words {
    match strategy {
        Strategy::DnsPoll => Words {
            id: "dnspoll-query",
            skip: (
                "A and AAAA of DNSPoll's query",
                "no --query / RELNODE_QUERY given",
            ),
            how: "as given, as DNSPoll's :inet_res.lookup does: no search list",
            dialler: "DNSPoll",
        },
        _ => Words {
            id: "dnscluster-query",
            skip: (
                "A and AAAA of DNS_CLUSTER_QUERY",
                "no --query / DNS_CLUSTER_QUERY given",
            ),
            how: "as dns_cluster's :inet_res.getbyname does",
            dialler: "dns_cluster",
        },
    }
}

/// phoenixframework/dns_cluster 0.2 (A and AAAA through `:inet_res.getbyname`) and libcluster's
/// `Cluster.Strategy.DNSPoll` (A ++ AAAA through `:inet_res.lookup`): each address dialled as
/// `<our basename>@<:inet.ntoa(ip)>`.
pub fn query_strategy(
    input: &CheckInput,
    resolver: &Resolver,
    checks: &mut Vec<Check>,
) -> Option<Vec<String>> {
    let words = words(input.shape.strategy);
    let id = words.id;
    let Some(query) = input.query.as_deref() else {
        let (asked, answer) = words.skip;
        checks.push(Check::new(id, Status::Skip, asked, answer));
        return None;
    };
    let asker = Asker::new(input.shape.strategy);
    let types: Vec<String> = asker.types.iter().map(ToString::to_string).collect();
    let asked = format!("{} {query} ({})", types.join(" and "), words.how);
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut missing = Vec::new();
    let mut unanswered = 0;
    // After a timeout no time is left; a server failure is one family's, the other is asked.
    let timeout = |o: &Outcome| matches!(o, Outcome::Timeout);
    for (rtype, lookup) in asker.lookups(resolver, query, timeout) {
        let servers = Servers::of(&lookup);
        match lookup.outcome {
            Outcome::Found {
                records: Records::Addrs(found),
                ..
            } => addrs.extend(found),
            Outcome::Timeout => {
                checks.push(timeout_check(id, asked, input, &servers));
                return None;
            }
            // One family only is normal; both strategies treat every error as no addresses.
            Outcome::NoData { .. } => missing.push(format!("no {rtype}")),
            Outcome::NxDomain => missing.push(format!("{rtype}: {}", nxdomain(&lookup.asked))),
            Outcome::Found { .. } => missing.push(format!("{rtype}: an answer of another type")),
            Outcome::Failed(problem) => {
                unanswered += 1;
                missing.push(format!("{rtype}: {problem}"));
            }
        }
    }
    if addrs.is_empty() {
        let check = Check::new(id, Status::Fail, asked, missing.join("; "));
        let (check, known) = empty(input, resolver, &asker, query, check, &words);
        // Both families ended in a server failure: no answer yet, nothing known (unless the
        // search list showed where the nodes are).
        checks.push(if unanswered == 2 && !known {
            check.not_run()
        } else {
            check
        });
        return None;
    }
    let answer = list_ips(&addrs);
    let ours = our_ip(input).is_some_and(|ip| addrs.contains(&ip));
    checks.push(if ours {
        Check::new(id, Status::Ok, asked, format!("{answer} (ours among them)"))
    } else if let Some(local) = &input.local {
        missed(input, Check::new(id, Status::Fail, asked, answer), &addrs, local)
    } else {
        Check::new(id, Status::Fail, asked, answer).because(
            format!("our IP {} is not among the query's addresses: peers never dial this node", list_ips(&input.pod_ips)),
            "point the query at the Service that selects this pod, add publishNotReadyAddresses: true, or use --wait until the pod is ready",
        )
    });
    Some(
        addrs
            .into_iter()
            .map(|ip| names::ip_node(&input.basename, ip))
            .collect(),
    )
}

/// The query lists nothing: why, by strategy and platform; `true` when the cause is known
/// (DNSPoll's query lists nodes only through the search list).
fn empty(
    input: &CheckInput,
    resolver: &Resolver,
    asker: &Asker,
    query: &str,
    check: Check,
    words: &Words,
) -> (Check, bool) {
    // DNSPoll never applies the search list; say so when only the search list finds nodes.
    if asker.rule == SearchRule::AsGiven {
        if let Some(full) = asker.search_list_name(resolver, query) {
            let check = check.because(
                format!("{query} has no address as given, and DNSPoll asks it as given (inet_res:lookup, no search list); only resolv.conf's search list makes it {full}, which lists nodes: DNSPoll dials nothing"),
                format!("set DNSPoll's query: (and relnode --query) to {full}, or use dns_cluster or Kubernetes.DNS, which apply the search list"),
            );
            return (check, true);
        }
    }
    if input.local.is_none() {
        let check = check.because(
            format!("the query lists no node: {} dials nothing", words.dialler),
            "set DNS_CLUSTER_QUERY (relnode --query) to the headless Service's name (with publishNotReadyAddresses: true) or, on Fly, <app>.internal",
        );
        return (check, false);
    }
    let check = check.because(
        format!("the query lists no node: {} dials nothing. A Docker Swarm task is listed in tasks.<service> only once healthy when its image has a HEALTHCHECK, a Kubernetes headless Service without publishNotReadyAddresses lists a pod only once ready, or the query names no service", words.dialler),
        "give the HEALTHCHECK a start period (or set publishNotReadyAddresses: true), use --wait, and check the query: tasks.<service> on Swarm, <service> on Compose, <svc>.service.consul with Consul, RAILWAY_PRIVATE_DOMAIN on Railway",
    );
    (check, false)
}

/// Ours is not among the addresses: the answer beside this host's addresses, and the mistake
/// the address rules tell apart.
fn missed(input: &CheckInput, check: Check, answer: &[IpAddr], local: &[LocalAddress]) -> Check {
    let ours = list_ips(&input.pod_ips);
    let mut check = match address::from_answer(answer, local, None) {
        // This host is listed, at another address than the name's.
        Ok(found) if found.rule == Rule::Listed => check.because(
            format!("the node is named after {ours}, but the query lists this host at {}: peers dial that one. The usual mistake: the default route's address (Swarm's docker_gwbridge) or `hostname -i` given as the pod IP", found.address.ip),
            "let relnode choose the address (drop --pod-ip/MY_POD_IP), or pass --ip-cidr with the subnet the peers dial each other on (Swarm: the overlay's)",
        ),
        Err(Refusal::Several { candidates, .. }) => check.because(
            format!("the node is named after {ours}, but the query lists this host at {}: peers dial those", list_candidates(&candidates)),
            "pass --ip-cidr with the subnet the peers dial each other on (Swarm: the overlay's)",
        ),
        // Peers are listed in one of this host's subnets, this node not yet.
        Ok(found) => check.because(
            format!("this node is not listed yet; its peers are, in the subnet of {}: a Docker Swarm task with a HEALTHCHECK is listed only once healthy, a Kubernetes headless Service without publishNotReadyAddresses lists a pod only once ready", found.address),
            "give the HEALTHCHECK a start period (or set publishNotReadyAddresses: true), or use --wait until the node is listed",
        ),
        Err(_) => check.because(
            "the query lists neither an address of this host nor a peer in one of its subnets: it names another service or network. Under Nomad's bridge networking Consul registers the host's address, which the container does not have",
            "point the query at this service on the network this container is on (Nomad: host networking), or pass --ip-cidr with the peers' subnet",
        ),
    };
    check.extra = vec![
        format!("query lists:    {}", list_ips(answer)),
        format!("this host has:  {}", list_candidates(local)),
    ];
    check
}

fn list_candidates(local: &[LocalAddress]) -> String {
    if local.is_empty() {
        return "no address a peer could dial".into();
    }
    let all: Vec<String> = local.iter().map(ToString::to_string).collect();
    all.join(", ")
}
