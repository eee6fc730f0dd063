//! Interpreter start-up: CPython configured through `PyConfig` (the app's
//! environment's `python`, else the build's, as `program_name`, so
//! `sys.prefix` is that environment; or, in a bundle, the folder of the
//! executable as `home`; no signal handlers), [`init`] (start, load the app, freeze what it
//! loaded out of the cyclic collector's reach, start the watchdog), and the
//! GIL hooks of the one server thread ([`hold_gil`], [`release_gil`],
//! [`reacquire_gil`]).

use std::ffi::{CStr, CString};
use std::mem::MaybeUninit;
use std::time::Duration;

use pyo3::ffi;
use pyo3::prelude::*;

use super::load::load;
use super::{INTERP, plain_traceback, watchdog};
use crate::app::App;
use crate::error::Error;

/// The build's interpreter: its path decides `sys.prefix`.
const BUILD_PYTHON: &str = env!("PREBAKE_PYTHON");

/// The app's own environment's interpreter, when the generated `main` names
/// one (`__private::main_in_env`).
static APP_PYTHON: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Makes `python` the interpreter whose path decides `sys.prefix` (before
/// start-up; the first call wins).
pub(crate) fn set_app_python(python: &'static str) {
    let _ = APP_PYTHON.set(python);
}

/// Where the interpreter finds its standard library and site-packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Home {
    /// The build's environment, through the baked interpreter path (or
    /// `PREBAKE_PYTHON`): a binary for the machine that built it.
    Build,
    /// The folder of the executable's real path (`cargo xtask build
    /// --bundle`): `lib/python3.X/` with `lib-dynload/` and
    /// `site-packages/` beside the binary, which finds `lib/libpython*.so`
    /// through its `$ORIGIN` rpath. The process environment is ignored
    /// (`PYTHONHOME`, `PYTHONPATH`, user site-packages), so a host's Python
    /// settings cannot mix another library into the bundle.
    Bundle,
}

/// The home [`start_interpreter`] uses; set once, before start-up, by the
/// generated `main` of a bundled build.
static HOME: std::sync::OnceLock<Home> = std::sync::OnceLock::new();

/// Chooses the interpreter's home for this process (before start-up).
pub(crate) fn set_home(home: Home) {
    let _ = HOME.set(home);
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

/// Whether this thread is attached now because it serves inside
/// [`hold_gil`] and is not parked: then `Python::assume_attached` is sound
/// and saves `Python::attach`'s count bookkeeping on every request.
#[inline]
pub(super) fn serving_attached() -> bool {
    HOLDING.get() && PARKED.get().is_null()
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
            // The log target stays the one it had before the file split.
            tracing::error!(
                target: "prebake::python",
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

/// The `program_name` and, for a bundle, the `home` to configure.
fn locate() -> Result<(CString, Option<CString>), Error> {
    let cstring = |s: String| CString::new(s).map_err(|_| Error::python("path contains NUL"));
    if HOME.get().copied().unwrap_or(Home::Build) == Home::Bundle {
        // `/proc/self/exe`: the real path, symbolic links resolved, so a
        // link to the binary from elsewhere (`/usr/local/bin/app`) works.
        let exe =
            std::env::current_exe().map_err(|e| Error::io("cannot find this executable", &e))?;
        let home = exe.parent().unwrap_or(std::path::Path::new("/"));
        let lib = home.join("lib");
        let has_stdlib = std::fs::read_dir(&lib).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("python3"))
        });
        if !has_stdlib {
            return Err(Error::python(format!(
                "this bundled binary needs its lib/ folder beside it: {} has no Python standard library\n\
                 (copy the whole bundle folder, not the binary alone)",
                lib.display()
            )));
        }
        let home = home.to_string_lossy().into_owned();
        return Ok((
            cstring(exe.to_string_lossy().into_owned())?,
            Some(cstring(home)?),
        ));
    }
    let python = std::env::var("PREBAKE_PYTHON")
        .unwrap_or_else(|_| APP_PYTHON.get().copied().unwrap_or(BUILD_PYTHON).to_owned());
    if !std::path::Path::new(&python).exists() {
        return Err(Error::python(format!(
            "the Python this binary was built with is gone: {python}\n\
             (rebuild, build a relocatable folder with `cargo xtask build --bundle DIR`, \
             or set PREBAKE_PYTHON to an interpreter of a compatible environment)"
        )));
    }
    Ok((cstring(python)?, None))
}

pub(super) fn start_interpreter() -> Result<(), Error> {
    let (program, home) = locate()?;
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
        if let Some(home) = &home {
            config.use_environment = 0;
            config.user_site_directory = 0;
            let status = ffi::PyConfig_SetBytesString(config, &raw mut config.home, home.as_ptr());
            if ffi::PyStatus_Exception(status) != 0 {
                ffi::PyConfig_Clear(config);
                return Err(status_error("PyConfig home", status));
            }
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
