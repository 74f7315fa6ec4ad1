//! `relnode advise --platform`: the platforms off Kubernetes, where the nodes find each other by
//! one DNS name. One row of [`PLATFORMS`] each: the decision (libcluster's DNSPoll or
//! dns_cluster, and why), the query, the relnode flags and the platform's notes; [`render`]
//! makes the same files of every row (advice.txt, the topology, rel/env.sh.eex, the
//! Dockerfile's ENTRYPOINT). A platform is one more row.

use std::net::IpAddr;

use serde_json::json;

use crate::error::{Result, bad_flag as bad};
use crate::libcluster::erlang;
use crate::libcluster::names;
use crate::libcluster::{Part, Strategy};

/// What advise says for one platform. In the texts `{app}` is the release name and
/// `{service}` the platform's service name.
pub struct Platform {
    /// `--platform`'s value.
    pub name: &'static str,
    pub title: &'static str,
    /// relnode's `--platform` there.
    pub relnode: &'static str,
    /// DNSPoll or dns_cluster.
    pub strategy: Strategy,
    /// The query as relnode's `--query` (`None`: relnode reads it from the platform's env).
    pub query: Option<&'static str>,
    /// The query in the release's config: an Elixir expression.
    pub config_query: &'static str,
    /// More relnode flags, after the query.
    pub flags: &'static [&'static str],
    /// An address a node gets there, for the example name.
    pub example_ip: IpAddr,
    pub why: &'static [&'static str],
    pub notes: &'static [&'static str],
}

/// Every platform advise knows besides Kubernetes, in `--platform`'s help order.
pub const PLATFORMS: &[Platform] = &[FLY, SWARM, COMPOSE, RAILWAY, RENDER, NOMAD];

const FLY: Platform = Platform {
    name: "fly",
    title: "Fly.io",
    relnode: "fly",
    strategy: Strategy::DnsCluster,
    query: None,
    config_query: "System.get_env(\"DNS_CLUSTER_QUERY\")",
    flags: &[],
    example_ip: IpAddr::V6(std::net::Ipv6Addr::new(
        0xfdaa, 0, 0x1, 0xa7b, 0x2, 0, 0, 0x2,
    )),
    why: &[
        "Fly's Elixir guide clusters with dns_cluster, which Phoenix generates: it dials <basename>@<address> for every AAAA record of <app>.internal, one per Machine.",
        "relnode's fly platform names the node <FLY_APP_NAME>-<image ref>@<FLY_PRIVATE_IP> as the guide does, and hands DNS_CLUSTER_QUERY=<app>.internal to the release; it needs no flag (Fly is detected by FLY_APP_NAME).",
    ],
    notes: &[
        "Distribution runs over Fly's IPv6 private network: relnode adds -proto_dist inet6_tcp to ELIXIR_ERL_OPTIONS.",
    ],
};

const SWARM: Platform = Platform {
    name: "swarm",
    title: "Docker Swarm",
    relnode: "dns",
    strategy: Strategy::DnsPoll,
    query: Some("tasks.{service}"),
    config_query: "\"tasks.{service}\"",
    flags: &["--ip-cidr", "10.0.9.0/24"],
    example_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 9, 7)),
    why: &[
        "tasks.<service> lists every task's address on the overlay network, and libcluster's Cluster.Strategy.DNSPoll dials <node_basename>@<each address>, polling it (the name is asked as given; Docker's DNS answers it so).",
        "A task also has an ingress address and a docker_gwbridge address, which holds the default route: relnode names the node after the overlay address (the one in --ip-cidr), never after `hostname -i` or the default route's.",
    ],
    notes: &[
        "--ip-cidr must equal the overlay's subnet, fixed under networks.<name>.ipam.config in the stack file (10.0.9.0/24 here; examples/swarm/stack.yml): relnode then names the node with no lookup.",
        "HEALTHCHECK: with one in the image Swarm lists a task in tasks.<service> only once it is healthy, so a starting node is not in the answer yet: --ip-cidr does not wait for it; keep the check independent of the cluster (e.g. bin/{app} pid) and give it a start_period.",
    ],
};

const COMPOSE: Platform = Platform {
    name: "compose",
    title: "Docker Compose",
    relnode: "dns",
    strategy: Strategy::DnsPoll,
    query: Some("{service}"),
    config_query: "\"{service}\"",
    flags: &[],
    example_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 2, 7)),
    why: &[
        "Compose's embedded DNS (127.0.0.11) answers the bare service name with every replica's address, as given, so libcluster's Cluster.Strategy.DNSPoll with query: \"<service>\" dials <node_basename>@<each address>.",
        "relnode names the node after the address that answer lists for this container.",
    ],
    notes: &[
        "A container attached to several networks has an address on each: add --ip-cidr with the subnet fixed under networks.<name>.ipam (examples/compose/compose.yaml), which also skips the lookup.",
        "Compose's DNS does not wait for a HEALTHCHECK (Swarm's does).",
    ],
};

