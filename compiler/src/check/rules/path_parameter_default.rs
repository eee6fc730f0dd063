//! PB056 `path-parameter-default`: a default on a path parameter, which can
//! never be used.
#![doc = include_str!("../../../../docs/diagnostics/PB056.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Warns about path parameters with a default.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        for p in crate::check::walk::request_params(route) {
            let (ParamSource::Path, Some(default)) = (p.source, &p.default) else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB056,
                    default.span,
                    format!("path parameter `{}` has a default", p.name),
                )
                .with_label("never used")
                .with_note("the route matches only when the path has the segment, so the parameter always has a value")
                .with_help("remove the default, or add a second route without the placeholder"),
            );
        }
    }
}
