//! The app's lifespan: `App(lifespan=...)`, an async context manager
//! called with the app, entered at start-up before the worker accepts a
//! connection and exited during a graceful shutdown after the last
//! in-flight request; or, without one, the `on_startup` and `on_shutdown`
//! lists (ignored when a lifespan is given, as in FastAPI).
//!
//! What the lifespan yields, if it is a mapping, becomes every request's
//! `request.state` (a shallow copy per request, as Starlette's). A
//! lifespan or start-up function that raises stops the process before the
//! port is announced: `init` fails with the traceback in the log.
//! Coroutines run to completion on the app's event loop, which is not yet
//! (or no longer) driven by the server at those two moments.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyMapping};

use super::{INTERP, aio, plain_traceback};

/// What start-up entered, for the shutdown.
pub(super) struct Lifespan {
    /// The entered context manager.
    cm: Option<Py<PyAny>>,
    /// `on_shutdown`, when there is no lifespan.
    on_shutdown: Vec<Py<PyAny>>,
}

impl Lifespan {
    /// Nothing to run.
    pub(super) fn none() -> Lifespan {
        Lifespan {
            cm: None,
            on_shutdown: Vec::new(),
        }
    }
}

/// Whether the app object declares start-up or shutdown work (which needs
/// the event loop).
pub(super) fn declared(py: Python<'_>, app: &Bound<'_, PyAny>) -> bool {
    let set = |name: &Bound<'_, pyo3::types::PyString>| {
        app.getattr_opt(name)
            .ok()
            .flatten()
            .is_some_and(|v| v.is_truthy().unwrap_or(false))
    };
    set(intern!(py, "lifespan"))
        || set(intern!(py, "on_startup"))
        || set(intern!(py, "on_shutdown"))
}

/// Enters the lifespan (or runs `on_startup`).
pub(super) fn start(
    py: Python<'_>,
    app: &Bound<'_, PyAny>,
    aio: &aio::Aio,
    request_cls: &Bound<'_, PyAny>,
) -> PyResult<Lifespan> {
    let lifespan = app.getattr_opt(intern!(py, "lifespan"))?;
    if let Some(lifespan) = lifespan.filter(|l| !l.is_none()) {
        let cm = lifespan.call1((app,))?;
        let state = aio.run_to_completion(py, &cm.call_method0(intern!(py, "__aenter__"))?)?;
        if !state.is_none() {
            if state.cast::<PyMapping>().is_err() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "the lifespan yielded {}; yield a mapping (it becomes `request.state`) or nothing",
                    state.get_type().name()?
                )));
            }
            request_cls.setattr(intern!(py, "lifespan_state"), state)?;
        }
        return Ok(Lifespan {
            cm: Some(cm.unbind()),
            on_shutdown: Vec::new(),
        });
    }
    for f in list(app, "on_startup")? {
        let out = f.call0()?;
        if out.hasattr(intern!(py, "__await__"))? {
            aio.run_to_completion(py, &out)?;
        }
    }
    Ok(Lifespan {
        cm: None,
        on_shutdown: list(app, "on_shutdown")?
            .into_iter()
            .map(Bound::unbind)
            .collect(),
    })
}

/// The callables of `app.<name>` (a list), empty when unset.
fn list<'py>(app: &Bound<'py, PyAny>, name: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    match app.getattr_opt(name)? {
        Some(v) if !v.is_none() => Ok(v.cast_into::<PyList>()?.iter().collect()),
        _ => Ok(Vec::new()),
    }
}

/// Exits the lifespan (or runs `on_shutdown`) after the server stopped
/// serving; a failure is logged.
pub(crate) fn shutdown() {
    // Teardown and background work still queued when the server stopped.
    super::after::drain();
    let Some(interp) = INTERP.get() else { return };
    let Some(aio) = &interp.aio else { return };
    Python::attach(|py| {
        let result = (|| -> PyResult<()> {
            if let Some(cm) = &interp.lifespan.cm {
                let none = py.None();
                let exit = cm
                    .bind(py)
                    .call_method1(intern!(py, "__aexit__"), (&none, &none, &none))?;
                aio.run_to_completion(py, &exit)?;
            }
            for f in &interp.lifespan.on_shutdown {
                let out = f.bind(py).call0()?;
                if out.hasattr(intern!(py, "__await__"))? {
                    aio.run_to_completion(py, &out)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            tracing::error!(traceback = %plain_traceback(py, &e), "the app's shutdown (lifespan exit or on_shutdown) failed");
        }
    });
}
