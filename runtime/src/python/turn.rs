//! One turn of the asyncio event loop, in Rust.
//!
//! The stock loop's `_run_once` is pure Python: on `/db` under load
//! (examples/tfb on asyncpg) it, its selector's `select`, the loop's
//! `_process_events` and `Handle._run` were about 12% of the server's
//! samples (py-spy), and each turn cost a `poll` to learn whether the
//! selector had events plus the `epoll_wait` of its `select`. [`Turn`]
//! does the same steps, in the same order and with the same semantics, on
//! the loop's own data: its `_ready` deque, its `_scheduled` heap and the
//! `_fd_to_key` map of its selector (so `add_reader`, transports, timers,
//! `call_soon_threadsafe` and everything else that fills them is untouched):
//!
//! 1. cancelled timers leave the heap (all of them when more than half of
//!    over 100 are cancelled, else those at its head), as `_run_once` does;
//! 2. one `epoll_wait` with a zero timeout on the selector's epoll fd, each
//!    event mapped as `EpollSelector.select` maps it and its reader or writer
//!    handle made ready as `_process_events` does (a cancelled one removes
//!    its reader or writer);
//! 3. the timers due (within the clock's resolution) move to `_ready`;
//! 4. the handles ready at that point run, each in its context
//!    (`PyContext_Enter`, the callback, `PyContext_Exit`, which is
//!    `Context.run`); one that raises goes to the loop's exception handler
//!    with the context `Handle._run` would give it (`bootstrap.callback_failed`),
//!    and `SystemExit` and `KeyboardInterrupt` stop the turn, as they
//!    stop `_run_once`.
//!
//! A loop in debug mode (`PYTHONASYNCIODEBUG`, `loop.set_debug(True)`)
//! runs the stock `_run_once` instead, for its slow-callback warnings.

use std::os::fd::RawFd;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3::{ffi, intern};

/// `base_events._MIN_SCHEDULED_TIMER_HANDLES`.
const MIN_SCHEDULED_TIMER_HANDLES: usize = 100;
/// `base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION`.
const MIN_CANCELLED_TIMER_HANDLES_FRACTION: f64 = 0.5;
/// `selectors.EVENT_READ`, `selectors.EVENT_WRITE`.
const EVENT_READ: i64 = 1;
const EVENT_WRITE: i64 = 2;
/// Events taken per `epoll_wait`; more wait for the next turn (the selector
/// is level-triggered, and epoll hands them out round-robin).
const MAX_EVENTS: usize = 128;

/// The parts of the loop a turn reads, looked up once.
pub(super) struct Turn {
    event_loop: Py<PyAny>,
    /// `loop._ready`: a deque, made once in the loop's `__init__`.
    ready: Py<PyAny>,
    /// Its bound `append` and `popleft` (a method lookup per handle saved).
    append: Py<PyAny>,
    popleft: Py<PyAny>,
    /// The loop's attributes, read from its instance dictionary.
    attrs: LoopAttrs,
    /// The selector's `_fd_to_key`: made once, cleared only on close.
    fd_to_key: Py<PyDict>,
    epoll_fd: RawFd,
    /// `loop._run_once`, for a loop in debug mode.
    run_once: Py<PyAny>,
    heappop: Py<PyAny>,
    heapify: Py<PyAny>,
    /// `bootstrap.callback_failed`.
    callback_failed: Py<PyAny>,
    /// `loop._clock_resolution`.
    clock_resolution: f64,
    /// Reads the slots of the handles a turn runs.
    slots: SlotReader,
}

/// What a turn left behind.
pub(super) struct After {
    /// Handles are ready, or a timer is due: turn again at once.
    pub(super) now: bool,
    /// Seconds until the next timer, when there is one.
    pub(super) timer: Option<f64>,
}

/// `time.monotonic()`, which `loop.time()` returns.
pub(super) fn monotonic() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    #[allow(clippy::cast_precision_loss)]
    let secs = ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
    secs
}

/// Reads the loop's own attributes (`_debug`, `_closed`, `_scheduled`, ...)
/// from its instance dictionary.
///
/// A `getattr` on the loop walks its class's MRO for a descriptor before
/// it looks in the instance (about 200 instructions); every `call_soon`
/// asked two of them, every turn three. `BaseEventLoop` keeps these as
/// plain instance attributes (no property, no slot shadows them), and
/// `set_debug`, `close` and `_run_once` assign them, which writes this
/// same dictionary; a name missing from it is read with `getattr`.
pub(super) struct LoopAttrs {
    dict: Py<PyDict>,
}

impl LoopAttrs {
    pub(super) fn new(event_loop: &Bound<'_, PyAny>) -> PyResult<LoopAttrs> {
        Ok(LoopAttrs {
            dict: event_loop
                .getattr("__dict__")?
                .cast_into::<PyDict>()?
                .unbind(),
        })
    }

