//! PB024 `constraint-type-mismatch`: a constraint on a type it does not
//! apply to, which msgspec rejects with a `TypeError` when it builds the
//! decoder.
#![doc = include_str!("../../../../docs/diagnostics/PB024.md")]

use crate::check::constraint::{self, Class};
use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::TyKind;

/// Reports each constraint key whose family does not apply to the type it
/// annotates (see [`Class::applies_to`]).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (site, ty) in walk::all_types(ctx.ir) {
        let TyKind::Constrained(inner, c) = &ty.kind else {
            continue;
        };
        for key in constraint::keys(c) {
            let target = constraint::target(site, inner, key.span);
            if matches!(target.kind, TyKind::Unknown) || key.class.applies_to(&target.kind) {
                continue;
            }
            let shown = target.display(ctx.ir).to_string();
            let mut d = Diagnostic::new(
                Code::PB024,
                key.span,
                format!("`{}` does not apply to `{shown}`", key.name),
            )
            .with_label(format!("constrains `{shown}`"))
            .with_secondary(inner.span, "this type")
            .with_note(if site.marker_span().is_some_and(|m| crate::check::contains(m, key.span)) {
                format!(
                    "`{}` applies to {}; a marker's constraints mean what they mean in `msgspec.Meta`",
                    key.name,
                    key.class.targets()
                )
            } else {
                format!(
                    "`{}` applies to {}; msgspec raises TypeError when it builds a decoder for this type",
                    key.name,
                    key.class.targets()
                )
            });
            let help = match (&target.kind, key.class) {
                (TyKind::Union(_), _)
                    if !matches!(target.without_none().kind, TyKind::Union(_)) =>
                {
                    Some(format!(
                        "put the constraint on the member it is for: `Annotated[{}, Meta({}=...)] | None`",
                        target.without_none().display(ctx.ir),
                        key.name
                    ))
                }
                (TyKind::Union(_), _) => {
                    Some("put the constraint on the union member it is for".to_string())
                }
                (
                    TyKind::Str | TyKind::Bytes | TyKind::List(_) | TyKind::Dict(..),
                    Class::Numeric,
                ) => Some("use `min_length`/`max_length` to bound a length".to_string()),
                (TyKind::Int | TyKind::Float, Class::Length) => {
                    Some("use `ge`/`le` to bound a number".to_string())
                }
                (TyKind::Tuple(items), Class::Length) => Some(format!(
                    "a `tuple` of {} items has a fixed length; use `tuple[T, ...]` for a variable one",
                    items.len()
                )),
                _ => None,
            };
            if let Some(h) = help {
                d = d.with_help(h);
            }
            sink.report(d);
        }
    }
}
