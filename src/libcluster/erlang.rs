//! Erlang's rules for a node name (`net_kernel`, `inet`), and the DNS rules Kubernetes holds
//! the parts of a host name to: what a name may be, whatever strategy built it.

use std::net::{IpAddr, Ipv6Addr};

use super::{NameError, Part};

/// Erlang's limit for a whole node name (`net_kernel`), and DNS's for a host name.
pub const MAX_NODE_NAME: usize = 255;
pub const MAX_HOST: usize = 253;
pub const MAX_LABEL: usize = 63;

/// An address as Erlang's `inet:ntoa/1` prints it, which is what libcluster puts after the
/// '@'. It is RFC 5952 (as Rust prints) except in `::/96`: Erlang writes the IPv4-compatible
/// form `::10.11.12.13` (but `::` and `::1` as such), where Rust writes `::a0b:c0d`.
pub fn ntoa(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ntoa6(v6),
    }
}

fn ntoa6(v6: Ipv6Addr) -> String {
    match v6.segments() {
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => v6.to_string(),
        [0, 0, 0, 0, 0, 0, hi, lo] => {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            format!("::{a}.{b}.{c}.{d}")
        }
        _ => v6.to_string(),
    }
}

/// Drops one trailing root dot (`cluster.local.`, libcluster's DNSSRV default).
pub fn strip_root_dot(domain: &str) -> &str {
    domain.strip_suffix('.').unwrap_or(domain)
}

/// Erlang's rule for the part before '@'.
pub fn check_basename(basename: &str) -> Result<(), NameError> {
    if basename.is_empty() {
        return Err(NameError::Missing(Part::Basename));
    }
    if let Some(bad) = basename
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(NameError::Invalid {
            part: Part::Basename,
            problem: format!(
                "contains {bad:?}; Erlang allows only letters, digits, '_' and '-' before the '@'"
            ),
        });
    }
    Ok(())
}

/// A DNS-1123 label, as Kubernetes requires of namespaces, Services and pod hostnames.
pub fn label(value: &str, part: Part) -> Result<&str, NameError> {
    label_problem(value)
        .map(|problem| Err(NameError::Invalid { part, problem }))
        .unwrap_or(Ok(value))
}

/// What makes `value` not a DNS-1123 label, if anything.
pub fn label_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".into());
    }
    if value.len() > MAX_LABEL {
        return Some(format!(
            "is {} characters long; a DNS label has at most {MAX_LABEL}",
            value.len()
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {bad:?}; a DNS-1123 label has only lowercase letters, digits and '-'"
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Some("starts or ends with '-'; a DNS-1123 label may not".into());
    }
    None
}

/// A DNS-1123 subdomain without a trailing dot (callers strip one root dot first).
pub fn domain(value: &str, part: Part) -> Result<&str, NameError> {
    let invalid = |problem: String| Err(NameError::Invalid { part, problem });
    if value.ends_with('.') {
        return invalid("ends with a dot; write it without the trailing root dot".into());
    }
    if value.len() > MAX_HOST {
        return invalid(format!(
            "is {} characters long; a DNS name has at most {MAX_HOST}",
            value.len()
        ));
    }
    for piece in value.split('.') {
        if let Some(problem) = label_problem(piece) {
            let which = if piece.is_empty() {
                "has an empty label (two dots in a row, or a leading dot)".to_owned()
            } else {
                format!("has a label {piece:?} that {problem}")
            };
            return invalid(which);
        }
    }
    Ok(value)
}

/// Erlang's own rules for a long (`-name`) node name.
pub fn check_name(name: &str, host: &str, host_is_ip: bool) -> Result<(), NameError> {
    let problem = if name.len() > MAX_NODE_NAME {
        Some(format!(
            "is {} characters long; Erlang refuses node names over {MAX_NODE_NAME}",
            name.len()
        ))
    } else if !host_is_ip && host.len() > MAX_HOST {
        Some(format!(
            "has a host part of {} characters; DNS allows at most {MAX_HOST}",
            host.len()
        ))
    } else if host.ends_with('.') {
        Some("ends with a dot, which the dialled name never has".into())
    } else if !host_is_ip && !host.contains('.') {
        Some("has a host without a dot; Erlang long names (-name) refuse it unless it is an IP address".into())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(NameError::Name {
            name: name.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn ntoa_matches_erlangs_inet_ntoa() {
        let mut sample: Vec<IpAddr> = [
            "::",
            "::1",
            "::2",
            "::a0b:c0d",
            "::ffff:a0b:c0d",
            "::1:0",
            "::ffff:1",
            "fd00::7",
            "1:0:0:1::1",
            "1::1:0:0:1",
            "1:0:0:1:0:0:1:1",
            "1:2:3:4:5:6:7:8",
            "0:1::",
            "fe80::1:0:0:0",
            "10.42.1.49",
            "0.0.0.0",
            "255.255.255.255",
        ]
        .iter()
        .map(|s| s.parse().expect("test address"))
        .collect();
        // Addresses with many zero groups, where compression choices differ.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let mut groups = [0u16; 8];
            for g in &mut groups {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *g = if x % 3 == 0 { (x >> 20) as u16 } else { 0 };
            }
            sample.push(IpAddr::V6(Ipv6Addr::from(groups)));
            sample.push(IpAddr::V4(Ipv4Addr::from((x >> 32) as u32)));
        }
        let terms: Vec<String> = sample
            .iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => {
                    let [a, b, c, d] = v4.octets();
                    format!("{{{a},{b},{c},{d}}}")
                }
                IpAddr::V6(v6) => {
                    let g = v6.segments().map(|s| s.to_string());
                    format!("{{{}}}", g.join(","))
                }
            })
            .collect();
        let script = format!(
            "[io:format(\"~s~n\", [inet:ntoa(A)]) || A <- [{}]], halt().",
            terms.join(",")
        );
        let out = std::process::Command::new("erl")
            .args(["-noshell", "-eval", &script])
            .output()
            .expect("run erl (scripts/test installs erlang-base)");
        let erlang = String::from_utf8(out.stdout).expect("ASCII");
        let ours: Vec<String> = sample.iter().map(|ip| ntoa(*ip)).collect();
        assert_eq!(erlang.lines().collect::<Vec<_>>(), ours);
    }

    /// The seed's `sed 's/./-/g'` dashed every character; CoreDNS dashes only the separators.
    #[test]
    fn domains_are_dns_names_without_the_root_dot() {
        assert_eq!(strip_root_dot("cluster.local."), "cluster.local");
        assert_eq!(strip_root_dot("cluster.local"), "cluster.local");
        assert!(domain("cluster.local", Part::ClusterDomain).is_ok());
        for bad in ["cluster..local", "cluster.local.", "Cluster.local", ""] {
            assert!(domain(bad, Part::ClusterDomain).is_err(), "{bad}");
        }
        assert!(label_problem("web-0").is_none());
        assert!(label_problem("-web").is_some());
    }
}
