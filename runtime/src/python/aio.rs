//! `async def` handlers on a real asyncio event loop, driven by tokio.
//!
//! Fast path: the handler's coroutine gets one `send(None)` with the loop
//! set as the running loop. Most handlers finish there (no `await` that
//! suspends) and no Task is ever created.
//!
//! Slow path: the coroutine yielded (it awaits a future, or `sleep`). It is
//! wrapped by `bootstrap.resume`, which hands the yielded future to a real
//! asyncio Task as if the Task had made the first step, and a done callback
//! completes a oneshot channel the request waits on.
//!
//! `asyncio.current_task()` during the fast path (`asyncio.timeout()`,
//! aiohttp's and anyio's timers ask for it before their first suspension)
//! makes that Task on the spot (`bootstrap.patch_current_task`): it is the
//! running task until the send returns and then runs the rest, so a handler
//! sees one Task from start to end. Only handlers that ask pay for it
//! (a Task costs about 4 µs; the plain send well under 1 µs).
//!
//! The loop is never `run_forever`ed. [`drive`], a task on the server's
//! tokio runtime, waits for the loop's epoll fd to become readable, for its
//! next timer, or for a new Task, then calls `loop._run_once()` (whose
//! selector never blocks). Everything stays on the one interpreter thread.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyModule};
use pyo3::{ffi, intern};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::{Notify, oneshot};

use super::interp;
use crate::log::RequestId;
use crate::response::{self, Resp};

pub(crate) struct Aio {
    set_running_loop: Py<PyAny>,
    event_loop: Py<PyAny>,
    create_task: Py<PyAny>,
    run_once: Py<PyAny>,
    time: Py<PyAny>,
    /// `loop._ready`, a deque of handles to run now.
    ready: Py<PyAny>,
    /// `loop._scheduled`, a heap of timer handles.
    scheduled: Py<PyList>,
    resume: Py<PyAny>,
    /// `bootstrap.adopt`, and the bootstrap module's globals where the fast
    /// path marks its coroutine (`_fast_coro`) and finds a Task it made
    /// (`_fast_task`).
    adopt: Py<PyAny>,
    globals: Py<pyo3::types::PyDict>,
    epoll_fd: RawFd,
    /// Wakes [`drive`] when a request schedules a new Task.
    wake: Notify,
}

/// What the first `send(None)` did.
pub(super) enum Sent<'py> {
    Done(PyResult<Bound<'py, PyAny>>),
    Suspended(Suspended<'py>),
}

/// A coroutine that suspended on the fast path.
pub(super) struct Suspended<'py> {
    /// What it yielded.
    yielded: Bound<'py, PyAny>,
    /// The Task made for it when it asked for one (which then runs the rest).
    made: Option<Bound<'py, PyAny>>,
}

impl Sent<'_> {
    /// Abandons a suspended coroutine (its answer is no longer wanted).
    pub(super) fn abandon(&self, coro: &Bound<'_, PyAny>) {
        if let Sent::Suspended(Suspended { made, .. }) = self {
            let py = coro.py();
            if let Some(task) = made {
                let _ = task.call_method0(intern!(py, "cancel"));
            }
            let _ = coro.call_method0(intern!(py, "close"));
        }
    }
}

/// An async handler still running as an asyncio Task.
pub(crate) struct Pending {
    task: Py<PyAny>,
    done: oneshot::Receiver<()>,
    route: usize,
    rid: RequestId,
    /// The request for exception handlers, when the app has some.
    request: Option<Py<PyAny>>,
}

