//! From a request path to a file inside a mount's directory, and never
//! outside it.
//!
//! The path is split on `/` after percent-decoding, so `%2f` is a
//! separator and `%2e%2e` is `..`. Empty and `.` segments are dropped, `..`
//! removes the segment before it and is refused past the top; a segment
//! holding a backslash or NUL, or longer than a file name can be, is
//! refused; what is left is joined under the directory, so an absolute path
//! stays inside it. Unless the mount follows symlinks, the opened file's
//! real path (one `readlink` of `/proc/self/fd/N`) must lie under the
//! directory's real path: a symlink leading outside is refused, one
//! inside is served, as Starlette decides with `os.path.realpath`.

use std::fs::{File, Metadata, OpenOptions};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::cache;
use super::send::Opened;
use crate::request::percent_decode;

/// What a path names.
pub(crate) enum Found {
    /// A regular file, opened.
    File(Opened),
    /// A directory.
    Dir,
    /// Nothing that may be served.
    Missing,
    /// A file the server may not read (Starlette answers `401`).
    Forbidden,
}

/// The longest file name Linux allows.
const NAME_MAX: usize = 255;

/// The segments of `rest` (the path after the mount, still
/// percent-encoded), or `None` when it is refused outright.
pub(crate) fn segments(rest: &str) -> Option<Vec<String>> {
    let decoded = percent_decode(rest);
    let mut out: Vec<String> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            _ if seg.len() > NAME_MAX || seg.contains(['\\', '\0']) => return None,
            _ => out.push(seg.to_owned()),
        }
    }
    Some(out)
}

/// Opens `segments` under `root`; with `guard`, only a file whose real
/// path lies under `guard` is served.
pub(crate) fn lookup(root: &Path, guard: Option<&Path>, segments: &[String]) -> Found {
    let mut path = root.to_path_buf();
    for s in segments {
        path.push(s);
    }
    if let Some(hit) = cache::get(&path) {
        return Found::File(Opened::Cached(hit));
    }
    match open(&path) {
        Ok(Some((file, meta))) => {
            if let Some(guard) = guard
                && !inside(&file, &path, guard)
            {
                return Found::Missing;
            }
            Found::File(admit(&path, file, &meta))
        }
        Ok(None) => {
            if guard.is_some_and(|g| !std::fs::canonicalize(&path).is_ok_and(|p| p.starts_with(g)))
            {
                return Found::Missing;
            }
            Found::Dir
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Found::Forbidden,
        Err(_) => Found::Missing,
    }
}

/// Opens the regular file at `path` for sending (from memory when it is
/// small, see [`cache`]): `Ok(None)` for a directory, an error for
/// anything else (missing, a device, a FIFO).
pub(crate) fn open_file(path: &Path) -> std::io::Result<Option<Opened>> {
    if let Some(hit) = cache::get(path) {
        return Ok(Some(Opened::Cached(hit)));
    }
    Ok(open(path)?.map(|(file, meta)| admit(path, file, &meta)))
}

/// `file`, kept in memory when the cache takes it.
fn admit(path: &Path, file: File, meta: &Metadata) -> Opened {
    match cache::admit(path, &file, meta) {
        Some(entry) => Opened::Cached(entry),
        None => Opened::File {
            file,
            len: meta.len(),
            mtime: meta.modified().unwrap_or(UNIX_EPOCH),
        },
    }
}

/// Opens a regular file for reading: `Ok(None)` for a directory, an error
/// for anything else (missing, a device, a FIFO). `O_NONBLOCK` so that a
/// FIFO in the directory cannot hang the server thread in `open`.
fn open(path: &Path) -> std::io::Result<Option<(File, Metadata)>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(ErrorKind::NotFound.into());
    }
    Ok(Some((file, meta)))
}

/// Whether the opened `file` (opened as `path`) really lies under `guard`.
fn inside(file: &File, path: &Path, guard: &Path) -> bool {
    let proc = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let real = std::fs::read_link(proc).or_else(|_| std::fs::canonicalize(path));
    real.is_ok_and(|r| r.starts_with(guard))
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn segments_refuse_every_way_out() {
        let ok = |p: &str| segments(p).map(|v| v.join("/"));
        assert_eq!(ok("/css/site.css").as_deref(), Some("css/site.css"));
        assert_eq!(ok("//a/./b//").as_deref(), Some("a/b"));
        assert_eq!(ok("/a/../b").as_deref(), Some("b"));
        assert_eq!(ok("/a%2fb").as_deref(), Some("a/b"));
        assert_eq!(ok("/a%20b.txt").as_deref(), Some("a b.txt"));
        assert_eq!(ok("/%2Fetc%2Fpasswd").as_deref(), Some("etc/passwd"));
        assert_eq!(ok(""), Some(String::new()));
        for bad in [
            "/../secret",
            "/a/../../secret",
            "/%2e%2e/secret",
            "/%2E%2E%2Fsecret",
            "/..%2fsecret",
            "/.%2e/secret",
            "/..\\secret",
            "/a%5c..%5csecret",
            "/a%00.txt",
        ] {
            assert_eq!(segments(bad), None, "{bad}");
        }
        assert_eq!(segments(&format!("/{}", "a".repeat(300))), None);
    }
}
