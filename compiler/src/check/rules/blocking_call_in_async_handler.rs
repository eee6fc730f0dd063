//! PB051 `blocking-call-in-async-handler`: a call that blocks the thread
//! inside an `async def` handler, made directly or through the app's own
//! functions.
#![doc = include_str!("../../../../docs/diagnostics/PB051.md")]

use crate::blocking::{Blocking, classify};
use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Warns about each blocking call an `async def` handler reaches, at the
/// call in the handler's body (the helper's call when it goes through one).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in crate::check::walk::handler_routes(ctx.ir) {
        let h = &route.handler;
        if !h.is_async {
            continue;
        }
        let blocking: Vec<_> = h
            .reached_calls
            .iter()
            .filter_map(|c| match classify(&c.callee) {
                Blocking::Yes { alternative } => Some((c, alternative)),
                _ => None,
            })
            .collect();
        for &(c, alternative) in &blocking {
            // `f.read()` on the object a reported `open(...)` made is the
            // same wait, reported once.
            if let Some((factory, _)) = c.callee.rsplit_once("().")
                && blocking.iter().any(|(o, _)| o.callee == factory)
            {
                continue;
            }
            let callee = &c.callee;
            let note = "an `async def` handler runs on the event loop: while this call blocks, no other request on the worker makes progress";
            let d = match c.via.last() {
                None => Diagnostic::new(
                    Code::PB051,
                    c.span,
                    format!("blocking call `{callee}` in async handler `{}`", h.name),
                )
                .with_label("blocks the event loop")
                .with_note(note)
                .with_help(format!(
                    "use {alternative}, or make `{}` a plain `def`",
                    h.name
                )),
                Some(helper) => {
                    let via: Vec<String> = c.via.iter().map(|f| format!("`{f}`")).collect();
                    Diagnostic::new(
                        Code::PB051,
                        c.site,
                        format!(
                            "blocking call `{callee}` in async handler `{}`, through {}",
                            h.name,
                            via.join(", ")
                        ),
                    )
                    .with_label("blocks the event loop")
                    .with_secondary(c.span, format!("`{callee}` blocks"))
                    .with_note(note)
                    .with_help(format!("in `{helper}`, use {alternative}"))
                }
            };
            sink.report(d);
        }
    }
}
