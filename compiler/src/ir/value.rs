//! Constant expressions read from source: defaults, literal return values,
//! decorator arguments. Anything that is not a constant is kept as its source
//! text so checks can still point at it.

use crate::source::Span;

/// A constant expression and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// What it is.
    pub kind: ValueKind,
    /// Where it was written.
    pub span: Span,
}

/// The constant forms the compiler evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer literal (Python ints past 128 bits are kept as text).
    Int(i128),
    /// An integer too large for `i128`, as its decimal text.
    BigInt(String),
    /// A float literal.
    Float(f64),
    /// A string literal.
    Str(String),
    /// A bytes literal.
    Bytes(Vec<u8>),
    /// `[...]`.
    List(Vec<Value>),
    /// `(...)`.
    Tuple(Vec<Value>),
    /// `{a, b}`.
    Set(Vec<Value>),
    /// `{k: v}`.
    Dict(Vec<(Value, Value)>),
    /// A dotted name resolved to its qualified form (`enum member`:
    /// `models.Color.RED`; `msgspec.UNSET`).
    Name(String),
    /// A call to a resolved callee (`msgspec.field(default_factory=list)`,
    /// `datetime.date(2020, 1, 1)`): the callee's qualified name, positional
    /// and keyword arguments.
    Call {
        /// Qualified name of the callee.
        callee: String,
        /// Positional arguments.
        args: Vec<Value>,
        /// Keyword arguments.
        kwargs: Vec<(String, Value)>,
    },
    /// Anything else: an expression that is not a constant, kept as text.
    Other(String),
}

impl Value {
    /// A value at a span.
    pub fn new(kind: ValueKind, span: Span) -> Self {
        Value { kind, span }
    }

    /// A short description of the value's Python type for messages
    /// (`int`, `str`, `list`).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            ValueKind::None => "None",
            ValueKind::Bool(_) => "bool",
            ValueKind::Int(_) | ValueKind::BigInt(_) => "int",
            ValueKind::Float(_) => "float",
            ValueKind::Str(_) => "str",
            ValueKind::Bytes(_) => "bytes",
            ValueKind::List(_) => "list",
            ValueKind::Tuple(_) => "tuple",
            ValueKind::Set(_) => "set",
            ValueKind::Dict(_) => "dict",
            ValueKind::Name(_) => "name",
            ValueKind::Call { .. } => "call",
            ValueKind::Other(_) => "expression",
        }
    }

    /// The string, if this is a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer literal.
    pub fn as_int(&self) -> Option<i128> {
        match &self.kind {
            ValueKind::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The bool, if this is `True` or `False`.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            ValueKind::Bool(b) => Some(*b),
            _ => None,
        }
    }
}
