//! The DNS client lives in core (`crate::dns`) since issue 16; check's modules still say
//! `dns::…`, so this re-export keeps them compiling until their `use` lines name `crate::dns`.
pub use crate::dns::*;
