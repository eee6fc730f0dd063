//! PB022 `multiple-body-parameters`: two body parameters of a route that
//! read the same key of its JSON body.
#![doc = include_str!("../../../../docs/diagnostics/PB022.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Reports a body parameter whose key (its alias, else its name) an earlier
/// body parameter of another name already reads.
///
/// Several body parameters are read from one JSON object keyed by their
/// names, as FastAPI does; two of them on one key would both get its value,
/// which an alias written by mistake is the usual cause of.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        // Across the route's dependency graph: parameters of the same name
        // share the one value (their types must agree, PB073).
        let bodies: Vec<_> = walk::request_params(route)
            .into_iter()
            .filter(|p| p.source == ParamSource::Body)
            .collect();
        for (j, p) in bodies.iter().enumerate() {
            let Some(first) = bodies[..j]
                .iter()
                .find(|q| q.wire_name == p.wire_name && q.name != p.name)
            else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB022,
                    p.marker_span.unwrap_or(p.name_span),
                    format!("body key `{}` is read twice", p.wire_name),
                )
                .with_label(format!("`{}` reads body key `{}`", p.name, p.wire_name))
                .with_secondary(first.name_span, format!("`{}` already reads it", first.name))
                .with_note("several body parameters are read from one JSON object, each from the key of its name (or alias)")
                .with_help("give one of them a different `alias`"),
            );
        }
    }
}
