//! PB013 `duplicate-route`: two routes with the same method and path shape.
#![doc = include_str!("../../../../docs/diagnostics/PB013.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Reports each route whose method and shape an earlier route already has.
/// `/a/{x}` and `/a/{y}` have the same shape: the router ignores placeholder
/// names and types.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let routes = &ctx.ir.routes;
    for (j, later) in routes.iter().enumerate() {
        let shape = later.path.shape();
        let Some((first, method)) = routes[..j].iter().find_map(|r| {
            if r.path.shape() != shape {
                return None;
            }
            later
                .methods
                .iter()
                .find(|m| r.methods.contains(m))
                .map(|m| (r, *m))
        }) else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::PB013,
            later.path.span,
            format!("duplicate route `{method} {}`", later.path.raw),
        )
        .with_label(format!("`{}` also serves this", later.handler.name))
        .with_secondary(
            first.path.span,
            format!("first served by `{}` here", first.handler.name),
        )
        .with_help("remove one of the routes, or change its method or path");
        if first.path.raw != later.path.raw {
            d = d.with_note(format!(
                "`{}` and `{}` have the same shape: the router does not look at placeholder names or types",
                first.path.raw, later.path.raw
            ));
        }
        sink.report(d);
    }
}
