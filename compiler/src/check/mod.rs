//! Checks over the IR: everything that would make the generated server wrong,
//! refuse to start, or surprise its user, found before anything runs.
//!
//! Each rule lives in its own file under `rules`, as one free function
//! with early returns; this module only runs them in order. Shared helpers:
//! `walk` enumerates every annotation and nested type, `fits` decides
//! whether a constant fits a type under msgspec's rules, and `pattern`
//! checks Python regular-expression syntax.
//!
//! Architecture invariant: checks never mutate the IR; they only report.
//! Each diagnostic is reported once, at the place the user must edit: a rule
//! that walks types reaches a model's fields through [`crate::ir::Ir::models`],
//! never through every route that uses the model.

pub(crate) mod constraint;
pub(crate) mod fits;
pub(crate) mod pattern;
mod rules;
pub(crate) mod satisfies;
pub(crate) mod walk;

use crate::diagnostics::Sink;
use crate::ir::Ir;
use crate::source::{SourceDb, Span};

/// What every rule reads.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The app's files (for source text in messages).
    pub(crate) db: &'a SourceDb,
    /// The app.
    pub(crate) ir: &'a Ir,
    /// Whether values are judged as FastAPI's `response_model=` takes
    /// them: converted, so a dict fits a Struct or dataclass by its keys.
    pub(crate) converting: bool,
}

impl Ctx<'_> {
    /// The source text under a span, for quoting it in a message.
    pub(crate) fn text(&self, span: Span) -> &str {
        self.db.file(span.file).slice(span)
    }

    /// The source text under a span, shortened for a one-line message.
    pub(crate) fn snippet(&self, span: Span) -> String {
        let text = self.text(span);
        let first = text.lines().next().unwrap_or_default();
        if first.chars().count() > 40 || first.len() < text.len() {
            let short: String = first.chars().take(37).collect();
            format!("{short}...")
        } else {
            first.to_string()
        }
    }
}

/// Runs every check.
pub fn check(db: &SourceDb, ir: &Ir, sink: &mut Sink) {
    let ctx = Ctx {
        db,
        ir,
        converting: false,
    };
    // Routes and paths.
    rules::missing_path_parameter::check(&ctx, sink);
    rules::marker_on_path_parameter::check(&ctx, sink);
    rules::duplicate_route::check(&ctx, sink);
    rules::duplicate_operation_id::check(&ctx, sink);
    rules::ambiguous_routes::check(&ctx, sink);
    rules::invalid_path_parameter_type::check(&ctx, sink);
    rules::duplicate_handler_name::check(&ctx, sink);
    // Parameters.
    rules::multiple_body_parameters::check(&ctx, sink);
    rules::form_parameters::check(&ctx, sink);
    rules::default_type_mismatch::check(&ctx, sink);
    rules::constraint_type_mismatch::check(&ctx, sink);
    rules::contradictory_constraints::check(&ctx, sink);
    rules::invalid_constraint_value::check(&ctx, sink);
    rules::integer_out_of_range::check(&ctx, sink);
    rules::invalid_parameter_source::check(&ctx, sink);
    rules::duplicate_wire_name::check(&ctx, sink);
    rules::param_model_key_clash::check(&ctx, sink);
    rules::conflicting_dependency_parameter::check(&ctx, sink);
    // Responses.
    rules::return_type_mismatch::check(&ctx, sink);
    rules::body_on_bodiless_status::check(&ctx, sink);
    // Models and types.
    rules::unhashable_set_item::check(&ctx, sink);
    rules::required_field_after_optional::check(&ctx, sink);
    rules::invalid_union::check(&ctx, sink);
    rules::invalid_dict_key::check(&ctx, sink);
    rules::invalid_enum::check(&ctx, sink);
    rules::duplicate_field_name::check(&ctx, sink);
    rules::invalid_field_name::check(&ctx, sink);
    rules::invalid_tagged_union::check(&ctx, sink);
    rules::invalid_literal::check(&ctx, sink);
    rules::mutable_default::check(&ctx, sink);
    rules::starlette_request_call::check(&ctx, sink);
    rules::pydantic_method_call::check(&ctx, sink);
    // Warnings.
    rules::body_on_get::check(&ctx, sink);
    rules::blocking_call_in_async_handler::check(&ctx, sink);
    rules::optional_without_default::check(&ctx, sink);
    rules::async_without_await::check(&ctx, sink);
    rules::unused_app::check(&ctx, sink);
    rules::trailing_slash::check(&ctx, sink);
    rules::path_parameter_default::check(&ctx, sink);
    rules::probe_path::check(&ctx, sink);
    // Where handlers run.
    rules::unknown_blocking_call::check(&ctx, sink);
    rules::runs_on_thread_pool::check(&ctx, sink);
}

/// Whether `inner` lies within `outer`.
pub(crate) fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}
