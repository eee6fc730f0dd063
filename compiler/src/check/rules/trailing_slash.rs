//! PB055 `trailing-slash`: a route path that ends with `/`.
//!
//! The router matches paths exactly and never redirects, so `/items/` does
//! not serve `/items` (FastAPI redirects one to the other by default). A
//! trailing slash is usually a slip; when both spellings are routes, they
//! are two routes that look like one.
#![doc = include_str!("../../../../docs/diagnostics/PB055.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::source::Span;

/// Warns about each route path other than `/` that ends with a slash.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        let raw = &route.path.raw;
        if raw.len() < 2 || !raw.ends_with('/') {
            continue;
        }
        let trimmed = raw.trim_end_matches('/');
        let literal = route.path.span;
        let text = ctx.text(literal);
        // Point at the slash when the literal spells the path plainly.
        let span = if text.len() == raw.len() + 2 && !text.contains('\\') {
            Span::new(literal.file, literal.end - 2, literal.end - 1)
        } else {
            literal
        };
        let mut d = Diagnostic::new(
            Code::PB055,
            span,
            format!("route path `{raw}` ends with a slash"),
        )
        .with_label("trailing slash")
        .with_note(format!(
            "nothing is redirected: a request for `{}` reaches this route only through a second lookup after a miss",
            if trimmed.is_empty() { "/" } else { trimmed }
        ));
        if let Some(other) = ctx.ir.routes.iter().find(|r| r.path.raw == trimmed) {
            d = d
                .with_secondary(other.path.span, "a different route")
                .with_help(format!("use `{trimmed}` for both routes"));
        } else {
            d = d.with_help(format!("write `{trimmed}`"));
        }
        sink.report(d);
    }
}
