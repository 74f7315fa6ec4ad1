//! A GET for the ECS agent's task metadata endpoint: plain HTTP/1.1 to a link-local address
//! over std's `TcpStream`, bounded in time and size, never following a redirect.
//!
//! Written here rather than taken from `ureq` (a dependency of `check` only): the core build
//! carries no HTTP client, and this one needs no TLS, no DNS, no pooling and no redirects.
//! Measured on the stripped musl core build: ureq 3.5 without TLS in its place made it
//! 258,088 B larger (1,860,384 B against 1,602,296 B; main before issue 17: 1,553,144 B). The
//! agent is Go's `net/http`, which answers an HTTP/1.1 request with `Content-Length` when the
//! body fits its first buffer and `Transfer-Encoding: chunked` otherwise; both are read, and a
//! close-delimited body too.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long and how much.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Each connection attempt.
    pub connect: Duration,
    /// Everything, the retry included.
    pub total: Duration,
    /// The body, decoded.
    pub max_body: usize,
    /// Further attempts after a failure that may pass (no answer, a 5xx).
    pub retries: u32,
}

/// The bounds for the metadata endpoint: connect 1 s, 2 s in all, 64 KiB, one retry.
pub const METADATA: Limits = Limits {
    connect: Duration::from_secs(1),
    total: Duration::from_secs(2),
    max_body: 64 * 1024,
    retries: 1,
};

/// The status line and headers together may not exceed this.
const MAX_HEAD: usize = 16 * 1024;

/// `http://<IP>[:port]/path`: the agent's URI is always an address literal, so no lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub addr: SocketAddr,
    /// For the `Host` header, as written in the URL.
    pub authority: String,
    pub path: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        let rest = text
            .strip_prefix("http://")
            .ok_or("does not start with http:// (the agent's endpoint is plain HTTP)")?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) || path.contains('#') {
            return Err("has spaces, control characters or a fragment in its path".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or("has '[' without ']'")?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let ip: IpAddr = host.parse().map_err(|_| {
            format!("names host {host:?}, not an IP address (the agent's endpoint is an address literal)")
        })?;
        let port = match port {
            None => 80,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("has port {port:?}, not a TCP port"))?,
        };
        Ok(Url {
            addr: SocketAddr::new(ip, port),
            authority: authority.to_owned(),
            path,
        })
    }
}

/// Why the GET failed.
#[derive(Debug)]
pub enum GetError {
    Io(io::Error),
    TimedOut,
    Status(u16),
    Redirect(Option<String>),
    TooLarge(usize),
    Malformed(String),
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Io(e) => write!(f, "{e}"),
            GetError::TimedOut => f.write_str("no complete answer within 2 s"),
            GetError::Status(code) => write!(f, "the endpoint answered HTTP {code}"),
            GetError::Redirect(to) => write!(
                f,
                "the endpoint answered with a redirect{}, which relnode never follows",
                to.as_ref()
                    .map(|t| format!(" to {t:?}"))
                    .unwrap_or_default()
            ),
            GetError::TooLarge(max) => write!(f, "the answer is larger than {} KiB", max / 1024),
            GetError::Malformed(what) => write!(f, "the answer is not HTTP as expected: {what}"),
        }
    }
}

impl GetError {
    /// Worth one more try: the agent did not answer, or answered 5xx.
    fn may_pass(&self) -> bool {
        matches!(
            self,
            GetError::Io(_) | GetError::TimedOut | GetError::Status(500..=599)
        )
    }
}

impl From<io::Error> for GetError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => GetError::TimedOut,
            _ => GetError::Io(e),
        }
    }
}

/// The body of a 200 answer to `GET url`, within `limits`.
pub fn get(url: &Url, limits: &Limits) -> Result<Vec<u8>, GetError> {
    let deadline = Instant::now() + limits.total;
    let mut attempt = 0;
    loop {
        match once(url, limits, deadline) {
            Ok(body) => return Ok(body),
            Err(e) if e.may_pass() && attempt < limits.retries && left(deadline).is_ok() => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn left(deadline: Instant) -> Result<Duration, GetError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(GetError::TimedOut)
    } else {
        Ok(left)
    }
}

fn once(url: &Url, limits: &Limits, deadline: Instant) -> Result<Vec<u8>, GetError> {
    let stream = TcpStream::connect_timeout(&url.addr, limits.connect.min(left(deadline)?))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: relnode\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    );
    stream.set_write_timeout(Some(left(deadline)?))?;
    (&stream).write_all(request.as_bytes())?;
    let mut conn = Conn {
        stream,
        deadline,
        buf: Vec::new(),
        // Head, body and chunk framing: nothing beyond this is kept.
        cap: MAX_HEAD + limits.max_body + 4096,
        max_body: limits.max_body,
        eof: false,
    };
    let head = conn.head()?;
    let response = Head::parse(&head)?;
    match response.status {
        200 => {}
        300..=399 => return Err(GetError::Redirect(response.location)),
        code => return Err(GetError::Status(code)),
    }
    if response.chunked {
        conn.chunked(limits.max_body)
    } else if let Some(length) = response.length {
        if length > limits.max_body {
            return Err(GetError::TooLarge(limits.max_body));
        }
        conn.exactly(length)
    } else {
        conn.until_closed(limits.max_body)
    }
}

