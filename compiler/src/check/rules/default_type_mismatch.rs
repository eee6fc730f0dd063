//! PB023 `default-type-mismatch`: a parameter or field default that does not
//! fit its annotation.
#![doc = include_str!("../../../../docs/diagnostics/PB023.md")]

use crate::check::fits::{self, Mismatch};
use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{FieldDefault, ParamSource, Ty, TyKind, Value, ValueKind};

/// Reports defaults of handler parameters and of model fields (including
/// `default_factory`) that are not values of the annotated type.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        for p in crate::check::walk::request_params(route) {
            let Some(default) = &p.default else { continue };
            if !p.annotated || p.source == ParamSource::Request {
                continue;
            }
            if let Err(m) = fits::fits(ctx, default, &p.ty) {
                sink.report(diagnostic(ctx, m, default, &p.ty, &p.name));
            }
        }
    }
    for model in &ctx.ir.models {
        for f in &model.fields {
            if f.declared_in != model.qualname() {
                continue;
            }
            let result = match &f.default {
                FieldDefault::Required => continue,
                FieldDefault::Value(v) => fits::fits(ctx, v, &f.ty).map_err(|m| (m, v)),
                FieldDefault::Factory(v) => fits::factory_fits(ctx, v, &f.ty).map_err(|m| (m, v)),
            };
            if let Err((m, v)) = result {
                sink.report(diagnostic(ctx, m, v, &f.ty, &f.name));
            }
        }
    }
}

fn diagnostic(ctx: &Ctx<'_>, m: Mismatch, default: &Value, ty: &Ty, what: &str) -> Diagnostic {
    let whole = m.span == default.span;
    let message = if whole {
        format!("default of `{what}` does not fit {}", m.expected)
    } else {
        format!(
            "default of `{what}` does not fit `{}`",
            ty.unconstrained().display(ctx.ir)
        )
    };
    let mut d = Diagnostic::new(Code::PB023, m.span, message)
        .with_label(format!("expected {}, found {}", m.expected, m.found))
        .with_secondary(ty.span, "annotated here");
    if let Some(note) = m.note {
        d = d.with_note(note);
    }
    let help = m
        .help
        .or_else(|| match (&default.kind, &ty.unconstrained().kind) {
            (ValueKind::None, TyKind::Unknown) => None,
            (ValueKind::None, _) if whole => Some(format!(
                "annotate it `{} | None`, or remove the default to make it required",
                ty.display(ctx.ir)
            )),
            _ => None,
        });
    if let Some(help) = help {
        d = d.with_help(help);
    }
    d
}
