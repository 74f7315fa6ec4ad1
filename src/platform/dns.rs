//! Platform dns: any setup whose nodes find each other by one DNS name — Docker Swarm
//! (`tasks.<service>`), Compose (`<service>`), Nomad with Consul DNS (`<svc>.service.consul`),
//! AWS Cloud Map. Never detected (nothing in the environment says which); `--query` names the
//! DNS name, and the node is named after the address it lists (`discovered`).

use super::discovered::{self, Discovery};
use super::{Entry, Platform};
use crate::error::Error;
use crate::facts::{Common, Found};
use crate::inputs::Sourced;
use crate::libcluster::Strategy;

pub const ENTRY: Entry = Entry {
    name: "dns",
    aliases: &[],
    about: Some(
        "dns: Swarm, Compose, Nomad/Consul or any setup whose nodes share one DNS name: the address --query lists for this host",
    ),
    detection: None,
    platform: &Dns,
};

pub struct Dns;

impl Platform for Dns {
    fn discovers(&self) -> bool {
        true
    }

    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        Some(discovered::default_strategy(
            "platform dns: dns_cluster, as Phoenix generates",
        ))
    }

    fn gather(&self, common: &mut Common) -> Result<Found, Error> {
        discovered::gather(
            common,
            Discovery {
                query: None,
                no_query: (
                    "is not set; platform dns names the node after the address this DNS name lists for it",
                    "pass --query with the name that lists every node: tasks.<service> on Docker Swarm, <service> on Compose, <svc>.service.consul with Consul DNS; or name the address with --ip-cidr or --pod-ip",
                ),
                basename: None,
                search_list_only_fix: "or use --strategy dnscluster or dns, which apply the search list",
            },
        )
    }
}
