//! PB054 `unused-app`: an `App` with no routes.
#![doc = include_str!("../../../../docs/diagnostics/PB054.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Warns when the app has no routes and nothing else went wrong (a route
/// the front end could not read was already reported).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let Some(app) = &ctx.ir.app else { return };
    if !ctx.ir.routes.is_empty() || sink.has_errors() {
        return;
    }
    sink.report(
        Diagnostic::new(Code::PB054, app.span, format!("`{}` has no routes", app.var_name))
            .with_label("every request would get 404")
            .with_note("prebake finds routes in the entry module and the local modules it imports; a module that only imports the app is never read")
            .with_help(format!("add a handler: `@{}.get(\"/\")`", app.var_name)),
    );
}
