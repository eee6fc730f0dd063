//! The hot paths of asyncio's socket transport, in Rust.
//!
//! A database driver or an HTTP client spends its I/O in three methods of
//! asyncio's `_SelectorSocketTransport`: `_read_ready` (the reader callback:
//! `sock.recv(256 KiB)`, then `protocol.data_received(data)`), `write`
//! (`sock.send(data)` at once when nothing is buffered) and `writelines`
//! (`b"".join`, then `write`). In the stock class each is one to three
//! Python frames around the system call, and each `recv` allocates a
//! 256 KiB bytes object and shrinks it to what arrived.
//!
//! [`SocketIo`] does those three in Rust, on the transport's own state:
//! the loop's transports are a Python subclass of the stock class
//! (`bootstrap.SocketTransport`) whose instances carry `SocketIo`'s bound
//! methods as their `_read_ready`, `write` and `writelines`. Everything else
//! (closing, `abort`, flow control, buffering when the socket is full,
//! `write_eof`, `get_extra_info`, `set_protocol`, `start_tls`, `sendfile`,
//! the exception handler, `__del__`'s warning) is the stock class's code, on
//! the same attributes, so the contract is asyncio's by construction.
//!
//! - **Reading**: `recv` into a buffer kept for the thread, a bytes object
//!   of exactly what arrived, one call of `data_received`. EOF, errors and a
//!   `BufferedProtocol` (`get_buffer`/`buffer_updated`, as `start_tls`'s
//!   `SSLProtocol`) take the stock methods.
//! - **Writing**: when nothing is buffered and the transport is open, one
//!   `send` (`writev` for `writelines`) straight from the caller's buffers.
//!   Anything else (a partial send, a full socket, a closed or closing
//!   transport, a type the stock method would refuse) goes to the stock
//!   method with what is left, which buffers it, waits for `EPOLLOUT`,
//!   pauses the protocol past the high-water mark, or raises as asyncio does.
//!
//! The reader stays registered through the loop's `_add_reader`, in the
//! selector the turn (`turn.rs`) polls: I/O callbacks run in the same order
//! relative to other callbacks and timers as in the stock loop. A read that
//! took less than `max_size` left its socket empty; it says so
//! ([`take_drained`]), which spares the turn a second look at the selector.

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyTuple};
use pyo3::{PyTraverseError, PyVisit, ffi, intern};

/// How many buffers one `writev` takes (Linux's `IOV_MAX` is 1024).
const MAX_IOVECS: usize = 64;

thread_local! {
    /// What `recv` reads into before the bytes handed to the protocol are
    /// made (the interpreter thread's, sized to the largest `max_size`).
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Reader callbacks that left their socket empty since the last
    /// [`take_drained`] (see `Turn::run`).
    static DRAINED: Cell<usize> = const { Cell::new(0) };
}

/// How many reader callbacks emptied their socket since the last call.
pub(super) fn take_drained() -> usize {
    DRAINED.replace(0)
}

fn drained() {
    DRAINED.set(DRAINED.get() + 1);
}

/// The transport's reader and writers; see the module's docs.
#[pyclass(module = "prebake._runtime", frozen)]
pub(super) struct SocketIo {
    transport: Py<PyAny>,
    fd: RawFd,
    /// `transport.max_size`: the most one `recv` takes.
    max_size: usize,
    /// The protocol is a `BufferedProtocol` (set by `set_protocol`).
    buffered: AtomicBool,
    /// `_SelectorSocketTransport.write`, `.writelines`.
    stock_write: Py<PyAny>,
    stock_writelines: Py<PyAny>,
}

/// A buffer of a bytes-like object, held while a system call reads it.
struct View(ffi::Py_buffer);

impl View {
    /// The contiguous bytes of `obj` when it is a `bytes`, `bytearray` or
    /// `memoryview` (the types the stock `write` accepts), else `None`.
    fn of(obj: &Bound<'_, PyAny>) -> Option<View> {
        if !(obj.is_instance_of::<PyBytes>()
            || obj.is_instance_of::<PyByteArray>()
            || obj.is_instance_of::<PyMemoryView>())
        {
            return None;
        }
        let mut view = std::mem::MaybeUninit::<ffi::Py_buffer>::uninit();
        // SAFETY: `obj` is live; on success the buffer is released in Drop.
        if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), ffi::PyBUF_SIMPLE) }
            < 0
        {
            // Not contiguous: the stock method decides what that means.
            // SAFETY: clears the error PyObject_GetBuffer set.
            unsafe { ffi::PyErr_Clear() };
            return None;
        }
        // SAFETY: initialised by the successful call.
        Some(View(unsafe { view.assume_init() }))
    }

    fn len(&self) -> usize {
        usize::try_from(self.0.len).unwrap_or(0)
    }

    fn iovec(&self) -> libc::iovec {
        libc::iovec {
            iov_base: self.0.buf,
            iov_len: self.len(),
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: obtained by PyObject_GetBuffer, released once; the GIL is
        // held (views live only inside methods called from Python).
        unsafe { ffi::PyBuffer_Release(&raw mut self.0) };
    }
}

