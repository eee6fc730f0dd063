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
//! its integer value (`-0` is `0.0`); Structs allocated with `tp_alloc` and
//! their slots filled, absent fields from the class's own defaults (the same
//! objects, or the factory's product), then untracked by the GC when no
//! field can hold a reference cycle.
//!
//! The plan is built at start-up from `msgspec.inspect.type_info(T)`, so it
//! describes the type as msgspec sees it (renames, defaults, constraints).
//! A type with anything else (tags, `array_like`, `__post_init__`, dicts,
//! unions other than `T | None`, dates...) gets no plan: msgspec decodes it.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Nesting the native parser handles before it leaves a body to msgspec.
const MAX_DEPTH: usize = 64;

/// A decoding plan for one body type.
pub(crate) struct Plan {
    nodes: Vec<Node>,
    structs: Vec<StructPlan>,
    root: usize,
}

enum Node {
    Str {
        min: Option<usize>,
        max: Option<usize>,
        /// `re.compile(pattern).search`.
        pattern: Option<Py<PyAny>>,
    },
    Int {
        ge: Option<i64>,
        le: Option<i64>,
        multiple_of: Option<i64>,
    },
    Float {
        ge: Option<f64>,
        gt: Option<f64>,
        le: Option<f64>,
        lt: Option<f64>,
        multiple_of: Option<f64>,
    },
    Bool,
    None,
    Optional(usize),
    List {
        item: usize,
        min: Option<usize>,
        max: Option<usize>,
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
                    min: opt_usize(&get("min_length")?)?,
                    max: opt_usize(&get("max_length")?)?,
                    pattern,
                })
            }
            "IntType" => {
                let (ge, gt) = (opt_i64(&get("ge")?)?, opt_i64(&get("gt")?)?);
                let (le, lt) = (opt_i64(&get("le")?)?, opt_i64(&get("lt")?)?);
                let lower = match (ge, gt.map(|g| g.checked_add(1))) {
                    (_, Some(None)) => return Ok(None),
                    (a, Some(Some(b))) => Some(a.map_or(b, |a| a.max(b))),
                    (a, None) => a,
                };
                let upper = match (le, lt.map(|l| l.checked_sub(1))) {
                    (_, Some(None)) => return Ok(None),
                    (a, Some(Some(b))) => Some(a.map_or(b, |a| a.min(b))),
                    (a, None) => a,
                };
                self.push(Node::Int {
                    ge: lower,
                    le: upper,
                    multiple_of: opt_i64(&get("multiple_of")?)?,
                })
            }
            "FloatType" => self.push(Node::Float {
                ge: opt_f64(&get("ge")?)?,
                gt: opt_f64(&get("gt")?)?,
                le: opt_f64(&get("le")?)?,
                lt: opt_f64(&get("lt")?)?,
                multiple_of: opt_f64(&get("multiple_of")?)?,
            }),
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
                    min: opt_usize(&get("min_length")?)?,
                    max: opt_usize(&get("max_length")?)?,
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
        if fields.len() != names.len() || fields.len() > MAX_FIELDS {
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
            planned.push(FieldPlan {
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

/// The most fields a natively decoded Struct may have.
const MAX_FIELDS: usize = 24;

impl<'py> Parser<'_, 'py> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn value(&mut self, node: usize) -> Option<Bound<'py, PyAny>> {
        match &self.plan.nodes[node] {
            Node::Str { min, max, pattern } => {
                let s = self.string_value()?;
                if min.is_some() || max.is_some() {
                    // SAFETY: `s` is a str.
                    let n =
                        usize::try_from(unsafe { ffi::PyUnicode_GET_LENGTH(s.as_ptr()) }).ok()?;
                    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                        return None;
                    }
                }
                if let Some(search) = pattern {
                    let found = search.bind(self.py).call1((&s,)).ok()?;
                    if found.is_none() {
                        return None;
                    }
                }
                Some(s)
            }
            Node::Int {
                ge,
                le,
                multiple_of,
            } => {
                let n = self.int()?;
                if ge.is_some_and(|c| n < c)
                    || le.is_some_and(|c| n > c)
                    || multiple_of.is_some_and(|m| n % m != 0)
                {
                    return None;
                }
                // SAFETY: a new reference, or null.
                owned(self.py, unsafe { ffi::PyLong_FromLongLong(n) })
            }
            Node::Float {
                ge,
                gt,
                le,
                lt,
                multiple_of,
            } => {
                let x = self.float()?;
                if !x.is_finite()
                    || ge.is_some_and(|c| x < c)
                    || gt.is_some_and(|c| x <= c)
                    || le.is_some_and(|c| x > c)
                    || lt.is_some_and(|c| x >= c)
                {
                    return None;
                }
                if let Some(m) = multiple_of
                    && x != 0.0
                    && x % m != 0.0
                {
                    return None;
                }
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
            Node::List { item, min, max } => self.list(*item, *min, *max),
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

    /// A JSON integer that fits 64 bits (anything else is msgspec's).
    #[inline]
    fn int(&mut self) -> Option<i64> {
        let b = self.b;
        let mut i = self.i;
        let negative = b.get(i) == Some(&b'-');
        i += usize::from(negative);
        let start = i;
        let mut n: u64 = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || (digits > 1 && b[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = b.get(i) {
            return None;
        }
        self.i = i;
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

    /// A JSON number as a `float`, in one pass: an integer literal is
    /// converted from its value (`-0` gives `0.0`, as in msgspec), a
    /// decimal with at most 15 significant digits and a power of ten within
    /// 22 by Clinger's exact fast path, anything else by a full parse.
    #[inline]
    fn float(&mut self) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        i += usize::from(negative);
        let int_start = i;
        let mut mantissa: u64 = 0;
        let mut digits = 0u32;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            if digits < 19 {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += u32::from(mantissa != 0);
            } else {
                digits += 1;
            }
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
            return None;
        }
        let mut scale: i32 = 0;
        let mut is_int = true;
        if b.get(i) == Some(&b'.') {
            is_int = false;
            i += 1;
            let frac = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                if digits < 19 {
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    digits += u32::from(mantissa != 0);
                    scale -= 1;
                } else {
                    digits += 1;
                }
                i += 1;
            }
            if i == frac {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            is_int = false;
            i += 1;
            let negative_exp = b.get(i) == Some(&b'-');
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let exp_start = i;
            let mut e: i32 = 0;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                e = e.saturating_mul(10).saturating_add(i32::from(c - b'0'));
                i += 1;
            }
            if i == exp_start {
                return None;
            }
            scale = scale.saturating_add(if negative_exp { -e } else { e });
        }
        self.i = i;
        #[expect(
            clippy::cast_precision_loss,
            reason = "C's (double) conversion, as msgspec"
        )]
        let x = if is_int {
            if digits > 19 || (digits == 19 && int_len > 19) {
                return None;
            }
            mantissa as f64
        } else if digits <= 15 && (-22..=22).contains(&scale) {
            let m = mantissa as f64;
            let p = POW10[scale.unsigned_abs() as usize];
            if scale >= 0 { m * p } else { m / p }
        } else {
            // SAFETY: the bytes were checked to be ASCII digits and signs.
            let text = unsafe { std::str::from_utf8_unchecked(&b[start..i]) };
            let x: f64 = text.parse().ok()?;
            return Some(x);
        };
        // `-0` is an integer: its value is 0, and `0.0` is positive.
        Some(if negative && !(is_int && mantissa == 0) {
            -x
        } else {
            x
        })
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
    fn string_view(&mut self) -> Option<(&[u8], bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let b = self.b;
        let start = self.i + 1;
        let mut i = start;
        let mut ascii = true;
        // Fast scan: stop at a quote, a backslash or a control character.
        let mut high = 0u8;
        while let Some(&c) = b.get(i) {
            if STOP[usize::from(c)] {
                break;
            }
            high |= c;
            i += 1;
        }
        ascii &= high < 0x80;
        match b.get(i)? {
            b'"' => {
                self.i = i + 1;
                Some((&b[start..i], ascii))
            }
            b'\\' => {
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
                        c => {
                            ascii &= c < 0x80;
                            self.scratch.push(c);
                            i += 1;
                        }
                    }
                }
                self.i = i + 1;
                Some((&self.scratch[..], ascii))
            }
            _ => None,
        }
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
    fn list(
        &mut self,
        item: usize,
        min: Option<usize>,
        max: Option<usize>,
    ) -> Option<Bound<'py, PyAny>> {
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
            // Plain strings, the commonest items, skip the dispatch.
            let plain_str = matches!(
                self.plan.nodes[item],
                Node::Str {
                    min: None,
                    max: None,
                    pattern: None
                }
            );
            loop {
                self.ws();
                let v = if plain_str {
                    self.string_value()?
                } else {
                    self.value(item)?
                };
                // SAFETY: appends to a list we own, in place while it has
                // room (as msgspec does), else with `PyList_Append`; the
                // list takes the reference.
                unsafe {
                    let l = list.as_ptr().cast::<ffi::PyListObject>();
                    let n = ffi::Py_SIZE(list.as_ptr());
                    if (*l).allocated > n {
                        *(*l).ob_item.offset(n) = v.into_ptr();
                        (*l).ob_base.ob_size = n + 1;
                    } else if ffi::PyList_Append(list.as_ptr(), v.as_ptr()) != 0 {
                        ffi::PyErr_Clear();
                        return None;
                    }
                }
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
        self.depth -= 1;
        let n = list.len();
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            return None;
        }
        Some(list.into_any())
    }

    #[inline(never)]
    fn structure(&mut self, s: &StructPlan) -> Option<Bound<'py, PyAny>> {
        if self.peek()? != b'{' {
            return None;
        }
        self.i += 1;
        self.enter()?;
        let mut values = Slots {
            ptrs: [std::ptr::null_mut(); MAX_FIELDS],
            len: s.fields.len(),
        };
        let mut next = 0;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let (key, _) = self.string_view()?;
                // Fields usually come in order: try the next one first.
                let found = (next..s.fields.len())
                    .chain(0..next)
                    .find(|&f| same(&s.fields[f].key, key));
                self.eat(b':')?;
                self.ws();
                match found {
                    Some(f) => {
                        if !values.ptrs[f].is_null() {
                            // A duplicate key: msgspec's rules are subtle.
                            return None;
                        }
                        values.ptrs[f] = self.value(s.fields[f].node)?.into_ptr();
                        next = f + 1;
                    }
                    None if s.forbid_unknown => return None,
                    None => self.skip(0)?,
                }
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
        self.depth -= 1;
        self.build(s, &mut values)
    }

    /// Allocates the instance and fills its slots (defaults for the absent).
    fn build(&mut self, s: &StructPlan, values: &mut Slots) -> Option<Bound<'py, PyAny>> {
        let py = self.py;
        for (v, f) in values.ptrs[..values.len].iter_mut().zip(&s.fields) {
            if v.is_null() {
                *v = match &f.default {
                    Default::Required => return None,
                    // SAFETY: a new reference to the class's default.
                    Default::Value(d) => unsafe { ffi::Py_NewRef(d.as_ptr()) },
                    Default::Factory(factory) => {
                        let p = factory.as_ptr();
                        // SAFETY: comparing with the builtin type objects;
                        // each call returns a new reference or null.
                        let obj = unsafe {
                            if p == std::ptr::addr_of_mut!(ffi::PyList_Type).cast() {
                                ffi::PyList_New(0)
                            } else if p == std::ptr::addr_of_mut!(ffi::PyDict_Type).cast() {
                                ffi::PyDict_New()
                            } else {
                                ffi::PyObject_CallNoArgs(p)
                            }
                        };
                        owned(py, obj)?.into_ptr()
                    }
                };
            }
        }
        // SAFETY: msgspec's `Struct_alloc`: the class's `tp_alloc` gives a
        // zeroed instance; each slot at its member offset takes one owned
        // reference (the class's dealloc releases them).
        unsafe {
            let alloc = (*s.tp).tp_alloc?;
            let obj = alloc(s.tp, (*s.tp).tp_itemsize);
            if obj.is_null() {
                ffi::PyErr_Clear();
                return None;
            }
            let mut untrack = s.is_gc;
            for (v, f) in values.ptrs[..values.len].iter_mut().zip(&s.fields) {
                let p = std::mem::replace(v, std::ptr::null_mut());
                untrack &= !maybe_tracked(p);
                *obj.cast::<u8>()
                    .offset(f.offset)
                    .cast::<*mut ffi::PyObject>() = p;
            }
            if untrack && ffi::PyObject_GC_IsTracked(obj) != 0 {
                ffi::PyObject_GC_UnTrack(obj.cast());
            }
            Some(Bound::from_owned_ptr(py, obj))
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

/// A Struct's field values while its object is parsed: owned references
/// (null: not seen yet), released if the parse gives up.
struct Slots {
    ptrs: [*mut ffi::PyObject; MAX_FIELDS],
    len: usize,
}

impl Drop for Slots {
    fn drop(&mut self) {
        for &p in &self.ptrs[..self.len] {
            if !p.is_null() {
                // SAFETY: an owned reference, the GIL held (we parse under it).
                unsafe { ffi::Py_DECREF(p) };
            }
        }
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
