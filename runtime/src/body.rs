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

use hyper::body::{Bytes, Frame, SizeHint};

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

/// A response body.
pub(crate) enum RespBody {
    /// One buffer (`None` once sent).
    Full(Option<Bytes>),
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
    pub(crate) fn full(bytes: Bytes) -> RespBody {
        RespBody::Full(if bytes.is_empty() { None } else { Some(bytes) })
    }

    /// An empty body.
    #[inline]
    pub(crate) fn empty() -> RespBody {
        RespBody::Full(None)
    }
}

impl hyper::body::Body for RespBody {
    type Data = Bytes;
    type Error = BodyError;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RespBody::File(f) => Poll::Ready(f.next_chunk().map(|r| r.map(Frame::data))),
            RespBody::Stream(s) => s.poll_chunk(cx).map(|c| c.map(|r| r.map(Frame::data))),
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
            RespBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            RespBody::File(f) => SizeHint::with_exact(f.remaining()),
            RespBody::Stream(_) | RespBody::PendingFile(_) => SizeHint::default(),
        }
    }
}
