//! The first half of the distribution handshake, version 6 (OTP 23+), as the connecting
//! side: `send_name`, then the peer's status and challenge (erl_dist_protocol,
//! "Distribution Handshake"; kernel's dist_util.erl). Every message is framed by a 16-bit
//! big-endian length.

use super::epmd::Reader;

/// Flag bits from erts/emulator/beam/dist.h (and kernel's include/dist.hrl).
pub const DFLAG_EXTENDED_REFERENCES: u64 = 0x4;
pub const DFLAG_FUN_TAGS: u64 = 0x10;
pub const DFLAG_NEW_FUN_TAGS: u64 = 0x80;
pub const DFLAG_EXTENDED_PIDS_PORTS: u64 = 0x100;
pub const DFLAG_EXPORT_PTR_TAG: u64 = 0x200;
pub const DFLAG_BIT_BINARIES: u64 = 0x400;
pub const DFLAG_NEW_FLOATS: u64 = 0x800;
pub const DFLAG_UTF8_ATOMS: u64 = 0x1_0000;
pub const DFLAG_MAP_TAG: u64 = 0x2_0000;
pub const DFLAG_BIG_CREATION: u64 = 0x4_0000;
pub const DFLAG_HANDSHAKE_23: u64 = 0x100_0000;
pub const DFLAG_UNLINK_ID: u64 = 0x200_0000;
pub const DFLAG_MANDATORY_25_DIGEST: u64 = 0x400_0000;
pub const DFLAG_V4_NC: u64 = 0x4 << 32;

/// dist.h's DFLAG_DIST_MANDATORY_25: what OTP 25+ requires of a peer (check_dflags).
pub const MANDATORY_25: u64 = DFLAG_EXTENDED_REFERENCES
    | DFLAG_FUN_TAGS
    | DFLAG_EXTENDED_PIDS_PORTS
    | DFLAG_UTF8_ATOMS
    | DFLAG_NEW_FUN_TAGS
    | DFLAG_BIG_CREATION
    | DFLAG_NEW_FLOATS
    | DFLAG_MAP_TAG
    | DFLAG_EXPORT_PTR_TAG
    | DFLAG_BIT_BINARIES
    | DFLAG_HANDSHAKE_23;
/// dist.h's DFLAG_DIST_MANDATORY_26.
pub const MANDATORY_26: u64 = DFLAG_V4_NC | DFLAG_UNLINK_ID;

/// What we announce: exactly the mandatory set (plus the OTP 25 digest bit, which stands for
/// it and which dist.hrl says OTP 27+ may come to require). Without DFLAG_PUBLISHED we are a
/// hidden node, so the peer's `nodes()` and global never see the probe.
pub const OUR_FLAGS: u64 = MANDATORY_25 | MANDATORY_26 | DFLAG_MANDATORY_25_DIGEST;

/// The handshake version whose send_name this is (OTP 23+).
pub const VERSION: u16 = 6;

/// The framed `send_name` ('N') for `name`: flags, creation, name length, name.
pub fn send_name(name: &str, creation: u32) -> Vec<u8> {
    let mut body = vec![b'N'];
    body.extend_from_slice(&OUR_FLAGS.to_be_bytes());
    body.extend_from_slice(&creation.to_be_bytes());
    body.extend_from_slice(&u16::try_from(name.len()).unwrap_or(u16::MAX).to_be_bytes());
    body.extend_from_slice(name.as_bytes());
    let mut out = u16::try_from(body.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(&body);
    out
}

/// Splits one framed message off the front of `buf`: its body and the bytes it took.
pub fn frame(buf: &[u8]) -> Option<(&[u8], usize)> {
    let len = usize::from(u16::from_be_bytes([*buf.first()?, *buf.get(1)?]));
    Some((buf.get(2..2 + len)?, 2 + len))
}

/// The peer's `recv_status` answer ('s' + text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `ok` or `ok_simultaneous`: a challenge follows.
    Ok,
    Nok,
    NotAllowed,
    /// A connection from a node of our name is up: the peer waits for our true/false.
    Alive,
    /// `named:`, or anything else: the text.
    Other(String),
}

