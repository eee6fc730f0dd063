//! A native fast path for JSON bodies: Structs of strings, numbers, bools,
//! optionals, lists and nested Structs, decoded in Rust straight into the
//! Python objects msgspec would build.
//!
//! **Exactness by construction.** The native decoder accepts a body only when
//! it is sure msgspec accepts it and builds the same value; on *anything*
//! else (any error, a duplicate key, a big int, an escape it does not know,
//! a constraint that fails, nesting past a small depth) it gives up, and
//! msgspec decodes the body from scratch, so every error message, path and
//! edge case is msgspec's own. Values are built as msgspec builds them:
//! ASCII strings as fresh objects (`PyUnicode_New`), others through
//! `PyUnicode_DecodeUTF8`; an integer literal for a `float` converted from
//! its integer value (`-0` is `0.0`); other floats by msgspec's exact fast
//! path (digits below 2^53, a power of ten within 22) or a correctly
//! rounded parse; Structs allocated with `tp_alloc` first and their slots
//! filled as the keys come (msgspec's order), absent fields from the
//! class's own defaults (the same objects, or the factory's product, once
//! every required field is known to be there), then untracked by the GC
//! when no field can hold a reference cycle.
//!
//! **Speed.** Faster than msgspec's C on small and large bodies alike (see
//! `body.rs`): strings are scanned eight bytes at a time; a key is first
//! compared, with its colon, against the raw bytes as one or two masked
//! words of the field expected next in declaration order (the usual
//! order), and only then unescaped and looked up; plain `str`/`int`/`float`
//! fields and list items are read without a dispatch on their type.
//! `native_cases.py` and the tests below hold it to msgspec on generated
//! bodies.
//!
//! The files: `plan.rs`, the plan of a body type, built at start-up from
//! `msgspec.inspect.type_info(T)`, so it describes the type as msgspec sees
//! it (renames, defaults, constraints); a type with anything else (tags,
//! `array_like`, `__post_init__`, dicts, unions other than `T | None`,
//! dates...) gets no plan, and msgspec decodes it. The bytes are read by
//! `crate::json::parse`, which builds no values and needs no interpreter;
//! this file builds the Python objects from what it reads.

mod plan;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyList;

pub(crate) use self::plan::Plan;
use self::plan::{Default, FieldPlan, Node, StructPlan};
use crate::constraint::Length;
use crate::json::parse::{MAX_DEPTH, Reader, same};

impl Plan {
    /// Decodes `body`, or `None` to let msgspec do it.
    pub(crate) fn decode<'py>(&self, py: Python<'py>, body: &[u8]) -> Option<Bound<'py, PyAny>> {
        let mut p = Parser {
            py,
            plan: self,
            r: Reader::new(body),
            depth: 0,
        };
        p.r.ws();
        let v = p.value(self.root)?;
        p.r.ws();
        p.r.at_end().then_some(v)
    }
}

/// Builds the Python objects of a plan from what the reader reads.
struct Parser<'a, 'py> {
    py: Python<'py>,
    plan: &'a Plan,
    r: Reader<'a>,
    depth: usize,
}