impl Pending {
    /// Waits for the Task and builds the response. Past `limit` the Task
    /// is cancelled (it sees `CancelledError` at its current `await`) and
    /// the answer is a 503. `None` when encoding the result panicked.
    pub(crate) async fn wait(mut self, limit: Option<Duration>) -> Option<Resp> {
        let finished = match limit {
            // A dropped sender only happens if the loop died; `result()` then says why.
            None => {
                let _ = (&mut self.done).await;
                true
            }
            Some(limit) => tokio::time::timeout(limit, &mut self.done).await.is_ok(),
        };
        let interp = interp();
        if !finished {
            Python::attach(|py| {
                if let Err(e) = self.task.bind(py).call_method0(intern!(py, "cancel")) {
                    tracing::error!(traceback = %super::traceback(&e), "cancelling a Task failed");
                }
            });
            return Some(match limit {
                Some(limit) => super::reply::timed_out(interp, self.route, self.rid, limit),
                None => response::handler_timeout(),
            });
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Python::attach(|py| {
                let result = self.task.bind(py).call_method0(intern!(py, "result"));
                let request = self.request.as_ref().map(|r| r.bind(py).clone());
                super::reply::finish(py, interp, self.route, self.rid, result, request.as_ref())
            })
        }))
        .ok()
    }
}

/// Completes a request's oneshot when its Task is done.
#[pyclass(module = "prebake._runtime")]
struct DoneSignal {
    tx: Option<oneshot::Sender<()>>,
}

#[pymethods]
impl DoneSignal {
    fn __call__(&mut self, _task: &Bound<'_, PyAny>) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(());
        }
    }
}

/// Logs the exception of a detached Task when it ends with one.
#[pyclass(module = "prebake._runtime")]
struct LogFailure {
    route: &'static crate::app::Route,
}

#[pymethods]
impl LogFailure {
    fn __call__(&self, task: &Bound<'_, PyAny>) {
        let py = task.py();
        if task
            .call_method0(intern!(py, "cancelled"))
            .and_then(|c| c.is_truthy())
            .unwrap_or(false)
        {
            return;
        }
        if let Ok(exc) = task.call_method0(intern!(py, "exception"))
            && !exc.is_none()
        {
            let err = PyErr::from_value(exc);
            super::after::log_failure(py, self.route, &err);
        }
    }
}

/// glibc's mmap threshold while an event loop runs: 4 MiB.
///
/// asyncio's socket transports read with `sock.recv(256 KiB)`: a 256 KiB
/// bytes object shrunk to what arrived. Above glibc's default threshold
/// (128 KiB) every such read is an `mmap`, an `mremap` and a `munmap`:
/// 10% of the CPU of `/db` on asyncpg in a `perf` profile (examples/tfb,
/// 16 connections, wrk -c32). From the heap instead, `/db` took 148 µs of
/// CPU per request instead of 185 µs, `/queries?queries=20` 1.26 ms
/// instead of 1.47 ms (two runs each, `GLIBC_TUNABLES` set to the same
/// threshold). uvloop reads into a buffer it keeps; the stock loop cannot.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_socket_reads_off_mmap() {
    // SAFETY: mallopt only changes allocator parameters.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_socket_reads_off_mmap() {}

impl Aio {
    pub(super) fn new(py: Python<'_>, bootstrap: &Bound<'_, PyModule>) -> PyResult<Aio> {
        keep_socket_reads_off_mmap();
        let event_loop = bootstrap.call_method0("new_loop")?;
        let events = py.import("asyncio.events")?;
        let selector = event_loop.getattr("_selector")?;
        let epoll_fd: RawFd = selector.call_method0("fileno")?.extract()?;
        Ok(Aio {
            set_running_loop: events.getattr("_set_running_loop")?.unbind(),
            create_task: event_loop.getattr("create_task")?.unbind(),
            run_once: event_loop.getattr("_run_once")?.unbind(),
            time: event_loop.getattr("time")?.unbind(),
            ready: event_loop.getattr("_ready")?.unbind(),
            scheduled: event_loop
                .getattr("_scheduled")?
                .cast_into::<PyList>()?
                .unbind(),
            resume: bootstrap.getattr("resume")?.unbind(),
            adopt: bootstrap.getattr("adopt")?.unbind(),
            globals: bootstrap.dict().unbind(),
            event_loop: event_loop.unbind(),
            epoll_fd,
            wake: Notify::new(),
        })
    }

    fn set_running(&self, py: Python<'_>, running: bool) -> PyResult<()> {
        let arg = if running {
            self.event_loop.bind(py).clone()
        } else {
            py.None().into_bound(py)
        };
        self.set_running_loop.bind(py).call1((arg,)).map(drop)
    }

