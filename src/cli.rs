//! The command line, turned once into `Options`.
//!
//! Env vars are listed in each flag's help but read by `facts`, which also knows the second
//! and third places to look (e.g. `POD_IP` after `MY_POD_IP`) and remembers where each value
//! came from. No value is ever shown in `--help`, so a cookie path or IP never leaks there.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::options::{Command, Format, Inputs, Options};

/// `0.1.0 (v0.1.0-3-gabc1234)` when built from a git checkout, else the crate version.
pub const VERSION: &str = match option_env!("RELNODE_GIT_DESCRIBE") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

const ABOUT: &str =
    "Gives an Erlang/Elixir release the exact node name libcluster will dial in Kubernetes";

const LONG_ABOUT: &str = "\
Gives an Erlang/Elixir release the exact node name libcluster will dial in Kubernetes.

Names, by libcluster strategy (--strategy) and mode (--mode):
  kubernetes ip (default)  myapp@10.42.1.49
  kubernetes dns           myapp@10-42-1-49.<ns>.pod.<cluster_name>.local
  kubernetes hostname      myapp@<hostname>.<service>.<ns>.svc.<cluster_name>.local
  dns (ip)                 myapp@10.42.1.49
  dnssrv (hostname)        myapp@<hostname>.<service>.<ns>.svc.<cluster domain>

Every input is a flag, then env vars (an empty one counts as unset), then files:
the service-account namespace file, /etc/resolv.conf (the cluster domain is X in the
search entry <ns>.svc.X), /etc/hosts (the Service of a StatefulSet pod), the kernel hostname.
Bad input exits 2 and writes nothing; `exec` exits 127/126 when the command cannot run.";

#[derive(Parser, Debug)]
#[command(name = "relnode", version = VERSION, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    command: CliCommand,
    // Built once and offered to every subcommand (`global`), rather than flattened into
    // each: building clap's argument table is most of relnode's start-up.
    #[command(flatten)]
    inputs: InputArgs,
}

#[derive(Subcommand, Debug)]
enum CliCommand {
    /// Print the variables (RELEASE_DISTRIBUTION, RELEASE_NODE, ...) for eval or a file
    Env {
        /// sh: `export KEY='value'` lines for eval or `.`; json: one object; dotenv: KEY=value
        #[arg(long, value_enum, default_value_t = CliFormat::Sh)]
        format: CliFormat,
    },
    /// Write the env file a release sources (atomically; 0644, or 0600 with a cookie)
    Render {
        /// The file to write; parent directories are created
        #[arg(long, short, value_name = "PATH")]
        output: PathBuf,
        /// A Tera template to use instead of the built-in one (see the README)
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
    },
    /// Set the variables and exec the release: `relnode exec -- /app/bin/myapp start`
    Exec {
        /// Also write the env file here, for `bin/myapp remote` and `rpc` run later
        #[arg(long, short, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Stay as PID 1: run CMD as a child, forward signals to it, reap zombies (no tini needed) [env: RELNODE_INIT]
        #[arg(long)]
        init: bool,
        /// With --init: give CMD its own process group and signal the whole group [env: RELNODE_INIT_PROCESS_GROUP]
        #[arg(long)]
        process_group: bool,
        /// The command and its arguments, passed verbatim (no shell)
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<OsString>,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CliFormat {
    Sh,
    Json,
    Dotenv,
}

#[derive(Args, Debug)]
struct InputArgs {
    /// Print each fact, its value and its source on stderr
    #[arg(long, short = 'v', visible_alias = "verbose", global = true)]
    explain: bool,
    /// libcluster strategy: kubernetes, dns or dnssrv [env: RELNODE_STRATEGY] [default: kubernetes]
    #[arg(long, global = true, value_name = "STRATEGY", help_heading = "Naming")]
    strategy: Option<String>,
    /// libcluster mode: ip, dns or hostname [env: RELNODE_MODE] [default: ip; dnssrv: hostname]
    #[arg(long, global = true, value_name = "MODE", help_heading = "Naming")]
    mode: Option<String>,
    /// The part before '@' (kubernetes_node_basename / application_name) [env: RELNODE_BASENAME, RELEASE_NAME]
    #[arg(long, global = true, value_name = "NAME", help_heading = "Naming")]
    basename: Option<String>,
    /// libcluster's kubernetes_cluster_name, for kubernetes dns/hostname [env: RELNODE_CLUSTER_NAME] [default: cluster domain minus .local]
    #[arg(long, global = true, value_name = "NAME", help_heading = "Naming")]
    cluster_name: Option<String>,
    /// The pod's primary IP (status.podIP) [env: MY_POD_IP, POD_IP]
    #[arg(long, global = true, value_name = "IP", help_heading = "Pod facts")]
    pod_ip: Option<String>,
    /// All pod IPs, comma-separated (status.podIPs) [env: MY_POD_IPS]
    #[arg(long, global = true, value_name = "IP,IP", help_heading = "Pod facts")]
    pod_ips: Option<String>,
    /// Pick the pod IP of this family on a dual-stack pod: ipv4 or ipv6 [env: RELNODE_IP_FAMILY]
    #[arg(long, global = true, value_name = "FAMILY", help_heading = "Pod facts")]
    ip_family: Option<String>,
    /// The pod's namespace (metadata.namespace) [env: MY_POD_NAMESPACE, POD_NAMESPACE]
    #[arg(long, global = true, value_name = "NS", help_heading = "Pod facts")]
    namespace: Option<String>,
    /// The cluster's DNS domain [env: CLUSTER_DOMAIN] [default: from resolv.conf, else cluster.local]
    #[arg(long, global = true, value_name = "DOMAIN", help_heading = "Pod facts")]
    cluster_domain: Option<String>,
    /// The pod's hostname [env: RELNODE_HOSTNAME] [default: the kernel hostname's first label]
    #[arg(long, global = true, value_name = "HOST", help_heading = "Pod facts")]
    hostname: Option<String>,
    /// The headless Service (pod subdomain) [env: RELNODE_SERVICE] [default: from the hosts file]
    #[arg(
        long,
        global = true,
        value_name = "SERVICE",
        help_heading = "Pod facts"
    )]
    service: Option<String>,
    /// A file holding the Erlang cookie, e.g. a mounted Secret [env: RELNODE_COOKIE_FILE]
    #[arg(long, global = true, value_name = "FILE", help_heading = "Pod facts")]
    cookie_file: Option<String>,
    /// The directory holding the service-account `namespace` file [env: RELNODE_SERVICE_ACCOUNT_DIR] [default: /var/run/secrets/kubernetes.io/serviceaccount]
    #[arg(long, global = true, value_name = "DIR", help_heading = "Files read")]
    service_account_dir: Option<String>,
    /// The resolver config whose search list gives the cluster domain [env: RELNODE_RESOLV_CONF] [default: /etc/resolv.conf]
    #[arg(long, global = true, value_name = "FILE", help_heading = "Files read")]
    resolv_conf: Option<String>,
    /// The hosts file whose FQDN line gives the Service [env: RELNODE_HOSTS_FILE] [default: /etc/hosts]
    #[arg(long, global = true, value_name = "FILE", help_heading = "Files read")]
    hosts_file: Option<String>,
}