    /// `loop.<name>`.
    pub(super) fn get<'py>(
        &self,
        lp: &Bound<'py, PyAny>,
        name: &Bound<'py, pyo3::types::PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = lp.py();
        // SAFETY: live dict and key; a borrowed reference or NULL (with an
        // exception set only on a failed hash or comparison).
        unsafe {
            let v = ffi::PyDict_GetItemWithError(self.dict.as_ptr(), name.as_ptr());
            if !v.is_null() {
                return Ok(Bound::from_borrowed_ptr(py, v));
            }
            if !ffi::PyErr_Occurred().is_null() {
                return Err(PyErr::fetch(py));
            }
        }
        lp.getattr(name)
    }

    /// Whether `loop.<name>` is true.
    pub(super) fn flag(
        &self,
        lp: &Bound<'_, PyAny>,
        name: &Bound<'_, pyo3::types::PyString>,
    ) -> PyResult<bool> {
        let v = self.get(lp, name)?;
        // SAFETY: True and False are immortal singletons.
        unsafe {
            if v.as_ptr() == ffi::Py_False() {
                return Ok(false);
            }
            if v.as_ptr() == ffi::Py_True() {
                return Ok(true);
            }
        }
        v.is_truthy()
    }
}

impl Turn {
    pub(super) fn new(
        py: Python<'_>,
        event_loop: &Bound<'_, PyAny>,
        bootstrap: &Bound<'_, PyModule>,
    ) -> PyResult<Turn> {
        let selector = event_loop.getattr("_selector")?;
        let heapq = py.import("heapq")?;
        let ready = event_loop.getattr("_ready")?;
        Ok(Turn {
            append: ready.getattr("append")?.unbind(),
            popleft: ready.getattr("popleft")?.unbind(),
            ready: ready.unbind(),
            attrs: LoopAttrs::new(event_loop)?,
            fd_to_key: selector
                .getattr("_fd_to_key")?
                .cast_into::<PyDict>()?
                .unbind(),
            epoll_fd: selector.call_method0("fileno")?.extract()?,
            run_once: event_loop.getattr("_run_once")?.unbind(),
            heappop: heapq.getattr("heappop")?.unbind(),
            heapify: heapq.getattr("heapify")?.unbind(),
            callback_failed: bootstrap.getattr("callback_failed")?.unbind(),
            clock_resolution: event_loop.getattr("_clock_resolution")?.extract()?,
            slots: SlotReader::new(py)?,
            event_loop: event_loop.clone().unbind(),
        })
    }

    /// The loop's attributes.
    pub(super) fn attrs(&self) -> &LoopAttrs {
        &self.attrs
    }

    pub(super) fn epoll_fd(&self) -> RawFd {
        self.epoll_fd
    }

