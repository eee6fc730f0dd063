//! What a route with dependencies leaves for after its handler: the
//! `Response` parameter merged into the response, and the work that runs
//! once the response is on its way (background tasks, then the teardown of
//! `yield` dependencies).
//!
//! Such a route's generated function returns a tuple (see
//! `runtime/python/prebake/_solve.py`): the value is encoded as any
//! handler's; the `Response` parameter, when the handler took one, lends
//! its status (when set), then its headers and cookies,
//! appended, as FastAPI does, unless the handler returned a `Response` of
//! its own. The generators and tasks are closed on the interpreter thread
//! after the response is handed to the connection (by one drainer task, in
//! a later turn of the runtime than the request's); async ones as a Task on
//! the event loop. A failure there cannot change the response
//! any more: it is logged with the route. A `Response` a handler returns
//! with `background=` set has its tasks run the same way.

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue, SET_COOKIE};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyTuple};

use super::load::Interp;
use super::{plain_traceback, reply::RouteName};
use crate::app::Route;
use crate::response::Resp;

/// What a deferred route's function returned, taken apart: the tuple
/// `(value, generators, background tasks, Response parameter, async)`.
pub(super) struct Scope<'py> {
    /// The handler's value.
    pub(super) result: Bound<'py, PyAny>,
    /// The `yield` dependencies to close after the response, oldest first.
    gens: Option<Bound<'py, PyList>>,
    /// The request's `BackgroundTasks`, if the graph took it.
    background: Option<Bound<'py, PyAny>>,
    /// The `Response` parameter, if the graph took it.
    temporal: Option<Bound<'py, PyAny>>,
    /// Whether an async generator is among `gens`.
    async_gens: bool,
}

impl<'py> Scope<'py> {
    /// Reads the tuple a generated route function returned.
    pub(super) fn take(returned: Bound<'py, PyAny>) -> PyResult<Scope<'py>> {
        let t = returned.cast_into::<PyTuple>()?;
        let some = |i: usize| -> PyResult<Option<Bound<'py, PyAny>>> {
            let v = t.get_item(i)?;
            Ok((!v.is_none()).then_some(v))
        };
        let gens = match some(1)? {
            Some(g) => Some(g.cast_into::<PyList>()?),
            None => None,
        };
        Ok(Scope {
            result: t.get_item(0)?,
            gens,
            background: some(2)?,
            temporal: some(3)?,
            async_gens: t.get_item(4)?.is_truthy()?,
        })
    }

    /// Merges the `Response` parameter into `resp` (not when the handler
    /// returned a `Response` of its own, which is sent as built).
    pub(super) fn apply(&self, py: Python<'py>, interp: &Interp, resp: &mut Resp) {
        let Some(t) = &self.temporal else { return };
        if self
            .result
            .is_instance(interp.response_cls.bind(py))
            .unwrap_or(false)
        {
            return;
        }
        if let Ok(status) = t.getattr(intern!(py, "status_code"))
            && let Ok(Some(code)) = status.extract::<Option<u16>>()
            && code != 0
            && let Ok(code) = StatusCode::from_u16(code)
        {
            *resp.status_mut() = code;
            if matches!(code.as_u16(), 100..=199 | 204 | 205 | 304) {
                *resp.body_mut() = crate::body::RespBody::empty();
            }
        }
        if let Ok(headers) = t.getattr(intern!(py, "headers"))
            && let Ok(headers) = headers.cast::<PyDict>()
        {
            for (k, v) in headers.iter() {
                if let (Ok(k), Ok(v)) = (k.extract::<String>(), v.extract::<String>())
                    && let (Ok(name), Ok(value)) = (
                        HeaderName::from_bytes(k.as_bytes()),
                        HeaderValue::from_str(&v),
                    )
                    && name != hyper::header::CONTENT_LENGTH
                    && name != hyper::header::TRANSFER_ENCODING
                {
                    crate::response::set_header(resp, name, value);
                }
            }
        }
        add_cookies(py, t, resp);
    }

