//! What a route with dependencies leaves for after its handler: the
//! `Response` parameter merged into the response, and the work that runs
//! once the response is on its way (background tasks, then the teardown of
//! `yield` dependencies).
//!
//! Such a route's generated function returns a `prebake._solve.Scope`
//! (see `runtime/python/prebake/_solve.py`). Its `result` is encoded as any
//! handler's value; its `response`, when the handler took a `Response`
//! parameter, lends its status (when set), then its headers and cookies,
//! appended, as FastAPI does, unless the handler returned a `Response` of
//! its own. Its `close` runs on the interpreter thread after the response
//! is handed to the connection (a local task that first yields, so hyper
//! writes the response before it runs); an async scope's `aclose` runs as
//! a Task on the event loop. A failure there cannot change the response
//! any more: it is logged with the route. A `Response` a handler returns
//! with `background=` set has its tasks run the same way.

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue, SET_COOKIE};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::load::Interp;
use super::{plain_traceback, reply::RouteName};
use crate::app::Route;
use crate::response::Resp;

/// A deferred route's `Scope`, taken apart.
pub(super) struct Scope<'py> {
    scope: Bound<'py, PyAny>,
    /// The handler's value.
    pub(super) result: Bound<'py, PyAny>,
    /// The `Response` parameter, if the handler took one.
    temporal: Option<Bound<'py, PyAny>>,
}

impl<'py> Scope<'py> {
    /// Reads a `Scope` returned by a generated route function.
    pub(super) fn take(py: Python<'py>, scope: Bound<'py, PyAny>) -> PyResult<Scope<'py>> {
        let result = scope.getattr(intern!(py, "result"))?;
        let temporal = scope.getattr(intern!(py, "response"))?;
        let temporal = (!temporal.is_none()).then_some(temporal);
        Ok(Scope {
            scope,
            result,
            temporal,
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
                *resp.body_mut() = http_body_util::Full::new(hyper::body::Bytes::new());
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
                    resp.headers_mut().append(name, value);
                }
            }
        }
        add_cookies(py, t, resp);
    }

    /// Hands the after-response work to the runtime, if there is any.
    pub(super) fn finish(self, py: Python<'py>, interp: &Interp, route: &'static Route) {
        // A `Response` returned with its own background tasks runs those
        // instead of the injected ones, as FastAPI does.
        if let Ok(bg) = self.result.getattr(intern!(py, "background"))
            && !bg.is_none()
            && self
                .result
                .is_instance(interp.response_cls.bind(py))
                .unwrap_or(false)
            && let Err(e) = self
                .scope
                .call_method1(intern!(py, "replace_background"), (bg,))
        {
            log_failure(py, route, &e);
        }
        let pending = self
            .scope
            .getattr(intern!(py, "pending"))
            .and_then(|p| p.is_truthy())
            .unwrap_or(false);
        if pending {
            schedule(py, interp, route, self.scope);
        }
    }
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
/// returned: run after the response, as a scope's.
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
    let scope = py
        .import("prebake._solve")
        .and_then(|m| m.call_method1("background_scope", (bg,)));
    match scope {
        Ok(scope) => schedule(py, interp, route, scope),
        Err(e) => log_failure(py, route, &e),
    }
}

/// Runs `scope.close()` after the response is written, or `aclose()` on
/// the event loop for an async scope.
fn schedule(py: Python<'_>, interp: &Interp, route: &'static Route, scope: Bound<'_, PyAny>) {
    let is_async = scope
        .getattr(intern!(py, "is_async"))
        .and_then(|a| a.is_truthy())
        .unwrap_or(false);
    if is_async && let Some(aio) = &interp.aio {
        match scope.call_method0(intern!(py, "aclose")) {
            Ok(coro) => {
                if let Err(e) = aio.detach(py, coro, route) {
                    log_failure(py, route, &e);
                }
            }
            Err(e) => log_failure(py, route, &e),
        }
        return;
    }
    let method = if is_async { "run_async_close" } else { "close" };
    let scope = scope.unbind();
    tokio::task::spawn_local(async move {
        // Let the connection write the response first.
        tokio::task::yield_now().await;
        Python::attach(|py| {
            if let Err(e) = scope.bind(py).call_method0(method) {
                log_failure(py, route, &e);
            }
        });
    });
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
