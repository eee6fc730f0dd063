//! PB027 `invalid-parameter-source`: a marker that binds a type its part of
//! the request cannot carry.
#![doc = include_str!("../../../../docs/diagnostics/PB027.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ModelKind, Param, ParamSource, Ty, TyKind};
use crate::source::Span;

/// Reports `Query()` or `Header()` on a dict (a query string and headers
/// hold text and repeated text), `Cookie()` on anything but a scalar, and
/// any marker on a `Request` parameter; on a parameter model
/// (`Annotated[Model, Query()]`), a NamedTuple or a field its part of the
/// request cannot carry, at the field.
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
            if p.param_model(ctx.ir).is_some() {
                model_fields(ctx, p, marker, sink);
                continue;
            }
            let Some((ok, what, help)) = fits(ctx, p.source, &p.ty) else {
                continue;
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

/// Whether a value of type `ty` can come from `source` (`None` for the
/// sources this rule does not judge), with what that part of the request
/// holds and what to do instead.
fn fits(ctx: &Ctx<'_>, source: ParamSource, ty: &Ty) -> Option<(bool, &'static str, &'static str)> {
    let scalar =
        ty.is_scalar(ctx.ir) || matches!(ty.unconstrained().without_none().kind, TyKind::Any);
    Some(match source {
        ParamSource::Query => (
            scalar || ty.is_scalar_sequence(ctx.ir),
            "a query parameter is text, or repeated text for a list",
            "remove the marker to read it from the JSON body",
        ),
        ParamSource::Header => (
            scalar || ty.is_scalar_sequence(ctx.ir),
            "a header is one string, or one string per line of a repeated header for a list (comma-separated values are not split)",
            "use `str` and parse the value in the handler",
        ),
        ParamSource::Cookie => (
            scalar,
            "a cookie is one string",
            "use `str` and parse the value in the handler",
        ),
        _ => return None,
    })
}

/// A parameter model: a NamedTuple (msgspec builds one from an array, not
/// from named values) or a field its source cannot carry, reported at the
/// field.
fn model_fields(ctx: &Ctx<'_>, p: &Param, marker: Span, sink: &mut Sink) {
    let source = p.source.as_str();
    let Some(id) = p.param_model(ctx.ir) else {
        return;
    };
    let model = ctx.ir.model(id);
    if matches!(model.kind, ModelKind::NamedTuple) {
        sink.report(
            Diagnostic::new(
                Code::PB027,
                p.ty.span,
                format!(
                    "{source} parameter model `{}` cannot be a NamedTuple",
                    model.name
                ),
            )
            .with_label("a NamedTuple is built from an array, not from named values")
            .with_secondary(marker, format!("bound to the {source} here"))
            .with_help("declare it as a `msgspec.Struct`, a dataclass or a TypedDict"),
        );
        return;
    }
    for f in &model.fields {
        if matches!(f.ty.unconstrained().kind, TyKind::Unknown) {
            continue;
        }
        let Some((false, what, _)) = fits(ctx, p.source, &f.ty) else {
            continue;
        };
        let help = if p.source == ParamSource::Cookie {
            "use `str` and parse the value in the handler"
        } else {
            "use a scalar or a list of scalars; objects come from the JSON body"
        };
        sink.report(
            Diagnostic::new(
                Code::PB027,
                f.ty.span,
                format!(
                    "field `{}` of {source} parameter model `{}` cannot be `{}`",
                    f.name,
                    model.name,
                    f.ty.unconstrained().display(ctx.ir)
                ),
            )
            .with_label(format!("not convertible from a {source} value"))
            .with_secondary(
                marker,
                format!("`{}` is read from the {source} here", p.name),
            )
            .with_note(what)
            .with_help(help),
        );
    }
}
