//! Dispatch: one request's Python side, from the generated decoder through
//! the handler call (and an `async def` handler's first send) to the reply.

use pyo3::ffi;
use pyo3::prelude::*;

use super::{Call, aio, handlers, interp, pool, reply, slow};
use crate::log::RequestId;
use crate::request::Req;
use crate::response::{self, Resp};

/// The result of dispatching a request to Python.
pub(crate) enum Outcome {
    /// The response is ready (sync handlers, async handlers that did not
    /// suspend, and every error).
    Ready(Resp),
    /// An async handler suspended: its task runs on the event loop.
    Pending(aio::Pending),
    /// A `def` handler runs on the thread pool.
    Pool(pool::Pending),
}

/// Whether route `index` is served by [`dispatch_plain`]: a plain route
/// (a `def` handler with no parameters, no body, not on the pool, not a
/// dependency graph) in an app with no exception handlers (which would
/// take the request). Its decode function has nothing to read or push, so
/// the call is made straight away with no `Call`, no request view and no
/// argument bookkeeping. Asked once per route at start-up.
pub(crate) fn is_plain(index: usize) -> bool {
    let interp = interp();
    interp.routes[index].plain && interp.handlers.is_empty()
}

/// Calls a plain route's handler (see [`is_plain`]) with no arguments and
/// makes its response, as [`dispatch`] does for it.
pub(crate) fn dispatch_plain(index: usize, rid: RequestId) -> Resp {
    if super::startup::serving_attached() {
        // SAFETY: as in `dispatch`.
        return plain_in(unsafe { Python::assume_attached() }, index, rid);
    }
    Python::attach(|py| plain_in(py, index, rid))
}

#[inline(always)]
fn plain_in(py: Python<'_>, index: usize, rid: RequestId) -> Resp {
    let interp = interp();
    let rt = &interp.routes[index];
    let armed = interp.watchdog.map(|w| (w, w.arm()));
    let started = slow::ticks();
    // SAFETY: a callable and no arguments; a new reference or null with
    // an exception set comes back.
    let result = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyObject_Vectorcall(
                rt.handler.as_ptr(),
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
            ),
        )
    };
    slow::check(started, index);
    if let Some((w, id)) = armed
        && w.disarm(py, id)
    {
        return reply::timed_out(interp, index, rid, w.timeout());
    }
    reply::finish(py, interp, index, rid, result, None)
}

/// Decodes the parameters, calls route `index`'s handler, encodes the result.
pub(crate) fn dispatch(index: usize, req: &Req<'_>, rid: RequestId) -> Outcome {
    if super::startup::serving_attached() {
        // SAFETY: the serving thread holds the GIL (inside `hold_gil`, not
        // parked); the token does not outlive this call.
        return dispatch_in(unsafe { Python::assume_attached() }, index, req, rid);
    }
    Python::attach(|py| dispatch_in(py, index, req, rid))
}

/// [`dispatch`] with the thread attached.
#[inline(always)]
fn dispatch_in(py: Python<'_>, index: usize, req: &Req<'_>, rid: RequestId) -> Outcome {
    let interp = interp();
    let spec = &interp.app.routes[index];
    let rt = &interp.routes[index];
    {
        let mut call = Call::new(py, interp, rt, req, rid);
        let decoded = (spec.decode)(&mut call);
        // Exception handlers take the request: built only for an app that
        // registered some.
        let request = if interp.handlers.is_empty() {
            None
        } else {
            call.request_object().ok()
        };
        let rejected = req.take_bad().or(decoded.err());
        if let Some(rej) = rejected {
            if let Some(resp) = handlers::validation(py, interp, request.as_ref(), &rej, req.body) {
                return Outcome::Ready(resp);
            }
            return Outcome::Ready(response::rejection(&rej, req));
        }
        if spec.on_pool {
            return pool::dispatch(py, call, index, rid, request);
        }
        let armed = interp.watchdog.map(|w| (w, w.arm()));
        let started = slow::ticks();
        let result = call.invoke();
        let request = request.as_ref();
        if !spec.is_async {
            slow::check(started, index);
            if let Some((w, id)) = armed
                && w.disarm(py, id)
            {
                return Outcome::Ready(reply::timed_out(interp, index, rid, w.timeout()));
            }
            return Outcome::Ready(reply::finish(py, interp, index, rid, result, request));
        }
        let Some(aio) = &interp.aio else {
            // Start-up creates the loop whenever a route is async.
            return Outcome::Ready(response::internal_error());
        };
        let sent = match result {
            Ok(coro) => {
                let s = aio.first_send(py, &coro);
                Ok((coro, s))
            }
            Err(e) => Err(e),
        };
        if let Some((w, id)) = armed
            && w.disarm(py, id)
        {
            if let Ok((coro, s)) = &sent {
                s.abandon(coro);
            }
            return Outcome::Ready(reply::timed_out(interp, index, rid, w.timeout()));
        }
        match sent {
            Err(e) => Outcome::Ready(reply::finish(py, interp, index, rid, Err(e), request)),
            Ok((_, aio::Sent::Done(result))) => {
                Outcome::Ready(reply::finish(py, interp, index, rid, result, request))
            }
            Ok((coro, aio::Sent::Suspended(suspended))) => {
                let kept = request.map(|r| r.clone().unbind());
                match aio.spawn(py, coro, suspended, index, rid, kept) {
                    Ok(pending) => Outcome::Pending(pending),
                    Err(e) => {
                        Outcome::Ready(reply::finish(py, interp, index, rid, Err(e), request))
                    }
                }
            }
        }
    }
}
