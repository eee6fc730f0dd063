//! The body of every response the server sends.
//!
//! Most responses are one buffer known before the head is written (JSON,
//! text, error bodies); those stay a single `Bytes`, as cheap as
//! `http_body_util::Full`. Two kinds are not: a file (a static mount or a
//! `FileResponse`), read in chunks as the connection drains so a large file
//! never sits whole in memory, and a `StreamingResponse`, whose chunks a
//! Python iterator produces one at a time. One enum rather than a boxed
//! trait object keeps the common case free of an allocation and a virtual
//! call per frame.

use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Buf, Bytes, Frame, SizeHint};

use crate::files::{FileBody, PendingFile};

/// What failed while a body was being produced: the connection is closed
/// without finishing the body (the client sees a truncated response, never
/// a wrong one).
pub(crate) type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A source of body chunks produced on demand (a Python iterator).
pub(crate) trait Chunks {
    /// The next chunk, `None` at the end, an error to abort the response.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>>;

    /// The source itself, for a Python middleware that hands a
    /// `StreamingResponse`'s iterator back to Python (`None`: not one).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// A piece of a response body as hyper writes it: a `Bytes`, or the `Vec`
/// an encoder wrote. (A `Vec` made into `Bytes` costs a second allocation
/// unless it is exactly full, as an encoder's buffer seldom is; hyper
/// copies a body this small into its write buffer anyway.)
pub(crate) enum Chunk {
    Bytes(Bytes),
    /// The bytes and how many of them are written.
    Vec(Vec<u8>, usize),
}

impl Chunk {
    /// The chunk's bytes (left) as `Bytes`.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Chunk::Bytes(b) => b,
            Chunk::Vec(v, at) => Bytes::from(v).slice(at..),
        }
    }
}

impl From<Bytes> for Chunk {
    #[inline]
    fn from(b: Bytes) -> Chunk {
        Chunk::Bytes(b)
    }
}

impl From<Vec<u8>> for Chunk {
    #[inline]
    fn from(v: Vec<u8>) -> Chunk {
        Chunk::Vec(v, 0)
    }
}

impl hyper::body::Buf for Chunk {
    #[inline]
    fn remaining(&self) -> usize {
        match self {
            Chunk::Bytes(b) => b.len(),
            Chunk::Vec(v, at) => v.len() - at,
        }
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        match self {
            Chunk::Bytes(b) => b,
            Chunk::Vec(v, at) => &v[*at..],
        }
    }

    #[inline]
    fn advance(&mut self, n: usize) {
        match self {
            Chunk::Bytes(b) => b.advance(n),
            Chunk::Vec(v, at) => {
                assert!(n <= v.len() - *at, "advanced past the end of a body chunk");
                *at += n;
            }
        }
    }
}

/// A response body.
pub(crate) enum RespBody {
    /// One buffer (`None` once sent).
    Full(Option<Chunk>),
    /// A file, or ranges of one, read chunk by chunk.
    File(Box<FileBody>),
    /// Chunks produced on demand; sent with chunked transfer coding.
    Stream(Box<dyn Chunks>),
    /// A `FileResponse` not opened yet: the server completes it with the
    /// request's headers (`crate::files::complete`) before sending.
    PendingFile(Box<PendingFile>),
}

impl RespBody {
    /// A body of one buffer (an empty one ends at once).
    #[inline]
    pub(crate) fn full(bytes: impl Into<Chunk>) -> RespBody {
        let chunk = bytes.into();
        RespBody::Full(if chunk.remaining() == 0 {
            None
        } else {
            Some(chunk)
        })
    }

    /// An empty body.
    #[inline]
    pub(crate) fn empty() -> RespBody {
        RespBody::Full(None)
    }
}

impl hyper::body::Body for RespBody {
    type Data = Chunk;
    type Error = BodyError;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Chunk>, BodyError>>> {
        let data = |b: Bytes| Frame::data(Chunk::Bytes(b));
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RespBody::File(f) => Poll::Ready(f.next_chunk().map(|r| r.map(data))),
            RespBody::Stream(s) => s.poll_chunk(cx).map(|c| c.map(|r| r.map(data))),
            RespBody::PendingFile(_) => {
                Poll::Ready(Some(Err("a FileResponse reached the wire unopened".into())))
            }
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match self {
            RespBody::Full(b) => b.is_none(),
            RespBody::File(f) => f.remaining() == 0,
            RespBody::Stream(_) | RespBody::PendingFile(_) => false,
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Full(b) => {
                SizeHint::with_exact(b.as_ref().map_or(0, |b| b.remaining() as u64))
            }
            RespBody::File(f) => SizeHint::with_exact(f.remaining()),
            RespBody::Stream(_) | RespBody::PendingFile(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use hyper::body::{Buf, Bytes};

    use super::Chunk;

    #[test]
    fn a_vec_chunk_reads_as_a_bytes_one() {
        for mut chunk in [
            Chunk::from(b"hello, world".to_vec()),
            Chunk::from(Bytes::from_static(b"hello, world")),
        ] {
            assert_eq!(chunk.remaining(), 12);
            assert_eq!(chunk.chunk(), b"hello, world");
            chunk.advance(7);
            assert_eq!((chunk.remaining(), chunk.chunk()), (5, &b"world"[..]));
            assert_eq!(chunk.into_bytes(), Bytes::from_static(b"world"));
        }
    }
}