    /// The fast path: one `send(None)` into the handler's coroutine.
    pub(super) fn first_send<'py>(&self, py: Python<'py>, coro: &Bound<'py, PyAny>) -> Sent<'py> {
        if let Err(e) = self.set_running(py, true) {
            return Sent::Done(Err(e));
        }
        let timers = self.scheduled.bind(py).len();
        let globals = self.globals.bind(py);
        if let Err(e) = globals.set_item(intern!(py, "_fast_coro"), coro) {
            return Sent::Done(Err(e));
        }
        let mut out: *mut ffi::PyObject = std::ptr::null_mut();
        // SAFETY: `coro` is a live object; PyIter_Send returns a new
        // reference in `out` for RETURN and NEXT, or sets an exception.
        let status = unsafe { ffi::PyIter_Send(coro.as_ptr(), ffi::Py_None(), &raw mut out) };
        // SAFETY: `out` is a new reference when not null.
        let value = unsafe { Bound::from_owned_ptr_or_opt(py, out) };
        // Take the exception before calling back into Python.
        let sent = match status {
            ffi::PySendResult::PYGEN_RETURN => {
                Sent::Done(Ok(value.unwrap_or_else(|| py.None().into_bound(py))))
            }
            ffi::PySendResult::PYGEN_NEXT => Sent::Suspended(Suspended {
                yielded: value.unwrap_or_else(|| py.None().into_bound(py)),
                made: None,
            }),
            ffi::PySendResult::PYGEN_ERROR => Sent::Done(Err(PyErr::fetch(py))),
        };
        let sent = match self.adopt_task(py, globals, sent) {
            Ok(sent) => sent,
            Err(e) => Sent::Done(Err(e)),
        };
        let reset = self.set_running(py, false);
        // A handler that finished may still have scheduled work (a
        // background task, a timer): wake the driver so it runs.
        if matches!(sent, Sent::Done(_))
            && (self.ready.bind(py).len().unwrap_or(0) > 0
                || self.scheduled.bind(py).len() != timers)
        {
            self.wake.notify_one();
        }
        match reset {
            Ok(()) => sent,
            Err(e) => Sent::Done(Err(e)),
        }
    }

    /// After the send: clears the fast path's mark and, when the handler
    /// asked for its Task, hands that Task the rest of the coroutine.
    fn adopt_task<'py>(
        &self,
        py: Python<'py>,
        globals: &Bound<'py, pyo3::types::PyDict>,
        sent: Sent<'py>,
    ) -> PyResult<Sent<'py>> {
        globals.set_item(intern!(py, "_fast_coro"), py.None())?;
        let made = globals
            .get_item(intern!(py, "_fast_task"))?
            .is_some_and(|t| !t.is_none());
        if !made {
            return Ok(sent);
        }
        let adopt = self.adopt.bind(py);
        Ok(match sent {
            Sent::Suspended(Suspended { yielded, .. }) => {
                let task = adopt.call1((&yielded, true))?;
                Sent::Suspended(Suspended {
                    yielded,
                    made: Some(task),
                })
            }
            Sent::Done(result) => {
                adopt.call1((py.None(), false))?;
                // The Task finishes on its first step; the loop must run it.
                self.wake.notify_one();
                Sent::Done(result)
            }
        })
    }

    /// The slow path: run the rest of `coro` as a Task on the loop (the one
    /// the fast path made, if it made one).
    pub(super) fn spawn(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
        suspended: Suspended<'_>,
        route: usize,
        rid: RequestId,
        request: Option<Py<PyAny>>,
    ) -> PyResult<Pending> {
        let task = match suspended.made {
            Some(task) => task,
            None => {
                let wrapper = self.resume.bind(py).call1((coro, suspended.yielded))?;
                self.create_task.bind(py).call1((wrapper,))?
            }
        };
        let (tx, rx) = oneshot::channel();
        let signal = Bound::new(py, DoneSignal { tx: Some(tx) })?;
        task.call_method1(intern!(py, "add_done_callback"), (signal,))?;
        self.wake.notify_one();
        Ok(Pending {
            task: task.unbind(),
            done: rx,
            route,
            rid,
            request,
        })
    }

    /// Runs `awaitable` to completion on the loop, blocking: only while
    /// the server does not drive the loop (start-up and shutdown).
    pub(super) fn run_to_completion<'py>(
        &self,
        py: Python<'py>,
        awaitable: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.event_loop
            .bind(py)
            .call_method1(intern!(py, "run_until_complete"), (awaitable,))
    }

    /// Runs `coro` as a Task of its own, answering nobody: the
    /// after-response work of route `route` (its failure is logged).
    pub(super) fn detach(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
        route: &'static crate::app::Route,
    ) -> PyResult<()> {
        let task = self.create_task.bind(py).call1((coro,))?;
        let log = Bound::new(py, LogFailure { route })?;
        task.call_method1(intern!(py, "add_done_callback"), (log,))?;
        self.wake.notify_one();
        Ok(())
    }

    /// Whether callbacks are ready, and how long until the next timer.
    fn pending(&self, py: Python<'_>) -> PyResult<(bool, Option<Duration>)> {
        if self.ready.bind(py).len()? > 0 {
            return Ok((true, None));
        }
        let scheduled = self.scheduled.bind(py);
        if scheduled.is_empty() {
            return Ok((false, None));
        }
        let when: f64 = scheduled
            .get_item(0)?
            .getattr(intern!(py, "_when"))?
            .extract()?;
        let now: f64 = self.time.bind(py).call0()?.extract()?;
        let wait = (when - now).max(0.0);
        Ok((wait == 0.0, Some(Duration::from_secs_f64(wait))))
    }

    fn run_once(&self, py: Python<'_>) -> PyResult<()> {
        self.set_running(py, true)?;
        let result = self.run_once.bind(py).call0();
        self.set_running(py, false)?;
        result.map(drop)
    }
}

