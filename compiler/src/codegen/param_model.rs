//! The decoder of a query, header or cookie parameter model
//! (`Annotated[Model, Query()]`): one call to the runtime's
//! `Call::push_param_model` with the model's fields and the request key each
//! reads. Kept apart from `decode.rs` so that routes without a parameter
//! model generate exactly what they did before.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::app::Gen;
use super::pytype;
use crate::ir::{Param, ParamSource};

impl Gen<'_> {
    /// Pushes the model of `p` (a [`Param::param_model`]) built from its
    /// part of the request.
    pub(super) fn decode_param_model(&mut self, p: &Param) -> TokenStream {
        let pb = self.pb.clone();
        let source = format_ident!(
            "{}",
            match p.source {
                ParamSource::Header => "Header",
                ParamSource::Cookie => "Cookie",
                _ => "Query",
            }
        );
        let fields: Vec<TokenStream> = p
            .param_model_fields(self.ir)
            .iter()
            .map(|f| {
                let name = f.field.wire_name.as_str();
                let key = f.key.as_str();
                let seq = f.field.ty.is_scalar_sequence(self.ir);
                let required = f.field.required;
                quote!((#name, #key, #seq, #required))
            })
            .collect();
        let forbid = p.param_model_forbids_unknown(self.ir);
        let ty = self.types.index(pytype::expr(self.ir, &p.ty));
        let param = p.wire_name.as_str();
        quote!(c.push_param_model(#pb::Source::#source, #param, &[#(#fields),*], #ty, #forbid)?;)
    }
}
