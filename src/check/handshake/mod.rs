//! `check --peers`: proves each peer's real node name with Erlang's own handshake, without a
//! cookie. Per peer: epmd's PORT_PLEASE2 for the short name, then at the distribution port
//! our `send_name` (version 6, as a hidden node of a name no real node has), the peer's
//! status and its challenge, which carries the peer's own node name; then we close. No
//! digest is ever sent, so the peer's connection process just sees a closed socket.
//!
//! Every peer is probed at once on non-blocking sockets polled together under one deadline,
//! so a thousand peers behind a policy that drops the packets cost one timeout, not a
//! thousand.

pub mod dist;
pub mod epmd;
mod report;

pub(super) use report::checks;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::resource::{Resource, getrlimit};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrStorage, connect, socket};

pub const EPMD_PORT: u16 = 4369;
/// Never more open sockets than this, whatever RLIMIT_NOFILE allows.
const MAX_OPEN: u64 = 1024;
/// File descriptors left to the rest of relnode.
const SPARE_FDS: u64 = 64;
/// A peer's answers are a few dozen bytes; more is not a node.
const MAX_READ: usize = 4096;

/// A peer to probe: the name libcluster dials and the address it resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerTarget {
    pub node: String,
    pub ip: IpAddr,
}

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// epmd's port: 4369 unless the cluster sets ERL_EPMD_PORT.
    pub epmd_port: u16,
    /// Probe this port directly, without epmd (a node with its own EPMD module, e.g.
    /// Livebook on 13825).
    pub dist_port: Option<u16>,
    /// The peers run distribution over TLS (inet_tls_dist): nothing is sent.
    pub tls: bool,
    /// The host part of our probe name towards long-names peers (`-name`), e.g. our IP.
    pub long_host: String,
    /// The host part of our probe name towards short-names peers (`-sname`).
    pub short_host: String,
}

/// How far a probe got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Queued,
    EpmdConnect,
    EpmdReply,
    NamesConnect,
    EpmdNames,
    DistConnect,
    DistStatus,
    DistChallenge,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Queued => "never started (too many peers for the time)",
            Stage::EpmdConnect => "connecting to epmd",
            Stage::EpmdReply => "waiting for epmd's reply",
            Stage::NamesConnect | Stage::EpmdNames => "asking epmd for the names it knows",
            Stage::DistConnect => "connecting to the distribution port",
            Stage::DistStatus => "waiting for the handshake status",
            Stage::DistChallenge => "waiting for the handshake challenge",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The node answered the handshake under this name.
    Named {
        name: String,
        flags: u64,
    },
    /// epmd's port refused the connection.
    NoEpmd,
    /// epmd runs but knows no node of that short name; the names it knows, when it told.
    NoSuchNode {
        known: Option<Vec<String>>,
    },
    /// The distribution port epmd gave (or `dist_port`) refused the connection.
    DistRefused,
    NotAllowed,
    Nok,
    /// The peer has a connection from a node of our name up (it cannot be ours).
    Alive,
    /// The peer closed the connection at this stage, without a status (it rejected our
    /// send_name: e.g. a long-names node dialled with a short name).
    Closed(Stage),
    /// A connect error other than refused (no route, unreachable network).
    Unreachable(Stage, String),
    Timeout(Stage),
    /// epmd says the node's highest handshake version is below 6 (OTP < 23).
    OldOtp {
        highest: u16,
    },
    Tls,
    /// Bytes that are not the protocol, or a local error.
    Error(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAnswer {
    pub target: PeerTarget,
    /// The distribution port probed, once known.
    pub port: Option<u16>,
    /// The name we introduced ourselves with.
    pub our_name: String,
    pub answer: Answer,
}

/// Whether Erlang treats the host part of `node` as a long name (`-name`): it has a dot or
/// is an IP address.
pub fn long_names(node: &str) -> bool {
    let host = node.split_once('@').map_or(node, |(_, h)| h);
    host.contains('.') || host.parse::<IpAddr>().is_ok()
}

/// Probes every target, at most min(1024, RLIMIT_NOFILE - 64) sockets open at once; a peer
/// not done at `deadline` is a timeout. Answers come in the targets' order.
pub fn probe_all(
    targets: &[PeerTarget],
    opts: &ProbeOptions,
    deadline: Instant,
) -> Vec<PeerAnswer> {
    let me = Identity::new();
    let answer = |t: &PeerTarget, port, answer| PeerAnswer {
        target: t.clone(),
        port,
        our_name: me.name(t, opts),
        answer,
    };
    if opts.tls {
        return targets
            .iter()
            .map(|t| answer(t, None, Answer::Tls))
            .collect();
    }
    let mut done: Vec<Option<PeerAnswer>> = vec![None; targets.len()];
    let mut active: Vec<Probe> = Vec::new();
    let mut next = 0;
    let max_open = max_open();
    loop {
        while active.len() < max_open && next < targets.len() {
            let t = &targets[next];
            let short = t.node.split_once('@').map_or(t.node.as_str(), |(n, _)| n);
            let port = opts.dist_port.ok_or(opts.epmd_port);
            match Probe::start(next, t.ip, port, short, &me.name(t, opts), me.creation) {
                Ok(probe) => active.push(probe),
                Err(a) => done[next] = Some(answer(t, opts.dist_port, a)),
            }
            next += 1;
        }
        if active.is_empty() || Instant::now() >= deadline {
            break;
        }
        let events = match wait(&active, deadline) {
            Ok(events) => events,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                let error = Answer::Error(format!("poll: {e}"));
                for p in active.drain(..) {
                    done[p.index] = Some(answer(&targets[p.index], p.port, error.clone()));
                }
                continue;
            }
        };
        let mut still = Vec::with_capacity(active.len());
        for (mut probe, ev) in active.drain(..).zip(events) {
            let finished = if ev.is_empty() { None } else { probe.advance() };
            match finished {
                None => still.push(probe),
                Some(a) => {
                    done[probe.index] = Some(answer(&targets[probe.index], probe.port, a));
                }
            }
        }
        active = still;
    }
    for p in active {
        let timeout = p.failed(Answer::Timeout(p.stage));
        done[p.index] = Some(answer(&targets[p.index], p.port, timeout));
    }
    targets
        .iter()
        .zip(done)
        .map(|(t, a)| {
            a.unwrap_or_else(|| answer(t, opts.dist_port, Answer::Timeout(Stage::Queued)))
        })
        .collect()
}