    /// The loop's `_scheduled` heap (read each time: `_run_once` replaces it).
    pub(super) fn scheduled<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Ok(self
            .attrs
            .get(self.event_loop.bind(py), intern!(py, "_scheduled"))?
            .cast_into::<PyList>()?)
    }

    /// How many handles are ready.
    pub(super) fn ready_len(&self, py: Python<'_>) -> PyResult<usize> {
        self.ready.bind(py).len()
    }

    /// One turn; the caller has set the running loop.
    pub(super) fn run(&self, py: Python<'_>) -> PyResult<After> {
        let lp = self.event_loop.bind(py);
        let mut again = false;
        if self.attrs.flag(lp, intern!(py, "_debug"))? {
            self.run_once.bind(py).call0()?;
        } else {
            self.drop_cancelled_timers(py)?;
            let io = self.poll(py)?;
            self.due_timers(py)?;
            super::transport::take_drained();
            self.run_ready(py)?;
            // The selector is level-triggered, but the epoll fd tokio
            // watches only becomes readable again when an event is added:
            // what a callback left unread (a reader that took part of what
            // waits, a `BufferedProtocol`'s small buffer) would not wake
            // the driver. So a turn that ran I/O callbacks is followed by
            // another, unless every one was a transport read that emptied
            // its socket (`transport.rs` counts them).
            again = io > super::transport::take_drained();
        }
        let mut after = self.after(py)?;
        after.now |= again;
        Ok(after)
    }

    fn drop_cancelled_timers(&self, py: Python<'_>) -> PyResult<()> {
        let lp = self.event_loop.bind(py);
        let scheduled = self.scheduled(py)?;
        let count = scheduled.len();
        if count == 0 {
            return Ok(());
        }
        let cancelled_name = intern!(py, "_cancelled");
        let scheduled_name = intern!(py, "_scheduled");
        let n_cancelled: usize = self
            .attrs
            .get(lp, intern!(py, "_timer_cancelled_count"))?
            .extract()?;
        #[allow(clippy::cast_precision_loss)]
        let many = count > MIN_SCHEDULED_TIMER_HANDLES
            && n_cancelled as f64 / count as f64 > MIN_CANCELLED_TIMER_HANDLES_FRACTION;
        if many {
            let kept = PyList::empty(py);
            for handle in scheduled.iter() {
                if handle.getattr(cancelled_name)?.is_truthy()? {
                    handle.setattr(scheduled_name, false)?;
                } else {
                    kept.append(handle)?;
                }
            }
            self.heapify.bind(py).call1((&kept,))?;
            lp.setattr(scheduled_name, kept)?;
            lp.setattr(intern!(py, "_timer_cancelled_count"), 0)?;
            return Ok(());
        }
        let heappop = self.heappop.bind(py);
        let mut n_cancelled = n_cancelled;
        let mut popped = false;
        while !scheduled.is_empty()
            && scheduled
                .get_item(0)?
                .getattr(cancelled_name)?
                .is_truthy()?
        {
            n_cancelled = n_cancelled.saturating_sub(1);
            popped = true;
            let handle = heappop.call1((&scheduled,))?;
            handle.setattr(scheduled_name, false)?;
        }
        if popped {
            lp.setattr(intern!(py, "_timer_cancelled_count"), n_cancelled)?;
        }
        Ok(())
    }

    /// The selector's events, without waiting, made ready; how many
    /// handles that made ready.
    fn poll(&self, py: Python<'_>) -> PyResult<usize> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
        // SAFETY: a buffer of MAX_EVENTS events; zero timeout. The fd is
        // the selector's, open while the loop lives.
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        let n =
            unsafe { libc::epoll_wait(self.epoll_fd, events.as_mut_ptr(), MAX_EVENTS as i32, 0) };
        let Ok(n) = usize::try_from(n) else {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(err.into());
        };
        if n == 0 {
            return Ok(0);
        }
        let mut made_ready = 0;
        let fd_to_key = self.fd_to_key.bind(py);
        let lp = self.event_loop.bind(py);
        let cancelled = intern!(py, "_cancelled");
        for ev in &events[..n] {
            let (flags, data) = (ev.events, ev.u64);
            #[allow(clippy::cast_possible_truncation)]
            let fd = data as RawFd;
            let Some(key) = fd_to_key.get_item(fd)? else {
                continue;
            };
            // As `EpollSelector.select` maps them: anything but EPOLLIN
            // counts as writable, anything but EPOLLOUT as readable.
            let mut mask = 0;
            if flags & !(libc::EPOLLIN as u32) != 0 {
                mask |= EVENT_WRITE;
            }
            if flags & !(libc::EPOLLOUT as u32) != 0 {
                mask |= EVENT_READ;
            }
            // A SelectorKey: (fileobj, fd, events, data), data (reader, writer).
            let key = key.cast_into::<PyTuple>()?;
            let wanted: i64 = key.get_item(2)?.extract()?;
            mask &= wanted;
            let handles = key.get_item(3)?;
            for (bit, index, remove) in [
                (EVENT_READ, 0, intern!(py, "_remove_reader")),
                (EVENT_WRITE, 1, intern!(py, "_remove_writer")),
            ] {
                if mask & bit == 0 {
                    continue;
                }
                let handle = handles.get_item(index)?;
                if handle.is_none() {
                    continue;
                }
                if self.slots.get(&handle, CANCELLED, cancelled)?.is_truthy()? {
                    lp.call_method1(remove, (key.get_item(0)?,))?;
                } else {
                    append(&self.append, &handle)?;
                    made_ready += 1;
                }
            }
        }
        Ok(made_ready)
    }

    /// The timers due move to `_ready`.
    fn due_timers(&self, py: Python<'_>) -> PyResult<()> {
        let scheduled = self.scheduled(py)?;
        if scheduled.is_empty() {
            return Ok(());
        }
        let end = monotonic() + self.clock_resolution;
        let heappop = self.heappop.bind(py);
        while !scheduled.is_empty() {
            let when: f64 = self
                .slots
                .get(&scheduled.get_item(0)?, WHEN, intern!(py, "_when"))?
                .extract()?;
            if when >= end {
                break;
            }
            let handle = heappop.call1((&scheduled,))?;
            handle.setattr(intern!(py, "_scheduled"), false)?;
            append(&self.append, &handle)?;
        }
        Ok(())
    }

    /// Runs the handles ready now (not those they schedule: next turn).
    fn run_ready(&self, py: Python<'_>) -> PyResult<()> {
        let ready = self.ready.bind(py);
        let todo = ready.len()?;
        for _ in 0..todo {
            // SAFETY: a live callable; a new reference or NULL with an exception.
            let handle = unsafe {
                Bound::from_owned_ptr_or_err(py, ffi::PyObject_CallNoArgs(self.popleft.as_ptr()))?
            };
            if self
                .slots
                .get(&handle, CANCELLED, intern!(py, "_cancelled"))?
                .is_truthy()?
            {
                continue;
            }
            if let Err(e) = run_handle(py, &self.slots, &handle) {
                use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
                if e.is_instance_of::<PySystemExit>(py)
                    || e.is_instance_of::<PyKeyboardInterrupt>(py)
                {
                    return Err(e);
                }
                self.callback_failed
                    .bind(py)
                    .call1((&handle, e.into_value(py)))?;
            }
        }
        Ok(())
    }

    /// Whether to turn again at once, and when the next timer is due.
    fn after(&self, py: Python<'_>) -> PyResult<After> {
        if self.ready_len(py)? > 0 {
            return Ok(After {
                now: true,
                timer: None,
            });
        }
        let scheduled = self.scheduled(py)?;
        if scheduled.is_empty() {
            return Ok(After {
                now: false,
                timer: None,
            });
        }
        let when: f64 = self
            .slots
            .get(&scheduled.get_item(0)?, WHEN, intern!(py, "_when"))?
            .extract()?;
        let wait = (when - monotonic()).max(0.0);
        Ok(After {
            now: wait == 0.0,
            timer: Some(wait),
        })
    }
}

