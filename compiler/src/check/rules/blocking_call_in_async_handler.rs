//! PB051 `blocking-call-in-async-handler`: a call that blocks the thread
//! inside an `async def` handler.
#![doc = include_str!("../../../../docs/diagnostics/PB051.md")]

use crate::blocking::{Blocking, classify};
use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Warns about each blocking call in an `async def` handler's own body.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in crate::check::walk::handler_routes(ctx.ir) {
        let h = &route.handler;
        if !h.is_async {
            continue;
        }
        for (callee, span) in &h.calls {
            let Blocking::Yes {
                alternative: instead,
            } = classify(callee)
            else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB051,
                    *span,
                    format!("blocking call `{callee}` in async handler `{}`", h.name),
                )
                .with_label("blocks the event loop")
                .with_note("an `async def` handler runs on the event loop: while this call blocks, no other request on the worker makes progress")
                .with_help(format!("use {instead}, or make `{}` a plain `def`", h.name)),
            );
        }
    }
}
