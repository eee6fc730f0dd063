//! A connection's writes held back until its task has done all it can, then
//! sent in one `write`.
//!
//! hyper writes each response as soon as it is made. A pipelining client
//! (16 requests in one packet, as TechEmpower measures plaintext) then costs
//! 16 `write` calls where one would do, and the kernel's share of each
//! request is most of its cost. hyper's own remedy, `pipeline_flush`, skips
//! the flush while more requests are buffered, but it also skips it on the
//! way out when a request cannot be parsed: the 400 or 431 it wrote stays in
//! its buffer and the connection closes without it.
//!
//! So the socket hyper sees is a [`Corked`] one: what hyper writes is copied
//! into a buffer shared with the connection task, and [`Cork::flush`] sends
//! it when the task's poll of the connection returns `Pending` (it has
//! answered every request it has bytes for), when hyper shuts the socket
//! down (after a parse error or a `Connection: close`), or when the buffer
//! passes [`HIGH_WATER`] (a large body). A response is never held while the
//! task waits: the flush runs before the task sleeps, and a socket that
//! cannot take more wakes the task when it can.
//!
//! Cost on a closed-loop request: one copy of the response's bytes (already
//! in one buffer: hyper writes without writev here) and no extra system call.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Past this many buffered bytes a write is sent before more is taken.
const HIGH_WATER: usize = 64 * 1024;

/// The write side of a connection and what is waiting to go out on it,
/// shared by hyper's [`Corked`] socket and the connection task.
pub(crate) struct Cork {
    inner: RefCell<Out>,
}

struct Out {
    write: OwnedWriteHalf,
    buf: Vec<u8>,
    /// How much of `buf` has been sent.
    sent: usize,
}

impl Out {
    /// Sends what is buffered; `Pending` (the task woken when the socket
    /// can take more) while some is left.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.buf.len() {
            let n = ready!(Pin::new(&mut self.write).poll_write(cx, &self.buf[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.buf.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl Cork {
    /// Sends what hyper has written; `Pending` while the socket cannot take
    /// all of it (the task is woken when it can).
    pub(crate) fn flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut out = self.inner.borrow_mut();
        if out.buf.is_empty() {
            return Poll::Ready(Ok(()));
        }
        out.poll_send(cx)
    }
}

/// The socket hyper reads from and writes into.
pub(crate) struct Corked {
    read: OwnedReadHalf,
    cork: Rc<Cork>,
}

/// Splits `stream` into hyper's socket and the connection task's handle on
/// what it writes.
pub(crate) fn cork(stream: TcpStream) -> (Corked, Rc<Cork>) {
    let (read, write) = stream.into_split();
    let cork = Rc::new(Cork {
        inner: RefCell::new(Out {
            write,
            buf: Vec::new(),
            sent: 0,
        }),
    });
    (
        Corked {
            read,
            cork: cork.clone(),
        },
        cork,
    )
}

impl AsyncRead for Corked {
    #[inline]
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for Corked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut out = self.cork.inner.borrow_mut();
        if out.buf.len() + data.len() > HIGH_WATER {
            ready!(out.poll_send(cx))?;
            if data.len() > HIGH_WATER {
                // Nothing buffered now: a large write goes straight out.
                return Pin::new(&mut out.write).poll_write(cx, data);
            }
        }
        out.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    /// Nothing: the connection task flushes once hyper is done for now.
    #[inline]
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// What is buffered goes first (the 400 of a request hyper could not
    /// parse, a response with `Connection: close`).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut out = self.cork.inner.borrow_mut();
        ready!(out.poll_send(cx))?;
        Pin::new(&mut out.write).poll_shutdown(cx)
    }
}
