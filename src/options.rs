//! The plain options relnode runs with, made once from the command line (see `cli`).

use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug)]
pub struct Options {
    pub command: Command,
    pub inputs: Inputs,
    /// Print each fact, its value and its source on stderr.
    pub explain: bool,
}

#[derive(Debug)]
pub enum Command {
    Env {
        format: Format,
    },
    Render {
        output: PathBuf,
        template: Option<PathBuf>,
    },
    Exec {
        output: Option<PathBuf>,
        argv: Vec<OsString>,
        /// `--init` and `--process-group` as given; their env vars are read by `init::options`.
        init: bool,
        process_group: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Sh,
    Json,
    Dotenv,
}

/// What the command line said; env vars and files are consulted later, by `facts`.
#[derive(Debug, Default)]
pub struct Inputs {
    pub strategy: Option<String>,
    pub mode: Option<String>,
    pub basename: Option<String>,
    pub pod_ip: Option<String>,
    pub pod_ips: Option<String>,
    pub ip_family: Option<String>,
    pub namespace: Option<String>,
    pub service_account_dir: Option<String>,
    pub cluster_domain: Option<String>,
    pub resolv_conf: Option<String>,
    pub cluster_name: Option<String>,
    pub hostname: Option<String>,
    pub service: Option<String>,
    pub hosts_file: Option<String>,
    pub cookie_file: Option<String>,
    /// The command `exec` will run: a mix release script names the node's basename.
    pub wrapped_command: Option<OsString>,
}
