//! Platform Fly.io: the node name from a Machine's own facts, following Fly's Elixir guide
//! (`RELEASE_NODE=${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}`, distribution over
//! IPv6, DNSCluster querying `<app>.internal`).
//!
//! The node's address is the Machine's `FLY_PRIVATE_IP` (its 6PN address), read by
//! [`Fly::gather`] and checked by the pure [`node`]. A missing or empty fact is an error, never
//! a default: an unset `FLY_APP_NAME` or `FLY_PRIVATE_IP` is how apps end up named `@127.0.0.1`
//! or `app@` today (supavisor#97, flyctl#2995).

use std::ffi::OsString;
use std::net::{IpAddr, Ipv6Addr};

use super::{Detection, Entry, Platform};
use crate::error::{InputError, shown};
use crate::facts::{Common, Found, Only, libcluster_mode};
use crate::inputs::{Id, InputValue, Lookup, Source, Sourced};
use crate::libcluster::{Shape, Strategy, erlang};

pub const APP_NAME: &str = "FLY_APP_NAME";
pub const IMAGE_REF: &str = "FLY_IMAGE_REF";
pub const PRIVATE_IP: &str = "FLY_PRIVATE_IP";

const DETECTED_WHEN: &str = "FLY_APP_NAME or FLY_PRIVATE_IP is set";

pub const ENTRY: Entry = Entry {
    name: "fly",
    aliases: &["fly.io"],
    about: Some("Fly.io: the name from FLY_APP_NAME, FLY_IMAGE_REF, FLY_PRIVATE_IP"),
    detection: Some(Detection {
        when: DETECTED_WHEN,
        explain: text!["detected: ", DETECTED_WHEN],
    }),
    platform: &Fly,
};

/// A Machine is reached at its 6PN address, and only mode ip names it so.
const ONLY_IP: Only = Only {
    allows: Shape::uses_ip_literal,
    problem: "cannot work on Fly.io: a Machine is reached at its FLY_PRIVATE_IP, and only mode ip names it so",
    fix: "drop --mode (Fly names are <basename>@<FLY_PRIVATE_IP>)",
};

pub struct Fly;

impl Platform for Fly {
    fn detected(&self, lookup: &Lookup) -> bool {
        let present = |var| lookup.var_os(var).is_some();
        detected(present(APP_NAME), present(PRIVATE_IP))
    }

    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        // Fly's Elixir guide clusters with dns_cluster.
        Some(Sourced::new(
            Strategy::DnsCluster,
            Source::Derived("platform fly: dns_cluster, as Fly's Elixir guide does"),
        ))
    }

    /// The Machine's variables first: on Fly they are the facts, whatever the shape.
    fn gather(&self, common: &mut Common) -> crate::error::Result<Found> {
        let machine = machine(common.lookup, &common.platform().source)?;
        common.shape(Some(&ONLY_IP), libcluster_mode)?;
        Ok(Found {
            basename: Some(machine.basename),
            ip: Some(machine.ip),
            // Always the 6PN address, so always IPv6 distribution (remote and rpc too).
            ipv6: true,
            query: Some(Sourced::new(
                machine.query,
                Source::Derived("platform fly: <app>.internal"),
            )),
            ..Found::default()
        })
    }
}

/// How the part before '@' is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basename {
    /// `<app>-<image ref suffix>` (Fly's guide): Machines of one deploy share it, so a
    /// dns_cluster node never joins an older deploy's nodes.
    Deploy,
    /// `<app>`: every deploy joins one cluster (e.g. for a rolling hand-over of state).
    App,
}

pub const BASENAME_VALUES: &str = "deploy, app";

impl InputValue for Basename {
    fn parse_input(text: &str) -> Result<Basename, (String, String)> {
        text.parse().map_err(|()| {
            (
                "is not a basename scheme".into(),
                format!("use one of {BASENAME_VALUES}"),
            )
        })
    }
}

impl std::str::FromStr for Basename {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "deploy" => Ok(Basename::Deploy),
            "app" => Ok(Basename::App),
            _ => Err(()),
        }
    }
}

