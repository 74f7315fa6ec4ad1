//! One question to one server, over UDP and, when the answer is truncated, TCP. Every
//! blocking call (connect, each read, each write) waits at most until the deadline, so a
//! server that answers slowly, byte by byte, cannot hold a lookup past it.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use super::wire::{self, Question, Rejected, Rejection, Reply};

/// The largest answer read over TCP (the length prefix cannot say more).
const MAX_TCP_ANSWER: usize = 65_535;

#[derive(Debug)]
pub enum AskError {
    /// Nothing usable before the deadline.
    Timeout,
    /// Answers came, none was believed (the last one says why).
    Rejected(Rejected),
    Io(String),
}

fn io_error(server: SocketAddr, err: std::io::Error) -> AskError {
    match err.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => AskError::Timeout,
        _ => AskError::Io(format!("{server}: {err}")),
    }
}

/// The time left, or a timeout when none is.
fn remaining(deadline: Instant) -> Result<Duration, AskError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(AskError::Timeout)
    } else {
        Ok(left)
    }
}

/// Asks `server`; a truncated UDP answer is asked again over TCP, within the same deadline.
pub fn exchange(server: SocketAddr, q: &Question, deadline: Instant) -> Result<Reply, AskError> {
    let reply = udp(server, q, deadline)?;
    if reply.truncated {
        tcp(server, q, deadline)
    } else {
        Ok(reply)
    }
}

fn udp(server: SocketAddr, q: &Question, deadline: Instant) -> Result<Reply, AskError> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).map_err(|e| io_error(server, e))?;
    // connect(): the kernel then drops datagrams from anyone but the server.
    socket.connect(server).map_err(|e| io_error(server, e))?;
    socket.send(&q.message).map_err(|e| io_error(server, e))?;
    let mut buf = vec![0u8; 4096];
    let mut last_rejected = None;
    loop {
        let left = match remaining(deadline) {
            Ok(left) => left,
            Err(timeout) => return Err(last_rejected.map_or(timeout, AskError::Rejected)),
        };
        socket
            .set_read_timeout(Some(left))
            .map_err(|e| io_error(server, e))?;
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                return Err(match (io_error(server, e), last_rejected) {
                    (AskError::Timeout, Some(r)) => AskError::Rejected(r),
                    (err, _) => err,
                });
            }
        };
        match wire::decode(&buf[..n], q) {
            Ok(reply) => return Ok(reply),
            // Another id may be a late answer to an earlier query: keep waiting for ours,
            // as glibc and inet_res do.
            Err(
                r @ Rejected {
                    why: Rejection::OtherId { .. },
                    ..
                },
            ) => last_rejected = Some(r),
            Err(r) => return Err(AskError::Rejected(r)),
        }
    }
}

fn tcp(server: SocketAddr, q: &Question, deadline: Instant) -> Result<Reply, AskError> {
    let mut stream = TcpStream::connect_timeout(&server, remaining(deadline)?)
        .map_err(|e| io_error(server, e))?;
    let len = u16::try_from(q.message.len()).map_err(|_| AskError::Io("query too long".into()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(&q.message);
    let mut sent = 0;
    while sent < framed.len() {
        stream
            .set_write_timeout(Some(remaining(deadline)?))
            .map_err(|e| io_error(server, e))?;
        match stream.write(&framed[sent..]) {
            Ok(0) => return Err(AskError::Io(format!("{server}: closed the connection"))),
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(server, e)),
        }
    }
    let mut len = [0u8; 2];
    read_fully(&mut stream, &mut len, server, deadline)?;
    let len = usize::from(u16::from_be_bytes(len)).min(MAX_TCP_ANSWER);
    let mut reply = vec![0u8; len];
    read_fully(&mut stream, &mut reply, server, deadline)?;
    // Over TCP the connection carries only our query, so any mismatch is final.
    let reply = wire::decode(&reply, q).map_err(AskError::Rejected)?;
    // TC over TCP: the server cut even the answer it sends whole; its records are not read,
    // so "no record" would be a lie.
    if reply.truncated {
        return Err(AskError::Io(format!(
            "{server}: the answer over TCP is truncated too (TC set), so its records cannot be read"
        )));
    }
    Ok(reply)
}

/// `read_exact`, but each read waits only for what is left of the deadline: a server
/// sending a byte at a time gets no more time than a silent one.
fn read_fully(
    stream: &mut TcpStream,
    buf: &mut [u8],
    server: SocketAddr,
    deadline: Instant,
) -> Result<(), AskError> {
    let mut filled = 0;
    while filled < buf.len() {
        stream
            .set_read_timeout(Some(remaining(deadline)?))
            .map_err(|e| io_error(server, e))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(AskError::Io(format!(
                    "{server}: closed the connection mid-answer"
                )));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(server, e)),
        }
    }
    Ok(())
}
