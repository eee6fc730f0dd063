//! Template routes: one page struct per (template, model), one reader
//! struct per nested model, and the render function the route's
//! `Returns::Html` names (`runtime/src/python/template.rs` is the runtime
//! side).
//!
//! ```ignore
//! #[derive(pb::askama::Template)]
//! #[template(path = "fortunes.html", askama = pb::askama)]
//! struct page_Fortunes<'a> { fortunes: Vec<tpl_Fortune<'a>>, .. }
//! fn read_Fortune<'a>(v: pb::Obj<'a>) -> Result<tpl_Fortune<'a>, pb::Mismatch> {
//!     let f = pb::tpl::fields(v, 1)?;
//!     Ok(tpl_Fortune { id: pb::tpl::int(f.get(0)?).map_err(|e| f.at(0, e))?, .. })
//! }
//! fn render_fortunes(v: pb::Obj<'_>, o: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
//!     static HINT: pb::tpl::SizeHint = pb::tpl::SizeHint::new();
//!     pb::tpl::render(&read_page_Fortunes(v)?, o, &HINT)
//! }
//! ```
//!
//! A field's Rust type follows [`TplTy`]: `&'a str` borrowed from the
//! Python string, `i64`, `pb::tpl::Float`, `bool`, `String` (dates, times,
//! UUIDs, decimals as Python's `str()`), `Option`, `Vec` and the nested
//! model's struct (boxed under `Option`, so recursive models have a size).
//! Fields templates cannot render are left out of the struct: the checker
//! has made sure the template does not use them. askama finds the
//! templates through the `askama.toml` the build writes beside the
//! generated crate (its `dirs` is the app's templates folder).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::app::Gen;
use crate::ir::{ModelId, RouteTemplate, TplTy, TyKind};

/// Rust keywords a field name cannot be written as (raw identifiers are
/// used instead), and the few that cannot be raw either.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

fn field_ident(name: &str) -> Option<Ident> {
    if matches!(name, "self" | "Self" | "super" | "crate" | "_") {
        return None;
    }
    Some(if KEYWORDS.contains(&name) {
        Ident::new_raw(name, proc_macro2::Span::call_site())
    } else {
        format_ident!("{}", name)
    })
}

