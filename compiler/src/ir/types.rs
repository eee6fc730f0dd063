//! The type language of handler parameters, return values and model fields
//! (`docs/semantics.md`): scalars, containers, unions, literals, models, constraints.

use std::fmt;

use super::{Ir, ModelId};
use crate::source::Span;

/// A type as written in an annotation, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Ty {
    /// What type it is.
    pub kind: TyKind,
    /// The annotation text it came from.
    pub span: Span,
}

/// The kinds of type prebake understands.
#[derive(Clone, Debug, PartialEq)]
pub enum TyKind {
    /// `typing.Any` / `object`: any JSON value.
    Any,
    /// `None`.
    None,
    /// `bool`.
    Bool,
    /// `int` (arbitrary precision, as Python's).
    Int,
    /// `float`.
    Float,
    /// `str`.
    Str,
    /// `bytes` (base64 in JSON).
    Bytes,
    /// `bytearray` (base64 in JSON).
    ByteArray,
    /// `memoryview` (base64 in JSON; decoded as a view of the bytes).
    MemoryView,
    /// `msgspec.Raw`: any JSON value, kept as its undecoded bytes, and
    /// written back verbatim.
    Raw,
    /// `datetime.datetime`.
    DateTime,
    /// `datetime.date`.
    Date,
    /// `datetime.time`.
    Time,
    /// `datetime.timedelta`.
    TimeDelta,
    /// `uuid.UUID`.
    Uuid,
    /// `decimal.Decimal`.
    Decimal,
    /// `list[T]` (also `typing.List`, `Sequence`).
    List(Box<Ty>),
    /// `set[T]`.
    Set(Box<Ty>),
    /// `frozenset[T]`.
    FrozenSet(Box<Ty>),
    /// `tuple[T, ...]`.
    VarTuple(Box<Ty>),
    /// `tuple[A, B, C]` (`tuple[()]` is the empty tuple).
    Tuple(Vec<Ty>),
    /// `dict[K, V]`.
    Dict(Box<Ty>, Box<Ty>),
    /// `A | B`, `Union[A, B]`, `Optional[A]` (flattened, `None` kept as a member).
    Union(Vec<Ty>),
    /// `Literal[...]`.
    Literal(Vec<Literal>),
    /// A Struct, dataclass, TypedDict or enum defined in the app.
    Model(ModelId),
    /// `Annotated[T, Meta(...)]` or a parameter marker's constraints.
    Constrained(Box<Ty>, Box<Constraints>),
    /// `msgspec.UnsetType`, in a union (`int | UnsetType = UNSET`): a
    /// Struct or dataclass field whose value is `msgspec.UNSET` is left out
    /// of the encoded object. It has no JSON form of its own.
    Unset,
    /// `prebake.Request`: the raw request.
    Request,
    /// `prebake.UploadFile`: a file of a `multipart/form-data` body.
    UploadFile,
    /// `prebake.Response`: built by the handler.
    Response,
    /// A type that failed to resolve; a diagnostic was already reported.
    Unknown,
}

impl Ty {
    /// A type at a span.
    pub fn new(kind: TyKind, span: Span) -> Self {
        Ty { kind, span }
    }

    /// The type with constraints peeled off.
    pub fn unconstrained(&self) -> &Ty {
        match &self.kind {
            TyKind::Constrained(inner, _) => inner.unconstrained(),
            _ => self,
        }
    }

    /// The constraints directly on this type, if any.
    pub fn constraints(&self) -> Option<&Constraints> {
        match &self.kind {
            TyKind::Constrained(_, c) => Some(c),
            _ => None,
        }
    }

    /// Whether `None` is accepted (an Optional or a union with None).
    pub fn is_optional(&self) -> bool {
        match &self.unconstrained().kind {
            TyKind::None | TyKind::Any => true,
            TyKind::Union(members) => members.iter().any(Ty::is_optional),
            _ => false,
        }
    }

    /// The type without `None` members (`int | None` gives `int`).
    pub fn without_none(&self) -> Ty {
        match &self.unconstrained().kind {
            TyKind::Union(members) => {
                let rest: Vec<Ty> = members
                    .iter()
                    .filter(|m| !matches!(m.unconstrained().kind, TyKind::None))
                    .cloned()
                    .collect();
                match rest.len() {
                    1 => rest.into_iter().next().unwrap_or_else(|| self.clone()),
                    _ => Ty::new(TyKind::Union(rest), self.span),
                }
            }
            _ => self.clone(),
        }
    }

