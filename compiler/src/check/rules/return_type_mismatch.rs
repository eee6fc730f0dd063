//! PB030 `return-type-mismatch`: a `return` whose constant value does not
//! fit the declared return type.
#![doc = include_str!("../../../../docs/diagnostics/PB030.md")]

use crate::check::fits::{self, Mismatch};
use crate::check::satisfies::{self, Violation};
use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{ResponseKind, Ty, TyKind, Value, ValueKind};

/// Reports returned literals (and bare `return`s) that the declared return
/// type does not accept: the server would answer 500 for them.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        let h = &route.handler;
        let Some(declared) = &h.returns else { continue };
        let ctx = &Ctx {
            converting: h.converts,
            ..*ctx
        };
        if matches!(declared.kind, TyKind::Unknown) {
            continue;
        }
        for site in &h.return_sites {
            let value = site
                .value
                .clone()
                .unwrap_or_else(|| Value::new(ValueKind::None, site.span));
            // A built `Response` is sent as built, whatever the annotation.
            if let ValueKind::Call { callee, .. } = &value.kind
                && fits::constructed(ctx, callee) == Some(TyKind::Response)
            {
                continue;
            }
            let result = match &h.response {
                ResponseKind::Empty => match value.kind {
                    ValueKind::None => Ok(()),
                    _ => fits::fits(ctx, &value, declared),
                },
                _ => fits::fits(ctx, &value, declared),
            };
            if result.is_ok() {
                if let Some(found) = satisfies::violation(ctx, &value, declared) {
                    sink.report(violation(ctx, found, declared));
                }
                continue;
            }
            let Err(m) = result else { continue };
            sink.report(diagnostic(
                ctx,
                m,
                &value,
                declared,
                &h.response,
                site.value.is_none(),
            ));
        }
    }
}

fn diagnostic(
    ctx: &Ctx<'_>,
    m: Mismatch,
    value: &Value,
    declared: &Ty,
    response: &ResponseKind,
    bare: bool,
) -> Diagnostic {
    let shown = declared.display(ctx.ir).to_string();
    let message = match (response, bare) {
        (ResponseKind::Empty, _) => "handler declared `-> None` returns a value".to_string(),
        (_, true) => format!("bare `return` in a handler declared `-> {shown}`"),
        _ => format!("return value does not fit `-> {shown}`"),
    };
    let mut d = Diagnostic::new(Code::PB030, m.span, message)
        .with_label(format!("expected {}, found {}", m.expected, m.found))
        .with_secondary(declared.span, "declared here")
        .with_note(if ctx.converting {
            "the server answers 500 when a handler returns a value that does not convert to its `response_model`"
        } else {
            "the server answers 500 when a handler returns a value that does not match its annotation"
        });
    if let Some(note) = m.note {
        d = d.with_note(note);
    }
    let help = match (response, &value.kind) {
        (ResponseKind::Empty, _) => Some(
            "`-> None` sends 204 with no body; annotate the type of the value to send it, e.g. `-> dict[str, str]`".to_string(),
        ),
        (ResponseKind::Text, ValueKind::Dict(_) | ValueKind::List(_)) => Some(
            "annotate the JSON type, e.g. `-> dict[str, str]`; `-> str` sends the string as text/plain".to_string(),
        ),
        (_, _) if bare => Some("return a value, or annotate `| None`".to_string()),
        _ => m.help,
    };
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

/// A returned literal of the right type that breaks a constraint of it.
fn violation(ctx: &Ctx<'_>, found: Violation, declared: &Ty) -> Diagnostic {
    Diagnostic::new(
        Code::PB030,
        found.value,
        format!(
            "return value violates `{}` of `-> {}`",
            ctx.snippet(found.key),
            declared.display(ctx.ir)
        ),
    )
    .with_label(found.what)
    .with_secondary(found.key, "constraint here")
    .with_note("the server checks a return value against its annotation's constraints and answers 500 when it breaks one")
    .with_help("return a value the constraint accepts, or change the constraint")
}
