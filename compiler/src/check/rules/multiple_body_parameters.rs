//! PB022 `multiple-body-parameters`: two body parameters of a route where
//! one is not marked `Body()`, or two that read the same key of its JSON
//! body.
#![doc = include_str!("../../../../docs/diagnostics/PB022.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Reports a second body parameter when one of them is not marked
/// `Body()`, and a body parameter whose key (its alias, else its name) an
/// earlier body parameter of another name already reads.
///
/// An unmarked model, list or dict parameter is the whole body; two body
/// parameters are an error unless each is marked `Body()`, which reads them
/// from one JSON object keyed by their names, as FastAPI does (FastAPI
/// embeds unmarked ones too: a body whose shape changed because a second
/// parameter was added is what this refuses). Two of them on one key would
/// both get its value, which an alias written by mistake is the usual cause
/// of.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        // Across the route's dependency graph: parameters of the same name
        // share the one value (their types must agree, PB073).
        let bodies: Vec<_> = walk::request_params(route)
            .into_iter()
            .filter(|p| p.source == ParamSource::Body)
            .collect();
        // Parameters of one name share one value (the graph reads it once).
        if let Some(unmarked) = bodies.iter().find(|p| p.marker_span.is_none())
            && let Some(other) = bodies.iter().find(|p| p.name != unmarked.name)
        {
            let (first, second) = if unmarked.span.start < other.span.start {
                (unmarked, other)
            } else {
                (other, unmarked)
            };
            sink.report(
                Diagnostic::new(
                    Code::PB022,
                    second.name_span,
                    format!(
                        "two body parameters: `{}` and `{}`",
                        first.name, second.name
                    ),
                )
                .with_label("a second body parameter")
                .with_secondary(first.name_span, "the first")
                .with_note(format!(
                    "a model, list or dict parameter without a marker is the whole JSON body; `{}` is not marked `Body()`",
                    unmarked.name
                ))
                .with_help("mark each with `Body()` (`item: Annotated[Item, Body()]`) to read them from one JSON object keyed by parameter name, as FastAPI does, or put them in one model"),
            );
            continue;
        }
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
