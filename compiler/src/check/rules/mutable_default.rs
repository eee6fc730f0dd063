//! PB049 `mutable-default` (the dataclass case; the front end reports
//! non-empty mutable defaults on every model): an empty list, dict or set
//! as a dataclass field default.
#![doc = include_str!("../../../../docs/diagnostics/PB049.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{FieldDefault, ModelKind, ValueKind};

/// Reports `= []`, `= {}` and `= set()` on dataclass fields: unlike msgspec
/// Structs, which copy empty collections, dataclasses refuse them.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for model in &ctx.ir.models {
        if !matches!(model.kind, ModelKind::Dataclass(_)) {
            continue;
        }
        for f in &model.fields {
            let FieldDefault::Value(v) = &f.default else {
                continue;
            };
            if f.declared_in != model.qualname() {
                continue;
            }
            let kind = match &v.kind {
                ValueKind::List(items) if items.is_empty() => "list",
                ValueKind::Dict(items) if items.is_empty() => "dict",
                ValueKind::Set(items) if items.is_empty() => "set",
                ValueKind::Call { callee, args, .. } if args.is_empty() => match callee.as_str() {
                    "builtins.list" => "list",
                    "builtins.dict" => "dict",
                    "builtins.set" => "set",
                    _ => continue,
                },
                _ => continue,
            };
            sink.report(
                Diagnostic::new(Code::PB049, v.span, format!("mutable default `{}` on a dataclass field", ctx.snippet(v.span)))
                    .with_label(format!("a {kind}"))
                    .with_note(format!("dataclasses raise ValueError when the class is created: mutable default <class '{kind}'> for field {} is not allowed", f.name))
                    .with_help(format!("use `dataclasses.field(default_factory={kind})`")),
            );
        }
    }
}
