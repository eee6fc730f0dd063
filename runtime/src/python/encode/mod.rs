//! Checked JSON encoders for handler return values.
//!
//! Generated code composes these into one encoder function per declared
//! type, e.g. `list[dict[str, int]]` becomes
//! `fn e1(v, o) { enc::list(v, o, e2) }` and `fn e2(v, o) { enc::dict(v, o, enc::key_str, enc::int) }`.
//! Each checks the Python object against the declared type before it
//! writes a byte of it, and reports a [`Mismatch`] (a 500 naming the route,
//! with the path of the offending value) instead of writing a wrong body.
//!
//! What fits a declared type (the rule `tests/differential` checks):
//! `int` or a subclass (not `bool`), `float` or an int for `float` (written
//! as a float, as `msgspec.convert` makes it), exact `str`,
//! `bytes` or `bytearray`, exact `datetime`/`date`/`time`/`timedelta`,
//! `UUID`, `Decimal`; an enum's own members; a `Literal`'s values; a `list`
//! or `tuple` for lists and tuples (fixed tuples by length), a `set` or
//! `frozenset` for sets; a `dict` (or subclass) with fitting keys and values;
//! an instance of exactly the declared Struct or dataclass class with every
//! field fitting; a `dict` with `str` keys (all required ones) for a
//! TypedDict; and every `msgspec.Meta` constraint of the annotation.
//!
//! The bytes are `msgspec.json.encode(msgspec.convert(value, T))`'s, at
//! every depth (an int as a float for `float`, an int subclass as its int,
//! a TypedDict without the keys it does not declare): Structs write their tag
//! first, keys as declared and unescaped, and skip defaults under
//! `omit_defaults` (by identity, or an empty `list`/`dict`/`set` for those
//! factories); dataclasses skip fields missing from the instance `__dict__`;
//! floats, big ints and strings go through [`crate::json`]. Date, time,
//! UUID and Decimal values are written by msgspec after the exact type check.
//! Nesting deeper than the interpreter's recursion limit is a mismatch, not
//! a stack overflow.
//!
//! The files: `scalar.rs` (strings, numbers, bytes, dates and the other
//! leaves), `container.rs` (lists, tuples, sets, dicts), `model.rs`
//! (Structs, dataclasses, TypedDicts and their start-up layouts); this one
//! holds the shared checks, the choices (`T | None`, unions, `Literal`,
//! enums), `Any` and the encoders' start-up data.

use std::ffi::CStr;
use std::fmt::Write as _;

use pyo3::ffi;
use pyo3::prelude::*;

mod container;
mod model;
mod scalar;

pub use self::container::{
    dict, dict_in, key_float, key_quoted, key_str, list, list_in, set, set_in, tuple,
};
pub(super) use self::model::slot_offset;
pub use self::model::{Field, Model, ModelKind, model};
use self::model::{ModelRt, resolve};
pub(in crate::python) use self::model::{field_name, fields_of};
pub(crate) use self::scalar::buffer_copy;
pub use self::scalar::{
    FloatBounds, IntBounds, Leaf, StrBounds, bool, bytes, bytes_in, float, float_in, int, int_in,
    leaf, none, str, str_in,
};
use self::scalar::{int_enum_value, is_int, str_enum_value, write_long};
use super::interp;
use crate::app::EncodeFn;
use crate::json;
use crate::validate::Mismatch;

/// A borrowed Python object: a handler's return value or a part of it.
#[derive(Clone, Copy)]
pub struct Obj<'a>(pub(super) Borrowed<'a, 'a, PyAny>);

impl Obj<'_> {
    #[inline]
    fn ptr(self) -> *mut ffi::PyObject {
        self.0.as_ptr()
    }
}

fn type_name(p: *mut ffi::PyObject) -> String {
    // SAFETY: every object has a type with a NUL-terminated `tp_name`.
    let name = unsafe { CStr::from_ptr((*ffi::Py_TYPE(p)).tp_name) };
    name.to_string_lossy().into_owned()
}

#[cold]
#[inline(never)]
fn mismatch(expected: &'static str, v: Obj<'_>) -> Mismatch {
    Mismatch::new(expected, type_name(v.ptr()))
}

#[cold]
#[inline(never)]
fn constraint(expected: &'static str, detail: String) -> Mismatch {
    Mismatch::new(expected, detail)
}

