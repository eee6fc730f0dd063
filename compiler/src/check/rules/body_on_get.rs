//! PB050 `body-on-get`: a JSON body parameter on a route whose method
//! conventionally has no body.
#![doc = include_str!("../../../../docs/diagnostics/PB050.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::ParamSource;

/// Warns about body parameters on GET, HEAD, DELETE and OPTIONS routes.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        let Some(method) = route.methods.iter().find(|m| !m.has_body()) else {
            continue;
        };
        for p in crate::check::walk::request_params(route) {
            if p.source != ParamSource::Body {
                continue;
            }
            let how = if p.marker_span.is_some() {
                "`Body()` marks it"
            } else {
                "its type is a model, list or dict"
            };
            sink.report(
                Diagnostic::new(
                    Code::PB050,
                    p.name_span,
                    format!("JSON body parameter `{}` on a `{method}` route", p.name),
                )
                .with_label(format!("read from the body: {how}"))
                .with_secondary(route.decorator_span, format!("`{method}` route"))
                .with_note("clients, proxies and caches often drop or refuse a body on GET, HEAD, DELETE and OPTIONS requests")
                .with_help("read the values from the query string with `Annotated[..., Query()]` scalars, or use POST"),
            );
        }
    }
}