impl<'py> Parser<'_, 'py> {
    fn value(&mut self, node: usize) -> Option<Bound<'py, PyAny>> {
        match &self.plan.nodes[node] {
            Node::PlainStr => self.string_value(),
            Node::PlainInt => self.int_value(),
            Node::PlainFloat => self.float_value(),
            Node::Str { len, pattern } => {
                let s = self.string_value()?;
                if !len.is_empty() {
                    // SAFETY: `s` is a str.
                    let n =
                        usize::try_from(unsafe { ffi::PyUnicode_GET_LENGTH(s.as_ptr()) }).ok()?;
                    len.check("str", n).ok()?;
                }
                if let Some(search) = pattern {
                    let found = search.bind(self.py).call1((&s,)).ok()?;
                    if found.is_none() {
                        return None;
                    }
                }
                Some(s)
            }
            Node::Int(bounds) => {
                let n = self.r.int()?;
                bounds.check(n).ok()?;
                // SAFETY: a new reference, or null.
                owned(self.py, unsafe { ffi::PyLong_FromLongLong(n) })
            }
            Node::Float(bounds) => {
                let x = self.r.float()?;
                if !x.is_finite() {
                    return None;
                }
                bounds.check(x).ok()?;
                // SAFETY: a new reference, or null.
                owned(self.py, unsafe { ffi::PyFloat_FromDouble(x) })
            }
            Node::Bool => {
                if self.r.literal(b"true") {
                    // SAFETY: a new reference to True.
                    owned(self.py, unsafe { ffi::Py_NewRef(ffi::Py_True()) })
                } else if self.r.literal(b"false") {
                    // SAFETY: a new reference to False.
                    owned(self.py, unsafe { ffi::Py_NewRef(ffi::Py_False()) })
                } else {
                    None
                }
            }
            Node::None => {
                if self.r.literal(b"null") {
                    Some(self.py.None().into_bound(self.py))
                } else {
                    None
                }
            }
            Node::Optional(inner) => {
                if self.r.peek() == Some(b'n') {
                    if self.r.literal(b"null") {
                        return Some(self.py.None().into_bound(self.py));
                    }
                    return None;
                }
                self.value(*inner)
            }
            Node::List { item, len } => self.list(*item, *len),
            Node::Struct(s) => self.structure(&self.plan.structs[*s]),
        }
    }

    /// An unconstrained `int`.
    #[inline(always)]
    fn int_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let n = self.r.int()?;
        // SAFETY: a new reference, or null.
        owned(self.py, unsafe { ffi::PyLong_FromLongLong(n) })
    }

    /// An unconstrained `float`.
    #[inline(always)]
    fn float_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let x = self.r.float()?;
        if !x.is_finite() {
            return None;
        }
        // SAFETY: a new reference, or null.
        owned(self.py, unsafe { ffi::PyFloat_FromDouble(x) })
    }

    /// A `str` value, built as msgspec builds it.
    #[inline]
    fn string_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let py = self.py;
        let (bytes, ascii) = self.r.string_view()?;
        let len = ffi::Py_ssize_t::try_from(bytes.len()).ok()?;
        if ascii {
            // SAFETY: a new compact ASCII str of `len` characters, filled
            // with `len` ASCII bytes (msgspec builds ASCII strings this way).
            unsafe {
                let s = ffi::PyUnicode_New(len, 127);
                if s.is_null() {
                    ffi::PyErr_Clear();
                    return None;
                }
                std::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    ffi::PyUnicode_DATA(s).cast::<u8>(),
                    bytes.len(),
                );
                Some(Bound::from_owned_ptr(py, s))
            }
        } else {
            // Invalid UTF-8 is msgspec's to report (a UnicodeDecodeError).
            std::str::from_utf8(bytes).ok()?;
            // SAFETY: valid UTF-8 of `len` bytes; a new reference or null.
            owned(py, unsafe {
                ffi::PyUnicode_DecodeUTF8(bytes.as_ptr().cast(), len, std::ptr::null())
            })
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    #[inline(never)]
    fn list(&mut self, item: usize, len: Length) -> Option<Bound<'py, PyAny>> {
        if self.r.peek()? != b'[' {
            return None;
        }
        self.r.i += 1;
        self.enter()?;
        let list = PyList::empty(self.py);
        self.r.ws();
        if self.r.peek()? == b']' {
            self.r.i += 1;
        } else {
            // Plain scalars, the commonest items, skip the dispatch.
            match self.plan.nodes[item] {
                Node::PlainStr => self.items(&list, Self::string_value)?,
                Node::PlainFloat => self.items(&list, Self::float_value)?,
                Node::PlainInt => self.items(&list, Self::int_value)?,
                _ => self.items(&list, |p| p.value(item))?,
            }
        }
        self.depth -= 1;
        len.check("array", list.len()).ok()?;
        Some(list.into_any())
    }

    #[inline(never)]
    fn structure(&mut self, s: &StructPlan) -> Option<Bound<'py, PyAny>> {
        if self.r.peek()? != b'{' {
            return None;
        }
        self.r.i += 1;
        self.enter()?;
        // As msgspec's `Struct_alloc`: the class's `tp_alloc` gives a
        // zeroed instance, whose slots take the values as they come (its
        // dealloc releases what was set if the parse gives up).
        // SAFETY: allocating an instance of a Struct class we hold.
        let obj = unsafe {
            let alloc = (*s.tp).tp_alloc?;
            owned(self.py, alloc(s.tp, (*s.tp).tp_itemsize))?
        };
        let base = obj.as_ptr().cast::<u8>();
        // SAFETY: the slot of field `f` (an object slot of this class).
        let slot = |f: &FieldPlan| unsafe { base.offset(f.offset).cast::<*mut ffi::PyObject>() };
        let mut next = 0;
        self.r.ws();
        if self.r.peek()? == b'}' {
            self.r.i += 1;
        } else {
            loop {
                self.r.ws();
                // Fields usually come in order: try the next one's key
                // (with its colon) against the raw bytes first, then look
                // the key up.
                let found = match s.fields.get(next) {
                    Some(f) if self.r.key(&f.quoted) => Some(next),
                    _ => {
                        let (key, _) = self.r.string_view()?;
                        let found = s.fields.iter().position(|f| same(&f.key, key));
                        self.r.eat(b':')?;
                        found
                    }
                };
                self.r.ws();
                match found {
                    Some(f) => {
                        let field = &s.fields[f];
                        let at = slot(field);
                        // SAFETY: reading the slot of a live instance.
                        if unsafe { !(*at).is_null() } {
                            // A duplicate key: msgspec's rules are subtle.
                            return None;
                        }
                        // Plain scalars are read here, without a call.
                        let v = match self.plan.nodes[field.node] {
                            Node::PlainStr => self.string_value()?,
                            Node::PlainInt => self.int_value()?,
                            Node::PlainFloat => self.float_value()?,
                            _ => self.value(field.node)?,
                        };
                        // SAFETY: the empty slot takes the reference.
                        unsafe { *at = v.into_ptr() };
                        next = f + 1;
                    }
                    None if s.forbid_unknown => return None,
                    None => self.r.skip(0)?,
                }
                self.r.ws();
                match self.r.at(self.r.i) {
                    b',' => self.r.i += 1,
                    b'}' => {
                        self.r.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        // Defaults for the absent fields: every required one must be there
        // before a default factory runs.
        let mut factories = false;
        let mut untrack = s.is_gc;
        for f in &s.fields {
            let at = slot(f);
            // SAFETY: slot reads and writes of a live instance; a default
            // is a new reference.
            unsafe {
                if (*at).is_null() {
                    match &f.default {
                        Default::Required => return None,
                        Default::Value(d) => *at = ffi::Py_NewRef(d.as_ptr()),
                        Default::Factory(_) => {
                            factories = true;
                            continue;
                        }
                    }
                }
                untrack = untrack && !maybe_tracked(*at);
            }
        }
        if factories {
            for f in &s.fields {
                let at = slot(f);
                if let Default::Factory(factory) = &f.default
                    // SAFETY: a slot read of a live instance.
                    && unsafe { (*at).is_null() }
                {
                    let p = factory.as_ptr();
                    // SAFETY: comparing with the builtin type objects; each
                    // call returns a new reference or null, which the empty
                    // slot takes.
                    unsafe {
                        let v = if p == std::ptr::addr_of_mut!(ffi::PyList_Type).cast() {
                            ffi::PyList_New(0)
                        } else if p == std::ptr::addr_of_mut!(ffi::PyDict_Type).cast() {
                            ffi::PyDict_New()
                        } else {
                            ffi::PyObject_CallNoArgs(p)
                        };
                        let v = owned(self.py, v)?.into_ptr();
                        untrack = untrack && !maybe_tracked(v);
                        *at = v;
                    }
                }
            }
        }
        // SAFETY: GC bookkeeping of the instance we built.
        unsafe {
            if untrack && ffi::PyObject_GC_IsTracked(obj.as_ptr()) != 0 {
                ffi::PyObject_GC_UnTrack(obj.as_ptr().cast());
            }
        }
        Some(obj)
    }

    /// The items of a non-empty array, each read by `item`, appended to
    /// `list` up to and including the closing `]`.
    #[inline(always)]
    fn items(
        &mut self,
        list: &Bound<'py, PyList>,
        mut item: impl FnMut(&mut Self) -> Option<Bound<'py, PyAny>>,
    ) -> Option<()> {
        let l = list.as_ptr();
        loop {
            self.r.ws();
            let v = item(self)?;
            // SAFETY: appends to a list we own, in place while it has room
            // (as msgspec does), else with `PyList_Append`; the list takes
            // the reference.
            unsafe {
                let n = ffi::Py_SIZE(l);
                let lo = l.cast::<ffi::PyListObject>();
                if (*lo).allocated > n {
                    *(*lo).ob_item.offset(n) = v.into_ptr();
                    (*lo).ob_base.ob_size = n + 1;
                } else if ffi::PyList_Append(l, v.as_ptr()) != 0 {
                    ffi::PyErr_Clear();
                    return None;
                }
            }
            self.r.ws();
            match self.r.at(self.r.i) {
                b',' => self.r.i += 1,
                b']' => {
                    self.r.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// msgspec's `MS_MAYBE_TRACKED`: whether `x` may take part in a cycle.
fn maybe_tracked(x: *mut ffi::PyObject) -> bool {
    // SAFETY: type and GC-state reads of a valid object.
    unsafe {
        let tp = ffi::Py_TYPE(x);
        if (*tp).tp_flags & ffi::Py_TPFLAGS_HAVE_GC == 0 {
            return false;
        }
        ffi::PyTuple_CheckExact(x) == 0 || ffi::PyObject_GC_IsTracked(x) != 0
    }
}

/// An owned reference from a C call, or `None` (the error cleared) on null.
fn owned(py: Python<'_>, p: *mut ffi::PyObject) -> Option<Bound<'_, PyAny>> {
    if p.is_null() {
        // SAFETY: clears the error the failed call set.
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    // SAFETY: `p` is a new reference.
    Some(unsafe { Bound::from_owned_ptr(py, p) })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::ffi::CString;

    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyDict, PyModule};

    use super::Plan;
    use crate::testing::Rng;

    /// Starts the embedded interpreter once for the process's tests, as
    /// the runtime does (the build's Python, so msgspec imports).
    pub(crate) fn python() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            super::super::startup::start_interpreter().expect("the interpreter starts")
        });
    }

    /// The cases module (`native_cases.py`), loaded once per test.
    pub(crate) fn cases_module(py: Python<'_>) -> Bound<'_, PyModule> {
        let source = CString::new(include_str!("native_cases.py")).expect("no NUL");
        PyModule::from_code(py, &source, c"native_cases.py", c"native_cases")
            .expect("native_cases.py loads")
    }

    /// Every body the native parser accepts, msgspec accepts with the same
    /// value (compared by msgspec's own encoding, which tells `1` from
    /// `1.0` and `0.0` from `-0.0`); and it accepts most valid bodies.
    #[test]
    fn native_decoder_matches_msgspec() {
        python();
        let rng = Rng::from_env("native decoder");
        let seed = rng.seed();
        Python::attach(|py| {
            let m = cases_module(py);
            let types: Vec<Bound<'_, PyAny>> = m.getattr("TYPES").unwrap().extract().unwrap();
            let plans: Vec<Plan> = types
                .iter()
                .map(|t| Plan::build(py, t).unwrap().expect("a native plan"))
                .collect();
            let cases: Vec<(usize, Vec<u8>)> = m
                .call_method1("cases", (seed, 30_000))
                .unwrap()
                .extract()
                .unwrap();
            let json = py.import("msgspec.json").unwrap();
            let decode = json.getattr("decode").unwrap();
            let encode = json.getattr("encode").unwrap();
            let (mut valid, mut native) = (0, 0);
            for (t, body) in &cases {
                let kwargs = PyDict::new(py);
                kwargs.set_item("type", &types[*t]).unwrap();
                let theirs = decode.call((PyBytes::new(py, body),), Some(&kwargs));
                valid += usize::from(theirs.is_ok());
                let Some(ours) = plans[*t].decode(py, body) else {
                    continue;
                };
                native += 1;
                let shown = String::from_utf8_lossy(body);
                let theirs = theirs.unwrap_or_else(|e| {
                    panic!("native accepted what msgspec refuses ({e}): {shown}")
                });
                let a: Vec<u8> = encode.call1((&ours,)).unwrap().extract().unwrap();
                let b: Vec<u8> = encode.call1((&theirs,)).unwrap().extract().unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b),
                    "body: {shown}"
                );
                assert!(ours.get_type().is(theirs.get_type()), "body: {shown}");
            }
            eprintln!(
                "native decoder: {} bodies, {valid} valid, {native} decoded natively",
                cases.len()
            );
            assert!(native * 2 > valid, "the native path took too few bodies");
        });
    }
}