pub fn status(body: &[u8]) -> Result<Status, String> {
    match body.split_first() {
        Some((b's', text)) => Ok(match text {
            b"ok" | b"ok_simultaneous" => Status::Ok,
            b"nok" => Status::Nok,
            b"not_allowed" => Status::NotAllowed,
            b"alive" => Status::Alive,
            other => Status::Other(String::from_utf8_lossy(other).into_owned()),
        }),
        _ => Err(format!(
            "expected a status ('s'), got {}",
            shown_bytes(body)
        )),
    }
}

/// The peer's challenge ('N', version 6): who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub flags: u64,
    pub challenge: u32,
    pub creation: u32,
    pub name: String,
}

pub fn challenge(body: &[u8]) -> Result<Challenge, String> {
    let bad = || {
        format!(
            "expected a version-6 challenge ('N'), got {}",
            shown_bytes(body)
        )
    };
    let mut r = Reader { buf: body, at: 0 };
    if r.u8() != Some(b'N') {
        return Err(bad());
    }
    let (Some(flags), Some(challenge), Some(creation), Some(len)) =
        (r.u64(), r.u32(), r.u32(), r.u16())
    else {
        return Err(bad());
    };
    let name = r.bytes(usize::from(len)).ok_or_else(bad)?;
    Ok(Challenge {
        flags,
        challenge,
        creation,
        name: String::from_utf8_lossy(name).into_owned(),
    })
}

/// The first bytes, escaped, for a message about something unexpected.
fn shown_bytes(body: &[u8]) -> String {
    let head = &body[..body.len().min(24)];
    format!("{:?}", String::from_utf8_lossy(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_the_mandatory_set_of_dist_h() {
        // The values dist.h gives DFLAG_DIST_MANDATORY_25 / _26 (OTP 26+).
        assert_eq!(MANDATORY_25, 0x0107_0f94);
        assert_eq!(MANDATORY_26, 0x4_0200_0000);
        assert_eq!(OUR_FLAGS, 0x4_0707_0f94);
    }

    #[test]
    fn send_name_layout() {
        let msg = send_name("a@b", 0x0102_0304);
        let mut want = vec![0, 18, b'N'];
        want.extend_from_slice(&OUR_FLAGS.to_be_bytes());
        want.extend_from_slice(&[1, 2, 3, 4, 0, 3, b'a', b'@', b'b']);
        assert_eq!(msg, want);
        assert_eq!(frame(&msg).map(|(body, n)| (body.len(), n)), Some((18, 20)));
    }

    #[test]
    fn frames_status_and_challenge() {
        assert_eq!(frame(&[0, 3, b's', b'o']), None);
        let mut buf = vec![0, 3, b's', b'o', b'k'];
        let mut ch = vec![b'N'];
        ch.extend_from_slice(&0x0007_0000_0000_0004u64.to_be_bytes());
        ch.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 7, 0, 5]);
        ch.extend_from_slice(b"x@y.z");
        buf.extend_from_slice(&(ch.len() as u16).to_be_bytes());
        buf.extend_from_slice(&ch);
        let (body, used) = frame(&buf).unwrap();
        assert_eq!(status(body), Ok(Status::Ok));
        let (body, _) = frame(&buf[used..]).unwrap();
        assert_eq!(
            challenge(body),
            Ok(Challenge {
                flags: 0x0007_0000_0000_0004,
                challenge: 9,
                creation: 7,
                name: "x@y.z".into()
            })
        );
        assert_eq!(status(b"snot_allowed"), Ok(Status::NotAllowed));
        assert_eq!(status(b"snok"), Ok(Status::Nok));
        assert_eq!(status(b"salive"), Ok(Status::Alive));
        assert!(status(b"x").is_err());
        assert!(challenge(b"N\0\0").is_err());
        assert!(challenge(b"n").is_err());
    }
}
