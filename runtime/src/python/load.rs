//! Table loading: the embedded importer installed, the entry module
//! imported, and every handler, type, body decoder and pattern the
//! generated tables name looked up once ([`load`], [`load_route`]), into
//! the read-only [`Interp`] that requests use.

use std::ffi::CString;

use hyper::StatusCode;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyDict, PyTuple, PyType};

use super::body::{self, BodyDecoder, MsgspecDecoder};
use super::{MAX_PARAMS, aio, encode, handlers, lifespan, watchdog};
use crate::app::{App, Body, Module};

/// The `prebake` Python package, embedded by build.rs.
/// The `Server` header when the app does not say otherwise, as
/// `App(server_header=...)` defaults.
const DEFAULT_SERVER: &str = "prebake";

static PREBAKE_PACKAGE: &[Module] = include!(concat!(env!("OUT_DIR"), "/prebake_package.rs"));

/// The same files compiled at build time, in the same order: the magic
/// number of the interpreter that compiled them, then the marshalled code.
static PREBAKE_CODE: &[&[u8]] = include!(concat!(env!("OUT_DIR"), "/prebake_package_code.rs"));

/// Everything start-up resolved; read-only afterwards.
pub(crate) struct Interp {
    pub(super) app: &'static App,
    pub(super) routes: Vec<RouteRt>,
    pub(super) types: Vec<Py<PyAny>>,
    pub(super) patterns: Vec<Pattern>,
    /// `msgspec.json.Encoder().encode`.
    pub(super) json_encode: Py<PyAny>,
    /// `functools.partial(msgspec.convert, strict=False)`.
    pub(super) convert_lax: Py<PyAny>,
    /// `msgspec.ValidationError`.
    pub(super) validation_error: Py<PyType>,
    pub(super) http_exception: Py<PyType>,
    pub(super) response_cls: Py<PyType>,
    pub(super) request_cls: Py<PyAny>,
    pub(super) max_body: usize,
    /// `App(max_upload_size=...)`.
    pub(super) max_upload: usize,
    /// `App(health_path=..., ready_path=...)`: the probe paths the server
    /// answers itself, without Python.
    pub(super) probe_paths: (Option<String>, Option<String>),
    /// `App(server_header=...)`: the `Server` header's value, `None` for none.
    pub(super) server_header: Option<String>,
    /// The asyncio glue, for apps with `async def` handlers.
    pub(super) aio: Option<aio::Aio>,
    /// The encoders' start-up data (leaf classes, model layouts).
    pub(super) enc: encode::EncRt,
    /// `bootstrap.at_exit`.
    pub(super) at_exit: Py<PyAny>,
    /// Set when `--handler-timeout` is.
    pub(super) watchdog: Option<&'static watchdog::Watchdog>,
    /// The app's exception handlers (usually none).
    pub(super) handlers: handlers::Handlers,
    /// What start-up entered of the app's lifespan, for the shutdown.
    pub(super) lifespan: lifespan::Lifespan,
    /// Per middleware layer, the `dispatch` of a Python one (else `None`).
    pub(super) middleware: Vec<Option<Py<PyAny>>>,
    /// `prebake._middleware._run_middleware`.
    pub(super) middleware_run: Py<PyAny>,
}

impl Interp {
    /// Entry `ty` of the app's evaluated types (an index the generated
    /// code holds; out of range only if the tables disagree).
    pub(super) fn type_at(&self, ty: u16) -> PyResult<&Py<PyAny>> {
        self.types.get(usize::from(ty)).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!(
                "prebake: type index {ty} is out of range"
            ))
        })
    }
}

