//! The embedded CPython: start-up, the app's loaded state, and dispatch.
//!
//! **Architecture Invariant:** this module tree is the only place that
//! imports `pyo3`. Generated code reaches Python only through the opaque
//! [`Call`] and [`Obj`] types re-exported by `__private`.
//!
//! **GIL policy:** one interpreter thread per process. The tokio runtime is
//! current-thread and runs Python on that same thread, so the GIL is never
//! contended between server threads (contention costs ~15 µs a switch, see
//! ARCHITECTURE.md, "The GIL"). The thread holds the GIL while it works ([`hold_gil`]) and
//! releases it only when the runtime parks to wait for IO or timers
//! ([`release_gil`] and [`reacquire_gil`], tokio's park hooks): taking and
//! dropping it around every request cost ~540 instructions, 5% of a whole
//! `/json` request. Python threads the app starts run while the server
//! waits, and under sustained load too: CPython's eval loop hands the GIL
//! to a thread that has waited for its switch interval (5 ms) at the next
//! bytecode boundary of a handler. The same holds for the thread pool of
//! `def` handlers that may block (`pool.rs`, routes with `on_pool`), whose
//! threads stay attached and release the GIL in the handler's blocking
//! calls; `slow.rs` warns about inline handlers that hold the thread long.
//!
//! Start-up does all the introspection: the interpreter is configured with
//! the build's `python` as `program_name` (so `sys.prefix` is the build's
//! environment), the embedded importer is installed, the entry module is
//! imported, and every handler, type, decoder and pattern is looked up once.
//!
//! The files: `startup.rs` (PyConfig, `init`, the GIL hooks), `load.rs`
//! (the app's tables resolved into `Interp`), `dispatch.rs` (one request),
//! with `call.rs` (what generated decoders push), `reply.rs` (the response
//! from a handler's result), `encode/` and `body.rs` (the codecs).

mod after;
mod aio;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
mod body;
mod call;
mod dispatch;
pub mod encode;
mod handlers;
mod lifespan;
mod load;
mod middleware;
mod native;
mod pool;
mod reply;
mod slow;
mod startup;
mod stream;
pub mod template;
mod transport;
mod turn;
mod watchdog;

use std::sync::OnceLock;

use pyo3::prelude::*;

pub(crate) use self::aio::drive as drive_event_loop;
pub use self::call::{Call, List};
pub(crate) use self::dispatch::{Outcome, dispatch, dispatch_plain, is_plain};
pub use self::encode as enc;
pub use self::encode::Obj;
pub(crate) use self::handlers::router_error;
pub(crate) use self::lifespan::shutdown as run_shutdown;
use self::load::{Interp, RouteRt};
pub(crate) use self::middleware::middleware;
pub(crate) use self::slow::init as init_slow_warn;
pub(crate) use self::startup::{
    Home, hold_gil, init, reacquire_gil, release_gil, set_app_python, set_home,
};

/// The most parameters a handler may take.
pub(crate) const MAX_PARAMS: usize = 32;

static INTERP: OnceLock<Interp> = OnceLock::new();

fn interp() -> &'static Interp {
    INTERP
        .get()
        .expect("prebake: the interpreter is not initialised")
}

/// The request body limit in bytes (`App(max_body_size=...)`, default 1 MiB).
pub(crate) fn max_body() -> usize {
    interp().max_body
}

/// The body limit of routes that take uploads (`App(max_upload_size=...)`,
/// default 64 MiB).
pub(crate) fn max_upload() -> usize {
    interp().max_upload
}

/// `App(health_path=..., ready_path=...)`, as the app set them.
pub(crate) fn probe_paths() -> (Option<String>, Option<String>) {
    interp().probe_paths.clone()
}

/// The `Server` header's value (`App(server_header=...)`, default
/// `prebake`); `None` when the app turned it off.
pub(crate) fn server_header() -> Option<&'static str> {
    interp().server_header.as_deref()
}

/// The traceback of `err`, as Python prints it, for a log line.
pub(crate) fn traceback(err: &PyErr) -> String {
    Python::attach(|py| plain_traceback(py, err))
}

fn plain_traceback(py: Python<'_>, err: &PyErr) -> String {
    let formatted = py
        .import("traceback")
        .and_then(|tb| {
            tb.call_method1(
                "format_exception",
                (err.get_type(py), err.value(py), err.traceback(py)),
            )
        })
        .and_then(|lines| lines.extract::<Vec<String>>());
    match formatted {
        Ok(lines) => lines.concat().trim_end().to_owned(),
        Err(_) => err.to_string(),
    }
}

/// Prepares the thread pool for `app`'s pool routes (none: nothing), with
/// at most `threads` threads, started as calls need them.
pub(crate) fn init_pool(
    app: &'static crate::app::App,
    threads: usize,
) -> Result<(), crate::error::Error> {
    Python::attach(|py| pool::init(py, app, threads))
        .map_err(|e| crate::error::Error::python(format!("preparing the thread pool failed: {e}")))
}

/// On a graceful exit: runs the app's `atexit` callbacks and flushes
/// Python's standard streams.
pub(crate) fn at_exit() {
    let Some(interp) = INTERP.get() else { return };
    Python::attach(|py| {
        if let Err(e) = interp.at_exit.bind(py).call0() {
            tracing::error!(traceback = %plain_traceback(py, &e), "an atexit callback failed");
        }
    });
}
