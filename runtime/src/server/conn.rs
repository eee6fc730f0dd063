//! Connections: accepting them (up to `--max-connections`), serving each
//! with hyper, cutting off slow and idle ones, and closing them on
//! shutdown.
//!
//! Timeouts cost nothing per request. hyper's own `header_read_timeout`
//! re-arms a timer for every request (about 1,500 instructions each, a
//! seventh of a whole `/json` request), so the runtime keeps watch from the
//! side instead: each connection has an [`Activity`] (a request counter
//! bumped when a request starts and when it ends), and one sweeper task
//! looks at every open connection a few times per timeout, reading the
//! kernel's per-socket clocks (`TCP_INFO`: milliseconds since data was last
//! received and last sent). Rules, for a connection with no request in
//! flight:
//!
//! - a new connection must complete its first head within
//!   `--header-read-timeout` of being accepted;
//! - after a response, a connection that receives nothing is closed
//!   `--keep-alive-timeout` after that response was sent;
//! - once bytes of a next request arrive, its head must complete within
//!   `--header-read-timeout`.
//!
//! A connection with a request in flight is never cut here (that is
//! `--handler-timeout`'s job; a slow body has its own limit in `handle`).
//! Precision: the sweeper runs every quarter of the shorter timeout (10 ms
//! to 1 s), so a timeout fires between its value and its value plus two
//! such periods.
//!
//! Shutdown walks the same registry: idle connections close at once,
//! busy ones after their current response.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::{cork, handle, state};
use crate::cli::Options;

/// What one connection has been doing, for the sweeper.
pub(crate) struct Activity {
    /// Bumped when a request starts and when it ends: odd while one runs.
    seq: Cell<u32>,
    /// Set by the sweeper or by shutdown; the connection task acts on it.
    verdict: Cell<Verdict>,
    /// The connection task's waker, to deliver a verdict.
    waker: RefCell<Option<Waker>>,
    /// The socket, for `TCP_INFO` (valid while the connection is registered).
    fd: RawFd,
    accepted: Instant,
    /// The sweeper's bookkeeping: `seq` when last seen, and when the bytes
    /// of the next head started arriving after it.
    seen: Cell<(u32, Option<Instant>)>,
    /// The connection's writes, where a file body queues its splices.
    cork: Rc<cork::Cork>,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum Verdict {
    #[default]
    Serve,
    /// Finish the request in flight, then close.
    Finish,
    /// Close now.
    Drop,
}

impl Activity {
    /// A request started: returns a guard that marks its end.
    #[inline]
    pub(crate) fn begin(self: &Rc<Self>) -> Busy {
        self.seq.set(self.seq.get().wrapping_add(1));
        Busy(self.clone())
    }

    /// The connection's writes.
    pub(crate) fn cork(&self) -> &Rc<cork::Cork> {
        &self.cork
    }

    fn busy(&self) -> bool {
        self.seq.get() % 2 == 1
    }

