//! The platforms whose nodes find each other by one DNS name (dns, railway, render): the node
//! is named after the address its peers find for it. First rule that applies:
//! 1. an explicit pod IP (`--pod-ip`, `MY_POD_IP`, …): no lookup;
//! 2. `--ip-cidr`: the one local address inside it, no lookup;
//! 3. the query resolved with the strategy's own semantics: the local address it lists;
//! 4. not listed yet, but peers are: the local address in their subnet (said on stderr);
//! 5. an empty answer: retried until `--dns-wait`, then refused with the causes.
//!
//! The rules themselves are `address`'s (pure); this module does the lookup, the retries and
//! the messages. The kubernetes platform never comes here: its start-up path never looks up.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::address::{self, Chosen, Cidr, LocalAddress, Refusal};
use super::asker::Asker;
use super::kubelet::Files;
use super::kubernetes;
use crate::dns::{Resolver, SearchRule};
use crate::error::{Error, InputError};
use crate::facts::{Common, Found, Only, invalid, libcluster_mode};
use crate::inputs::{Id, Lookup, Source, Sourced, Wait, input};
use crate::libcluster::{Mode, NameError, Part, Shape, Strategy, erlang};

type Result<T, E = Error> = std::result::Result<T, E>;

/// `--dns-wait`'s default: long enough for a scheduler to list a starting task.
pub const DEFAULT_DNS_WAIT: Duration = Duration::from_secs(10);
/// The retries' first pause, doubled after each, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// The least time the last question is given: a pause never leaves it less.
const LAST_ASK: Duration = Duration::from_millis(200);

/// What a platform knows of its discovery.
pub struct Discovery {
    /// The platform's query when none is given (Railway's `RAILWAY_PRIVATE_DOMAIN`).
    pub query: Option<Sourced<String>>,
    /// Why no query is known when none is given nor found, and what to do.
    pub no_query: (&'static str, &'static str),
    /// The platform's basename when none is given (Render's `RENDER_SERVICE_NAME`).
    pub basename: Option<Sourced<String>>,
    /// DNSPoll with a query only the search list resolves: what else to do on this platform.
    pub search_list_only_fix: &'static str,
}

/// Peers that find each other by one DNS name dial `<basename>@<ip>`: only the DNS strategies'
/// mode ip names a node they dial.
pub const ONLY_DNS: Only = Only {
    allows: dns_discovered,
    problem: "cannot work here: the nodes find each other by one DNS name and dial <basename>@<each address>, which only dnscluster, dnspoll and dns (mode ip) name",
    fix: "use --strategy dnscluster (the default off Kubernetes), dnspoll or dns, without --mode",
};

fn dns_discovered(shape: Shape) -> bool {
    shape.mode == Mode::Ip
        && matches!(
            shape.strategy,
            Strategy::Dns | Strategy::DnsCluster | Strategy::DnsPoll
        )
}

/// The default strategy off Kubernetes: Phoenix's generator ships dns_cluster.
pub fn default_strategy(why: &'static str) -> Sourced<Strategy> {
    Sourced::new(Strategy::DnsCluster, Source::Derived(why))
}

/// The facts of a DNS-discovered node: shape, basename, query, and its address by the rules.
pub fn gather(common: &mut Common, discovery: Discovery) -> Result<Found> {
    let lookup = common.lookup;
    let shape = common.shape(Some(&ONLY_DNS), libcluster_mode)?;
    let basename = match (lookup.text(Id::Basename)?, discovery.basename) {
        (Some(_), _) | (None, None) => common.basename()?,
        (None, Some(platform)) => {
            if let Err(NameError::Invalid { problem, .. }) = erlang::check_basename(&platform.value)
            {
                return Err(invalid(
                    Id::Basename,
                    &platform,
                    &problem,
                    "pass --basename with the release name (letters, digits, '_' and '-')",
                )
                .into());
            }
            platform
        }
    };
    let query = query(lookup, discovery.query)?;
    let want_v6 = kubernetes::ip_family(lookup)?;
    let (ip, warnings) = match explicit_ip(lookup, want_v6)? {
        Some(ip) => (ip, Vec::new()),
        None => {
            let local = address::local_interfaces().map_err(|e| {
                anyhow::anyhow!("cannot read this host's interface addresses (getifaddrs): {e}")
            })?;
            match lookup.value::<Cidr>(Id::IpCidr)? {
                Some(given) => (by_cidr(&given, &local)?, Vec::new()),
                None => {
                    let Some(query) = &query else {
                        let (problem, fix) = discovery.no_query;
                        return Err(InputError {
                            subject: input(Id::Query).subject(),
                            found: None,
                            problem: problem.to_owned(),
                            fix: fix.to_owned(),
                        }
                        .into());
                    };
                    listed(
                        lookup,
                        shape,
                        query,
                        &local,
                        want_v6,
                        discovery.search_list_only_fix,
                    )?
                }
            }
        }
    };
    Ok(Found {
        basename: Some(basename),
        ipv6: ip.value.is_ipv6(),
        ip: Some(ip),
        query,
        discovered: true,
        warnings,
        ..Found::default()
    })
}

