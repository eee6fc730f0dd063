//! PB027 `invalid-parameter-source`: a marker that binds a type its part of
//! the request cannot carry.
#![doc = include_str!("../../../../docs/diagnostics/PB027.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ParamSource, TyKind};

/// Reports `Query()` or `Header()` on a model or dict (a query string and
/// headers hold text and repeated text), `Cookie()` on anything but a
/// scalar, and any marker on a `Request` parameter.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        for p in crate::check::walk::request_params(route) {
            let Some(marker) = p.marker_span else {
                continue;
            };
            let ty = p.ty.unconstrained();
            if matches!(ty.kind, TyKind::Unknown) {
                continue;
            }
            if p.source == ParamSource::Request {
                sink.report(
                    Diagnostic::new(
                        Code::PB027,
                        marker,
                        format!("`Request` parameter `{}` takes no marker", p.name),
                    )
                    .with_label("ignored")
                    .with_note("a parameter typed `Request` always receives the whole request")
                    .with_help("remove the marker"),
                );
                continue;
            }
            let scalar = p.ty.is_scalar(ctx.ir) || matches!(ty.without_none().kind, TyKind::Any);
            let (ok, what, help) = match p.source {
                ParamSource::Query => (
                    scalar || p.ty.is_scalar_sequence(ctx.ir),
                    "a query parameter is text, or repeated text for a list",
                    "remove the marker to read it from the JSON body",
                ),
                ParamSource::Header => (
                    scalar || p.ty.is_scalar_sequence(ctx.ir),
                    "a header is one string, or one string per line of a repeated header for a list (comma-separated values are not split)",
                    "use `str` and parse the value in the handler",
                ),
                ParamSource::Cookie => (
                    scalar,
                    "a cookie is one string",
                    "use `str` and parse the value in the handler",
                ),
                _ => continue,
            };
            if ok {
                continue;
            }
            let source = p.source.as_str();
            sink.report(
                Diagnostic::new(
                    Code::PB027,
                    p.ty.span,
                    format!(
                        "{source} parameter `{}` cannot be `{}`",
                        p.name,
                        ty.display(ctx.ir)
                    ),
                )
                .with_label(format!("not convertible from a {source} value"))
                .with_secondary(marker, format!("bound to the {source} here"))
                .with_note(what)
                .with_help(help),
            );
        }
    }
}
