//! Platform Railway: every service has `<service>.railway.internal` on its private network,
//! listing the service's replicas; `RAILWAY_PRIVATE_DOMAIN` holds that name
//! (docs.railway.com/reference/variables, docs.railway.com/private-networking). Environments
//! made before 2025-10-16 resolve it to IPv6 only, newer ones to IPv4 and IPv6: the node is
//! named after the address it lists (`discovered`), IPv4 when both are.

use super::discovered::{self, Discovery};
use super::{Detection, Entry, Platform};
use crate::error::{Error, InputError, shown};
use crate::facts::{Common, Found};
use crate::inputs::{Lookup, Source, Sourced};
use crate::libcluster::Strategy;

pub const PRIVATE_DOMAIN: &str = "RAILWAY_PRIVATE_DOMAIN";

const DETECTED_WHEN: &str = "RAILWAY_PRIVATE_DOMAIN is set";

pub const ENTRY: Entry = Entry {
    name: "railway",
    aliases: &[],
    about: Some("Railway: the address RAILWAY_PRIVATE_DOMAIN lists for this replica"),
    detection: Some(Detection {
        when: DETECTED_WHEN,
        explain: text!["detected: ", DETECTED_WHEN],
    }),
    platform: &Railway,
};

pub struct Railway;

impl Platform for Railway {
    /// Present, even empty: an empty one then fails, rather than naming the node another way.
    fn detected(&self, lookup: &Lookup) -> bool {
        lookup.var_os(PRIVATE_DOMAIN).is_some()
    }

    fn discovers(&self) -> bool {
        true
    }

    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        Some(discovered::default_strategy(
            "platform railway: dns_cluster, as Phoenix generates",
        ))
    }

    fn gather(&self, common: &mut Common) -> Result<Found, Error> {
        let domain = private_domain(common.lookup)?;
        discovered::gather(
            common,
            Discovery {
                query: Some(Sourced::new(domain, Source::Env(PRIVATE_DOMAIN))),
                no_query: ("is not set", "set RAILWAY_PRIVATE_DOMAIN"),
                basename: None,
                search_list_only_fix: "RAILWAY_PRIVATE_DOMAIN is the service's full private domain, <service>.railway.internal",
            },
        )
    }
}

/// `RAILWAY_PRIVATE_DOMAIN`: Railway sets it on every service; empty or not text fails closed.
fn private_domain(lookup: &Lookup) -> Result<String, InputError> {
    let raw = lookup.var_os(PRIVATE_DOMAIN).unwrap_or_default();
    let problem = match raw.to_str() {
        Some("") => "is empty",
        Some(text) => return Ok(text.to_owned()),
        None => "is not valid UTF-8",
    };
    Err(InputError {
        subject: PRIVATE_DOMAIN.into(),
        found: Some(shown(&raw)),
        problem: format!("{problem}; on Railway it is the service's private DNS name, which lists its replicas"),
        fix: "run on Railway (it sets RAILWAY_PRIVATE_DOMAIN to <service>.railway.internal), or pass --platform for where the node does run".into(),
    })
}
