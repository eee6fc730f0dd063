//! The embedded CPython: start-up, the app's loaded state, and dispatch.
//!
//! **Architecture Invariant:** this module tree is the only place that
//! imports `pyo3`. Generated code reaches Python only through the opaque
//! [`Call`] and [`Obj`] types re-exported by `__private`.
//!
//! **GIL policy:** one interpreter thread per process. The tokio runtime is
//! current-thread and runs Python on that same thread, so the GIL is never
//! contended between server threads (contention costs ~15 µs a switch, see
//! STACK.md). The thread holds the GIL while it works ([`hold_gil`]) and
//! releases it only when the runtime parks to wait for IO or timers
//! ([`release_gil`] and [`reacquire_gil`], tokio's park hooks): taking and
//! dropping it around every request cost ~540 instructions, 5% of a whole
//! `/json` request. Python threads the app starts run while the server
//! waits, and under sustained load too: CPython's eval loop hands the GIL
//! to a thread that has waited for its switch interval (5 ms) at the next
//! bytecode boundary of a handler.
//!
//! Start-up does all the introspection: the interpreter is configured with
//! the build's `python` as `program_name` (so `sys.prefix` is the build's
//! environment), the embedded importer is installed, the entry module is
//! imported, and every handler, type, decoder and pattern is looked up once.

mod aio;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
mod body;
mod call;
pub mod encode;
mod native;
mod reply;
mod watchdog;

use std::ffi::{CStr, CString};
use std::mem::MaybeUninit;
use std::sync::OnceLock;
use std::time::Duration;

use hyper::StatusCode;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyDict, PyTuple, PyType};

pub(crate) use self::aio::drive as drive_event_loop;
pub use self::call::{Call, List};
pub use self::encode as enc;
pub use self::encode::Obj;

use self::body::{BodyDecoder, MsgspecDecoder};
use crate::app::{App, Body, Module};
use crate::error::Error;
use crate::log::RequestId;
use crate::request::Req;
use crate::response::{self, Resp};

/// The `prebake` Python package, embedded by build.rs.
static PREBAKE_PACKAGE: &[Module] = include!(concat!(env!("OUT_DIR"), "/prebake_package.rs"));

/// The build's interpreter: its path decides `sys.prefix`.
const BUILD_PYTHON: &str = env!("PREBAKE_PYTHON");

/// The most parameters a handler may take.
pub(crate) const MAX_PARAMS: usize = 32;

/// Everything start-up resolved; read-only afterwards.
pub(crate) struct Interp {
    app: &'static App,
    routes: Vec<RouteRt>,
    types: Vec<Py<PyAny>>,
    patterns: Vec<Pattern>,
    /// `msgspec.json.Encoder().encode`.
    json_encode: Py<PyAny>,
    /// `functools.partial(msgspec.convert, strict=False)`.
    convert_lax: Py<PyAny>,
    /// `msgspec.ValidationError`.
    validation_error: Py<PyType>,
    http_exception: Py<PyType>,
    response_cls: Py<PyType>,
    request_cls: Py<PyAny>,
    max_body: usize,
    /// The asyncio glue, for apps with `async def` handlers.
    aio: Option<aio::Aio>,
    /// The encoders' start-up data (leaf classes, model layouts).
    enc: encode::EncRt,
    /// `bootstrap.at_exit`.
    at_exit: Py<PyAny>,
    /// Set when `--handler-timeout` is.
    watchdog: Option<&'static watchdog::Watchdog>,
}

/// One route's Python side.
struct RouteRt {
    handler: Py<PyAny>,
    /// The default of each parameter, if it has one.
    defaults: Vec<Option<Py<PyAny>>>,
    /// Names of the trailing keyword-only parameters, for vectorcall.
    kwnames: Option<Py<PyTuple>>,
    body: Option<Box<dyn BodyDecoder>>,
    status: StatusCode,
    /// Placeholder names of the path template, for `Request.path_params`.
    placeholders: Vec<&'static str>,
}

struct Pattern {
    /// The compiled pattern's bound `search` method.
    search: Py<PyAny>,
    /// ``Expected `str` matching regex '<pattern>'``.
    message: String,
}

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

