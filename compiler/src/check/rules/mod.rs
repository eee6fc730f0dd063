//! One check per file. Each file documents its code through the Markdown page
//! in `docs/diagnostics/`, which the doc tests run.

pub(super) mod ambiguous_routes;
pub(super) mod async_without_await;
pub(super) mod blocking_call_in_async_handler;
pub(super) mod body_on_bodiless_status;
pub(super) mod body_on_get;
pub(super) mod constraint_type_mismatch;
pub(super) mod contradictory_constraints;
pub(super) mod default_type_mismatch;
pub(super) mod duplicate_field_name;
pub(super) mod duplicate_handler_name;
pub(super) mod duplicate_route;
pub(super) mod duplicate_wire_name;
pub(super) mod integer_out_of_range;
pub(super) mod invalid_constraint_value;
pub(super) mod invalid_dict_key;
pub(super) mod invalid_enum;
pub(super) mod invalid_field_name;
pub(super) mod invalid_literal;
pub(super) mod invalid_parameter_source;
pub(super) mod invalid_path_parameter_type;
pub(super) mod invalid_tagged_union;
pub(super) mod invalid_union;
pub(super) mod marker_on_path_parameter;
pub(super) mod missing_path_parameter;
pub(super) mod multiple_body_parameters;
pub(super) mod mutable_default;
pub(super) mod optional_without_default;
pub(super) mod path_parameter_default;
pub(super) mod required_field_after_optional;
pub(super) mod return_type_mismatch;
pub(super) mod runs_on_thread_pool;
pub(super) mod trailing_slash;
pub(super) mod unhashable_set_item;
pub(super) mod unknown_blocking_call;
pub(super) mod unused_app;
