//! Native JSON encoders for handler return values.
//!
//! Generated code composes these into one encoder per declared return type,
//! e.g. `list[dict[str, int]]` becomes
//! `|v, o| enc::list(v, o, |v, o| enc::dict(v, o, enc::int))`. Each checks
//! the Python object's exact type first and reports a [`Mismatch`] (a 500
//! naming the route) instead of writing a wrong body. Output bytes equal
//! `msgspec.json.encode(value)`. Models go through a start-up-built
//! `msgspec.json.Encoder` after an exact class check.

use std::ffi::CStr;

use pyo3::ffi;
use pyo3::prelude::*;

use super::interp;
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

#[cold]
fn mismatch(expected: &'static str, v: Obj<'_>) -> Mismatch {
    // SAFETY: every object has a type with a NUL-terminated `tp_name`.
    let got = unsafe { CStr::from_ptr((*ffi::Py_TYPE(v.ptr())).tp_name) };
    Mismatch {
        expected,
        got: got.to_string_lossy().into_owned(),
    }
}

/// The UTF-8 of an exact `str`, or `None` (lone surrogates cannot be encoded).
#[inline]
fn utf8<'a>(v: Obj<'a>) -> Option<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `v` is a str; the buffer lives as long as the object.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(v.ptr(), &raw mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), usize::try_from(size).ok()?);
        Some(std::str::from_utf8_unchecked(bytes))
    }
}

/// `str`.
#[inline]
pub fn str(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    if unsafe { ffi::PyUnicode_CheckExact(v.ptr()) } == 0 {
        return Err(mismatch("str", v));
    }
    let s = utf8(v).ok_or_else(|| mismatch("str (encodable as UTF-8)", v))?;
    json::write_str(out, s);
    Ok(())
}

/// `int` (not `bool`; any size).
#[inline]
pub fn int(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    if unsafe { ffi::PyLong_CheckExact(v.ptr()) } == 0 {
        return Err(mismatch("int", v));
    }
    write_long(v, out);
    Ok(())
}

fn write_long(v: Obj<'_>, out: &mut Vec<u8>) {
    let mut overflow = 0;
    // SAFETY: `v` is an int.
    let n = unsafe { ffi::PyLong_AsLongLongAndOverflow(v.ptr(), &raw mut overflow) };
    if overflow == 0 {
        json::write_i64(out, n);
        return;
    }
    // Beyond 64 bits msgspec writes the decimal digits.
    match v.0.str() {
        Ok(s) => out.extend_from_slice(s.to_string_lossy().as_bytes()),
        Err(_) => out.extend_from_slice(b"0"),
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
    Err(mismatch("float", v))
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

/// `list[T]` (a `list` or `tuple`).
pub fn list<F>(v: Obj<'_>, out: &mut Vec<u8>, item: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let p = v.ptr();
    // SAFETY: type checks, then indexed reads within the length; each item
    // is held by a new reference while the item encoder runs.
    unsafe {
        let (len, get): (
            ffi::Py_ssize_t,
            unsafe fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject,
        ) = if ffi::PyList_CheckExact(p) != 0 {
            (ffi::PyList_GET_SIZE(p), |l, i| ffi::PyList_GET_ITEM(l, i))
        } else if ffi::PyTuple_CheckExact(p) != 0 {
            (ffi::PyTuple_GET_SIZE(p), |t, i| ffi::PyTuple_GET_ITEM(t, i))
        } else {
            return Err(mismatch("list", v));
        };
        out.push(b'[');
        let mut i = 0;
        // A list may shrink if an item encoder runs Python code: re-read its size.
        while i < len.min(ffi::Py_SIZE(p)) {
            if i > 0 {
                out.push(b',');
            }
            let it = Bound::from_borrowed_ptr(v.0.py(), get(p, i));
            item(Obj(it.as_borrowed()), out)?;
            i += 1;
        }
        out.push(b']');
    }
    Ok(())
}

/// `dict[str, T]`.
pub fn dict<F>(v: Obj<'_>, out: &mut Vec<u8>, value: F) -> Result<(), Mismatch>
where
    F: Fn(Obj<'_>, &mut Vec<u8>) -> Result<(), Mismatch>,
{
    let p = v.ptr();
    // SAFETY: a dict iterated with PyDict_Next; key and value are borrowed
    // for the step and held by new references while encoders run.
    unsafe {
        if ffi::PyDict_Check(p) == 0 {
            return Err(mismatch("dict", v));
        }
        out.push(b'{');
        let mut pos: ffi::Py_ssize_t = 0;
        let mut k: *mut ffi::PyObject = std::ptr::null_mut();
        let mut val: *mut ffi::PyObject = std::ptr::null_mut();
        let mut first = true;
        while ffi::PyDict_Next(p, &raw mut pos, &raw mut k, &raw mut val) != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            let key = Bound::from_borrowed_ptr(v.0.py(), k);
            let val = Bound::from_borrowed_ptr(v.0.py(), val);
            str(Obj(key.as_borrowed()), out)?;
            out.push(b':');
            value(Obj(val.as_borrowed()), out)?;
        }
        out.push(b'}');
    }
    Ok(())
}

/// A model (`msgspec.Struct`, dataclass, ...): `type(v)` must be exactly
/// `types[ty]`; msgspec encodes it.
pub fn model(v: Obj<'_>, out: &mut Vec<u8>, ty: usize) -> Result<(), Mismatch> {
    let interp = interp();
    let py = v.0.py();
    let Some(cls) = interp.types.get(ty) else {
        return Err(mismatch("a model type known at start-up", v));
    };
    // SAFETY: comparing type pointers.
    if unsafe { ffi::Py_TYPE(v.ptr()).cast::<ffi::PyObject>() } != cls.as_ptr() {
        return Err(Mismatch {
            expected: "the declared model class",
            got: mismatch("", v).got,
        });
    }
    msgspec(v, out, py)
}

/// Any value, encoded by msgspec without a type check (for `Any`).
pub fn any(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    msgspec(v, out, v.0.py())
}

fn msgspec(v: Obj<'_>, out: &mut Vec<u8>, py: Python<'_>) -> Result<(), Mismatch> {
    match interp().json_encode.bind(py).call1((v.0,)) {
        Ok(bytes) => {
            let bytes = bytes
                .cast_into::<pyo3::types::PyBytes>()
                .map_err(|_| mismatch("bytes", v))?;
            out.extend_from_slice(bytes.as_bytes());
            Ok(())
        }
        Err(e) => {
            e.display(py);
            Err(Mismatch {
                expected: "a value msgspec can encode",
                got: mismatch("", v).got,
            })
        }
    }
}

/// Encodes `v` with `f` into a fresh buffer (used by the reply path).
pub(super) fn encode_with(
    v: &Bound<'_, PyAny>,
    f: crate::app::EncodeFn,
) -> Result<Vec<u8>, Mismatch> {
    let mut out = Vec::with_capacity(128);
    f(Obj(v.as_borrowed()), &mut out)?;
    Ok(out)
}
