//! The static tables a generated program hands the runtime (the types of
//! `runtime/src/app.rs`): the embedded modules, the route table with each
//! route's body and return kinds, and the Python expressions (types,
//! patterns) evaluated once at start-up and referred to by index.

use proc_macro2::TokenStream;
use quote::quote;

use super::app::Gen;
use super::pytype;
use super::router::method_tokens;
use super::router_plan::RouterPlan;
use crate::ir::{ParamSource, ResponseKind, Route};
use crate::source::SourceDb;

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
    /// `MODULES`, `APP` and `ROUTES`: the app descriptor the runtime serves.
    /// `route_parts` has each IR route's decoder, returns and body; call
    /// it once every decoder and encoder is generated.
    pub(super) fn tables(
        &self,
        db: &SourceDb,
        plan: &RouterPlan,
        name: &str,
        route_parts: &[(proc_macro2::Ident, TokenStream, TokenStream)],
        router: &proc_macro2::Ident,
    ) -> TokenStream {
        let (ir, pb) = (self.ir, &self.pb);
        let entry = db
            .files()
            .first()
            .map_or_else(|| "app".to_string(), |f| f.module.clone());
        let modules = db.files().iter().map(|f| {
            let (mname, file, text, pkg) = (&f.module, &f.path, &f.text, f.is_package);
            quote!(#pb::Module { name: #mname, file: #file, source: #text, is_package: #pkg })
        });
        let routes = plan.routes.iter().map(|pr| {
            let r = &ir.routes[pr.ir_route];
            let (dname, returns, body) = &route_parts[pr.ir_route];
            let method = method_tokens(pb, pr.method);
            let path = &r.path.raw;
            let handler = if r.handler.module == entry {
                r.handler.name.clone()
            } else {
                pytype::global(&r.handler.module, &r.handler.name)
            };
            let params = r.handler.params.iter().map(|p| p.name.as_str());
            let is_async = r.handler.is_async;
            let on_pool = r.on_pool;
            let status = r.status_code;
            quote! {
                #pb::Route {
                    method: #method,
                    path: #path,
                    handler: #handler,
                    params: &[#(#params),*],
                    is_async: #is_async,
                    on_pool: #on_pool,
                    status: #status,
                    body: #body,
                    decode: #dname,
                    returns: #returns,
                }
            }
        });
        let n_routes = plan.routes.len();
        let models = self.models.iter().filter_map(|(_, t)| t.as_ref());
        let types = self.types.items.iter();
        let patterns = self.patterns.items.iter();
        let app_expr = ir
            .app
            .as_ref()
            .map_or(String::new(), |a| a.var_name.clone());
        quote! {
            /// The app's Python modules, embedded (the entry module first).
            static MODULES: &[#pb::Module] = &[#(#modules),*];

            /// The app descriptor the runtime serves.
            pub static APP: #pb::App = #pb::App {
                name: #name,
                entry: #entry,
                app: #app_expr,
                modules: MODULES,
                types: &[#(#types),*],
                models: &[#(#models),*],
                patterns: &[#(#patterns),*],
                routes: &ROUTES,
                router: #router,
            };

            /// The routes, one per method of each route decorator; the
            /// router answers with an index into this table.
            static ROUTES: [#pb::Route; #n_routes] = [#(#routes),*];
        }
    }

    /// The route's body kind: a JSON parameter, the raw request, or none.
    pub(super) fn body(&mut self, r: &Route) -> TokenStream {
        let pb = &self.pb;
        if let Some(p) = r
            .handler
            .params
            .iter()
            .find(|p| p.source == ParamSource::Body)
        {
            let ty = self.types.index(pytype::expr(self.ir, &p.ty));
            let name = &p.wire_name;
            return quote!(#pb::Body::Json { param: #name, ty: #ty });
        }
        if r.handler
            .params
            .iter()
            .any(|p| p.source == ParamSource::Request)
        {
            return quote!(#pb::Body::Raw);
        }
        quote!(#pb::Body::None)
    }

    /// The route's return kind; a JSON return names its encoder.
    pub(super) fn returns(&mut self, response: &ResponseKind) -> TokenStream {
        let pb = self.pb.clone();
        match response {
            ResponseKind::Text => quote!(#pb::Returns::Text),
            ResponseKind::Bytes => quote!(#pb::Returns::Bytes),
            ResponseKind::Empty => quote!(#pb::Returns::Empty),
            ResponseKind::Raw => quote!(#pb::Returns::Response),
            ResponseKind::Json(ty) => {
                let f = self.encoder(ty);
                quote!(#pb::Returns::Json(#f))
            }
        }
    }
}