    /// Whether a path/query/header/cookie string can convert into this type
    /// (a scalar, an enum, a literal, or an optional of one).
    pub fn is_scalar(&self, ir: &Ir) -> bool {
        match &self.unconstrained().kind {
            TyKind::Bool
            | TyKind::Int
            | TyKind::Float
            | TyKind::Str
            | TyKind::Bytes
            | TyKind::ByteArray
            | TyKind::MemoryView
            | TyKind::DateTime
            | TyKind::Date
            | TyKind::Time
            | TyKind::TimeDelta
            | TyKind::Uuid
            | TyKind::Decimal
            | TyKind::None
            | TyKind::Literal(_) => true,
            TyKind::Model(id) => ir.model(*id).is_enum(),
            TyKind::Union(members) => members.iter().all(|m| m.is_scalar(ir)),
            _ => false,
        }
    }

    /// Whether this is a sequence of scalars (`list[str]`, `set[int]`, ...), the
    /// types a repeated query parameter can fill.
    pub fn is_scalar_sequence(&self, ir: &Ir) -> bool {
        match &self.without_none().unconstrained().kind {
            TyKind::List(item)
            | TyKind::Set(item)
            | TyKind::FrozenSet(item)
            | TyKind::VarTuple(item) => item.is_scalar(ir),
            _ => false,
        }
    }

    /// How many levels of JSON arrays and objects msgspec reads for this
    /// type, at most, before it has either accepted a document or failed
    /// with its own error; `None` when nothing bounds it: `Any`, a bare
    /// container, a recursive model, and everywhere msgspec skips a value of
    /// any shape (an unknown field of a Struct without
    /// `forbid_unknown_fields`, of a dataclass or a TypedDict, the extra
    /// items of an `array_like` Struct (a NamedTuple refuses them), and the fields it passes over to
    /// find the tag of a union of tagged Structs).
    pub fn max_nesting(&self, ir: &Ir) -> Option<u32> {
        fn go(ty: &Ty, ir: &Ir, open: &mut Vec<ModelId>) -> Option<u32> {
            match &ty.kind {
                TyKind::Any
                | TyKind::Raw
                | TyKind::Unknown
                | TyKind::Request
                | TyKind::UploadFile
                | TyKind::Response => None,
                TyKind::None
                | TyKind::Bool
                | TyKind::Int
                | TyKind::Float
                | TyKind::Str
                | TyKind::Bytes
                | TyKind::ByteArray
                | TyKind::MemoryView
                | TyKind::DateTime
                | TyKind::Date
                | TyKind::Time
                | TyKind::TimeDelta
                | TyKind::Uuid
                | TyKind::Decimal
                | TyKind::Literal(_)
                | TyKind::Unset => Some(0),
                TyKind::List(t)
                | TyKind::Set(t)
                | TyKind::FrozenSet(t)
                | TyKind::VarTuple(t)
                | TyKind::Dict(_, t) => Some(1 + go(t, ir, open)?),
                TyKind::Tuple(items) => {
                    let mut deepest = 0;
                    for t in items {
                        deepest = deepest.max(go(t, ir, open)?);
                    }
                    Some(1 + deepest)
                }
                TyKind::Constrained(t, _) => go(t, ir, open),
                TyKind::Union(items) => {
                    let structs = items
                        .iter()
                        .filter(|t| {
                            matches!(&t.unconstrained().kind, TyKind::Model(id)
                                if matches!(ir.model(*id).kind, super::ModelKind::Struct(_)))
                        })
                        .count();
                    if structs > 1 {
                        return None;
                    }
                    let mut deepest = 0;
                    for t in items {
                        deepest = deepest.max(go(t, ir, open)?);
                    }
                    Some(deepest)
                }
                TyKind::Model(id) => {
                    let m = ir.model(*id);
                    match &m.kind {
                        super::ModelKind::Enum { .. } => return Some(0),
                        super::ModelKind::Struct(o) if o.forbid_unknown_fields => {}
                        // An item past the last field is refused before it is read.
                        super::ModelKind::NamedTuple => {}
                        _ => return None,
                    }
                    if open.contains(id) {
                        return None;
                    }
                    open.push(*id);
                    let mut deepest = 0;
                    for f in &m.fields {
                        match go(&f.ty, ir, open) {
                            Some(d) => deepest = deepest.max(d),
                            None => {
                                open.pop();
                                return None;
                            }
                        }
                    }
                    open.pop();
                    Some(1 + deepest)
                }
            }
        }
        go(self, ir, &mut Vec::new())
    }

