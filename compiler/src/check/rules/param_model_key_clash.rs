//! PB033 `parameter-model-key-clash`: a field of a query, header or cookie
//! parameter model that reads a key another parameter of the same function
//! reads too.
#![doc = include_str!("../../../../docs/diagnostics/PB033.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, Param, ParamSource};
use crate::source::Span;

/// One key a parameter reads: its source, the key (lowercase for a
/// header), the key as written, the model field that reads it (if any),
/// and what reads it.
struct Read<'a> {
    source: ParamSource,
    key: String,
    written: String,
    field: Option<Span>,
    what: String,
    param: &'a Param,
}

/// Reports, in the handler's parameters and in each dependency's, a model
/// field whose key an earlier parameter or model field of the same source
/// reads already (two plain parameters are PB028's).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for route in walk::handler_routes(ctx.ir) {
        let mut lists = vec![&route.handler.params];
        lists.extend(route.graph_dependencies().iter().map(|d| &d.params));
        for params in lists {
            check_list(ctx.ir, params, sink);
        }
    }
}

fn check_list(ir: &Ir, params: &[Param], sink: &mut Sink) {
    let mut reads: Vec<Read<'_>> = Vec::new();
    for p in params {
        if !matches!(
            p.source,
            ParamSource::Query | ParamSource::Header | ParamSource::Cookie
        ) {
            continue;
        }
        let norm = |k: &str| {
            if p.source == ParamSource::Header {
                k.to_ascii_lowercase()
            } else {
                k.to_string()
            }
        };
        if p.param_model(ir).is_none() {
            // Read as a plain parameter.
            reads.push(Read {
                source: p.source,
                key: norm(&p.wire_name),
                written: p.wire_name.clone(),
                field: None,
                what: format!("parameter `{}`", p.name),
                param: p,
            });
            continue;
        }
        let Some(id) = p.param_model(ir) else {
            continue;
        };
        let model = &ir.model(id).name;
        for f in p.param_model_fields(ir) {
            reads.push(Read {
                source: p.source,
                key: norm(&f.key),
                written: f.key.clone(),
                field: Some(walk::field_name_span(f.field)),
                what: format!("field `{}` of `{model}`", f.field.name),
                param: p,
            });
        }
    }
    for (j, r) in reads.iter().enumerate() {
        let Some(first) = reads[..j]
            .iter()
            .find(|q| q.source == r.source && q.key == r.key)
        else {
            continue;
        };
        // Two plain parameters are PB028's.
        if r.param.param_model(ir).is_none() && first.param.param_model(ir).is_none() {
            continue;
        }
        let source = r.source.as_str();
        let mut d = Diagnostic::new(
            Code::PB033,
            r.param.name_span,
            format!("{source} `{}` is read twice", r.written),
        )
        .with_label(format!("{} reads {source} `{}`", r.what, r.written));
        // Fields may live in another module: only those of this file are
        // shown beside the signature.
        let here = r.param.name_span.file;
        if let Some(field) = r.field.filter(|f| f.file == here) {
            d = d.with_secondary(field, format!("{} is declared here", r.what));
        }
        if first.param.name_span != r.param.name_span {
            d = d.with_secondary(
                first.param.name_span,
                format!("{} already reads it", first.what),
            );
        }
        if let Some(field) = first
            .field
            .filter(|f| f.file == here && Some(*f) != r.field)
        {
            d = d.with_secondary(field, format!("{} is declared here", first.what));
        }
        sink.report(
            d.with_note("a request key is read by one parameter or one model field")
                .with_help(
                    "rename the field (msgspec `rename=` or `field(name=...)`) or give the parameter an `alias`",
                ),
        );
    }
}
