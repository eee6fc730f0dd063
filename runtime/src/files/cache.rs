//! Small files kept in memory, checked against the disk on every request.
//!
//! A static file of a few KiB costs more in system calls than in bytes:
//! open, fstat, read, close (and a `readlink` for the symlink check) for a
//! kilobyte of data. A file of at most [`MAX_FILE`] bytes that has been
//! served once is kept here, with its validators formatted, under its path;
//! the next request for it makes one `stat` of that path and answers from
//! memory when the file is still the same one: same device and inode, size,
//! modification and change times (a `chmod` changes the last; a symlink
//! pointed elsewhere changes the inode). Anything else is a miss and the
//! file is read again, so an edit is seen by the next request, as without
//! the cache.
//!
//! Timestamps have the kernel's tick as resolution: a file written twice
//! within a tick, to the same size, keeps its times. So a file changed less
//! than [`SETTLE`] ago is not kept (served from disk until it settles), as
//! git treats a racily clean index entry.
//!
//! One cache per server thread (no locks); at most [`BUDGET`] bytes, an
//! arbitrary entry evicted to make room. Path checks (traversal, the
//! symlink guard) run before a file is kept; a hit is a path that passed
//! them, naming the same inode.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::body::Bytes;
use hyper::header::HeaderValue;

/// The largest file kept.
pub(crate) const MAX_FILE: u64 = 64 * 1024;

/// The most bytes kept per server thread (file bytes plus a fixed
/// overhead per entry).
const BUDGET: usize = 32 * 1024 * 1024;

/// What an entry costs besides its bytes (map slot, path, validators).
const ENTRY_OVERHEAD: usize = 256;

/// How long after its last change a file is kept.
const SETTLE: Duration = Duration::from_secs(2);

/// A file in memory, with its validators ready.
pub(crate) struct Entry {
    pub(crate) bytes: Bytes,
    pub(crate) mtime: SystemTime,
    /// The `ETag` of the file as it is (no encoding variant).
    pub(crate) etag: HeaderValue,
    pub(crate) last_modified: HeaderValue,
    /// The type its name gives (`super::mime::header`).
    pub(crate) content_type: HeaderValue,
    stamp: Stamp,
}

/// What tells a file apart from its next version.
#[derive(PartialEq, Eq, Clone, Copy)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(meta: &Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// Entries by their path's bytes (hashed as one string: `Path`'s own hash
/// walks its components, five times the cost).
#[derive(Default)]
struct Cache {
    map: HashMap<Box<[u8]>, Rc<Entry>>,
    used: usize,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// The kept file at `path`, when the disk still holds the same one.
pub(crate) fn get(path: &Path) -> Option<Rc<Entry>> {
    let entry = CACHE.with(|c| c.borrow().map.get(key(path)).cloned())?;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && Stamp::of(&meta) == entry.stamp => Some(entry),
        _ => {
            forget(path);
            None
        }
    }
}

fn forget(path: &Path) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(old) = c.map.remove(key(path)) {
            c.used -= cost(key(path), &old);
        }
    });
}

fn cost(key: &[u8], entry: &Entry) -> usize {
    entry.bytes.len() + key.len() + ENTRY_OVERHEAD
}

/// Keeps the opened `file` (whose `fstat` gave `meta`) when it is small
/// and settled: the entry, or `None` when it is not kept (then it is sent
/// from the file).
pub(crate) fn admit(path: &Path, file: &File, meta: &Metadata) -> Option<Rc<Entry>> {
    let len = meta.len();
    if len > MAX_FILE {
        return None;
    }
    let now = SystemTime::now();
    let settled = |secs: i64, nsec: i64| {
        let t = UNIX_EPOCH
            + Duration::new(
                u64::try_from(secs).unwrap_or(0),
                u32::try_from(nsec).unwrap_or(0),
            );
        now.duration_since(t).is_ok_and(|d| d >= SETTLE)
    };
    if !settled(meta.mtime(), meta.mtime_nsec()) || !settled(meta.ctime(), meta.ctime_nsec()) {
        return None;
    }
    let size = usize::try_from(len).ok()?;
    let mut buf = vec![0u8; size];
    let mut got = 0;
    while got < size {
        match file.read_at(&mut buf[got..], got as u64) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got += n,
        }
    }
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    let entry = Rc::new(Entry {
        bytes: Bytes::from(buf),
        mtime,
        etag: HeaderValue::from_str(&super::send::etag(mtime, len, "")).ok()?,
        last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(mtime)).ok()?,
        content_type: super::mime::header(&path.file_name().unwrap_or_default().to_string_lossy()),
        stamp: Stamp::of(meta),
    });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let need = cost(key(path), &entry);
        if need > BUDGET {
            return;
        }
        if let Some(old) = c.map.remove(key(path)) {
            c.used -= cost(key(path), &old);
        }
        while c.used + need > BUDGET {
            let Some(victim) = c.map.keys().next().cloned() else {
                break;
            };
            if let Some(old) = c.map.remove(&victim) {
                c.used -= cost(&victim, &old);
            }
        }
        c.used += need;
        c.map.insert(key(path).into(), entry.clone());
    });
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn old_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let past = SystemTime::now() - Duration::from_secs(60);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(past)
            .unwrap();
        path
    }

    fn admit_path(path: &Path) -> Option<Rc<Entry>> {
        let f = File::open(path).unwrap();
        let meta = f.metadata().unwrap();
        admit(path, &f, &meta)
    }

    #[test]
    fn keeps_small_settled_files_and_sees_changes() {
        let dir = std::env::temp_dir().join(format!("prebake-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = old_file(&dir, "a.txt", b"hello");
        let big = old_file(&dir, "big.bin", &vec![7u8; MAX_FILE as usize + 1]);
        // The change time is now (the mtime was just set): not settled.
        assert!(admit_path(&path).is_none());
        assert!(get(&path).is_none());
        std::thread::sleep(SETTLE + Duration::from_millis(50));
        let e = admit_path(&path).expect("settled");
        assert_eq!(&e.bytes[..], b"hello");
        assert_eq!(e.content_type, "text/plain; charset=utf-8");
        assert!(get(&path).is_some());
        // Rewritten (same size): a miss, and forgotten.
        std::fs::write(&path, b"HELLO").unwrap();
        assert!(get(&path).is_none());
        assert!(CACHE.with(|c| !c.borrow().map.contains_key(key(&path))));
        // Too large.
        assert!(admit_path(&big).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