/// `append(item)`, with `append` a deque's bound `append`.
fn append(append: &Py<PyAny>, item: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = item.py();
    // SAFETY: live objects; a new reference (None) or NULL with an exception.
    unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyObject_CallOneArg(append.as_ptr(), item.as_ptr()))
            .map(drop)
    }
}

/// `handle._context.run(handle._callback, *handle._args)`, without the
/// frame of `Handle._run`.
fn run_handle(py: Python<'_>, slots: &SlotReader, handle: &Bound<'_, PyAny>) -> PyResult<()> {
    let context = slots.get(handle, CONTEXT, intern!(py, "_context"))?;
    let callback = slots.get(handle, CALLBACK, intern!(py, "_callback"))?;
    let args = slots.get(handle, ARGS, intern!(py, "_args"))?;
    let args = match args.cast_into::<PyTuple>() {
        Ok(t) => t,
        Err(e) => PyTuple::new(
            py,
            e.into_inner().try_iter()?.collect::<PyResult<Vec<_>>>()?,
        )?,
    };
    // SAFETY: `context` is a live object (PyContext_Enter checks its type);
    // the call returns a new reference or sets an exception; every
    // successful enter is matched by an exit.
    unsafe {
        if ffi::PyContext_Enter(context.as_ptr()) < 0 {
            return Err(PyErr::fetch(py));
        }
        let out = ffi::PyObject_Call(callback.as_ptr(), args.as_ptr(), std::ptr::null_mut());
        let result = Bound::from_owned_ptr_or_err(py, out).map(drop);
        if ffi::PyContext_Exit(context.as_ptr()) < 0 {
            let exit = PyErr::fetch(py);
            return Err(result.err().unwrap_or(exit));
        }
        result
    }
}

/// Makes `asyncio.Handle`s and `asyncio.TimerHandle`s as their `__init__`
/// would (outside debug mode), without running it.
///
/// Both classes are `__slots__` classes: the handle is allocated with the
/// type's `tp_alloc` (what `object.__new__` does) and each slot is written
/// at the offset its member descriptor gives, which is what a slot
/// `setattr` ends in. A `setattr` per slot (type lookup, descriptor,
/// `PyMember_SetOne`) was about 200 instructions, 7 to 9 per handle and
/// ten handles per `/db` request (callgrind); the direct writes are a few.
/// Should a slot not be a plain object member (another Python), `setattr`
/// is used.
struct HandleMaker {
    /// The class made: `asyncio.Handle` or `asyncio.TimerHandle`.
    class: Py<pyo3::types::PyType>,
    /// The slots, in [`HANDLE_SLOTS`] order, then `_when` and `_scheduled`
    /// for a `TimerHandle`: their offsets, or `None` to use `setattr`.
    offsets: Vec<Option<isize>>,
}

/// `Handle`'s slots, in the order [`HandleMaker::make`] takes their values.
const HANDLE_SLOTS: [&str; 7] = [
    "_context",
    "_loop",
    "_callback",
    "_args",
    "_cancelled",
    "_repr",
    "_source_traceback",
];