/// The query: given, else the platform's; without its root dot, checked as a DNS name.
fn query(
    lookup: &Lookup,
    platform: Option<Sourced<String>>,
) -> Result<Option<Sourced<String>>, InputError> {
    let Some(found) = lookup.text(Id::Query)?.or(platform) else {
        return Ok(None);
    };
    let name = erlang::strip_root_dot(&found.value).to_owned();
    if let Err(NameError::Invalid { problem, .. }) = erlang::domain(&name, Part::ClusterDomain) {
        return Err(invalid(
            Id::Query,
            &found,
            &problem,
            "use the DNS name whose A/AAAA records list the nodes, e.g. tasks.myapp or myapp.railway.internal",
        ));
    }
    Ok(Some(Sourced::new(name, found.source)))
}

/// Rule 1: the pod IP given (`--pod-ip`, `MY_POD_IP`, `POD_IP`, else the one of the family
/// asked for in `--pod-ips`/`MY_POD_IPS`).
fn explicit_ip(lookup: &Lookup, want_v6: Option<bool>) -> Result<Option<Sourced<IpAddr>>> {
    if let Some(given) = lookup.text(Id::PodIp)? {
        let ip = kubernetes::parse_ip(Id::PodIp, &given, &given.value)?;
        if want_v6.is_none_or(|v6| v6 == ip.is_ipv6()) {
            return Ok(Some(Sourced::new(ip, given.source)));
        }
    }
    let list = kubernetes::pod_ips(lookup)?;
    Ok(list
        .into_iter()
        .find(|ip| want_v6.is_none_or(|v6| v6 == ip.value.is_ipv6())))
}

fn chosen(chosen: Chosen) -> Sourced<IpAddr> {
    Sourced::new(chosen.address.ip, Source::Derived(chosen.rule.text()))
}

fn listing(addresses: &[LocalAddress]) -> String {
    if addresses.is_empty() {
        return "none".into();
    }
    let all: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    all.join(", ")
}

fn ips(list: &[IpAddr]) -> String {
    let all: Vec<String> = list.iter().map(ToString::to_string).collect();
    all.join(", ")
}

/// Rule 2: the one local address inside `--ip-cidr`.
fn by_cidr(given: &Sourced<Cidr>, local: &[LocalAddress]) -> Result<Sourced<IpAddr>> {
    let (problem, fix) = match address::by_cidr(given.value, local) {
        Ok(found) => return Ok(chosen(found)),
        Err(Refusal::SeveralInCidr { inside, .. }) => (
            format!(
                "holds several of this host's addresses ({}), and every replica must choose alike",
                listing(&inside)
            ),
            "narrow it to the one network the peers dial each other on",
        ),
        // No other refusal comes from rule 2.
        Err(_) => (
            format!("holds none of this host's addresses ({})", listing(local)),
            "give the subnet of the network the peers share (on Swarm the overlay's, fixed with ipam in the stack file), or drop --ip-cidr to name the node after the address the query lists",
        ),
    };
    let found = Sourced::new(given.value.to_string(), given.source.clone());
    Err(invalid(Id::IpCidr, &found, &problem, fix).into())
}

