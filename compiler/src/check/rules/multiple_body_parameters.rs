//! PB022 `multiple-body-parameters`: a handler with more than one JSON body
//! parameter.
#![doc = include_str!("../../../../docs/diagnostics/PB022.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Reports every body parameter after the first.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        // Across the route's dependency graph: parameters of the same name
        // share the one body (their types must agree, PB073).
        let mut bodies = walk::request_params(route)
            .into_iter()
            .filter(|p| p.source == ParamSource::Body);
        let Some(first) = bodies.next() else {
            continue;
        };
        for p in bodies.filter(|p| p.wire_name != first.wire_name) {
            sink.report(
                Diagnostic::new(
                    Code::PB022,
                    p.name_span,
                    format!("second JSON body parameter `{}`", p.name),
                )
                .with_label("also read from the body")
                .with_secondary(first.name_span, "the body already goes here")
                .with_note("a request has one body, and prebake decodes all of it into one parameter (models, lists and dicts are bodies by default)")
                .with_note(format!(
                    "FastAPI reads several body parameters from one object keyed by their names (`{{\"{}\": ..., \"{}\": ...}}`): a Struct with those two fields reads the same JSON",
                    first.name, p.name
                ))
                .with_help(format!(
                    "combine them into one Struct with fields `{}` and `{}`, or mark a scalar-like one `Query()`",
                    first.name, p.name
                )),
            );
        }
    }
}
