//! Model encoders: Structs (slots read by offset, tags, `omit_defaults`,
//! `array_like`), dataclasses (the instance `__dict__`), NamedTuples (an
//! array; a plain tuple or list converts to one, as `msgspec.convert` takes
//! it) and TypedDicts, with the layout each reads from its class at
//! start-up ([`resolve`]).

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::{Depth, Obj, constraint, interp, is_exact, mismatch, type_name, utf8};
use crate::app::EncodeFn;
use crate::json;
use crate::validate::Mismatch;

/// Which kind of class a [`Model`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A `msgspec.Struct` subclass.
    Struct,
    /// A `@dataclass`.
    Dataclass,
    /// A `typing.NamedTuple` class.
    NamedTuple,
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
        ModelKind::NamedTuple => encode_named_tuple(v, out, m),
        ModelKind::TypedDict => encode_typed_dict(v, out, m),
    }
}

pub(super) struct ModelRt {
    cls: *mut ffi::PyTypeObject,
    kind: ModelKind,
    fields: Vec<FieldRt>,
    /// Struct tag: `"type":"Cat",` (object form) or `"Cat",` (array form).
    tag: Option<Vec<u8>>,
    array_like: bool,
    /// Number of required keys (TypedDict) or leading fields without a
    /// default (NamedTuple).
    required: usize,
    /// A NamedTuple's defaults, one per field from `required` on.
    defaults: Vec<Py<PyAny>>,
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
pub(super) fn resolve(py: Python<'_>, m: &Model, cls: &Bound<'_, PyAny>) -> PyResult<ModelRt> {
    use pyo3::exceptions::PyTypeError;
    let names: Vec<String> = match m.kind {
        ModelKind::Struct => cls.getattr("__struct_fields__")?.extract()?,
        ModelKind::Dataclass => py
            .import("dataclasses")?
            .call_method1("fields", (cls,))?
            .try_iter()?
            .map(|f| f?.getattr("name")?.extract())
            .collect::<PyResult<_>>()?,
        ModelKind::NamedTuple => cls.getattr("_fields")?.extract()?,
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
        defaults: Vec::new(),
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
        ModelKind::NamedTuple => {
            let defaults = cls.getattr("_field_defaults")?;
            for name in &names {
                let default = defaults.get_item(name).ok();
                if let Some(d) = default {
                    rt.defaults.push(d.unbind());
                } else if rt.defaults.is_empty() {
                    rt.required += 1;
                }
                rt.fields.push(FieldRt {
                    name: PyString::intern(py, name).unbind(),
                    key: Key::new(Vec::new()),
                    offset: None,
                    enc: field_enc(m, name)?,
                    omit: None,
                    optional: rt.fields.len() >= rt.required,
                    text: field_text(m, name),
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
pub(in crate::python) fn slot_offset(cls: &Bound<'_, PyAny>, name: &str) -> Option<isize> {
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

/// An instance of the class itself is written item by item (its items
/// checked against the fields, as a Struct's are); any other tuple or a
/// list converts as `msgspec.convert` converts it: as many items as the
/// fields, or fewer down to the required ones, the defaults filling the
/// rest.
fn encode_named_tuple(v: Obj<'_>, out: &mut Vec<u8>, m: &ModelRt) -> Result<(), Mismatch> {
    let p = v.ptr();
    // SAFETY: type checks and size reads on a valid object.
    let (len, tuple) = unsafe {
        if ffi::PyTuple_Check(p) != 0 {
            (ffi::PyTuple_GET_SIZE(p), true)
        } else if ffi::PyList_CheckExact(p) != 0 {
            (ffi::PyList_GET_SIZE(p), false)
        } else {
            return Err(mismatch("the declared NamedTuple (or an array)", v));
        }
    };
    let len = usize::try_from(len).unwrap_or(0);
    let n = m.fields.len();
    if !(m.required..=n).contains(&len) {
        return Err(constraint(
            "an array of the NamedTuple's length",
            format!("a sequence of length {len}"),
        ));
    }
    let _depth = Depth::enter(v)?;
    out.push(b'[');
    let start = out.len();
    for (i, f) in m.fields.iter().enumerate() {
        if i < len {
            let at = ffi::Py_ssize_t::try_from(i).unwrap_or(0);
            // SAFETY: indexed reads within the length (a list is re-checked,
            // as an item encoder may run Python code that shrinks it); each
            // item is held by a new reference while its encoder runs.
            let item = unsafe {
                if tuple {
                    Bound::from_borrowed_ptr(v.0.py(), ffi::PyTuple_GET_ITEM(p, at))
                } else {
                    if at >= ffi::Py_SIZE(p) {
                        return Err(mismatch("the declared NamedTuple (or an array)", v));
                    }
                    Bound::from_borrowed_ptr(v.0.py(), ffi::PyList_GET_ITEM(p, at))
                }
            };
            (f.enc)(Obj(item.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
        } else {
            // `msgspec.convert` fills in the default as it is, and
            // `msgspec.json.encode` writes it as it is.
            let d = m.defaults[i - m.required].bind(v.0.py());
            super::any(Obj(d.as_borrowed()), out).map_err(|e| e.at_field(f.text))?;
        }
        out.push(b',');
    }
    close(out, start, b']');
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
            let Some(f) = field else {
                // A key the TypedDict does not declare: `msgspec.convert`
                // drops a str key (so it is not written) and refuses another.
                if ffi::PyUnicode_CheckExact(k) == 0 {
                    return Err(constraint("a str key", type_name(k)));
                }
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
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

/// The field values of model instance `v` (`App::models[model]`), in
/// declared order, after the same class check its encoder makes: what a
/// template route reads its page's struct from (`python/template.rs`).
/// `None` marks a field the instance does not have (an unset Struct field
/// or one set to `msgspec.UNSET`, a dataclass attribute never set, a
/// TypedDict key left out).
///
/// The values are borrowed: each is held by `v` itself (a Struct slot, the
/// instance `__dict__` or the dict), which outlives the render and is not
/// changed by it (no Python code runs while the page is written).
pub(in crate::python) fn fields_of<'a>(
    v: Obj<'a>,
    model: u16,
    out: &mut Vec<Option<Obj<'a>>>,
) -> Result<(), Mismatch> {
    let Some(m) = interp().enc.models.get(usize::from(model)) else {
        return Err(mismatch("a model known at start-up", v));
    };
    let py = v.0.py();
    let unset = interp().enc.unset;
    // SAFETY: each pointer read below is owned by `v` (see above), so a
    // borrowed reference with `v`'s lifetime stays valid.
    let borrow = |p: *mut ffi::PyObject| -> Option<Obj<'a>> {
        (!p.is_null() && p != unset).then(|| Obj(unsafe { Borrowed::from_ptr(py, p) }))
    };
    match m.kind {
        ModelKind::Struct => {
            if !is_exact(v, m.cls) {
                return Err(mismatch("the declared Struct class", v));
            }
            for f in &m.fields {
                let p = match f.offset {
                    // SAFETY: the offset of an object slot of this exact class.
                    Some(off) => unsafe {
                        *v.ptr()
                            .cast::<u8>()
                            .offset(off)
                            .cast::<*mut ffi::PyObject>()
                    },
                    None => {
                        v.0.getattr(f.name.bind(py))
                            .map_or(std::ptr::null_mut(), |b| b.as_ptr())
                    }
                };
                out.push(borrow(p));
            }
        }
        ModelKind::Dataclass => {
            if !is_exact(v, m.cls) {
                return Err(mismatch("the declared dataclass", v));
            }
            // SAFETY: a new reference or null; the instance keeps its dict.
            let dict = unsafe {
                let d = ffi::PyObject_GenericGetDict(v.ptr(), std::ptr::null_mut());
                if d.is_null() {
                    ffi::PyErr_Clear();
                    None
                } else {
                    Some(Bound::from_owned_ptr(py, d))
                }
            };
            for f in &m.fields {
                let p = match &dict {
                    // SAFETY: a borrowed lookup in a dict the instance holds.
                    Some(d) => unsafe {
                        let p = ffi::PyDict_GetItemWithError(d.as_ptr(), f.name.as_ptr());
                        if p.is_null() {
                            ffi::PyErr_Clear();
                        }
                        p
                    },
                    None => {
                        v.0.getattr(f.name.bind(py))
                            .map_or(std::ptr::null_mut(), |b| b.as_ptr())
                    }
                };
                out.push(borrow(p));
            }
        }
        ModelKind::NamedTuple => {
            return Err(mismatch("a model a template can read", v));
        }
        ModelKind::TypedDict => {
            // SAFETY: a type check on a valid object.
            if unsafe { ffi::PyDict_Check(v.ptr()) } == 0 {
                return Err(mismatch("dict (a TypedDict)", v));
            }
            for f in &m.fields {
                // SAFETY: a borrowed lookup in the dict itself.
                let p = unsafe {
                    let p = ffi::PyDict_GetItemWithError(v.ptr(), f.name.as_ptr());
                    if p.is_null() {
                        ffi::PyErr_Clear();
                    }
                    p
                };
                if p.is_null() && !f.optional {
                    return Err(unset_field(f));
                }
                out.push(borrow(p));
            }
        }
    }
    Ok(())
}

/// The Python name of field `i` of `App::models[model]` (for messages).
pub(in crate::python) fn field_name(model: u16, i: usize) -> &'static str {
    interp()
        .enc
        .models
        .get(usize::from(model))
        .and_then(|m| m.fields.get(i))
        .map_or("?", |f| f.text)
}
