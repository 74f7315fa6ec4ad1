//! Platform Render: `RENDER` is always `true` there; `RENDER_DISCOVERY_SERVICE`
//! (`<RENDER_SERVICE_NAME>-discovery`) is "the Render DNS name used to discover all running
//! instances of a scaled service" (render.com/docs/environment-variables). It is a single
//! label, resolved through the search list, as Render's Elixir guide does with Kubernetes.DNS
//! (`application_name: RENDER_SERVICE_NAME`, so nodes are `<service name>@<ip>`).

use super::discovered::{self, Discovery};
use super::{Detection, Entry, Platform};
use crate::error::{Error, InputError, shown};
use crate::facts::{Common, Found};
use crate::inputs::{Lookup, Source, Sourced};
use crate::libcluster::Strategy;

pub const RENDER: &str = "RENDER";
pub const DISCOVERY_SERVICE: &str = "RENDER_DISCOVERY_SERVICE";
pub const SERVICE_NAME: &str = "RENDER_SERVICE_NAME";

const DETECTED_WHEN: &str = "RENDER=true";

pub const ENTRY: Entry = Entry {
    name: "render",
    aliases: &["render.com"],
    about: Some(
        "Render: <RENDER_SERVICE_NAME>@<the address RENDER_DISCOVERY_SERVICE lists for this instance>",
    ),
    detection: Some(Detection {
        when: DETECTED_WHEN,
        explain: text!["detected: ", DETECTED_WHEN],
    }),
    platform: &Render,
};

pub struct Render;

impl Platform for Render {
    fn detected(&self, lookup: &Lookup) -> bool {
        lookup.var_os(RENDER).is_some_and(|v| v == "true")
    }

    fn discovers(&self) -> bool {
        true
    }

    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        Some(discovered::default_strategy(
            "platform render: dns_cluster, as Phoenix generates",
        ))
    }

    fn gather(&self, common: &mut Common) -> Result<Found, Error> {
        let lookup = common.lookup;
        let query = var(lookup, DISCOVERY_SERVICE)?;
        let basename = var(lookup, SERVICE_NAME)?;
        discovered::gather(
            common,
            Discovery {
                query: query.map(|q| Sourced::new(q, Source::Env(DISCOVERY_SERVICE))),
                no_query: (
                    "is not set, and neither is RENDER_DISCOVERY_SERVICE, though RENDER=true says this is Render",
                    "Render sets RENDER_DISCOVERY_SERVICE on services that can scale (web and private services); pass --query with the name that lists every instance, or --ip-cidr",
                ),
                basename: basename.map(|b| Sourced::new(b, Source::Env(SERVICE_NAME))),
                search_list_only_fix: "or use --strategy dnscluster or dns (search list) with Render's single label, as Render's guide does",
            },
        )
    }
}

/// A Render variable: unset or empty is `None`; not text fails closed.
fn var(lookup: &Lookup, name: &'static str) -> Result<Option<String>, InputError> {
    match lookup.var_os(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => value.into_string().map(Some).map_err(|bytes| InputError {
            subject: name.into(),
            found: Some(shown(&bytes)),
            problem: "is not valid UTF-8".into(),
            fix: format!("Render sets {name} itself; do not override it"),
        }),
    }
}
