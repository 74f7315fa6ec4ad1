//! Text assembled at compile time from the value lists, so `--help` lines and messages cannot
//! drift from what the parsers accept. [`text!`] turns a [`Text`] into an exactly sized
//! `&'static str` (only those bytes reach the binary).

use super::{Choice, MODES, Mode, Strategy};

/// A fixed buffer that const code appends to.
pub struct Text {
    buf: [u8; 512],
    pub len: usize,
}

impl Text {
    pub const fn new() -> Text {
        Text {
            buf: [0; 512],
            len: 0,
        }
    }

    pub const fn add(mut self, s: &str) -> Text {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// The list's names: `a, b, c` (`last` ", ") or `a, b or c` (`last` " or ").
    pub const fn names<T: Copy>(mut self, list: &[Choice<T>], last: &str) -> Text {
        let mut i = 0;
        while i < list.len() {
            if i > 0 {
                self = self.add(if i + 1 == list.len() { last } else { ", " });
            }
            self = self.add(list[i].name);
            i += 1;
        }
        self
    }

    /// Mode names, `a, b or c`.
    pub const fn modes(mut self, modes: &[Mode]) -> Text {
        let mut i = 0;
        while i < modes.len() {
            if i > 0 {
                self = self.add(if i + 1 == modes.len() { " or " } else { ", " });
            }
            self = self.add(mode_name(modes[i]));
            i += 1;
        }
        self
    }

    /// `kubernetes with mode ip, dns or hostname; dns with mode ip; ...`
    pub const fn shapes(mut self, list: &[Choice<Strategy>]) -> Text {
        let mut i = 0;
        while i < list.len() {
            if i > 0 {
                self = self.add("; ");
            }
            self = self
                .add(list[i].name)
                .add(" with mode ")
                .modes(list[i].value.modes());
            i += 1;
        }
        self
    }

    /// The first `N` bytes (`N` is `self.len`, given through the caller's array type).
    pub const fn exact<const N: usize>(&self) -> [u8; N] {
        let mut out = [0; N];
        let mut i = 0;
        while i < N {
            out[i] = self.buf[i];
            i += 1;
        }
        out
    }
}

const fn mode_name(mode: Mode) -> &'static str {
    let mut i = 0;
    while i < MODES.len() {
        if MODES[i].value as u8 == mode as u8 {
            return MODES[i].name;
        }
        i += 1;
    }
    panic!("every mode is in MODES")
}

/// `text!(Text::new().add(..))`: the built text as a `&'static str` constant.
macro_rules! text {
    ($build:expr) => {{
        const BUILT: $crate::libcluster::text::Text = $build;
        const BYTES: [u8; BUILT.len] = BUILT.exact();
        match ::core::str::from_utf8(&BYTES) {
            Ok(s) => s,
            Err(_) => panic!("the lists are UTF-8"),
        }
    }};
}
pub(crate) use text;
