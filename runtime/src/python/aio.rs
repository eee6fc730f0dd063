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
//! The loop is never `run_forever`ed. [`drive`], a task on the server's
//! tokio runtime, waits for the loop's epoll fd to become readable, for its
//! next timer, or for a new Task, then calls `loop._run_once()` (whose
//! selector never blocks). Everything stays on the one interpreter thread.
//!
//! Caveat: during the fast path no Task exists, so `asyncio.current_task()`
//! is `None` until the handler's first real suspension (`asyncio.timeout()`
//! entered before any suspending `await` raises `RuntimeError`).

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
    epoll_fd: RawFd,
    /// Wakes [`drive`] when a request schedules a new Task.
    wake: Notify,
}

/// What the first `send(None)` did.
pub(super) enum Sent<'py> {
    Done(PyResult<Bound<'py, PyAny>>),
    Suspended(Bound<'py, PyAny>),
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

impl Aio {
    pub(super) fn new(py: Python<'_>, bootstrap: &Bound<'_, PyModule>) -> PyResult<Aio> {
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
            ffi::PySendResult::PYGEN_NEXT => {
                Sent::Suspended(value.unwrap_or_else(|| py.None().into_bound(py)))
            }
            ffi::PySendResult::PYGEN_ERROR => Sent::Done(Err(PyErr::fetch(py))),
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

    /// The slow path: run the rest of `coro` as a Task on the loop.
    pub(super) fn spawn(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
        yielded: Bound<'_, PyAny>,
        route: usize,
        rid: RequestId,
        request: Option<Py<PyAny>>,
    ) -> PyResult<Pending> {
        let wrapper = self.resume.bind(py).call1((coro, yielded))?;
        let task = self.create_task.bind(py).call1((wrapper,))?;
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

    /// Runs `coro` as a Task; the receiver completes when it is done.
    pub(super) fn task(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
    ) -> PyResult<(Py<PyAny>, oneshot::Receiver<()>)> {
        let task = self.create_task.bind(py).call1((coro,))?;
        let (tx, rx) = oneshot::channel();
        let signal = Bound::new(py, DoneSignal { tx: Some(tx) })?;
        task.call_method1(intern!(py, "add_done_callback"), (signal,))?;
        self.wake.notify_one();
        Ok((task.unbind(), rx))
    }

    /// Wakes the driver: something was scheduled on the loop from outside
    /// a Task (a future's result set).
    pub(super) fn wake(&self) {
        self.wake.notify_one();
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
