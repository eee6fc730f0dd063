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
//!
//! A file body goes to the socket with `sendfile(2)` rather than through
//! hyper's buffers (read into memory, copied into hyper's buffer, copied
//! into the kernel: three copies of every byte). hyper cannot send from a
//! file, and it counts the body's bytes against `Content-Length`, so the
//! body ([`crate::files::FileBody`], told to by the server once the
//! response is final) queues a [`Splice`] here and gives hyper placeholder
//! bytes of the same length instead: a per-process random token followed
//! by zeros. What hyper writes is searched for the token only while a
//! splice is queued (never otherwise); from the token on, as many bytes as
//! the splice covers are dropped and the file's bytes are sent in their
//! place, after what was buffered before them. Splices are queued in the
//! order their placeholders reach the stream (one response after the
//! other on a connection), and the token is never cut: hyper hands over
//! its whole buffer, and a write before the token stops at it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};

use hyper::body::Bytes;
use memchr::memmem::Finder;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
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
    /// Splices whose placeholders hyper has not written yet, in order.
    queued: VecDeque<Splice>,
    /// The splice whose placeholder hyper is writing now.
    active: Option<Splice>,
}

/// Bytes of a file sent with `sendfile(2)` in place of as many placeholder
/// bytes hyper writes.
pub(crate) struct Splice {
    pub(crate) file: Rc<File>,
    /// Where the next byte to send is in the file.
    pub(crate) offset: u64,
    /// The placeholder bytes hyper has still to write.
    pub(crate) len: u64,
    /// Bytes sent ahead of the placeholder bytes that stand for them.
    pub(crate) ahead: u64,
}

/// The length of [`placeholder`]'s buffer (and of a body's longest
/// placeholder chunk).
pub(crate) const PLACEHOLDER_LEN: usize = 256 * 1024;

/// The token that starts every placeholder chunk: random per process, so
/// no byte a client can choose or see matches it.
fn token() -> &'static [u8; 16] {
    static TOKEN: OnceLock<[u8; 16]> = OnceLock::new();
    TOKEN.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        let mut h = state.build_hasher();
        h.write_u64(u64::from(std::process::id()));
        let a = h.finish();
        h.write_u64(a);
        let b = h.finish();
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&a.to_le_bytes());
        t[8..].copy_from_slice(&b.to_le_bytes());
        t
    })
}

fn finder() -> &'static Finder<'static> {
    static FINDER: OnceLock<Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| Finder::new(token()))
}

/// Placeholder bytes: the token, then zeros ([`PLACEHOLDER_LEN`] in all).
/// A body's placeholder chunk is a prefix of it.
pub(crate) fn placeholder() -> &'static Bytes {
    static BYTES: OnceLock<Bytes> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut v = vec![0u8; PLACEHOLDER_LEN];
        v[..16].copy_from_slice(token());
        Bytes::from(v)
    })
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

impl Out {
    /// [`Out::poll_send`] with `MSG_MORE`: the kernel holds a partial
    /// segment back for what follows (the file), as nginx's `tcp_nopush`.
    fn poll_send_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let sock: &TcpStream = self.write.as_ref();
        while self.sent < self.buf.len() {
            let rest = &self.buf[self.sent..];
            let sent = sock.try_io(Interest::WRITABLE, || {
                // SAFETY: an open socket and a live buffer of `rest.len()` bytes.
                let n = unsafe {
                    libc::send(
                        sock.as_raw_fd(),
                        rest.as_ptr().cast(),
                        rest.len(),
                        libc::MSG_MORE | libc::MSG_NOSIGNAL,
                    )
                };
                usize::try_from(n).map_err(|_| io::Error::last_os_error())
            });
            match sent {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(sock.poll_write_ready(cx))?;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        self.buf.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes `data` into the buffer, or sends it (and what is buffered)
    /// when that passes [`HIGH_WATER`].
    fn poll_write_plain(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.buf.len() + data.len() > HIGH_WATER {
            ready!(self.poll_send(cx))?;
            if data.len() > HIGH_WATER {
                // Nothing buffered now: a large write goes straight out.
                return Pin::new(&mut self.write).poll_write(cx, data);
            }
        }
        self.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    /// A write while a splice is queued or under way: the bytes before a
    /// placeholder as usual, the placeholder's as the file's.
    #[cold]
    fn poll_write_spliced(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.active.is_none() {
            match finder().find(data) {
                Some(0) => self.active = self.queued.pop_front(),
                Some(at) => return self.poll_write_plain(cx, &data[..at]),
                None => return self.poll_write_plain(cx, data),
            }
        }
        // The placeholder bytes in `data` are taken once the file bytes
        // they stand for are sent; one `sendfile` sends as much of the rest
        // of the range as the socket takes, ahead of its placeholder.
        if self.active.as_ref().is_some_and(|a| a.ahead == 0) {
            // What hyper wrote before the file (its head) goes first, in
            // the same segment as the file's first bytes (`MSG_MORE`).
            ready!(self.poll_send_more(cx))?;
        }
        let Out { write, active, .. } = self;
        let Some(splice) = active.as_mut() else {
            return Poll::Ready(Err(io::Error::other("a placeholder without its splice")));
        };
        if splice.ahead == 0 {
            let sock: &TcpStream = write.as_ref();
            let n = ready!(poll_sendfile(
                sock,
                cx,
                &splice.file,
                splice.offset,
                splice.len
            ))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file got shorter while it was being sent",
                )));
            }
            splice.offset += n;
            splice.ahead = n;
        }
        let taken = splice.len.min(data.len() as u64).min(splice.ahead);
        splice.ahead -= taken;
        splice.len -= taken;
        if splice.len == 0 {
            *active = None;
        }
        Poll::Ready(Ok(usize::try_from(taken).unwrap_or(usize::MAX)))
    }
}

/// One `sendfile(2)` of up to `len` bytes of `file` at `offset` to `sock`:
/// the bytes sent (0 at the file's end), `Pending` while the socket is full.
fn poll_sendfile(
    sock: &TcpStream,
    cx: &mut Context<'_>,
    file: &File,
    offset: u64,
    len: u64,
) -> Poll<io::Result<u64>> {
    loop {
        let sent = sock.try_io(Interest::WRITABLE, || {
            let mut off = libc::off_t::try_from(offset).map_err(io::Error::other)?;
            let count = usize::try_from(len).unwrap_or(usize::MAX);
            // SAFETY: two open descriptors and a valid offset pointer.
            let n =
                unsafe { libc::sendfile(sock.as_raw_fd(), file.as_raw_fd(), &raw mut off, count) };
            u64::try_from(n).map_err(|_| io::Error::last_os_error())
        });
        match sent {
            Ok(n) => return Poll::Ready(Ok(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready!(sock.poll_write_ready(cx))?,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

impl Cork {
    /// Queues `splice`: its placeholder is the next one hyper writes.
    pub(crate) fn splice(&self, splice: Splice) {
        self.inner.borrow_mut().queued.push_back(splice);
    }

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
            queued: VecDeque::new(),
            active: None,
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
        if out.active.is_some() || !out.queued.is_empty() {
            return out.poll_write_spliced(cx, data);
        }
        if writes == 0 && !cork.pipelined.get() && out.buf.is_empty() {
            // The first answer since the last read, on a connection that
            // does not pipeline: straight out.
            return Pin::new(&mut out.write).poll_write(cx, data);
        }
        out.poll_write_plain(cx, data)
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