    /// Hands the after-response work to the runtime, if there is any.
    pub(super) fn finish(mut self, py: Python<'py>, interp: &Interp, route: &'static Route) {
        // A `Response` returned with its own background tasks runs those
        // instead of the injected ones, as FastAPI does.
        if self
            .result
            .is_instance(interp.response_cls.bind(py))
            .unwrap_or(false)
            && let Ok(bg) = self.result.getattr(intern!(py, "background"))
            && !bg.is_none()
        {
            match solve(py).and_then(|m| m.call_method1("background_tasks", (bg,))) {
                Ok(tasks) => self.background = Some(tasks),
                Err(e) => log_failure(py, route, &e),
            }
        }
        let has_tasks = self.background.as_ref().is_some_and(|b| {
            b.getattr(intern!(py, "tasks"))
                .and_then(|t| t.is_truthy())
                .unwrap_or(false)
        });
        let has_gens = self.gens.as_ref().is_some_and(|g| !g.is_empty());
        if !has_tasks && !has_gens {
            return;
        }
        let needs_loop = self.async_gens
            || (has_tasks
                && solve(py)
                    .and_then(|m| {
                        m.call_method1(intern!(py, "needs_loop"), (py.None(), &self.background))
                    })
                    .and_then(|b| b.is_truthy())
                    .unwrap_or(true));
        let gens = self.gens.map(Bound::unbind);
        let background = self.background.map(Bound::unbind);
        schedule(py, interp, route, gens, background, needs_loop);
    }
}

/// `prebake._solve`, imported once.
fn solve(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    static SOLVE: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    SOLVE
        .get_or_try_init(py, || py.import("prebake._solve").map(Bound::unbind))
        .map(|m| m.bind(py).clone())
}

