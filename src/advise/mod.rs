//! `relnode advise`: the seed article's decision tree ("which strategy?") as a command, and
//! the setup that makes the chosen shape work: libcluster's config, rel/env.sh.eex, the
//! relnode invocation and the Kubernetes objects. It gathers no pod facts.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub mod ecs;

use serde_json::json;

pub mod platforms;

use crate::error::{Result, bad_flag as bad};
use crate::libcluster::erlang;
use crate::libcluster::family::IpFamily;
use crate::libcluster::names::{self, Parts};
use crate::libcluster::{Mode, NameError, Part, Shape, Strategy};

/// The pods' IP family: one, or both (dual stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
    Dual,
}

impl FromStr for Family {
    type Err = ();
    /// `dual`, or an IP family in any of its spellings.
    fn from_str(s: &str) -> Result<Family, ()> {
        if s.eq_ignore_ascii_case("dual") {
            return Ok(Family::Dual);
        }
        Ok(match s.parse::<IpFamily>()? {
            IpFamily::V4 => Family::V4,
            IpFamily::V6 => Family::V6,
        })
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Family::V4 => IpFamily::V4.fmt(f),
            Family::V6 => IpFamily::V6.fmt(f),
            Family::Dual => f.write_str("dual"),
        }
    }
}

/// The validated answers the tree runs on.
#[derive(Clone, Debug)]
pub struct Answers {
    pub service_account: bool,
    pub statefulset: bool,
    pub app: String,
    pub namespace: String,
    pub service: String,
    pub family: Family,
    pub cluster_domain: String,
}

/// The answers as given: [`Given::validated`] checks them into [`Answers`].
#[derive(Clone, Debug)]
pub struct Given {
    pub service_account: bool,
    pub statefulset: bool,
    pub app: String,
    pub namespace: String,
    /// `None`: `<app>-headless`.
    pub service: Option<String>,
    pub family: Family,
    pub cluster_domain: String,
}

/// The longest StatefulSet name whose pods Kubernetes can create. A pod is named
/// `<sts>-<ordinal>`, a DNS label, and the controller labels it `controller-revision-hash:
/// <sts>-<hash>`, the hash being the ControllerRevision's 32-bit FNV hash in decimal,
/// safe-encoded: up to 10 characters (pkg/controller/history/controller_history.go,
/// `ControllerRevisionName`, `HashControllerRevision`). A label value has at most 63
/// characters, so 63 - 1 - 10 = 52; longer, pod creation fails (kubernetes/kubernetes#64023).
/// A 52-character name keeps the pod names (`-<ordinal>`) within 63 too.
pub const MAX_STATEFULSET_NAME: usize = 52;

/// The tree's outcome: libcluster's strategy and relnode's mode, and one sentence per branch.
#[derive(Clone, Debug)]
pub struct Decision {
    pub strategy: Strategy,
    /// relnode's `--mode`; for DNSSRV `dns` is issue 12's dashed-IP SRV target.
    pub mode: Mode,
    pub why: Vec<String>,
    pub notes: Vec<String>,
}

