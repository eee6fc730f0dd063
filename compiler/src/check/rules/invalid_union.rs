//! PB043 `invalid-union`: a union msgspec refuses to decode.
//!
//! msgspec picks a union member by the kind of JSON token it reads, never by
//! trial, so a union may hold at most one member of each kind: one str-like
//! type (`str` and string `Literal`s count as one; each str enum, `datetime`,
//! `date`, `time`, `timedelta`, `UUID`, `Decimal`, `bytes`, `bytearray`
//! count apart), one int-like type (`int` and int `Literal`s as one; each int
//! enum apart), one array-like type (list, set, frozenset, tuple, a
//! NamedTuple, an `array_like` Struct) and one dict-like type (dict, TypedDict, dataclass,
//! Struct). Several Structs of one kind are allowed when all are tagged;
//! PB047 checks that case.
#![doc = include_str!("../../../../docs/diagnostics/PB043.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, Literal, ModelKind, Ty, TyKind, ValueKind};

/// A JSON kind a union member is read from, and the category that must be
/// unique within it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Str,
    Int,
    Array,
    Object,
}

/// Two members conflict when they share a kind but not a category.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Category {
    /// `str` and string literals; `int` and int literals.
    Plain,
    /// A Struct (several may be allowed, if tagged).
    Struct,
    /// Anything else, by its spelling.
    Other(String),
}

fn classify(ir: &Ir, ty: &Ty) -> Vec<(Kind, Category)> {
    let ty = ty.unconstrained();
    let other = |k| vec![(k, Category::Other(ty.display(ir).to_string()))];
    match &ty.kind {
        TyKind::Str => vec![(Kind::Str, Category::Plain)],
        // No JSON form: an UNSET field is left out of the object.
        TyKind::Unset => vec![],
        // Any JSON value, as its bytes: msgspec lets it join any union.
        TyKind::Raw => vec![],
        TyKind::Int => vec![(Kind::Int, Category::Plain)],
        TyKind::DateTime
        | TyKind::Date
        | TyKind::Time
        | TyKind::TimeDelta
        | TyKind::Uuid
        | TyKind::Decimal
        | TyKind::Bytes
        | TyKind::ByteArray
        | TyKind::MemoryView => other(Kind::Str),
        TyKind::Literal(values) => {
            let mut out = Vec::new();
            if values.iter().any(|v| matches!(v, Literal::Str(_))) {
                out.push((Kind::Str, Category::Plain));
            }
            if values.iter().any(|v| matches!(v, Literal::Int(_))) {
                out.push((Kind::Int, Category::Plain));
            }
            out
        }
        TyKind::List(_)
        | TyKind::Set(_)
        | TyKind::FrozenSet(_)
        | TyKind::VarTuple(_)
        | TyKind::Tuple(_) => other(Kind::Array),
        TyKind::Dict(..) => other(Kind::Object),
        TyKind::Model(id) => {
            let m = ir.model(*id);
            match &m.kind {
                ModelKind::Struct(o) if o.array_like => vec![(Kind::Array, Category::Struct)],
                ModelKind::Struct(_) => vec![(Kind::Object, Category::Struct)],
                ModelKind::Dataclass(_) | ModelKind::TypedDict { .. } => other(Kind::Object),
                // Each NamedTuple class apart: msgspec takes one per union.
                ModelKind::NamedTuple => other(Kind::Array),
                ModelKind::Enum { members, .. } => {
                    let ints = members
                        .iter()
                        .all(|x| matches!(x.value.kind, ValueKind::Int(_)));
                    let strs = members
                        .iter()
                        .all(|x| matches!(x.value.kind, ValueKind::Str(_)));
                    match (ints, strs) {
                        (true, false) => other(Kind::Int),
                        (false, true) => other(Kind::Str),
                        // Empty or mixed: PB045.
                        _ => Vec::new(),
                    }
                }
            }
        }
        _ => Vec::new(),
    }
}

/// Reports the first member of each union that conflicts with an earlier one.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (_, ty) in walk::all_types(ctx.ir) {
        let TyKind::Union(members) = &ty.kind else {
            continue;
        };
        let mut seen: Vec<(Kind, Category, &Ty)> = Vec::new();
        'members: for m in members {
            for (kind, cat) in classify(ctx.ir, m) {
                let clash = seen.iter().find(|(k, c, _)| {
                    *k == kind && !(*c == cat && matches!(cat, Category::Plain | Category::Struct))
                });
                if let Some((_, _, first)) = clash {
                    report(ctx, kind, first, m, sink);
                    break 'members;
                }
                seen.push((kind, cat, m));
            }
        }
    }
}

fn report(ctx: &Ctx<'_>, kind: Kind, first: &Ty, second: &Ty, sink: &mut Sink) {
    let (what, list, help) = match kind {
        Kind::Str => (
            "str-like",
            "`str`, enums, string `Literal`s, `datetime`, `date`, `time`, `timedelta`, `UUID`, `Decimal`, `bytes`",
            "keep one of them; parse the other in the handler",
        ),
        Kind::Int => (
            "int-like",
            "`int`, int enums and int `Literal`s",
            "keep one of them",
        ),
        Kind::Array => (
            "array-like",
            "lists, sets, tuples, NamedTuples and `array_like` Structs",
            "keep one of them",
        ),
        Kind::Object => (
            "dict-like",
            "dicts, Structs, dataclasses and TypedDicts",
            "use Structs with `tag=True` to mix object types",
        ),
    };
    let (a, b) = (
        first.unconstrained().display(ctx.ir).to_string(),
        second.unconstrained().display(ctx.ir).to_string(),
    );
    sink.report(
        Diagnostic::new(
            Code::PB043,
            second.span,
            format!("union has more than one {what} type: `{a}` and `{b}`"),
        )
        .with_label(format!("second {what} member"))
        .with_secondary(first.span, format!("first {what} member"))
        .with_note(format!(
            "msgspec chooses a member by JSON token kind and allows one of {list}; it raises TypeError when it builds the decoder"
        ))
        .with_help(help),
    );
}