    fn tell(&self, verdict: Verdict) {
        if self.verdict.get() == Verdict::Drop {
            return;
        }
        self.verdict.set(verdict);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

/// Marks the end of a request when dropped (also when a client goes away
/// mid-request and hyper drops the handler's future).
pub(crate) struct Busy(Rc<Activity>);

impl Busy {
    /// The connection the request is on.
    pub(crate) fn activity(&self) -> &Activity {
        &self.0
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.seq.set(self.0.seq.get().wrapping_add(1));
    }
}

/// Resolves when the connection has been given a verdict.
struct Told<'a>(&'a Activity);

impl Future for Told<'_> {
    type Output = Verdict;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Verdict> {
        let act = self.0;
        let verdict = act.verdict.get();
        if verdict != Verdict::Serve {
            return Poll::Ready(verdict);
        }
        let mut slot = act.waker.borrow_mut();
        match &*slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The kernel's view of a socket: milliseconds since it last received and
/// last sent data, and bytes received in all.
fn quiet_ms(fd: RawFd) -> Option<(u64, u64, u64)> {
    // SAFETY: an all-zero `tcp_info` is valid; getsockopt fills at most `len` bytes.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::tcp_info>()).ok()?;
    // SAFETY: a live socket of this process and a buffer of `len` bytes.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &raw mut len,
        )
    };
    (r == 0).then(|| {
        (
            u64::from(info.tcpi_last_data_recv),
            u64::from(info.tcpi_last_data_sent),
            info.tcpi_bytes_received,
        )
    })
}

/// The open connections of this process, and the settings they share.
pub(crate) struct Hub {
    builder: http1::Builder,
    conns: RefCell<Vec<Option<Rc<Activity>>>>,
    free: RefCell<Vec<usize>>,
    open: Cell<usize>,
    closed: Notify,
    max_connections: usize,
    head_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    stopping: Cell<bool>,
}

impl Hub {
    pub(crate) fn new(opts: &Options) -> Hub {
        let mut builder = http1::Builder::new();
        // Not `pipeline_flush(true)`: with it, hyper never sends the 400
        // or 431 it writes for a request it cannot parse (the bad bytes
        // stay in the read buffer, so the flush is skipped and the
        // connection closes). `cork.rs` batches pipelined answers instead.
        builder.keep_alive(true).writev(false);
        let limits = &opts.limits;
        // The head must fit hyper's read buffer, whose minimum is 8 KiB.
        builder
            .max_buf_size(limits.max_header_size.max(8192))
            .max_header_size(limits.max_header_size);
        if limits.max_headers != 100 {
            // hyper's default; any other value costs a heap allocation per request.
            builder.max_headers(limits.max_headers);
        }
        Hub {
            builder,
            conns: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            open: Cell::new(0),
            closed: Notify::new(),
            max_connections: limits.max_connections,
            head_timeout: opts.timeouts.header_read,
            idle_timeout: opts.timeouts.keep_alive,
            stopping: Cell::new(false),
        }
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.open.get()
    }

    fn register(&self, act: Rc<Activity>) -> usize {
        self.open.set(self.open.get() + 1);
        if let Some(m) = &state().metrics {
            m.connections(1);
        }
        let mut conns = self.conns.borrow_mut();
        match self.free.borrow_mut().pop() {
            Some(i) => {
                conns[i] = Some(act);
                i
            }
            None => {
                conns.push(Some(act));
                conns.len() - 1
            }
        }
    }

    fn unregister(&self, id: usize) {
        self.conns.borrow_mut()[id] = None;
        self.free.borrow_mut().push(id);
        self.open.set(self.open.get() - 1);
        if let Some(m) = &state().metrics {
            m.connections(-1);
        }
        self.closed.notify_one();
    }

    /// Stops every connection: idle ones now, busy ones after their
    /// current response.
    pub(crate) fn shutdown(&self) {
        self.stopping.set(true);
        for act in self.conns.borrow().iter().flatten() {
            // A connection that never sent a byte is dropped; hyper closes
            // the others after their current response, at once if idle.
            let verdict = if act.seq.get() == 0 && !act.received_since_accept() {
                Verdict::Drop
            } else {
                Verdict::Finish
            };
            act.tell(verdict);
        }
    }

    /// Resolves once every connection has closed.
    pub(crate) async fn drained(&self) {
        while self.open() > 0 {
            self.closed.notified().await;
        }
    }

    /// How often the sweeper runs: a quarter of the shorter timeout,
    /// between 10 ms and 1 s.
    fn period(&self) -> Option<Duration> {
        let shortest = match (self.head_timeout, self.idle_timeout) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        };
        Some((shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)))
    }

    /// One sweep: closes connections past their timeout.
    fn sweep_once(&self, now: Instant) {
        let stopping = self.stopping.get();
        for act in self.conns.borrow().iter().flatten() {
            let seq = act.seq.get();
            if act.busy() {
                act.seen.set((seq, None));
                continue;
            }
            if act.seen.get().0 != seq {
                act.seen.set((seq, None));
            }
            let Some((recv_ms, sent_ms, _)) = quiet_ms(act.fd) else {
                continue;
            };
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let expired = if stopping {
                // Shutting down: a connection out of a request that has
                // received nothing for a second (a dawdling head, a slow
                // reader of its last response) or nothing at all is closed.
                recv_ms >= 1000 || (seq == 0 && !act.received_since_accept())
            } else if seq == 0 {
                self.head_timeout
                    .is_some_and(|t| now.duration_since(act.accepted) >= t)
            } else if recv_ms < sent_ms {
                // Bytes of the next head arrived after the last response.
                let since = match act.seen.get().1 {
                    Some(t) => t,
                    None => {
                        let t = now - Duration::from_millis(recv_ms);
                        act.seen.set((seq, Some(t)));
                        t
                    }
                };
                self.head_timeout
                    .is_some_and(|t| now.duration_since(since) >= t)
            } else {
                self.idle_timeout.is_some_and(|t| sent_ms >= ms(t))
            };
            if expired {
                act.tell(Verdict::Drop);
            }
        }
    }
}

