//! PB015 `invalid-path-parameter-type`: a path parameter whose type cannot
//! be converted from the text of one path segment.
#![doc = include_str!("../../../../docs/diagnostics/PB015.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ParamSource, PathSegment, Route, TyKind};

/// Reports path parameters typed as a model, a container or `Request`, and
/// placeholders whose converter (`{id:int}`) disagrees with the annotation.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        converters(ctx, route, sink);
        for p in crate::check::walk::request_params(route) {
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

/// `{id:int}` with `id: str`: the template says one type, the annotation
/// (which decides the conversion) another.
fn converters(ctx: &Ctx<'_>, route: &Route, sink: &mut Sink) {
    for seg in &route.path.segments {
        let PathSegment::Param {
            name,
            converter: Some((conv, conv_span)),
            ..
        } = seg
        else {
            continue;
        };
        let Some(p) = crate::check::walk::request_params(route)
            .into_iter()
            .find(|p| p.name == *name)
        else {
            continue;
        };
        if !p.annotated || p.source != ParamSource::Path {
            continue;
        }
        let bare = p.ty.without_none();
        let ty = bare.unconstrained();
        if matches!(ty.kind, TyKind::Unknown | TyKind::Any) || conv.agrees_with(&ty.kind) {
            continue;
        }
        sink.report(
            Diagnostic::new(
                Code::PB015,
                p.ty.span,
                format!(
                    "path parameter `{name}` is `{}`, but its placeholder converts to `{}`",
                    p.ty.display(ctx.ir),
                    conv.annotation()
                ),
            )
            .with_label("annotated here")
            .with_secondary(*conv_span, "converter")
            .with_note(
                "the annotation decides how the segment converts; the converter only restates it",
            )
            .with_help(format!(
                "annotate `{name}: {}`, or drop the converter: `{{{name}}}`",
                conv.annotation()
            )),
        );
    }
}