/// The seed article's decision tree, with the branches relnode's facts add (IPv6, a cluster
/// domain that is not `<name>.local`).
pub fn decide(a: &Answers) -> Decision {
    let mut why = Vec::new();
    let mut notes = Vec::new();
    let local = names::cluster_name_for_domain(&a.cluster_domain).is_some();
    let (strategy, mode) = if a.service_account {
        why.push("The pods may run under a service account allowed to list Endpoints, so Cluster.Strategy.Kubernetes asks the API server for the peers.".to_owned());
        if !a.statefulset {
            why.push("A Deployment's pods have no stable hostname, so mode :ip: peers dial <app>@<pod IP>, which needs no DNS at all (mode :dns needs pod A records, which CoreDNS serves only with `pods insecure`, and keeps an IPv6 address's colons).".to_owned());
            (Strategy::Kubernetes, Mode::Ip)
        } else if local {
            why.push(format!("A StatefulSet's pods have stable hostnames under its Service, so mode :hostname: a node keeps its name across restarts and IP changes; libcluster ends names in <kubernetes_cluster_name>.local, so kubernetes_cluster_name is {:?}.", names::cluster_name_for_domain(&a.cluster_domain).unwrap_or_default()));
            (Strategy::Kubernetes, Mode::Hostname)
        } else {
            why.push(format!("Mode :hostname always ends names in <kubernetes_cluster_name>.local, which the cluster domain {} is not, so those names would never resolve: mode :ip, which needs no DNS.", a.cluster_domain));
            (Strategy::Kubernetes, Mode::Ip)
        }
    } else {
        why.push("Without a service account that may list Endpoints, libcluster must find the peers in DNS, through the headless Service.".to_owned());
        if a.statefulset {
            why.push("A StatefulSet's pods have stable hostnames under its Service, so Cluster.Strategy.Kubernetes.DNSSRV: each SRV target is <pod>.<service>.<namespace>.svc.<domain>, and relnode names the node the same.".to_owned());
            (Strategy::DnsSrv, Mode::Hostname)
        } else if a.family == Family::V6 {
            why.push("Cluster.Strategy.Kubernetes.DNS asks for A records only and never sees an IPv6 pod, so Cluster.Strategy.Kubernetes.DNSSRV with relnode's mode dns: CoreDNS names the SRV target of a pod without hostname after its dashed IP, and relnode names the node the same.".to_owned());
            notes.push("The dashed-IP SRV target is CoreDNS's; kube-dns (GKE Standard's default) uses a hash label instead (kubernetes#51326), which no pod can know.".to_owned());
            (Strategy::DnsSrv, Mode::Dns)
        } else {
            why.push("A Deployment's pods have no stable hostname, so Cluster.Strategy.Kubernetes.DNS: it dials <app>@<pod IP> for each A record of the headless Service.".to_owned());
            if a.family == Family::Dual {
                why.push("It asks for A records only, so on dual stack relnode names the node after the pod's IPv4 address (RELNODE_IP_FAMILY=ipv4).".to_owned());
            }
            notes.push(format!("Cluster.Strategy.Kubernetes.DNSSRV also works for a Deployment, dialling the dashed-IP SRV targets ({}@10-42-1-49.{}.{}.svc.{}): `relnode --strategy dnssrv --mode dns`, the only DNS-only shape with FQDN names.", a.app, a.service, a.namespace, a.cluster_domain));
            (Strategy::Dns, Mode::Ip)
        }
    };
    if strategy == Strategy::DnsSrv && a.cluster_domain != "cluster.local" {
        why.push(format!("libcluster's DNSSRV asks for <service>.<namespace>.svc.$CLUSTER_DOMAIN (default cluster.local.), so the container sets CLUSTER_DOMAIN={}.", libcluster_domain(a)));
    }
    if a.family != Family::V4 && strategy == Strategy::Kubernetes {
        notes.push("libcluster's :httpc resolves the API server over IPv4 only: call :httpc.set_options(ipfamily: :inet6fb4) in Application.start/2, before libcluster's supervisor starts.".to_owned());
    }
    if a.family == Family::Dual && strategy == Strategy::Kubernetes {
        notes.push("Endpoints carry only the Service's first IP family: kubernetes.yaml lists IPv4 first and relnode picks the IPv4 address (RELNODE_IP_FAMILY=ipv4).".to_owned());
    }
    if a.family == Family::V6 {
        notes.push("relnode adds -proto_dist inet6_tcp to ELIXIR_ERL_OPTIONS for an IPv6 pod, so distribution listens on IPv6.".to_owned());
    }
    Decision {
        strategy,
        mode,
        why,
        notes,
    }
}

/// `CLUSTER_DOMAIN` for libcluster's DNSSRV.
fn libcluster_domain(a: &Answers) -> String {
    names::cluster_domain_env(&a.cluster_domain)
}

impl Decision {
    fn shape(&self) -> String {
        Shape::new(self.strategy, self.mode)
            .map(|shape| shape.to_string())
            .unwrap_or_else(|| self.strategy.module().to_owned())
    }

    /// One node name of the shape, for the reader, from `libcluster::names`.
    fn example_node(&self, a: &Answers) -> String {
        let ip: IpAddr = if a.family == Family::V6 {
            IpAddr::from([0xfd00, 0x42, 0, 0, 0, 0, 0, 0x31])
        } else {
            IpAddr::from([10, 42, 1, 49])
        };
        self.node_name(a, ip)
            .unwrap_or_else(|err| format!("(cannot be named: {})", err.describe()))
    }