/// The last system call failed with `EAGAIN`/`EWOULDBLOCK` or `EINTR`.
fn would_block() -> bool {
    let errno = std::io::Error::last_os_error().raw_os_error();
    matches!(errno, Some(libc::EAGAIN | libc::EINTR)) || errno == Some(libc::EWOULDBLOCK)
}

/// The `OSError` for the last system call's `errno` (its subclass, errno
/// and message as `socket.recv` or `socket.send` would raise it).
fn os_error(py: Python<'_>) -> PyErr {
    // SAFETY: sets an exception from errno, which nothing changed since the
    // failed call (no allocation or Python call in between).
    unsafe { ffi::PyErr_SetFromErrno(ffi::PyExc_OSError) };
    PyErr::fetch(py)
}

fn is_exit(py: Python<'_>, e: &PyErr) -> bool {
    use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
    e.is_instance_of::<PySystemExit>(py) || e.is_instance_of::<PyKeyboardInterrupt>(py)
}

impl SocketIo {
    /// `transport._fatal_error(exc, message)`, unless `exc` is `SystemExit`
    /// or `KeyboardInterrupt`, which propagate (as in the stock methods).
    fn fatal(&self, py: Python<'_>, e: PyErr, message: &str) -> PyResult<()> {
        if is_exit(py, &e) {
            return Err(e);
        }
        self.transport
            .bind(py)
            .call_method1(intern!(py, "_fatal_error"), (e.into_value(py), message))
            .map(drop)
    }

    /// Whether a write may go straight to the socket: open, not at EOF, no
    /// sendfile in progress, nothing buffered.
    fn writable_now(&self, py: Python<'_>) -> PyResult<bool> {
        let t = self.transport.bind(py);
        Ok(!t.getattr(intern!(py, "_conn_lost"))?.is_truthy()?
            && !t.getattr(intern!(py, "_eof"))?.is_truthy()?
            && t.getattr(intern!(py, "_empty_waiter"))?.is_none()
            && t.getattr(intern!(py, "_buffer"))?.len()? == 0)
    }

    /// One `send` (or `writev`) of `iov`: how much went out, or `None` when
    /// the socket is full.
    fn send(&self, py: Python<'_>, iov: &[libc::iovec]) -> PyResult<Option<usize>> {
        let n = if let [one] = iov {
            // SAFETY: the iovec points into a buffer held by a live View.
            unsafe { libc::send(self.fd, one.iov_base, one.iov_len, libc::MSG_NOSIGNAL) }
        } else {
            // SAFETY: every iovec points into a buffer held by a live View.
            #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
            unsafe {
                libc::writev(self.fd, iov.as_ptr(), iov.len() as i32)
            }
        };
        match usize::try_from(n) {
            Ok(n) => Ok(Some(n)),
            Err(_) if would_block() => Ok(None),
            Err(_) => Err(os_error(py)),
        }
    }
}

#[pymethods]
impl SocketIo {
    #[new]
    fn py_new(
        py: Python<'_>,
        transport: Py<PyAny>,
        fd: RawFd,
        max_size: usize,
        stock: &Bound<'_, PyAny>,
    ) -> PyResult<SocketIo> {
        let _ = py;
        Ok(SocketIo {
            transport,
            fd,
            max_size: max_size.max(1),
            buffered: AtomicBool::new(false),
            stock_write: stock.getattr("write")?.unbind(),
            stock_writelines: stock.getattr("writelines")?.unbind(),
        })
    }

    #[setter]
    fn set_buffered(&self, buffered: bool) {
        self.buffered.store(buffered, Ordering::Relaxed);
    }

