//! PB081 `unknown-blocking-call`: a sync handler that runs inline calls
//! into a third-party module the blocking table does not know.
#![doc = include_str!("../../../../docs/diagnostics/PB081.md")]

use std::collections::HashSet;

use crate::blocking::{Blocking, classify, top_module};
use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::PoolReason;

/// Warns once per unknown module and route, at the first call into it (in
/// the handler's body: the call that leads there).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        // An explicit `sync_to_thread=`, an `async def` or a route already
        // on the pool leaves nothing to decide.
        if !matches!(route.pool_reason, PoolReason::NoBlockingCall) {
            continue;
        }
        let h = &route.handler;
        let mut seen = HashSet::new();
        for c in h.reached_calls.iter().chain(&route.dependency_calls) {
            if classify(&c.callee) != Blocking::Unknown {
                continue;
            }
            let module = top_module(&c.callee);
            if !seen.insert(module) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::PB081,
                c.site,
                format!("sync handler `{}` calls `{}`, which may block", h.name, c.callee),
            )
            .with_label(format!("`{module}` is not known to block or not to block"))
            .with_note("a sync handler runs inline on the interpreter thread unless it may block; if this call waits on the network or the disk, every other request waits with it");
            if c.site != c.span {
                d = d.with_secondary(c.span, format!("calls `{}`", c.callee));
            }
            sink.report(d.with_help(
                "say where the route runs: `sync_to_thread=True` on the route decorator if the call may wait, `sync_to_thread=False` if it only computes",
            ));
        }
    }
}
