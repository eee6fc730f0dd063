//! PB044 `invalid-dict-key`: a dict key type that JSON object keys cannot
//! carry.
//!
//! JSON object keys are strings. msgspec parses them into `str`, `int`,
//! `float`, enums, `Literal`s, `UUID`, `datetime`, `date`, `time`,
//! `timedelta`, `Decimal` or `bytes`, and writes those back as strings. It
//! accepts a `bool`, `None`, tuple, frozenset or model key type when it
//! builds the decoder, but then no key ever decodes, and encoding such a dict
//! raises `TypeError: Only dicts with str-like or number-like keys are
//! supported`.
#![doc = include_str!("../../../../docs/diagnostics/PB044.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, Literal, Ty, TyKind};

/// Reports each dict whose key type (or a member of it) is not one of the
/// types above.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (_, ty) in walk::all_types(ctx.ir) {
        let TyKind::Dict(key, _) = &ty.kind else {
            continue;
        };
        let Some(bad) = walk::members(key)
            .into_iter()
            .find(|m| !valid_key(ctx.ir, m))
        else {
            continue;
        };
        let shown = bad.display(ctx.ir).to_string();
        let help = match &bad.kind {
            TyKind::Bool => "use `str` keys (`\"true\"`/`\"false\"`) or a `Literal` of strings",
            TyKind::None => "remove `None` from the key type",
            TyKind::Tuple(_) | TyKind::VarTuple(_) => {
                "join the parts into a `str` key, or send a list of pairs"
            }
            TyKind::Model(_) => "key the dict by a field of the model (an `int` id, a `str` name)",
            _ => "use `str` keys",
        };
        sink.report(
            Diagnostic::new(
                Code::PB044,
                bad.span,
                format!("`{shown}` cannot be a JSON object key"),
            )
            .with_label("not a str-like or number-like type")
            .with_note("JSON object keys are strings; msgspec reads them as `str`, `int`, `float`, enums, `Literal`s, `UUID`, dates and times, `Decimal` or `bytes`")
            .with_note(if matches!(bad.kind, TyKind::None) {
                "encoding a dict with a `None` key raises TypeError"
            } else {
                "with this key type no request decodes, and encoding such a dict raises TypeError"
            })
            .with_help(help),
        );
    }
}

fn valid_key(ir: &Ir, ty: &Ty) -> bool {
    match &ty.unconstrained().kind {
        TyKind::Str
        | TyKind::Int
        | TyKind::Float
        | TyKind::Uuid
        | TyKind::DateTime
        | TyKind::Date
        | TyKind::Time
        | TyKind::TimeDelta
        | TyKind::Decimal
        | TyKind::Bytes
        | TyKind::Any
        | TyKind::Unknown => true,
        TyKind::Literal(values) => values
            .iter()
            .all(|v| matches!(v, Literal::Str(_) | Literal::Int(_))),
        TyKind::Model(id) => ir.model(*id).is_enum(),
        _ => false,
    }
}
