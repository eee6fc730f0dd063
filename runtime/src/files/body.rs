//! A file as a response body, read a chunk at a time.
//!
//! The body is a list of parts: bytes written by the runtime (the
//! boundaries of a multipart range response) and byte ranges of the open
//! file. A range is read when hyper asks for the next frame, at most
//! [`CHUNK`] bytes at a time, so a response holds one chunk in memory
//! however large the file. Reads are synchronous on the server thread, as
//! nginx's are by default: from the page cache they cost a copy; a cold
//! disk stalls the thread for the read (see docs/static-files.md).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::rc::Rc;

use hyper::body::Bytes;

use crate::body::BodyError;
use crate::server::cork::{Cork, PLACEHOLDER_LEN, Splice, placeholder};

/// The most read from the file per frame.
pub(crate) const CHUNK: u64 = 256 * 1024;

/// The shortest range sent with `sendfile(2)` (a shorter one is read:
/// one copy of a few KiB costs less than the splice's bookkeeping).
const SPLICE_MIN: u64 = 16 * 1024;

/// One part of a file body.
pub(crate) enum Part {
    /// Bytes of the runtime's own (multipart boundaries and part heads).
    Bytes(Bytes),
    /// Bytes `start..end` of the file.
    Range { start: u64, end: u64 },
    /// Placeholder bytes still to give hyper for a range queued as a
    /// splice on the connection.
    Spliced { left: u64 },
}

impl Part {
    /// Its length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Part::Bytes(b) => b.len() as u64,
            Part::Range { start, end } => end - start,
            Part::Spliced { left } => *left,
        }
    }
}

/// A response body read from an open file.
pub(crate) struct FileBody {
    file: Rc<File>,
    parts: VecDeque<Part>,
    /// Where the file's read position is (`None`: unknown, seek first).
    at: Option<u64>,
    remaining: u64,
    /// The connection's writes, once the body may go to the socket with
    /// `sendfile(2)` (see `server/cork.rs`).
    sink: Option<Rc<Cork>>,
}

impl FileBody {
    /// A body of `parts` of `file`.
    pub(crate) fn new(file: File, parts: Vec<Part>) -> FileBody {
        let remaining = parts.iter().map(Part::len).sum();
        FileBody {
            file: Rc::new(file),
            parts: parts.into(),
            at: None,
            remaining,
            sink: None,
        }
    }

    /// Sends the file's ranges (of at least [`SPLICE_MIN`] bytes) with
    /// `sendfile(2)` on the connection `cork` writes to: only for a body
    /// that goes to hyper as it is, on that connection.
    pub(crate) fn splice_into(&mut self, cork: Rc<Cork>) {
        self.sink = Some(cork);
    }

    /// The bytes still to send.
    pub(crate) fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next chunk, `None` at the end. A file that got shorter since
    /// its length was sent is an error: the connection is closed rather
    /// than the response padded or cut silently.
    pub(crate) fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        loop {
            let part = self.parts.front_mut()?;
            match part {
                Part::Bytes(b) => {
                    let b = std::mem::take(b);
                    self.parts.pop_front();
                    self.remaining -= b.len() as u64;
                    if !b.is_empty() {
                        return Some(Ok(b));
                    }
                }
                Part::Spliced { left } => {
                    let n = (*left).min(PLACEHOLDER_LEN as u64);
                    *left -= n;
                    if *left == 0 {
                        self.parts.pop_front();
                    }
                    self.remaining -= n;
                    if n == 0 {
                        continue;
                    }
                    return Some(Ok(placeholder().slice(..n as usize)));
                }
                Part::Range { start, end } => {
                    if *start >= *end {
                        self.parts.pop_front();
                        continue;
                    }
                    if let Some(sink) = &self.sink
                        && *end - *start >= SPLICE_MIN
                    {
                        let len = *end - *start;
                        sink.splice(Splice {
                            file: self.file.clone(),
                            offset: *start,
                            len,
                            ahead: 0,
                        });
                        *part = Part::Spliced { left: len };
                        continue;
                    }
                    let want = (*end - *start).min(CHUNK);
                    let pos = *start;
                    let read = read_at(&self.file, &mut self.at, pos, want);
                    return Some(match read {
                        Ok(buf) if buf.len() as u64 == want => {
                            *start += want;
                            self.remaining -= want;
                            Ok(Bytes::from(buf))
                        }
                        Ok(_) => {
                            self.parts.clear();
                            Err("the file got shorter while it was being sent".into())
                        }
                        Err(e) => {
                            self.parts.clear();
                            Err(Box::new(e))
                        }
                    });
                }
            }
        }
    }
}

/// Reads up to `want` bytes at `pos` (into a buffer the read fills, never
/// zeroed first).
fn read_at(mut file: &File, at: &mut Option<u64>, pos: u64, want: u64) -> std::io::Result<Vec<u8>> {
    if *at != Some(pos) {
        file.seek(SeekFrom::Start(pos))?;
    }
    let cap = usize::try_from(want).unwrap_or(usize::MAX);
    let mut buf = Vec::with_capacity(cap);
    let got = file.take(want).read_to_end(&mut buf);
    *at = match got {
        Ok(n) => Some(pos + n as u64),
        Err(_) => None,
    };
    got.map(|_| buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(bytes: &[u8]) -> File {
        let path = std::env::temp_dir().join(format!(
            "prebake-filebody-{}-{}",
            std::process::id(),
            bytes.len()
        ));
        std::fs::write(&path, bytes).unwrap();
        let f = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    fn drain(mut b: FileBody) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut frames = 0;
        while let Some(c) = b.next_chunk() {
            let c = c.unwrap();
            assert!(c.len() as u64 <= CHUNK.max(64));
            out.extend_from_slice(&c);
            frames += 1;
        }
        assert_eq!(b.remaining(), 0);
        (out, frames)
    }

    #[test]
    fn reads_ranges_and_parts_in_order_in_bounded_chunks() {
        let data: Vec<u8> = (0..(CHUNK as usize * 2 + 10))
            .map(|i| (i % 251) as u8)
            .collect();
        let body = FileBody::new(
            temp_file(&data),
            vec![Part::Range {
                start: 0,
                end: data.len() as u64,
            }],
        );
        assert_eq!(body.remaining(), data.len() as u64);
        let (out, frames) = drain(body);
        assert_eq!(out, data);
        assert_eq!(frames, 3);

        let body = FileBody::new(
            temp_file(&data),
            vec![
                Part::Bytes(Bytes::from_static(b"<")),
                Part::Range { start: 5, end: 8 },
                Part::Bytes(Bytes::from_static(b"|")),
                Part::Range { start: 1, end: 3 },
                Part::Bytes(Bytes::from_static(b">")),
            ],
        );
        let (out, _) = drain(body);
        assert_eq!(
            out,
            [b"<".as_slice(), &data[5..8], b"|", &data[1..3], b">"].concat()
        );
    }

    #[test]
    fn a_file_shorter_than_promised_is_an_error() {
        let mut body = FileBody::new(temp_file(b"abc"), vec![Part::Range { start: 0, end: 10 }]);
        assert!(body.next_chunk().unwrap().is_err());
        assert!(body.next_chunk().is_none());
    }
}
