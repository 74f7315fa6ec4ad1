//! Writing an output file so that a reader sees the old file or the new one, never half of
//! either: an unpredictable, exclusive temporary file in the same directory (tempfile), fsync,
//! rename over the target, fsync of the directory. relnode deletes only its own temporary file.
//!
//! The target must be a regular file or absent: a device, FIFO, socket or directory is never
//! replaced (running as root, renaming over `/dev/null` would make it a plain file), and a
//! symlink is refused, since in a shared volume it may point anywhere.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, InputError, shown};
use crate::files;

/// Refuses a target that must not be replaced, and one that is `protected` (the cookie file:
/// overwriting it would destroy the secret). Exit 2: this is bad input.
pub fn check_target(path: &Path, flag: &str, protected: Option<&Path>) -> Result<(), InputError> {
    let bad = |problem: String, fix: &str| InputError {
        subject: format!("output ({flag})"),
        found: Some(shown(path)),
        problem,
        fix: fix.to_owned(),
    };
    if path.file_name().is_none() {
        return Err(bad(
            "is not a file path".into(),
            "name a file, e.g. /run/relnode/env.sh",
        ));
    }
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        // Let the write say what is wrong with the directory.
        Err(_) => return Ok(()),
    };
    if meta.file_type().is_symlink() {
        return Err(bad(
            "is a symbolic link; relnode does not write through links (in a shared volume one may point anywhere)".into(),
            "point the flag at the real file, or remove the link",
        ));
    }
    if let Some(what) = files::kind_of(&meta) {
        return Err(bad(
            format!("is {what}; relnode replaces only regular files"),
            "name a file in a writable directory, e.g. /run/relnode/env.sh (use relnode env to print to stdout)",
        ));
    }
    if let Some(protected) = protected.and_then(|p| fs::metadata(p).ok()) {
        if protected.dev() == meta.dev() && protected.ino() == meta.ino() {
            return Err(bad(
                "is the cookie file; writing it would destroy the secret".into(),
                "write the env file somewhere else, e.g. /run/relnode/env.sh",
            ));
        }
    }
    Ok(())
}

/// Writes `contents` to `path` atomically with exactly `mode`. Failures carry a fix line.
pub fn write(path: &Path, contents: &[u8], mode: u32, flag: &str) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let fail = |what: String, e: io::Error| -> Error {
        // By kind: tempfile wraps the OS error with its path, which hides the raw errno.
        let fix = match e.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                "the volume is full; free space on it (an emptyDir with medium: Memory counts against the container's memory limit) or choose another --output"
            }
            io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => {
                "a parent of the path exists and is not a directory; remove it or choose another --output"
            }
            io::ErrorKind::IsADirectory => "the path is a directory; name a file inside it",
            io::ErrorKind::ReadOnlyFilesystem => {
                "the filesystem is read-only; mount a writable volume there (an emptyDir in Kubernetes) or choose another --output"
            }
            _ => {
                "the directory must be writable by this user; mount a volume there (an emptyDir in Kubernetes) or choose another --output"
            }
        };
        anyhow::anyhow!("{flag} {}: {what}: {e}\n  fix: {fix}", shown(path)).into()
    };
    fs::create_dir_all(dir)
        .map_err(|e| fail(format!("cannot create the directory {}", shown(dir)), e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".relnode-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            fail(
                format!("cannot create a temporary file in {}", shown(dir)),
                e,
            )
        })?;
    // The umask may narrow the mode; the file gets exactly what was asked.
    tmp.as_file()
        .set_permissions(Permissions::from_mode(mode))
        .and_then(|()| tmp.write_all(contents))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fail("cannot write".into(), e))?;
    // On failure the temporary file is dropped, and so removed: it is ours.
    tmp.persist(path)
        .map_err(|e| fail("cannot rename the temporary file over it".into(), e.error))?;
    if let Ok(dir) = File::open(dir) {
        dir.sync_all().ok();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_with_the_mode_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/env.sh");
        write(&path, b"one", 0o600, "--output").expect("write");
        write(&path, b"two", 0o644, "--output").expect("rewrite");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        assert_eq!(fs::metadata(&path).expect("meta").mode() & 0o777, 0o644);
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec!["env.sh"]);
    }

    /// A stale temporary file (a killed start, or another user's plant in a sticky volume)
    /// neither blocks the write nor is deleted.
    #[test]
    fn a_planted_temporary_file_is_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let planted = dir
            .path()
            .join(format!(".env.sh.relnode-{}.tmp", std::process::id()));
        fs::write(&planted, "not ours").expect("plant");
        let path = dir.path().join("env.sh");
        write(&path, b"ok", 0o644, "--output").expect("write");
        assert_eq!(fs::read(&planted).expect("still there"), b"not ours");
    }

    #[test]
    fn non_regular_targets_and_links_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        for path in [Path::new("/dev/null"), dir.path()] {
            let err = check_target(path, "--output", None)
                .unwrap_err()
                .to_string();
            assert!(err.contains("regular files"), "{err}");
        }
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/etc/passwd", &link).expect("symlink");
        let err = check_target(&link, "--output", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        let cookie = dir.path().join("cookie");
        fs::write(&cookie, "secret").expect("write");
        let err = check_target(&cookie, "--output", Some(&cookie))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cookie file"), "{err}");
        assert!(check_target(&dir.path().join("new"), "--output", Some(&cookie)).is_ok());
    }
}
