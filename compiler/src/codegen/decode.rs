//! Per-route decoders: one function per route that reads each handler
//! parameter from the request (path, query, headers, cookies, body),
//! converts it (natively for scalars, through msgspec otherwise) and pushes
//! it onto the runtime's `Call` (`runtime/src/python/call.rs`).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::app::Gen;
use super::pytype;
use crate::ir::{Constraints, Number, Param, ParamSource, Route, Ty, TyKind, ValueKind};
use crate::source::SourceDb;

fn source_tokens(pb: &TokenStream, s: ParamSource) -> TokenStream {
    let id = format_ident!(
        "{}",
        match s {
            ParamSource::Path => "Path",
            ParamSource::Query => "Query",
            ParamSource::Header => "Header",
            ParamSource::Cookie => "Cookie",
            ParamSource::Body
            | ParamSource::Form
            | ParamSource::File
            | ParamSource::Request
            | ParamSource::Depends
            | ParamSource::Background
            | ParamSource::Temporal => "Body",
        }
    );
    quote!(#pb::Source::#id)
}

/// The native scalar kinds the runtime converts without Python's help.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Native {
    Int,
    Float,
    Bool,
    Str,
}

fn native(ty: &Ty) -> Option<Native> {
    match ty.kind {
        TyKind::Int => Some(Native::Int),
        TyKind::Float => Some(Native::Float),
        TyKind::Bool => Some(Native::Bool),
        TyKind::Str => Some(Native::Str),
        _ => None,
    }
}
pub(super) fn as_i64(n: Number) -> Option<i64> {
    match n {
        Number::Int(i) => i64::try_from(i).ok(),
        Number::Float(_) => None,
    }
}
impl Gen<'_> {
    /// The decoder function of a route, named `name`.
    pub(super) fn decode_fn(
        &mut self,
        db: &SourceDb,
        r: &Route,
        name: &proc_macro2::Ident,
        params: &[Param],
    ) -> TokenStream {
        let pb = self.pb.clone();
        let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
        let file = db.file(r.handler.name_span.file);
        let doc = format!(
            " Decodes the parameters of `{} {}` for `{}` ({}:{}).",
            methods.join(", "),
            r.path.raw,
            r.handler.name,
            file.path,
            file.line_col(r.handler.name_span.start).line
        );
        let mut stmts = Vec::new();
        // A form route parses its body once, before reading any field.
        if params
            .iter()
            .any(|p| matches!(p.source, ParamSource::Form | ParamSource::File))
        {
            stmts.push(quote!(c.parse_form()?;));
        }
        let placeholders: Vec<&str> = r.path.params().map(|(n, _, _)| n).collect();
        // An embedded body is decoded once, at its first parameter, into
        // one object whose fields the body parameters are.
        let embedded = crate::ir::embedded_body(params).is_some();
        let mut decoded = false;
        for p in params {
            if embedded && p.source == ParamSource::Body {
                if !decoded {
                    decoded = true;
                    stmts.push(quote!(let embedded = c.decode_embedded()?;));
                }
                let name = p.name.as_str();
                stmts.push(quote!(c.push_field(embedded.as_ref(), #name);));
                continue;
            }
            stmts.push(self.decode_param(p, &placeholders));
        }
        quote! {
            #[doc = #doc]
            fn #name(c: &mut #pb::Call<'_>) -> Result<(), #pb::Rejection> {
                #(#stmts)*
                Ok(())
            }
        }
    }

    fn decode_param(&mut self, p: &Param, placeholders: &[&str]) -> TokenStream {
        let pb = self.pb.clone();
        let src = source_tokens(&pb, p.source);
        let key = p.wire_name.as_str();
        let fetch = match p.source {
            ParamSource::Request => return quote!(c.push_request();),
            // Not request values: the graph function provides them.
            ParamSource::Depends | ParamSource::Background | ParamSource::Temporal => {
                return quote!();
            }
            ParamSource::Body => {
                // No body at all stands for a body parameter that has a
                // default, as in Litestar and FastAPI (msgspec alone would
                // call the empty document truncated).
                return match &p.default {
                    None => quote!(c.push_body()?;),
                    Some(d) => {
                        let fallback = match &d.kind {
                            ValueKind::List(items) if items.is_empty() => quote!({
                                let l = c.new_list();
                                c.push_list(l);
                            }),
                            ValueKind::Dict(items) if items.is_empty() => {
                                quote!(c.push_empty_dict())
                            }
                            _ => quote!(c.push_default()),
                        };
                        quote! {
                            if c.body_is_empty() {
                                #fallback;
                            } else {
                                c.push_body()?;
                            }
                        }
                    }
                };
            }
            ParamSource::Path => {
                let i = placeholders
                    .iter()
                    .position(|n| *n == p.wire_name)
                    .unwrap_or(0);
                let convert = self.convert(&p.ty, &src, key);
                return quote! {
                    {
                        let raw = c.path(#i);
                        #convert
                    }
                };
            }
            ParamSource::Query | ParamSource::Header | ParamSource::Cookie
                if p.param_model(self.ir).is_some() =>
            {
                return self.decode_param_model(p);
            }
            ParamSource::Query => quote!(c.query(#key)),
            // Header names are case-insensitive; the runtime looks them up
            // lowercase.
            ParamSource::Header => {
                let lower = key.to_ascii_lowercase();
                quote!(c.header(#lower))
            }
            ParamSource::Cookie => quote!(c.cookie(#key)),
            ParamSource::Form if self.is_form_model(&p.ty) => return self.decode_form_model(p),
            ParamSource::Form => quote!(c.form(#key)),
            ParamSource::File => return self.decode_file(p),
        };
        let absent = match &p.default {
            None if p.source == ParamSource::Form => {
                quote!(return Err(#pb::Rejection::missing_form(#key)))
            }
            None => quote!(return Err(#pb::Rejection::missing(#src, #key))),
            // A fresh list each call, never a shared mutable default.
            Some(d) if matches!(&d.kind, ValueKind::List(items) if items.is_empty()) => {
                quote!({
                    let l = c.new_list();
                    c.push_list(l);
                })
            }
            Some(_) => quote!(c.push_default()),
        };
        if p.ty.is_scalar_sequence(self.ir) && p.source != ParamSource::Path {
            return self.decode_sequence(p, &src, key, &absent);
        }
        let convert = self.convert(&p.ty, &src, key);
        quote! {
            match #fetch {
                Some(raw) => { #convert }
                None => #absent,
            }
        }
    }

    /// A repeated query parameter (or header) into a list.
    fn decode_sequence(
        &mut self,
        p: &Param,
        src: &TokenStream,
        key: &str,
        absent: &TokenStream,
    ) -> TokenStream {
        let pb = self.pb.clone();
        let seq = p.ty.without_none();
        let all = match p.source {
            ParamSource::Query => quote!(c.query_all(#key)),
            ParamSource::Form => quote!(c.form_all(#key).into_iter()),
            ParamSource::Header => {
                let lower = key.to_ascii_lowercase();
                quote!(c.header_all(#lower))
            }
            _ => quote!(c.cookie_all(#key)),
        };
        let item = match &seq.kind {
            TyKind::List(item) => Some(item.as_ref()),
            _ => None,
        };
        let present = match item.and_then(|t| {
            native(t)
                .filter(|_| t.constraints().is_none())
                .map(|n| (n, t))
        }) {
            Some((Native::Str, _)) => quote! {
                let mut l = c.new_list();
                for v in values { l.str(&v); }
                c.push_list(l);
            },
            Some((Native::Int, _)) => quote! {
                let mut l = c.new_list();
                for (i, v) in values.iter().enumerate() {
                    let n = #pb::lax::int(v).map_err(|e| e.at_index(#src, #key, i))?;
                    l.int(&n);
                }
                c.push_list(l);
            },
            _ => {
                let ty = self.types.index(pytype::expr(self.ir, &p.ty));
                quote!(c.push_convert_seq(&values, #ty, #src, #key)?;)
            }
        };
        quote! {
            {
                let values: Vec<_> = #all.collect();
                if values.is_empty() { #absent } else { #present }
            }
        }
    }

    /// Whether a form parameter's type is a model whose fields are the
    /// form's (`Annotated[Model, Form()]`, FastAPI 0.113+).
    fn is_form_model(&self, ty: &Ty) -> bool {
        matches!(&ty.without_none().unconstrained().kind,
            TyKind::Model(id) if !self.ir.models[id.0 as usize].is_enum())
    }

    /// A model from the form's fields: each field's last value, or every
    /// value for a sequence field, converted laxly by msgspec.
    fn decode_form_model(&mut self, p: &Param) -> TokenStream {
        let base = p.ty.without_none();
        let TyKind::Model(id) = &base.unconstrained().kind else {
            return quote!();
        };
        let model = &self.ir.models[id.0 as usize];
        let fields: Vec<TokenStream> = model
            .fields
            .iter()
            .map(|f| {
                let name = f.wire_name.as_str();
                let seq = f.ty.is_scalar_sequence(self.ir);
                quote!((#name, #seq))
            })
            .collect();
        let ty = self.types.index(pytype::expr(self.ir, &p.ty));
        let key = p.wire_name.as_str();
        if model
            .struct_options()
            .is_some_and(|o| o.forbid_unknown_fields)
        {
            return quote!(c.push_form_model_strict(#key, &[#(#fields),*], #ty)?;);
        }
        quote!(c.push_form_model(#key, &[#(#fields),*], #ty)?;)
    }

    /// An uploaded file (`UploadFile` or `bytes`), or a list of them.
    fn decode_file(&mut self, p: &Param) -> TokenStream {
        let pb = self.pb.clone();
        let key = p.wire_name.as_str();
        let base = p.ty.without_none();
        let (many, item) = match &base.unconstrained().kind {
            TyKind::List(item) => (true, item.unconstrained().kind.clone()),
            other => (false, other.clone()),
        };
        let as_bytes = !matches!(item, TyKind::UploadFile);
        let absent = match &p.default {
            None => quote!(return Err(#pb::Rejection::missing_form(#key))),
            Some(d) if matches!(&d.kind, ValueKind::List(items) if items.is_empty()) => {
                quote!({
                    let l = c.new_list();
                    c.push_list(l);
                })
            }
            Some(_) => quote!(c.push_default()),
        };
        quote! {
            if !c.push_files(#key, #many, #as_bytes)? {
                #absent
            }
        }
    }

    /// Converts `raw` (a `Cow<str>`) to the parameter's type and pushes it.
    fn convert(&mut self, ty: &Ty, src: &TokenStream, key: &str) -> TokenStream {
        let pb = self.pb.clone();
        let err = quote!(.map_err(|e| e.at(#src, #key))?);
        let base = ty.unconstrained();
        let constraints = ty.constraints();
        let optional = matches!(&base.kind, TyKind::Union(items) if items.len() == 2 && items.iter().any(|t| t.kind == TyKind::None));
        let inner = if optional {
            base.without_none()
        } else {
            base.clone()
        };
        let inner_constraints = constraints.or_else(|| inner.constraints());
        let inner_base = inner.unconstrained().clone();
        let fallback = |g: &mut Self| {
            let ty_idx = g.types.index(pytype::expr(g.ir, ty));
            quote!(c.push_convert(&raw, #ty_idx)#err;)
        };
        let Some(kind) = native(&inner_base) else {
            return fallback(self);
        };
        let Some(checks) = self.checks(kind, inner_constraints, &err) else {
            return fallback(self);
        };
        match (kind, optional) {
            (Native::Str, _) => quote! { #checks c.push_str(&raw); },
            (Native::Int, false) => {
                quote! { let v = #pb::lax::int(&raw)#err; #checks c.push_int(&v); }
            }
            (Native::Int, true) => quote! {
                match #pb::lax::int_or_none(&raw)#err {
                    Some(v) => { #checks c.push_int(&v); }
                    None => c.push_none(),
                }
            },
            (Native::Float, false) => {
                quote! { let v = #pb::lax::float(&raw)#err; #checks c.push_float(v); }
            }
            (Native::Float, true) => quote! {
                match #pb::lax::float_or_none(&raw)#err {
                    Some(v) => { #checks c.push_float(v); }
                    None => c.push_none(),
                }
            },
            (Native::Bool, false) => {
                quote! { let v = #pb::lax::bool(&raw)#err; c.push_bool(v); }
            }
            (Native::Bool, true) => quote! {
                match #pb::lax::bool_or_none(&raw)#err {
                    Some(v) => c.push_bool(v),
                    None => c.push_none(),
                }
            },
        }
    }

    /// Native constraint checks on `v` (ints, floats) or `raw` (strings);
    /// `None` when a constraint needs the exact (msgspec) path.
    fn checks(
        &mut self,
        kind: Native,
        c: Option<&Constraints>,
        err: &TokenStream,
    ) -> Option<TokenStream> {
        let pb = self.pb.clone();
        let check = quote!(#pb::check);
        let Some(c) = c else { return Some(quote!()) };
        if c.tz.is_some() {
            return None;
        }
        let mut out = Vec::new();
        match kind {
            Native::Int => {
                if c.pattern.is_some() || c.min_length.is_some() || c.max_length.is_some() {
                    return None;
                }
                // msgspec folds `gt=n` into `>= n+1` and `lt=n` into `<= n-1` for ints.
                let lower = match (&c.ge, &c.gt) {
                    (Some(b), None) => Some(as_i64(b.value)?),
                    (None, Some(b)) => Some(as_i64(b.value)?.checked_add(1)?),
                    (None, None) => None,
                    _ => return None,
                };
                let upper = match (&c.le, &c.lt) {
                    (Some(b), None) => Some(as_i64(b.value)?),
                    (None, Some(b)) => Some(as_i64(b.value)?.checked_sub(1)?),
                    (None, None) => None,
                    _ => return None,
                };
                if let Some(n) = lower {
                    out.push(quote!(#check::int_ge(&v, #n)#err;));
                }
                if let Some(n) = upper {
                    out.push(quote!(#check::int_le(&v, #n)#err;));
                }
                if let Some(b) = &c.multiple_of {
                    let n = as_i64(b.value)?;
                    out.push(quote!(#check::int_multiple_of(&v, #n)#err;));
                }
            }
            Native::Float => {
                if c.pattern.is_some() || c.min_length.is_some() || c.max_length.is_some() {
                    return None;
                }
                let f = |n: Number| Literal::f64_suffixed(n.as_f64());
                if let Some(b) = &c.ge {
                    let n = f(b.value);
                    out.push(quote!(#check::float_ge(v, #n)#err;));
                }
                if let Some(b) = &c.gt {
                    let n = f(b.value);
                    out.push(quote!(#check::float_gt(v, #n)#err;));
                }
                if let Some(b) = &c.le {
                    let n = f(b.value);
                    out.push(quote!(#check::float_le(v, #n)#err;));
                }
                if let Some(b) = &c.lt {
                    let n = f(b.value);
                    out.push(quote!(#check::float_lt(v, #n)#err;));
                }
                if let Some(b) = &c.multiple_of {
                    let n = f(b.value);
                    out.push(quote!(#check::float_multiple_of(v, #n)#err;));
                }
            }
            Native::Str => {
                if c.ge.is_some()
                    || c.gt.is_some()
                    || c.le.is_some()
                    || c.lt.is_some()
                    || c.multiple_of.is_some()
                {
                    return None;
                }
                if let Some(b) = &c.min_length {
                    let n = usize::try_from(b.value).ok()?;
                    out.push(quote!(#check::str_min_length(&raw, #n)#err;));
                }
                if let Some(b) = &c.max_length {
                    let n = usize::try_from(b.value).ok()?;
                    out.push(quote!(#check::str_max_length(&raw, #n)#err;));
                }
                if let Some(b) = &c.pattern {
                    let idx = usize::from(self.patterns.index(b.value.clone()));
                    out.push(quote!(c.check_pattern(&raw, #idx)#err;));
                }
            }
            Native::Bool => {
                if !c.is_empty() {
                    return None;
                }
            }
        }
        Some(quote!(#(#out)*))
    }
}
