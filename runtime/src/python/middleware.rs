//! Middleware written in Python (`BaseHTTPMiddleware` subclasses and
//! `@app.middleware("http")` functions) around the layers inside it.
//!
//! The middleware's `dispatch(request, call_next)` runs as an asyncio Task
//! (`prebake._middleware._run_middleware`). Its `call_next` hands the
//! server a future and waits on it; the server runs the inner layers and
//! the route (in Rust, as for any request), turns their response into a
//! `prebake.Response` the middleware can read and change, and sets the
//! future. The Response the Task returns is the answer; an exception out
//! of the middleware is a 500 with its traceback in the log.
//!
//! The middleware's `request.body` is the request's body, read before the
//! middleware runs (`server::pre_read`, which also hands it on to the
//! route), unless it is past `--max-body-size` or goes to a route that
//! takes uploads: then it is empty and the route reads it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use hyper::Request;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, SET_COOKIE};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use tokio::sync::oneshot;

use super::{interp, load::Interp, reply};
use crate::body::RespBody;
use crate::log::RequestId;
use crate::response::{self, Resp};

thread_local! {
    /// The `request.state` of each request inside a Python middleware, by
    /// request id: the middleware's requests and the route's share it, as
    /// Starlette's share their scope's state. Set by the outermost Python
    /// middleware and removed when it ends; empty in an app without one.
    static STATES: RefCell<Vec<(u64, Py<PyAny>)>> = const { RefCell::new(Vec::new()) };
}

/// Gives `request` the state of request `rid` when a Python middleware
/// holds it; otherwise does nothing.
pub(crate) fn share_state(
    py: Python<'_>,
    rid: RequestId,
    request: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let state = STATES.with_borrow(|s| {
        s.iter()
            .find(|(id, _)| *id == rid.0)
            .map(|(_, st)| st.clone_ref(py))
    });
    match state {
        Some(st) => request.setattr(pyo3::intern!(py, "_state"), st),
        None => Ok(()),
    }
}

/// Registers `request`'s state as request `rid`'s, unless an outer
/// middleware did; true when this call did (and must [`forget_state`]).
fn register_state(py: Python<'_>, rid: RequestId, request: &Bound<'_, PyAny>) -> PyResult<bool> {
    if STATES.with_borrow(|s| s.iter().any(|(id, _)| *id == rid.0)) {
        share_state(py, rid, request)?;
        return Ok(false);
    }
    let state = request.getattr(pyo3::intern!(py, "state"))?.unbind();
    STATES.with_borrow_mut(|s| s.push((rid.0, state)));
    Ok(true)
}

/// Forgets the state of the request it names when dropped.
struct StateGuard(Option<RequestId>);

impl Drop for StateGuard {
    fn drop(&mut self) {
        if let Some(rid) = self.0 {
            forget_state(rid);
        }
    }
}

fn forget_state(rid: RequestId) {
    let gone = STATES.with_borrow_mut(|s| {
        s.iter()
            .position(|(id, _)| *id == rid.0)
            .map(|i| s.swap_remove(i))
    });
    // Dropped with the GIL held.
    if let Some((_, state)) = gone {
        Python::attach(|_| drop(state));
    }
}

/// An exception out of the route, carried on its 500 to the innermost
/// Python middleware, whose `call_next` raises it.
#[derive(Clone)]
struct Raised(std::sync::Arc<PyErr>);

/// Marks `resp` (a 500) as the answer to `err`, for a middleware around it.
pub(crate) fn attach_exception(resp: &mut Resp, err: PyErr) {
    resp.extensions_mut()
        .insert(Raised(std::sync::Arc::new(err)));
}

/// `call_next`'s way to the server: called once with the future to set.
#[pyclass(module = "prebake._runtime")]
struct Next {
    tx: Option<oneshot::Sender<Py<PyAny>>>,
}

#[pymethods]
impl Next {
    fn __call__(&mut self, future: Bound<'_, PyAny>) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(future.unbind());
        }
    }
}

