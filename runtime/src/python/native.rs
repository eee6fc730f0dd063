//! A native fast path for JSON bodies: Structs of strings, numbers, bools,
//! optionals, lists and nested Structs, decoded in Rust straight into the
//! Python objects msgspec would build.
//!
//! **Exactness by construction.** The native parser accepts a body only when
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
//! The plan is built at start-up from `msgspec.inspect.type_info(T)`, so it
//! describes the type as msgspec sees it (renames, defaults, constraints).
//! A type with anything else (tags, `array_like`, `__post_init__`, dicts,
//! unions other than `T | None`, dates...) gets no plan: msgspec decodes it.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::constraint::{FloatBounds, IntBounds, Length};

/// Nesting the native parser handles before it leaves a body to msgspec.
const MAX_DEPTH: usize = 64;

/// A decoding plan for one body type.
pub(crate) struct Plan {
    nodes: Vec<Node>,
    structs: Vec<StructPlan>,
    root: usize,
}

enum Node {
    /// `str`, `int`, `float` without constraints (the common case, which
    /// skips the checks).
    PlainStr,
    PlainInt,
    PlainFloat,
    Str {
        len: Length,
        /// `re.compile(pattern).search`.
        pattern: Option<Py<PyAny>>,
    },
    Int(IntBounds),
    Float(FloatBounds),
    Bool,
    None,
    Optional(usize),
    List {
        item: usize,
        len: Length,
    },
    Struct(usize),
}

struct StructPlan {
    /// The class (kept alive by `_cls`).
    tp: *mut ffi::PyTypeObject,
    _cls: Py<PyAny>,
    fields: Vec<FieldPlan>,
    forbid_unknown: bool,
    is_gc: bool,
}

struct FieldPlan {
    /// The JSON key (the encoded field name).
    key: Box<[u8]>,
    /// `"key":`, as a body spells the key written plainly and followed
    /// directly by its colon.
    quoted: Box<[u8]>,
    /// `quoted` as two little-endian words (zero-padded) and the masks of
    /// its bytes, when it is at most 16 bytes long.
    words: [u64; 2],
    masks: [u64; 2],
    /// The key needs no escape in JSON (so its plain spelling is the
    /// only one without escapes).
    raw: bool,
    node: usize,
    /// The slot's offset in the instance.
    offset: isize,
    default: Default,
}

enum Default {
    Required,
    Value(Py<PyAny>),
    Factory(Py<PyAny>),
}

// SAFETY: `tp` points at a class kept alive by `_cls`; plans are only used
// with the GIL held and never mutated after start-up.
unsafe impl Send for StructPlan {}
// SAFETY: as above.
unsafe impl Sync for StructPlan {}

impl Plan {
    /// A plan for `ty`, or `None` when msgspec should decode it.
    pub(crate) fn build(py: Python<'_>, ty: &Bound<'_, PyAny>) -> PyResult<Option<Plan>> {
        let info = py
            .import("msgspec.inspect")?
            .call_method1("type_info", (ty,))?;
        let mut b = Builder {
            py,
            plan: Plan {
                nodes: Vec::new(),
                structs: Vec::new(),
                root: 0,
            },
            seen: Vec::new(),
        };
        match b.node(&info)? {
            Some(root) if matches!(b.plan.nodes[root], Node::Struct(_) | Node::List { .. }) => {
                b.plan.root = root;
                Ok(Some(b.plan))
            }
            _ => Ok(None),
        }
    }

    /// Decodes `body`, or `None` to let msgspec do it.
    pub(crate) fn decode<'py>(&self, py: Python<'py>, body: &[u8]) -> Option<Bound<'py, PyAny>> {
        let mut p = Parser {
            py,
            plan: self,
            b: body,
            i: 0,
            depth: 0,
            scratch: Vec::new(),
        };
        p.ws();
        let v = p.value(self.root)?;
        p.ws();
        (p.i == body.len()).then_some(v)
    }
}

