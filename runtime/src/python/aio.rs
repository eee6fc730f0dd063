//! `async def` handlers on a real asyncio event loop, driven by tokio.
//!
//! Fast path: the handler's coroutine gets one `send(None)` with the loop
//! set as the running loop. Most handlers finish there (no `await` that
//! suspends) and no Task is ever created.
//!
//! Slow path: the coroutine yielded (it awaits a future, or `sleep`). A
//! real asyncio Task takes it over through [`Resume`], which hands the
//! yielded future to the Task as if the Task had made the first step, and
//! completes a oneshot channel the request waits on when the handler's
//! coroutine finishes (the Task is done by the end of that step).
//!
//! `asyncio.current_task()` during the fast path (`asyncio.timeout()`,
//! aiohttp's and anyio's timers ask for it before their first suspension)
//! makes that Task on the spot (`bootstrap.patch_current_task`): it is the
//! running task until the send returns and then runs the rest, so a handler
//! sees one Task from start to end. Only handlers that ask pay for it
//! (a Task costs about 4 µs; the plain send well under 1 µs).
//!
//! The loop is never `run_forever`ed. [`drive`], a task on the server's
//! tokio runtime, turns it (`turn.rs`: what `loop._run_once()` does, in
//! Rust, its selector polled without waiting) and, when nothing is left to
//! run, waits for the loop's epoll fd to become readable, for its next
//! timer, or for a new Task. Everything stays on the one interpreter thread.
//! While it drives the loop, the loop is what `run_forever` would make it
//! (`bootstrap.driving`): `loop.is_running()` is true, from any thread, and
//! async generators are finalised through it; `asyncio.get_running_loop()`
//! answers on the interpreter thread while a handler or callback runs, as
//! it does inside `run_forever` (and not in a `def` handler, as in FastAPI).
//! The loop's socket transports do their I/O in Rust (`transport.rs`).

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyModule;
use pyo3::{ffi, intern};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::{Notify, oneshot};

use super::interp;
use super::turn::{After, Turn};
use crate::log::RequestId;
use crate::response::{self, Resp};

