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
//! exact `int` (not `bool`), `float` or `int` for `float`, exact `str`,
//! `bytes` or `bytearray`, exact `datetime`/`date`/`time`/`timedelta`,
//! `UUID`, `Decimal`; an enum's own members; a `Literal`'s values; a `list`
//! or `tuple` for lists and tuples (fixed tuples by length), a `set` or
//! `frozenset` for sets; a `dict` (or subclass) with fitting keys and values;
//! an instance of exactly the declared Struct or dataclass class with every
//! field fitting; a `dict` with only declared keys (all required ones) for a
//! TypedDict; and every `msgspec.Meta` constraint of the annotation.
//!
//! The bytes are `msgspec.json.encode(value)`'s: Structs write their tag
//! first, keys as declared and unescaped, and skip defaults under
//! `omit_defaults` (by identity, or an empty `list`/`dict`/`set` for those
//! factories); dataclasses skip fields missing from the instance `__dict__`;
//! floats, big ints and strings go through [`crate::json`]. Date, time,
//! UUID and Decimal values are written by msgspec after the exact type check.
//! Nesting deeper than the interpreter's recursion limit is a mismatch, not
//! a stack overflow.

use std::ffi::CStr;
use std::fmt::Write as _;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

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
fn utf8<'a>(v: Obj<'a>) -> Option<&'a str> {
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

// Scalars.

/// `str`.
#[inline]
pub fn str(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyUnicode_CheckExact(v.ptr()) } == 0 {
        return match str_enum_value(v) {
            Some(value) => str(Obj(value.as_borrowed()), out),
            None => Err(mismatch("str", v)),
        };
    }
    let s = utf8(v).ok_or_else(|| mismatch("str (encodable as UTF-8)", v))?;
    json::write_str(out, s);
    Ok(())
}

/// Constraints on a returned `str`.
pub struct StrBounds {
    /// `min_length` (code points).
    pub min: Option<usize>,
    /// `max_length` (code points).
    pub max: Option<usize>,
    /// `pattern`: an index into the app's patterns.
    pub pattern: Option<usize>,
}

/// `Annotated[str, Meta(...)]`.
pub fn str_in(v: Obj<'_>, out: &mut Vec<u8>, b: &StrBounds) -> Result<(), Mismatch> {
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyUnicode_CheckExact(v.ptr()) } == 0 {
        return match str_enum_value(v) {
            Some(value) => str_in(Obj(value.as_borrowed()), out, b),
            None => Err(mismatch("str", v)),
        };
    }
    let start = out.len();
    str(v, out)?;
    // SAFETY: `v` is an exact str.
    let n = usize::try_from(unsafe { ffi::PyUnicode_GET_LENGTH(v.ptr()) }).unwrap_or(0);
    check_len("str", n, b.min, b.max)?;
    if let Some(i) = b.pattern {
        let interp = interp();
        let py = v.0.py();
        let found = interp
            .patterns
            .get(i)
            .map(|p| p.search.bind(py).call1((v.0,)).map(|m| !m.is_none()));
        match found {
            Some(Ok(true)) => {}
            _ => {
                out.truncate(start);
                return Err(constraint("str", format!("a str not matching pattern {i}")));
            }
        }
    }
    Ok(())
}

fn check_len(
    what: &'static str,
    n: usize,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), Mismatch> {
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(constraint(what, format!("a {what} of length {n}")));
    }
    Ok(())
}

/// `int` (not `bool`; any size).
#[inline]
pub fn int(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyLong_CheckExact(v.ptr()) } == 0 {
        return match int_enum_value(v) {
            Some(value) => int(Obj(value.as_borrowed()), out),
            None => Err(mismatch("int", v)),
        };
    }
    write_long(v, out);
    Ok(())
}

/// Constraints on a returned `int` (`gt`/`lt` folded into `ge`/`le`, as
/// msgspec does; its bounds fit 64 bits).
pub struct IntBounds {
    /// `ge` (or `gt + 1`).
    pub ge: Option<i64>,
    /// `le` (or `lt - 1`).
    pub le: Option<i64>,
    /// `multiple_of` (> 0).
    pub multiple_of: Option<i64>,
}

/// `Annotated[int, Meta(...)]`.
pub fn int_in(v: Obj<'_>, out: &mut Vec<u8>, b: &IntBounds) -> Result<(), Mismatch> {
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyLong_CheckExact(v.ptr()) } == 0 {
        return match int_enum_value(v) {
            Some(value) => int_in(Obj(value.as_borrowed()), out, b),
            None => Err(mismatch("int", v)),
        };
    }
    let mut overflow = 0;
    // SAFETY: `v` is an int.
    let n = unsafe { ffi::PyLong_AsLongLongAndOverflow(v.ptr(), &raw mut overflow) };
    let ok = match overflow {
        0 => {
            b.ge.is_none_or(|c| n >= c)
                && b.le.is_none_or(|c| n <= c)
                && b.multiple_of.is_none_or(|m| n % m == 0)
        }
        // Beyond 64 bits: past every bound on that side.
        o => {
            (o < 0 || b.le.is_none())
                && (o > 0 || b.ge.is_none())
                && b.multiple_of.is_none_or(|m| big_multiple_of(v, m))
        }
    };
    if !ok {
        return Err(constraint("int", "an int outside its constraints".into()));
    }
    write_long(v, out);
    Ok(())
}

