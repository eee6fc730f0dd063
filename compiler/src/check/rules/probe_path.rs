//! PB160 `invalid-probe-path` and PB161 `probe-path-hides-route`: the
//! `App(health_path=..., ready_path=...)` probe endpoints.
//!
//! The server answers these paths before routing, without Python, so a bad
//! value would only show at start-up (the `App` refuses it) and a path that
//! is also a route's would silently shadow the route.
#![doc = include_str!("../../../../docs/diagnostics/PB160.md")]
#![doc = include_str!("../../../../docs/diagnostics/PB161.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ValueKind;

/// Reports each probe keyword that is not `None` or a string literal
/// starting with `/`, and each probe path equal to a route's path.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let Some(app) = &ctx.ir.app else { return };
    for (key, value) in &app.keywords {
        if key != "health_path" && key != "ready_path" {
            continue;
        }
        let path = match &value.kind {
            ValueKind::None => continue,
            ValueKind::Str(s) if s.starts_with('/') && !s.contains(['?', '#', ' ']) => s,
            ValueKind::Str(s) => {
                sink.report(
                    Diagnostic::new(
                        Code::PB160,
                        value.span,
                        format!("`{key}` must be a path starting with `/`, without a query"),
                    )
                    .with_label(format!("`{s}`"))
                    .with_note(
                        "`App` refuses it when the module is imported: the server does not start",
                    )
                    .with_help(format!(
                        "write `{key}=\"/{}\"`",
                        s.trim_start_matches('/')
                            .split(['?', '#'])
                            .next()
                            .unwrap_or("")
                            .trim()
                    )),
                );
                continue;
            }
            _ => {
                sink.report(
                    Diagnostic::new(
                        Code::PB160,
                        value.span,
                        format!("`{key}` must be a string literal or `None`"),
                    )
                    .with_label(format!("found {}", value.type_name()))
                    .with_note("the build reads the probe paths for the generated container and Kubernetes files"),
                );
                continue;
            }
        };
        if let Some(route) = ctx.ir.routes.iter().find(|r| &r.path.raw == path) {
            sink.report(
                Diagnostic::new(
                    Code::PB161,
                    value.span,
                    format!("`{key}` `{path}` is also a route's path"),
                )
                .with_label("the server answers this probe itself")
                .with_secondary(route.path.span, "this route is never called")
                .with_help("give the probe or the route another path"),
            );
        }
    }
}
