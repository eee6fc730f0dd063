//! Enumerating the app's annotations and the types nested in them, so that
//! type rules (unions, dict keys, constraints, set items) see every type
//! exactly once.
//!
//! Each annotation is visited where it is written: handler parameters and
//! return types through the routes, model fields through
//! [`crate::ir::Ir::models`]. A reference to a model is a leaf: its fields are
//! visited once, with the model, whatever uses it.

use crate::ir::{Field, Ir, Param, Route, Ty, TyKind};
use crate::source::Span;

/// Where an annotation is written.
#[derive(Clone, Copy)]
pub(crate) enum Site {
    /// A handler parameter, with its marker call (`Query(...)`), whose
    /// constraints are prebake's own rather than `msgspec.Meta`'s.
    Param(Option<Span>),
    /// A handler's return annotation.
    Return,
    /// A model field.
    Field,
}

impl Site {
    /// The marker call of a parameter.
    pub(crate) fn marker_span(&self) -> Option<Span> {
        match self {
            Site::Param(m) => *m,
            _ => None,
        }
    }
}

/// Every annotation of the app with its site, handlers first (in route
/// order), then model fields. A handler serving several routes is visited
/// once.
pub(crate) fn annotations(ir: &Ir) -> Vec<(Site, &Ty)> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for r in &ir.routes {
        if seen.contains(&r.handler.name_span) {
            continue;
        }
        seen.push(r.handler.name_span);
        for p in request_params(r) {
            if !seen.contains(&p.name_span) {
                seen.push(p.name_span);
                out.push((Site::Param(p.marker_span), &p.ty));
            }
        }
        if let Some(t) = &r.handler.returns {
            out.push((Site::Return, t));
        }
    }
    for m in &ir.models {
        for f in &m.fields {
            // Inherited fields are visited with the class that declares them.
            if f.declared_in == m.qualname() {
                out.push((Site::Field, &f.ty));
            }
        }
    }
    out
}

/// Calls `f` on `ty` and on every type nested in it (container items, union
/// members, constrained bases), parents before children. Models are leaves.
pub(crate) fn each_ty<'a>(ty: &'a Ty, f: &mut impl FnMut(&'a Ty)) {
    f(ty);
    match &ty.kind {
        TyKind::List(t)
        | TyKind::Set(t)
        | TyKind::FrozenSet(t)
        | TyKind::VarTuple(t)
        | TyKind::Constrained(t, _) => each_ty(t, f),
        TyKind::Tuple(items) | TyKind::Union(items) => {
            for t in items {
                each_ty(t, f);
            }
        }
        TyKind::Dict(k, v) => {
            each_ty(k, f);
            each_ty(v, f);
        }
        _ => {}
    }
}

/// Every nested type of every annotation, with the annotation's site.
pub(crate) fn all_types(ir: &Ir) -> Vec<(Site, &Ty)> {
    let mut out = Vec::new();
    for (site, ty) in annotations(ir) {
        each_ty(ty, &mut |t| out.push((site, t)));
    }
    out
}

/// The members of a union with constraints peeled off each, or the type
/// itself as the only member.
pub(crate) fn members(ty: &Ty) -> Vec<&Ty> {
    match &ty.unconstrained().kind {
        TyKind::Union(items) => items.iter().map(Ty::unconstrained).collect(),
        _ => vec![ty.unconstrained()],
    }
}

/// The parameters of a route's whole dependency graph (handler and
/// dependencies) that read the request itself, each once.
pub(crate) fn request_params(route: &Route) -> Vec<&Param> {
    let mut out: Vec<&Param> = Vec::new();
    for p in route.graph_params() {
        if p.is_request_value() && !out.iter().any(|q| q.name_span == p.name_span) {
            out.push(p);
        }
    }
    out
}

/// The routes whose handlers are distinct: a function under two route
/// decorators is checked once, with its first route.
/// Each handler and each dependency of the app once, as its parameters and
/// the method calls its body makes (for the rules about calls on a
/// parameter: PB032, PB162).
pub(crate) fn callables(ir: &Ir) -> Vec<(&[crate::ir::Param], &[crate::ir::MethodCall])> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for route in handler_routes(ir) {
        let h = &route.handler;
        if !seen.contains(&h.name_span) {
            seen.push(h.name_span);
            out.push((h.params.as_slice(), h.method_calls.as_slice()));
        }
        for d in route.graph_dependencies() {
            if !seen.contains(&d.def_span) {
                seen.push(d.def_span);
                out.push((d.params.as_slice(), d.method_calls.as_slice()));
            }
        }
    }
    out
}

pub(crate) fn handler_routes(ir: &Ir) -> Vec<&Route> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for r in &ir.routes {
        if !seen.contains(&r.handler.name_span) {
            seen.push(r.handler.name_span);
            out.push(r);
        }
    }
    out
}

/// The span of a field's name (its statement starts with the name).
pub(crate) fn field_name_span(f: &Field) -> Span {
    let len = u32::try_from(f.name.len()).unwrap_or(0);
    Span::new(
        f.span.file,
        f.span.start,
        (f.span.start + len).min(f.span.end),
    )
}
