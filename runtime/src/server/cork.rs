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
//! Only a connection that pipelines pays for this. Between two reads that
//! brought bytes, a closed-loop client gets one response, a pipelining one
//! several. On a connection whose last batch had at most one response,
//! the first write after a read goes straight to the socket (no copy,
//! nothing left to flush); every other write is buffered as above. So a
//! client that starts pipelining gets its first batch in two writes (the
//! first answer went out alone), every later one in one, and a closed-loop
//! client pays nothing (a counter and a flag per request; ~35
//! instructions less than buffering each answer).

use std::cell::{Cell, RefCell};
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
    /// Writes since the last read that brought bytes.
    writes: Cell<u32>,
    /// Whether the batch before that read had more than one write: the
    /// writes of this one are buffered.
    pipelined: Cell<bool>,
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
        writes: Cell::new(0),
        pipelined: Cell::new(false),
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
        let before = buf.filled().len();
        let read = Pin::new(&mut self.read).poll_read(cx, buf);
        if buf.filled().len() > before {
            let cork = &self.cork;
            cork.pipelined.set(cork.writes.get() > 1);
            cork.writes.set(0);
        }
        read
    }
}

impl AsyncWrite for Corked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let cork = &self.cork;
        let writes = cork.writes.get();
        cork.writes.set(writes.saturating_add(1));
        let mut out = cork.inner.borrow_mut();
        if writes == 0 && !cork.pipelined.get() && out.buf.is_empty() {
            // The first answer since the last read, on a connection that
            // does not pipeline: straight out.
            return Pin::new(&mut out.write).poll_write(cx, data);
        }
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

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::io::{Read, Write};
    use std::pin::Pin;
    use std::time::Duration;

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;

    use super::{Cork, Corked, cork};

    async fn read(io: &mut Corked) {
        let mut bytes = [0u8; 16];
        let mut buf = ReadBuf::new(&mut bytes);
        poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, &mut buf))
            .await
            .expect("read");
        assert!(!buf.filled().is_empty());
    }

    async fn write(io: &mut Corked, data: &[u8]) {
        let n = poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, data))
            .await
            .expect("write");
        assert_eq!(n, data.len());
    }

    fn held(cork: &Cork) -> Vec<u8> {
        cork.inner.borrow().buf.clone()
    }

    fn received(peer: &mut std::net::TcpStream, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        peer.read_exact(&mut bytes).expect("the answers arrive");
        bytes
    }

    /// What the peer sends, the answers written before the next read, what
    /// is held once they are written.
    type Batch = (&'static [u8], &'static [&'static [u8]], &'static [u8]);

    #[test]
    fn only_a_pipelining_connection_holds_its_answers() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let mut peer =
                std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("peer");
            peer.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let (server, _) = listener.accept().expect("accept");
            server.set_nonblocking(true).expect("nonblocking");
            let (mut io, cork) = cork(TcpStream::from_std(server).expect("tokio stream"));

            let batches: [Batch; 4] = [
                // The first answer goes straight out; a second one before
                // the next read (pipelined requests) is held.
                (b"a", &[b"1", b"2"], b"2"),
                // After a batch of two answers, every answer is held: a
                // batch of pipelined answers goes out in one write.
                (b"b", &[b"3", b"4"], b"34"),
                (b"c", &[b"5"], b"5"),
                // After a batch of one answer, straight out again.
                (b"d", &[b"6"], b""),
            ];
            for (request, answers, held_back) in batches {
                peer.write_all(request).expect("send");
                read(&mut io).await;
                for answer in answers {
                    write(&mut io, answer).await;
                }
                assert_eq!(held(&cork), held_back, "after {request:?}");
                poll_fn(|cx| cork.flush(cx)).await.expect("flush");
                assert_eq!(held(&cork), b"");
                assert_eq!(received(&mut peer, answers.len()), answers.concat());
            }
        });
    }
}