impl HandleMaker {
    fn new(py: Python<'_>, name: &str) -> PyResult<HandleMaker> {
        let class = py
            .import("asyncio.events")?
            .getattr(name)?
            .cast_into::<pyo3::types::PyType>()?;
        let mut names: Vec<&str> = HANDLE_SLOTS.to_vec();
        if name == "TimerHandle" {
            names.extend(["_when", "_scheduled"]);
        }
        let offsets = names
            .iter()
            .map(|n| Ok(member_offset(&class.getattr(*n)?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(HandleMaker {
            class: class.unbind(),
            offsets,
        })
    }

    /// A new handle with `values` in its slots (in the order of `offsets`).
    fn make<'py>(
        &self,
        py: Python<'py>,
        values: &[Bound<'py, PyAny>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let class = self.class.bind(py);
        let tp = class.as_type_ptr();
        // SAFETY: `tp` is a live heap type; tp_alloc returns a new reference
        // (slots zeroed) or NULL with an exception set.
        let handle = unsafe {
            let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
            Bound::from_owned_ptr_or_err(py, alloc(tp, 0))?
        };
        for (value, (offset, name)) in values.iter().zip(
            self.offsets
                .iter()
                .zip(HANDLE_SLOTS.iter().copied().chain(["_when", "_scheduled"])),
        ) {
            match offset {
                // SAFETY: the offset of an object slot of this type, checked
                // when the maker was made; the slot holds a reference or
                // NULL (fresh object), released after the new one is in.
                Some(offset) => unsafe {
                    let slot = handle
                        .as_ptr()
                        .cast::<u8>()
                        .offset(*offset)
                        .cast::<*mut ffi::PyObject>();
                    let old = *slot;
                    *slot = value.clone().into_ptr();
                    ffi::Py_XDECREF(old);
                },
                None => handle.setattr(name, value)?,
            }
        }
        Ok(handle)
    }
}

/// Indices of [`SlotReader`]'s slots ([`HANDLE_SLOTS`], then `_when`).
const CONTEXT: usize = 0;
const CALLBACK: usize = 2;
const ARGS: usize = 3;
const CANCELLED: usize = 4;
const WHEN: usize = 7;

/// Reads the slots of an `asyncio.Handle` or `asyncio.TimerHandle` at
/// their offsets (a `getattr` each was about 150 instructions, four or five
/// per handle a turn runs); any other object, a subclass included, or an
/// empty slot is read with `getattr`.
struct SlotReader {
    handle: Py<pyo3::types::PyType>,
    timer: HandleMaker,
}

impl SlotReader {
    fn new(py: Python<'_>) -> PyResult<SlotReader> {
        Ok(SlotReader {
            handle: py
                .import("asyncio.events")?
                .getattr("Handle")?
                .cast_into::<pyo3::types::PyType>()?
                .unbind(),
            timer: HandleMaker::new(py, "TimerHandle")?,
        })
    }

    /// Slot `index` of `handle`, or the attribute `name`.
    fn get<'py>(
        &self,
        handle: &Bound<'py, PyAny>,
        index: usize,
        name: &Bound<'py, pyo3::types::PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = handle.py();
        let tp = handle.get_type_ptr();
        let is_timer = tp == self.timer.class.bind(py).as_type_ptr();
        let known = is_timer || (index < WHEN && tp == self.handle.bind(py).as_type_ptr());
        if known && let Some(Some(offset)) = self.timer.offsets.get(index) {
            // SAFETY: `handle` is exactly the class whose member descriptor
            // gave this offset (Handle's slots sit at the same offsets in
            // TimerHandle); the slot holds a borrowed reference or NULL.
            unsafe {
                let slot = *handle
                    .as_ptr()
                    .cast::<u8>()
                    .offset(*offset)
                    .cast::<*mut ffi::PyObject>();
                if !slot.is_null() {
                    return Ok(Bound::from_borrowed_ptr(py, slot));
                }
            }
        }
        handle.getattr(name)
    }
}

/// The offset of the object slot that `descriptor` (a class attribute)
/// describes, when it is a member descriptor of an object slot.
fn member_offset(descriptor: &Bound<'_, PyAny>) -> Option<isize> {
    // SAFETY: the type check comes first; a member descriptor's d_member
    // points to its PyMemberDef for the life of its class.
    unsafe {
        let ptr = descriptor.as_ptr();
        if ffi::Py_TYPE(ptr) != &raw mut ffi::PyMemberDescr_Type {
            return None;
        }
        let member = (*ptr.cast::<ffi::PyMemberDescrObject>())
            .d_member
            .cast::<ffi::PyMemberDef>();
        if member.is_null()
            || (*member).type_code != ffi::Py_T_OBJECT_EX
            || (*member).flags & ffi::Py_READONLY != 0
        {
            return None;
        }
        Some((*member).offset)
    }
}

/// A copy of the current context (`contextvars.copy_context()`), or the
/// one given.
fn context_or_copy<'py>(
    py: Python<'py>,
    context: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match context {
        Some(c) if !c.is_none() => Ok(c),
        // SAFETY: returns a new reference or sets an exception.
        _ => unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyContext_CopyCurrent()) },
    }
}

