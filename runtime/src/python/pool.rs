//! The thread pool for `def` handlers that may block (routes with
//! `on_pool`: `sync_to_thread=True`, or the compiler found a blocking call).
//!
//! The interpreter thread decodes the request as for any route (decoding
//! reads the request), then queues the handler call with its arguments
//! ([`submit`]) and goes back to serving. A pool thread, attached to the
//! interpreter for its whole life, takes the call, runs the handler (the
//! GIL is released by the blocking call inside it, `time.sleep` or a
//! socket read, so the interpreter thread runs meanwhile), and hands the
//! result back through a oneshot channel into the request's future
//! ([`Pending::wait`]), where the response is encoded on the interpreter
//! thread as for an inline route.
//!
//! Threads start when a call finds no idle one, up to `--threads`; an app
//! without pool routes starts none and pays one `bool` test per request.
//! Each `--workers` process has its own pool.
//!
//! The GIL hand-off: a pool thread that wants the GIL (to start a handler,
//! or to continue after its blocking call returns) gets it when the
//! interpreter thread parks, or, under load, at the next bytecode boundary
//! of an inline handler once it has waited CPython's switch interval
//! (5 ms). A pool request therefore costs two hand-offs, each from a few
//! microseconds (idle server) to about one switch interval (busy server).
//!
//! `--handler-timeout` counts from the hand-over to the pool: past it the
//! client gets a 503 and `HandlerTimeout` is raised in the pool thread at
//! the handler's next bytecode (a call still queued is never started); its
//! result is dropped. The ticket's fields are read and written with the
//! GIL held only, which orders them.
//!
//! A deferred pool route (one with `yield` dependencies or background
//! tasks) also has its sync teardown run on the pool after the response
//! ([`close_later`]): it may block as the handler may.

use std::collections::VecDeque;
use std::os::raw::c_long;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use pyo3::ffi;
use pyo3::prelude::*;
use tokio::sync::oneshot;

use super::after;
use super::call::Parcel;
use super::{Call, Outcome, interp, reply};
use crate::app::App;
use crate::log::RequestId;
use crate::response::{self, Resp};

static POOL: OnceLock<Pool> = OnceLock::new();

/// Creates the pool when `app` has pool routes (no thread starts yet).
pub(crate) fn init(py: Python<'_>, app: &App, threads: usize) -> PyResult<()> {
    if !app.routes.iter().any(|r| r.on_pool) {
        return Ok(());
    }
    let timeout = py
        .import("_prebake_bootstrap")?
        .getattr("HandlerTimeout")?
        .unbind();
    let _ = POOL.set(Pool {
        max: threads.max(1),
        queue: Mutex::new(Queue::default()),
        ready: Condvar::new(),
        timeout,
    });
    Ok(())
}

struct Pool {
    /// `--threads`.
    max: usize,
    queue: Mutex<Queue>,
    /// Signalled when a job is queued.
    ready: Condvar,
    /// The `HandlerTimeout` class.
    timeout: Py<PyAny>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
    /// Threads started.
    started: usize,
}

/// Work for a pool thread.
enum Job {
    /// A handler call, for a request waiting on `done`.
    Call {
        route: usize,
        parcel: Parcel,
        ticket: Arc<Ticket>,
        done: oneshot::Sender<PyResult<Py<PyAny>>>,
    },
    /// A pool route's after-response work: the teardown of its sync
    /// `yield` dependencies and its sync background tasks, which may block
    /// as the handler may.
    Close(after::Work),
}

/// Runs a pool route's after-response `work` on the pool; gives it back
/// when there is no pool.
pub(super) fn close_later(work: after::Work) -> Result<(), after::Work> {
    match POOL.get() {
        Some(pool) => {
            if let Err(e) = pool.push(Job::Close(work)) {
                tracing::error!("{e}");
            }
            Ok(())
        }
        None => Err(work),
    }
}

/// What the request and the pool thread share about one call; touched
/// with the GIL held only.
struct Ticket {
    /// The pool thread's id (`threading.get_ident()`) while the handler
    /// runs, else 0.
    thread: AtomicU64,
    /// Set when the request gave up (`--handler-timeout`).
    cancelled: AtomicBool,
}

/// A request whose handler runs on the pool.
pub(crate) struct Pending {
    done: oneshot::Receiver<PyResult<Py<PyAny>>>,
    ticket: Arc<Ticket>,
    route: usize,
    rid: RequestId,
    /// The request as a `prebake.Request`, for the app's exception
    /// handlers (built only for an app with some).
    request: Option<Py<PyAny>>,
}

/// Hands route `index`'s call, decoded into `call`, to the pool.
pub(super) fn dispatch<'py>(
    py: Python<'py>,
    call: Call<'py>,
    index: usize,
    rid: RequestId,
    request: Option<Bound<'py, PyAny>>,
) -> Outcome {
    match submit(call, index, rid) {
        Ok(mut pending) => {
            pending.request = request.map(Bound::unbind);
            Outcome::Pool(pending)
        }
        Err(e) => Outcome::Ready(reply::finish(
            py,
            interp(),
            index,
            rid,
            Err(e),
            request.as_ref(),
        )),
    }
}

