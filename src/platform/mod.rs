//! Where the node runs. Each platform knows how to tell it runs there and where the facts of a
//! name come from; [`PLATFORMS`] lists them, and `--platform`'s values, its `--help` text and
//! the detection order all come from that one table. A new platform is a file here and its row.

use std::ffi::OsStr;

use crate::error::{Error, InputError};
use crate::facts::{Common, Found, PodFacts};
use crate::inputs::{Id, Lookup, Source, Sourced, input};
use crate::libcluster::Strategy;

/// A `&'static str` composed at compile time: `text!["a", B]` from parts, or
/// `text!(fn write)` from a `const fn(&mut Text)`. The input table's `--platform` row is made
/// this way from [`PLATFORMS`], so `--help` cannot drift from what is accepted.
macro_rules! text {
    (fn $write:path) => {{
        const LEN: usize = {
            let mut none = [0u8; 0];
            let mut text = $crate::platform::Text::new(&mut none);
            $write(&mut text);
            text.len()
        };
        const BYTES: [u8; LEN] = {
            let mut bytes = [0u8; LEN];
            let mut text = $crate::platform::Text::new(&mut bytes);
            $write(&mut text);
            bytes
        };
        match ::std::str::from_utf8(&BYTES) {
            Ok(text) => text,
            Err(_) => panic!("platform text is not UTF-8"),
        }
    }};
    ($($part:expr),+ $(,)?) => {{
        const fn parts(text: &mut $crate::platform::Text) {
            $(text.push($part);)+
        }
        text!(fn parts)
    }};
}

pub mod address;
pub mod asker;
pub mod discovered;
pub mod dns;
pub mod ecs;
pub mod fly;
pub mod kubelet;
pub mod kubernetes;
pub mod railway;
pub mod render;

/// Every platform, in `--help` order. The first is the default, used when no other is
/// detected; the others are detected in this order (two detected at once is an error).
pub const PLATFORMS: &[Entry] = &[
    kubernetes::ENTRY,
    fly::ENTRY,
    ecs::ENTRY,
    railway::ENTRY,
    render::ENTRY,
    dns::ENTRY,
];

/// A platform: how to tell the node runs there, and where the facts of its name come from.
pub trait Platform: Sync {
    /// Whether the environment shows the node runs here (only asked of a row with a
    /// [`Detection`]).
    fn detected(&self, _lookup: &Lookup) -> bool {
        false
    }

    /// Whether the node is named after the address a DNS answer lists for it (`discovered`).
    #[cfg_attr(not(feature = "check"), allow(dead_code))]
    fn discovers(&self) -> bool {
        false
    }

    /// The strategy when none is given, with why (for `--explain`).
    fn default_strategy(&self) -> Option<Sourced<Strategy>> {
        None
    }

    /// The facts the shape's name needs, each with where it came from (what `--explain`
    /// shows), and the warnings they raise. `common` reads the strategy and mode (with this
    /// platform's rules) and the basename when asked, so the platform decides which of its
    /// own inputs are checked first.
    /// Could-not-run failures (a resolver that does not answer) are possible only off
    /// Kubernetes.
    fn gather(&self, common: &mut Common) -> Result<Found, Error>;
}

/// A row of [`PLATFORMS`].
pub struct Entry {
    /// `--platform`'s value, and the platform `--explain` shows.
    pub name: &'static str,
    /// Other spellings `--platform` takes (any case, as the name).
    pub aliases: &'static [&'static str],
    /// For `--help`: where it takes the name from.
    pub about: Option<&'static str>,
    /// `None`: chosen only by `--platform` (or as the default).
    pub detection: Option<Detection>,
    pub platform: &'static dyn Platform,
}

/// When a platform is detected, in words.
pub struct Detection {
    /// For `--help`: `fly when <this>`.
    pub when: &'static str,
    /// For `--explain`: `detected: <when>`.
    pub explain: &'static str,
}

/// `kubernetes or fly`.
pub const NAMES: &str = text!(fn names);
/// The `--platform` row's help.
pub const HELP: &str = text!(fn help);
/// The `--platform` row's "otherwise": the detection order.
pub const DETECTION: &str = text!(fn detection);

const fn names(text: &mut Text) {
    let mut i = 0;
    while i < PLATFORMS.len() {
        if i > 0 {
            text.push(if i + 1 == PLATFORMS.len() {
                " or "
            } else {
                ", "
            });
        }
        text.push(PLATFORMS[i].name);
        i += 1;
    }
}

