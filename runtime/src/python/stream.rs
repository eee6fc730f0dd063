//! A `StreamingResponse`'s body: chunks pulled from the handler's iterator
//! as the connection asks for them.
//!
//! A sync iterator is advanced on the server thread, one `next()` per
//! frame (Starlette moves it to a thread pool; here a slow iterator holds
//! the thread, so slow sources belong in an async generator). An async
//! iterator's `__anext__()` runs as a Task on the app's event loop, and the
//! body waits for it without holding the thread. An exception from the
//! iterator ends the response without its last chunk, so the client sees
//! a truncated body rather than a complete wrong one, and is logged with
//! its traceback.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::Bytes;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use tokio::sync::oneshot;

use super::interp;
use crate::body::{BodyError, Chunks};
use crate::log::RequestId;

/// The chunks of a handler's iterator.
pub(super) struct PyChunks {
    it: Py<PyAny>,
    is_async: bool,
    /// The Task computing the next chunk of an async iterator.
    pending: Option<(Py<PyAny>, oneshot::Receiver<()>)>,
    /// The route and request it answers (`None` for an exception
    /// handler's response).
    origin: Option<(&'static crate::app::Route, RequestId)>,
}

impl PyChunks {
    /// The chunks of `content` (a `StreamingResponse.body_iterator`).
    pub(super) fn new(
        content: &Bound<'_, PyAny>,
        origin: Option<(&'static crate::app::Route, RequestId)>,
    ) -> PyResult<PyChunks> {
        let py = content.py();
        let is_async = content.hasattr(intern!(py, "__aiter__"))?;
        let it = if is_async {
            content.call_method0(intern!(py, "__aiter__"))?
        } else {
            content.try_iter()?.into_any()
        };
        Ok(PyChunks {
            it: it.unbind(),
            is_async,
            pending: None,
            origin,
        })
    }

    fn failed(&self, err: &PyErr) -> BodyError {
        let (route, handler, rid) = match self.origin {
            Some((r, rid)) => (
                super::reply::RouteName(r).to_string(),
                r.handler,
                rid.to_string(),
            ),
            None => (String::new(), "", String::new()),
        };
        tracing::error!(
            route = %route,
            handler = handler,
            request_id = %rid,
            traceback = %super::traceback(err),
            "the StreamingResponse's iterator raised; the connection was closed mid-body"
        );
        "the response's iterator raised".into()
    }
}

/// A chunk as bytes: `bytes`, `str` (UTF-8) or any buffer.
fn chunk_bytes(v: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_str()?.as_bytes()));
    }
    let b = v.py().get_type::<PyBytes>().call1((v,))?;
    Ok(Bytes::copy_from_slice(b.cast::<PyBytes>()?.as_bytes()))
}

impl PyChunks {
    /// The iterator, while no chunk has been asked for (what a Python
    /// middleware's `call_next` gives back as `body_iterator`).
    pub(super) fn unstarted(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.pending.is_none().then(|| self.it.clone_ref(py))
    }
}

impl Chunks for PyChunks {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        loop {
            if !self.is_async {
                let next = Python::attach(|py| {
                    let it = self.it.bind(py);
                    match it.call_method0(intern!(py, "__next__")) {
                        Ok(v) => Some(chunk_bytes(&v).map_err(|e| self.failed(&e))),
                        Err(e) if e.is_instance_of::<PyStopIteration>(py) => None,
                        Err(e) => Some(Err(self.failed(&e))),
                    }
                });
                match next {
                    Some(Ok(b)) if b.is_empty() => continue,
                    next => return Poll::Ready(next),
                }
            }
            if self.pending.is_none() {
                let started = Python::attach(|py| {
                    let Some(aio) = interp().aio.as_ref() else {
                        let e = pyo3::exceptions::PyRuntimeError::new_err(
                            "an async iterator needs the event loop of an app with `async def` handlers",
                        );
                        return Err(self.failed(&e));
                    };
                    aio.next_of(py, self.it.bind(py))
                        .map_err(|e| self.failed(&e))
                });
                match started {
                    Ok(p) => self.pending = Some(p),
                    Err(e) => return Poll::Ready(Some(Err(e))),
                }
            }
            let Some((_, rx)) = &mut self.pending else {
                continue;
            };
            if Pin::new(rx).poll(cx).is_pending() {
                return Poll::Pending;
            }
            let Some((task, _)) = self.pending.take() else {
                continue;
            };
            let next =
                Python::attach(
                    |py| match task.bind(py).call_method0(intern!(py, "result")) {
                        Ok(v) => Some(chunk_bytes(&v).map_err(|e| self.failed(&e))),
                        Err(e) if e.is_instance_of::<PyStopAsyncIteration>(py) => None,
                        Err(e) => Some(Err(self.failed(&e))),
                    },
                );
            match next {
                Some(Ok(b)) if b.is_empty() => {}
                next => return Poll::Ready(next),
            }
        }
    }
}

impl Drop for PyChunks {
    /// A client that went away: the Task computing the next chunk is
    /// cancelled.
    fn drop(&mut self) {
        if let Some((task, _)) = self.pending.take() {
            Python::attach(|py| {
                let _ = task.bind(py).call_method0(intern!(py, "cancel"));
            });
        }
    }
}