thread_local! {
    /// The thread state [`release_gil`] saved, null while the GIL is held.
    static PARKED: std::cell::Cell<*mut ffi::PyThreadState> =
        const { std::cell::Cell::new(std::ptr::null_mut()) };
    /// Whether this thread is inside [`hold_gil`].
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `serve` (the server loop) attached to the interpreter: every
/// `Python::attach` inside it is a counter increment. The runtime's park
/// hooks must be [`release_gil`] and [`reacquire_gil`].
pub(crate) fn hold_gil<R>(serve: impl FnOnce() -> R) -> R {
    Python::attach(|_| {
        HOLDING.set(true);
        let out = serve();
        HOLDING.set(false);
        out
    })
}

/// tokio's `on_thread_park` hook: lets other Python threads run while the
/// server waits. Nothing touches Python until [`reacquire_gil`].
pub(crate) fn release_gil() {
    if HOLDING.get() && PARKED.get().is_null() {
        // SAFETY: inside `hold_gil` this thread holds the GIL (pyo3's
        // attach count is positive) and runs no Python until the unpark
        // hook restores the state saved here.
        PARKED.set(unsafe { ffi::PyEval_SaveThread() });
    }
}

/// tokio's `on_thread_unpark` hook: takes the GIL back.
pub(crate) fn reacquire_gil() {
    let state = PARKED.replace(std::ptr::null_mut());
    if !state.is_null() {
        // SAFETY: `state` is this thread's, saved by `release_gil`.
        unsafe { ffi::PyEval_RestoreThread(state) };
    }
}

/// Starts CPython on this thread and loads `app`; with a `handler_timeout`,
/// starts the watchdog for calls on this thread. Call once per process,
/// on the thread that will serve.
pub(crate) fn init(app: &'static App, handler_timeout: Option<Duration>) -> Result<(), Error> {
    if INTERP.get().is_some() {
        return Err(Error::python(
            "the interpreter is already initialised in this process",
        ));
    }
    start_interpreter()?;
    let interp = Python::attach(|py| {
        let mut interp = load(py, app)?;
        // Everything loaded so far (modules, classes, the app's tables)
        // lives as long as the process: keep it out of the cyclic
        // collector's reach. A full collection walks every tracked object,
        // ~1.6 ms for the objects of a small app's imports, a pause in
        // whichever request triggers it.
        py.import("gc")?.call_method0("freeze")?;
        if let Some(timeout) = handler_timeout {
            let exc = py
                .import("_prebake_bootstrap")?
                .getattr("HandlerTimeout")?
                .unbind();
            interp.watchdog = Some(watchdog::Watchdog::start(py, timeout, exc)?);
        }
        Ok(interp)
    })
    .map_err(|e: PyErr| {
        Python::attach(|py| {
            tracing::error!(
                traceback = %plain_traceback(py, &e),
                "loading app `{}` failed", app.name
            );
        });
        Error::python(format!("loading app `{}` failed: {e}", app.name))
    })?;
    INTERP
        .set(interp)
        .map_err(|_| Error::python("the interpreter was initialised twice"))
}

fn start_interpreter() -> Result<(), Error> {
    let python = std::env::var("PREBAKE_PYTHON").unwrap_or_else(|_| BUILD_PYTHON.to_owned());
    if !std::path::Path::new(&python).exists() {
        return Err(Error::python(format!(
            "the Python this binary was built with is gone: {python}\n\
             (rebuild, or set PREBAKE_PYTHON to an interpreter of a compatible environment)"
        )));
    }
    let program =
        CString::new(python).map_err(|_| Error::python("interpreter path contains NUL"))?;
    // SAFETY: the PyConfig API is used as documented: init, set, initialise,
    // clear, all on this thread before any other Python call.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            return Err(Error::python(
                "CPython is already initialised in this process",
            ));
        }
        let mut config = MaybeUninit::<ffi::PyConfig>::zeroed();
        ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
        let config = config.assume_init_mut();
        // The server owns SIGINT/SIGTERM; Python would only set a flag nobody checks.
        config.install_signal_handlers = 0;
        config.parse_argv = 0;
        let status =
            ffi::PyConfig_SetBytesString(config, &raw mut config.program_name, program.as_ptr());
        if ffi::PyStatus_Exception(status) != 0 {
            ffi::PyConfig_Clear(config);
            return Err(status_error("PyConfig program_name", status));
        }
        let status = ffi::Py_InitializeFromConfig(config);
        ffi::PyConfig_Clear(config);
        if ffi::PyStatus_Exception(status) != 0 {
            return Err(status_error("Py_InitializeFromConfig", status));
        }
        // Release the GIL: requests take it with `Python::attach`.
        ffi::PyEval_SaveThread();
    }
    Ok(())
}

