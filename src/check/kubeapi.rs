//! The in-cluster Kubernetes API, asked the way libcluster's Kubernetes strategy asks it: one
//! GET with the service account's bearer token, the server verified against `ca.crt`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
// ureq's resolver API is outside its semver promise: Cargo.lock pins 3.5.2; a ureq update
// may need this impl adjusted (the kubeapi tests exercise it).
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver as UreqResolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::dns::{Outcome, RecordType, Records, Resolver, SearchRule};

/// Where the API is and who we are to it.
pub struct ApiClient {
    agent: ureq::Agent,
    base: String,
    token: String,
    /// No request runs past this instant (with `with_resolver`).
    deadline: Option<Instant>,
}

/// ureq's resolver, answering with the addresses relnode's own resolver found: the HTTPS
/// request goes where the api-host check said, not where libc's resolv.conf would say.
#[derive(Debug)]
struct Pinned(Vec<SocketAddr>);

impl UreqResolver for Pinned {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut out = self.empty();
        // ureq keeps at most 16 addresses (its MAX_ADDRS); push panics past that.
        for addr in self.0.iter().take(16) {
            out.push(*addr);
        }
        if out.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(out)
        }
    }
}

/// The addresses of the API host: itself when it is an IP, else A (then AAAA) through
/// relnode's resolver with libc's search rule, as the api-host check asks.
pub fn resolve_host(
    host: &str,
    resolver: &Resolver,
    deadline: Instant,
) -> Result<Vec<IpAddr>, ApiError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let mut problems = Vec::new();
    for rtype in [RecordType::A, RecordType::Aaaa] {
        let lookup = resolver.lookup_by(host, rtype, SearchRule::Libc, deadline);
        match lookup.outcome {
            Outcome::Found {
                records: Records::Addrs(addrs),
                ..
            } if !addrs.is_empty() => return Ok(addrs),
            Outcome::NoData { .. } => problems.push(format!("no {rtype} record")),
            Outcome::NxDomain => {
                problems.push(format!("NXDOMAIN (asked {})", lookup.asked.join(", ")));
                break;
            }
            Outcome::Timeout => {
                let servers: Vec<String> = lookup
                    .servers_asked()
                    .iter()
                    .map(|ip| ip.to_string())
                    .collect();
                problems.push(format!("no answer from {}", servers.join(", ")));
                break;
            }
            Outcome::Failed(problem) => {
                problems.push(problem);
                break;
            }
            Outcome::Found { .. } => problems.push(format!("no {rtype} record")),
        }
    }
    Err(ApiError::Transport(format!(
        "cannot resolve the API host {host}: {}",
        problems.join("; ")
    )))
}

/// The largest body read: a PodList of a few thousand pods fits; more is refused, not buffered.
const MAX_BODY: u64 = 32 * 1024 * 1024;
/// The token and CA are a few KiB; a bigger file is not a service-account file.
const MAX_SA_FILE: u64 = 256 * 1024;

#[derive(Debug)]
pub enum ApiError {
    /// The service-account files cannot be used.
    Credentials(String),
    /// The request did not complete: TLS (the server is not who it claims to be), a bad answer.
    Transport(String),
    /// The server could not be reached: refused, reset, timed out, no such host.
    Unreachable(String),
    /// The server answered, but with a body relnode will not read: over the cap, not UTF-8.
    Answer(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Credentials(m)
            | ApiError::Transport(m)
            | ApiError::Unreachable(m)
            | ApiError::Answer(m) => f.write_str(m),
        }
    }
}

pub struct ApiResponse {
    pub status: u16,
    pub body: String,
}

/// Bounded, regular files only (a FIFO never blocks), as every kubelet file relnode reads.
fn read_small(path: &Path) -> Result<Vec<u8>, ApiError> {
    crate::files::read_limited(path, MAX_SA_FILE)
        .map_err(|e| ApiError::Credentials(format!("cannot read {}: {e}", path.display())))
}