/// Rules 3 to 5: the address the query lists for this host, else in the listed peers' subnet;
/// an empty answer is asked again until `--dns-wait`.
fn listed(
    lookup: &Lookup,
    shape: Shape,
    query: &Sourced<String>,
    local: &[LocalAddress],
    want_v6: Option<bool>,
    as_given_fix: &str,
) -> Result<(Sourced<IpAddr>, Vec<String>)> {
    let wait = lookup
        .value::<Wait>(Id::DnsWait)?
        .map_or(Sourced::new(DEFAULT_DNS_WAIT, Source::Default), |w| {
            w.map(|Wait(d)| d)
        });
    let mut files = Files::new(lookup);
    let (path, conf) = files.resolv()?;
    let path = path.clone();
    // Nothing to wait for: no retry makes a nameserver appear.
    if conf.nameservers.is_empty() {
        return Err(anyhow::anyhow!(
            "cannot look up {} (query, {}): {} names no nameserver; point --resolv-conf at the container's resolv.conf, or name the address with --ip-cidr or --pod-ip",
            query.value,
            query.source,
            crate::error::shown(&path)
        )
        .into());
    }
    let start = Instant::now();
    let deadline = start + wait.value;
    let resolver = Resolver::new(conf.clone(), wait.value).until(deadline);
    let asker = Asker::new(shape.strategy);
    let mut pause = FIRST_PAUSE;
    let mut search_list_checked = false;
    loop {
        let answer = asker.ask(&resolver, &query.value);
        if let Ok(answer) = &answer {
            if !answer.is_empty() {
                return by_answer(query, answer, local, want_v6);
            }
        }
        // DNSPoll asks the name as given. A resolver that answers it only through the search
        // list (CoreDNS, Render) never gives DNSPoll a node, however long we wait; one that
        // answers the bare name (Docker's embedded DNS) is fine. Asked once.
        if asker.rule == SearchRule::AsGiven && !search_list_checked {
            search_list_checked = true;
            if let Some(full) = asker.search_list_name(&resolver, &query.value) {
                return Err(as_given_only(query, &full, as_given_fix));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left <= LAST_ASK {
            return Err(match answer {
                Ok(_) => empty_answer(query, &wait),
                Err(problem) => anyhow::anyhow!(
                    "cannot look up {} (query, {}): {problem}; gave up after --dns-wait {:.1} s. Check the nameservers in {}",
                    query.value,
                    query.source,
                    wait.value.as_secs_f64(),
                    crate::error::shown(&path)
                )
                .into(),
            });
        }
        let sleep = pause.min(left - LAST_ASK);
        let what = match &answer {
            Ok(_) => "lists no address yet".to_owned(),
            Err(problem) => format!("could not be looked up ({problem})"),
        };
        eprintln!(
            "relnode: {} {what}; asking again in {:.2} s ({:.1} s of --dns-wait left)",
            query.value,
            sleep.as_secs_f64(),
            left.as_secs_f64()
        );
        std::thread::sleep(sleep);
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Rules 3 and 4 on a non-empty answer, and their refusals.
fn by_answer(
    query: &Sourced<String>,
    answer: &[IpAddr],
    local: &[LocalAddress],
    want_v6: Option<bool>,
) -> Result<(Sourced<IpAddr>, Vec<String>)> {
    let refusal = match address::from_answer(answer, local, want_v6) {
        Ok(found) => {
            let mut warnings = Vec::new();
            if found.rule == address::Rule::PeersSubnet {
                warnings.push(format!(
                    "{} does not list this node yet (it lists {}): named after {}, in the subnet of the listed peers",
                    query.value,
                    ips(answer),
                    found.address
                ));
            }
            return Ok((chosen(found), warnings));
        }
        Err(refusal) => refusal,
    };
    let (id, found, problem, fix) = match refusal {
        Refusal::Several { candidates, .. } => (
            Id::Query,
            query.found(),
            format!("lists several of this host's addresses of one family ({}): relnode cannot tell which one the peers dial", listing(&candidates)),
            "pass --ip-cidr with the subnet of the network the peers dial each other on (or --pod-ip)".to_owned(),
        ),
        Refusal::NoneOfFamily { want_v6, candidates } => {
            let family = if want_v6 { "ipv6" } else { "ipv4" };
            (
                Id::IpFamily,
                format!("{family} (query {})", query.found()),
                format!("asks for {family}, but the addresses of this host the query lists (or that share a listed subnet) are {}", listing(&candidates)),
                "drop --ip-family, or make the query list that family".to_owned(),
            )
        }
        Refusal::NotListed { answer, local } => (
            Id::Query,
            query.found(),
            format!(
                "lists {}, neither an address of this host ({}) nor a peer in one of their subnets: the peers would dial addresses this node does not have. Under Nomad's bridge networking Consul registers the host's address, which the container does not have",
                ips(&answer),
                listing(&local)
            ),
            "check that the query names this service on the network this container is on (Nomad: use host networking); or pass --ip-cidr or --pod-ip".to_owned(),
        ),
        // Rule 2's and the empty answer are handled by their callers.
        Refusal::EmptyAnswer | Refusal::NoneInCidr { .. } | Refusal::SeveralInCidr { .. } => (
            Id::Query,
            query.found(),
            "lists no address".to_owned(),
            "pass --ip-cidr or --pod-ip".to_owned(),
        ),
    };
    Err(InputError {
        subject: input(id).subject(),
        found: Some(found),
        problem,
        fix,
    }
    .into())
}

/// DNSPoll's query answered only through the search list: it would never dial a node.
fn as_given_only(query: &Sourced<String>, full: &str, fix: &str) -> Error {
    InputError {
        subject: input(Id::Query).subject(),
        found: Some(query.found()),
        problem: format!(
            "has no address as given, and libcluster's DNSPoll looks its query up as given (inet_res:lookup, no search list); only resolv.conf's search list makes it {full}, which lists nodes: DNSPoll would never dial one"
        ),
        fix: format!("pass --query {full} (and the same query: in libcluster's config); {fix}"),
    }
    .into()
}

/// Rule 5's end: nothing listed within `--dns-wait`.
fn empty_answer(query: &Sourced<String>, wait: &Sourced<Duration>) -> Error {
    InputError {
        subject: input(Id::Query).subject(),
        found: Some(query.found()),
        problem: format!(
            "listed no address within --dns-wait {:.1} s (from {}): neither this node nor a peer is listed yet",
            wait.value.as_secs_f64(),
            wait.source
        ),
        fix: "a Docker Swarm task is listed in tasks.<service> only once healthy when its image has a HEALTHCHECK, and a Kubernetes headless Service without publishNotReadyAddresses: true lists a pod only once ready, yet relnode runs before the release starts: give the HEALTHCHECK a start period or set publishNotReadyAddresses, or pass --ip-cidr with the peers' subnet (no lookup); a longer --dns-wait helps only when the listing is late".into(),
    }
    .into()
}

#[cfg(test)]
mod tests;
