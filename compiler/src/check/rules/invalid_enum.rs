//! PB045 `invalid-enum` (the checks over whole enums; the front end checks
//! each member's value): an enum with no members, or one that mixes int and
//! str values.
#![doc = include_str!("../../../../docs/diagnostics/PB045.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ModelKind, ValueKind};

/// Reports enums msgspec refuses when it builds a decoder.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for model in &ctx.ir.models {
        let ModelKind::Enum { members, .. } = &model.kind else {
            continue;
        };
        let Some(first) = members.first() else {
            sink.report(
                Diagnostic::new(
                    Code::PB045,
                    model.name_span,
                    format!("enum `{}` has no members", model.name),
                )
                .with_label("empty")
                .with_note("msgspec raises TypeError: Enum types must have at least one item")
                .with_help("add a member, or use a different type"),
            );
            continue;
        };
        let is_int = |k: &ValueKind| matches!(k, ValueKind::Int(_));
        let is_str = |k: &ValueKind| matches!(k, ValueKind::Str(_));
        if !is_int(&first.value.kind) && !is_str(&first.value.kind) {
            continue;
        }
        let Some(odd) = members.iter().find(|m| {
            (is_int(&m.value.kind) && is_str(&first.value.kind))
                || (is_str(&m.value.kind) && is_int(&first.value.kind))
        }) else {
            continue;
        };
        sink.report(
            Diagnostic::new(
                Code::PB045,
                odd.value.span,
                format!("enum `{}` mixes int and str values", model.name),
            )
            .with_label(format!("{} value", odd.value.type_name()))
            .with_secondary(
                first.value.span,
                format!("{} value", first.value.type_name()),
            )
            .with_note(
                "msgspec raises TypeError: Enums must contain either all str or all int values",
            )
            .with_help(format!(
                "make every value of `{}` {}",
                model.name,
                if is_int(&first.value.kind) {
                    "an int"
                } else {
                    "a str"
                }
            )),
        );
    }
}
