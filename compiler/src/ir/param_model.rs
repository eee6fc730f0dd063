//! Parameter models: `Annotated[Model, Query()]`, `Header()` or `Cookie()`
//! (FastAPI 0.115's query, header and cookie parameter models), a model
//! whose fields are each read from that part of the request by name.
//!
//! The checker, the generator and the OpenAPI writer all need the same
//! answer to "which request key does this field read", so it is computed
//! here once.

use super::{Field, Ir, ModelId, ModelKind, Param, ParamSource, TyKind};

/// One field of a parameter model, with the request key it reads.
#[derive(Clone, Debug)]
pub struct ModelParamField<'a> {
    /// The model's field.
    pub field: &'a Field,
    /// The name in the request: the field's wire name (after msgspec's
    /// `rename` or `field(name=)`), and for a header without its own wire
    /// name, `_` turned into `-` unless `Header(convert_underscores=False)`.
    pub key: String,
}

impl Param {
    /// The model of a query, header or cookie parameter whose type is a
    /// model (not an enum): the fields it reads from its part of the request.
    pub fn param_model(&self, ir: &Ir) -> Option<ModelId> {
        if !matches!(
            self.source,
            ParamSource::Query | ParamSource::Header | ParamSource::Cookie
        ) {
            return None;
        }
        match &self.ty.unconstrained().kind {
            TyKind::Model(id) if !ir.model(*id).is_enum() => Some(*id),
            _ => None,
        }
    }

    /// The fields of [`Param::param_model`], each with its request key, in
    /// declaration order; empty for any other parameter.
    pub fn param_model_fields<'a>(&self, ir: &'a Ir) -> Vec<ModelParamField<'a>> {
        let Some(id) = self.param_model(ir) else {
            return Vec::new();
        };
        let model = ir.model(id);
        if matches!(model.kind, ModelKind::NamedTuple) {
            return Vec::new();
        }
        model
            .fields
            .iter()
            .map(|field| {
                let key = if self.source == ParamSource::Header
                    && self.convert_underscores
                    && field.wire_name == field.name
                {
                    field.name.replace('_', "-")
                } else {
                    field.wire_name.clone()
                };
                ModelParamField { field, key }
            })
            .collect()
    }

    /// Whether the parameter's model refuses a request key none of its
    /// fields reads (a Struct with `forbid_unknown_fields=True`, as
    /// pydantic's `extra="forbid"`).
    pub fn param_model_forbids_unknown(&self, ir: &Ir) -> bool {
        self.param_model(ir).is_some_and(|id| {
            ir.model(id)
                .struct_options()
                .is_some_and(|o| o.forbid_unknown_fields)
        })
    }
}