const RAILWAY: Platform = Platform {
    name: "railway",
    title: "Railway",
    relnode: "railway",
    strategy: Strategy::DnsPoll,
    query: None,
    config_query: "System.fetch_env!(\"RAILWAY_PRIVATE_DOMAIN\")",
    flags: &[],
    example_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 250, 12, 7)),
    why: &[
        "RAILWAY_PRIVATE_DOMAIN (<service>.railway.internal) lists every replica on the private network, and libcluster's Cluster.Strategy.DNSPoll asks it for A and AAAA records, as given, dialling <node_basename>@<each address>.",
        "relnode detects Railway by RAILWAY_PRIVATE_DOMAIN, takes it as the query and names the node after the address it lists for this replica.",
    ],
    notes: &[
        "Environments created before 2025-10-16 resolve the private domain to IPv6 only: relnode then names the node after its IPv6 address and adds -proto_dist inet6_tcp; the release must listen on IPv6 for its own HTTP too (bind to ::). Newer environments list both families and relnode chooses IPv4 (every replica alike).",
    ],
};

const RENDER: Platform = Platform {
    name: "render",
    title: "Render",
    relnode: "render",
    strategy: Strategy::DnsCluster,
    query: None,
    config_query: "System.get_env(\"DNS_CLUSTER_QUERY\")",
    flags: &[],
    example_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 214, 3, 7)),
    why: &[
        "RENDER_DISCOVERY_SERVICE (<service>-discovery) lists every running instance, but it is a single label that resolves only through resolv.conf's search list: dns_cluster (:inet_res.getbyname) applies the search list, as Render's guide (Kubernetes.DNS) does, so it finds the instances; libcluster's DNSPoll asks the name as given and would find none.",
        "relnode detects Render by RENDER=true, takes RENDER_DISCOVERY_SERVICE as the query and RENDER_SERVICE_NAME as the basename, as Render's guide names nodes, and hands DNS_CLUSTER_QUERY to the release.",
    ],
    notes: &[
        "For libcluster's DNSPoll instead, its query must be the full name the search list makes of RENDER_DISCOVERY_SERVICE: `relnode check --strategy dnspoll` on an instance prints it; give it to DNSPoll's query: and to relnode --query.",
    ],
};

const NOMAD: Platform = Platform {
    name: "nomad",
    title: "Nomad with Consul DNS",
    relnode: "dns",
    strategy: Strategy::DnsPoll,
    query: Some("{service}.service.consul"),
    config_query: "\"{service}.service.consul\"",
    flags: &[],
    example_ip: IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 4, 21)),
    why: &[
        "Consul DNS answers <service>.service.consul with the address of every healthy instance, and libcluster's Cluster.Strategy.DNSPoll asks it as given, dialling <node_basename>@<each address>.",
        "relnode names the node after the address that answer lists for this task.",
    ],
    notes: &[
        "Use host networking (network { mode = \"host\" }): in bridge mode Consul registers the host's address, which the task's namespace does not have, so no node is reachable under the name peers dial (relnode refuses to start and says so).",
        "Consul lists an instance only once its health checks pass, like Swarm's HEALTHCHECK: pass --ip-cidr where the subnet is known, or a longer --dns-wait.",
    ],
};

/// The row called `name` (`--platform`'s value); Kubernetes and ECS have their own advice.
pub fn find(name: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().find(|p| p.name == name)
}

/// The answers a platform's advice is made of, checked.
pub struct Answers {
    pub platform: &'static Platform,
    /// The release name: the node basename and bin/<app>.
    pub app: String,
    /// The platform's service (Swarm, Compose, Consul): `--service`, else the release name.
    pub service: String,
    pub ipv6: bool,
}

impl Answers {
    /// `app` an Erlang basename, and the query relnode would be given a DNS name.
    pub fn validated(
        platform: &'static Platform,
        app: String,
        service: Option<String>,
        ipv6: bool,
    ) -> Result<Answers> {
        erlang::check_basename(&app).map_err(|err| {
            bad(
                "--app",
                Some(&app),
                err.describe(),
                "give the release name (letters, digits, '_' and '-')",
            )
        })?;
        let answers = Answers {
            platform,
            service: service.unwrap_or_else(|| app.clone()),
            app,
            ipv6,
        };
        if let Some(query) = answers.query() {
            erlang::domain(&query, Part::ClusterDomain).map_err(|err| {
                bad(
                    "--service",
                    Some(&answers.service),
                    format!("makes the query {query:?}, which {}", err.describe()),
                    "give the platform's service name (letters, digits, '-')",
                )
            })?;
        }
        Ok(answers)
    }

