//! Template routes: the returned model read into the generated page struct,
//! and the page rendered by askama into the response body.
//!
//! The compiler generates, per template route, a Rust struct mirroring the
//! model (one per nested model too), an askama `Template` derive over it and
//! a reader that fills it from the handler's return value with these
//! functions. The reader goes through the encoders' start-up model layouts
//! ([`super::encode::fields_of`]: Struct slots by offset, the dataclass
//! `__dict__`, the TypedDict's keys) and makes the same type checks, so a
//! value that does not fit the declared model is a 500 naming the field,
//! as for a JSON route, and never a half-written page. Strings are borrowed
//! from the Python objects (no copy); the page is written straight into the
//! response buffer. No JSON is produced on the way.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;

use super::encode::{Obj, field_name, fields_of};
use crate::validate::Mismatch;

fn type_name(v: Obj<'_>) -> String {
    v.0.get_type()
        .name()
        .map_or_else(|_| "?".into(), |n| n.to_string())
}

#[cold]
fn mismatch(expected: &'static str, v: Obj<'_>) -> Mismatch {
    Mismatch::new(expected, type_name(v))
}

/// The field values of a model instance, in declared order.
pub struct Fields<'a> {
    model: u16,
    values: Vec<Option<Obj<'a>>>,
}

/// Reads the fields of `v`, an instance of `App::models[model]`.
pub fn fields(v: Obj<'_>, model: u16) -> Result<Fields<'_>, Mismatch> {
    let mut values = Vec::with_capacity(8);
    fields_of(v, model, &mut values)?;
    Ok(Fields { model, values })
}

impl<'a> Fields<'a> {
    /// Field `i`, which must be set.
    #[inline]
    pub fn get(&self, i: usize) -> Result<Obj<'a>, Mismatch> {
        self.values.get(i).copied().flatten().ok_or_else(|| {
            Mismatch::new("a value", "an unset field".into()).at_field(field_name(self.model, i))
        })
    }

    /// Field `i` of an optional type: `None` when unset or `None`.
    #[inline]
    pub fn opt(&self, i: usize) -> Option<Obj<'a>> {
        self.values
            .get(i)
            .copied()
            .flatten()
            .filter(|v| !v.0.is_none())
    }

    /// A field's error, with the field's name in its path.
    #[cold]
    pub fn at(&self, i: usize, e: Mismatch) -> Mismatch {
        e.at_field(field_name(self.model, i))
    }
}

/// The `_value_` of an enum member (held by the member).
fn enum_value(v: Obj<'_>) -> Option<Obj<'_>> {
    let value = v.0.getattr(pyo3::intern!(v.0.py(), "_value_")).ok()?;
    // SAFETY: the member holds its value for as long as it lives.
    Some(Obj(unsafe { Borrowed::from_ptr(v.0.py(), value.as_ptr()) }))
}

/// `str` (or an enum member with a `str` value): the text, borrowed.
#[inline]
pub fn str(v: Obj<'_>) -> Result<&str, Mismatch> {
    // SAFETY: a type check on a valid object.
    if unsafe { ffi::PyUnicode_CheckExact(v.0.as_ptr()) } == 0 {
        return match enum_value(v) {
            // SAFETY: a type check on a valid object.
            Some(value) if unsafe { ffi::PyUnicode_CheckExact(value.0.as_ptr()) } != 0 => {
                str(value)
            }
            _ => Err(mismatch("str", v)),
        };
    }
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `v` is a str; its UTF-8 buffer lives as long as the object.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(v.0.as_ptr(), &raw mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
            return Err(mismatch("str (encodable as UTF-8)", v));
        }
        let len = usize::try_from(size).unwrap_or(0);
        Ok(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            data.cast::<u8>(),
            len,
        )))
    }
}