impl ApiClient {
    /// Reads `token` and `ca.crt` from the service-account directory. The host's name is
    /// resolved by relnode's own resolver (the one every DNS check uses, so `api-host` and the
    /// request agree), the connection goes to that address, and no request runs past
    /// `deadline`. The name still selects and verifies the certificate (SNI).
    pub fn with_resolver(
        sa_dir: &Path,
        host: &str,
        port: u16,
        resolver: &Resolver,
        deadline: Instant,
    ) -> Result<ApiClient, ApiError> {
        let (token, tls) = credentials(sa_dir)?;
        let addrs = resolve_host(host, resolver, deadline)?;
        let pinned = Pinned(
            addrs
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        );
        let left = deadline.saturating_duration_since(Instant::now());
        let config = agent_config(tls, left);
        Ok(ApiClient {
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), pinned),
            base: base_url(host, port),
            token,
            deadline: Some(deadline),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path` (with its query string). Any status is an answer; only transport fails.
    pub fn get(&self, path: &str) -> Result<ApiResponse, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url);
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::Transport(
                    "no time left before the deadline".into(),
                ));
            }
            request = request.config().timeout_global(Some(left)).build();
        }
        let mut response = request
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/json")
            .call()
            .map_err(|e| transport_error(&e, transport_message(&e)))?;
        let status = response.status().as_u16();
        let bytes = match response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
        {
            Ok(bytes) => bytes,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(ApiError::Answer(format!(
                    "{status}, with a body over {} MiB, not read",
                    MAX_BODY >> 20
                )));
            }
            Err(e) => return Err(transport_error(&e, format!("reading the answer: {e}"))),
        };
        let body = String::from_utf8(bytes).map_err(|e| {
            ApiError::Answer(format!(
                "{status}, with a body that is not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(ApiResponse { status, body })
    }
}

/// The token and a TLS config trusting only `ca.crt`. Like libcluster, a missing `ca.crt`
/// would mean no verification; relnode refuses that instead.
fn credentials(sa_dir: &Path) -> Result<(String, TlsConfig), ApiError> {
    let token_path: PathBuf = sa_dir.join("token");
    let token = String::from_utf8(read_small(&token_path)?)
        .map_err(|_| ApiError::Credentials(format!("{} is not UTF-8", token_path.display())))?
        .trim()
        .to_owned();
    if token.is_empty() {
        return Err(ApiError::Credentials(format!(
            "{} is empty",
            token_path.display()
        )));
    }
    // A header value cannot carry a line break or control character: say so here, before any
    // connection, rather than let the request fail as if the server could not be reached.
    if let Some((at, c)) = token
        .char_indices()
        .find(|(_, c)| c.is_control() || !c.is_ascii())
    {
        return Err(ApiError::Credentials(format!(
            "{} holds {} at byte {at} (a bearer token is one line of printable ASCII); nothing was sent",
            token_path.display(),
            if c == '\n' || c == '\r' {
                "a line break".to_owned()
            } else {
                format!("the character {}", c.escape_default())
            }
        )));
    }
    let ca_path = sa_dir.join("ca.crt");
    let pem = read_small(&ca_path)?;
    let roots: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if roots.is_empty() {
        return Err(ApiError::Credentials(format!(
            "{} holds no PEM certificate",
            ca_path.display()
        )));
    }
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    Ok((token, tls))
}

fn agent_config(tls: TlsConfig, timeout: Duration) -> ureq::config::Config {
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        // The API server's address comes from the pod, never from the environment's proxy.
        .proxy(None)
        .max_redirects(0)
        .build()
}

fn base_url(host: &str, port: u16) -> String {
    let host = match host.parse::<std::net::Ipv6Addr>() {
        Ok(_) => format!("[{host}]"),
        Err(_) => host.to_owned(),
    };
    format!("https://{host}:{port}")
}

/// Unreachable when the connection itself failed; anything else (TLS above all) is an answer.
fn transport_error(err: &ureq::Error, message: String) -> ApiError {
    let unreachable = match err {
        ureq::Error::Timeout(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        // rustls's errors reach us as I/O errors that carry them.
        ureq::Error::Io(io) => io
            .get_ref()
            .is_none_or(|inner| !inner.is::<rustls::Error>()),
        _ => false,
    };
    if unreachable {
        ApiError::Unreachable(message)
    } else {
        ApiError::Transport(message)
    }
}

/// ureq's message, with the usual Kubernetes causes named.
fn transport_message(err: &ureq::Error) -> String {
    let text = err.to_string();
    // BadSignature: an issuer of the same name but another key, e.g. another kubeadm
    // cluster's CA (they are all CN=kubernetes).
    let hint = if text.contains("UnknownIssuer") || text.contains("BadSignature") {
        " (the server's certificate is not signed by the CA in ca.crt)"
    } else if text.contains("CaUsedAsEndEntity") {
        " (the server presents a CA certificate as its own)"
    } else if text.contains("certificate not valid for name") || text.contains("NotValidForName") {
        // rustls 0.23 says `certificate not valid for name "h"; certificate is only valid for …`.
        " (the server's certificate does not name this host)"
    } else {
        ""
    };
    format!("{text}{hint}")
}

/// Percent-encodes a query value as libcluster does (`URI.encode_query(:rfc3986)`).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_is_encoded_like_rfc3986() {
        assert_eq!(
            encode_query_value("app=myapp,tier in (a b)"),
            "app%3Dmyapp%2Ctier%20in%20%28a%20b%29"
        );
    }

    /// A nameserver on 127.0.0.1:`port` of this host answering every query with `rcode`
    /// and, when NOERROR, A 127.0.0.1; it serves for at most `for_time`.
    fn nameserver(rcode: u8, for_time: Duration) -> u16 {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        std::thread::spawn(move || {
            let end = Instant::now() + for_time;
            let mut buf = [0u8; 512];
            while Instant::now() < end {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let mut msg = buf[..n].to_vec();
                msg[2] = 0x81;
                msg[3] = 0x80 | rcode;
                if rcode == 0 {
                    msg[7] = 1;
                    msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 127, 0, 0, 1]);
                }
                socket.send_to(&msg, from).ok();
            }
        });
        port
    }

    /// An HTTPS server on 127.0.0.1 with a certificate for `name` only; it answers one
    /// request with 200. Returns its port and the CA's PEM.
    fn https_server(name: &str) -> (u16, String) {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        use std::io::{Read, Write};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut buf = [0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            let body = "{}";
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            tls.write_all(response.as_bytes()).ok();
            tls.conn.send_close_notify();
            tls.flush().ok();
        });
        (port, ca.pem())
    }

    fn sa_dir(ca_pem: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "t0ken\n").unwrap();
        std::fs::write(dir.path().join("ca.crt"), ca_pem).unwrap();
        dir
    }

    fn resolver(port: u16) -> Resolver {
        let conf = crate::dns::ResolvConf {
            nameservers: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        };
        let mut r = Resolver::new(conf, Duration::from_secs(2));
        r.port = port;
        r
    }

    /// The request goes to the address relnode's resolver gives: `.test` names never resolve
    /// through libc, so reaching the server proves it; the name still verifies the certificate.
    #[test]
    fn the_api_host_is_resolved_by_relnodes_resolver() {
        let name = "api.relnode.test";
        let (https_port, ca) = https_server(name);
        let dir = sa_dir(&ca);
        let dns = resolver(nameserver(0, Duration::from_secs(10)));
        let deadline = Instant::now() + Duration::from_secs(5);
        let client = ApiClient::with_resolver(dir.path(), name, https_port, &dns, deadline)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(client.base(), format!("https://{name}:{https_port}"));
        let response = client.get("/api").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((response.status, response.body.as_str()), (200, "{}"));
    }

    #[test]
    fn an_api_host_that_does_not_resolve_is_named() {
        let ca = rcgen::CertificateParams::new(vec!["ca".to_owned()])
            .unwrap()
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        let dir = sa_dir(&ca.pem());
        let dns = resolver(nameserver(3, Duration::from_secs(10)));
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = ApiClient::with_resolver(dir.path(), "x.relnode.test", 1, &dns, deadline)
            .err()
            .expect("NXDOMAIN");
        assert!(
            err.to_string()
                .starts_with("cannot resolve the API host x.relnode.test: NXDOMAIN"),
            "{err}"
        );
    }
}
