//! `--handler-timeout` for the synchronous part of a handler call.
//!
//! A `def` handler (and an `async def` handler up to its first suspension)
//! runs on the server thread, which cannot be preempted from tokio. When a
//! timeout is set, a watchdog thread samples which call is running; when
//! one has run past the timeout it takes the GIL (which the running
//! handler gives up at the interpreter's switch interval, or in any
//! blocking call) and raises `HandlerTimeout`, a `BaseException`, in the
//! server thread with `PyThreadState_SetAsyncExc`. Python delivers it at
//! the handler's next bytecode: a busy loop stops within milliseconds, a
//! blocking call (`time.sleep`, a socket read) when it returns. The client
//! then gets a 503 and the route is logged.
//!
//! A call whose exception was requested always answers 503, even if the
//! handler swallowed the exception or returned first; a pending exception
//! that was not delivered is cleared before any other Python code runs, so
//! it never leaks into the next request.
//!
//! Per call, when enabled, this costs two relaxed atomic stores and one
//! load; when disabled, nothing (the `Option` is `None`).

use std::os::raw::c_long;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use pyo3::ffi;
use pyo3::prelude::*;

/// The shared state between the server thread and the watchdog thread.
pub(crate) struct Watchdog {
    /// The call id now running on the server thread, or 0.
    current: AtomicU64,
    /// The last call id handed out (written by the server thread only).
    last: AtomicU64,
    /// The call id the watchdog raised `HandlerTimeout` in.
    fired: AtomicU64,
    /// The server thread's id (`threading.get_ident()`).
    thread: c_long,
    /// The `HandlerTimeout` class.
    exception: Py<PyAny>,
    timeout: Duration,
}

impl Watchdog {
    /// Starts the watchdog thread for calls made on this thread.
    pub(crate) fn start(
        py: Python<'_>,
        timeout: Duration,
        exception: Py<PyAny>,
    ) -> PyResult<&'static Watchdog> {
        let thread: u64 = py
            .import("threading")?
            .call_method0("get_ident")?
            .extract()?;
        #[expect(
            clippy::cast_possible_wrap,
            reason = "CPython passes the unsigned thread id through a C long"
        )]
        let thread = thread as c_long;
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            current: AtomicU64::new(0),
            last: AtomicU64::new(0),
            fired: AtomicU64::new(0),
            thread,
            exception,
            timeout,
        }));
        std::thread::Builder::new()
            .name("prebake-watchdog".into())
            .spawn(move || dog.run())
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(dog)
    }

    /// Marks the start of a call on the server thread; returns its id.
    #[inline]
    pub(crate) fn arm(&self) -> u64 {
        let id = self.last.load(Relaxed) + 1;
        self.last.store(id, Relaxed);
        self.current.store(id, Relaxed);
        id
    }

    /// Marks the end of call `id` (GIL held); whether it timed out. A
    /// timeout that was requested but not yet delivered is cleared.
    #[inline]
    pub(crate) fn disarm(&self, _py: Python<'_>, id: u64) -> bool {
        self.current.store(0, Relaxed);
        if self.fired.load(Relaxed) != id {
            return false;
        }
        // SAFETY: the GIL is held; a null exception clears a pending one.
        unsafe { ffi::PyThreadState_SetAsyncExc(self.thread, std::ptr::null_mut()) };
        true
    }

    /// The configured timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    fn run(&self) {
        let period = (self.timeout / 8).clamp(Duration::from_millis(5), Duration::from_millis(250));
        let mut seen = 0;
        let mut since = Instant::now();
        loop {
            std::thread::sleep(period);
            let id = self.current.load(Relaxed);
            if id == 0 || id != seen {
                seen = id;
                since = Instant::now();
                continue;
            }
            if since.elapsed() < self.timeout || self.fired.load(Relaxed) == id {
                continue;
            }
            // Waits until the handler lets go of the GIL.
            Python::attach(|py| {
                if self.current.load(Relaxed) != id {
                    return;
                }
                // SAFETY: the GIL is held and `exception` is a live class.
                unsafe { ffi::PyThreadState_SetAsyncExc(self.thread, self.exception.as_ptr()) };
                self.fired.store(id, Relaxed);
                let _ = py;
            });
        }
    }
}
