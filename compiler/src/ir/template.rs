//! Template routes: a route with `template="page.html"` renders the model its
//! handler returns with an askama template compiled into the binary.
//!
//! The template sees the model's fields as variables. [`TplTy`] is the view
//! of a field's type that both the checker (what a name may be used as) and
//! the code generator (the Rust field it becomes) share, so the two never
//! disagree about what a template can render.

use super::{EnumFlavor, Ir, ModelId, ModelKind, Ty, TyKind, ValueKind};
use crate::source::{FileId, Span};

/// One route that renders a template.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteTemplate {
    /// Index of the route in [`Ir::routes`].
    pub route: usize,
    /// The template's path as written, relative to the templates folder.
    pub path: String,
    /// The `template=` value in the decorator.
    pub span: Span,
    /// The model the handler returns (a Struct, dataclass or TypedDict).
    pub model: ModelId,
    /// The template file, when it was found.
    pub file: Option<FileId>,
}

/// What a model field is to a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TplTy {
    /// `str`, a `Literal` of strings, or an enum with string values (its value).
    Str,
    /// `int`, a `Literal` of ints, or an enum with int values (its value).
    Int,
    /// `float`: rendered as Python's `str()` writes it.
    Float,
    /// `bool`.
    Bool,
    /// Dates, times, UUIDs and decimals: rendered as Python's `str()` of
    /// the value, read once.
    Text,
    /// `T | None`: an askama `Option`.
    Opt(Box<TplTy>),
    /// `list[T]`, `tuple[T, ...]`, `set[T]`, `frozenset[T]`: a `Vec`.
    List(Box<TplTy>),
    /// A nested Struct, dataclass or TypedDict.
    Model(ModelId),
    /// Anything else (`dict`, `Any`, unions, fixed tuples, bytes): not
    /// available to templates; the reason is in the string.
    Unsupported(String),
}

impl TplTy {
    /// The view of `ty`.
    pub fn of(ir: &Ir, ty: &Ty) -> TplTy {
        let ty = ty.unconstrained();
        if ty.is_optional() && !matches!(ty.kind, TyKind::None | TyKind::Any) {
            let inner = ty.without_none();
            if inner.is_optional() {
                return TplTy::Unsupported("a union with None".into());
            }
            return match TplTy::of(ir, &inner) {
                u @ TplTy::Unsupported(_) => u,
                t => TplTy::Opt(Box::new(t)),
            };
        }
        match &ty.kind {
            TyKind::Str => TplTy::Str,
            TyKind::Int => TplTy::Int,
            TyKind::Float => TplTy::Float,
            TyKind::Bool => TplTy::Bool,
            TyKind::DateTime
            | TyKind::Date
            | TyKind::Time
            | TyKind::TimeDelta
            | TyKind::Uuid
            | TyKind::Decimal => TplTy::Text,
            TyKind::Literal(values) => {
                let all_str = values.iter().all(|l| matches!(l, super::Literal::Str(_)));
                let all_int = values.iter().all(|l| matches!(l, super::Literal::Int(_)));
                if all_str {
                    TplTy::Str
                } else if all_int {
                    TplTy::Int
                } else {
                    TplTy::Unsupported("a Literal mixing kinds of values".into())
                }
            }
            TyKind::List(item)
            | TyKind::Set(item)
            | TyKind::FrozenSet(item)
            | TyKind::VarTuple(item) => match TplTy::of(ir, item) {
                u @ TplTy::Unsupported(_) => u,
                t => TplTy::List(Box::new(t)),
            },
            TyKind::Model(id) => {
                let m = ir.model(*id);
                match &m.kind {
                    ModelKind::Enum { flavor, members } => {
                        let str_values = members
                            .iter()
                            .all(|x| matches!(x.value.kind, ValueKind::Str(_)));
                        let int_values = members
                            .iter()
                            .all(|x| matches!(x.value.kind, ValueKind::Int(_)));
                        match flavor {
                            _ if members.is_empty() => {
                                TplTy::Unsupported("an enum without members".into())
                            }
                            EnumFlavor::Flag => TplTy::Unsupported("a Flag enum".into()),
                            _ if str_values => TplTy::Str,
                            _ if int_values => TplTy::Int,
                            _ => TplTy::Unsupported("an enum mixing kinds of values".into()),
                        }
                    }
                    ModelKind::NamedTuple => TplTy::Unsupported("a NamedTuple".into()),
                    _ => TplTy::Model(*id),
                }
            }
            TyKind::Dict(..) => TplTy::Unsupported("a dict".into()),
            TyKind::Any => TplTy::Unsupported("`Any`".into()),
            TyKind::Bytes | TyKind::ByteArray => TplTy::Unsupported("bytes".into()),
            TyKind::Tuple(_) => TplTy::Unsupported("a fixed-length tuple".into()),
            TyKind::Union(_) => TplTy::Unsupported("a union".into()),
            _ => TplTy::Unsupported("this type".into()),
        }
    }

    /// The model a value of this type is, through `Option`s.
    pub fn model(&self) -> Option<ModelId> {
        match self {
            TplTy::Model(id) => Some(*id),
            _ => None,
        }
    }

    /// How the type reads in messages.
    pub fn describe(&self, ir: &Ir) -> String {
        match self {
            TplTy::Str => "str".into(),
            TplTy::Int => "int".into(),
            TplTy::Float => "float".into(),
            TplTy::Bool => "bool".into(),
            TplTy::Text => "a date, time, UUID or decimal (rendered as text)".into(),
            TplTy::Opt(t) => format!("{} | None", t.describe(ir)),
            TplTy::List(t) => format!("list[{}]", t.describe(ir)),
            TplTy::Model(id) => ir.model(*id).name.clone(),
            TplTy::Unsupported(why) => why.clone(),
        }
    }
}

/// The template route of route `index`, if it has one.
pub fn of_route(ir: &Ir, index: usize) -> Option<&RouteTemplate> {
    ir.templates.iter().find(|t| t.route == index)
}

/// Whether model `id` can be given to a template (a Struct, dataclass or
/// TypedDict, not generic).
pub fn is_template_model(ir: &Ir, id: ModelId) -> bool {
    !ir.model(id).is_enum()
}