/// One route's Python side.
pub(super) struct RouteRt {
    pub(super) handler: Py<PyAny>,
    /// The default of each parameter, if it has one.
    pub(super) defaults: Vec<Option<Py<PyAny>>>,
    /// Names of the trailing keyword-only parameters, for vectorcall.
    pub(super) kwnames: Option<Py<PyTuple>>,
    pub(super) body: Option<Box<dyn BodyDecoder>>,
    pub(super) status: StatusCode,
    /// Placeholder names of the path template, for `Request.path_params`.
    pub(super) placeholders: Vec<&'static str>,
    /// A `def` handler with no parameters on a route without a body, not
    /// on the pool, not a dependency graph's: called with no decoding at
    /// all (see `dispatch::is_plain`).
    pub(super) plain: bool,
}

pub(super) struct Pattern {
    /// The compiled pattern's bound `search` method.
    pub(super) search: Py<PyAny>,
    /// ``Expected `str` matching regex '<pattern>'``.
    pub(super) message: String,
}

pub(super) fn cstring(s: &str) -> PyResult<CString> {
    CString::new(s).map_err(|_| pyo3::exceptions::PyValueError::new_err("NUL byte in source text"))
}

pub(super) fn load(py: Python<'_>, app: &'static App) -> PyResult<Interp> {
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
    for (m, code) in PREBAKE_PACKAGE.iter().zip(PREBAKE_CODE) {
        let code = pyo3::types::PyBytes::new(py, code);
        modules.set_item(m.name, (m.file, m.source, m.is_package, code))?;
    }
    // `cargo xtask dev` sets PREBAKE_DEV_SOURCES: the app's modules are read
    // from their files, so an edit that leaves the generated program as it
    // was (a handler's body) needs a restart, not a rebuild.
    let from_disk = std::env::var_os("PREBAKE_DEV_SOURCES").is_some_and(|v| v == "1");
    for m in app.modules {
        let disk = from_disk
            .then(|| std::fs::read_to_string(m.file).ok())
            .flatten();
        let source = disk.as_deref().unwrap_or(m.source);
        modules.set_item(m.name, (m.file, source, m.is_package))?;
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

    // Before the app imports its libraries: `asyncio.current_task()` must
    // answer during the async fast path (aio.rs), also where a library
    // bound the name at import (`from asyncio import current_task`).
    if app.routes.iter().any(|r| r.is_async || r.deferred) {
        bootstrap.call_method0("patch_current_task")?;
    }
    let entry = py.import(app.entry)?;
    let ns = entry.dict();
    let eval =
        |expr: &str| -> PyResult<Bound<'_, PyAny>> { py.eval(&cstring(expr)?, Some(&ns), None) };

    let app_obj = if app.app.is_empty() {
        None
    } else {
        Some(eval(app.app)?)
    };
    let max_body = match &app_obj {
        None => 1 << 20,
        Some(obj) => match obj.getattr_opt("max_body_size")? {
            Some(v) => v.extract::<usize>()?,
            None => 1 << 20,
        },
    };
    let max_upload = match &app_obj {
        None => 64 << 20,
        Some(obj) => match obj.getattr_opt("max_upload_size")? {
            Some(v) => v.extract::<usize>()?,
            None => 64 << 20,
        },
    };
    let probe_paths = match &app_obj {
        None => (None, None),
        Some(obj) => (
            probe_path(obj, "health_path")?,
            probe_path(obj, "ready_path")?,
        ),
    };
    let server_header = match &app_obj {
        None => Some(DEFAULT_SERVER.to_owned()),
        Some(obj) => match obj.getattr_opt("server_header")? {
            Some(v) if v.is_none() => None,
            Some(v) => Some(v.extract::<String>()?),
            None => Some(DEFAULT_SERVER.to_owned()),
        },
    };
    let handlers =
        handlers::Handlers::load(py, app_obj.as_ref(), &prebake, http_exception.bind(py))?;

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
                message: crate::constraint::pattern_message(&repr),
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
    // Only an app with `async def` handlers (or dependency graphs, whose
    // background tasks may be async, or a lifespan) pays for importing
    // asyncio.
    let has_lifespan = app_obj.as_ref().is_some_and(|a| lifespan::declared(py, a));
    let middleware = python_middleware(py, app_obj.as_ref())
        .map_err(|e| with_context(py, e, "creating the app's middleware"))?;
    let middleware_run = py
        .import("prebake._middleware")?
        .getattr("_run_middleware")?
        .unbind();
    let aio = if has_lifespan
        || middleware.iter().any(Option::is_some)
        || app.routes.iter().any(|r| r.is_async || r.deferred)
    {
        Some(aio::Aio::new(py, &bootstrap)?)
    } else {
        None
    };
    let lifespan = match (&app_obj, &aio) {
        (Some(obj), Some(aio)) if has_lifespan => {
            lifespan::start(py, obj, aio, request_cls.bind(py))
                .map_err(|e| with_context(py, e, "starting the app's lifespan"))?
        }
        _ => lifespan::Lifespan::none(),
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
        max_upload,
        probe_paths,
        server_header,
        aio,
        enc,
        at_exit,
        watchdog: None,
        handlers,
        lifespan,
        middleware,
        middleware_run,
    })
}