impl Activity {
    /// Whether any data arrived since the connection was accepted.
    fn received_since_accept(&self) -> bool {
        quiet_ms(self.fd).is_some_and(|(_, _, bytes)| bytes > 0)
    }
}

/// Runs the timeout sweeper until the process ends.
pub(crate) async fn sweep(hub: Rc<Hub>) {
    loop {
        let period = if hub.stopping.get() {
            Some(Duration::from_millis(100))
        } else {
            hub.period()
        };
        let Some(period) = period else {
            // No timeouts: sweep only once shutdown starts.
            while !hub.stopping.get() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            continue;
        };
        tokio::time::sleep(period).await;
        hub.sweep_once(Instant::now());
    }
}

/// Accepts connections until the future is dropped (at shutdown).
pub(crate) async fn accept_loop(listener: TcpListener, hub: Rc<Hub>) {
    let mut last_error: Option<Instant> = None;
    loop {
        while hub.max_connections > 0 && hub.open() >= hub.max_connections {
            hub.closed.notified().await;
        }
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep
                // serving, log at most once a second.
                if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                    tracing::warn!("accept failed: {e}");
                    last_error = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let fd = stream.as_raw_fd();
        let (io, cork) = cork::cork(stream);
        // Registered before the next accept, so the limit above is exact.
        let act = Rc::new(Activity {
            seq: Cell::new(0),
            verdict: Cell::new(Verdict::Serve),
            waker: RefCell::new(None),
            fd,
            accepted: Instant::now(),
            seen: Cell::new((0, None)),
            cork: cork.clone(),
        });
        let registration = Registration {
            id: hub.register(act.clone()),
            hub: hub.clone(),
        };
        tokio::task::spawn_local(serve(io, cork, act, registration));
    }
}

/// Serves one connection until it closes or is told to.
/// `registration` unregisters the connection on every way out, a panic
/// in hyper included.
///
/// On a connection that pipelines, hyper's writes are held in a
/// [`cork::Cork`] and sent each time hyper has done all it can for now: one
/// `write` for all the answers to a batch of pipelined requests.
async fn serve(
    io: cork::Corked,
    cork: Rc<cork::Cork>,
    act: Rc<Activity>,
    registration: Registration,
) {
    let hub = registration.hub.clone();
    let service_act = act.clone();
    let conn = hub.builder.serve_connection(
        TokioIo::new(io),
        service_fn(move |req| handle::handle(req, &service_act)),
    );
    let mut conn = std::pin::pin!(conn);
    std::future::poll_fn(|cx| {
        loop {
            if let Poll::Ready(result) = conn.as_mut().poll(cx) {
                if let Err(e) = result {
                    tracing::debug!("connection closed: {e}");
                }
                return Poll::Ready(());
            }
            if let Poll::Ready(Err(e)) = cork.flush(cx) {
                tracing::debug!("connection closed: {e}");
                return Poll::Ready(());
            }
            match Pin::new(&mut Told(&act)).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Verdict::Finish) => {
                    conn.as_mut().graceful_shutdown();
                    act.verdict.set(Verdict::Serve);
                    // Later verdicts (the sweeper's) may still drop it;
                    // hyper is polled again to act on this one.
                }
                Poll::Ready(Verdict::Drop | Verdict::Serve) => return Poll::Ready(()),
            }
        }
    })
    .await;
}

struct Registration {
    hub: Rc<Hub>,
    id: usize,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}