/// The connection's unread bytes, every read bounded by the time left.
struct Conn {
    stream: TcpStream,
    deadline: Instant,
    buf: Vec<u8>,
    cap: usize,
    /// For the message when `cap` is reached.
    max_body: usize,
    eof: bool,
}

impl Conn {
    /// Reads more; `false` at the end of the stream.
    fn fill(&mut self) -> Result<bool, GetError> {
        if self.eof {
            return Ok(false);
        }
        if self.buf.len() >= self.cap {
            return Err(GetError::TooLarge(self.max_body));
        }
        self.stream.set_read_timeout(Some(left(self.deadline)?))?;
        let mut chunk = [0u8; 4096];
        let want = chunk.len().min(self.cap - self.buf.len());
        let n = self.stream.read(&mut chunk[..want])?;
        self.buf.extend_from_slice(&chunk[..n]);
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Takes the first `n` bytes, reading until they are there.
    fn take(&mut self, n: usize, what: &str) -> Result<Vec<u8>, GetError> {
        while self.buf.len() < n {
            if !self.fill()? {
                return Err(GetError::Malformed(format!(
                    "the connection closed in the middle of {what}"
                )));
            }
        }
        let rest = self.buf.split_off(n);
        Ok(std::mem::replace(&mut self.buf, rest))
    }

    /// One line, without its CRLF.
    fn line(&mut self, max: usize, what: &str) -> Result<Vec<u8>, GetError> {
        loop {
            if let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let mut line = self.take(at + 2, what)?;
                line.truncate(at);
                return Ok(line);
            }
            if self.buf.len() > max {
                return Err(GetError::Malformed(format!("{what} is too long")));
            }
            if !self.fill()? {
                return Err(GetError::Malformed(format!(
                    "the connection closed in the middle of {what}"
                )));
            }
        }
    }

    /// The status line and headers, up to the empty line.
    fn head(&mut self) -> Result<Vec<u8>, GetError> {
        loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                return self.take(at + 4, "the headers");
            }
            if self.buf.len() > MAX_HEAD {
                return Err(GetError::Malformed("headers longer than 16 KiB".into()));
            }
            if !self.fill()? {
                return Err(GetError::Malformed(if self.buf.is_empty() {
                    "the connection closed without an answer".into()
                } else {
                    "the connection closed in the middle of the headers".into()
                }));
            }
        }
    }

    fn exactly(&mut self, length: usize) -> Result<Vec<u8>, GetError> {
        self.take(length, "the body")
    }

    fn until_closed(&mut self, max: usize) -> Result<Vec<u8>, GetError> {
        loop {
            if self.buf.len() > max {
                return Err(GetError::TooLarge(max));
            }
            if !self.fill()? {
                return Ok(std::mem::take(&mut self.buf));
            }
        }
    }

    /// `Transfer-Encoding: chunked`: size lines in hex, each chunk followed by CRLF, a zero
    /// size last (trailers are not read: the connection closes).
    fn chunked(&mut self, max: usize) -> Result<Vec<u8>, GetError> {
        let mut body = Vec::new();
        loop {
            let line = self.line(1024, "a chunk size")?;
            let size = line.split(|b| *b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .ok_or_else(|| GetError::Malformed("a chunk size is not hexadecimal".into()))?;
            if size == 0 {
                return Ok(body);
            }
            if size > max.saturating_sub(body.len()) {
                return Err(GetError::TooLarge(max));
            }
            body.extend(self.take(size, "a chunk")?);
            if self.take(2, "a chunk")? != b"\r\n" {
                return Err(GetError::Malformed("a chunk does not end in CRLF".into()));
            }
        }
    }
}

/// What the status line and headers say.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
    location: Option<String>,
}