fn big_multiple_of(v: Obj<'_>, m: i64) -> bool {
    // SAFETY: new references, released below; errors give `false`.
    unsafe {
        let m = ffi::PyLong_FromLongLong(m);
        if m.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        let r = ffi::PyNumber_Remainder(v.ptr(), m);
        ffi::Py_DECREF(m);
        if r.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        let zero = ffi::PyLong_AsLongLong(r) == 0 && ffi::PyErr_Occurred().is_null();
        ffi::PyErr_Clear();
        ffi::Py_DECREF(r);
        zero
    }
}

#[inline]
fn write_long(v: Obj<'_>, out: &mut Vec<u8>) {
    let mut overflow = 0;
    // SAFETY: `v` is an int (exact, or an int subclass such as an IntEnum).
    let n = unsafe { ffi::PyLong_AsLongLongAndOverflow(v.ptr(), &raw mut overflow) };
    if overflow == 0 {
        json::write_i64(out, n);
    } else {
        write_big_long(v, out);
    }
}

/// An int beyond 64 bits: msgspec writes its decimal digits (int's own
/// repr, whatever a subclass's `__str__` says).
#[cold]
#[inline(never)]
fn write_big_long(v: Obj<'_>, out: &mut Vec<u8>) {
    // SAFETY: `PyLong_Type.tp_repr` on an int gives a new str or null.
    unsafe {
        let repr = (*std::ptr::addr_of!(ffi::PyLong_Type)).tp_repr;
        let s = match repr {
            Some(f) => f(v.ptr()),
            None => std::ptr::null_mut(),
        };
        if s.is_null() {
            ffi::PyErr_Clear();
            out.extend_from_slice(b"0");
            return;
        }
        let b = Bound::from_owned_ptr(v.0.py(), s);
        if let Some(text) = utf8(Obj(b.as_borrowed())) {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// `float` (an `int` is accepted too, and written as an integer, as
/// `msgspec.json.encode` writes it).
#[inline]
pub fn float(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            json::write_f64(out, ffi::PyFloat_AS_DOUBLE(v.ptr()));
            return Ok(());
        }
        if ffi::PyLong_CheckExact(v.ptr()) != 0 {
            write_long(v, out);
            return Ok(());
        }
    }
    // An int enum member is a float as msgspec converts it; its JSON is
    // its int value. (Float-mixin enums msgspec refuses for `float`.)
    match int_enum_value(v) {
        Some(value) => float(Obj(value.as_borrowed()), out),
        None => Err(mismatch("float", v)),
    }
}

/// [`mixin_enum_value`] for `str` mixins, when the value is a plain str.
fn str_enum_value(v: Obj<'_>) -> Option<Bound<'_, PyAny>> {
    mixin_enum_value(v, &raw mut ffi::PyUnicode_Type)
        .filter(|value| is_exact(Obj(value.as_borrowed()), &raw mut ffi::PyUnicode_Type))
}

/// [`mixin_enum_value`] for `int` mixins, when the value is a plain int.
fn int_enum_value(v: Obj<'_>) -> Option<Bound<'_, PyAny>> {
    mixin_enum_value(v, &raw mut ffi::PyLong_Type)
        .filter(|value| is_exact(Obj(value.as_borrowed()), &raw mut ffi::PyLong_Type))
}

/// Constraints on a returned `float`.
pub struct FloatBounds {
    /// `ge`.
    pub ge: Option<f64>,
    /// `gt`.
    pub gt: Option<f64>,
    /// `le`.
    pub le: Option<f64>,
    /// `lt`.
    pub lt: Option<f64>,
    /// `multiple_of`.
    pub multiple_of: Option<f64>,
}

/// `Annotated[float, Meta(...)]`: the bounds hold for the value as a float.
pub fn float_in(v: Obj<'_>, out: &mut Vec<u8>, b: &FloatBounds) -> Result<(), Mismatch> {
    // SAFETY: type checks, then conversion of a float or an int.
    let x = unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            ffi::PyFloat_AS_DOUBLE(v.ptr())
        } else if ffi::PyLong_CheckExact(v.ptr()) != 0 {
            let x = ffi::PyLong_AsDouble(v.ptr());
            if x == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return Err(constraint("float", "an int too large for a float".into()));
            }
            x
        } else {
            return match int_enum_value(v) {
                Some(value) => float_in(Obj(value.as_borrowed()), out, b),
                None => Err(mismatch("float", v)),
            };
        }
    };
    let ok = b.ge.is_none_or(|c| x >= c)
        && b.gt.is_none_or(|c| x > c)
        && b.le.is_none_or(|c| x <= c)
        && b.lt.is_none_or(|c| x < c)
        && b.multiple_of
            .is_none_or(|m| x.is_finite() && (x == 0.0 || x % m == 0.0));
    if !ok {
        return Err(constraint("float", format!("{x} outside its constraints")));
    }
    float(v, out)
}

/// `bool`.
#[inline]
pub fn bool(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: comparing against the two bool singletons.
    unsafe {
        if v.ptr() == ffi::Py_True() {
            out.extend_from_slice(b"true");
        } else if v.ptr() == ffi::Py_False() {
            out.extend_from_slice(b"false");
        } else {
            return Err(mismatch("bool", v));
        }
    }
    Ok(())
}