/// The value of an enum member whose class mixes in `base` (`IntEnum`,
/// `IntFlag`, `StrEnum`, `class E(int, Enum)`): msgspec accepts such a
/// member where `base` is declared (`msgspec.convert(E.A, int)` is `1`) and
/// encodes it as its value, so the encoders of `int`, `str` and `float`
/// take it too. `None` for anything else: the caller's mismatch stands
/// (other subclasses of `int` or `str` are refused by msgspec's encoder).
#[cold]
#[inline(never)]
fn mixin_enum_value<'py>(v: Obj<'py>, base: *mut ffi::PyTypeObject) -> Option<Bound<'py, PyAny>> {
    // SAFETY: type pointers of a valid object and of live classes.
    let member = unsafe {
        let ty = ffi::Py_TYPE(v.ptr());
        ffi::PyType_IsSubtype(ty, base) != 0
            && ffi::PyType_IsSubtype(ty, interp().enc.enum_type) != 0
    };
    if !member {
        return None;
    }
    v.0.getattr(pyo3::intern!(v.0.py(), "_value_")).ok()
}

/// The deepest nesting an encoder writes: the interpreter's recursion limit
/// at start-up, msgspec's own guard (1000 by default). Past it a value is
/// refused (a 500), never a stack overflow.
static MAX_DEPTH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1000);

thread_local! {
    /// Containers entered by the encoders on this thread.
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// One level of nesting, left when dropped.
struct Depth;

impl Depth {
    #[inline]
    fn enter(v: Obj<'_>) -> Result<Depth, Mismatch> {
        let max = MAX_DEPTH.load(std::sync::atomic::Ordering::Relaxed);
        DEPTH.with(|d| {
            let n = d.get();
            if n >= max {
                return Err(mismatch("a value nested less deeply", v));
            }
            d.set(n + 1);
            Ok(Depth)
        })
    }
}

impl Drop for Depth {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The UTF-8 of a `str` (`None` for lone surrogates, which cannot be encoded).
#[inline]
pub(super) fn utf8<'a>(v: Obj<'a>) -> Option<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `v` is a str; the buffer lives as long as the object. A
    // compact ASCII str keeps its characters, which are their own UTF-8,
    // right after its header.
    unsafe {
        if ffi::PyUnicode_IS_COMPACT_ASCII(v.ptr()) != 0 {
            let len = usize::try_from(ffi::PyUnicode_GET_LENGTH(v.ptr())).ok()?;
            let data = ffi::PyUnicode_DATA(v.ptr()).cast::<u8>();
            return Some(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                data, len,
            )));
        }
        let data = ffi::PyUnicode_AsUTF8AndSize(v.ptr(), &raw mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), usize::try_from(size).ok()?);
        Some(std::str::from_utf8_unchecked(bytes))
    }
}

#[inline]
fn is_exact(v: Obj<'_>, ty: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: reading the type pointer of a valid object.
    unsafe { ffi::Py_TYPE(v.ptr()) == ty }
}

// Choices.

/// `T | None`: `null`, or `inner`.
#[inline]
pub fn optional<F>(v: Obj<'_>, out: &mut Vec<u8>, inner: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    if v.0.is_none() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    inner(v, out)
}

/// `A | B | ...`: the first member whose encoder accepts the value. Each
/// writes `msgspec.json.encode(msgspec.convert(value, member))`, which is the
/// same for every member that accepts it but `float` (`3` is `3.0`): the
/// generated code puts `float` members last, as msgspec prefers `int`.
pub fn union(v: Obj<'_>, out: &mut Vec<u8>, members: &[EncodeFn]) -> Result<(), Mismatch> {
    let mark = out.len();
    let mut last = None;
    for f in members {
        match f(v, out) {
            Ok(()) => return Ok(()),
            Err(e) => {
                out.truncate(mark);
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| mismatch("a member of the union", v)))
}

/// The values of a `Literal[...]`.
pub struct Literal {
    /// The `str` values.
    pub strs: &'static [&'static str],
    /// The `int` values (msgspec limits them to 64 bits).
    pub ints: &'static [i64],
    /// The `bool` values.
    pub bools: &'static [bool],
    /// Whether `None` is one.
    pub none: bool,
}