impl Head {
    fn parse(bytes: &[u8]) -> Result<Head, GetError> {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let malformed = || GetError::Malformed(format!("status line {status_line:?}"));
        let mut words = status_line.split(' ');
        if !words.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
            return Err(malformed());
        }
        let status = words
            .next()
            .filter(|code| code.len() == 3)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(malformed)?;
        let mut head = Head {
            status,
            length: None,
            chunked: false,
            location: None,
        };
        for line in lines.filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(GetError::Malformed(format!("header line {line:?}")));
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => {
                    let length = value
                        .parse::<usize>()
                        .map_err(|_| GetError::Malformed(format!("Content-Length {value:?}")))?;
                    if head.length.is_some_and(|l| l != length) {
                        return Err(GetError::Malformed("two Content-Length headers".into()));
                    }
                    head.length = Some(length);
                }
                "transfer-encoding" => {
                    head.chunked = value.to_ascii_lowercase().contains("chunked");
                }
                "location" => head.location = Some(value.chars().take(200).collect()),
                _ => {}
            }
        }
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn urls_are_address_literals() {
        let url = Url::parse("http://169.254.170.2/v4/abc-123").unwrap();
        assert_eq!(url.addr, "169.254.170.2:80".parse().unwrap());
        assert_eq!(
            (url.authority.as_str(), url.path.as_str()),
            ("169.254.170.2", "/v4/abc-123")
        );
        let url = Url::parse("http://[fd00:ec2::254]:8080").unwrap();
        assert_eq!(url.addr, "[fd00:ec2::254]:8080".parse().unwrap());
        assert_eq!(url.path, "/");
        for bad in [
            "https://169.254.170.2/v4/x",
            "http://metadata.local/v4/x",
            "http://169.254.170.2:0/",
            "http://169.254.170.2:http/",
            "http://[fd00::1/x",
            "http://169.254.170.2/v4/a b",
            "169.254.170.2/v4",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    /// A one-shot server on loopback answering `answers[i]` to the i-th connection.
    fn serve(answers: Vec<Vec<u8>>) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for answer in answers {
                let Ok((mut conn, _)) = listener.accept() else {
                    return;
                };
                let mut request = [0u8; 1024];
                let _ = conn.read(&mut request);
                let _ = conn.write_all(&answer);
            }
        });
        Url::parse(&format!("http://{addr}/v4/abc")).unwrap()
    }

    const FAST: Limits = Limits {
        connect: Duration::from_millis(500),
        total: Duration::from_millis(800),
        max_body: 64,
        retries: 1,
    };

    #[test]
    fn content_length_chunked_and_close_delimited_bodies() {
        let url = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA".to_vec(),
        ]);
        assert_eq!(get(&url, &FAST).unwrap(), b"hello");
        let url = serve(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"
                .to_vec(),
        ]);
        assert_eq!(get(&url, &FAST).unwrap(), b"{\"a\":1}");
        let url = serve(vec![b"HTTP/1.0 200 OK\r\n\r\n{}".to_vec()]);
        assert_eq!(get(&url, &FAST).unwrap(), b"{}");
    }

    #[test]
    fn redirects_errors_and_oversized_answers_are_refused() {
        let cases: Vec<(&[u8], &str)> = vec![
            (
                b"HTTP/1.1 302 Found\r\nLocation: http://evil/\r\n\r\n",
                "redirect to \"http://evil/\"",
            ),
            (
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                "HTTP 404",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n",
                "larger than",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n",
                "larger than",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
                "closed in the middle of the body",
            ),
            (b"SSH-2.0-OpenSSH\r\n\r\n", "status line"),
        ];
        for (answer, want) in cases {
            let url = serve(vec![answer.to_vec()]);
            let err = get(&url, &FAST).unwrap_err().to_string();
            assert!(err.contains(want), "{want}: {err}");
        }
        // A close-delimited body past the limit.
        let mut long = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 1000));
        let err = get(&serve(vec![long]), &FAST).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
    }

    #[test]
    fn a_5xx_is_retried_once() {
        let url = serve(vec![
            b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        ]);
        assert_eq!(get(&url, &FAST).unwrap(), b"{}");
        let url = serve(vec![
            b"HTTP/1.1 503 Busy\r\n\r\n".to_vec(),
            b"HTTP/1.1 502 Bad\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        ]);
        assert!(
            get(&url, &FAST)
                .unwrap_err()
                .to_string()
                .contains("HTTP 502")
        );
    }

    /// A server that accepts and never answers: the whole GET ends at the total bound.
    #[test]
    fn a_silent_server_is_bounded_by_the_total_time() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/v4/x", listener.local_addr().unwrap())).unwrap();
        let started = Instant::now();
        let err = get(&url, &FAST).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, GetError::TimedOut), "{err:?}");
        assert!(
            took >= FAST.total && took < FAST.total + Duration::from_millis(300),
            "{took:?}"
        );
        drop(listener);
    }
}
