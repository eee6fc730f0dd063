//! PB053 `async-without-await`: an `async def` handler that never awaits.
#![doc = include_str!("../../../../docs/diagnostics/PB053.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::source::Span;

/// Warns about `async def` handlers whose body has no `await`, `async for`
/// or `async with`. A stub (a body that only raises, `pass` or `...`) is
/// left alone, as ruff's `unused-async` leaves stubs: it is a placeholder
/// whose real body will await.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        let h = &route.handler;
        if !h.is_async || h.awaits || h.is_stub {
            continue;
        }
        let sig = h.signature_span;
        let keyword = Span::new(sig.file, sig.start, (sig.start + 5).min(sig.end));
        sink.report(
            Diagnostic::new(Code::PB053, keyword, format!("`async def` handler `{}` never awaits", h.name))
                .with_label("nothing to wait for")
                .with_secondary(h.name_span, "this handler")
                .with_note("each call still creates and drives a coroutine; a plain `def` handler is simply called")
                .with_help(format!("make `{}` a plain `def`", h.name)),
        );
    }
}