pub(crate) struct Aio {
    set_running_loop: Py<PyAny>,
    event_loop: Py<PyAny>,
    create_task: Py<PyAny>,
    /// `asyncio.Task`, made directly when `create_task` would do nothing more.
    task_type: Py<PyAny>,
    /// `{"loop": loop}`, its keywords (the Task does not keep them).
    task_kwargs: Py<pyo3::types::PyDict>,
    /// The loop's parts one turn reads, and the turn itself.
    turn: Turn,
    /// `bootstrap.adopt`, and the bootstrap module's globals where the fast
    /// path marks its coroutine (`_fast_coro`) and finds a Task it made
    /// (`_fast_task`).
    adopt: Py<PyAny>,
    globals: Py<pyo3::types::PyDict>,
    /// `bootstrap.anext_chunk`, a `StreamingResponse`'s next chunk.
    anext_chunk: Py<PyAny>,
    /// Wakes [`drive`] when a request schedules a new Task.
    wake: Notify,
    /// `bootstrap.driving`, called once [`drive`] starts.
    driving: Py<PyAny>,
    /// `bootstrap.run_to_completion`.
    run_until_complete: Py<PyAny>,
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

/// The coroutine a Task runs to finish a handler's coroutine that already
/// made its first step (on the fast path) and yielded `value`.
///
/// The Task's first step gets `value`, exactly as if the Task had made that
/// first step itself; every later `send`, `throw` and `close` goes straight
/// to the handler's coroutine (`PyIter_Send` for a send), as `yield from`
/// would. A Rust object rather than a Python wrapper coroutine: that wrapper
/// put two more Python frames (the wrapper coroutine and its awaitable's
/// generator) on every step of every Task. It is a `collections.abc.Coroutine`
/// (registered as one), which is what `asyncio.Task` accepts, and answers
/// `cr_frame`, `cr_await`, `cr_code`, `cr_running` and `__qualname__` with
/// the handler coroutine's, so a Task's repr and `get_stack()` show the handler.
///
/// `bootstrap.adopt` sets `value` (the fast path asked for its Task before
/// the coroutine suspended) or clears `coro` (it finished within that step:
/// the Task's first step then returns `None`).
#[pyclass(module = "prebake._runtime", name = "Resume", frozen)]
pub(super) struct Resume {
    /// Locked only between calls into Python: the handler may look at its
    /// Task's coroutine (this object) while a step runs.
    state: std::sync::Mutex<ResumeState>,
}

struct ResumeState {
    coro: Option<Py<PyAny>>,
    value: Option<Py<PyAny>>,
    /// Whether the first step happened.
    started: bool,
    /// Completed when the handler's coroutine finishes (see [`Aio::spawn`]).
    done: Option<oneshot::Sender<()>>,
}

fn stop_iteration(value: Py<PyAny>) -> PyErr {
    pyo3::exceptions::PyStopIteration::new_err((value,))
}

impl Resume {
    fn new(
        coro: Option<Py<PyAny>>,
        value: Option<Py<PyAny>>,
        done: Option<oneshot::Sender<()>>,
    ) -> Resume {
        Resume {
            state: std::sync::Mutex::new(ResumeState {
                coro,
                value,
                started: false,
                done,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ResumeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The handler's coroutine, unless it finished.
    fn coro<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.state().coro.as_ref().map(|c| c.bind(py).clone())
    }

    /// The handler's coroutine returned or raised: the Task that runs this
    /// is done by the end of its current step (it sets its result, its
    /// exception or its cancellation right after the step's `send` or
    /// `throw`), before the request's tokio task runs again.
    fn finished(&self) {
        let done = {
            let mut state = self.state();
            state.coro = None;
            state.done.take()
        };
        if let Some(done) = done {
            let _ = done.send(());
        }
    }
}

#[pymethods]
impl Resume {
    #[new]
    #[pyo3(signature = (coro, value=None))]
    fn py_new(coro: Py<PyAny>, value: Option<Py<PyAny>>) -> Resume {
        Resume::new(Some(coro), value, None)
    }

    #[getter(coro)]
    fn get_coro(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.coro(py).map(Bound::unbind)
    }

    #[setter(coro)]
    fn set_coro(&self, coro: Option<Py<PyAny>>) {
        self.state().coro = coro;
    }

    #[setter(value)]
    fn set_value(&self, value: Option<Py<PyAny>>) {
        self.state().value = value;
    }

    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.send(py, py.None().into_bound(py))
    }

    fn send(&self, py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let coro = {
            let mut state = self.state();
            if !state.started {
                // The first step: hand up what the fast path's send yielded.
                state.started = true;
                return match state.coro {
                    Some(_) => Ok(Some(state.value.take().unwrap_or_else(|| py.None()))),
                    // Finished within the fast path's step.
                    None => Err(stop_iteration(py.None())),
                };
            }
            match &state.coro {
                Some(c) => c.bind(py).clone(),
                None => return Err(stop_iteration(py.None())),
            }
        };
        let mut out: *mut ffi::PyObject = std::ptr::null_mut();
        // SAFETY: live objects; PyIter_Send returns a new reference in
        // `out` for RETURN and NEXT, or sets an exception.
        let status = unsafe { ffi::PyIter_Send(coro.as_ptr(), value.as_ptr(), &raw mut out) };
        // SAFETY: `out` is a new reference when not null.
        let out = unsafe { Bound::from_owned_ptr_or_opt(py, out) };
        let out = out.map_or_else(|| py.None(), Bound::unbind);
        match status {
            ffi::PySendResult::PYGEN_NEXT => Ok(Some(out)),
            ffi::PySendResult::PYGEN_RETURN => {
                self.finished();
                Err(stop_iteration(out))
            }
            ffi::PySendResult::PYGEN_ERROR => {
                let e = PyErr::fetch(py);
                self.finished();
                Err(e)
            }
        }
    }

    /// Throws into the handler's coroutine (a Task's cancellation, a
    /// timeout): it sees the exception at the `await` where it suspended,
    /// even before the Task's first step.
    #[pyo3(signature = (*args))]
    fn throw(
        &self,
        py: Python<'_>,
        args: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<Option<Py<PyAny>>> {
        {
            let mut state = self.state();
            state.started = true;
            state.value = None;
        }
        let Some(coro) = self.coro(py) else {
            // Finished already: the exception is raised here.
            let first = args.get_item(0)?;
            return Err(
                if first.is_instance_of::<pyo3::exceptions::PyBaseException>() {
                    PyErr::from_value(first)
                } else {
                    PyErr::from_type(first.cast_into()?, ())
                },
            );
        };
        match coro.call_method1(intern!(py, "throw"), args) {
            Ok(v) => Ok(Some(v.unbind())),
            Err(e) => {
                self.finished();
                Err(e)
            }
        }
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let coro = {
            let mut state = self.state();
            state.value = None;
            state.coro.take()
        };
        match coro {
            Some(c) => c.bind(py).call_method0(intern!(py, "close")).map(drop),
            None => Ok(()),
        }
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match (name, self.coro(py)) {
            (
                "cr_frame" | "cr_await" | "cr_code" | "cr_running" | "__qualname__" | "__name__",
                Some(c),
            ) => c.getattr(name),
            ("cr_frame" | "cr_await", None) => Ok(py.None().into_bound(py)),
            ("cr_running", None) => Ok(pyo3::types::PyBool::new(py, false).to_owned().into_any()),
            _ => Err(pyo3::exceptions::PyAttributeError::new_err(name.to_owned())),
        }
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
        crate::pid::keep();
        let event_loop = bootstrap.call_method0("new_loop")?;
        let events = py.import("asyncio.events")?;
        bootstrap.call_method1("use_resume", (py.get_type::<Resume>(),))?;
        let call_soon = Bound::new(py, super::turn::CallSoon::new(py, &event_loop)?)?;
        event_loop.setattr("call_soon", super::turn::CallSoon::function(&call_soon)?)?;
        for (name, later) in [("call_at", false), ("call_later", true)] {
            let call = Bound::new(py, super::turn::CallAt::new(py, &event_loop, later)?)?;
            event_loop.setattr(name, super::turn::CallAt::function(&call)?)?;
        }
        bootstrap.call_method1(
            "use_socket_io",
            (py.get_type::<super::transport::SocketIo>(),),
        )?;
        Ok(Aio {
            set_running_loop: events.getattr("_set_running_loop")?.unbind(),
            create_task: event_loop.getattr("create_task")?.unbind(),
            task_type: py.import("asyncio.tasks")?.getattr("Task")?.unbind(),
            task_kwargs: {
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("loop", &event_loop)?;
                kwargs.unbind()
            },
            turn: Turn::new(py, &event_loop, bootstrap)?,
            adopt: bootstrap.getattr("adopt")?.unbind(),
            globals: bootstrap.dict().unbind(),
            anext_chunk: bootstrap.getattr("anext_chunk")?.unbind(),
            driving: bootstrap.getattr("driving")?.unbind(),
            run_until_complete: bootstrap.getattr("run_to_completion")?.unbind(),
            event_loop: event_loop.unbind(),
            wake: Notify::new(),
        })
    }

    fn set_running(&self, py: Python<'_>, running: bool) -> PyResult<()> {
        let arg = if running {
            self.event_loop.as_ptr()
        } else {
            // SAFETY: None is a static singleton.
            unsafe { ffi::Py_None() }
        };
        // SAFETY: live objects; a new reference (None) or NULL with an
        // exception. A one-argument vectorcall: no tuple is built.
        unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyObject_CallOneArg(self.set_running_loop.as_ptr(), arg),
            )
            .map(drop)
        }
    }

    /// The fast path: one `send(None)` into the handler's coroutine.
    pub(super) fn first_send<'py>(&self, py: Python<'py>, coro: &Bound<'py, PyAny>) -> Sent<'py> {
        if let Err(e) = self.set_running(py, true) {
            return Sent::Done(Err(e));
        }
        let timers = self.timers(py);
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
            && (self.turn.ready_len(py).unwrap_or(0) > 0 || self.timers(py) != timers)
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
        let (tx, rx) = oneshot::channel();
        let task = match suspended.made {
            Some(task) => {
                let signal = Bound::new(py, DoneSignal { tx: Some(tx) })?;
                task.call_method1(intern!(py, "add_done_callback"), (signal,))?;
                task
            }
            // The Task's coroutine completes the channel when the handler
            // finishes: no done callback (a `call_soon`, a handle and its
            // turn, per request). Should the Task be dropped unfinished,
            // the sender goes with it and `wait` reads the Task's state.
            None => {
                let resume = Bound::new(
                    py,
                    Resume::new(
                        Some(coro.unbind()),
                        Some(suspended.yielded.unbind()),
                        Some(tx),
                    ),
                )?;
                self.new_task(py, resume.into_any())?
            }
        };
        self.wake.notify_one();
        Ok(Pending {
            task: task.unbind(),
            done: rx,
            route,
            rid,
            request,
        })
    }

    /// The next item of the async iterator `it`, as a Task on the loop;
    /// the receiver completes when the Task is done.
    pub(super) fn next_of(
        &self,
        py: Python<'_>,
        it: &Bound<'_, PyAny>,
    ) -> PyResult<(Py<PyAny>, oneshot::Receiver<()>)> {
        let coro = self.anext_chunk.bind(py).call1((it,))?;
        self.task(py, coro)
    }

    /// Runs `coro` as a Task; the receiver completes when it is done.
    pub(super) fn task(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
    ) -> PyResult<(Py<PyAny>, oneshot::Receiver<()>)> {
        let task = self.new_task(py, coro)?;
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
        self.run_until_complete.bind(py).call1((awaitable,))
    }

    /// Runs `coro` as a Task of its own, answering nobody: the
    /// after-response work of route `route` (its failure is logged).
    pub(super) fn detach(
        &self,
        py: Python<'_>,
        coro: Bound<'_, PyAny>,
        route: &'static crate::app::Route,
    ) -> PyResult<()> {
        let task = self.new_task(py, coro)?;
        let log = Bound::new(py, LogFailure { route })?;
        task.call_method1(intern!(py, "add_done_callback"), (log,))?;
        self.wake.notify_one();
        Ok(())
    }

    /// `loop.create_task(coro)`. Without a task factory, outside debug mode
    /// and on an open loop, that method only makes an `asyncio.Task(coro,
    /// loop=loop)`: made here without its two Python frames.
    fn new_task<'py>(
        &self,
        py: Python<'py>,
        coro: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let lp = self.event_loop.bind(py);
        let attrs = self.turn.attrs();
        if attrs.get(lp, intern!(py, "_task_factory"))?.is_none()
            && !attrs.flag(lp, intern!(py, "_debug"))?
            && !attrs.flag(lp, intern!(py, "_closed"))?
        {
            return self
                .task_type
                .bind(py)
                .call((coro,), Some(self.task_kwargs.bind(py)));
        }
        self.create_task.bind(py).call1((coro,))
    }