/// Who the probe says it is: a name no real node has (a prefix and 12 random hex digits,
/// the host part in the peer's long/short names mode) and a creation.
struct Identity {
    base: String,
    creation: u32,
}

impl Identity {
    fn new() -> Identity {
        let random = RandomState::new().build_hasher().finish();
        Identity {
            base: format!("relnode_check_{:012x}", random & 0xffff_ffff_ffff),
            creation: (random >> 32) as u32 | 1,
        }
    }

    fn name(&self, t: &PeerTarget, opts: &ProbeOptions) -> String {
        let host = if long_names(&t.node) {
            &opts.long_host
        } else {
            &opts.short_host
        };
        crate::libcluster::names::node(&self.base, host)
    }
}

/// One poll over every probe in flight, until an event or the deadline.
fn wait(active: &[Probe], deadline: Instant) -> nix::Result<Vec<PollFlags>> {
    // Whole milliseconds, rounded up so a wake-up is never early; capped per round.
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_micros().div_ceil(1000).min(60_000) as u16;
    let mut fds: Vec<PollFd> = active
        .iter()
        .map(|p| PollFd::new(p.sock.as_fd(), p.interest()))
        .collect();
    poll(&mut fds, PollTimeout::from(ms))?;
    Ok(fds
        .iter()
        .map(|f| f.revents().unwrap_or(PollFlags::empty()))
        .collect())
}

fn max_open() -> usize {
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map_or(MAX_OPEN, |(soft, _)| soft);
    soft.saturating_sub(SPARE_FDS).clamp(1, MAX_OPEN) as usize
}

/// One peer's probe in flight.
struct Probe {
    index: usize,
    stage: Stage,
    sock: TcpStream,
    ip: IpAddr,
    epmd_port: u16,
    port: Option<u16>,
    out: Vec<u8>,
    sent: usize,
    input: Vec<u8>,
    send_name: Vec<u8>,
}

impl Probe {
    fn start(
        index: usize,
        ip: IpAddr,
        port: Result<u16, u16>,
        short: &str,
        our_name: &str,
        creation: u32,
    ) -> Result<Probe, Answer> {
        // Ok: the distribution port itself; Err: epmd's port, to ask it first.
        let (stage, connect_to, out) = match port {
            Ok(p) => (Stage::DistConnect, p, Vec::new()),
            Err(p) => (Stage::EpmdConnect, p, epmd::port_please2(short)),
        };
        let port = port.ok();
        let sock = open(ip, connect_to).map_err(|e| connect_failed(stage, &e))?;
        Ok(Probe {
            index,
            stage,
            sock,
            ip,
            epmd_port: connect_to,
            port,
            out,
            sent: 0,
            input: Vec::new(),
            send_name: dist::send_name(our_name, creation),
        })
    }

    fn interest(&self) -> PollFlags {
        match self.stage {
            Stage::EpmdConnect | Stage::NamesConnect | Stage::DistConnect => PollFlags::POLLOUT,
            _ if self.sent < self.out.len() => PollFlags::POLLOUT,
            _ => PollFlags::POLLIN,
        }
    }

    /// Moves on after an event; `Some` when the peer is done.
    fn advance(&mut self) -> Option<Answer> {
        match self.stage {
            Stage::EpmdConnect | Stage::NamesConnect | Stage::DistConnect => {
                if let Some(e) = self.sock.take_error().ok().flatten() {
                    return Some(self.failed(connect_failed(self.stage, &e)));
                }
                self.stage = match self.stage {
                    Stage::EpmdConnect => Stage::EpmdReply,
                    Stage::NamesConnect => {
                        self.out = epmd::names_req();
                        self.sent = 0;
                        Stage::EpmdNames
                    }
                    _ => {
                        self.out = std::mem::take(&mut self.send_name);
                        self.sent = 0;
                        Stage::DistStatus
                    }
                };
                self.flush()
            }
            _ if self.sent < self.out.len() => self.flush(),
            _ => self.receive(),
        }
    }