const fn help(text: &mut Text) {
    text.push("Where the node runs: ");
    names(text);
    let mut opened = false;
    let mut i = 0;
    while i < PLATFORMS.len() {
        if let Some(about) = PLATFORMS[i].about {
            text.push(if opened { "; " } else { " (" });
            text.push(about);
            opened = true;
        }
        i += 1;
    }
    if opened {
        text.push(")");
    }
}

const fn detection(text: &mut Text) {
    let mut i = 0;
    while i < PLATFORMS.len() {
        if let Some(detection) = &PLATFORMS[i].detection {
            text.push(PLATFORMS[i].name);
            text.push(" when ");
            text.push(detection.when);
            text.push(", ");
        }
        i += 1;
    }
    text.push("else ");
    text.push(PLATFORMS[0].name);
}

/// The bytes of a text being composed at compile time: every byte pushed is counted, those
/// that fit are kept, so one pass measures and a second fills.
pub struct Text<'b> {
    bytes: &'b mut [u8],
    len: usize,
}

impl<'b> Text<'b> {
    pub const fn new(bytes: &'b mut [u8]) -> Self {
        Text { bytes, len: 0 }
    }

    pub const fn push(&mut self, part: &str) {
        let part = part.as_bytes();
        let mut i = 0;
        while i < part.len() {
            if self.len < self.bytes.len() {
                self.bytes[self.len] = part[i];
            }
            self.len += 1;
            i += 1;
        }
    }

    pub const fn len(&self) -> usize {
        self.len
    }
}

/// Whether the platform called `name` names the node after a DNS answer (dns, railway,
/// render): `check` then shows a miss beside this host's addresses.
#[cfg(feature = "check")]
pub fn discovers(name: &str) -> bool {
    PLATFORMS
        .iter()
        .any(|entry| entry.name == name && entry.platform.discovers())
}

/// The platform as given (`--platform`), else the first one detected, else the default.
pub fn choose(lookup: &Lookup) -> Result<Sourced<&'static Entry>, InputError> {
    if let Some(given) = lookup.text(Id::Platform)? {
        let wanted = given.value.to_ascii_lowercase();
        let known = PLATFORMS
            .iter()
            .find(|entry| entry.name == wanted || entry.aliases.contains(&wanted.as_str()));
        return match known {
            Some(entry) => Ok(Sourced::new(entry, given.source)),
            None => Err(InputError {
                subject: input(Id::Platform).subject(),
                found: Some(given.found()),
                problem: "is not a platform relnode knows".into(),
                fix: format!("use {NAMES}"),
            }),
        };
    }
    let detected: Vec<(&'static Entry, &'static Detection)> = PLATFORMS
        .iter()
        .filter_map(|entry| {
            let detection = entry.detection.as_ref()?;
            entry
                .platform
                .detected(lookup)
                .then_some((entry, detection))
        })
        .collect();
    match detected.as_slice() {
        [] => Ok(Sourced::new(&PLATFORMS[0], Source::Default)),
        [(entry, detection)] => Ok(Sourced::new(entry, Source::Derived(detection.explain))),
        several => {
            let each: Vec<String> = several
                .iter()
                .map(|(entry, detection)| format!("{} ({})", entry.name, detection.when))
                .collect();
            Err(InputError {
                subject: input(Id::Platform).subject(),
                found: None,
                problem: format!(
                    "is not given, and several platforms are detected: {}",
                    each.join(" and ")
                ),
                fix: format!(
                    "pass --platform (or set RELNODE_PLATFORM) to the one the node runs on: {NAMES}"
                ),
            })
        }
    }
}

