//! Reading an input file without letting it hurt: symlinks are followed, the target must be a
//! regular file (a FIFO would block forever, `/dev/zero` never ends), and the size is capped.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Caps, by what the file is. Kubelet writes these files small; a cookie is an atom (255).
pub const MAX_KUBELET_FILE: u64 = 64 * 1024;
pub const MAX_COOKIE_FILE: u64 = 4 * 1024;
pub const MAX_TEMPLATE: u64 = 1024 * 1024;

#[derive(Debug)]
pub enum ReadError {
    /// ENOENT: the only error that lets a default file count as absent.
    NotFound,
    /// Not a regular file: what it is instead.
    NotRegular(&'static str),
    TooLarge {
        limit: u64,
    },
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("does not exist"),
            ReadError::NotRegular(what) => write!(f, "is {what}, not a regular file"),
            ReadError::TooLarge { limit } => write!(f, "is larger than {limit} bytes"),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// What a non-regular file is, in words.
pub fn kind_of(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else {
        Some("not a regular file")
    }
}

/// Reads at most `limit` bytes of the regular file at `path` (symlinks followed).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the type is checked
    // on the open file, so nothing can be swapped in between.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(e),
        })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = kind_of(&meta) {
        return Err(ReadError::NotRegular(what));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    read_capped(file, limit, meta.len())
}

/// The file may grow after the size check (or report 0, as /proc files do): read one byte past
/// the cap to tell.
fn read_capped(file: File, limit: u64, size: u64) -> Result<Vec<u8>, ReadError> {
    // Sized from fstat, so a small file is one read plus the one that sees its end.
    let mut bytes = Vec::with_capacity(size.min(limit) as usize + 1);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_others_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("f");
        std::fs::write(&file, b"abc").expect("write");
        assert_eq!(read_limited(&file, 3).expect("fits"), b"abc");
        assert!(matches!(
            read_limited(&file, 2),
            Err(ReadError::TooLarge { limit: 2 })
        ));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert_eq!(read_limited(&link, 10).expect("followed"), b"abc");
        assert!(matches!(
            read_limited(&dir.path().join("none"), 10),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_limited(dir.path(), 10),
            Err(ReadError::NotRegular("a directory"))
        ));
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular("a character device"))
        ));
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        // Would block forever without O_NONBLOCK: no writer ever comes.
        assert!(matches!(
            read_limited(&fifo, 10),
            Err(ReadError::NotRegular("a FIFO"))
        ));
    }

    #[test]
    fn a_file_that_reports_no_size_is_still_capped() {
        // /proc files report size 0 and are regular.
        let bytes = read_limited(Path::new("/proc/self/status"), MAX_KUBELET_FILE).expect("small");
        assert!(!bytes.is_empty());
        assert!(matches!(
            read_limited(Path::new("/proc/self/status"), 8),
            Err(ReadError::TooLarge { limit: 8 })
        ));
    }
}
