//! Container encoders: lists and tuples, fixed tuples, sets, dicts and
//! their keys, each guarded by the nesting [`Depth`].

use pyo3::ffi;
use pyo3::prelude::*;

use super::scalar::{check_len, is_int, long_as_f64};
use super::{Depth, Obj, constraint, mismatch, str};
use crate::app::EncodeFn;
use crate::json;
use crate::validate::Mismatch;

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

/// A list or tuple's length and item reader, or `None`. A tuple subclass
/// (a NamedTuple instance) is a tuple, as `msgspec.convert` takes it.
#[inline]
fn as_sequence(p: *mut ffi::PyObject) -> Option<(ffi::Py_ssize_t, GetItem)> {
    // SAFETY: type checks on a valid object.
    unsafe {
        if ffi::PyList_CheckExact(p) != 0 {
            Some((ffi::PyList_GET_SIZE(p), |l, i| ffi::PyList_GET_ITEM(l, i)))
        } else if ffi::PyTuple_Check(p) != 0 {
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
/// `"-inf"` for the non-finite ones); an `int` is converted to a float
/// first, as `msgspec.convert` does (`{1: x}` is `{"1.0": x}`).
pub fn key_float(v: Obj<'_>, out: &mut Vec<u8>) -> Result<(), Mismatch> {
    // SAFETY: type checks on a valid object.
    let x = unsafe {
        if ffi::PyFloat_CheckExact(v.ptr()) != 0 {
            ffi::PyFloat_AS_DOUBLE(v.ptr())
        } else if is_int(v) {
            long_as_f64(v)?
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