/// The loop's epoll fd, for tokio's reactor (borrowed: the selector owns it).
struct EpollFd(RawFd);

impl AsRawFd for EpollFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Whether `fd` has events right now (a zero-timeout `poll`).
fn readable_now(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    unsafe { libc::poll(&raw mut pfd, 1, 0) > 0 }
}

/// Runs the event loop's callbacks whenever there is something to run.
/// Spawn once, on the server's `LocalSet`; it never returns.
pub(crate) async fn drive() {
    let Some(aio) = &interp().aio else {
        // No `async def` handler: no event loop to drive.
        return;
    };
    // SAFETY: the selector's epoll fd stays open for the life of the
    // process (the loop is stored in the global interpreter state).
    let fd = match unsafe {
        AsyncFd::register_with_interest(EpollFd(aio.epoll_fd), Interest::READABLE)
    } {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!(
                "cannot watch the asyncio loop's epoll fd: {e}; async handlers that suspend will hang"
            );
            return;
        }
    };
    loop {
        let (busy, timer) = Python::attach(|py| {
            aio.pending(py).unwrap_or_else(|e| {
                tracing::error!(
                    traceback = %super::traceback(&e),
                    "inspecting the asyncio event loop failed"
                );
                (false, Some(Duration::from_millis(10)))
            })
        });
        if !busy && !readable_now(aio.epoll_fd) {
            let sleep = async {
                match timer {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                guard = fd.readable() => {
                    if let Ok(mut guard) = guard {
                        guard.clear_ready();
                    }
                }
                () = sleep => {}
                () = aio.wake.notified() => {}
            }
        }
        Python::attach(|py| {
            if let Err(e) = aio.run_once(py) {
                // A Task re-raises SystemExit and KeyboardInterrupt after
                // storing them; its request reports them (a 500), so only
                // anything else is the loop's own failure.
                use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
                if !e.is_instance_of::<PySystemExit>(py)
                    && !e.is_instance_of::<PyKeyboardInterrupt>(py)
                {
                    tracing::error!(
                        traceback = %super::traceback(&e),
                        "the asyncio event loop failed"
                    );
                }
            }
        });
        // Let IO and other requests run between loop iterations.
        tokio::task::yield_now().await;
    }
}
