//! PB052 `optional-without-default`: a parameter typed `X | None` without a
//! default, which is still required.
#![doc = include_str!("../../../../docs/diagnostics/PB052.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ParamSource, TyKind};

/// Warns about optional query, header, cookie and body parameters that have
/// no default.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        for p in crate::check::walk::request_params(route) {
            if p.default.is_some() || matches!(p.source, ParamSource::Path | ParamSource::Request) {
                continue;
            }
            if matches!(p.ty.unconstrained().kind, TyKind::Any | TyKind::Unknown)
                || !p.ty.is_optional()
            {
                continue;
            }
            let absent = match p.source {
                ParamSource::Body => "a request without a body gets 400".to_string(),
                other => format!("a request without this {} value gets 400", other.as_str()),
            };
            sink.report(
                Diagnostic::new(
                    Code::PB052,
                    p.name_span,
                    format!("optional parameter `{}` has no default", p.name),
                )
                .with_label("still required")
                .with_secondary(p.ty.span, "`None` is allowed here, but absence is not")
                .with_note(format!(
                    "{absent}; `| None` only admits an explicit null (FastAPI behaves the same)"
                ))
                .with_help(format!("add a default: `{} = None`", ctx.text(p.span))),
            );
        }
    }
}
