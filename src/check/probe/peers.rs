//! `peer-node`, with `--peers`: each peer libcluster would dial answers Erlang's handshake
//! with the name it was dialled by (epmd 4369, then its port, up to the peer's challenge; no
//! cookie, nothing after it; all peers at once under one deadline: `check::handshake`).

use crate::check::{Check, CheckInput, Dial, Status, handshake};
use crate::dns::Resolver;

/// The handshake lines for every peer that is not us; a skip when the lookup gave no peer list.
pub fn peers(input: &CheckInput, resolver: &Resolver, dialled: Option<&[Dial]>) -> Vec<Check> {
    match dialled {
        Some(dialled) => {
            let peers: Vec<&str> = dialled
                .iter()
                .filter(|d| !d.ours)
                .map(|d| d.name.as_str())
                .collect();
            handshake::checks(input, resolver, &peers)
        }
        None => vec![Check::new(
            "peer-node",
            Status::Skip,
            "handshake with each peer (epmd 4369, then its port)",
            "no peer list: the strategy's lookup failed",
        )],
    }
}
