//! PB032 `starlette-request-call`: Starlette's awaitable request methods
//! called on a `prebake.Request` (in a handler, a dependency, an
//! `@app.middleware("http")` function or a `BaseHTTPMiddleware.dispatch`).
#![doc = include_str!("../../../../docs/diagnostics/PB032.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{MethodCall, Param, ParamSource};

/// Reports, in handlers and their dependencies, `request.body()` (the body
/// is a `bytes` attribute here, so calling it always fails) and
/// `await request.json()` / `await request.form()` (plain calls here, whose
/// values cannot be awaited) on a parameter typed `Request`. Code ported
/// from FastAPI writes these; without the check it builds and answers 500
/// on every request.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (params, calls) in walk::callables(ctx.ir) {
        report(params, calls, sink);
    }
    // A middleware function's calls are already those on its request.
    for mw in &ctx.ir.middleware {
        report_calls(&mw.request_calls, sink);
    }
}

/// The calls on a parameter typed `Request`.
fn report(params: &[Param], calls: &[MethodCall], sink: &mut Sink) {
    let on_request = calls.iter().filter(|c| {
        params
            .iter()
            .any(|p| p.source == ParamSource::Request && p.name == c.receiver)
    });
    report_calls(on_request, sink);
}

fn report_calls<'a>(calls: impl IntoIterator<Item = &'a MethodCall>, sink: &mut Sink) {
    for c in calls {
        let r = &c.receiver;
        let (message, label, help) = match (c.method.as_str(), c.awaited) {
            ("body", true) => (
                format!("`await {r}.body()`: `{r}.body` is the body's bytes, not a method"),
                "not awaitable",
                format!("write `{r}.body`"),
            ),
            ("body", false) => (
                format!("`{r}.body()`: `{r}.body` is the body's bytes, not a method"),
                "`bytes` is not callable",
                format!("write `{r}.body`"),
            ),
            (m @ ("json" | "form" | "text"), true) => (
                format!("`await {r}.{m}()`: `{r}.{m}()` returns its value directly"),
                "not awaitable",
                format!("write `{r}.{m}()` without `await`"),
            ),
            _ => continue,
        };
        sink.report(
            Diagnostic::new(Code::PB032, c.span, message)
                .with_label(label)
                .with_note("a `prebake.Request` has read the whole body before the handler runs: `body` is `bytes` and `json()`, `form()` and `text()` are plain calls, unlike Starlette's coroutines")
                .with_help(help),
        );
    }
}
