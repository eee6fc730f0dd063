//! PB051 `blocking-call-in-async-handler`: a call that blocks the thread
//! inside an `async def` handler.
#![doc = include_str!("../../../../docs/diagnostics/PB051.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Blocking callees (by qualified name or prefix) and what to use instead.
const BLOCKING: &[(&str, &str)] = &[
    ("time.sleep", "`await asyncio.sleep(...)`"),
    (
        "requests.",
        "an async HTTP client such as `httpx.AsyncClient`",
    ),
    (
        "urllib.request.urlopen",
        "an async HTTP client such as `httpx.AsyncClient`",
    ),
    (
        "subprocess.run",
        "`await asyncio.create_subprocess_exec(...)`",
    ),
    (
        "subprocess.call",
        "`await asyncio.create_subprocess_exec(...)`",
    ),
    (
        "subprocess.check_call",
        "`await asyncio.create_subprocess_exec(...)`",
    ),
    (
        "subprocess.check_output",
        "`await asyncio.create_subprocess_exec(...)`",
    ),
    ("os.system", "`await asyncio.create_subprocess_shell(...)`"),
    (
        "socket.create_connection",
        "`await asyncio.open_connection(...)`",
    ),
];

fn blocking(callee: &str) -> Option<&'static str> {
    BLOCKING.iter().find_map(|(name, instead)| {
        let hit = if name.ends_with('.') {
            callee.starts_with(name)
        } else {
            callee == *name
        };
        hit.then_some(*instead)
    })
}

/// Warns about each blocking call in an `async def` handler's own body.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in crate::check::walk::handler_routes(ctx.ir) {
        let h = &route.handler;
        if !h.is_async {
            continue;
        }
        for (callee, span) in &h.calls {
            let Some(instead) = blocking(callee) else {
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