    /// Whether every pod can be named: the name of pod 0 (pods 1 and 2 are as long), with the
    /// longest address of the family. Refused naming the flags the name is made of.
    pub fn check_names(&self, a: &Answers) -> Result<()> {
        let longest: IpAddr = if a.family == Family::V6 {
            IpAddr::from([
                0xfd00, 0xfeed, 0xface, 0xbeef, 0xcafe, 0xf00d, 0xabcd, 0xef01,
            ])
        } else {
            IpAddr::from([255, 255, 255, 255])
        };
        let Err(err) = self.node_name(a, longest) else {
            return Ok(());
        };
        let flag = match &err {
            NameError::Invalid {
                part: Part::Namespace,
                ..
            } => "--namespace",
            NameError::Invalid {
                part: Part::Service,
                ..
            } => "--service",
            NameError::Invalid {
                part: Part::ClusterDomain | Part::ClusterName,
                ..
            } => "--cluster-domain",
            NameError::Invalid { .. } | NameError::Missing(_) => "--app",
            NameError::Name { .. } => "--app, --service, --namespace and --cluster-domain",
        };
        Err(bad(
            flag,
            None,
            format!(
                "cannot name the pods of this shape ({}): {}",
                self.shape(),
                err.describe()
            ),
            "shorten one of them: every node name is made of them all",
        ))
    }

    fn node_name(&self, a: &Answers, ip: IpAddr) -> Result<String, NameError> {
        let hostname = format!("{}-0", a.app);
        let parts = Parts {
            basename: &a.app,
            ip: Some(ip),
            hostname: Some(&hostname),
            service: Some(&a.service),
            namespace: Some(&a.namespace),
            cluster_domain: Some(&a.cluster_domain),
            cluster_name: names::cluster_name_for_domain(&a.cluster_domain),
        };
        Shape::new(self.strategy, self.mode)
            .ok_or(NameError::Missing(Part::Basename))
            .and_then(|shape| names::node_name(shape, &parts))
    }
}

const TEMPLATES: [(&str, &str); 4] = [
    (
        "advice.txt",
        include_str!("../../templates/advise/advice.txt.tera"),
    ),
    (
        "libcluster.exs",
        include_str!("../../templates/advise/libcluster.exs.tera"),
    ),
    (
        "env.sh.eex",
        include_str!("../../templates/advise/env.sh.eex.tera"),
    ),
    (
        "kubernetes.yaml",
        include_str!("../../templates/advise/kubernetes.yaml.tera"),
    ),
];

/// The command line that gives these answers, as advice.txt's first line shows it.
fn command_line(a: &Answers) -> String {
    format!(
        "--service-account {} --workload {} --app {} --namespace {} --service {} --ip-family {} --cluster-domain {}",
        if a.service_account { "yes" } else { "no" },
        if a.statefulset {
            "statefulset"
        } else {
            "deployment"
        },
        a.app,
        a.namespace,
        a.service,
        a.family,
        a.cluster_domain
    )
}

/// Every file's text, rendered from `templates/advise/`.
pub fn render(a: &Answers, d: &Decision) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut ctx = tera::Context::new();
    ctx.insert("args", &command_line(a));
    // The image tag the init-container example names: this release.
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert("app", &a.app);
    ctx.insert("namespace", &a.namespace);
    ctx.insert("service", &a.service);
    ctx.insert("cluster_domain", &a.cluster_domain);
    ctx.insert(
        "cluster_name",
        names::cluster_name_for_domain(&a.cluster_domain).unwrap_or_default(),
    );
    ctx.insert("statefulset", &a.statefulset);
    ctx.insert("service_account", &a.service_account);
    ctx.insert("dual", &(a.family == Family::Dual));
    ctx.insert("ipv6", &(a.family == Family::V6));
    ctx.insert("strategy", &d.strategy.to_string());
    ctx.insert("mode", &d.mode.to_string());
    ctx.insert("module", d.strategy.module());
    ctx.insert("shape", &d.shape());
    ctx.insert("example_node", &d.example_node(a));
    ctx.insert("why", &d.why);
    ctx.insert("notes", &d.notes);
    // The names with the Service in them: a StatefulSet pod's hosts file has it too, but a
    // Deployment pod's (DNSSRV mode dns) has not, so relnode is told.
    ctx.insert(
        "service_name_env",
        &(d.mode == Mode::Hostname || d.strategy == Strategy::DnsSrv),
    );
    let domain = if d.strategy == Strategy::DnsSrv && a.cluster_domain != "cluster.local" {
        libcluster_domain(a)
    } else {
        String::new()
    };
    ctx.insert("libcluster_domain", &domain);
    let mut tera = tera::Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("yaml", yaml_string);
    let mut files = Vec::new();
    for (name, source) in TEMPLATES {
        tera.add_raw_template(name, source)
            .and_then(|()| tera.render(name, &ctx))
            .map(|mut text| {
                // Tera drops a template's final newline.
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                files.push((name, text));
            })
            .map_err(|err| {
                anyhow::anyhow!("the built-in template {name} does not render: {err}")
            })?;
    }
    Ok(files)
}