    /// How many timers the loop holds.
    fn timers(&self, py: Python<'_>) -> usize {
        self.turn.scheduled(py).map_or(0, |s| s.len())
    }

    /// One turn of the loop (`turn.rs`), as its running loop.
    fn turn(&self, py: Python<'_>) -> PyResult<After> {
        self.set_running(py, true)?;
        let result = self.turn.run(py);
        self.set_running(py, false)?;
        result
    }
}

/// The loop's epoll fd, for tokio's reactor (borrowed: the selector owns it).
struct EpollFd(RawFd);

impl AsRawFd for EpollFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Runs the event loop's callbacks whenever there is something to run.
/// Spawn once, on the server's runtime; it never returns.
///
/// Each turn polls the selector itself (`turn.rs`); between turns with
/// nothing left to run, this waits for tokio to report the epoll fd
/// readable, for the next timer, or for a wake. tokio's readiness of the
/// fd is cleared before every turn (without waiting), so an event that
/// arrives after that turn's `epoll_wait` marks the fd ready again and is
/// never slept through, while events the turn already took do not cost
/// another, empty, turn.
pub(crate) async fn drive() {
    let Some(aio) = &interp().aio else {
        // No `async def` handler: no event loop to drive.
        return;
    };
    // SAFETY: the selector's epoll fd stays open for the life of the
    // process (the loop is stored in the global interpreter state).
    let fd = match unsafe {
        AsyncFd::register_with_interest(EpollFd(aio.turn.epoll_fd()), Interest::READABLE)
    } {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!(
                "cannot watch the asyncio loop's epoll fd: {e}; async handlers that suspend will hang"
            );
            return;
        }
    };
    Python::attach(|py| {
        if let Err(e) = aio.driving.bind(py).call0() {
            tracing::error!(traceback = %super::traceback(&e), "marking the asyncio loop running failed");
        }
    });
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(Ok(mut guard)) = fd.poll_read_ready(&mut cx) {
            guard.clear_ready();
        }
        let after = Python::attach(|py| {
            aio.turn(py).unwrap_or_else(|e| {
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
                // Turn again soon: what is left in `_ready` still runs.
                After {
                    now: aio.turn.ready_len(py).unwrap_or(0) > 0,
                    timer: Some(0.01),
                }
            })
        });
        if after.now {
            // Let IO and other requests run between turns.
            tokio::task::yield_now().await;
            continue;
        }
        let sleep = async {
            match after.timer {
                Some(secs) => tokio::time::sleep(Duration::from_secs_f64(secs)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Cleared at the top of the loop.
            _ = fd.readable() => {}
            () = sleep => {}
            () = aio.wake.notified() => {}
        }
    }
}