/// `loop.call_soon`, in Rust: a builtin function bound to a [`CallSoon`]
/// ([`CallSoon::function`]) is set on the loop as an instance attribute,
/// where `asyncio`'s C Futures and Tasks find it (every done future's
/// callbacks, every Task step after the first go through it).
///
/// The stock method is three Python frames (`call_soon`, `_call_soon`,
/// `Handle.__init__`, which also calls `loop.get_debug()`). This makes the
/// same `asyncio.Handle` (its slots set as `__init__` sets them, the
/// context copied when none is given), appends it to `_ready` and returns
/// it; a closed loop raises as `_check_closed` does, and a loop in debug
/// mode takes the stock method (its thread and callback checks, its
/// source tracebacks).
///
/// The function takes its arguments as a vectorcall (`METH_FASTCALL |
/// METH_KEYWORDS`), as the C Future passes them, `context=` included: a
/// `#[pymethods]` method with `*args` and a keyword parsed them through
/// pyo3's generic argument extraction, about 400 instructions of the 1,700
/// each call cost (ten calls per `/fortunes` request, callgrind).
#[pyclass(module = "prebake._runtime", frozen)]
pub(super) struct CallSoon {
    event_loop: Py<PyAny>,
    /// `loop._ready.append`.
    append: Py<PyAny>,
    attrs: LoopAttrs,
    handle: HandleMaker,
    /// `type(loop).call_soon`, for a loop in debug mode.
    stock: Py<PyAny>,
}

/// A `PyMethodDef` in a static (CPython only reads it).
struct MethodDef(ffi::PyMethodDef);

// SAFETY: the definition is never written; its pointers are to statics.
unsafe impl Sync for MethodDef {}

/// A vectorcall builtin's definition (`METH_FASTCALL | METH_KEYWORDS`).
const fn method_def(
    name: &'static std::ffi::CStr,
    meth: ffi::PyCFunctionFastWithKeywords,
    doc: &'static std::ffi::CStr,
) -> MethodDef {
    MethodDef(ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: meth,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    })
}

static CALL_SOON: MethodDef = method_def(
    c"call_soon",
    call_soon_vectorcall,
    c"call_soon(callback, *args, context=None): the loop's call_soon, in Rust.",
);

static CALL_AT: MethodDef = method_def(
    c"call_at",
    call_at_vectorcall,
    c"call_at(when, callback, *args, context=None): the loop's call_at, in Rust.",
);

static CALL_LATER: MethodDef = method_def(
    c"call_later",
    call_at_vectorcall,
    c"call_later(delay, callback, *args, context=None): the loop's call_later, in Rust.",
);

/// A builtin function made from `def`, bound to `slf`.
fn builtin<'py>(def: &'static MethodDef, slf: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: a static definition and a live object the function keeps a
    // reference to; a new reference or NULL with an exception.
    unsafe {
        Bound::from_owned_ptr_or_err(
            slf.py(),
            ffi::PyCFunction_NewEx(
                (&raw const def.0).cast_mut(),
                slf.as_ptr(),
                std::ptr::null_mut(),
            ),
        )
    }
}

impl CallSoon {
    pub(super) fn new(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<CallSoon> {
        Ok(CallSoon {
            append: event_loop.getattr("_ready")?.getattr("append")?.unbind(),
            attrs: LoopAttrs::new(event_loop)?,
            handle: HandleMaker::new(py, "Handle")?,
            stock: event_loop.get_type().getattr("call_soon")?.unbind(),
            event_loop: event_loop.clone().unbind(),
        })
    }

    /// The builtin function to set as the loop's `call_soon`.
    pub(super) fn function<'py>(slf: &Bound<'py, CallSoon>) -> PyResult<Bound<'py, PyAny>> {
        builtin(&CALL_SOON, slf.as_any())
    }

    fn call<'py>(
        &self,
        py: Python<'py>,
        callback: Bound<'py, PyAny>,
        args: Bound<'py, PyTuple>,
        context: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let lp = self.event_loop.bind(py);
        if self.attrs.flag(lp, intern!(py, "_closed"))? {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "Event loop is closed",
            ));
        }
        if self.attrs.flag(lp, intern!(py, "_debug"))? {
            return call_stock(self.stock.bind(py), lp, vec![callback], &args, context);
        }
        let context = context_or_copy(py, context)?;
        let none = py.None().into_bound(py);
        let handle = self.handle.make(
            py,
            &[
                context,
                lp.clone(),
                callback,
                args.into_any(),
                pyo3::types::PyBool::new(py, false).to_owned().into_any(),
                none.clone(),
                none,
            ],
        )?;
        append(&self.append, &handle)?;
        Ok(handle)
    }
}