/// `{{ value | yaml }}`: a double-quoted YAML scalar. Unquoted, a value from input may be no
/// string at all: `no`, `on`, `true` are YAML 1.1 booleans, `null` is null, `123` and `0x1f`
/// are integers, and kubectl reads them so (sigs.k8s.io/yaml). A JSON string is a valid YAML
/// double-quoted scalar, escapes included.
fn yaml_string(value: &str, _: tera::Kwargs, _: &tera::State) -> String {
    serde_json::Value::from(value).to_string()
}

fn label(flag: &str, value: &str, what: &str) -> Result<()> {
    match erlang::label_problem(value) {
        Some(problem) => Err(bad(
            flag,
            Some(value),
            problem,
            &format!("give {what} as a DNS-1123 label (lowercase letters, digits, '-')"),
        )),
        None => Ok(()),
    }
}

impl Given {
    /// The answers as given, checked: every name a DNS label (a StatefulSet's at most
    /// [`MAX_STATEFULSET_NAME`]), the domain a DNS name (a trailing root dot dropped).
    pub fn validated(self) -> Result<Answers> {
        label("--app", &self.app, "the release name")?;
        if self.statefulset && self.app.len() > MAX_STATEFULSET_NAME {
            return Err(bad(
                "--app",
                Some(&self.app),
                format!(
                    "is {} characters long; it names the StatefulSet, whose pods Kubernetes labels controller-revision-hash=<name>-<hash of up to 10 characters>, and a label value has at most 63 (kubernetes/kubernetes#64023), so a StatefulSet's name has at most {MAX_STATEFULSET_NAME}",
                    self.app.len()
                ),
                &format!("give a release name of at most {MAX_STATEFULSET_NAME} characters"),
            ));
        }
        label("--namespace", &self.namespace, "the namespace")?;
        let service = match self.service {
            Some(service) => {
                label("--service", &service, "the Service name")?;
                service
            }
            None => {
                let service = default_service(&self.app);
                if let Some(problem) = erlang::label_problem(&service) {
                    return Err(bad(
                        "--app",
                        Some(&self.app),
                        format!(
                            "gives the headless Service its name, {service:?}, which {problem}"
                        ),
                        &format!(
                            "give a release name of at most {} characters, or name the Service with --service",
                            erlang::MAX_LABEL - default_service("").len()
                        ),
                    ));
                }
                service
            }
        };
        let domain = erlang::strip_root_dot(&self.cluster_domain);
        erlang::domain(domain, Part::ClusterDomain).map_err(|err| {
            bad(
                "--cluster-domain",
                Some(&self.cluster_domain),
                err.describe(),
                "give the cluster's DNS domain, e.g. cluster.local",
            )
        })?;
        Ok(Answers {
            service_account: self.service_account,
            statefulset: self.statefulset,
            app: self.app,
            namespace: self.namespace,
            service,
            family: self.family,
            cluster_domain: domain.to_owned(),
        })
    }
}

/// The headless Service when none is given: `<app>-headless`.
fn default_service(app: &str) -> String {
    format!("{app}-headless")
}

/// `--service-account`: `yes`/`y` or `no`/`n`, any case.
pub fn yes_no(answer: &str) -> Option<bool> {
    match answer.to_ascii_lowercase().as_str() {
        "yes" | "y" => Some(true),
        "no" | "n" => Some(false),
        _ => None,
    }
}

/// `--workload`: whether it names a StatefulSet (`statefulset`/`sts`) or a Deployment
/// (`deployment`/`deploy`), any case.
pub fn is_statefulset(workload: &str) -> Option<bool> {
    match workload.to_ascii_lowercase().as_str() {
        "statefulset" | "sts" => Some(true),
        "deployment" | "deploy" => Some(false),
        _ => None,
    }
}

/// advise's answer as one JSON object: the decision and every file.
pub fn to_json(a: &Answers, d: &Decision, files: &[(&str, String)]) -> String {
    let doc = json!({
        "strategy": d.strategy.to_string(),
        "mode": d.mode.to_string(),
        "module": d.strategy.module(),
        "shape": d.shape(),
        "example_node": d.example_node(a),
        "why": d.why,
        "notes": d.notes,
    });
    document(doc, files)
}

