//! PB012 `marker-on-path-parameter`: a parameter named after a path
//! placeholder whose marker binds it to another part of the request.
#![doc = include_str!("../../../../docs/diagnostics/PB012.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Reports `Query()`, `Header()`, `Cookie()` or `Body()` on a parameter that
/// a placeholder names.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        for (name, _, placeholder) in route.path.params() {
            let Some(p) = crate::check::walk::request_params(route)
                .into_iter()
                .find(|p| p.name == name)
            else {
                continue;
            };
            let Some(marker) = p.marker_span else {
                continue;
            };
            if matches!(p.source, ParamSource::Path | ParamSource::Request) {
                continue;
            }
            let source = p.source.as_str();
            sink.report(
                Diagnostic::new(
                    Code::PB012,
                    marker,
                    format!("path parameter `{name}` is bound to the {source}"),
                )
                .with_label(format!("reads `{name}` from the {source}"))
                .with_secondary(placeholder, "but the path has this placeholder")
                .with_note("a parameter named after a placeholder is read from the path; a marker cannot move it")
                .with_help(format!(
                    "remove the marker, or rename the parameter or the placeholder `{{{name}}}`"
                )),
            );
        }
    }
}
