//! Dispatch: one request's Python side, from the generated decoder through
//! the handler call (and an `async def` handler's first send) to the reply.

use pyo3::prelude::*;

use super::{Call, aio, interp, pool, reply, slow};
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

/// Decodes the parameters, calls route `index`'s handler, encodes the result.
pub(crate) fn dispatch(index: usize, req: &Req<'_>, rid: RequestId) -> Outcome {
    let interp = interp();
    let spec = &interp.app.routes[index];
    let rt = &interp.routes[index];
    Python::attach(|py| {
        let mut call = Call::new(py, interp, rt, req);
        let decoded = (spec.decode)(&mut call);
        if let Some(rej) = req.take_bad() {
            return Outcome::Ready(response::rejection(&rej, req));
        }
        if let Err(rej) = decoded {
            return Outcome::Ready(response::rejection(&rej, req));
        }
        if spec.on_pool {
            return pool::dispatch(py, call, index, rid);
        }
        let armed = interp.watchdog.map(|w| (w, w.arm()));
        let started = slow::ticks();
        let result = call.invoke();
        drop(call);
        if !spec.is_async {
            slow::check(started, index);
            if let Some((w, id)) = armed
                && w.disarm(py, id)
            {
                return Outcome::Ready(reply::timed_out(interp, index, rid, w.timeout()));
            }
            return Outcome::Ready(reply::finish(py, interp, index, rid, result));
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
            if let Ok((coro, aio::Sent::Suspended(_))) = &sent {
                let _ = coro.call_method0(pyo3::intern!(py, "close"));
            }
            return Outcome::Ready(reply::timed_out(interp, index, rid, w.timeout()));
        }
        match sent {
            Err(e) => Outcome::Ready(reply::finish(py, interp, index, rid, Err(e))),
            Ok((_, aio::Sent::Done(result))) => {
                Outcome::Ready(reply::finish(py, interp, index, rid, result))
            }
            Ok((coro, aio::Sent::Suspended(yielded))) => {
                match aio.spawn(py, coro, yielded, index, rid) {
                    Ok(pending) => Outcome::Pending(pending),
                    Err(e) => Outcome::Ready(reply::finish(py, interp, index, rid, Err(e))),
                }
            }
        }
    })
}
