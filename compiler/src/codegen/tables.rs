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
use crate::ir::{HttpMethod, Param, ParamSource, ResponseKind, Route, ValueKind};
use crate::source::SourceDb;

/// What the route table needs of one IR route, computed before the table.
pub(super) struct RoutePart {
    /// Its decoder function.
    pub(super) decoder: proc_macro2::Ident,
    /// Its `Returns` value.
    pub(super) returns: TokenStream,
    /// Its `Body` value.
    pub(super) body: TokenStream,
    /// The expression for the function the runtime calls: the handler, or
    /// the route's generated dependency-graph function.
    pub(super) handler: String,
    /// That function's parameter names, in the order the decoder pushes.
    pub(super) params: Vec<String>,
    /// Whether that function is `async def`.
    pub(super) is_async: bool,
    /// Whether it returns the tuple `prebake._solve` describes, to finish after the
    /// response (teardown, background tasks, the `Response` parameter).
    pub(super) deferred: bool,
}

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
        route_parts: &[RoutePart],
        router: &proc_macro2::Ident,
        graph_module: Option<&str>,
    ) -> TokenStream {
        let (ir, pb) = (self.ir, &self.pb);
        let entry = db
            .files()
            .first()
            .map_or_else(|| "app".to_string(), |f| f.module.clone());
        let mut modules: Vec<TokenStream> = db
            .files()
            .iter()
            .filter(|f| f.module != crate::templates::TEMPLATE_MODULE)
            .map(|f| {
                let (mname, file, text, pkg) = (&f.module, &f.path, &f.text, f.is_package);
                let source = if self.sources_by_path {
                    quote!(include_str!(#file))
                } else {
                    quote!(#text)
                };
                quote!(#pb::Module { name: #mname, file: #file, source: #source, is_package: #pkg })
            })
            .collect();
        if let Some(source) = graph_module {
            let mname = super::graph::MODULE;
            let file = format!("<{mname}>");
            modules.push(quote!(#pb::Module { name: #mname, file: #file, source: #source, is_package: false }));
        }
        let routes = plan.routes.iter().map(|pr| {
            let method = method_tokens(pb, pr.method);
            if let Some(st) = pr
                .ir_route
                .checked_sub(ir.routes.len())
                .and_then(|k| self.statics.get(k))
            {
                let (path, content_type) = (&st.path, st.content_type);
                let bytes = match &st.body {
                    crate::openapi::StaticBody::Text(text) => {
                        let lit = proc_macro2::Literal::byte_string(text.as_bytes());
                        quote!(#lit)
                    }
                    crate::openapi::StaticBody::File(file) => {
                        let file = file.to_string_lossy();
                        quote!(include_bytes!(#file))
                    }
                };
                return quote! {
                    #pb::Route {
                        method: #method,
                        path: #path,
                        handler: "",
                        params: &[],
                        is_async: false,
                        on_pool: false,
                        deferred: false,
                        status: 200,
                        body: #pb::Body::Static { content_type: #content_type, bytes: #bytes },
                        decode: #pb::no_decode,
                        returns: #pb::Returns::Empty,
                    }
                };
            }
            let r = &ir.routes[pr.ir_route];
            let part = &route_parts[pr.ir_route];
            let (dname, returns, body) = (&part.decoder, &part.returns, &part.body);
            let path = &r.path.raw;
            let handler = &part.handler;
            let params = part.params.iter();
            let (is_async, deferred) = (part.is_async, part.deferred);
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
                    deferred: #deferred,
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
        let build_dir = &self.app_dir;
        let mounts = ir.mounts.iter().map(|m| {
            let (path, directory) = (&m.path, &m.directory);
            let (html, check_dir, follow) = (m.html, m.check_dir, m.follow_symlink);
            quote! {
                #pb::StaticMount {
                    path: #path,
                    directory: #directory,
                    html: #html,
                    check_dir: #check_dir,
                    follow_symlink: #follow,
                }
            }
        });
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
                mounts: &[#(#mounts),*],
                app_dir: #build_dir,
            };

            /// The routes, one per method of each route decorator; the
            /// router answers with an index into this table.
            static ROUTES: [#pb::Route; #n_routes] = [#(#routes),*];
        }
    }

    /// The route's body kind, from the request values it decodes: a JSON
    /// parameter, the raw request, or none.
    pub(super) fn body(&mut self, r: &Route, params: &[Param]) -> TokenStream {
        if let Some(fields) = crate::ir::embedded_body(params) {
            let ty = self.embedded_ty(r, &fields);
            // One level more than the deepest field: the object holding them.
            let nesting = fields
                .iter()
                .map(|p| p.ty.max_nesting(self.ir))
                .try_fold(0u32, |deepest, n| n.map(|n| deepest.max(n)))
                .and_then(|n| u16::try_from(n + 1).ok());
            let nesting = match nesting {
                Some(n) => quote!(Some(#n)),
                None => quote!(None),
            };
            let pb = &self.pb;
            // No parameter name: errors at the root are the body's own, and
            // a missing field is keyed by its name.
            return quote!(#pb::Body::Json { param: "", ty: #ty, nesting: #nesting });
        }
        let pb = &self.pb;
        if let Some(p) = params.iter().find(|p| p.source == ParamSource::Body) {
            let ty = self.types.index(pytype::expr(self.ir, &p.ty));
            let name = &p.wire_name;
            let nesting = match p
                .ty
                .max_nesting(self.ir)
                .and_then(|n| u16::try_from(n).ok())
            {
                Some(n) => quote!(Some(#n)),
                None => quote!(None),
            };
            return quote!(#pb::Body::Json { param: #name, ty: #ty, nesting: #nesting });
        }
        if params
            .iter()
            .any(|p| matches!(p.source, ParamSource::Form | ParamSource::File))
        {
            let files = params.iter().any(|p| p.source == ParamSource::File);
            return quote!(#pb::Body::Form { files: #files });
        }
        if params.iter().any(|p| p.source == ParamSource::Request) {
            return quote!(#pb::Body::Raw);
        }
        quote!(#pb::Body::None)
    }

    /// The type index of the Struct a route's embedded body decodes into,
    /// named as FastAPI names its schema (`Body_<unique id>`).
    pub(super) fn embedded_ty(&mut self, r: &Route, fields: &[&Param]) -> u16 {
        let method = r.methods.first().copied().unwrap_or(HttpMethod::Post);
        let name = format!("Body_{}", crate::openapi::unique_id(r, method));
        self.types
            .index(pytype::embedded_body(self.ir, &name, fields))
    }

    /// The route's return kind; a JSON return names its encoder.
    pub(super) fn returns(&mut self, route: &Route, status: Option<u16>) -> TokenStream {
        let pb = self.pb.clone();
        let converts = route.handler.converts;
        if let ResponseKind::Json(ty) = &route.handler.response
            && let Some(filter) = response_filter(route)
        {
            let t = self.types.index(pytype::expr(self.ir, ty));
            return quote!(#pb::Returns::Filtered(#t, &#pb::ResponseFilter #filter));
        }
        match &route.handler.response {
            ResponseKind::Text => quote!(#pb::Returns::Text),
            ResponseKind::Bytes => quote!(#pb::Returns::Bytes),
            ResponseKind::Empty => quote!(#pb::Returns::Empty),
            ResponseKind::Raw => quote!(#pb::Returns::Response),
            ResponseKind::Json(ty) if converts => {
                let f = self.encoder(ty);
                let t = self.types.index(pytype::expr(self.ir, ty));
                quote!(#pb::Returns::Converted(#f, #t))
            }
            // The class, or with the decorator's `status_code=` bound.
            ResponseKind::Wrap(class) => {
                let (module, name) = class.rsplit_once('.').unwrap_or(("prebake", class));
                let cls = pytype::global(module, name);
                let expr = match status {
                    Some(code) => format!(
                        "{}({cls}, status_code={code})",
                        pytype::global("functools", "partial")
                    ),
                    None => cls,
                };
                let ty = self.types.index(expr);
                quote!(#pb::Returns::Wrap(#ty))
            }
            ResponseKind::Json(ty) => {
                let f = self.encoder(ty);
                quote!(#pb::Returns::Json(#f))
            }
        }
    }
}

/// The fields of a route's `ResponseFilter` (FastAPI's
/// `response_model_exclude_unset=` and its siblings), or `None` when it
/// sets none of them (the route is then encoded by its generated encoder).
fn response_filter(route: &Route) -> Option<TokenStream> {
    let flag = |key: &str| {
        route
            .keyword(key)
            .is_some_and(|v| matches!(v.kind, ValueKind::Bool(true)))
    };
    let names = |key: &str| match route.keyword(key).map(|v| &v.kind) {
        Some(ValueKind::List(items) | ValueKind::Tuple(items) | ValueKind::Set(items)) => {
            let names: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
            Some(names)
        }
        _ => None,
    };
    let (unset, defaults, none) = (
        flag("response_model_exclude_unset"),
        flag("response_model_exclude_defaults"),
        flag("response_model_exclude_none"),
    );
    let (include, exclude) = (
        names("response_model_include"),
        names("response_model_exclude"),
    );
    if !unset && !defaults && !none && include.is_none() && exclude.is_none() {
        return None;
    }
    let list = |names: Option<Vec<&str>>| match names {
        Some(n) => quote!(Some(&[#(#n),*])),
        None => quote!(None),
    };
    let (include, exclude) = (list(include), list(exclude));
    Some(quote!({
        include: #include,
        exclude: #exclude,
        exclude_unset: #unset,
        exclude_defaults: #defaults,
        exclude_none: #none,
    }))
}
