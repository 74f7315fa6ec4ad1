//! The root tests' harness: a network namespace with a scratch directory beside it, dnsmasq
//! on its loopback, and relnode run inside it with only the environment a test gives it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{BIN, is_root, stderr};

/// A network namespace (loopback up) and its scratch directory; Drop stops its dnsmasq and
/// removes both.
pub struct Netns {
    pub ns: String,
    pub dir: PathBuf,
}

impl Netns {
    /// Namespace `<ns_prefix>-<pid>-<n>`, directory `<dir_prefix>-<pid>[-<tag>]-<n>` in the
    /// temp dir. `test_file` names the file in the message when not root.
    pub fn new(test_file: &str, ns_prefix: &str, dir_prefix: &str, tag: Option<&str>) -> Netns {
        assert!(
            is_root(),
            "{test_file} needs root (network namespaces); it is #[ignore]d otherwise"
        );
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let ns = format!("{ns_prefix}-{pid}-{n}");
        let dir = std::env::temp_dir().join(match tag {
            Some(tag) => format!("{dir_prefix}-{pid}-{tag}-{n}"),
            None => format!("{dir_prefix}-{pid}-{n}"),
        });
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        sh(&["ip", "netns", "add", &ns]);
        let net = Netns { ns, dir };
        net.ip(&["link", "set", "lo", "up"]);
        net
    }

    /// `ip -n NS ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        let mut full = vec!["ip", "-n", &self.ns];
        full.extend_from_slice(args);
        sh(&full);
    }

    /// A veth pair with both ends here named `link` and `<link>p` (the kernel may lack the
    /// dummy driver), `addrs` on `link` (IPv6 without duplicate detection), both up.
    pub fn veth(&self, link: &str, addrs: &[&str]) {
        let peer = format!("{link}p");
        self.ip(&["link", "add", link, "type", "veth", "peer", "name", &peer]);
        self.ip(&["link", "set", &peer, "up"]);
        for addr in addrs {
            let mut args = vec!["addr", "add", addr, "dev", link];
            if addr.contains(':') {
                args.push("nodad");
            }
            self.ip(&args);
        }
        self.ip(&["link", "set", link, "up"]);
    }

    /// A container task's network (Swarm, Nomad, Railway, Render): veths `links`, the default
    /// route through eth1's gateway 172.18.0.1, dnsmasq answering `zones` with `records`
    /// (`host,address`) and `more`, and a resolv.conf that searches swarm.test.
    pub fn task_network(
        &self,
        links: &[(&str, &[&str])],
        zones: &[&str],
        records: &[&str],
        more: &[String],
    ) {
        for (link, addrs) in links {
            self.veth(link, addrs);
        }
        self.ip(&[
            "route",
            "add",
            "default",
            "via",
            "172.18.0.1",
            "dev",
            "eth1",
        ]);
        let mut args: Vec<String> = zones.iter().map(|z| format!("--local=/{z}/")).collect();
        args.extend(more.iter().cloned());
        args.extend(records.iter().map(|r| format!("--host-record={r}")));
        self.dnsmasq(&args);
        self.write("resolv.conf", "search swarm.test\nnameserver 127.0.0.1\n");
    }

    /// The namespace's file, for setns(2).
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(&self.ns)
    }

    /// Writes `name` (creating its directory) in the scratch directory.
    pub fn write(&self, name: &str, text: &str) {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    /// The files of a Kubernetes pod in namespace ns1 of `domain`: resolv.conf (its search
    /// list, `nameservers`, ndots:5), hosts, sa/namespace.
    pub fn kube_pod_files(&self, domain: &str, nameservers: &[&str]) {
        let servers: String = nameservers
            .iter()
            .map(|s| format!("nameserver {s}\n"))
            .collect();
        self.write(
            "resolv.conf",
            &format!("search ns1.svc.{domain} svc.{domain} {domain}\n{servers}options ndots:5\n"),
        );
        self.write("hosts", "127.0.0.1\tlocalhost\n");
        self.write("sa/namespace", "ns1");
    }

    /// dnsmasq on 127.0.0.1 here, answering only from `args` (records, zones, hosts files);
    /// its pid in `dnsmasq.pid`.
    pub fn dnsmasq(&self, args: &[String]) {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                "dnsmasq",
                "--conf-file=/dev/null",
            ])
            .args([
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
            ])
            .arg(format!(
                "--pid-file={}",
                self.dir.join("dnsmasq.pid").display()
            ))
            .args(args)
            .output()
            .expect("run dnsmasq (scripts/test installs dnsmasq-base)");
        assert!(
            out.status.success(),
            "dnsmasq did not start: {}",
            stderr(&out)
        );
    }

    pub fn dnsmasq_pid(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("dnsmasq.pid"))
            .ok()
            .map(|p| p.trim().to_owned())
    }

    /// Makes dnsmasq re-read its hosts files (SIGHUP), as a pod or task turning ready makes
    /// the platform's DNS serve it.
    pub fn reload_dns(&self) {
        sh(&["kill", "-HUP", &self.dnsmasq_pid().expect("dnsmasq pid")]);
    }

    /// `ip netns exec NS`, to which the caller adds the program.
    pub fn exec(&self) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns]);
        cmd
    }

    /// relnode inside the namespace through `wrapper` (e.g. `prlimit ...`, or nothing), with
    /// only PATH and RELNODE_RESOLV_CONF (this directory's resolv.conf) in its environment.
    pub fn relnode_under(&self, wrapper: &[&str]) -> Command {
        let mut cmd = self.exec();
        cmd.args(wrapper)
            .arg(BIN)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RELNODE_RESOLV_CONF", self.dir.join("resolv.conf"));
        cmd
    }

    pub fn relnode(&self) -> Command {
        self.relnode_under(&[])
    }

    /// The same, with the rest of a Kubernetes pod's environment: this directory's hosts and
    /// sa/, and MY_POD_NAMESPACE=ns1.
    pub fn relnode_in_pod(&self, wrapper: &[&str]) -> Command {
        let mut cmd = self.relnode_under(wrapper);
        cmd.env("RELNODE_HOSTS_FILE", self.dir.join("hosts"))
            .env("RELNODE_SERVICE_ACCOUNT_DIR", self.dir.join("sa"))
            .env("MY_POD_NAMESPACE", "ns1");
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(pid) = self.dnsmasq_pid() {
            Command::new("kill").arg(pid).status().ok();
        }
        Command::new("ip")
            .args(["netns", "del", &self.ns])
            .status()
            .ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// `cmd`'s output (it must run) and how long it took.
pub fn timed(cmd: &mut Command) -> (Output, Duration) {
    let start = Instant::now();
    let out = cmd.output().expect("run relnode");
    (out, start.elapsed())
}

/// `impl Deref<Target = Netns>` for a harness struct whose field `net` is its namespace, so
/// its tests read `c.ns`, `c.dir`, `c.ip(..)`, `c.write(..)` directly.
#[macro_export]
macro_rules! deref_netns {
    ($harness:ty) => {
        impl std::ops::Deref for $harness {
            type Target = $crate::common::netns::Netns;
            fn deref(&self) -> &Self::Target {
                &self.net
            }
        }
    };
}

/// Runs a command that must succeed.
pub fn sh(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
}

/// Moves this thread into the network namespace at `path` (from [`Netns::path`]).
pub fn enter_netns(path: &Path) {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path).expect("open netns");
    // SAFETY: setns on a valid fd; it changes only this thread's network namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}