struct Builder<'py> {
    py: Python<'py>,
    plan: Plan,
    /// Struct classes already planned: (class pointer, struct index).
    seen: Vec<(*mut ffi::PyObject, usize)>,
}

fn opt_i64(v: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

fn opt_f64(v: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

fn opt_usize(v: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

impl Builder<'_> {
    fn push(&mut self, n: Node) -> usize {
        let n = match n {
            Node::Str { len, pattern: None } if len.is_empty() => Node::PlainStr,
            Node::Int(b) if b.is_empty() => Node::PlainInt,
            Node::Float(b) if b.is_empty() => Node::PlainFloat,
            n => n,
        };
        self.plan.nodes.push(n);
        self.plan.nodes.len() - 1
    }

    /// The node of a `msgspec.inspect` type, or `None` if not supported.
    fn node(&mut self, info: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        let kind = info.get_type().name()?.to_string();
        let get = |name: &str| info.getattr(name);
        Ok(Some(match kind.as_str() {
            "Metadata" => return self.node(&get("type")?),
            "StrType" => {
                let pattern = get("pattern")?;
                let pattern = if pattern.is_none() {
                    None
                } else {
                    let re = self.py.import("re")?;
                    Some(
                        re.call_method1("compile", (pattern,))?
                            .getattr("search")?
                            .unbind(),
                    )
                };
                self.push(Node::Str {
                    len: Length {
                        min: opt_usize(&get("min_length")?)?,
                        max: opt_usize(&get("max_length")?)?,
                    },
                    pattern,
                })
            }
            "IntType" => {
                let Some(bounds) = IntBounds::fold(
                    opt_i64(&get("ge")?)?,
                    opt_i64(&get("gt")?)?,
                    opt_i64(&get("le")?)?,
                    opt_i64(&get("lt")?)?,
                    opt_i64(&get("multiple_of")?)?,
                ) else {
                    return Ok(None);
                };
                self.push(Node::Int(bounds))
            }
            "FloatType" => self.push(Node::Float(FloatBounds {
                ge: opt_f64(&get("ge")?)?,
                gt: opt_f64(&get("gt")?)?,
                le: opt_f64(&get("le")?)?,
                lt: opt_f64(&get("lt")?)?,
                multiple_of: opt_f64(&get("multiple_of")?)?,
            })),
            "BoolType" => self.push(Node::Bool),
            "NoneType" => self.push(Node::None),
            "UnionType" => {
                let types: Vec<Bound<'_, PyAny>> = get("types")?.extract()?;
                let names = types
                    .iter()
                    .map(|t| Ok(t.get_type().name()?.to_string()))
                    .collect::<PyResult<Vec<_>>>()?;
                let [a, b] = names.as_slice() else {
                    return Ok(None);
                };
                let inner = match (a.as_str(), b.as_str()) {
                    ("NoneType", "NoneType") => return Ok(None),
                    (_, "NoneType") => &types[0],
                    ("NoneType", _) => &types[1],
                    _ => return Ok(None),
                };
                let Some(inner) = self.node(inner)? else {
                    return Ok(None);
                };
                self.push(Node::Optional(inner))
            }
            "ListType" => {
                let Some(item) = self.node(&get("item_type")?)? else {
                    return Ok(None);
                };
                self.push(Node::List {
                    item,
                    len: Length {
                        min: opt_usize(&get("min_length")?)?,
                        max: opt_usize(&get("max_length")?)?,
                    },
                })
            }
            "StructType" => return self.structure(info),
            _ => return Ok(None),
        }))
    }

    fn structure(&mut self, info: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        let cls = info.getattr("cls")?;
        if let Some(&(_, s)) = self.seen.iter().find(|(p, _)| *p == cls.as_ptr()) {
            return Ok(Some(self.push(Node::Struct(s))));
        }
        let tagged = !info.getattr("tag_field")?.is_none();
        let array_like: bool = info.getattr("array_like")?.extract()?;
        let post_init = cls.getattr_opt("__post_init__")?.is_some();
        if tagged || array_like || post_init {
            return Ok(None);
        }
        let s = self.plan.structs.len();
        let tp = cls.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: reading the flags of a type object.
        let is_gc = unsafe { (*tp).tp_flags & ffi::Py_TPFLAGS_HAVE_GC != 0 };
        self.plan.structs.push(StructPlan {
            tp,
            _cls: cls.clone().unbind(),
            fields: Vec::new(),
            forbid_unknown: info.getattr("forbid_unknown_fields")?.extract()?,
            is_gc,
        });
        self.seen.push((cls.as_ptr(), s));
        let names: Vec<String> = cls.getattr("__struct_fields__")?.extract()?;
        let defaults = cls.getattr("__struct_defaults__")?.cast_into::<PyTuple>()?;
        let factory_cls = self.py.import("msgspec._core")?.getattr("Factory")?;
        let nodefault = self.py.import("msgspec")?.getattr("NODEFAULT")?;
        let first_default = names.len() - defaults.len();
        let fields: Vec<Bound<'_, PyAny>> = info.getattr("fields")?.extract()?;
        if fields.len() != names.len() {
            return Ok(None);
        }
        let mut planned = Vec::with_capacity(names.len());
        for (i, (name, f)) in names.iter().zip(&fields).enumerate() {
            let field_name: String = f.getattr("name")?.extract()?;
            if field_name != *name {
                return Ok(None);
            }
            let key: String = f.getattr("encode_name")?.extract()?;
            let Some(offset) = super::encode::slot_offset(&cls, name) else {
                return Ok(None);
            };
            let Some(node) = self.node(&f.getattr("type")?)? else {
                return Ok(None);
            };
            let default = if i < first_default {
                Default::Required
            } else {
                let d = defaults.get_item(i - first_default)?;
                if d.is_instance(&factory_cls)? {
                    Default::Factory(d.getattr("factory")?.unbind())
                } else if d.is(&nodefault) {
                    // A required keyword-only field after defaulted ones.
                    Default::Required
                } else {
                    Default::Value(d.unbind())
                }
            };
            let mut quoted = Vec::with_capacity(key.len() + 3);
            quoted.push(b'"');
            quoted.extend_from_slice(key.as_bytes());
            quoted.extend_from_slice(b"\":");
            let (mut words, mut masks) = ([0u64; 2], [0u64; 2]);
            if quoted.len() <= 16 {
                let mut padded = [0u8; 16];
                padded[..quoted.len()].copy_from_slice(&quoted);
                let mut mask = [0u8; 16];
                mask[..quoted.len()].fill(0xff);
                for w in 0..2 {
                    let at = w * 8..w * 8 + 8;
                    words[w] = u64::from_le_bytes(padded[at.clone()].try_into().expect("8"));
                    masks[w] = u64::from_le_bytes(mask[at].try_into().expect("8"));
                }
            }
            planned.push(FieldPlan {
                raw: !key.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20),
                quoted: quoted.into_boxed_slice(),
                words,
                masks,
                key: key.into_bytes().into_boxed_slice(),
                node,
                offset,
                default,
            });
        }
        self.plan.structs[s].fields = planned;
        Ok(Some(self.push(Node::Struct(s))))
    }
}

struct Parser<'a, 'py> {
    py: Python<'py>,
    plan: &'a Plan,
    b: &'a [u8],
    i: usize,
    depth: usize,
    scratch: Vec<u8>,
}

/// The bytes that end the fast scan of a string: `"`, `\\` and controls.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

impl<'py> Parser<'_, 'py> {
    #[inline(always)]
    fn ws(&mut self) {
        if self.at(self.i) > b' ' {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.at(self.i) == c {
            self.i += 1;
            return Some(());
        }
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

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
                let n = self.int()?;
                bounds.check(n).ok()?;
                // SAFETY: a new reference, or null.
                owned(self.py, unsafe { ffi::PyLong_FromLongLong(n) })
            }
            Node::Float(bounds) => {
                let x = self.float()?;
                if !x.is_finite() {
                    return None;
                }
                bounds.check(x).ok()?;
                // SAFETY: a new reference, or null.
                owned(self.py, unsafe { ffi::PyFloat_FromDouble(x) })
            }
            Node::Bool => {
                if self.literal(b"true") {
                    // SAFETY: a new reference to True.
                    owned(self.py, unsafe { ffi::Py_NewRef(ffi::Py_True()) })
                } else if self.literal(b"false") {
                    // SAFETY: a new reference to False.
                    owned(self.py, unsafe { ffi::Py_NewRef(ffi::Py_False()) })
                } else {
                    None
                }
            }
            Node::None => {
                if self.literal(b"null") {
                    Some(self.py.None().into_bound(self.py))
                } else {
                    None
                }
            }
            Node::Optional(inner) => {
                if self.peek() == Some(b'n') {
                    if self.literal(b"null") {
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

    /// `true`/`false`/`null`, followed by something that ends a value.
    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// An unconstrained `int`.
    #[inline(always)]
    fn int_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let n = self.int()?;
        // SAFETY: a new reference, or null.
        owned(self.py, unsafe { ffi::PyLong_FromLongLong(n) })
    }

    /// An unconstrained `float`.
    #[inline(always)]
    fn float_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let x = self.float()?;
        if !x.is_finite() {
            return None;
        }
        // SAFETY: a new reference, or null.
        owned(self.py, unsafe { ffi::PyFloat_FromDouble(x) })
    }

    /// The byte at `i`, or 0 past the end (0 is never valid JSON there).
    #[inline(always)]
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    /// Digits from `i`: the index after them and `acc` with them appended
    /// (wrapping: the caller bounds the count).
    #[inline(always)]
    fn digits(&self, mut i: usize, mut acc: u64) -> (usize, u64) {
        loop {
            let d = self.at(i).wrapping_sub(b'0');
            if d >= 10 {
                return (i, acc);
            }
            acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
    }

    /// A JSON integer that fits 64 bits (anything else is msgspec's).
    #[inline(always)]
    fn int(&mut self) -> Option<i64> {
        let mut i = self.i;
        let negative = self.at(i) == b'-';
        i += usize::from(negative);
        let start = i;
        let (end, n) = self.digits(i, 0);
        let count = end - start;
        if count == 0 || (count > 1 && self.at(start) == b'0') {
            return None;
        }
        if let b'.' | b'e' | b'E' = self.at(end) {
            return None;
        }
        let n = if count > 18 {
            // Past 18 digits the value may not fit: redo it checked.
            let mut n: u64 = 0;
            for &c in &self.b[start..end] {
                n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            }
            n
        } else {
            n
        };
        self.i = end;
        if negative {
            if n <= 1 << 63 {
                Some(0i64.wrapping_sub_unsigned(n))
            } else {
                None
            }
        } else {
            i64::try_from(n).ok()
        }
    }

    /// A JSON number as a `float`, as msgspec reads one: an integer
    /// literal is converted from its value (`-0` gives `0.0`); a decimal
    /// whose digits fit 53 bits with a power of ten within 22 by Clinger's
    /// exact fast path (msgspec's own); anything else by a full, correctly
    /// rounded parse (msgspec's Eisel-Lemire and its fallback round
    /// correctly too).
    #[inline(always)]
    fn float(&mut self) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let start = self.i;
        let mut i = start;
        let negative = self.at(i) == b'-';
        i += usize::from(negative);
        let int_start = i;
        let (int_end, mut mantissa) = self.digits(i, 0);
        let int_len = int_end - int_start;
        if int_len == 0 || (int_len > 1 && self.at(int_start) == b'0') {
            return None;
        }
        i = int_end;
        let mut count = int_len;
        let mut scale: i64 = 0;
        let mut is_int = true;
        if self.at(i) == b'.' {
            is_int = false;
            let (end, m) = self.digits(i + 1, mantissa);
            let frac = end - (i + 1);
            if frac == 0 {
                return None;
            }
            mantissa = m;
            count += frac;
            scale = -(frac as i64);
            i = end;
        }
        if let b'e' | b'E' = self.at(i) {
            is_int = false;
            i += 1;
            let negative_exp = self.at(i) == b'-';
            if let b'+' | b'-' = self.at(i) {
                i += 1;
            }
            let exp_start = i;
            let mut e: i64 = 0;
            loop {
                let d = self.at(i).wrapping_sub(b'0');
                if d >= 10 {
                    break;
                }
                e = (e * 10 + i64::from(d)).min(1 << 20);
                i += 1;
            }
            if i == exp_start {
                return None;
            }
            scale += if negative_exp { -e } else { e };
        }
        self.i = i;
        if is_int {
            // msgspec reads the integer, then converts it (C's rounding
            // conversion); past 18 digits msgspec decides.
            if count > 18 {
                return None;
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "C's (double) conversion, as msgspec"
            )]
            let x = mantissa as i64 as f64;
            // `-0` is the integer 0: `0.0`, positive.
            return Some(if negative { -x } else { x } + 0.0);
        }
        let x = if count <= 19 && mantissa >> 53 == 0 && (-22..=22).contains(&scale) {
            #[expect(
                clippy::cast_precision_loss,
                reason = "exact: the mantissa is below 2^53"
            )]
            let m = mantissa as i64 as f64;
            let p = POW10[scale.unsigned_abs() as usize];
            if scale >= 0 { m * p } else { m / p }
        } else {
            // SAFETY: the bytes were checked to be ASCII digits and signs.
            let text = unsafe { std::str::from_utf8_unchecked(&self.b[start..i]) };
            return text.parse().ok();
        };
        Some(if negative { -x } else { x })
    }

    /// A JSON number: its text and whether it is an integer. Leaves the
    /// body to msgspec for anything unusual (long numbers included).
    fn number(&mut self) -> Option<(&'_ [u8], bool)> {
        let b = self.b;
        let start = self.i;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut is_int = true;
        if b.get(i) == Some(&b'.') {
            is_int = false;
            i += 1;
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            is_int = false;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        if i - start > 300 {
            return None;
        }
        self.i = i;
        Some((&b[start..i], is_int))
    }

    /// A JSON string's contents, unescaped, and whether it is all ASCII.
    /// `None` for anything msgspec would refuse or treat specially.
    #[inline]
    fn string_view(&mut self) -> Option<(&[u8], bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let b = self.b;
        let start = self.i + 1;
        // Eight bytes at a time up to a quote, a backslash, a control
        // character or a non-ASCII byte, then byte by byte.
        let mut i = scan(b, start, true);
        let mut ascii = true;
        if b.get(i).is_some_and(|&c| c >= 0x80) {
            ascii = false;
            i = scan(b, i, false);
        }
        if *b.get(i)? == b'"' {
            self.i = i + 1;
            return Some((&b[start..i], ascii));
        }
        self.string_escaped(start, i, ascii)
    }

    /// The rest of [`Parser::string_view`] from the first byte at `i` that
    /// is not plain text: unescapes into the scratch buffer.
    #[cold]
    #[inline(never)]
    fn string_escaped(
        &mut self,
        start: usize,
        mut i: usize,
        mut ascii: bool,
    ) -> Option<(&[u8], bool)> {
        let b = self.b;
        if *b.get(i)? != b'\\' {
            // A control character: msgspec's error.
            return None;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&b[start..i]);
        loop {
            match *b.get(i)? {
                b'"' => break,
                b'\\' => {
                    i += 1;
                    let c = match *b.get(i)? {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let hi = hex4(b.get(i + 1..i + 5)?)?;
                            i += 4;
                            let ch = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i + 1..i + 3)? != b"\\u" {
                                    return None;
                                }
                                let lo = hex4(b.get(i + 3..i + 7)?)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                i += 6;
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return None;
                            } else {
                                hi
                            };
                            let ch = char::from_u32(ch)?;
                            ascii &= ch.is_ascii();
                            let mut buf = [0; 4];
                            self.scratch
                                .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            i += 1;
                            continue;
                        }
                        _ => return None,
                    };
                    self.scratch.push(c);
                    i += 1;
                }
                c if c < 0x20 => return None,
                _ => {
                    // A run of plain text up to the next special byte.
                    let run = scan(b, i, false);
                    let text = &b[i..run];
                    ascii &= text.is_ascii();
                    self.scratch.extend_from_slice(text);
                    i = run;
                }
            }
        }
        self.i = i + 1;
        Some((&self.scratch[..], ascii))
    }

    /// A `str` value, built as msgspec builds it.
    #[inline]
    fn string_value(&mut self) -> Option<Bound<'py, PyAny>> {
        let py = self.py;
        let (bytes, ascii) = self.string_view()?;
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
        if self.peek()? != b'[' {
            return None;
        }
        self.i += 1;
        self.enter()?;
        let list = PyList::empty(self.py);
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
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
        if self.peek()? != b'{' {
            return None;
        }
        self.i += 1;
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
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                self.ws();
                // Fields usually come in order: try the next one's key
                // (with its colon) against the raw bytes first, then look
                // the key up.
                let found = match s.fields.get(next) {
                    Some(f) if f.raw && key_at(self.b, self.i, f) => {
                        self.i += f.quoted.len();
                        Some(next)
                    }
                    _ => {
                        let (key, _) = self.string_view()?;
                        let found = s.fields.iter().position(|f| same(&f.key, key));
                        self.eat(b':')?;
                        found
                    }
                };
                self.ws();
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
                    None => self.skip(0)?,
                }
                self.ws();
                match self.at(self.i) {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
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
            self.ws();
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
            self.ws();
            match self.at(self.i) {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips an unknown field's value (strictly: anything unusual is left
    /// to msgspec).
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => {
                let (bytes, ascii) = self.string_view()?;
                if !ascii {
                    std::str::from_utf8(bytes).ok()?;
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.string_view()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true").then_some(())?,
            b'f' => self.literal(b"false").then_some(())?,
            b'n' => self.literal(b"null").then_some(())?,
            _ => {
                self.number()?;
            }
        }
        Some(())
    }
}

/// The index of the first byte from `i` that ends plain string text: a
/// quote, a backslash, a control character, or (with `stop_high`) a byte
/// of 0x80 and above; `b.len()` if none. Eight bytes at a time: in each
/// word the lowest flagged byte is a true stop (a false flag can only sit
/// above a true one, where a borrow came from).
#[inline(always)]
fn scan(b: &[u8], mut i: usize, stop_high: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let mut flags = (v.wrapping_sub(ONES * 0x20) & !v)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        if stop_high {
            flags |= v;
        }
        flags &= HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if STOP[usize::from(c)] || (stop_high && c >= 0x80) {
            break;
        }
        i += 1;
    }
    i
}

/// Whether the body at `i` is `f`'s key spelled plainly with its colon,
/// `"key":`: one or two masked word compares for short keys.
#[inline(always)]
fn key_at(b: &[u8], i: usize, f: &FieldPlan) -> bool {
    let n = f.quoted.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"));
    if n <= 16 && i + 16 <= b.len() {
        ((word(i) ^ f.words[0]) & f.masks[0]) | ((word(i + 8) ^ f.words[1]) & f.masks[1]) == 0
    } else if n <= 8 && i + 8 <= b.len() {
        (word(i) ^ f.words[0]) & f.masks[0] == 0
    } else {
        b.get(i..i + n) == Some(&f.quoted[..])
    }
}

/// Byte equality without a `memcmp` call for short keys.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
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
        let rng = Rng::from_time();
        let seed = rng.seed();
        eprintln!("native decoder seed: {seed} (PREBAKE_SEED={seed} replays it)");
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