/// `int` (or an enum member with an `int` value) that fits 64 bits.
#[inline]
pub fn int(v: Obj<'_>) -> Result<i64, Mismatch> {
    // SAFETY: type checks and a conversion of an exact int.
    unsafe {
        if ffi::PyLong_CheckExact(v.0.as_ptr()) == 0 {
            return match enum_value(v) {
                Some(value) if ffi::PyLong_CheckExact(value.0.as_ptr()) != 0 => int(value),
                _ => Err(mismatch("int", v)),
            };
        }
        let n = ffi::PyLong_AsLongLong(v.0.as_ptr());
        if n == -1 && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return Err(mismatch("an int that fits 64 bits", v));
        }
        Ok(n)
    }
}

/// `float` (or an `int`, as msgspec takes one for `float`).
#[inline]
pub fn float(v: Obj<'_>) -> Result<Float, Mismatch> {
    // SAFETY: type checks, then conversions of an exact float or int.
    unsafe {
        if ffi::PyFloat_CheckExact(v.0.as_ptr()) != 0 {
            return Ok(Float(ffi::PyFloat_AS_DOUBLE(v.0.as_ptr())));
        }
        if ffi::PyLong_CheckExact(v.0.as_ptr()) != 0 {
            let x = ffi::PyLong_AsDouble(v.0.as_ptr());
            if x == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return Err(mismatch("an int that fits a float", v));
            }
            return Ok(Float(x));
        }
    }
    Err(mismatch("float", v))
}

/// `bool`.
#[inline]
pub fn bool(v: Obj<'_>) -> Result<bool, Mismatch> {
    let p = v.0.as_ptr();
    // SAFETY: comparisons with the two bool singletons.
    unsafe {
        if p == ffi::Py_True() {
            return Ok(true);
        }
        if p == ffi::Py_False() {
            return Ok(false);
        }
    }
    Err(mismatch("bool", v))
}

/// A date, time, UUID or decimal: Python's `str()` of it, as Jinja2 writes
/// it (`2024-05-01 12:00:00`), after an exact type check by name.
pub fn text(v: Obj<'_>, expected: &'static str) -> Result<String, Mismatch> {
    let ty = v.0.get_type();
    let name = ty.qualname().map(|n| n.to_string()).unwrap_or_default();
    let module = ty.module().map(|n| n.to_string()).unwrap_or_default();
    let full = format!("{module}.{name}");
    if !expected.split('|').any(|e| e == full) {
        return Err(mismatch(expected, v));
    }
    v.0.str()
        .ok()
        .and_then(|s| s.to_str().ok().map(str::to_owned))
        .ok_or_else(|| mismatch(expected, v))
}

/// `list[T]` (a list or tuple; a set or frozenset for sets): each item read
/// by `item`.
pub fn list<'a, T>(
    v: Obj<'a>,
    item: impl Fn(Obj<'a>) -> Result<T, Mismatch>,
) -> Result<Vec<T>, Mismatch> {
    let p = v.0.as_ptr();
    // SAFETY: type checks, then borrowed reads of a list's or tuple's items,
    // which the container holds while the page is written.
    unsafe {
        let (n, get): (
            ffi::Py_ssize_t,
            unsafe fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject,
        ) = if ffi::PyList_Check(p) != 0 {
            (ffi::PyList_GET_SIZE(p), list_item)
        } else if ffi::PyTuple_Check(p) != 0 {
            (ffi::PyTuple_GET_SIZE(p), tuple_item)
        } else if ffi::PyAnySet_Check(p) != 0 {
            let mut out = Vec::new();
            for (i, x) in
                v.0.try_iter()
                    .map_err(|_| mismatch("a set", v))?
                    .enumerate()
            {
                let x = x.map_err(|_| mismatch("a set", v))?;
                // The set holds its items.
                let b = Obj(Borrowed::from_ptr(v.0.py(), x.as_ptr()));
                out.push(item(b).map_err(|e| e.at_index(i as isize))?);
            }
            return Ok(out);
        } else {
            return Err(mismatch("list", v));
        };
        let n = usize::try_from(n).unwrap_or(0);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let x = get(p, i as ffi::Py_ssize_t);
            let b = Obj(Borrowed::from_ptr(v.0.py(), x));
            out.push(item(b).map_err(|e| e.at_index(i as isize))?);
        }
        Ok(out)
    }
}