/// Appends a `Response`'s `set_cookies` as `Set-Cookie` headers.
pub(super) fn add_cookies(py: Python<'_>, response: &Bound<'_, PyAny>, resp: &mut Resp) {
    let Ok(cookies) = response.getattr(intern!(py, "set_cookies")) else {
        return;
    };
    let Ok(cookies) = cookies.cast::<PyList>() else {
        return;
    };
    for c in cookies.iter() {
        if let Ok(c) = c.extract::<String>()
            && let Ok(v) = HeaderValue::from_str(&c)
        {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
}

/// The background tasks of a `Response` a route without dependencies
/// returned: run after the response.
pub(super) fn response_background(
    py: Python<'_>,
    interp: &Interp,
    route: &'static Route,
    response: &Bound<'_, PyAny>,
) {
    let Ok(bg) = response.getattr(intern!(py, "background")) else {
        return;
    };
    if bg.is_none() {
        return;
    }
    let tasks = solve(py).and_then(|m| m.call_method1("background_tasks", (bg,)));
    let needs_loop = tasks.as_ref().map_or(Ok(false), |t| {
        solve(py)
            .and_then(|m| m.call_method1(intern!(py, "needs_loop"), (py.None(), t)))
            .and_then(|b| b.is_truthy())
    });
    match (tasks, needs_loop) {
        (Ok(tasks), Ok(needs_loop)) => {
            schedule(py, interp, route, None, Some(tasks.unbind()), needs_loop);
        }
        (Err(e), _) | (_, Err(e)) => log_failure(py, route, &e),
    }
}

/// Runs the after-response work once the response is written: on the
/// event loop when it is async, else on the interpreter thread in a local
/// task (generators alone are closed with a C-level send each).
fn schedule(
    py: Python<'_>,
    interp: &Interp,
    route: &'static Route,
    gens: Option<Py<PyList>>,
    background: Option<Py<PyAny>>,
    needs_loop: bool,
) {
    if needs_loop && let Some(aio) = &interp.aio {
        let coro =
            solve(py).and_then(|m| m.call_method1(intern!(py, "aclose"), (gens, background)));
        match coro.and_then(|c| aio.detach(py, c, route)) {
            Ok(()) => {}
            Err(e) => log_failure(py, route, &e),
        }
        return;
    }
    let mut work = Work {
        route,
        gens,
        background,
    };
    if route.on_pool {
        // Sync teardown that may block runs where the handler did.
        match super::pool::close_later(work) {
            Ok(()) => return,
            Err(w) => work = w,
        }
    }
    let queued = QUEUE.with_borrow_mut(|q| {
        q.push(work);
        q.len()
    });
    if queued == 1 {
        start_drainer();
        WAKE.notify_one();
    }
}

/// After-response work waiting for the drainer (or, for a pool route, a
/// pool thread).
pub(super) struct Work {
    route: &'static Route,
    gens: Option<Py<PyList>>,
    background: Option<Py<PyAny>>,
}

thread_local! {
    /// Work queued by requests since the drainer last ran.
    static QUEUE: std::cell::RefCell<Vec<Work>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Whether the drainer task runs on this thread.
    static DRAINING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wakes the drainer.
static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// One long-lived local task runs the queued work: woken after a request
/// queued some, it runs in a later turn of the runtime than the request,
/// so hyper has written the response by then (a task per request would
/// cost an allocation and a scheduling each).
fn start_drainer() {
    if DRAINING.replace(true) {
        return;
    }
    tokio::task::spawn_local(async {
        loop {
            WAKE.notified().await;
            drain();
        }
    });
}

/// Runs every queued piece of work now (also at shutdown, so teardown is
/// not lost when the server stops).
pub(crate) fn drain() {
    loop {
        let work = QUEUE.with_borrow_mut(std::mem::take);
        if work.is_empty() {
            return;
        }
        Python::attach(|py| {
            for w in work {
                w.run(py);
            }
        });
    }
}

impl Work {
    /// Closes the generators and runs the background tasks, logging a
    /// failure.
    pub(super) fn run(self, py: Python<'_>) {
        let result = match (&self.gens, &self.background) {
            (Some(gens), None) => close_generators(py, gens.bind(py)),
            _ => solve(py)
                .and_then(|m| m.call_method1(intern!(py, "close"), (self.gens, self.background)))
                .map(drop),
        };
        if let Err(e) = result {
            log_failure(py, self.route, &e);
        }
    }
}

/// Closes sync generators, newest first: one send each, which returns
/// without raising `StopIteration` when the generator ends as it should.
/// Anything else goes through `prebake._solve.close` for its messages.
fn close_generators(py: Python<'_>, gens: &Bound<'_, PyList>) -> PyResult<()> {
    let mut error = None;
    for i in (0..gens.len()).rev() {
        let generator = gens.get_item(i)?;
        let mut out: *mut pyo3::ffi::PyObject = std::ptr::null_mut();
        // SAFETY: `gen` is a live generator; PyIter_Send returns a new
        // reference in `out` for RETURN and NEXT, or sets an exception.
        let status =
            unsafe { pyo3::ffi::PyIter_Send(generator.as_ptr(), py.None().as_ptr(), &raw mut out) };
        // SAFETY: `out` is a new reference when not null.
        drop(unsafe { Bound::from_owned_ptr_or_opt(py, out) });
        match status {
            pyo3::ffi::PySendResult::PYGEN_RETURN => {}
            pyo3::ffi::PySendResult::PYGEN_ERROR => {
                error.get_or_insert(PyErr::fetch(py));
            }
            pyo3::ffi::PySendResult::PYGEN_NEXT => {
                // Yielded again: the Python side says so, with its name.
                error.get_or_insert_with(|| {
                    pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "a `yield` dependency yielded more than once: {}",
                        generator
                            .repr()
                            .map_or_else(|_| "?".to_string(), |r| r.to_string())
                    ))
                });
            }
        }
    }
    error.map_or(Ok(()), Err)
}

/// One log line for a failure after the response was sent.
pub(super) fn log_failure(py: Python<'_>, route: &'static Route, err: &PyErr) {
    tracing::error!(
        route = %RouteName(route),
        handler = route.handler,
        traceback = %plain_traceback(py, err),
        "a background task or a dependency's teardown failed after the response was sent"
    );
}
