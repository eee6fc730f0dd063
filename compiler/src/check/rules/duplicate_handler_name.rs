//! PB019 `duplicate-handler-name`: two route handlers defined under the same
//! name in one module.
#![doc = include_str!("../../../../docs/diagnostics/PB019.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Reports each handler `def` whose name an earlier handler of the same
/// module already has.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let handlers = walk::handler_routes(ctx.ir);
    for (j, later) in handlers.iter().enumerate() {
        let h = &later.handler;
        let Some(first) = handlers[..j]
            .iter()
            .map(|r| &r.handler)
            .find(|f| f.name == h.name && f.module == h.module)
        else {
            continue;
        };
        sink.report(
            Diagnostic::new(
                Code::PB019,
                h.name_span,
                format!("handler `{}` is defined twice in `{}`", h.name, h.module),
            )
            .with_label("this `def` rebinds the name")
            .with_secondary(first.name_span, "first defined here")
            .with_note("the module keeps only the last function of a name, and the server looks handlers up by name, so both routes would call this one")
            .with_help("rename one of the functions"),
        );
    }
}