/// A loop method's arguments from a vectorcall, for the signature
/// `(NAMES..., *args, context=None)`: the named ones, the rest as a tuple,
/// and `context`. The errors are the `TypeError`s Python words for
/// `BaseEventLoop.<method>` called wrongly.
struct LoopCall<'py, const N: usize> {
    named: [Bound<'py, PyAny>; N],
    rest: Bound<'py, PyTuple>,
    context: Option<Bound<'py, PyAny>>,
}

impl<'py, const N: usize> LoopCall<'py, N> {
    /// # Safety
    /// `args` holds `nargs` positional values then one per name in
    /// `kwnames` (a tuple of str, or NULL), as a vectorcall passes them;
    /// the GIL is held.
    unsafe fn parse(
        py: Python<'py>,
        method: &str,
        names: [&str; N],
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> PyResult<Self> {
        use pyo3::exceptions::PyTypeError;
        // SAFETY: as the caller promises.
        unsafe {
            let nargs = usize::try_from(nargs).unwrap_or(0);
            let nkw = if kwnames.is_null() {
                0
            } else {
                usize::try_from(ffi::PyTuple_GET_SIZE(kwnames)).unwrap_or(0)
            };
            let values = std::slice::from_raw_parts(args, nargs + nkw);
            let value = |p: *mut ffi::PyObject| Bound::from_borrowed_ptr(py, p);
            let mut named: [Option<Bound<'py, PyAny>>; N] =
                std::array::from_fn(|i| values.get(i).filter(|_| i < nargs).map(|p| value(*p)));
            let mut context = None;
            for (i, &v) in values[nargs..].iter().enumerate() {
                #[allow(clippy::cast_possible_wrap)]
                let key = value(ffi::PyTuple_GET_ITEM(kwnames, i as ffi::Py_ssize_t));
                let key = key.cast_into::<pyo3::types::PyString>()?;
                let key = key.to_str()?;
                if key == "context" {
                    context = Some(value(v));
                    continue;
                }
                match names.iter().position(|n| *n == key) {
                    Some(j) if named[j].is_none() => named[j] = Some(value(v)),
                    Some(_) => {
                        return Err(PyTypeError::new_err(format!(
                            "BaseEventLoop.{method}() got multiple values for argument '{key}'"
                        )));
                    }
                    None => {
                        return Err(PyTypeError::new_err(format!(
                            "BaseEventLoop.{method}() got an unexpected keyword argument '{key}'"
                        )));
                    }
                }
            }
            let missing: Vec<String> = names
                .iter()
                .zip(&named)
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| format!("'{n}'"))
                .collect();
            if !missing.is_empty() {
                let (count, plural) = match missing.len() {
                    1 => ("1".to_owned(), "argument"),
                    n => (n.to_string(), "arguments"),
                };
                return Err(PyTypeError::new_err(format!(
                    "BaseEventLoop.{method}() missing {count} required positional {plural}: {}",
                    missing.join(" and ")
                )));
            }
            let rest = PyTuple::new(py, values[N.min(nargs)..nargs].iter().map(|p| value(*p)))?;
            Ok(LoopCall {
                named: named.map(|v| v.unwrap_or_else(|| py.None().into_bound(py))),
                rest,
                context,
            })
        }
    }
}

/// Runs a builtin function's body: what it returns, or NULL with its
/// error (a panic becomes a `PanicException`) set.
///
/// # Safety
/// Called by CPython, as a builtin function, with the GIL held.
unsafe fn entry(
    body: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: as the caller promises.
    let py = unsafe { Python::assume_attached() };
    let err = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(py))) {
        Ok(Ok(v)) => return v.into_ptr(),
        Ok(Err(e)) => e,
        Err(_) => pyo3::panic::PanicException::new_err("a loop method panicked"),
    };
    err.restore(py);
    std::ptr::null_mut()
}

/// The vectorcall entry of `loop.call_soon` ([`CALL_SOON`]).
unsafe extern "C" fn call_soon_vectorcall(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls it with the GIL held and passes what
    // `METH_FASTCALL | METH_KEYWORDS` promises; `slf` is the `CallSoon` the
    // function was made with.
    unsafe {
        entry(|py| {
            let this = Bound::from_borrowed_ptr(py, slf).cast_into_unchecked::<CallSoon>();
            let call = LoopCall::parse(py, "call_soon", ["callback"], args, nargs, kwnames)?;
            let [callback] = call.named;
            this.get().call(py, callback, call.rest, call.context)
        })
    }
}

/// The vectorcall entry of `loop.call_at` and `loop.call_later`
/// ([`CALL_AT`], [`CALL_LATER`]).
unsafe extern "C" fn call_at_vectorcall(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for `call_soon_vectorcall`, with a `CallAt`.
    unsafe {
        entry(|py| {
            let this = Bound::from_borrowed_ptr(py, slf).cast_into_unchecked::<CallAt>();
            let this = this.get();
            let (method, first) = if this.later {
                ("call_later", "delay")
            } else {
                ("call_at", "when")
            };
            let call = LoopCall::parse(py, method, [first, "callback"], args, nargs, kwnames)?;
            let [when, callback] = call.named;
            this.call(py, when, callback, call.rest, call.context)
        })
    }
}