impl InputArgs {
    fn into_inputs(self, wrapped_command: Option<OsString>) -> (Inputs, bool) {
        let inputs = Inputs {
            strategy: self.strategy,
            mode: self.mode,
            basename: self.basename,
            pod_ip: self.pod_ip,
            pod_ips: self.pod_ips,
            ip_family: self.ip_family,
            namespace: self.namespace,
            service_account_dir: self.service_account_dir,
            cluster_domain: self.cluster_domain,
            resolv_conf: self.resolv_conf,
            cluster_name: self.cluster_name,
            hostname: self.hostname,
            service: self.service,
            hosts_file: self.hosts_file,
            cookie_file: self.cookie_file,
            wrapped_command,
        };
        (inputs, self.explain)
    }
}

/// What `main` does: run relnode, or print something generated from this definition.
pub enum Parsed {
    Run(Box<Options>),
    Completions(clap_complete::Shell),
    Man,
}

pub fn parse() -> Parsed {
    let Cli { command, inputs } = Cli::parse();
    let (command, wrapped) = match command {
        CliCommand::Env { format } => {
            let format = match format {
                CliFormat::Sh => Format::Sh,
                CliFormat::Json => Format::Json,
                CliFormat::Dotenv => Format::Dotenv,
            };
            (Command::Env { format }, None)
        }
        CliCommand::Render { output, template } => (Command::Render { output, template }, None),
        CliCommand::Exec {
            output,
            init,
            process_group,
            command,
        } => {
            let wrapped = command.first().cloned();
            (
                Command::Exec {
                    output,
                    argv: command,
                    init,
                    process_group,
                },
                wrapped,
            )
        }
        CliCommand::Completions { shell } => return Parsed::Completions(shell),
        CliCommand::Man => return Parsed::Man,
    };
    let (inputs, explain) = inputs.into_inputs(wrapped);
    Parsed::Run(Box::new(Options {
        command,
        inputs,
        explain,
    }))
}

pub fn print_completions(shell: clap_complete::Shell) {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "relnode",
        &mut std::io::stdout(),
    );
}

pub fn print_man() -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ALL_INPUTS;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The env vars `facts` reads are the ones `--help` names, for every input.
    #[test]
    fn help_names_every_env_var_facts_reads() {
        let help = Cli::command().render_long_help().to_string();
        for input in ALL_INPUTS {
            let line = help
                .lines()
                .skip_while(|l| !l.trim_start().starts_with(input.flag))
                .take(3)
                .collect::<String>();
            let expected = format!("[env: {}]", input.env.join(", "));
            assert!(
                line.contains(&expected),
                "{} help lacks {expected}: {line}",
                input.flag
            );
        }
    }
}