/// The `dispatch` of each Python middleware, created from
/// `app.user_middleware` (whose length must be the compiled stack's: a
/// middleware added conditionally would put them out of step).
fn python_middleware(
    py: Python<'_>,
    app_obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Option<Py<PyAny>>>> {
    let Some(declared) = crate::middleware::declared() else {
        return Ok(Vec::new());
    };
    if !declared
        .layers
        .iter()
        .any(crate::middleware::Layer::is_python)
    {
        return Ok(Vec::new());
    }
    let Some(app_obj) = app_obj else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err("no app object"));
    };
    let entries: Vec<Bound<'_, PyAny>> = app_obj.getattr("user_middleware")?.extract()?;
    if entries.len() != declared.layers.len() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "app.user_middleware has {} entries at start-up, the build read {}: add middleware unconditionally, at module level",
            entries.len(),
            declared.layers.len()
        )));
    }
    let mut out = Vec::with_capacity(entries.len());
    for (entry, layer) in entries.iter().zip(declared.layers) {
        if !layer.is_python() {
            out.push(None);
            continue;
        }
        let cls = entry.getattr("cls")?;
        let args = entry.getattr("args")?.cast_into::<PyTuple>()?;
        let kwargs = entry.getattr("kwargs")?.cast_into::<PyDict>()?;
        let mut all = vec![py.None().into_bound(py)];
        all.extend(args.iter());
        let obj = cls.call(PyTuple::new(py, all)?, Some(&kwargs))?;
        out.push(Some(obj.getattr("dispatch_func")?.unbind()));
    }
    Ok(out)
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

    if let Body::Static { .. } = route.body {
        return Ok(RouteRt {
            handler: py.None(),
            defaults: Vec::new(),
            kwnames: None,
            body: None,
            status: StatusCode::OK,
            placeholders: Vec::new(),
            plain: false,
        });
    }
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
        Body::Json { param, ty, .. } => {
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
        Body::None | Body::Raw | Body::Form { .. } | Body::Static { .. } => None,
    };
    let status = StatusCode::from_u16(route.status)
        .map_err(|_| PyValueError::new_err(format!("invalid status code {}", route.status)))?;
    let plain = route.params.is_empty()
        && matches!(route.body, Body::None)
        && !route.is_async
        && !route.on_pool
        && !route.deferred;
    Ok(RouteRt {
        handler: handler.unbind(),
        defaults,
        kwnames,
        body,
        status,
        placeholders: crate::router::placeholders(route.path),
        plain,
    })
}

/// Adds `context` to a start-up error, keeping its traceback.
fn with_context(py: Python<'_>, err: PyErr, context: &str) -> PyErr {
    let new = pyo3::exceptions::PyRuntimeError::new_err(format!("prebake: {context}"));
    new.set_cause(py, Some(err));
    new
}

/// An `App` attribute naming a probe path: a `str`, or `None` (or absent).
fn probe_path(app: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    match app.getattr_opt(name)? {
        Some(v) if !v.is_none() => v.extract::<String>().map(Some),
        _ => Ok(None),
    }
}