impl Gen<'_> {
    /// The render function of a template route (one per template and model).
    pub(super) fn template_render(&mut self, t: &RouteTemplate) -> Ident {
        let key = format!("{}\0{}", t.path, t.model.0);
        if let Some((_, id)) = self.pages.iter().find(|(k, _)| *k == key) {
            return id.clone();
        }
        let pb = self.pb.clone();
        let model_name = self.ir.model(t.model).name.clone();
        let stem: String = t
            .path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let render = self.names.claim(&format!("render_{stem}"));
        let page = self.names.claim(&format!("page_{model_name}"));
        let read = self.names.claim(&format!("read_page_{model_name}"));
        self.pages.push((key, render.clone()));
        let (fields, inits) = self.tpl_fields(t.model, true);
        let idx = self.model_plan(t.model);
        let path = t.path.as_str();
        let doc = format!(" The page of `{path}`, over `{model_name}`.");
        self.tpl_items.push(quote! {
            #[doc = #doc]
            // Named after the model; fields the template does not read are
            // still read from the model, so they stay checked.
            #[allow(non_camel_case_types, dead_code)]
            #[derive(#pb::askama::Template)]
            #[template(path = #path, askama = #pb::askama)]
            struct #page<'a> {
                #(#fields,)*
                __pb_life: ::core::marker::PhantomData<&'a ()>,
            }
            fn #read<'a>(v: #pb::Obj<'a>) -> Result<#page<'a>, #pb::Mismatch> {
                let f = #pb::tpl::fields(v, #idx)?;
                Ok(#page { #(#inits,)* __pb_life: ::core::marker::PhantomData })
            }
            fn #render(v: #pb::Obj<'_>, o: &mut Vec<u8>) -> Result<(), #pb::Mismatch> {
                static HINT: #pb::tpl::SizeHint = #pb::tpl::SizeHint::new();
                #pb::tpl::render(&#read(v)?, o, &HINT)
            }
        });
        render
    }

    /// The struct fields and their initialisers of `model`'s struct.
    fn tpl_fields(&mut self, model: ModelId, _page: bool) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let ir = self.ir;
        let m = ir.model(model);
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        for (i, f) in m.fields.iter().enumerate() {
            let t = TplTy::of(ir, &f.ty);
            if matches!(t, TplTy::Unsupported(_)) {
                continue;
            }
            let Some(name) = field_ident(&f.name) else {
                continue;
            };
            let ty = self.tpl_rust_ty(&t);
            let text_kinds = text_kinds(&f.ty);
            let init = match &t {
                TplTy::Opt(inner) => {
                    let read = self.tpl_read(inner, &text_kinds);
                    let read = if matches!(**inner, TplTy::Model(_)) {
                        quote!(Box::new(#read))
                    } else {
                        read
                    };
                    quote!(#name: pb::tpl::opt(f.opt(#i), |v| Ok(#read)).map_err(|e| f.at(#i, e))?)
                }
                _ => {
                    let read = self.tpl_read(&t, &text_kinds);
                    quote!(#name: { let v = f.get(#i)?; (|| -> Result<_, pb::Mismatch> { Ok(#read) })().map_err(|e| f.at(#i, e))? })
                }
            };
            fields.push(quote!(#name: #ty));
            inits.push(init);
        }
        (fields, inits)
    }

    fn tpl_rust_ty(&mut self, t: &TplTy) -> TokenStream {
        let pb = &self.pb;
        match t {
            TplTy::Str => quote!(&'a str),
            TplTy::Int => quote!(i64),
            TplTy::Float => quote!(#pb::tpl::Float),
            TplTy::Bool => quote!(bool),
            TplTy::Text | TplTy::Unsupported(_) => quote!(String),
            TplTy::Opt(inner) => {
                let inner_ty = self.tpl_rust_ty(inner);
                if matches!(**inner, TplTy::Model(_)) {
                    quote!(Option<Box<#inner_ty>>)
                } else {
                    quote!(Option<#inner_ty>)
                }
            }
            TplTy::List(inner) => {
                let inner_ty = self.tpl_rust_ty(inner);
                quote!(Vec<#inner_ty>)
            }
            TplTy::Model(id) => {
                let (s, _) = self.tpl_model(*id);
                quote!(#s<'a>)
            }
        }
    }

    /// The expression reading `v` (a `pb::Obj<'a>`) as `t`.
    fn tpl_read(&mut self, t: &TplTy, text: &str) -> TokenStream {
        let pb = self.pb.clone();
        match t {
            TplTy::Str => quote!(#pb::tpl::str(v)?),
            TplTy::Int => quote!(#pb::tpl::int(v)?),
            TplTy::Float => quote!(#pb::tpl::float(v)?),
            TplTy::Bool => quote!(#pb::tpl::bool(v)?),
            TplTy::Text | TplTy::Unsupported(_) => quote!(#pb::tpl::text(v, #text)?),
            TplTy::Opt(inner) => {
                let read = self.tpl_read(inner, text);
                let read = if matches!(**inner, TplTy::Model(_)) {
                    quote!(Box::new(#read))
                } else {
                    read
                };
                quote!(#pb::tpl::opt(Some(v), |v| Ok(#read))?)
            }
            TplTy::List(inner) => {
                let read = self.tpl_read(inner, text);
                quote!(#pb::tpl::list(v, |v| Ok(#read))?)
            }
            TplTy::Model(id) => {
                let (_, read) = self.tpl_model(*id);
                quote!(#read(v)?)
            }
        }
    }

    /// The struct and reader of a nested model (generated once).
    fn tpl_model(&mut self, id: ModelId) -> (Ident, Ident) {
        if let Some((_, s, r)) = self.tpl_models.iter().find(|(m, _, _)| *m == id) {
            return (s.clone(), r.clone());
        }
        let name = self.ir.model(id).name.clone();
        let s = self.names.claim(&format!("tpl_{name}"));
        let r = self.names.claim(&format!("read_{name}"));
        self.tpl_models.push((id, s.clone(), r.clone()));
        let idx = self.model_plan(id);
        let (fields, inits) = self.tpl_fields(id, false);
        let pb = self.pb.clone();
        self.tpl_items.push(quote! {
            #[allow(non_camel_case_types, dead_code)]
            struct #s<'a> {
                #(#fields,)*
                __pb_life: ::core::marker::PhantomData<&'a ()>,
            }
            fn #r<'a>(v: #pb::Obj<'a>) -> Result<#s<'a>, #pb::Mismatch> {
                let f = #pb::tpl::fields(v, #idx)?;
                Ok(#s { #(#inits,)* __pb_life: ::core::marker::PhantomData })
            }
        });
        (s, r)
    }
}

/// The qualified class names a text field's value must be (`|`-separated):
/// what `pb::tpl::text` checks before it calls `str()`.
fn text_kinds(ty: &crate::ir::Ty) -> String {
    fn go(ty: &crate::ir::Ty) -> Option<&'static str> {
        Some(match &ty.unconstrained().kind {
            TyKind::DateTime => "datetime.datetime",
            TyKind::Date => "datetime.date",
            TyKind::Time => "datetime.time",
            TyKind::TimeDelta => "datetime.timedelta",
            TyKind::Uuid => "uuid.UUID",
            TyKind::Decimal => "decimal.Decimal",
            TyKind::List(t) | TyKind::Set(t) | TyKind::FrozenSet(t) | TyKind::VarTuple(t) => {
                return go(t);
            }
            TyKind::Union(members) => return members.iter().find_map(go),
            _ => return None,
        })
    }
    go(ty).unwrap_or("").to_string()
}