/// An advise document as pretty JSON with a final newline: the object `doc` with every file
/// (name: text) under "files". One home for the shape `advise`'s three JSON answers share.
fn document(mut doc: serde_json::Value, files: &[(&str, String)]) -> String {
    let files: serde_json::Map<_, _> = files
        .iter()
        .map(|(n, t)| (n.to_string(), json!(t)))
        .collect();
    if let Some(fields) = doc.as_object_mut() {
        fields.insert("files".to_owned(), files.into());
    }
    pretty(&doc)
}

/// `doc` as pretty JSON with a final newline.
fn pretty(doc: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The advice, then every file under a `==> name <==` header.
pub fn to_text(files: &[(&str, String)]) -> String {
    let mut text = String::new();
    for (i, (name, body)) in files.iter().enumerate() {
        if i > 0 {
            text += &format!("\n==> {name} <==\n");
        }
        text += body;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(sa: bool, sts: bool, family: Family, domain: &str) -> Answers {
        Answers {
            service_account: sa,
            statefulset: sts,
            app: "shop".into(),
            namespace: "default".into(),
            service: "shop-headless".into(),
            family,
            cluster_domain: domain.into(),
        }
    }

    /// Every leaf of the tree, with one sentence per branch taken.
    #[test]
    fn every_branch_of_the_tree() {
        use Family::{Dual, V4, V6};
        let cases = [
            (
                true,
                false,
                V4,
                "cluster.local",
                Strategy::Kubernetes,
                Mode::Ip,
                2,
            ),
            (
                true,
                true,
                V4,
                "cluster.local",
                Strategy::Kubernetes,
                Mode::Hostname,
                2,
            ),
            (
                true,
                true,
                V4,
                "k8s.example.org",
                Strategy::Kubernetes,
                Mode::Ip,
                2,
            ),
            (
                false,
                false,
                V4,
                "cluster.local",
                Strategy::Dns,
                Mode::Ip,
                2,
            ),
            (
                false,
                false,
                Dual,
                "cluster.local",
                Strategy::Dns,
                Mode::Ip,
                3,
            ),
            (
                false,
                false,
                V6,
                "cluster.local",
                Strategy::DnsSrv,
                Mode::Dns,
                2,
            ),
            (
                false,
                true,
                V4,
                "cluster.local",
                Strategy::DnsSrv,
                Mode::Hostname,
                2,
            ),
            (
                false,
                true,
                V6,
                "k8s.example.org",
                Strategy::DnsSrv,
                Mode::Hostname,
                3,
            ),
        ];
        for (sa, sts, family, domain, strategy, mode, sentences) in cases {
            let a = answers(sa, sts, family, domain);
            let d = decide(&a);
            assert_eq!((d.strategy, d.mode), (strategy, mode), "{a:?}");
            assert_eq!(d.why.len(), sentences, "{a:?}: {:?}", d.why);
            let files = render(&a, &d).expect("renders");
            assert_eq!(files.len(), TEMPLATES.len());
        }
    }

    #[test]
    fn example_names_come_from_libclusters_formulas() {
        let a = answers(false, true, Family::V4, "cluster.local");
        assert_eq!(
            decide(&a).example_node(&a),
            "shop@shop-0.shop-headless.default.svc.cluster.local"
        );
        let a = answers(false, false, Family::V6, "cluster.local");
        assert_eq!(
            decide(&a).example_node(&a),
            "shop@fd00-42--31.shop-headless.default.svc.cluster.local"
        );
    }

    /// `--ip-family`: dual, or the one spelling set of an IP family; printed back canonically.
    #[test]
    fn families_parse_with_the_ip_family_spellings() {
        for (text, want) in [
            ("ipv4", Family::V4),
            ("4", Family::V4),
            ("IPv6", Family::V6),
            ("6", Family::V6),
            ("dual", Family::Dual),
            ("Dual", Family::Dual),
        ] {
            assert_eq!(text.parse(), Ok(want), "{text}");
        }
        assert!("ipv5".parse::<Family>().is_err());
        let printed: Vec<String> = [Family::V4, Family::V6, Family::Dual]
            .iter()
            .map(Family::to_string)
            .collect();
        assert_eq!(printed, ["ipv4", "ipv6", "dual"]);
    }
}