/// The stock method `stock` on `lp` with `leading` then `args`, `context=`.
fn call_stock<'py>(
    stock: &Bound<'py, PyAny>,
    lp: &Bound<'py, PyAny>,
    leading: Vec<Bound<'py, PyAny>>,
    args: &Bound<'py, PyTuple>,
    context: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = stock.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "context"), context)?;
    let mut all = vec![lp.clone()];
    all.extend(leading);
    all.extend(args.iter());
    stock.call(PyTuple::new(py, all)?, Some(&kwargs))
}

/// `loop.call_at` and `loop.call_later`, in Rust, set on the loop as
/// [`CallSoon`] is, vectorcall builtins too (asyncio's timeouts, `sleep`
/// with a delay, drivers' and clients' timers go through them). Their
/// first parameter is named as the stock methods name it (`when`,
/// `delay`), for callers that pass it by keyword.
///
/// The stock methods are three Python frames (`call_later`, `call_at`,
/// `TimerHandle.__init__` with `Handle.__init__`). This makes the same
/// `asyncio.TimerHandle` (its slots set as `__init__` sets them), pushes it
/// on the loop's `_scheduled` heap with `heapq.heappush` and marks it
/// scheduled. `call_later`'s deadline is `time.monotonic() + delay`, which
/// is `loop.time() + delay`. `None` for a delay or deadline raises the
/// stock `TypeError`, a closed loop the stock `RuntimeError`, and a loop in
/// debug mode takes the stock method (its thread and callback checks and
/// source tracebacks).
#[pyclass(module = "prebake._runtime", frozen)]
pub(super) struct CallAt {
    event_loop: Py<PyAny>,
    attrs: LoopAttrs,
    timer: HandleMaker,
    heappush: Py<PyAny>,
    /// `type(loop).call_at` or `.call_later`, for a loop in debug mode.
    stock: Py<PyAny>,
    /// Whether this is `call_later` (its first argument a delay).
    later: bool,
}

impl CallAt {
    pub(super) fn new(
        py: Python<'_>,
        event_loop: &Bound<'_, PyAny>,
        later: bool,
    ) -> PyResult<CallAt> {
        let name = if later { "call_later" } else { "call_at" };
        Ok(CallAt {
            attrs: LoopAttrs::new(event_loop)?,
            timer: HandleMaker::new(py, "TimerHandle")?,
            heappush: py.import("heapq")?.getattr("heappush")?.unbind(),
            stock: event_loop.get_type().getattr(name)?.unbind(),
            event_loop: event_loop.clone().unbind(),
            later,
        })
    }

    /// The builtin function to set as the loop's `call_at` or `call_later`
    /// (a vectorcall, as [`CallSoon::function`]).
    pub(super) fn function<'py>(slf: &Bound<'py, CallAt>) -> PyResult<Bound<'py, PyAny>> {
        let def = if slf.get().later {
            &CALL_LATER
        } else {
            &CALL_AT
        };
        builtin(def, slf.as_any())
    }

    fn call<'py>(
        &self,
        py: Python<'py>,
        when: Bound<'py, PyAny>,
        callback: Bound<'py, PyAny>,
        args: Bound<'py, PyTuple>,
        context: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        use pyo3::exceptions::{PyRuntimeError, PyTypeError};
        let lp = self.event_loop.bind(py);
        if self.attrs.flag(lp, intern!(py, "_debug"))? {
            return call_stock(
                self.stock.bind(py),
                lp,
                vec![when, callback],
                &args,
                context,
            );
        }
        if when.is_none() {
            return Err(PyTypeError::new_err(if self.later {
                "delay must not be None"
            } else {
                "when cannot be None"
            }));
        }
        let when = if self.later {
            pyo3::types::PyFloat::new(py, monotonic()).add(when)?
        } else {
            when
        };
        if self.attrs.flag(lp, intern!(py, "_closed"))? {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        let context = context_or_copy(py, context)?;
        let none = py.None().into_bound(py);
        let no = pyo3::types::PyBool::new(py, false).to_owned().into_any();
        let timer = self.timer.make(
            py,
            &[
                context,
                lp.clone(),
                callback,
                args.into_any(),
                no.clone(),
                none.clone(),
                none,
                when,
                no,
            ],
        )?;
        let scheduled = self.attrs.get(lp, intern!(py, "_scheduled"))?;
        self.heappush.bind(py).call1((scheduled, &timer))?;
        timer.setattr(intern!(py, "_scheduled"), true)?;
        Ok(timer)
    }
}