/// `Literal[...]`: one of the values, of the same type.
pub fn literal(v: Obj<'_>, out: &mut Vec<u8>, l: &Literal) -> Result<(), Mismatch> {
    let p = v.ptr();
    // SAFETY: type checks and reads of a valid object.
    unsafe {
        if v.0.is_none() && l.none {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        if p == ffi::Py_True() || p == ffi::Py_False() {
            let b = p == ffi::Py_True();
            if l.bools.contains(&b) {
                out.extend_from_slice(if b { b"true" } else { b"false" });
                return Ok(());
            }
        } else if is_int(v) {
            // An int subclass (an `IntEnum` member too) stands for its int.
            let mut overflow = 0;
            let n = ffi::PyLong_AsLongLongAndOverflow(p, &raw mut overflow);
            if overflow == 0 && l.ints.contains(&n) {
                json::write_i64(out, n);
                return Ok(());
            }
        } else if ffi::PyUnicode_CheckExact(p) != 0
            && let Some(s) = utf8(v)
            && l.strs.contains(&s)
        {
            json::write_str(out, s);
            return Ok(());
        }
    }
    // A member of an int or str mixin enum stands for its value, as
    // `msgspec.convert` takes it (`IntEnum.B` for `Literal[2]`).
    if let Some(value) = int_enum_value(v).or_else(|| str_enum_value(v)) {
        return literal(Obj(value.as_borrowed()), out, l);
    }
    Err(mismatch("one of the Literal's values", v))
}

/// An enum (`types[ty]`): one of its members, written as its value.
pub fn enumeration(v: Obj<'_>, out: &mut Vec<u8>, ty: u16) -> Result<(), Mismatch> {
    let cls = interp()
        .types
        .get(usize::from(ty))
        .map_or(std::ptr::null_mut(), |c| {
            c.as_ptr().cast::<ffi::PyTypeObject>()
        });
    if !is_exact(v, cls) {
        return Err(mismatch("a member of the declared enum", v));
    }
    let p = v.ptr();
    // SAFETY: subtype checks on a valid object.
    unsafe {
        if ffi::PyLong_Check(p) != 0 {
            write_long(v, out);
            return Ok(());
        }
        if ffi::PyUnicode_Check(p) != 0 {
            let s = utf8(v).ok_or_else(|| mismatch("an enum value encodable as UTF-8", v))?;
            json::write_str(out, s);
            return Ok(());
        }
    }
    let value =
        v.0.getattr(pyo3::intern!(v.0.py(), "_value_"))
            .map_err(|_| mismatch("an enum member with a value", v))?;
    let value = Obj(value.as_borrowed());
    // SAFETY: type checks on a valid object.
    if unsafe { ffi::PyLong_CheckExact(value.ptr()) } != 0 {
        write_long(value, out);
        Ok(())
    } else {
        str(value, out)
    }
}

/// Start-up data of the encoders: the classes the leaf checks compare
/// with, `msgspec.UNSET`, and each model's layout read from its class.
pub(crate) struct EncRt {
    datetime: *mut ffi::PyTypeObject,
    date: *mut ffi::PyTypeObject,
    time: *mut ffi::PyTypeObject,
    timedelta: *mut ffi::PyTypeObject,
    uuid: *mut ffi::PyTypeObject,
    decimal: *mut ffi::PyTypeObject,
    /// `msgspec.Raw`.
    raw: *mut ffi::PyTypeObject,
    /// `enum.Enum`.
    enum_type: *mut ffi::PyTypeObject,
    unset: *mut ffi::PyObject,
    /// `msgspec.json.Encoder().encode`.
    pub(super) encode: Py<PyAny>,
    /// `msgspec.convert`, for the rare conversions done by msgspec itself
    /// (an int or float returned for `Decimal`, a `Decimal` for `float`).
    pub(super) convert: Py<PyAny>,
    models: Vec<ModelRt>,
    /// Keeps the objects behind the raw pointers above alive.
    _keep: Vec<Py<PyAny>>,
}

// SAFETY: the raw pointers are to immortal-for-the-process Python objects
// kept alive by `_keep`, and are only dereferenced with the GIL held.
unsafe impl Send for EncRt {}
// SAFETY: as above; nothing is mutated after start-up.
unsafe impl Sync for EncRt {}

impl EncRt {
    pub(crate) fn load(
        py: Python<'_>,
        models: &'static [Model],
        types: &[Py<PyAny>],
    ) -> PyResult<EncRt> {
        let dt = py.import("datetime")?;
        let mut keep = Vec::new();
        let mut class = |obj: Bound<'_, PyAny>| -> *mut ffi::PyTypeObject {
            let p = obj.as_ptr().cast::<ffi::PyTypeObject>();
            keep.push(obj.unbind());
            p
        };
        let datetime = class(dt.getattr("datetime")?);
        let date = class(dt.getattr("date")?);
        let time = class(dt.getattr("time")?);
        let timedelta = class(dt.getattr("timedelta")?);
        let uuid = class(py.import("uuid")?.getattr("UUID")?);
        let decimal = class(py.import("decimal")?.getattr("Decimal")?);
        let enum_type = class(py.import("enum")?.getattr("Enum")?);
        let limit: u32 = py
            .import("sys")?
            .call_method0("getrecursionlimit")?
            .extract()?;
        MAX_DEPTH.store(
            limit.clamp(16, 10_000),
            std::sync::atomic::Ordering::Relaxed,
        );
        let msgspec = py.import("msgspec")?;
        let raw = class(msgspec.getattr("Raw")?);
        let unset_obj = msgspec.getattr("UNSET")?;
        let unset = unset_obj.as_ptr();
        keep.push(unset_obj.unbind());
        let encode = msgspec
            .getattr("json")?
            .getattr("Encoder")?
            .call0()?
            .getattr("encode")?
            .unbind();
        let convert = msgspec.getattr("convert")?.unbind();
        let models = models
            .iter()
            .map(|m| {
                let cls = types.get(usize::from(m.ty)).ok_or_else(|| {
                    pyo3::exceptions::PyIndexError::new_err(format!(
                        "model type index {} is out of range",
                        m.ty
                    ))
                })?;
                resolve(py, m, cls.bind(py))
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(EncRt {
            datetime,
            date,
            time,
            timedelta,
            uuid,
            decimal,
            raw,
            enum_type,
            unset,
            encode,
            convert,
            models,
            _keep: keep,
        })
    }
}

/// `msgspec.Raw`: a `Raw` (no other value; `msgspec.convert` passes it
/// through), its bytes written as they are, as msgspec writes them.
pub fn raw(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    if !is_exact(v, interp().enc.raw) {
        return Err(mismatch("msgspec.Raw", v));
    }
    msgspec(v, out)
}

/// `msgspec.UnsetType` alone: nothing has a JSON form (an UNSET field is
/// left out of its object before any encoder runs).
pub fn unset(v: Obj<'_>, _out: &mut Vec<u8>) -> Result<(), Mismatch> {
    Err(mismatch(
        "a value (UNSET is only left out of a Struct or dataclass)",
        v,
    ))
}

/// Any value, encoded by msgspec (for `Any`): anything msgspec can encode.
pub fn any(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    msgspec(v, out)
}

/// `msgspec.convert(v, cls)` (`cls` a class the encoders keep), or the
/// mismatch naming `what` when msgspec refuses it.
#[cold]
fn convert<'py>(
    v: Obj<'py>,
    cls: *mut ffi::PyTypeObject,
    what: &'static str,
) -> Result<Bound<'py, PyAny>, Mismatch> {
    let py = v.0.py();
    // SAFETY: `cls` is a class kept alive by `EncRt::_keep`.
    let cls = unsafe { Bound::from_borrowed_ptr(py, cls.cast::<ffi::PyObject>()) };
    interp()
        .enc
        .convert
        .bind(py)
        .call1((v.0, cls))
        .map_err(|_| mismatch(what, v))
}

fn msgspec(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    let py = v.0.py();
    match interp().enc.encode.bind(py).call1((v.0,)) {
        Ok(bytes) => {
            let bytes = bytes
                .cast_into::<pyo3::types::PyBytes>()
                .map_err(|_| mismatch("bytes", v))?;
            out.extend_from_slice(bytes.as_bytes());
            Ok(())
        }
        Err(e) => {
            tracing::error!(
                traceback = %super::traceback(&e),
                "msgspec could not encode a return value"
            );
            let mut why = String::new();
            let _ = write!(why, "{} ({e})", type_name(v.ptr()));
            Err(Mismatch::new("a value msgspec can encode", why))
        }
    }
}

/// Encodes `v` with `f` into a fresh buffer (used by the reply path).
pub(super) fn encode_with(v: &Bound<'_, PyAny>, f: EncodeFn) -> Result<Vec<u8>, Mismatch> {
    let mut out = Vec::with_capacity(128);
    f(Obj(v.as_borrowed()), &mut out)?;
    Ok(out)
}
