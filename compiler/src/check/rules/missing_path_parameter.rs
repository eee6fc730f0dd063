//! PB011 `missing-path-parameter`: a `{name}` placeholder that no handler
//! parameter receives.
#![doc = include_str!("../../../../docs/diagnostics/PB011.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Reports each placeholder whose name is not a parameter of the handler.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        let h = &route.handler;
        let params = crate::check::walk::request_params(route);
        for (name, catch_all, span) in route.path.params() {
            if params.iter().any(|p| p.name == name) {
                // Bound by name; a marker that sends it elsewhere is PB012.
                continue;
            }
            let text = if catch_all {
                format!("{{{name}:path}}")
            } else {
                format!("{{{name}}}")
            };
            let mut d = Diagnostic::new(
                Code::PB011,
                span,
                format!("path placeholder `{text}` has no parameter"),
            )
            .with_label("no parameter of this name")
            .with_secondary(h.name_span, format!("`{}` does not take `{name}`", h.name))
            .with_help(format!(
                "add `{name}: str` to the signature of `{}`",
                h.name
            ));
            if let Some(p) = params.iter().find(|p| p.wire_name == name) {
                d = d.with_note(format!(
                    "`{}` reads `{name}` from the {}; a path parameter takes the placeholder's name",
                    p.name,
                    p.source.as_str()
                ));
            }
            sink.report(d);
        }
    }
}