/// `None`.
#[inline]
pub fn none(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    if !v.0.is_none() {
        return Err(mismatch("None", v));
    }
    out.extend_from_slice(b"null");
    Ok(())
}

/// `bytes` (a `bytes` or `bytearray`): standard base64 in a string.
pub fn bytes(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    bytes_in(v, out, None, None)
}

/// `Annotated[bytes, Meta(min_length=..., max_length=...)]`.
pub fn bytes_in(
    v: Obj<'_>,
    out: &mut Vec<u8>,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), Mismatch> {
    let p = v.ptr();
    // SAFETY: type checks, then the object's own buffer for its length.
    let data: &[u8] = unsafe {
        if ffi::PyBytes_CheckExact(p) != 0 {
            let len = usize::try_from(ffi::PyBytes_Size(p)).unwrap_or(0);
            std::slice::from_raw_parts(ffi::PyBytes_AsString(p).cast::<u8>(), len)
        } else if ffi::PyByteArray_CheckExact(p) != 0 {
            let len = usize::try_from(ffi::PyByteArray_Size(p)).unwrap_or(0);
            if len == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(ffi::PyByteArray_AsString(p).cast::<u8>(), len)
            }
        } else if ffi::PyMemoryView_Check(p) != 0 {
            let copied = buffer_copy(v)?;
            return bytes_in(Obj(copied.as_any().as_borrowed()), out, min, max);
        } else {
            return Err(mismatch("bytes", v));
        }
    };
    check_len("bytes", data.len(), min, max)?;
    out.push(b'"');
    base64(out, data);
    out.push(b'"');
    Ok(())
}

/// A `bytearray` or `memoryview` (which `msgspec.convert` takes for
/// `bytes`) copied into a new `bytes` object.
pub(crate) fn buffer_copy<'py>(v: Obj<'py>) -> Result<Bound<'py, PyBytes>, Mismatch> {
    let p = v.ptr();
    // SAFETY: type checks on a valid object; `PyBytes_FromObject` copies a
    // buffer into a new bytes object or fails with an exception.
    unsafe {
        if ffi::PyByteArray_Check(p) == 0 && ffi::PyMemoryView_Check(p) == 0 {
            return Err(mismatch("bytes", v));
        }
        let copied = ffi::PyBytes_FromObject(p);
        if copied.is_null() {
            ffi::PyErr_Clear();
            return Err(mismatch("bytes (a readable buffer)", v));
        }
        Ok(Bound::from_owned_ptr(v.0.py(), copied).cast_into_unchecked())
    }
}

fn base64(out: &mut Vec<u8>, data: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(data.len().div_ceil(3) * 4);
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize]);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                ALPHABET[((n >> 18) & 63) as usize],
                ALPHABET[((n >> 12) & 63) as usize],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                ALPHABET[((n >> 18) & 63) as usize],
                ALPHABET[((n >> 12) & 63) as usize],
                ALPHABET[((n >> 6) & 63) as usize],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// The scalar types msgspec writes as strings, checked exactly and then
/// written by msgspec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// `datetime.datetime`; `Some(true)`: must be aware, `Some(false)`: naive.
    DateTime(Option<bool>),
    /// `datetime.date`.
    Date,
    /// `datetime.time`, with `Meta(tz=...)` as for datetimes.
    Time(Option<bool>),
    /// `datetime.timedelta`.
    TimeDelta,
    /// `uuid.UUID`.
    Uuid,
    /// `decimal.Decimal`.
    Decimal,
}

/// A date, time, UUID or Decimal value.
pub fn leaf(v: Obj<'_>, out: &mut Vec<u8>, kind: Leaf) -> Result<(), Mismatch> {
    let rt = &interp().enc;
    let (cls, name, tz) = match kind {
        Leaf::DateTime(tz) => (rt.datetime, "datetime", tz),
        Leaf::Date => (rt.date, "date", None),
        Leaf::Time(tz) => (rt.time, "time", tz),
        Leaf::TimeDelta => (rt.timedelta, "timedelta", None),
        Leaf::Uuid => (rt.uuid, "UUID", None),
        Leaf::Decimal => (rt.decimal, "Decimal", None),
    };
    if !is_exact(v, cls) {
        return Err(mismatch(name, v));
    }
    if let Some(aware) = tz {
        let tzinfo =
            v.0.getattr(pyo3::intern!(v.0.py(), "tzinfo"))
                .map_err(|_| mismatch(name, v))?;
        if tzinfo.is_none() == aware {
            let what = if aware { "naive" } else { "aware" };
            return Err(constraint(name, format!("a {what} {name}")));
        }
    }
    msgspec(v, out)
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

/// `A | B | ...`: the first member whose encoder accepts the value (each
/// writes `msgspec.json.encode(value)`, so the choice never changes the bytes).
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
        } else if ffi::PyLong_CheckExact(p) != 0 {
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

// Containers.

/// `list[T]`, `tuple[T, ...]` (a `list` or `tuple`).
pub fn list<F>(v: Obj<'_>, out: &mut Vec<u8>, item: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    sequence(v, out, None, None, item)
}

/// `Annotated[list[T], Meta(min_length=..., max_length=...)]`.
pub fn list_in<F>(
    v: Obj<'_>,
    out: &mut Vec<u8>,
    min: Option<usize>,
    max: Option<usize>,
    item: F,
) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    sequence(v, out, min, max, item)
}