/// The Machine's variables as found (`None`: unset).
#[derive(Clone, Copy, Debug, Default)]
pub struct Vars<'a> {
    pub app_name: Option<&'a str>,
    pub image_ref: Option<&'a str>,
    pub private_ip: Option<&'a str>,
}

/// What Fly gives the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlyNode {
    pub basename: String,
    pub ip: Ipv6Addr,
    /// DNSCluster's default query: every Machine of the app.
    pub query: String,
}

/// Which variable is wrong and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlyError {
    pub var: &'static str,
    pub found: Option<String>,
    pub problem: String,
    pub fix: String,
}

/// Fly sets both on every Machine; one of them present (even empty) means we run there, so a
/// missing other one fails instead of silently naming the node the Kubernetes way.
pub fn detected(app_name_present: bool, private_ip_present: bool) -> bool {
    app_name_present || private_ip_present
}

fn required<'a>(var: &'static str, value: Option<&'a str>) -> Result<&'a str, FlyError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(FlyError {
            var,
            found: value.map(|_| String::new()),
            problem: if value.is_some() {
                "is empty".into()
            } else {
                "is not set".into()
            },
            fix: format!("run on a Fly Machine (Fly sets {var}), or set it yourself"),
        }),
    }
}

/// The node's basename, IP and DNSCluster query.
pub fn node(vars: Vars, basename: Basename) -> Result<FlyNode, FlyError> {
    let app = required(APP_NAME, vars.app_name)?;
    // The app name is a DNS label (`<app>.internal`) and so also an Erlang basename.
    if let Some(problem) = erlang::label_problem(app) {
        return Err(FlyError {
            var: APP_NAME,
            found: Some(app.to_owned()),
            problem,
            fix: "Fly app names are lowercase letters, digits and '-'; check the variable".into(),
        });
    }
    let raw_ip = required(PRIVATE_IP, vars.private_ip)?;
    let ip = private_ip(raw_ip)?;
    let basename = match basename {
        Basename::App => app.to_owned(),
        Basename::Deploy => {
            let image_ref = required(IMAGE_REF, vars.image_ref).map_err(|mut e| {
                e.fix
                    .push_str(", or name nodes <app>@<ip> with --fly-basename app");
                e
            })?;
            format!("{app}-{}", deploy_suffix(image_ref)?)
        }
    };
    Ok(FlyNode {
        basename,
        ip,
        query: format!("{app}.internal"),
    })
}

/// `registry.fly.io/app:deployment-01H9RK9EYO9PGNBYAKGKT4AU4E` -> `01H9RK9EYO9PGNBYAKGKT4AU4E`,
/// the guide's `${FLY_IMAGE_REF##*-}`; refused when that is no usable basename part (a ref
/// without '-' would make sh's expansion return the whole ref).
fn deploy_suffix(image_ref: &str) -> Result<&str, FlyError> {
    let bad = |problem: &str| {
        FlyError {
        var: IMAGE_REF,
        found: Some(image_ref.to_owned()),
        problem: problem.to_owned(),
        fix: "deploy with `fly deploy` (refs end in deployment-<id>), or name nodes <app>@<ip> with --fly-basename app".into(),
    }
    };
    let (_, suffix) = image_ref
        .rsplit_once('-')
        .ok_or_else(|| bad("has no '-', so no deployment id after its last '-'"))?;
    if suffix.is_empty() {
        return Err(bad("ends in '-', so the deployment id is empty"));
    }
    if !suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad(
            "has characters other than letters and digits after its last '-'; the basename would not be a valid Erlang node name",
        ));
    }
    Ok(suffix)
}

fn private_ip(raw: &str) -> Result<Ipv6Addr, FlyError> {
    let bad = |problem: String| FlyError {
        var: PRIVATE_IP,
        found: Some(raw.to_owned()),
        problem,
        fix: "FLY_PRIVATE_IP must be the Machine's 6PN address (fdaa:...); do not override it"
            .into(),
    };
    let ip: IpAddr = raw
        .parse()
        .map_err(|_| bad("is not an IP address".into()))?;
    let IpAddr::V6(v6) = ip else {
        return Err(bad(
            "is IPv4; Fly's private network (6PN) is IPv6 only".into()
        ));
    };
    // Loopback, unspecified, link-local (fe80::/10), IPv4-mapped, multicast: the same rule as
    // the address a Kubernetes pod is named by.
    if super::address::never_dialled(IpAddr::V6(v6)) {
        let what = if v6.to_ipv4_mapped().is_some() {
            "an IPv4-mapped address"
        } else if (v6.segments()[0] & 0xffc0) == 0xfe80 {
            "a link-local address (valid on one link only)"
        } else {
            "an address"
        };
        return Err(bad(format!(
            "is {v6}, {what} no other Machine can dial (the node would be unreachable)"
        )));
    }
    Ok(v6)
}