/// Queues route `index`'s handler call, decoded into `call`, for the pool.
fn submit(call: Call<'_>, index: usize, rid: RequestId) -> Result<Pending, PyErr> {
    let parcel = call.into_parcel()?;
    let Some(pool) = POOL.get() else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "prebake: a pool route without a thread pool",
        ));
    };
    let ticket = Arc::new(Ticket {
        thread: AtomicU64::new(0),
        cancelled: AtomicBool::new(false),
    });
    let (tx, rx) = oneshot::channel();
    let job = Job::Call {
        route: index,
        parcel,
        ticket: ticket.clone(),
        done: tx,
    };
    pool.push(job)?;
    Ok(Pending {
        done: rx,
        ticket,
        route: index,
        rid,
        request: None,
    })
}

impl Pool {
    /// Queues `job`, starting a thread when none is idle and fewer than
    /// `max` run.
    fn push(&'static self, job: Job) -> PyResult<()> {
        let start = {
            let mut q = self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            q.jobs.push_back(job);
            let start = q.jobs.len() > q.idle && q.started < self.max;
            if start {
                q.started += 1;
            }
            start.then_some(q.started)
        };
        if let Some(n) = start {
            let spawned = std::thread::Builder::new()
                .name(format!("prebake-pool-{n}"))
                .spawn(move || self.run());
            if let Err(e) = spawned {
                let mut q = self
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                q.started -= 1;
                if q.started == 0 {
                    // Nothing will ever run the job just queued.
                    drop(q.jobs.pop_back());
                    return Err(pyo3::exceptions::PyOSError::new_err(format!(
                        "prebake: cannot start a pool thread: {e}"
                    )));
                }
                tracing::warn!("cannot start another pool thread ({e}); the call waits its turn");
            }
        } else {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Waits for the next job (without the GIL).
    fn next(&self) -> Job {
        let mut q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(job) = q.jobs.pop_front() {
                return job;
            }
            q.idle += 1;
            q = self
                .ready
                .wait(q)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            q.idle -= 1;
        }
    }

    /// A pool thread: attached to the interpreter for good, detached while
    /// it waits for a job or hands a result over.
    fn run(&'static self) {
        Python::attach(|py| {
            let ident: u64 = match py
                .import("threading")
                .and_then(|t| t.call_method0("get_ident"))
                .and_then(|i| i.extract())
            {
                Ok(i) => i,
                Err(e) => {
                    tracing::error!(traceback = %super::traceback(&e), "a pool thread cannot start");
                    return;
                }
            };
            let routes = &interp().routes;
            let mut job = py.detach(|| self.next());
            loop {
                let (route, parcel, ticket, done) = match job {
                    Job::Call {
                        route,
                        parcel,
                        ticket,
                        done,
                    } => (route, parcel, ticket, done),
                    Job::Close(work) => {
                        work.run(py);
                        job = py.detach(|| self.next());
                        continue;
                    }
                };
                let result = if ticket.cancelled.load(Relaxed) {
                    Err(pyo3::exceptions::PyRuntimeError::new_err("cancelled"))
                } else {
                    ticket.thread.store(ident, Relaxed);
                    let result = parcel.call(py, &routes[route]).map(Bound::unbind);
                    ticket.thread.store(0, Relaxed);
                    if ticket.cancelled.load(Relaxed) {
                        // SAFETY: the GIL is held; a null exception clears a
                        // `HandlerTimeout` requested but not delivered.
                        unsafe {
                            ffi::PyThreadState_SetAsyncExc(c_ident(ident), std::ptr::null_mut())
                        };
                    }
                    result
                };
                drop(parcel);
                let (unsent, next) = py.detach(move || (done.send(result).err(), self.next()));
                // A request that went away (its client closed) leaves the
                // result here, dropped with the GIL held.
                drop(unsent);
                job = next;
            }
        });
    }
}

impl Pending {
    /// Waits for the handler and builds the response; past `limit`, a 503
    /// (see the module docs). `None` when encoding the result panicked.
    pub(crate) async fn wait(mut self, limit: Option<Duration>) -> Option<Resp> {
        let got = match limit {
            None => (&mut self.done).await.ok(),
            Some(limit) => match tokio::time::timeout(limit, &mut self.done).await {
                Ok(got) => got.ok(),
                Err(_) => {
                    self.cancel();
                    return Some(reply::timed_out(interp(), self.route, self.rid, limit));
                }
            },
        };
        let Some(result) = got else {
            // The pool thread died (a panic): nothing to encode.
            return Some(response::internal_error());
        };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Python::attach(|py| {
                let result = result.map(|v| v.into_bound(py));
                let request = self.request.as_ref().map(|r| r.bind(py).clone());
                reply::finish(py, interp(), self.route, self.rid, result, request.as_ref())
            })
        }))
        .ok()
    }

    /// Gives up on the call: a queued call never starts, a running one gets
    /// `HandlerTimeout` at its next bytecode.
    fn cancel(&self) {
        let Some(pool) = POOL.get() else { return };
        Python::attach(|_py| {
            self.ticket.cancelled.store(true, Relaxed);
            let thread = self.ticket.thread.load(Relaxed);
            if thread != 0 {
                // SAFETY: the GIL is held; `thread` runs this call's handler
                // (it clears the id, with the GIL, before it moves on), and
                // the class is alive.
                unsafe { ffi::PyThreadState_SetAsyncExc(c_ident(thread), pool.timeout.as_ptr()) };
            }
        });
    }
}

/// A thread id as `PyThreadState_SetAsyncExc` takes it.
fn c_ident(ident: u64) -> c_long {
    #[expect(
        clippy::cast_possible_wrap,
        reason = "CPython passes the unsigned thread id through a C long"
    )]
    let id = ident as c_long;
    id
}