/// Reads item `i` of a list or tuple (borrowed).
type GetItem = unsafe fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject;

/// A list or tuple's length and item reader, or `None`.
#[inline]
fn as_sequence(p: *mut ffi::PyObject) -> Option<(ffi::Py_ssize_t, GetItem)> {
    // SAFETY: type checks on a valid object.
    unsafe {
        if ffi::PyList_CheckExact(p) != 0 {
            Some((ffi::PyList_GET_SIZE(p), |l, i| ffi::PyList_GET_ITEM(l, i)))
        } else if ffi::PyTuple_CheckExact(p) != 0 {
            Some((ffi::PyTuple_GET_SIZE(p), |t, i| ffi::PyTuple_GET_ITEM(t, i)))
        } else {
            None
        }
    }
}

fn sequence<F>(
    v: Obj<'_>,
    out: &mut Vec<u8>,
    min: Option<usize>,
    max: Option<usize>,
    item: F,
) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let p = v.ptr();
    let Some((len, get)) = as_sequence(p) else {
        // `msgspec.convert` takes a set for a list (in iteration order,
        // which is what `msgspec.json.encode` writes for it).
        // SAFETY: a type check on a valid object.
        if unsafe { ffi::PyAnySet_CheckExact(p) } != 0 {
            return set_in(v, out, min, max, item);
        }
        return Err(mismatch("list", v));
    };
    check_len("array", usize::try_from(len).unwrap_or(0), min, max)?;
    let _depth = Depth::enter(v)?;
    out.push(b'[');
    let mut i = 0;
    // SAFETY: indexed reads within the current length (a list may shrink if
    // an item encoder runs Python code: re-read its size); each item is held
    // by a new reference while its encoder runs.
    unsafe {
        while i < len.min(ffi::Py_SIZE(p)) {
            if i > 0 {
                out.push(b',');
            }
            let it = Bound::from_borrowed_ptr(v.0.py(), get(p, i));
            item(Obj(it.as_borrowed()), out).map_err(|e| e.at_index(i))?;
            i += 1;
        }
    }
    out.push(b']');
    Ok(())
}

/// `tuple[A, B, ...]`: a `list` or `tuple` of exactly that length.
pub fn tuple(v: Obj<'_>, out: &mut Vec<u8>, items: &[EncodeFn]) -> Result<(), Mismatch> {
    let p = v.ptr();
    let Some((len, get)) = as_sequence(p) else {
        return Err(mismatch("tuple", v));
    };
    if usize::try_from(len).ok() != Some(items.len()) {
        return Err(constraint(
            "tuple",
            format!("a sequence of length {len}, not {}", items.len()),
        ));
    }
    let _depth = Depth::enter(v)?;
    out.push(b'[');
    for (i, f) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let i = ffi::Py_ssize_t::try_from(i).unwrap_or(0);
        // SAFETY: as in `sequence`; tuples do not shrink, lists are re-checked.
        unsafe {
            if i >= ffi::Py_SIZE(p) {
                return Err(mismatch("tuple", v));
            }
            let it = Bound::from_borrowed_ptr(v.0.py(), get(p, i));
            f(Obj(it.as_borrowed()), out).map_err(|e| e.at_index(i))?;
        }
    }
    out.push(b']');
    Ok(())
}

/// `set[T]`, `frozenset[T]` (a `set` or `frozenset`), in iteration order.
pub fn set<F>(v: Obj<'_>, out: &mut Vec<u8>, item: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    set_in(v, out, None, None, item)
}

/// `Annotated[set[T], Meta(min_length=..., max_length=...)]`.
pub fn set_in<F>(
    v: Obj<'_>,
    out: &mut Vec<u8>,
    min: Option<usize>,
    max: Option<usize>,
    item: F,
) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let p = v.ptr();
    // SAFETY: a type check, then the size of a set.
    let len = unsafe {
        if ffi::PyAnySet_CheckExact(p) == 0 {
            return Err(mismatch("set", v));
        }
        ffi::PySet_Size(p)
    };
    check_len("array", usize::try_from(len).unwrap_or(0), min, max)?;
    let iter = v.0.try_iter().map_err(|_| mismatch("set", v))?;
    let _depth = Depth::enter(v)?;
    out.push(b'[');
    for (i, it) in iter.enumerate() {
        let it = it.map_err(|_| mismatch("set", v))?;
        if i > 0 {
            out.push(b',');
        }
        item(Obj(it.as_borrowed()), out)
            .map_err(|e| e.at_index(ffi::Py_ssize_t::try_from(i).unwrap_or(0)))?;
    }
    out.push(b']');
    Ok(())
}

/// `dict[str, T]`.
pub fn dict<F>(v: Obj<'_>, out: &mut Vec<u8>, value: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    dict_in(v, out, None, None, key_str, value)
}

