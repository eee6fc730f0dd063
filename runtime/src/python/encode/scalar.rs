//! Scalar encoders: `str`, `int`, `float`, `bool`, `None`, `bytes` (each
//! with its `Annotated[..., Meta(...)]` form), and the date, time, UUID
//! and Decimal leaves that msgspec writes after the exact type check.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::{
    Obj, constraint, convert, interp, is_exact, mismatch, mixin_enum_value, msgspec, utf8,
};
pub use crate::constraint::{FloatBounds, IntBounds};
use crate::constraint::{IntSize, Length};
use crate::json;
use crate::validate::Mismatch;

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

pub(super) fn check_len(
    what: &'static str,
    n: usize,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), Mismatch> {
    Length { min, max }
        .check(what, n)
        .map_err(|_| constraint(what, format!("a {what} of length {n}")))
}

/// `int` (not `bool`; any size). An instance of a subclass of `int`
/// (an `IntEnum` or `IntFlag` member, any other) is its int value, as
/// `msgspec.convert(value, int)` makes it.
#[inline]
pub fn int(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    if !is_int(v) {
        return Err(mismatch("int", v));
    }
    write_long(v, out);
    Ok(())
}

/// An `int` or an instance of a subclass of it, not a `bool` (which
/// `msgspec.convert` refuses for `int` and `float`).
#[inline]
pub(super) fn is_int(v: Obj<'_>) -> bool {
    // SAFETY: type checks on a valid object.
    unsafe {
        ffi::PyLong_CheckExact(v.ptr()) != 0
            || (ffi::PyLong_Check(v.ptr()) != 0 && ffi::PyBool_Check(v.ptr()) == 0)
    }
}

/// `Annotated[int, Meta(...)]`.
pub fn int_in(v: Obj<'_>, out: &mut Vec<u8>, b: &IntBounds) -> Result<(), Mismatch> {
    if !is_int(v) {
        return Err(mismatch("int", v));
    }
    let mut overflow = 0;
    // SAFETY: `v` is an int.
    let n = unsafe { ffi::PyLong_AsLongLongAndOverflow(v.ptr(), &raw mut overflow) };
    let checked = match overflow {
        0 => b.check(n),
        // Beyond 64 bits: past every bound on that side.
        o => b.check_size(
            if o > 0 {
                IntSize::Above
            } else {
                IntSize::Below
            },
            |m| big_multiple_of(v, m),
        ),
    };
    if checked.is_err() {
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
pub(super) fn write_long(v: Obj<'_>, out: &mut Vec<u8>) {
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

/// `float` (an `int` is accepted too, and written as the float
/// `msgspec.convert(value, float)` makes of it: `3` is `3.0`; an int too
/// large for a float is a mismatch, as convert refuses it).
#[inline]
pub fn float(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            json::write_f64(out, ffi::PyFloat_AS_DOUBLE(v.ptr()));
            return Ok(());
        }
    }
    // An int (an int enum member, any int subclass) or a Decimal is a float
    // as msgspec converts it. (Float subclasses and float-mixin enums
    // msgspec refuses.)
    json::write_f64(out, number_as_f64(v)?);
    Ok(())
}

/// A value other than an exact float as `msgspec.convert(v, float)` makes
/// it: an int (or subclass, not a bool) or an exact `Decimal`.
fn number_as_f64(v: Obj<'_>) -> Result<f64, Mismatch> {
    if is_int(v) {
        return long_as_f64(v);
    }
    if is_exact(v, interp().enc.decimal) {
        let f = convert(v, &raw mut ffi::PyFloat_Type, "float")?;
        // SAFETY: msgspec converted to an exact float.
        return Ok(unsafe { ffi::PyFloat_AS_DOUBLE(f.as_ptr()) });
    }
    Err(mismatch("float", v))
}

/// An `int` as the float `msgspec.convert(v, float)` gives, or the
/// mismatch it reports for one beyond a float's range.
pub(super) fn long_as_f64(v: Obj<'_>) -> Result<f64, Mismatch> {
    // SAFETY: `v` is an int; an overflow sets an error, cleared here.
    unsafe {
        let x = ffi::PyLong_AsDouble(v.ptr());
        if x == -1.0 && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return Err(constraint("float", "an int too large for a float".into()));
        }
        Ok(x)
    }
}

/// [`mixin_enum_value`] for `str` mixins, when the value is a plain str.
pub(super) fn str_enum_value(v: Obj<'_>) -> Option<Bound<'_, PyAny>> {
    mixin_enum_value(v, &raw mut ffi::PyUnicode_Type)
        .filter(|value| is_exact(Obj(value.as_borrowed()), &raw mut ffi::PyUnicode_Type))
}

/// [`mixin_enum_value`] for `int` mixins, when the value is a plain int.
pub(super) fn int_enum_value(v: Obj<'_>) -> Option<Bound<'_, PyAny>> {
    mixin_enum_value(v, &raw mut ffi::PyLong_Type)
        .filter(|value| is_exact(Obj(value.as_borrowed()), &raw mut ffi::PyLong_Type))
}

/// `Annotated[float, Meta(...)]`: the bounds hold for the value as a float.
pub fn float_in(v: Obj<'_>, out: &mut Vec<u8>, b: &FloatBounds) -> Result<(), Mismatch> {
    // SAFETY: type checks, then conversion of a float or an int.
    let x = unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            ffi::PyFloat_AS_DOUBLE(v.ptr())
        } else {
            number_as_f64(v)?
        }
    };
    if b.check(x).is_err() {
        return Err(constraint("float", format!("{x} outside its constraints")));
    }
    json::write_f64(out, x);
    Ok(())
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
        // An int (not a bool) or a float is a Decimal as msgspec converts it.
        // SAFETY: a type check on a valid object.
        if kind == Leaf::Decimal && (is_int(v) || unsafe { ffi::PyFloat_CheckExact(v.ptr()) } != 0)
        {
            let d = convert(v, cls, "Decimal")?;
            return msgspec(Obj(d.as_borrowed()), out);
        }
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
