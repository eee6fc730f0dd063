//! The app's exception handlers (`App(exception_handlers={...})`,
//! `@app.exception_handler(...)`), read from the `App` object once at
//! start-up.
//!
//! Lookup follows Starlette: for an `HTTPException`, a handler registered
//! for its status code first, then the most specific class of the
//! exception's MRO that has one. As in FastAPI, which always registers its
//! own handlers for `HTTPException` and `RequestValidationError`, the MRO
//! walk stops at those two classes: a handler for `Exception` never sees
//! them. A handler answers `(request, exc) -> Response`; an `async def`
//! handler is driven to its result on the spot. The router's own 404 and
//! 405 reach a handler for `HTTPException` (or for 404/405), as in
//! Starlette; without handlers nothing here runs and the answers stay the
//! built-in ones.

use hyper::HeaderMap;
use hyper::header::HeaderValue;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple, PyType};

use super::load::Interp;
use super::{aio, interp, plain_traceback, reply};
use crate::response::{self, Resp};
use crate::validate::{Rejection, RejectionKind};

/// The registered handlers; empty for most apps.
pub(super) struct Handlers {
    by_class: Vec<(Py<PyType>, Py<PyAny>)>,
    by_status: Vec<(u16, Py<PyAny>)>,
    /// `prebake.RequestValidationError`.
    validation_cls: Py<PyType>,
    /// `prebake.HTTPException`.
    http_cls: Py<PyType>,
    /// The handler validation failures go to, found once.
    validation: Option<Py<PyAny>>,
    /// Whether the router's 404 or 405 have a handler.
    routing: bool,
}

impl Handlers {
    /// Reads `app.exception_handlers` (a dict keyed by class or status).
    pub(super) fn load(
        py: Python<'_>,
        app: Option<&Bound<'_, PyAny>>,
        prebake: &Bound<'_, PyModule>,
        http_exception: &Bound<'_, PyType>,
    ) -> PyResult<Handlers> {
        let validation_cls = prebake
            .getattr("RequestValidationError")?
            .cast_into::<PyType>()?;
        let mut h = Handlers {
            by_class: Vec::new(),
            by_status: Vec::new(),
            validation_cls: validation_cls.clone().unbind(),
            http_cls: http_exception.clone().unbind(),
            validation: None,
            routing: false,
        };
        let Some(app) = app else { return Ok(h) };
        let Some(registered) = app.getattr_opt(intern!(py, "exception_handlers"))? else {
            return Ok(h);
        };
        let Ok(registered) = registered.cast_into::<PyDict>() else {
            return Ok(h);
        };
        for (key, handler) in registered.iter() {
            if let Ok(cls) = key.cast::<PyType>() {
                h.by_class.push((cls.clone().unbind(), handler.unbind()));
            } else if let Ok(status) = key.extract::<u16>() {
                h.by_status.push((status, handler.unbind()));
            }
        }
        h.validation = h.for_class(py, &validation_cls).map(Bound::unbind);
        h.routing = h.by_status.iter().any(|(s, _)| matches!(s, 404 | 405))
            || h.for_class(py, http_exception).is_some();
        Ok(h)
    }

    /// Whether any handler is registered (then requests carry a
    /// `Request` object for them).
    pub(super) fn is_empty(&self) -> bool {
        self.by_class.is_empty() && self.by_status.is_empty()
    }

    /// The handler for exceptions of class `cls`, by its MRO.
    fn for_class<'py>(
        &self,
        py: Python<'py>,
        cls: &Bound<'py, PyType>,
    ) -> Option<Bound<'py, PyAny>> {
        let mro = cls.getattr(intern!(py, "__mro__")).ok()?;
        let mro = mro.cast::<PyTuple>().ok()?;
        let http = self.http_cls.bind(py);
        for base in mro.iter() {
            if let Some((_, handler)) = self.by_class.iter().find(|(c, _)| c.bind(py).is(&base)) {
                return Some(handler.bind(py).clone());
            }
            // FastAPI answers these two itself before any broader handler.
            if base.is(self.validation_cls.bind(py)) || base.is(http) {
                return None;
            }
        }
        None
    }

    /// The handler for `exc`: its status code's for an `HTTPException`,
    /// else its class's.
    fn find<'py>(&self, py: Python<'py>, exc: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        if !self.by_status.is_empty()
            && exc.is_instance(self.http_cls.bind(py)).unwrap_or(false)
            && let Ok(status) = exc
                .getattr(intern!(py, "status_code"))
                .and_then(|s| s.extract::<u16>())
            && let Some((_, h)) = self.by_status.iter().find(|(s, _)| *s == status)
        {
            return Some(h.bind(py).clone());
        }
        self.for_class(py, &exc.get_type())
    }

    /// The response of the handler for `exc`, or `None` when no handler
    /// takes it. A handler that fails is a 500 with its traceback logged.
    pub(super) fn respond(
        &self,
        py: Python<'_>,
        interp: &Interp,
        request: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
    ) -> Option<Resp> {
        let handler = self.find(py, exc)?;
        Some(call(py, interp, &handler, request, exc))
    }
}

