//! PB080 `runs-on-thread-pool`: says which routes run on the thread pool
//! and why (information, not a problem).
#![doc = include_str!("../../../../docs/diagnostics/PB080.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::PoolReason;

/// Reports each route that runs on the thread pool, on its handler's name,
/// with the blocking call (or the `sync_to_thread=True`) that sent it there.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        if !route.on_pool {
            continue;
        }
        let h = &route.handler;
        let methods: Vec<&str> = route.methods.iter().map(|m| m.as_str()).collect();
        let why = route.pool_reason.explain(ctx.db, &h.name);
        let mut d = Diagnostic::new(
            Code::PB080,
            h.name_span,
            format!(
                "`{} {}` runs on the thread pool: {why}",
                methods.join(", "),
                route.path.raw
            ),
        )
        .with_label("runs on the thread pool")
        .with_note("a request on the pool costs a hand-off between threads each way; meanwhile the interpreter thread keeps serving the other routes");
        match &route.pool_reason {
            PoolReason::Blocking(c) => {
                d = d
                    .with_secondary(c.span, "may block")
                    .with_help("if this call is always quick, `sync_to_thread=False` on the route keeps it inline");
            }
            PoolReason::Setting(s) => {
                d = d.with_secondary(s.span, "set here");
            }
            PoolReason::Async | PoolReason::NoBlockingCall => {}
        }
        sink.report(d);
    }
}
