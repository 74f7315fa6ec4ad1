//! epmd's PORT_PLEASE2 exchange (erl_dist_protocol, "Distribution Protocol": EPMD Protocol).
//!
//! Request: `Len:16, 122, Name` where Name is the node's short name (before the `@`).
//! Reply: `119, Result:8`; with Result 0 it goes on with `PortNo:16, NodeType:8, Protocol:8,
//! HighestVersion:16, LowestVersion:16, Nlen:16, NodeName, Elen:16, Extra`. epmd closes the
//! connection after the reply.

/// NAMES_REQ (110, `n`): epmd answers its own port (4 bytes) and one line per node,
/// `name <Name> at port <Port>`, then closes.
const NAMES_REQ: u8 = 110;
/// PORT_PLEASE2_REQ is 122 (`z`); its reply PORT2_RESP is 119 (`w`).
const PORT_PLEASE2_REQ: u8 = 122;
const PORT2_RESP: u8 = 119;

/// What epmd says about a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortReply {
    /// The node is registered: where it listens and which handshake versions it speaks.
    Port(NodePort),
    /// epmd knows no node of that name (a non-zero result).
    NoSuchNode(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePort {
    pub port: u16,
    /// 77 (`M`) a normal node, 72 (`H`) a hidden one.
    pub node_type: u8,
    /// 0: TCP/IPv4 (also sent for IPv6 and TLS: epmd does not know the carrier).
    pub protocol: u8,
    pub highest: u16,
    pub lowest: u16,
    pub name: String,
}

/// The request for `name` (the part before the `@`).
pub fn port_please2(name: &str) -> Vec<u8> {
    let len = u16::try_from(name.len() + 1).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(name.len() + 3);
    out.extend_from_slice(&len.to_be_bytes());
    out.push(PORT_PLEASE2_REQ);
    out.extend_from_slice(name.as_bytes());
    out
}

/// The NAMES_REQ request.
pub fn names_req() -> Vec<u8> {
    vec![0, 1, NAMES_REQ]
}

/// The node names in a whole NAMES_REQ reply (read until epmd closed); `None` when it is
/// not one.
pub fn names(buf: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(buf.get(4..)?).ok()?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let rest = l.strip_prefix("name ")?;
            rest.rsplit_once(" at port ")
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

/// Decodes a reply read so far: `Ok(None)` while more bytes are needed.
pub fn decode(buf: &[u8]) -> Result<Option<PortReply>, String> {
    let Some(&tag) = buf.first() else {
        return Ok(None);
    };
    if tag != PORT2_RESP {
        return Err(format!("not an epmd PORT2_RESP (first byte {tag})"));
    }
    let Some(&result) = buf.get(1) else {
        return Ok(None);
    };
    if result != 0 {
        return Ok(Some(PortReply::NoSuchNode(result)));
    }
    let mut r = Reader { buf, at: 2 };
    let (Some(port), Some(node_type), Some(protocol), Some(highest), Some(lowest), Some(nlen)) =
        (r.u16(), r.u8(), r.u8(), r.u16(), r.u16(), r.u16())
    else {
        return Ok(None);
    };
    let Some(name) = r.bytes(usize::from(nlen)) else {
        return Ok(None);
    };
    let name = String::from_utf8_lossy(name).into_owned();
    // The extra field is read for completeness: the reply is whole only with it.
    let Some(elen) = r.u16() else { return Ok(None) };
    if r.bytes(usize::from(elen)).is_none() {
        return Ok(None);
    }
    Ok(Some(PortReply::Port(NodePort {
        port,
        node_type,
        protocol,
        highest,
        lowest,
        name,
    })))
}

pub(super) struct Reader<'a> {
    pub buf: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    pub fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Option<u64> {
        let b = self.bytes(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_length_tag_name() {
        assert_eq!(port_please2("app"), [0, 4, 122, b'a', b'p', b'p']);
    }

    #[test]
    fn reply_decodes_only_when_whole() {
        let reply = [
            119, 0, 0xa1, 0x2b, 77, 0, 0, 6, 0, 6, 0, 3, b'a', b'p', b'p', 0, 1, 9,
        ];
        for cut in 0..reply.len() {
            assert_eq!(decode(&reply[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(
            decode(&reply),
            Ok(Some(PortReply::Port(NodePort {
                port: 0xa12b,
                node_type: 77,
                protocol: 0,
                highest: 6,
                lowest: 6,
                name: "app".into(),
            })))
        );
        assert_eq!(decode(&[119, 1]), Ok(Some(PortReply::NoSuchNode(1))));
        assert!(decode(&[120, 0]).is_err());
    }

    #[test]
    fn names_reply_lists_the_registered_names() {
        assert_eq!(names_req(), [0, 1, 110]);
        let reply = b"\0\0\x11\x11name myapp at port 41235\nname other at port 9\n";
        assert_eq!(names(reply), Some(vec!["myapp".into(), "other".into()]));
        assert_eq!(names(b"\0\0\x11\x11"), Some(vec![]));
        assert_eq!(names(b"\0\0"), None);
        assert_eq!(names(b"\0\0\0\0garbage\n"), None);
    }
}