fn status_error(what: &str, status: ffi::PyStatus) -> Error {
    let msg = if status.err_msg.is_null() {
        "unknown error".into()
    } else {
        // SAFETY: CPython's status messages are static NUL-terminated strings.
        unsafe { CStr::from_ptr(status.err_msg) }.to_string_lossy()
    };
    Error::python(format!("starting Python failed in {what}: {msg}"))
}

fn cstring(s: &str) -> PyResult<CString> {
    CString::new(s).map_err(|_| pyo3::exceptions::PyValueError::new_err("NUL byte in source text"))
}

fn load(py: Python<'_>, app: &'static App) -> PyResult<Interp> {
    let sys = py.import("sys")?;
    let argv: Vec<String> = std::env::args().collect();
    sys.setattr("argv", argv)?;

    let bootstrap = PyModule::from_code(
        py,
        &cstring(include_str!("bootstrap.py"))?,
        c"<prebake bootstrap>",
        c"_prebake_bootstrap",
    )?;
    let modules = PyDict::new(py);
    for m in PREBAKE_PACKAGE.iter().chain(app.modules) {
        modules.set_item(m.name, (m.file, m.source, m.is_package))?;
    }
    let app_modules: Vec<&str> = app.modules.iter().map(|m| m.name).collect();
    bootstrap.call_method1("install", (modules, app_modules))?;

    let prebake = py.import("prebake")?;
    let http_exception = prebake
        .getattr("HTTPException")?
        .cast_into::<PyType>()?
        .unbind();
    let response_cls = prebake.getattr("Response")?.cast_into::<PyType>()?.unbind();
    let request_cls = prebake.getattr("Request")?.unbind();

    let entry = py.import(app.entry)?;
    let ns = entry.dict();
    let eval =
        |expr: &str| -> PyResult<Bound<'_, PyAny>> { py.eval(&cstring(expr)?, Some(&ns), None) };

    let max_body = if app.app.is_empty() {
        1 << 20
    } else {
        let obj = eval(app.app)?;
        match obj.getattr_opt("max_body_size")? {
            Some(v) => v.extract::<usize>()?,
            None => 1 << 20,
        }
    };

    let types = app
        .types
        .iter()
        .map(|t| {
            eval(t)
                .map(Bound::unbind)
                .map_err(|e| with_context(py, e, &format!("evaluating type `{t}`")))
        })
        .collect::<PyResult<Vec<_>>>()?;

    let re = py.import("re")?;
    let patterns = app
        .patterns
        .iter()
        .map(|p| {
            let compiled = re.call_method1("compile", (*p,))?;
            let repr = p.into_pyobject(py)?.repr()?.to_string();
            Ok(Pattern {
                search: compiled.getattr("search")?.unbind(),
                message: format!("Expected `str` matching regex {repr}"),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;

    let msgspec = py.import("msgspec")?;
    let json_encode = msgspec
        .getattr("json")?
        .getattr("Encoder")?
        .call0()?
        .getattr("encode")?
        .unbind();
    let convert_lax = py
        .import("functools")?
        .getattr("partial")?
        .call(
            (msgspec.getattr("convert")?,),
            Some(&[("strict", false)].into_py_dict(py)?),
        )?
        .unbind();
    let validation_error = msgspec
        .getattr("ValidationError")?
        .cast_into::<PyType>()?
        .unbind();

    let mut decoders: Vec<Option<std::sync::Arc<MsgspecDecoder>>> = vec![None; types.len()];
    let mut routes = Vec::with_capacity(app.routes.len());
    for route in app.routes {
        let what = format!(
            "route {} {} ({})",
            route.method.as_str(),
            route.path,
            route.handler
        );
        let rt = load_route(
            py,
            route,
            &eval,
            &bootstrap,
            &types,
            &mut decoders,
            &msgspec,
        )
        .map_err(|e| with_context(py, e, &what))?;
        routes.push(rt);
    }

    let enc = encode::EncRt::load(py, app.models, &types)
        .map_err(|e| with_context(py, e, "preparing the encoders"))?;
    // Only an app with `async def` handlers pays for importing asyncio.
    let aio = if app.routes.iter().any(|r| r.is_async) {
        Some(aio::Aio::new(py, &bootstrap)?)
    } else {
        None
    };
    let at_exit = bootstrap.getattr("at_exit")?.unbind();
    Ok(Interp {
        app,
        routes,
        types,
        patterns,
        json_encode,
        convert_lax,
        validation_error,
        http_exception,
        response_cls,
        request_cls,
        max_body,
        aio,
        enc,
        at_exit,
        watchdog: None,
    })
}

fn load_route<'py>(
    py: Python<'py>,
    route: &'static crate::app::Route,
    eval: &dyn Fn(&str) -> PyResult<Bound<'py, PyAny>>,
    bootstrap: &Bound<'py, PyModule>,
    types: &[Py<PyAny>],
    decoders: &mut [Option<std::sync::Arc<MsgspecDecoder>>],
    msgspec: &Bound<'py, PyModule>,
) -> PyResult<RouteRt> {
    use pyo3::exceptions::{PyTypeError, PyValueError};

    let handler = eval(route.handler)?;
    if !handler.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "`{}` is not callable",
            route.handler
        )));
    }
    let is_async: bool = bootstrap.call_method1("is_async", (&handler,))?.extract()?;
    if is_async != route.is_async {
        let (want, got) = if route.is_async {
            ("async def", "def")
        } else {
            ("def", "async def")
        };
        return Err(PyTypeError::new_err(format!(
            "the compiled app expects an `{want}` handler, the module defines a `{got}`"
        )));
    }
    if route.params.len() > MAX_PARAMS {
        return Err(PyValueError::new_err(format!(
            "more than {MAX_PARAMS} parameters"
        )));
    }
    let sig = bootstrap.call_method1("signature", (&handler,))?;
    let sig: Vec<(String, bool, bool, Bound<'py, PyAny>)> = sig.extract()?;
    let names: Vec<&str> = sig.iter().map(|p| p.0.as_str()).collect();
    if names != route.params {
        return Err(PyTypeError::new_err(format!(
            "the handler's parameters are {names:?}, the compiled app expects {:?}; rebuild the app",
            route.params
        )));
    }
    let defaults = sig
        .iter()
        .map(|(_, _, has, default)| has.then(|| default.clone().unbind()))
        .collect();
    let kw: Vec<&str> = sig.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
    let kwnames = if kw.is_empty() {
        None
    } else {
        Some(PyTuple::new(py, kw)?.unbind())
    };
    let body: Option<Box<dyn BodyDecoder>> = match route.body {
        Body::Json { param, ty } => {
            let ty = usize::from(ty);
            let Some(t) = types.get(ty) else {
                return Err(PyValueError::new_err(format!(
                    "body type index {ty} is out of range"
                )));
            };
            let decoder = match &decoders[ty] {
                Some(d) => d.clone(),
                None => {
                    let d = std::sync::Arc::new(MsgspecDecoder::new(msgspec, t.bind(py))?);
                    decoders[ty] = Some(d.clone());
                    d
                }
            };
            Some(Box::new(body::Named {
                param,
                inner: decoder,
            }))
        }
        Body::None | Body::Raw => None,
    };
    let status = StatusCode::from_u16(route.status)
        .map_err(|_| PyValueError::new_err(format!("invalid status code {}", route.status)))?;
    Ok(RouteRt {
        handler: handler.unbind(),
        defaults,
        kwnames,
        body,
        status,
        placeholders: crate::router::placeholders(route.path),
    })
}

/// Adds `context` to a start-up error, keeping its traceback.
fn with_context(py: Python<'_>, err: PyErr, context: &str) -> PyErr {
    let new = pyo3::exceptions::PyRuntimeError::new_err(format!("prebake: {context}"));
    new.set_cause(py, Some(err));
    new
}

/// The result of dispatching a request to Python.
pub(crate) enum Outcome {
    /// The response is ready (sync handlers, async handlers that did not
    /// suspend, and every error).
    Ready(Resp),
    /// An async handler suspended: its task runs on the event loop.
    Pending(aio::Pending),
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
        let armed = interp.watchdog.map(|w| (w, w.arm()));
        let result = call.invoke();
        drop(call);
        if !spec.is_async {
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