/// `Annotated[dict[K, V], Meta(min_length=..., max_length=...)]`: `key`
/// writes each key as a JSON string.
pub fn dict_in<K, F>(
    v: Obj<'_>,
    out: &mut Vec<u8>,
    min: Option<usize>,
    max: Option<usize>,
    key: K,
    value: F,
) -> Result<(), Mismatch>
where
    K: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let p = v.ptr();
    // SAFETY: a type check, then the size of a dict.
    let len = unsafe {
        if ffi::PyDict_Check(p) == 0 {
            return Err(mismatch("dict", v));
        }
        ffi::PyDict_Size(p)
    };
    check_len("object", usize::try_from(len).unwrap_or(0), min, max)?;
    let _depth = Depth::enter(v)?;
    out.push(b'{');
    let mut pos: ffi::Py_ssize_t = 0;
    let mut k: *mut ffi::PyObject = std::ptr::null_mut();
    let mut val: *mut ffi::PyObject = std::ptr::null_mut();
    let mut first = true;
    // SAFETY: a dict iterated with PyDict_Next; key and value are borrowed
    // for the step and held by new references while encoders run.
    unsafe {
        while ffi::PyDict_Next(p, &raw mut pos, &raw mut k, &raw mut val) != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            let kb = Bound::from_borrowed_ptr(v.0.py(), k);
            let vb = Bound::from_borrowed_ptr(v.0.py(), val);
            key(Obj(kb.as_borrowed()), out).map_err(Mismatch::in_key)?;
            out.push(b':');
            value(Obj(vb.as_borrowed()), out).map_err(Mismatch::in_value)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// A `str` dict key.
#[inline]
pub fn key_str(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    str(v, out)
}

/// A dict key whose value encoder writes a number (`int` keys, int
/// enums and literals): the same text, quoted, as msgspec writes keys.
pub fn key_quoted<F>(v: Obj<'_>, out: &mut Vec<u8>, inner: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let mark = out.len();
    inner(v, out)?;
    if out.get(mark) != Some(&b'"') {
        out.insert(mark, b'"');
        out.push(b'"');
    }
    Ok(())
}

/// A `float` dict key: msgspec's float text, quoted (`"nan"`, `"inf"` and
/// `"-inf"` for the non-finite ones); an `int` is written as an int key.
pub fn key_float(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    let x = unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            ffi::PyFloat_AS_DOUBLE(v.ptr())
        } else if ffi::PyLong_CheckExact(v.ptr()) != 0 {
            out.push(b'"');
            write_long(v, out);
            out.push(b'"');
            return Ok(());
        } else {
            return Err(mismatch("float", v));
        }
    };
    out.push(b'"');
    if x.is_nan() {
        out.extend_from_slice(b"nan");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
    } else {
        json::write_f64(out, x);
    }
    out.push(b'"');
    Ok(())
}

// Models.

/// Which kind of class a [`Model`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A `msgspec.Struct` subclass.
    Struct,
    /// A `@dataclass`.
    Dataclass,
    /// A `TypedDict` (a `dict` at run time).
    TypedDict,
}

/// A model's encoder, as generated code declares it (in `App::models`).
/// The class itself (`App::types[ty]`) supplies field order, wire names,
/// tag, defaults and options at start-up.
pub struct Model {
    /// Index of the class in `App::types`.
    pub ty: u16,
    /// The kind of class.
    pub kind: ModelKind,
    /// One entry per field: its Python name and the encoder of its type.
    pub fields: &'static [Field],
}

/// One field of a [`Model`].
pub struct Field {
    /// The Python attribute name (the key, for a TypedDict).
    pub name: &'static str,
    /// The encoder of the field's declared type.
    pub enc: EncodeFn,
}

/// A model instance (`App::models[model]`).
pub fn model(v: Obj<'_>, out: &mut Vec<u8>, model: u16) -> Result<(), Mismatch> {
    let Some(m) = interp().enc.models.get(usize::from(model)) else {
        return Err(mismatch("a model known at start-up", v));
    };
    match m.kind {
        ModelKind::Struct => encode_struct(v, out, m),
        ModelKind::Dataclass => encode_dataclass(v, out, m),
        ModelKind::TypedDict => encode_typed_dict(v, out, m),
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
    /// `enum.Enum`.
    enum_type: *mut ffi::PyTypeObject,
    unset: *mut ffi::PyObject,
    /// `msgspec.json.Encoder().encode`.
    pub(super) encode: Py<PyAny>,
    models: Vec<ModelRt>,
    /// Keeps the objects behind the raw pointers above alive.
    _keep: Vec<Py<PyAny>>,
}

// SAFETY: the raw pointers are to immortal-for-the-process Python objects
// kept alive by `_keep`, and are only dereferenced with the GIL held.
unsafe impl Send for EncRt {}
// SAFETY: as above; nothing is mutated after start-up.
unsafe impl Sync for EncRt {}

struct ModelRt {
    cls: *mut ffi::PyTypeObject,
    kind: ModelKind,
    fields: Vec<FieldRt>,
    /// Struct tag: `"type":"Cat",` (object form) or `"Cat",` (array form).
    tag: Option<Vec<u8>>,
    array_like: bool,
    /// Number of required keys (TypedDict).
    required: usize,
}

struct FieldRt {
    /// The interned attribute name.
    name: Py<PyString>,
    /// The JSON key and colon, as msgspec writes it (`"userId":`).
    key: Key,
    /// The slot offset of a Struct field.
    offset: Option<isize>,
    enc: EncodeFn,
    /// Under `omit_defaults`: the default the value is compared with.
    omit: Option<Omit>,
    /// Has a default (dataclass: a missing attribute is then skipped);
    /// TypedDict: not required.
    optional: bool,
    /// The key as text (TypedDict lookups).
    text: &'static str,
}

/// A field's `"key":` bytes, padded so that short keys are written with
/// one fixed-size copy.
struct Key {
    padded: [u8; 16],
    bytes: Vec<u8>,
}

impl Key {
    fn new(bytes: Vec<u8>) -> Key {
        let mut padded = [0; 16];
        if bytes.len() <= 16 {
            padded[..bytes.len()].copy_from_slice(&bytes);
        }
        Key { padded, bytes }
    }

    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        let n = self.bytes.len();
        if n > 16 {
            out.extend_from_slice(&self.bytes);
            return;
        }
        out.reserve(16);
        // SAFETY: 16 bytes of spare capacity were reserved; only the key's
        // `n` bytes become part of the vector.
        unsafe {
            let end = out.as_mut_ptr().add(out.len());
            std::ptr::copy_nonoverlapping(self.padded.as_ptr(), end, 16);
            out.set_len(out.len() + n);
        }
    }
}

