//! PB073 `conflicting-dependency-parameter`: two parameters of one route's
//! dependency graph that read the same request value as different types.
#![doc = include_str!("../../../../docs/diagnostics/PB073.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Param, ParamSource};

/// Reports the later of two graph parameters that read the same path,
/// query, header, cookie or body value with different annotations. The
/// request value is decoded once per route and shared, so its type must be
/// one.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in &ctx.ir.routes {
        let params = walk::request_params(route);
        for (j, p) in params.iter().enumerate() {
            if p.source == ParamSource::Request {
                continue;
            }
            let Some(first) = params[..j]
                .iter()
                .find(|q| q.source == p.source && key(q) == key(p))
            else {
                continue;
            };
            // Two body parameters of different names on one key are PB022's.
            if p.source == ParamSource::Body && first.name != p.name {
                continue;
            };
            let (a, b) = (
                first.ty.display(ctx.ir).to_string(),
                p.ty.display(ctx.ir).to_string(),
            );
            if a == b {
                continue;
            }
            sink.report(
                Diagnostic::new(
                    Code::PB073,
                    p.name_span,
                    format!(
                        "{} `{}` is read as two types in the dependencies of `{} {}`",
                        p.source.as_str(),
                        p.wire_name,
                        route.methods.first().map_or("", |m| m.as_str()),
                        route.path.raw
                    ),
                )
                .with_label(format!("read as `{b}` here"))
                .with_secondary(first.name_span, format!("read as `{a}` here"))
                .with_note("a request value is decoded once per route and shared by every callable that reads it")
                .with_help("give both parameters the same annotation, or read different names"),
            );
        }
    }
}

fn key(p: &Param) -> String {
    if p.source == ParamSource::Header {
        p.wire_name.to_ascii_lowercase()
    } else {
        p.wire_name.clone()
    }
}
