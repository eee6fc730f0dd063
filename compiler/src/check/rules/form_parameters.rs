//! PB120 `form-and-json-body` and PB121 `invalid-form-parameter`: form
//! fields and uploaded files come from a form body, so they exclude a JSON
//! body parameter, and they bind only the types a form can carry.
#![doc = include_str!("../../../../docs/diagnostics/PB120.md")]
#![doc = include_str!("../../../../docs/diagnostics/PB121.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, ModelKind, Param, ParamSource, TyKind};

/// Reports a JSON body beside form fields or files (PB120), and a `Form()`
/// or `File()` parameter of a type its part of the form cannot give, or an
/// `UploadFile` bound to a JSON body (PB121).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        let params = walk::request_params(route);
        let form = params
            .iter()
            .find(|p| matches!(p.source, ParamSource::Form | ParamSource::File));
        if let Some(form) = form {
            for p in params.iter().filter(|p| p.source == ParamSource::Body) {
                sink.report(
                    Diagnostic::new(
                        Code::PB120,
                        p.name_span,
                        format!("JSON body parameter `{}` beside form fields", p.name),
                    )
                    .with_label("read from a JSON body")
                    .with_secondary(form.name_span, "read from a form body")
                    .with_note("a request has one body: a form (urlencoded or multipart) or JSON, not both")
                    .with_help(format!(
                        "mark `{}` `Form()` to read it from the form, or send everything as JSON",
                        p.name
                    )),
                );
            }
        }
        for p in &params {
            if let Some(why) = invalid(ctx.ir, p) {
                let ty = p.ty.unconstrained().display(ctx.ir);
                sink.report(
                    Diagnostic::new(
                        Code::PB121,
                        p.ty.span,
                        format!(
                            "{} parameter `{}` cannot be `{ty}`",
                            label(p.source),
                            p.name
                        ),
                    )
                    .with_label(why)
                    .with_help(match p.source {
                        ParamSource::File => "use `UploadFile`, `bytes`, or a list of either",
                        ParamSource::Form => {
                            "use a scalar, a list of scalars, or a model of them; \
                             an uploaded file is `UploadFile` or `File()`"
                        }
                        _ => "annotate it `UploadFile` (or `File()`) to read an uploaded file",
                    }),
                );
            }
        }
    }
}

fn label(source: ParamSource) -> &'static str {
    match source {
        ParamSource::Form => "form",
        ParamSource::File => "file",
        other => other.as_str(),
    }
}

/// Why `p`'s type does not fit its source, if it does not.
fn invalid(ir: &Ir, p: &Param) -> Option<&'static str> {
    let ty = p.ty.without_none();
    let kind = &ty.unconstrained().kind;
    if matches!(kind, TyKind::Unknown | TyKind::Any) {
        return None;
    }
    let upload = |k: &TyKind| matches!(k, TyKind::UploadFile);
    let item = match kind {
        TyKind::List(item) => Some(&item.unconstrained().kind),
        _ => None,
    };
    match p.source {
        ParamSource::File => {
            let file = |k: &TyKind| matches!(k, TyKind::UploadFile | TyKind::Bytes);
            (!(file(kind) || item.is_some_and(file))).then_some("not a file")
        }
        ParamSource::Form => {
            if upload(kind) || item.is_some_and(upload) {
                return Some("a file: mark it `File()` or drop the marker");
            }
            if matches!(kind, TyKind::Model(id) if matches!(ir.models[id.0 as usize].kind, ModelKind::NamedTuple))
            {
                // msgspec converts an array, never an object, to a NamedTuple.
                return Some("a NamedTuple is an array, not named form fields");
            }
            let model = matches!(kind, TyKind::Model(id) if !ir.models[id.0 as usize].is_enum());
            let ok = p.ty.is_scalar(ir) || p.ty.is_scalar_sequence(ir) || model;
            (!ok).then_some("a form field is text, or repeated text for a list")
        }
        // The query, headers and cookies refuse it already (PB027).
        ParamSource::Body => {
            (upload(kind) || item.is_some_and(upload)).then_some("an upload comes from a form body")
        }
        _ => None,
    }
}
