//! The static tables a generated program hands the runtime (the types of
//! `runtime/src/app.rs`): the embedded modules, the route table with each
//! route's body and return kinds, and the Python expressions (types,
//! patterns) evaluated once at start-up and referred to by index.

use proc_macro2::TokenStream;
use quote::quote;

use super::app::Gen;
use super::pytype;
use crate::ir::{ParamSource, ResponseKind, Route};

/// Python expressions evaluated once at start-up, deduplicated; generated
/// code refers to them by index.
#[derive(Default)]
pub(super) struct Table {
    pub(super) items: Vec<String>,
}

impl Table {
    pub(super) fn index(&mut self, expr: String) -> u16 {
        let i = self
            .items
            .iter()
            .position(|e| *e == expr)
            .unwrap_or_else(|| {
                self.items.push(expr);
                self.items.len() - 1
            });
        u16::try_from(i).expect("fewer than 65536 types")
    }
}

impl Gen<'_> {
    /// The route's body kind: a JSON parameter, the raw request, or none.
    pub(super) fn body(&mut self, r: &Route) -> TokenStream {
        let rt = &self.rt;
        if let Some(p) = r
            .handler
            .params
            .iter()
            .find(|p| p.source == ParamSource::Body)
        {
            let ty = self.types.index(pytype::expr(self.ir, &p.ty));
            let name = &p.wire_name;
            return quote!(#rt::__private::Body::Json { param: #name, ty: #ty });
        }
        if r.handler
            .params
            .iter()
            .any(|p| p.source == ParamSource::Request)
        {
            return quote!(#rt::__private::Body::Raw);
        }
        quote!(#rt::__private::Body::None)
    }

    /// The route's return kind; a JSON return names its encoder.
    pub(super) fn returns(&mut self, response: &ResponseKind) -> TokenStream {
        let rt = self.rt.clone();
        match response {
            ResponseKind::Text => quote!(#rt::__private::Returns::Text),
            ResponseKind::Bytes => quote!(#rt::__private::Returns::Bytes),
            ResponseKind::Empty => quote!(#rt::__private::Returns::Empty),
            ResponseKind::Raw => quote!(#rt::__private::Returns::Response),
            ResponseKind::Json(ty) => {
                let f = self.encoder(ty);
                quote!(#rt::__private::Returns::Json(#f))
            }
        }
    }
}
