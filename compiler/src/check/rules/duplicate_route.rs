//! PB013 `duplicate-route`: two routes with the same method and path shape.
#![doc = include_str!("../../../../docs/diagnostics/PB013.md")]

use std::collections::HashMap;

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::HttpMethod;

/// Reports each route whose method and shape an earlier route already has.
/// `/a/{x}` and `/a/{y}` have the same shape: the router ignores placeholder
/// names and types.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let routes = &ctx.ir.routes;
    // The first route of each (shape, method): one pass, not a pairwise scan,
    // so a thousand-route app stays fast in the editor.
    let mut first_of: HashMap<(String, HttpMethod), usize> = HashMap::new();
    for (j, later) in routes.iter().enumerate() {
        let shape = later.path.shape();
        let mut found = None;
        for m in &later.methods {
            match first_of.get(&(shape.clone(), *m)) {
                Some(&i) if found.is_none() => found = Some((&routes[i], *m)),
                Some(_) => {}
                None => {
                    first_of.insert((shape.clone(), *m), j);
                }
            }
        }
        let Some((first, method)) = found else {
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
