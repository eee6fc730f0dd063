//! PB028 `duplicate-wire-name`: two parameters of a handler that read the
//! same name from the same part of the request.
#![doc = include_str!("../../../../docs/diagnostics/PB028.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Param, ParamSource};

/// Reports the later of two query, header or cookie parameters with the same
/// wire name (header names compare case-insensitively).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        let params = &route.handler.params;
        for (j, p) in params.iter().enumerate() {
            // A parameter model reads its fields' keys, not its name (PB033).
            if !matches!(
                p.source,
                ParamSource::Query | ParamSource::Header | ParamSource::Cookie
            ) || p.param_model(ctx.ir).is_some()
            {
                continue;
            }
            let key = |q: &Param| {
                if q.source == ParamSource::Header {
                    q.wire_name.to_ascii_lowercase()
                } else {
                    q.wire_name.clone()
                }
            };
            let Some(first) = params[..j].iter().find(|q| {
                q.source == p.source && q.param_model(ctx.ir).is_none() && key(q) == key(p)
            }) else {
                continue;
            };
            let source = p.source.as_str();
            let span = p.marker_span.unwrap_or(p.name_span);
            sink.report(
                Diagnostic::new(
                    Code::PB028,
                    span,
                    format!("{source} `{}` is read twice", p.wire_name),
                )
                .with_label(format!("`{}` reads {source} `{}`", p.name, p.wire_name))
                .with_secondary(
                    first.name_span,
                    format!("`{}` already reads it", first.name),
                )
                .with_help("give one of them a different `alias`"),
            );
        }
    }
}
