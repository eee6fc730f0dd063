//! The body of a route that takes uploaded files, spooled to a temporary
//! file past 1 MiB so that a large upload is not held in memory.
//!
//! Such a body may be as large as `--max-upload-size` (64 MiB by default).
//! Its first MiB is kept in memory (most forms end there); past that, what
//! was read and everything after goes to an unnamed temporary file in the
//! temporary directory (`TMPDIR`, else `/tmp`), which is mapped into memory
//! once the body is complete. The multipart parser then reads the mapping
//! as it reads any body, its parts borrow it, and the pages it touches are
//! the file's (the kernel writes them back and drops them under memory
//! pressure) rather than the heap's. The file has no name, so it goes away
//! with the mapping, which goes away with the last `Bytes` referring to it.
//!
//! Writes go to the temporary file from the interpreter thread, a frame at
//! a time (at most a few hundred KB each, into the page cache).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;

use hyper::body::Bytes;

/// How much of a body stays in memory before it moves to a file
/// (Starlette's `spool_max_size` for an `UploadFile`).
pub(crate) const IN_MEMORY: usize = 1024 * 1024;

/// A body being read: in memory, then in a temporary file.
pub(crate) struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
    len: usize,
}

impl Spool {
    pub(crate) fn new() -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            len: 0,
        }
    }

    /// Bytes taken so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `data`, moving to a file when the body passes [`IN_MEMORY`].
    pub(crate) fn push(&mut self, data: &[u8]) -> io::Result<()> {
        self.len += data.len();
        if let Some(f) = &mut self.file {
            return f.write_all(data);
        }
        if self.memory.len() + data.len() <= IN_MEMORY {
            self.memory.extend_from_slice(data);
            return Ok(());
        }
        let mut f = temporary()?;
        f.write_all(&self.memory)?;
        f.write_all(data)?;
        self.memory = Vec::new();
        self.file = Some(f);
        Ok(())
    }

    /// The whole body: the memory, or the file mapped.
    pub(crate) fn finish(self) -> io::Result<Bytes> {
        match self.file {
            None => Ok(Bytes::from(self.memory)),
            Some(f) => Ok(Bytes::from_owner(Mapped::new(&f, self.len)?)),
        }
    }
}

/// An unnamed temporary file (`O_TMPFILE`), or, where the file system
/// cannot make one, a named one removed at once.
fn temporary() -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    let unnamed = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(&dir);
    if let Ok(f) = unnamed {
        return Ok(f);
    }
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            "prebake-upload-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no temporary file name is free"))
}

/// A read-only mapping of a whole file, unmapped when dropped.
struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is private to this value, read-only, and stays valid
// until `drop`; nothing writes to the (unnamed) file once it is mapped.
unsafe impl Send for Mapped {}
// SAFETY: as above: shared access only reads.
unsafe impl Sync for Mapped {}

impl Mapped {
    fn new(f: &File, len: usize) -> io::Result<Mapped> {
        // SAFETY: a fresh read-only shared mapping of `len` bytes (> 0,
        // the spool only makes a file past IN_MEMORY) of an open file; the
        // result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the range just mapped. A hint only: the parser reads the
        // body front to back.
        unsafe { libc::madvise(ptr, len, libc::MADV_SEQUENTIAL) };
        Ok(Mapped { ptr, len })
    }
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::{IN_MEMORY, Spool};

    #[test]
    fn a_small_body_stays_in_memory_and_a_large_one_reads_back_whole() {
        let mut s = Spool::new();
        s.push(b"hello ").unwrap();
        s.push(b"world").unwrap();
        assert!(s.file.is_none());
        assert_eq!(&s.finish().unwrap()[..], b"hello world");

        let mut s = Spool::new();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        let mut want = Vec::new();
        for _ in 0..10 {
            s.push(&chunk).unwrap();
            want.extend_from_slice(&chunk);
        }
        assert!(s.file.is_some());
        assert!(want.len() > IN_MEMORY);
        assert_eq!(s.len(), want.len());
        let got = s.finish().unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got[..] == want[..]);
        // A slice outlives the handle it came from.
        let tail = got.slice(want.len() - 10..);
        drop(got);
        assert_eq!(&tail[..], &want[want.len() - 10..]);
    }
}