enum Omit {
    /// Omitted when the value *is* this object.
    Is(Py<PyAny>),
    /// `default_factory=list/dict/set`: omitted when the value is an
    /// empty one of exactly that type (or is the factory's own product,
    /// which never happens).
    Empty(*mut ffi::PyTypeObject),
}

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
        let unset_obj = msgspec.getattr("UNSET")?;
        let unset = unset_obj.as_ptr();
        keep.push(unset_obj.unbind());
        let encode = msgspec
            .getattr("json")?
            .getattr("Encoder")?
            .call0()?
            .getattr("encode")?
            .unbind();
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
            enum_type,
            unset,
            encode,
            models,
            _keep: keep,
        })
    }
}

fn field_enc(m: &Model, name: &str) -> PyResult<EncodeFn> {
    m.fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.enc)
        .ok_or_else(|| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "the class has a field `{name}` the compiled app does not know; rebuild the app"
            ))
        })
}

fn field_text(m: &Model, name: &str) -> &'static str {
    m.fields
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.name)
}

/// Reads a model's layout from its class.
fn resolve(py: Python<'_>, m: &Model, cls: &Bound<'_, PyAny>) -> PyResult<ModelRt> {
    use pyo3::exceptions::PyTypeError;
    let names: Vec<String> = match m.kind {
        ModelKind::Struct => cls.getattr("__struct_fields__")?.extract()?,
        ModelKind::Dataclass => py
            .import("dataclasses")?
            .call_method1("fields", (cls,))?
            .try_iter()?
            .map(|f| f?.getattr("name")?.extract())
            .collect::<PyResult<_>>()?,
        ModelKind::TypedDict => cls
            .getattr("__annotations__")?
            .try_iter()?
            .map(|k| k?.extract())
            .collect::<PyResult<_>>()?,
    };
    if names.len() != m.fields.len() {
        return Err(PyTypeError::new_err(format!(
            "the class has fields {names:?}, the compiled app expects {:?}; rebuild the app",
            m.fields.iter().map(|f| f.name).collect::<Vec<_>>()
        )));
    }
    let mut rt = ModelRt {
        cls: cls.as_ptr().cast(),
        kind: m.kind,
        fields: Vec::with_capacity(names.len()),
        tag: None,
        array_like: false,
        required: 0,
    };
    match m.kind {
        ModelKind::Struct => {
            let wire: Vec<String> = cls.getattr("__struct_encode_fields__")?.extract()?;
            let defaults = cls.getattr("__struct_defaults__")?.cast_into::<PyTuple>()?;
            let config = cls.getattr("__struct_config__")?;
            let omit_defaults: bool = config.getattr("omit_defaults")?.extract()?;
            rt.array_like = config.getattr("array_like")?.extract()?;
            let tag = config.getattr("tag")?;
            if !tag.is_none() {
                let mut bytes = Vec::new();
                if !rt.array_like {
                    let field: String = config.getattr("tag_field")?.extract()?;
                    json::write_str(&mut bytes, &field);
                    bytes.push(b':');
                }
                if let Ok(s) = tag.extract::<String>() {
                    json::write_str(&mut bytes, &s);
                } else {
                    let n: i64 = tag.extract()?;
                    json::write_i64(&mut bytes, n);
                }
                bytes.push(b',');
                rt.tag = Some(bytes);
            }
            let factory_cls = py.import("msgspec._core")?.getattr("Factory")?;
            let first_default = names.len() - defaults.len();
            for (i, (name, wire)) in names.iter().zip(&wire).enumerate() {
                let mut key = Vec::with_capacity(wire.len() + 3);
                // msgspec writes Struct keys unescaped.
                key.push(b'"');
                key.extend_from_slice(wire.as_bytes());
                key.extend_from_slice(b"\":");
                let omit = if omit_defaults && i >= first_default {
                    let d = defaults.get_item(i - first_default)?;
                    Some(if d.is_instance(&factory_cls)? {
                        let f = d.getattr("factory")?;
                        let p = f.as_ptr().cast::<ffi::PyTypeObject>();
                        let builtin = p == std::ptr::addr_of_mut!(ffi::PyList_Type)
                            || p == std::ptr::addr_of_mut!(ffi::PyDict_Type)
                            || p == std::ptr::addr_of_mut!(ffi::PySet_Type);
                        if builtin {
                            Omit::Empty(p)
                        } else {
                            Omit::Is(d.unbind())
                        }
                    } else {
                        Omit::Is(d.unbind())
                    })
                } else {
                    None
                };
                rt.fields.push(FieldRt {
                    name: PyString::intern(py, name).unbind(),
                    key: Key::new(key),
                    offset: slot_offset(cls, name),
                    enc: field_enc(m, name)?,
                    omit,
                    optional: i >= first_default,
                    text: field_text(m, name),
                });
            }
        }
        ModelKind::Dataclass => {
            let fields = py.import("dataclasses")?.call_method1("fields", (cls,))?;
            let missing = py.import("dataclasses")?.getattr("MISSING")?;
            for f in fields.try_iter()? {
                let f = f?;
                let name: String = f.getattr("name")?.extract()?;
                let optional = !f.getattr("default")?.is(&missing)
                    || !f.getattr("default_factory")?.is(&missing);
                let mut key = Vec::with_capacity(name.len() + 3);
                key.push(b'"');
                key.extend_from_slice(name.as_bytes());
                key.extend_from_slice(b"\":");
                rt.fields.push(FieldRt {
                    name: PyString::intern(py, &name).unbind(),
                    key: Key::new(key),
                    offset: None,
                    enc: field_enc(m, &name)?,
                    omit: None,
                    optional,
                    text: field_text(m, &name),
                });
            }
        }
        ModelKind::TypedDict => {
            // msgspec's view of which keys are required (it reads
            // `NotRequired[...]` even under `from __future__ import
            // annotations`, where `__required_keys__` cannot).
            let info = py
                .import("msgspec.inspect")?
                .call_method1("type_info", (cls,))?;
            let mut required_names = Vec::new();
            for f in info.getattr("fields")?.try_iter()? {
                let f = f?;
                if f.getattr("required")?.extract::<bool>()? {
                    required_names.push(f.getattr("name")?.extract::<String>()?);
                }
            }
            for name in &names {
                let is_required = required_names.contains(name);
                rt.required += usize::from(is_required);
                let mut key = Vec::new();
                json::write_str(&mut key, name);
                key.push(b':');
                rt.fields.push(FieldRt {
                    name: PyString::intern(py, name).unbind(),
                    key: Key::new(key),
                    offset: None,
                    enc: field_enc(m, name)?,
                    omit: None,
                    optional: !is_required,
                    text: field_text(m, name),
                });
            }
        }
    }
    Ok(rt)
}