    /// A text that is equal for two types exactly when they are the same
    /// type, wherever they were written (spans left out).
    pub fn key(&self) -> String {
        let keys = |items: &[Ty]| items.iter().map(Ty::key).collect::<Vec<_>>().join(",");
        match &self.kind {
            TyKind::List(t) => format!("list[{}]", t.key()),
            TyKind::Set(t) => format!("set[{}]", t.key()),
            TyKind::FrozenSet(t) => format!("frozenset[{}]", t.key()),
            TyKind::VarTuple(t) => format!("tuple[{},...]", t.key()),
            TyKind::Tuple(items) => format!("tuple[{}]", keys(items)),
            TyKind::Union(items) => format!("union[{}]", keys(items)),
            TyKind::Dict(k, v) => format!("dict[{},{}]", k.key(), v.key()),
            TyKind::Model(id) => format!("model[{}]", id.0),
            TyKind::Constrained(t, c) => {
                let mut c = (**c).clone();
                macro_rules! unspan {
                    ($($f:ident),*) => { $( if let Some(b) = &mut c.$f { b.span = Span::default(); } )* };
                }
                unspan!(
                    gt,
                    ge,
                    lt,
                    le,
                    multiple_of,
                    pattern,
                    min_length,
                    max_length,
                    tz
                );
                c.span = Span::default();
                format!("annotated[{},{c:?}]", t.key())
            }
            other => format!("{other:?}"),
        }
    }

    /// Renders the type as the user would write it in Python.
    pub fn display<'a>(&'a self, ir: &'a Ir) -> TyDisplay<'a> {
        TyDisplay { ty: self, ir }
    }
}

/// Python spelling of a [`Ty`].
pub struct TyDisplay<'a> {
    ty: &'a Ty,
    ir: &'a Ir,
}

impl fmt::Display for TyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ir = self.ir;
        let join = |f: &mut fmt::Formatter<'_>, items: &[Ty], sep: &str| -> fmt::Result {
            for (i, t) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{}", t.display(ir))?;
            }
            Ok(())
        };
        match &self.ty.kind {
            TyKind::Any => f.write_str("Any"),
            TyKind::None => f.write_str("None"),
            TyKind::Unset => f.write_str("UnsetType"),
            TyKind::Bool => f.write_str("bool"),
            TyKind::Int => f.write_str("int"),
            TyKind::Float => f.write_str("float"),
            TyKind::Str => f.write_str("str"),
            TyKind::Bytes => f.write_str("bytes"),
            TyKind::ByteArray => f.write_str("bytearray"),
            TyKind::MemoryView => f.write_str("memoryview"),
            TyKind::Raw => f.write_str("Raw"),
            TyKind::DateTime => f.write_str("datetime"),
            TyKind::Date => f.write_str("date"),
            TyKind::Time => f.write_str("time"),
            TyKind::TimeDelta => f.write_str("timedelta"),
            TyKind::Uuid => f.write_str("UUID"),
            TyKind::Decimal => f.write_str("Decimal"),
            TyKind::List(t) => write!(f, "list[{}]", t.display(ir)),
            TyKind::Set(t) => write!(f, "set[{}]", t.display(ir)),
            TyKind::FrozenSet(t) => write!(f, "frozenset[{}]", t.display(ir)),
            TyKind::VarTuple(t) => write!(f, "tuple[{}, ...]", t.display(ir)),
            TyKind::Tuple(items) if items.is_empty() => f.write_str("tuple[()]"),
            TyKind::Tuple(items) => {
                f.write_str("tuple[")?;
                join(f, items, ", ")?;
                f.write_str("]")
            }
            TyKind::Dict(k, v) => write!(f, "dict[{}, {}]", k.display(ir), v.display(ir)),
            TyKind::Union(items) => join(f, items, " | "),
            TyKind::Literal(values) => {
                f.write_str("Literal[")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            TyKind::Model(id) => {
                let m = ir.model(*id);
                f.write_str(&m.name)?;
                if let Some(g) = &m.generic {
                    f.write_str("[")?;
                    join(f, &g.args, ", ")?;
                    f.write_str("]")?;
                }
                Ok(())
            }
            TyKind::Constrained(inner, _) => write!(f, "Annotated[{}, ...]", inner.display(ir)),
            TyKind::Request => f.write_str("Request"),
            TyKind::UploadFile => f.write_str("UploadFile"),
            TyKind::Response => f.write_str("Response"),
            TyKind::Unknown => f.write_str("<unknown>"),
        }
    }
}

/// A value allowed in `Literal[...]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Literal {
    /// An integer.
    Int(i128),
    /// A string.
    Str(String),
    /// `True`/`False` (msgspec rejects these; kept so a check can say so).
    Bool(bool),
    /// `None`.
    None,
    /// Bytes (msgspec rejects these too).
    Bytes(Vec<u8>),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Bool(true) => f.write_str("True"),
            Literal::Bool(false) => f.write_str("False"),
            Literal::None => f.write_str("None"),
            Literal::Bytes(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
        }
    }
}