/// On Fly.io: the basename and IP, with where they came from, and DNSCluster's query.
#[derive(Debug)]
struct FlyFacts {
    pub basename: Sourced<String>,
    pub ip: Sourced<IpAddr>,
    pub query: String,
}

/// Reads the Machine's variables; every failure names the variable and how Fly was chosen.
fn machine(lookup: &Lookup, chosen: &Source) -> Result<FlyFacts, InputError> {
    let why = format!("platform fly, {chosen}");
    let scheme = lookup
        .value::<Basename>(Id::FlyBasename)?
        .map_or(Basename::Deploy, |given| given.value);
    let text = |var: &'static str| -> Result<Option<String>, InputError> {
        lookup
            .var_os(var)
            .map(OsString::into_string)
            .transpose()
            .map_err(|bytes| InputError {
                subject: format!("{var} ({why})"),
                found: Some(shown(&bytes)),
                problem: "is not valid UTF-8".into(),
                fix: format!("{var} is set by Fly; do not override it"),
            })
    };
    let (app, image, ip) = (text(APP_NAME)?, text(IMAGE_REF)?, text(PRIVATE_IP)?);
    let vars = Vars {
        app_name: app.as_deref(),
        image_ref: image.as_deref(),
        private_ip: ip.as_deref(),
    };
    let fly = node(vars, scheme).map_err(|e| InputError {
        subject: format!("{} ({why})", e.var),
        found: e.found.map(|f| shown(&f)),
        problem: e.problem,
        fix: format!(
            "{}; relnode never falls back to a loopback or empty host (outside Fly: --platform kubernetes or RELNODE_PLATFORM=kubernetes)",
            e.fix
        ),
    })?;
    let basename_source = match scheme {
        Basename::Deploy => Source::Derived("FLY_APP_NAME-<FLY_IMAGE_REF after its last '-'>"),
        Basename::App => Source::Env(APP_NAME),
    };
    Ok(FlyFacts {
        basename: Sourced::new(fly.basename, basename_source),
        ip: Sourced::new(IpAddr::V6(fly.ip), Source::Env(PRIVATE_IP)),
        query: fly.query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = "registry.fly.io/shop:deployment-01H9RK9EYO9PGNBYAKGKT4AU4E";

    fn vars<'a>(app: Option<&'a str>, image: Option<&'a str>, ip: Option<&'a str>) -> Vars<'a> {
        Vars {
            app_name: app,
            image_ref: image,
            private_ip: ip,
        }
    }

    #[test]
    fn names_follow_flys_elixir_guide() {
        let node = node(
            vars(
                Some("shop"),
                Some(REF),
                Some("fdaa:0:36c9:a7b:198:c4b1:73c6:2"),
            ),
            Basename::Deploy,
        )
        .unwrap();
        // What the guide's sh line gives for the same variables.
        assert_eq!(node.basename, "shop-01H9RK9EYO9PGNBYAKGKT4AU4E");
        assert_eq!(node.ip.to_string(), "fdaa:0:36c9:a7b:198:c4b1:73c6:2");
        assert_eq!(node.query, "shop.internal");
        let plain = node_plain();
        assert_eq!(plain.basename, "shop");
    }

    fn node_plain() -> FlyNode {
        // --fly-basename app needs no image ref at all
        node(vars(Some("shop"), None, Some("fdaa::2")), Basename::App).unwrap()
    }

    #[test]
    fn the_ip_is_written_as_erlang_writes_it() {
        // inet:ntoa compresses and lowercases, as Rust's Display does
        let node = node(
            vars(Some("shop"), Some(REF), Some("FDAA:0:0:0:0:0:0:2")),
            Basename::Deploy,
        )
        .unwrap();
        assert_eq!(node.ip.to_string(), "fdaa::2");
    }

    #[test]
    fn a_missing_or_empty_fact_fails_closed() {
        let cases = [
            (
                vars(None, Some(REF), Some("fdaa::2")),
                APP_NAME,
                "is not set",
            ),
            (
                vars(Some(""), Some(REF), Some("fdaa::2")),
                APP_NAME,
                "is empty",
            ),
            (
                vars(Some("shop"), Some(REF), None),
                PRIVATE_IP,
                "is not set",
            ),
            (
                vars(Some("shop"), Some(REF), Some("")),
                PRIVATE_IP,
                "is empty",
            ),
            (
                vars(Some("shop"), None, Some("fdaa::2")),
                IMAGE_REF,
                "is not set",
            ),
            (
                vars(Some("shop"), Some(""), Some("fdaa::2")),
                IMAGE_REF,
                "is empty",
            ),
        ];
        for (vars, var, problem) in cases {
            let err = node(vars, Basename::Deploy).unwrap_err();
            assert_eq!((err.var, err.problem.as_str()), (var, problem), "{vars:?}");
        }
    }

    #[test]
    fn never_an_address_no_peer_can_dial() {
        for ip in [
            "127.0.0.1",
            "::1",
            "::",
            "10.0.0.1",
            "fdaa::2%eth0",
            "fe80::1",
            "::ffff:10.0.0.1",
            "ff02::1",
            "localhost",
        ] {
            let err = node(vars(Some("shop"), Some(REF), Some(ip)), Basename::Deploy).unwrap_err();
            assert_eq!(err.var, PRIVATE_IP, "{ip}");
        }
    }

    #[test]
    fn image_refs_without_a_usable_deployment_id_are_refused() {
        for image in [
            "registry.fly.io/shop@sha256:abcdef",
            "registry.fly.io/shop:deployment-",
            "registry.fly.io/shop:v1.2-rc.1",
        ] {
            let err = node(
                vars(Some("shop"), Some(image), Some("fdaa::2")),
                Basename::Deploy,
            )
            .unwrap_err();
            assert_eq!(err.var, IMAGE_REF, "{image}");
            assert!(err.fix.contains("--fly-basename app"), "{}", err.fix);
        }
    }

    #[test]
    fn app_names_must_be_dns_labels() {
        for app in ["Shop", "shop_1", "-shop", "shop.internal"] {
            let err = node(
                vars(Some(app), Some(REF), Some("fdaa::2")),
                Basename::Deploy,
            )
            .unwrap_err();
            assert_eq!(err.var, APP_NAME, "{app}");
        }
    }

    #[test]
    fn detection_needs_only_one_variable_so_the_other_cannot_go_missing_silently() {
        assert!(detected(true, false));
        assert!(detected(false, true));
        assert!(!detected(false, false));
    }

    /// Detected from one variable; the name's address is FLY_PRIVATE_IP, the strategy Fly's
    /// guide's, and a shape that does not name a Machine by its IP is refused, saying why.
    #[test]
    fn the_fly_row_names_a_machine_by_its_6pn_address() {
        use crate::inputs::PodArgs;
        use crate::inputs::tests::env;
        let gather = |args: &[(Id, &str)]| {
            let args = PodArgs::with(args);
            let vars = env(&[
                (APP_NAME, "shop"),
                (PRIVATE_IP, "fdaa::2"),
                (IMAGE_REF, REF),
            ]);
            crate::platform::gather(
                &Lookup {
                    args: &args,
                    env: &vars,
                },
                None,
            )
        };
        let facts = gather(&[]).expect("valid");
        let ip = facts.ip.as_ref().expect("ip");
        assert_eq!(
            (ip.value.to_string(), &ip.source),
            ("fdaa::2".into(), &Source::Env(PRIVATE_IP))
        );
        assert_eq!(facts.strategy.value, Strategy::DnsCluster);
        assert!(facts.ipv6);
        let err = gather(&[(Id::Strategy, "kubernetes"), (Id::Mode, "dns")]).unwrap_err();
        assert!(err.to_string().contains("cannot work on Fly.io"), "{err}");
    }
}
