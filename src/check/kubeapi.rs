//! The in-cluster Kubernetes API, asked the way libcluster's Kubernetes strategy asks it: one
//! GET with the service account's bearer token, the server verified against `ca.crt`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

/// Where the API is and who we are to it.
pub struct ApiClient {
    agent: ureq::Agent,
    base: String,
    token: String,
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
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Credentials(m) | ApiError::Transport(m) | ApiError::Unreachable(m) => {
                f.write_str(m)
            }
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
    /// Reads `token` and `ca.crt` from the service-account directory. Like libcluster, a
    /// missing `ca.crt` would mean no verification; relnode refuses that instead.
    pub fn new(
        sa_dir: &Path,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<ApiClient, ApiError> {
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
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // The API server's address comes from the pod, never from the environment's proxy.
            .proxy(None)
            .max_redirects(0)
            .build();
        let host = match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{host}]"),
            Err(_) => host.to_owned(),
        };
        Ok(ApiClient {
            agent: config.into(),
            base: format!("https://{host}:{port}"),
            token,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path` (with its query string). Any status is an answer; only transport fails.
    pub fn get(&self, path: &str) -> Result<ApiResponse, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/json")
            .call()
            .map_err(|e| transport_error(&e, transport_message(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| transport_error(&e, format!("reading the answer: {e}")))?;
        Ok(ApiResponse { status, body })
    }
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
    } else if text.contains("NotValidForName") {
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
}