/// The slot offset of Struct field `name` (a member descriptor of kind
/// `T_OBJECT_EX`), or `None` to read it with `getattr`.
pub(super) fn slot_offset(cls: &Bound<'_, PyAny>, name: &str) -> Option<isize> {
    const T_OBJECT_EX: std::ffi::c_int = 16;
    let desc = cls.getattr(name).ok()?;
    // SAFETY: only a `member_descriptor` is read as one; its `d_member`
    // points at the class's static member table.
    unsafe {
        if ffi::Py_TYPE(desc.as_ptr()) != std::ptr::addr_of_mut!(ffi::PyMemberDescr_Type) {
            return None;
        }
        let member = (*desc.as_ptr().cast::<ffi::PyMemberDescrObject>())
            .d_member
            .cast::<ffi::PyMemberDef>();
        if member.is_null() || (*member).type_code != T_OBJECT_EX {
            return None;
        }
        Some((*member).offset)
    }
}

/// A Struct field's value: a new reference, or `None` when unset.
#[inline]
fn struct_field<'py>(v: Obj<'py>, f: &FieldRt) -> Option<Bound<'py, PyAny>> {
    let py = v.0.py();
    match f.offset {
        // SAFETY: the offset of an object slot of this exact class.
        Some(off) => unsafe {
            let slot = *v
                .ptr()
                .cast::<u8>()
                .offset(off)
                .cast::<*mut ffi::PyObject>();
            (!slot.is_null()).then(|| Bound::from_borrowed_ptr(py, slot))
        },
        None => v.0.getattr(f.name.bind(py)).ok(),
    }
}

#[inline]
fn is_default(x: *mut ffi::PyObject, omit: &Omit) -> bool {
    match omit {
        Omit::Is(d) => x == d.as_ptr(),
        // SAFETY: type and size reads of a valid object.
        Omit::Empty(t) => unsafe {
            ffi::Py_TYPE(x) == *t
                && match () {
                    () if *t == std::ptr::addr_of_mut!(ffi::PyList_Type) => {
                        ffi::PyList_GET_SIZE(x) == 0
                    }
                    () if *t == std::ptr::addr_of_mut!(ffi::PyDict_Type) => {
                        ffi::PyDict_Size(x) == 0
                    }
                    () => ffi::PySet_Size(x) == 0,
                }
        },
    }
}