unsafe fn list_item(p: *mut ffi::PyObject, i: ffi::Py_ssize_t) -> *mut ffi::PyObject {
    // SAFETY: the caller passes a list and an index below its size.
    unsafe { ffi::PyList_GET_ITEM(p, i) }
}

unsafe fn tuple_item(p: *mut ffi::PyObject, i: ffi::Py_ssize_t) -> *mut ffi::PyObject {
    // SAFETY: the caller passes a tuple and an index below its size.
    unsafe { ffi::PyTuple_GET_ITEM(p, i) }
}

/// `T | None`.
#[inline]
pub fn opt<'a, T>(
    v: Option<Obj<'a>>,
    inner: impl Fn(Obj<'a>) -> Result<T, Mismatch>,
) -> Result<Option<T>, Mismatch> {
    match v {
        Some(v) if !v.0.is_none() => inner(v).map(Some),
        _ => Ok(None),
    }
}

/// The size of the page a template route rendered last (one per route, a
/// `static` of the generated render function). askama's own estimate
/// (`Template::SIZE_HINT`) knows the template's text but not how many rows
/// a loop writes, so a 1.2 kB fortunes page grew its buffer from 128 bytes
/// four times (a reallocation and a copy each, 6% of the request's
/// instructions); the next page of a route is usually about as long as
/// the last, so its buffer is reserved once.
pub struct SizeHint(AtomicUsize);

impl SizeHint {
    /// No page rendered yet.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        SizeHint(AtomicUsize::new(0))
    }
}

/// The most a hint reserves: one huge page does not make every following
/// request reserve as much.
const MAX_HINT: usize = 1 << 20;

/// Renders `page` into `out` (the response body), reserving what `hint`
/// says the route's last page took and recording this one's size.
pub fn render<T: askama::Template>(
    page: &T,
    out: &mut Vec<u8>,
    hint: &SizeHint,
) -> Result<(), Mismatch> {
    let start = out.len();
    let last = hint.0.load(Ordering::Relaxed);
    // A little more than last time: the rows of the next page may be longer.
    out.reserve(T::SIZE_HINT.max(last + last / 8));
    let mut w = Utf8Sink(out);
    page.render_into(&mut w)
        .map_err(|e| Mismatch::new("a page askama can render", e.to_string()))?;
    hint.0
        .store((out.len() - start).min(MAX_HINT), Ordering::Relaxed);
    Ok(())
}

/// A `fmt::Write` over the response buffer.
struct Utf8Sink<'a>(&'a mut Vec<u8>);

impl fmt::Write for Utf8Sink<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A `float` field: written as Python's `str()` writes it (`1.0`, `0.1`,
/// `1e+16`, `inf`), which is what Jinja2 shows; compares with `f64`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Float(pub f64);

impl PartialEq<f64> for Float {
    fn eq(&self, other: &f64) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<f64> for Float {
    fn partial_cmp(&self, other: &f64) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&python_float(self.0))
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, in
/// positional notation for exponents -4..16, else `d.ddde+XX`.
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Scientific form from the shortest digits: `d.ddde±x`.
    let sci = format!("{:e}", x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{digits}{}.0", "0".repeat((int_len - n) as usize))
            } else {
                format!(
                    "{}.{}",
                    &digits[..int_len as usize],
                    &digits[int_len as usize..]
                )
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        return format!("{sign}{body}");
    }
    let m = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits.clone()
    };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{m}e{esign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::python_float;

    #[test]
    fn floats_read_as_python_writes_them() {
        for (x, s) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123_456_789_012_345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (100.0, "100.0"),
            (f64::INFINITY, "inf"),
            (-0.0, "-0.0"),
            (1e300, "1e+300"),
        ] {
            assert_eq!(python_float(x), s, "{x}");
        }
    }
}