    fn flush(&mut self) -> Option<Answer> {
        while self.sent < self.out.len() {
            match (&self.sock).write(&self.out[self.sent..]) {
                Ok(0) => return Some(Answer::Closed(self.stage)),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Some(self.io_error(&e)),
            }
        }
        None
    }

    fn receive(&mut self) -> Option<Answer> {
        let mut eof = false;
        let mut buf = [0u8; 512];
        loop {
            match (&self.sock).read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) if self.input.len() + n > MAX_READ => {
                    return Some(self.failed(Answer::Error(format!(
                        "more than {MAX_READ} bytes while {}: not an Erlang node",
                        self.stage
                    ))));
                }
                Ok(n) => self.input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Some(self.io_error(&e)),
            }
        }
        let stage = self.stage;
        let answer = match stage {
            Stage::EpmdReply => self.epmd_reply(),
            // epmd closes after the last name.
            Stage::EpmdNames => {
                return eof.then(|| Answer::NoSuchNode {
                    known: epmd::names(&self.input),
                });
            }
            _ => self.handshake(),
        };
        match answer {
            // epmd's close after a whole reply is the end of that connection, not the peer's.
            None if eof && self.stage == stage => Some(Answer::Closed(stage)),
            other => other,
        }
    }

    fn epmd_reply(&mut self) -> Option<Answer> {
        match epmd::decode(&self.input) {
            Ok(None) => None,
            Err(e) => Some(Answer::Error(format!("epmd: {e}"))),
            Ok(Some(epmd::PortReply::NoSuchNode(_))) => {
                // Which names it does know tells a wrong basename from a node not up yet.
                self.stage = Stage::NamesConnect;
                self.input.clear();
                match open(self.ip, self.epmd_port) {
                    Ok(sock) => {
                        self.sock = sock;
                        None
                    }
                    Err(_) => Some(Answer::NoSuchNode { known: None }),
                }
            }
            Ok(Some(epmd::PortReply::Port(node))) => {
                self.port = Some(node.port);
                if node.highest < dist::VERSION {
                    return Some(Answer::OldOtp {
                        highest: node.highest,
                    });
                }
                self.stage = Stage::DistConnect;
                self.input.clear();
                match open(self.ip, node.port) {
                    Ok(sock) => {
                        self.sock = sock;
                        None
                    }
                    Err(e) => Some(connect_failed(Stage::DistConnect, &e)),
                }
            }
        }
    }

    fn handshake(&mut self) -> Option<Answer> {
        if self.stage == Stage::DistStatus {
            let (body, used) = dist::frame(&self.input)?;
            let status = match dist::status(body) {
                Ok(s) => s,
                Err(e) => return Some(Answer::Error(e)),
            };
            match status {
                dist::Status::Ok => {}
                dist::Status::Nok => return Some(Answer::Nok),
                dist::Status::NotAllowed => return Some(Answer::NotAllowed),
                dist::Status::Alive => return Some(Answer::Alive),
                dist::Status::Other(s) => {
                    return Some(Answer::Error(format!("unexpected status {s:?}")));
                }
            }
            self.input.drain(..used);
            self.stage = Stage::DistChallenge;
        }
        let (body, _) = dist::frame(&self.input)?;
        Some(match dist::challenge(body) {
            Ok(c) => Answer::Named {
                name: c.name,
                flags: c.flags,
            },
            Err(e) => Answer::Error(e),
        })
    }

    fn io_error(&self, e: &io::Error) -> Answer {
        self.failed(if e.kind() == io::ErrorKind::ConnectionReset {
            Answer::Closed(self.stage)
        } else {
            Answer::Error(format!("{} while {}", e, self.stage))
        })
    }

    /// A failure while asking epmd for its names leaves the answer epmd already gave.
    fn failed(&self, answer: Answer) -> Answer {
        match self.stage {
            Stage::NamesConnect | Stage::EpmdNames => Answer::NoSuchNode { known: None },
            _ => answer,
        }
    }
}

fn connect_failed(stage: Stage, e: &io::Error) -> Answer {
    match (e.kind(), stage) {
        (io::ErrorKind::ConnectionRefused, Stage::EpmdConnect) => Answer::NoEpmd,
        (io::ErrorKind::ConnectionRefused, _) => Answer::DistRefused,
        _ => Answer::Unreachable(stage, e.to_string()),
    }
}

/// A non-blocking TCP connect under way (or already failed).
fn open(ip: IpAddr, port: u16) -> io::Result<TcpStream> {
    let family = match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    match connect(
        fd.as_raw_fd(),
        &SockaddrStorage::from(SocketAddr::new(ip, port)),
    ) {
        Ok(()) | Err(Errno::EINPROGRESS) => Ok(TcpStream::from(fd)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