    /// The reader callback (`_SelectorSocketTransport._read_ready`).
    fn read_ready(&self, py: Python<'_>) -> PyResult<()> {
        let t = self.transport.bind(py);
        if self.buffered.load(Ordering::Relaxed) {
            return t
                .call_method0(intern!(py, "_read_ready__get_buffer"))
                .map(drop);
        }
        if t.getattr(intern!(py, "_conn_lost"))?.is_truthy()? {
            drained();
            return Ok(());
        }
        let data = READ_BUF.with_borrow_mut(|buf| {
            if buf.len() < self.max_size {
                buf.resize(self.max_size, 0);
            }
            // SAFETY: a buffer of at least max_size bytes.
            let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), self.max_size, 0) };
            // EOF, nothing or an error: nothing is left. Less than asked
            // may still leave the peer's FIN, which came with the data and
            // which only the next `recv` returns (a level-triggered selector
            // would report the socket again; here nothing would wake the
            // loop for it, and the protocol would miss its
            // `connection_lost` until an unrelated event): a one-byte peek
            // tells.
            let left = match usize::try_from(n) {
                Ok(0) | Err(_) => false,
                Ok(n) if n < self.max_size => {
                    let mut byte = 0u8;
                    // SAFETY: one byte of our own; MSG_PEEK leaves it queued.
                    let peek = unsafe {
                        libc::recv(
                            self.fd,
                            (&raw mut byte).cast(),
                            1,
                            libc::MSG_PEEK | libc::MSG_DONTWAIT,
                        )
                    };
                    !(peek < 0 && would_block())
                }
                Ok(_) => true,
            };
            if !left {
                drained();
            }
            match usize::try_from(n) {
                Ok(n) => Ok(Some(PyBytes::new(py, &buf[..n]))),
                Err(_) if would_block() => Ok(None),
                Err(_) => Err(os_error(py)),
            }
        });
        let data = match data {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(()),
            Err(e) => return self.fatal(py, e, "Fatal read error on socket transport"),
        };
        if data.as_bytes().is_empty() {
            return t.call_method0(intern!(py, "_read_ready__on_eof")).map(drop);
        }
        let protocol = t.getattr(intern!(py, "_protocol"))?;
        match protocol.call_method1(intern!(py, "data_received"), (data,)) {
            Ok(_) => Ok(()),
            Err(e) => self.fatal(py, e, "Fatal error: protocol.data_received() call failed."),
        }
    }

    /// `transport.write(data)`.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let stock = |rest: &Bound<'_, PyAny>| {
            self.stock_write
                .bind(py)
                .call1((self.transport.bind(py), rest))
                .map(drop)
        };
        let Some(view) = View::of(data) else {
            return stock(data);
        };
        if view.len() == 0 || !self.writable_now(py)? {
            drop(view);
            return stock(data);
        }
        let sent = self.send(py, &[view.iovec()]);
        let len = view.len();
        drop(view);
        match sent {
            Ok(Some(n)) if n == len => Ok(()),
            // What is left: the stock method buffers it and waits for EPOLLOUT.
            Ok(Some(n)) => stock(&data.get_item(pyo3::types::PySlice::new(
                py,
                isize::try_from(n).unwrap_or(isize::MAX),
                isize::MAX,
                1,
            ))?),
            Ok(None) => stock(data),
            Err(e) => self.fatal(py, e, "Fatal write error on socket transport"),
        }
    }

    /// `transport.writelines(list_of_data)`: one `writev` of the buffers.
    fn writelines(&self, py: Python<'_>, list_of_data: &Bound<'_, PyAny>) -> PyResult<()> {
        let stock = |rest: &Bound<'_, PyAny>| {
            self.stock_writelines
                .bind(py)
                .call1((self.transport.bind(py), rest))
                .map(drop)
        };
        // A list or tuple of bytes-like objects, not too many: else the
        // stock method (which joins any iterable).
        let items: Vec<Bound<'_, PyAny>> = if let Ok(l) = list_of_data.cast::<PyList>() {
            l.iter().collect()
        } else if let Ok(t) = list_of_data.cast::<PyTuple>() {
            t.iter().collect()
        } else {
            return stock(list_of_data);
        };
        if items.is_empty() || items.len() > MAX_IOVECS {
            return stock(list_of_data);
        }
        let mut views = Vec::with_capacity(items.len());
        for item in &items {
            match View::of(item) {
                Some(v) => views.push(v),
                None => return stock(list_of_data),
            }
        }
        let total: usize = views.iter().map(View::len).sum();
        if total == 0 || !self.writable_now(py)? {
            drop(views);
            return stock(list_of_data);
        }
        let iov: Vec<libc::iovec> = views.iter().map(View::iovec).collect();
        let sent = self.send(py, &iov);
        match sent {
            Ok(Some(n)) if n == total => Ok(()),
            Ok(Some(n)) => {
                // What is left, joined, to the stock `write`.
                let mut rest = Vec::with_capacity(total - n);
                let mut skip = n;
                for v in &views {
                    // SAFETY: the view's buffer is valid for its length.
                    let bytes = unsafe {
                        std::slice::from_raw_parts(v.0.buf.cast::<u8>().cast_const(), v.len())
                    };
                    let from = skip.min(bytes.len());
                    skip -= from;
                    rest.extend_from_slice(&bytes[from..]);
                }
                drop(views);
                self.stock_write
                    .bind(py)
                    .call1((self.transport.bind(py), PyBytes::new(py, &rest)))
                    .map(drop)
            }
            Ok(None) => {
                drop(views);
                stock(list_of_data)
            }
            Err(e) => {
                drop(views);
                self.fatal(py, e, "Fatal write error on socket transport")
            }
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.transport)?;
        visit.call(&self.stock_write)?;
        visit.call(&self.stock_writelines)
    }
}