/// Calls `handler(request, exc)` and sends the `Response` it returns.
fn call(
    py: Python<'_>,
    interp: &Interp,
    handler: &Bound<'_, PyAny>,
    request: &Bound<'_, PyAny>,
    exc: &Bound<'_, PyAny>,
) -> Resp {
    let name = handler
        .getattr(intern!(py, "__qualname__"))
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    let mut result = handler.call1((request, exc));
    if let Ok(value) = &result
        && value.hasattr(intern!(py, "__await__")).unwrap_or(false)
    {
        result = match &interp.aio {
            Some(aio) => match aio.first_send(py, value) {
                aio::Sent::Done(r) => r,
                s @ aio::Sent::Suspended(..) => {
                    s.abandon(value);
                    Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "an async exception handler that awaits something that suspends is not supported; \
                         make it a plain `def`",
                    ))
                }
            },
            None => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "an async exception handler needs the event loop",
            )),
        };
    }
    let built = result.map_err(|e| {
        tracing::error!(handler = %name, traceback = %plain_traceback(py, &e), "an exception handler raised");
    });
    match built.ok().map(|v| reply::built_response(py, interp, &v)) {
        Some(Ok(resp)) => resp,
        Some(Err(m)) => {
            tracing::error!(handler = %name, "an exception handler did not return a Response: {m}");
            response::internal_error()
        }
        None => response::internal_error(),
    }
}

/// The validation failure of a request, as a `RequestValidationError`
/// for the app's handler; `None` without one.
pub(super) fn validation(
    py: Python<'_>,
    interp: &Interp,
    request: Option<&Bound<'_, PyAny>>,
    rej: &Rejection,
    body: &[u8],
) -> Option<Resp> {
    let handler = interp.handlers.validation.as_ref()?.bind(py);
    let request = request?;
    let entry = PyDict::new(py);
    let filled = match rej.kind() {
        RejectionKind::Validation {
            source,
            key,
            message,
        } => entry
            .set_item("message", message.as_ref())
            .and_then(|()| entry.set_item("key", key.as_ref()))
            .and_then(|()| entry.set_item("source", source.as_str())),
        RejectionKind::Status { detail, .. } => entry
            .set_item("message", detail.as_ref())
            .and_then(|()| entry.set_item("key", ""))
            .and_then(|()| entry.set_item("source", "body")),
    };
    let exc = filled
        .and_then(|()| PyList::new(py, [entry]))
        .and_then(|errors| {
            let kwargs = PyDict::new(py);
            kwargs.set_item("body", PyBytes::new(py, body))?;
            interp
                .handlers
                .validation_cls
                .bind(py)
                .call((errors,), Some(&kwargs))
        });
    match exc {
        Ok(exc) => Some(call(py, interp, handler, request, &exc)),
        Err(e) => {
            tracing::error!(traceback = %plain_traceback(py, &e), "building a RequestValidationError failed");
            Some(response::internal_error())
        }
    }
}

/// The router's 404 (`allow` is `None`) or 405, through the app's handler
/// for `HTTPException` or for the status; `None` when the app has none.
pub(crate) fn router_error(
    status: u16,
    allow: Option<&HeaderValue>,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<Resp> {
    let interp = interp();
    if !interp.handlers.routing {
        return None;
    }
    Python::attach(|py| {
        let detail = if status == 404 {
            "Not Found"
        } else {
            "Method Not Allowed"
        };
        let exc_headers = PyDict::new(py);
        if let Some(allow) = allow.and_then(|a| a.to_str().ok()) {
            exc_headers.set_item("Allow", allow).ok()?;
        }
        let exc = interp
            .http_exception
            .bind(py)
            .call1((status, detail, exc_headers))
            .ok()?;
        let handler = interp.handlers.find(py, &exc)?;
        let request = request_object(py, interp, method, path, query, headers).ok()?;
        Some(call(py, interp, &handler, &request, &exc))
    })
}

/// A `prebake.Request` for a request no route took (no body, no path
/// parameters).
fn request_object<'py>(
    py: Python<'py>,
    interp: &Interp,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        list.append((name.as_str(), value.as_ref()))?;
    }
    interp
        .request_cls
        .bind(py)
        .call1((method, path, query, list, PyBytes::new(py, b""), py.None()))
}