/// A number in a constraint.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// Written as an integer.
    Int(i128),
    /// Written as a float.
    Float(f64),
}

impl Number {
    /// The value as a float (for comparisons between bounds).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// One constraint value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound<T> {
    /// The value.
    pub value: T,
    /// The `name=value` keyword it came from.
    pub span: Span,
}

/// The `prebake` response classes a handler may return as built: each is
/// [`TyKind::Response`] (the front end's annotations and the checks'
/// literal returns read the same list).
pub const RESPONSE_CLASSES: &[&str] = &[
    "prebake.Response",
    "prebake.JSONResponse",
    "prebake.ORJSONResponse",
    "prebake.UJSONResponse",
    "prebake.HTMLResponse",
    "prebake.PlainTextResponse",
    "prebake.RedirectResponse",
    "prebake.FileResponse",
    "prebake.StreamingResponse",
];

/// The constraints of `msgspec.Meta` (and of the parameter markers).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Constraints {
    /// `gt=`.
    pub gt: Option<Bound<Number>>,
    /// `ge=`.
    pub ge: Option<Bound<Number>>,
    /// `lt=`.
    pub lt: Option<Bound<Number>>,
    /// `le=`.
    pub le: Option<Bound<Number>>,
    /// `multiple_of=`.
    pub multiple_of: Option<Bound<Number>>,
    /// `pattern=` (a Python regular expression, searched, not matched).
    pub pattern: Option<Bound<String>>,
    /// `min_length=`.
    pub min_length: Option<Bound<i128>>,
    /// `max_length=`.
    pub max_length: Option<Bound<i128>>,
    /// `tz=`: whether datetimes/times must be aware (True) or naive (False).
    pub tz: Option<Bound<bool>>,
    /// `title=`, `description=`, `examples=`, `extra_json_schema=`.
    pub docs: MetaDocs,
    /// Where the `Meta(...)`/marker call was written.
    pub span: Span,
}

/// The documentation keywords of `msgspec.Meta`, which reach the JSON
/// Schema (and the OpenAPI document) and nothing else. They never change
/// what a type accepts, so they take no part in comparing types: two
/// annotations that differ only in their descriptions are the same type.
#[derive(Clone, Debug, Default)]
pub struct MetaDocs {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `examples=`: a list.
    pub examples: Option<super::Value>,
    /// `extra_json_schema=`: a dict whose keys join the schema where the
    /// schema does not have them already.
    pub extra_json_schema: Option<super::Value>,
    /// A marker's `deprecated=True`: the parameter is marked deprecated in
    /// the document.
    pub deprecated: bool,
    /// A marker's `include_in_schema=False`: the parameter is served but
    /// left out of the document.
    pub hidden: bool,
}

impl PartialEq for MetaDocs {
    fn eq(&self, _: &MetaDocs) -> bool {
        true
    }
}

impl MetaDocs {
    /// Whether any key is set.
    pub fn is_set(&self) -> bool {
        self.title.is_some()
            || self.description.is_some()
            || self.examples.is_some()
            || self.extra_json_schema.is_some()
            || self.deprecated
            || self.hidden
    }

    /// Takes each key `other` sets (the outer `Meta` wins).
    pub fn merge(&mut self, other: &MetaDocs) {
        if other.title.is_some() {
            self.title.clone_from(&other.title);
        }
        if other.description.is_some() {
            self.description.clone_from(&other.description);
        }
        if other.examples.is_some() {
            self.examples.clone_from(&other.examples);
        }
        if other.extra_json_schema.is_some() {
            self.extra_json_schema.clone_from(&other.extra_json_schema);
        }
        self.deprecated |= other.deprecated;
        self.hidden |= other.hidden;
    }
}

impl Constraints {
    /// Whether no validating constraint is set (documentation-only keys do
    /// not count).
    pub fn is_empty(&self) -> bool {
        self.gt.is_none()
            && self.ge.is_none()
            && self.lt.is_none()
            && self.le.is_none()
            && self.multiple_of.is_none()
            && self.pattern.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.tz.is_none()
    }

    /// Merges `other` into `self`; later keys win. (msgspec refuses a key set
    /// twice; the front end reports that before merging.)
    pub fn merge(&mut self, other: &Constraints) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
        }
        take!(
            gt,
            ge,
            lt,
            le,
            multiple_of,
            pattern,
            min_length,
            max_length,
            tz
        );
        self.docs.merge(&other.docs);
    }
}