/// Runs the Python middleware at `index` of the stack around `inner`.
pub(crate) async fn middleware<'a, F>(
    index: usize,
    req: Request<Incoming>,
    body: hyper::body::Bytes,
    rid: RequestId,
    inner: F,
) -> Resp
where
    F: FnOnce(Request<Incoming>) -> Pin<Box<dyn Future<Output = Resp> + 'a>>,
{
    let interp = interp();
    let (Some(aio), Some(Some(dispatch))) = (&interp.aio, interp.middleware.get(index)) else {
        return response::internal_error();
    };
    // Whether no Python middleware sits outside this one: then an
    // exception out of it is answered (and logged) here.
    let outermost = interp.middleware[..index].iter().all(Option::is_none);
    let (tx, mut next) = oneshot::channel();
    // Forgets the shared state when this (outermost) middleware ends, or
    // its future is dropped with the connection.
    let mut owned = StateGuard(None);
    let started = Python::attach(|py| {
        let request = request_object(py, interp, &req, &body)?;
        if register_state(py, rid, &request)? {
            owned.0 = Some(rid);
        }
        let nxt = Bound::new(py, Next { tx: Some(tx) })?;
        let coro = interp
            .middleware_run
            .bind(py)
            .call1((dispatch.bind(py), request, nxt))?;
        aio.task(py, coro)
    });
    let (task, mut done) = match started {
        Ok(t) => t,
        Err(e) => return failed(rid, &e),
    };
    let is_head = req.method() == hyper::Method::HEAD;
    let mut parts = Some((req, inner));
    // A file body `call_next` could not give Python: put back on the
    // response if the middleware returns the one it got.
    let mut given: Option<Py<PyAny>> = None;
    let mut kept: Option<RespBody> = None;
    // A `HEAD` answer's `Content-Length` (the length a `GET` would send),
    // which the response rebuilt from Python would lose with its empty
    // body: put back if the middleware returns the response it got.
    let mut head_length: Option<hyper::header::HeaderValue> = None;
    loop {
        tokio::select! {
            _ = &mut done => break,
            future = &mut next, if parts.is_some() => {
                let Ok(future) = future else {
                    // `call_next` was never called and its sender is gone:
                    // the Task ends on its own.
                    let _ = parts.take();
                    continue;
                };
                let Some((req, inner)) = parts.take() else { continue };
                let mut resp = inner(req).await;
                let raised = resp.extensions_mut().remove::<Raised>();
                if is_head {
                    head_length = resp.headers().get(hyper::header::CONTENT_LENGTH).cloned();
                }
                Python::attach(|py| {
                    let result = match raised {
                        Some(Raised(err)) => future.bind(py).call_method1(
                            pyo3::intern!(py, "set_exception"),
                            (err.value(py),),
                        ),
                        None => to_python(py, interp, resp).and_then(|(obj, body)| {
                            let set = future
                                .bind(py)
                                .call_method1(pyo3::intern!(py, "set_result"), (&obj,));
                            given = Some(obj.clone().unbind());
                            kept = body;
                            set
                        }),
                    };
                    if let Err(e) = result {
                        // A cancelled future: the middleware has gone.
                        tracing::debug!(request_id = %rid, "call_next's result dropped: {e}");
                    }
                });
                aio.wake();
            }
        }
    }
    drop(owned);
    Python::attach(
        |py| match task.bind(py).call_method0(pyo3::intern!(py, "result")) {
            Ok(v) => reply::built_response(py, interp, &v)
                .map(|mut resp| {
                    if given.as_ref().is_some_and(|g| g.bind(py).is(&v)) {
                        if let Some(body) = kept {
                            *resp.body_mut() = body;
                        }
                        if let Some(len) = head_length {
                            resp.headers_mut()
                                .insert(hyper::header::CONTENT_LENGTH, len);
                        }
                    }
                    resp
                })
                .unwrap_or_else(|m| {
                    tracing::error!(
                        request_id = %rid,
                        "a middleware returned {m}; answered 500"
                    );
                    response::internal_error()
                }),
            Err(e) if outermost => failed(rid, &e),
            Err(e) => {
                // A Python middleware outside this one gets it from its own
                // `call_next`, and may catch it.
                let mut resp = response::internal_error();
                attach_exception(&mut resp, e);
                resp
            }
        },
    )
}

#[cold]
fn failed(rid: RequestId, err: &PyErr) -> Resp {
    tracing::error!(
        request_id = %rid,
        traceback = %super::traceback(err),
        "a middleware raised (or let the route's exception through); answered 500"
    );
    response::internal_error()
}

/// The middleware's `Request`: method, path, query, headers and the body
/// read for it.
fn request_object<'py>(
    py: Python<'py>,
    interp: &Interp,
    req: &Request<Incoming>,
    body: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let headers = PyList::empty(py);
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers.append((name.as_str(), value.as_ref()))?;
    }
    let uri = req.uri();
    interp.request_cls.bind(py).call1((
        req.method().as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        headers,
        PyBytes::new(py, body),
        py.None(),
    ))
}

/// The inner layers' response as a `prebake.Response`: `Content-Type` as
/// its `media_type`, `Set-Cookie` lines in `set_cookies`, a repeated header
/// joined with `, `. A `StreamingResponse`'s body stays its iterator (a
/// `StreamingResponse` again, its `body_iterator` unread); a file's body
/// cannot be Python's, so it is given back beside the object (whose body
/// is empty) to be put back on the answer.
fn to_python<'py>(
    py: Python<'py>,
    interp: &Interp,
    mut resp: Resp,
) -> PyResult<(Bound<'py, PyAny>, Option<RespBody>)> {
    let status = resp.status().as_u16();
    let iterator = match resp.body() {
        RespBody::Stream(s) => s
            .as_any()
            .and_then(|a| a.downcast_ref::<super::stream::PyChunks>())
            .and_then(|c| c.unstarted(py)),
        _ => None,
    };
    let mut kept = None;
    let obj = if let Some(it) = iterator {
        let it = py
            .import(pyo3::intern!(py, "prebake._middleware"))?
            .getattr(pyo3::intern!(py, "_aiter"))?
            .call1((it,))?;
        py.import(pyo3::intern!(py, "prebake._response"))?
            .getattr(pyo3::intern!(py, "StreamingResponse"))?
            .call1((it, status))?
    } else {
        let body = crate::middleware::take_body(&mut resp);
        if !matches!(resp.body(), RespBody::Full(None)) {
            kept = Some(std::mem::replace(resp.body_mut(), RespBody::empty()));
        }
        interp
            .response_cls
            .bind(py)
            .call1((PyBytes::new(py, &body), status))?
    };
    let headers = PyDict::new(py);
    let cookies = PyList::empty(py);
    let mut media_type: Option<String> = None;
    for (name, value) in resp.headers() {
        let v = String::from_utf8_lossy(value.as_bytes());
        if name == CONTENT_TYPE {
            media_type = Some(v.into_owned());
        } else if name == SET_COOKIE {
            cookies.append(v.as_ref())?;
        } else {
            let joined = match headers.get_item(name.as_str())? {
                Some(prev) => format!("{}, {v}", prev.extract::<String>()?),
                None => v.into_owned(),
            };
            headers.set_item(name.as_str(), joined)?;
        }
    }
    obj.setattr(pyo3::intern!(py, "headers"), headers)?;
    obj.setattr(pyo3::intern!(py, "media_type"), media_type)?;
    obj.setattr(pyo3::intern!(py, "set_cookies"), cookies)?;
    Ok((obj, kept))
}