    fn fill(&self, text: &str) -> String {
        text.replace("{app}", &self.app)
            .replace("{service}", &self.service)
    }

    /// relnode's `--query`, when relnode is given one.
    fn query(&self) -> Option<String> {
        self.platform.query.map(|q| self.fill(q))
    }

    /// relnode's flags after `exec --output /run/relnode/env.sh`.
    fn flags(&self) -> Vec<String> {
        let p = self.platform;
        let mut flags = Vec::new();
        // Fly, Railway and Render are detected; dns is never.
        if p.relnode == "dns" {
            flags.extend(["--platform".to_owned(), p.relnode.to_owned()]);
        }
        if p.strategy == Strategy::DnsPoll {
            flags.extend(["--strategy".to_owned(), p.strategy.to_string()]);
        }
        if let Some(query) = self.query() {
            flags.extend(["--query".to_owned(), query]);
        }
        // DNSPoll's node_basename is in the config: the node's own must be the same.
        if p.strategy == Strategy::DnsPoll {
            flags.extend(["--basename".to_owned(), self.app.clone()]);
        }
        flags.extend(p.flags.iter().map(|f| f.to_string()));
        if self.ipv6 && p.relnode != "fly" {
            flags.extend(["--ip-family".to_owned(), "ipv6".to_owned()]);
        }
        flags
    }

    fn example_node(&self) -> String {
        let basename = match self.platform.name {
            "fly" => format!("{}-01hxyz", self.app),
            _ => self.app.clone(),
        };
        names::ip_node(&basename, self.platform.example_ip)
    }
}

/// An Elixir atom literal for the release's OTP app.
fn atom(app: &str) -> String {
    let plain = app.starts_with(|c: char| c.is_ascii_lowercase())
        && app.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(":{app}")
    } else {
        format!(":\"{app}\"")
    }
}

fn quoted(words: &[String]) -> String {
    let all: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    all.join(", ")
}

/// The release's clustering config: DNSPoll's topology, or dns_cluster's query and child.
fn topology(a: &Answers) -> (&'static str, String) {
    let p = a.platform;
    let query = a.fill(p.config_query);
    let head = format!(
        "# Clustering for {} on {}: {}. Put it in config/runtime.exs.\n# The names it dials are the ones relnode gives the nodes: {}\nimport Config\n\n",
        a.app,
        p.title,
        if p.strategy == Strategy::DnsPoll {
            p.strategy.module()
        } else {
            "phoenixframework/dns_cluster"
        },
        a.example_node()
    );
    if p.strategy == Strategy::DnsPoll {
        let body = format!(
            "config :libcluster,\n  topologies: [\n    {}: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [\n        polling_interval: 5_000,\n        query: {query},\n        node_basename: \"{}\"\n      ]\n    ]\n  ]\n",
            p.name, a.app
        );
        ("libcluster.exs", head + &body)
    } else {
        let app = atom(&a.app);
        let body = format!(
            "# relnode hands the query on to the release as DNS_CLUSTER_QUERY (Phoenix generates this line).\nconfig {app}, :dns_cluster_query, {query}\n\n# And among the children in lib/<app>/application.ex (Phoenix generates it too):\n#   {{DNSCluster, query: Application.get_env({app}, :dns_cluster_query) || :ignore}},\n"
        );
        ("dns_cluster.exs", head + &body)
    }
}

const ENV_SH: &str =
    "# rel/env.sh.eex of {app}'s release: every bin/{app} command (start, remote, rpc,
# eval, stop) takes the node name relnode wrote when the container started.
# `if`, not `[ -f F ] && . F`: bin/{app} runs under `set -e`, and that line would
# abort it wherever the file is missing (e.g. on a laptop).
if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi
";