fn encode_struct(v: Obj<'_>, out: &mut Vec<u8>, m: &ModelRt) -> Result<(), Mismatch> {
    if !is_exact(v, m.cls) {
        return Err(mismatch("the declared Struct class", v));
    }
    let unset = interp().enc.unset;
    let _depth = Depth::enter(v)?;
    if m.array_like {
        out.push(b'[');
        let start = out.len();
        if let Some(tag) = &m.tag {
            out.extend_from_slice(tag);
        }
        for f in &m.fields {
            let val = struct_field(v, f).ok_or_else(|| unset_field(f))?;
            if val.as_ptr() == unset {
                return Err(unset_field(f));
            }
            (f.enc)(Obj(val.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
            out.push(b',');
        }
        close(out, start, b']');
        return Ok(());
    }
    out.push(b'{');
    let start = out.len();
    if let Some(tag) = &m.tag {
        out.extend_from_slice(tag);
    }
    for f in &m.fields {
        let val = struct_field(v, f).ok_or_else(|| unset_field(f))?;
        let p = val.as_ptr();
        // msgspec leaves out a field whose value is `msgspec.UNSET` (an
        // array-like Struct has no way to, and refuses it above).
        if p == unset {
            continue;
        }
        if let Some(omit) = &f.omit
            && is_default(p, omit)
        {
            continue;
        }
        f.key.write(out);
        (f.enc)(Obj(val.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
        out.push(b',');
    }
    close(out, start, b'}');
    Ok(())
}

/// Replaces the trailing comma with `end`, or appends `end` when nothing
/// was written since `start`.
#[inline]
fn close(out: &mut Vec<u8>, start: usize, end: u8) {
    if out.len() == start {
        out.push(end);
    } else if let Some(last) = out.last_mut() {
        *last = end;
    }
}

#[cold]
fn unset_field(f: &FieldRt) -> Mismatch {
    Mismatch::new("a value", "an unset field".into()).at_field(f.text)
}

fn encode_dataclass(v: Obj<'_>, out: &mut Vec<u8>, m: &ModelRt) -> Result<(), Mismatch> {
    if !is_exact(v, m.cls) {
        return Err(mismatch("the declared dataclass", v));
    }
    let py = v.0.py();
    // SAFETY: `PyObject_GenericGetDict` returns a new reference or null.
    let dict = unsafe {
        let d = ffi::PyObject_GenericGetDict(v.ptr(), std::ptr::null_mut());
        if d.is_null() {
            ffi::PyErr_Clear();
            None
        } else {
            Some(Bound::from_owned_ptr(py, d))
        }
    };
    let _depth = Depth::enter(v)?;
    out.push(b'{');
    let start = out.len();
    for f in &m.fields {
        let val = match &dict {
            // SAFETY: a borrowed lookup in a dict we hold.
            Some(d) => unsafe {
                let p = ffi::PyDict_GetItemWithError(d.as_ptr(), f.name.as_ptr());
                if p.is_null() {
                    ffi::PyErr_Clear();
                    None
                } else {
                    Some(Bound::from_borrowed_ptr(py, p))
                }
            },
            None => v.0.getattr(f.name.bind(py)).ok(),
        };
        let Some(val) = val else {
            // msgspec leaves out a field the instance does not have.
            if f.optional {
                continue;
            }
            return Err(unset_field(f));
        };
        // msgspec leaves out a field whose value is `msgspec.UNSET`.
        if val.as_ptr() == interp().enc.unset {
            continue;
        }
        f.key.write(out);
        (f.enc)(Obj(val.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
        out.push(b',');
    }
    close(out, start, b'}');
    Ok(())
}

fn encode_typed_dict(v: Obj<'_>, out: &mut Vec<u8>, m: &ModelRt) -> Result<(), Mismatch> {
    let p = v.ptr();
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyDict_Check(p) } == 0 {
        return Err(mismatch("dict (a TypedDict)", v));
    }
    let py = v.0.py();
    let _depth = Depth::enter(v)?;
    out.push(b'{');
    let mut pos: ffi::Py_ssize_t = 0;
    let mut k: *mut ffi::PyObject = std::ptr::null_mut();
    let mut val: *mut ffi::PyObject = std::ptr::null_mut();
    let mut first = true;
    let mut required = 0;
    // SAFETY: PyDict_Next over a dict; borrowed items held while encoding.
    unsafe {
        while ffi::PyDict_Next(p, &raw mut pos, &raw mut k, &raw mut val) != 0 {
            let kb = Bound::from_borrowed_ptr(py, k);
            let vb = Bound::from_borrowed_ptr(py, val);
            let key = Obj(kb.as_borrowed());
            let field = if ffi::PyUnicode_CheckExact(k) != 0 {
                let text = utf8(key);
                m.fields
                    .iter()
                    .find(|f| f.name.as_ptr() == k || Some(f.text) == text)
            } else {
                None
            };
            if !first {
                out.push(b',');
            }
            first = false;
            let Some(f) = field else {
                // A str key the TypedDict does not declare: `msgspec.convert`
                // drops it, `msgspec.json.encode` writes it with its value.
                let Some(text) = utf8(key).filter(|_| ffi::PyUnicode_CheckExact(k) != 0) else {
                    return Err(constraint("a str key", type_name(k)));
                };
                json::write_str(out, text);
                out.push(b':');
                any(Obj(vb.as_borrowed()), out).map_err(|e| e.at_field(text))?;
                continue;
            };
            required += usize::from(!f.optional);
            f.key.write(out);
            (f.enc)(Obj(vb.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
        }
    }
    if required != m.required {
        return Err(constraint(
            "every required key of the TypedDict",
            "a dict without some".into(),
        ));
    }
    out.push(b'}');
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        for (data, want) in [
            (&b""[..], ""),
            (b"a", "YQ=="),
            (b"ab", "YWI="),
            (b"abc", "YWJj"),
            (b"hello", "aGVsbG8="),
            (b"\xff\x00", "/wA="),
            (b"\xfb\xff", "+/8="),
        ] {
            let mut out = Vec::new();
            base64(&mut out, data);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
