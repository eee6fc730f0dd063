//! PB015 `invalid-path-parameter-type`: a path parameter whose type cannot
//! be converted from the text of one path segment.
#![doc = include_str!("../../../../docs/diagnostics/PB015.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ParamSource, TyKind};

/// Reports path parameters typed as a model, a container or `Request`.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        for p in &route.handler.params {
            if p.source != ParamSource::Path || !p.annotated {
                continue;
            }
            let ty = p.ty.unconstrained();
            if matches!(ty.kind, TyKind::Unknown | TyKind::Any) || p.ty.is_scalar(ctx.ir) {
                continue;
            }
            let Some((_, _, placeholder)) = route.path.params().find(|(n, _, _)| *n == p.name)
            else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB015,
                    p.ty.span,
                    format!(
                        "path parameter `{}` cannot be `{}`",
                        p.name,
                        ty.display(ctx.ir)
                    ),
                )
                .with_label("not convertible from a path segment")
                .with_secondary(placeholder, "the value comes from this placeholder")
                .with_note("a path segment is text; it converts to a scalar (`str`, `int`, `float`, `bool`, `UUID`, a date or time, an enum or a `Literal`)")
                .with_help("use a scalar type, or send structured data in the JSON body"),
            );
        }
    }
}