/// The Dockerfile's lines that start the release through relnode.
fn dockerfile(a: &Answers) -> String {
    let mut entry: Vec<String> = [
        "/usr/local/bin/relnode",
        "exec",
        "--output",
        "/run/relnode/env.sh",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    entry.extend(a.flags());
    entry.push("--".into());
    let cmd = vec![format!("/app/bin/{}", a.app), "start".into()];
    format!(
        "# The release image's last lines (examples/Dockerfile.app): relnode names the node, writes\n# /run/relnode/env.sh (a writable tmpfs for a non-root user) and execs the release.\nCOPY --from=ghcr.io/example/relnode:{} /relnode /usr/local/bin/relnode\nENTRYPOINT [{}]\nCMD [{}]\n",
        env!("CARGO_PKG_VERSION"),
        quoted(&entry),
        quoted(&cmd)
    )
}

/// Every file of the advice.
pub fn render(a: &Answers) -> Vec<(&'static str, String)> {
    let (topology_name, topology_text) = topology(a);
    let mut flags = a.flags();
    flags.extend(["--".into(), format!("/app/bin/{}", a.app), "start".into()]);
    let p = a.platform;
    let mut advice = format!(
        "relnode advise --platform {} --app {}{}\n\nStrategy: {}\nrelnode:  relnode exec {}\n          (node names like {})\n\nWhy:\n",
        p.name,
        a.app,
        if p.query.is_some_and(|q| q.contains("{service}")) {
            format!(" --service {}", a.service)
        } else {
            String::new()
        },
        if p.strategy == Strategy::DnsPoll {
            "Cluster.Strategy.DNSPoll (libcluster)"
        } else {
            "phoenixframework/dns_cluster"
        },
        flags.join(" "),
        a.example_node(),
    );
    for sentence in p.why {
        advice += &format!("- {}\n", a.fill(sentence));
    }
    advice += &format!(
        "\nFiles:\n- {topology_name:<16} {}\n- env.sh.eex       rel/env.sh.eex, so bin/{} remote/rpc get the same name\n- Dockerfile       the ENTRYPOINT that runs relnode before the release\n\nCheck a running node from inside: relnode check{}\n",
        if p.strategy == Strategy::DnsPoll {
            "libcluster's topology (config/runtime.exs)"
        } else {
            "dns_cluster's query (config/runtime.exs)"
        },
        a.app,
        a.flags().iter().fold(String::new(), |acc, f| acc + " " + f)
    );
    advice += "\nNotes:\n";
    for note in p.notes {
        advice += &format!("- {}\n", a.fill(note));
    }
    vec![
        ("advice.txt", advice),
        (topology_name, topology_text),
        ("env.sh.eex", a.fill(ENV_SH)),
        ("Dockerfile", dockerfile(a)),
    ]
}

/// The advice as one JSON object.
pub fn to_json(a: &Answers, files: &[(&str, String)]) -> String {
    let p = a.platform;
    let doc = json!({
        "platform": p.name,
        "strategy": p.strategy.to_string(),
        "mode": "ip",
        "module": p.strategy.module(),
        "query": a.query().unwrap_or_else(|| a.fill(p.config_query)),
        "relnode": a.flags(),
        "example_node": a.example_node(),
        "why": p.why.iter().map(|s| a.fill(s)).collect::<Vec<_>>(),
        "notes": p.notes.iter().map(|s| a.fill(s)).collect::<Vec<_>>(),
    });
    super::document(doc, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(platform: &str, app: &str) -> Answers {
        let platform = find(platform).expect("a platform row");
        Answers::validated(platform, app.into(), None, false).unwrap()
    }

    #[test]
    fn every_row_is_found_by_name_and_no_other() {
        for p in PLATFORMS {
            assert_eq!(find(p.name).map(|f| f.name), Some(p.name));
        }
        assert!(find("kubernetes").is_none() && find("ecs").is_none());
    }

    #[test]
    fn swarm_polls_tasks_of_the_service_inside_the_overlay() {
        let a = answers("swarm", "shop");
        assert_eq!(
            a.flags(),
            [
                "--platform",
                "dns",
                "--strategy",
                "dnspoll",
                "--query",
                "tasks.shop",
                "--basename",
                "shop",
                "--ip-cidr",
                "10.0.9.0/24"
            ]
        );
        let files = render(&a);
        let topology = &files[1].1;
        assert!(topology.contains("query: \"tasks.shop\""), "{topology}");
        assert!(topology.contains("node_basename: \"shop\""), "{topology}");
    }

    #[test]
    fn dns_cluster_config_names_the_otp_app() {
        assert_eq!(atom("my_app"), ":my_app");
        assert_eq!(atom("my-app"), ":\"my-app\"");
        let files = render(&answers("render", "my_app"));
        assert_eq!(files[1].0, "dns_cluster.exs");
        assert!(
            files[1].1.contains(
                "config :my_app, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")"
            )
        );
    }

    #[test]
    fn a_service_that_makes_no_dns_name_is_refused() {
        let swarm = find("swarm").expect("swarm");
        let err = Answers::validated(swarm, "app".into(), Some("a b".into()), false)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("--service"), "{err}");
    }
}