/// Gathers the pod's facts: the target, then the platform, then what it and the inputs every
/// platform shares give the name. `wrapped_command` is what `exec` will run: a mix release
/// script names the node's basename.
pub fn gather(lookup: &Lookup, wrapped_command: Option<&OsStr>) -> Result<PodFacts, Error> {
    let target = Common::target(lookup)?;
    let chosen = choose(lookup)?;
    let platform = chosen.value.platform;
    let mut common = Common::new(
        lookup,
        wrapped_command,
        target,
        chosen.map(|entry| entry.name),
        platform.default_strategy(),
    );
    let found = platform.gather(&mut common)?;
    Ok(common.finish(found)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::PodArgs;
    use crate::inputs::tests::env;

    /// The texts are composed from the table (0.2's hand-written ones were its first rows).
    #[test]
    fn help_is_made_from_the_table() {
        assert!(
            HELP.starts_with(
                "Where the node runs: kubernetes, fly, ecs, railway, render or dns (Fly.io: the name from FLY_APP_NAME, FLY_IMAGE_REF, FLY_PRIVATE_IP; AWS ECS/Fargate: the task IP from the task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4), awsvpc mode; Railway: "
            ),
            "{HELP}"
        );
        assert_eq!(
            DETECTION,
            "fly when FLY_APP_NAME or FLY_PRIVATE_IP is set, ecs when ECS_CONTAINER_METADATA_URI_V4 is set, railway when RAILWAY_PRIVATE_DOMAIN is set, render when RENDER=true, else kubernetes"
        );
        assert_eq!(NAMES, "kubernetes, fly, ecs, railway, render or dns");
        let help = input(Id::Platform).help_line_full(HELP, Some(DETECTION));
        assert!(help.starts_with(HELP) && help.ends_with(&format!("[default: {DETECTION}]")));
        assert!(
            PLATFORMS[0].detection.is_none(),
            "the default is never detected"
        );
    }

    fn chosen(args: &[(Id, &str)], vars: &[(&str, &str)]) -> Result<(String, Source), String> {
        let (args, vars) = (PodArgs::with(args), env(vars));
        choose(&Lookup {
            args: &args,
            env: &vars,
        })
        .map(|c| (c.value.name.to_owned(), c.source))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn names_aliases_and_detection() {
        for (given, name) in [
            ("K8s", "kubernetes"),
            ("FLY.IO", "fly"),
            ("fly", "fly"),
            ("Fargate", "ecs"),
        ] {
            let found = chosen(&[(Id::Platform, given)], &[("FLY_APP_NAME", "a")]);
            assert_eq!(found.map(|f| f.0), Ok(name.to_owned()), "{given}");
        }
        let err = chosen(&[(Id::Platform, "heroku")], &[]).unwrap_err();
        assert!(
            err.contains("use kubernetes, fly, ecs, railway, render or dns"),
            "{err}"
        );
        assert_eq!(
            chosen(&[], &[("FLY_PRIVATE_IP", "")]),
            Ok((
                "fly".to_owned(),
                Source::Derived("detected: FLY_APP_NAME or FLY_PRIVATE_IP is set")
            ))
        );
        assert_eq!(
            chosen(&[], &[("ECS_CONTAINER_METADATA_URI_V4", "")]),
            Ok((
                "ecs".to_owned(),
                Source::Derived("detected: ECS_CONTAINER_METADATA_URI_V4 is set")
            ))
        );
        assert_eq!(
            chosen(&[], &[("KUBERNETES_SERVICE_HOST", "10.0.0.1")]),
            Ok(("kubernetes".to_owned(), Source::Default))
        );
    }

    #[test]
    fn railway_and_render_are_detected_dns_never() {
        let name = |vars: &[(&str, &str)]| chosen(&[], vars).map(|c| c.0);
        assert_eq!(
            name(&[("RAILWAY_PRIVATE_DOMAIN", "app.railway.internal")]),
            Ok("railway".into())
        );
        // Present but empty is still Railway: it then fails closed, not as Kubernetes.
        assert_eq!(
            name(&[("RAILWAY_PRIVATE_DOMAIN", "")]),
            Ok("railway".into())
        );
        assert_eq!(name(&[("RENDER", "true")]), Ok("render".into()));
        assert_eq!(name(&[("RENDER", "false")]), Ok("kubernetes".into()));
        assert_eq!(
            name(&[("SWARM_TASK", "1"), ("DNS_CLUSTER_QUERY", "tasks.app")]),
            Ok("kubernetes".into())
        );
        assert_eq!(
            chosen(&[(Id::Platform, "dns")], &[]).map(|c| c.0),
            Ok("dns".into())
        );
    }

    #[test]
    fn two_platforms_detected_is_bad_input_naming_both() {
        let err = chosen(&[], &[("FLY_APP_NAME", "a"), ("RENDER", "true")]).unwrap_err();
        assert!(
            err.contains("fly (FLY_APP_NAME or FLY_PRIVATE_IP is set) and render (RENDER=true)")
                && err.contains("pass --platform"),
            "{err}"
        );
        // --platform settles it.
        assert_eq!(
            chosen(
                &[(Id::Platform, "render")],
                &[("FLY_APP_NAME", "a"), ("RENDER", "true")]
            )
            .map(|c| c.0),
            Ok("render".into())
        );
    }
}
