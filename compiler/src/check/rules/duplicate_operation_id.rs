//! PB090 `duplicate-operation-id`: two operations of the OpenAPI document
//! with one `operationId`.
#![doc = include_str!("../../../../docs/diagnostics/PB090.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::openapi;

/// Reports each documented operation whose id an earlier one has.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let mut seen: Vec<(String, crate::source::Span)> = Vec::new();
    for r in ctx.ir.routes.iter().filter(|r| openapi::in_schema(r)) {
        let span = r
            .keyword("operation_id")
            .map_or(r.decorator_span, |v| v.span);
        for m in openapi::documented_methods(r) {
            let id = openapi::operation_id(r, m);
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
                sink.report(
                    Diagnostic::new(
                        Code::PB090,
                        span,
                        format!("operation id `{id}` is already used"),
                    )
                    .with_label(format!("{m} {} has this `operationId`", r.path.raw))
                    .with_secondary(*first, "first used here")
                    .with_note("the OpenAPI document needs a unique `operationId` per operation: clients generated from it name their functions after it")
                    .with_help("pass a unique `operation_id=` to the decorator, or rename the handler"),
                );
            } else {
                seen.push((id, span));
            }
        }
    }
}
