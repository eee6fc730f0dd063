//! PB031 `body-on-bodiless-status`: a route whose status code forbids a body
//! but whose return type sends one.
#![doc = include_str!("../../../../docs/diagnostics/PB031.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ResponseKind;

/// Reports `status_code=` 1xx, 204, 205 or 304 on a handler that returns text,
/// bytes or JSON.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        let Some(status_span) = route.status_code_span else {
            continue;
        };
        let status = route.status_code;
        if !(status < 200 || matches!(status, 204 | 205 | 304)) {
            continue;
        }
        if matches!(
            route.handler.response,
            ResponseKind::Empty | ResponseKind::Raw | ResponseKind::Wrap(_)
        ) {
            continue;
        }
        let Some(declared) = &route.handler.returns else {
            continue;
        };
        sink.report(
            Diagnostic::new(
                Code::PB031,
                status_span,
                format!("status {status} forbids a body, but the handler returns one"),
            )
            .with_label("no body allowed")
            .with_secondary(declared.span, format!("`-> {}` sends a body", declared.display(ctx.ir)))
            .with_note("HTTP forbids content in 1xx, 204, 205 and 304 responses; clients would misread the connection")
            .with_help("annotate `-> None` to send no body, or use a status that allows one, such as 200"),
        );
    }
}
