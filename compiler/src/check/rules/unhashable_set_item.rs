//! PB021 `unsupported-annotation` (the case the front end cannot see): a set
//! whose items are not hashable. msgspec builds the decoder, then raises
//! `TypeError: unhashable type` on the first request that has an item.
#![doc = include_str!("../../../../docs/diagnostics/PB021.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, ModelKind, Ty, TyKind};

/// Reports `set[T]` and `frozenset[T]` where `T` is a list, dict, set,
/// bytearray, TypedDict, or a Struct or dataclass that is not frozen.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (_, ty) in walk::all_types(ctx.ir) {
        let (TyKind::Set(item) | TyKind::FrozenSet(item)) = &ty.kind else {
            continue;
        };
        let Some((why, help)) = unhashable(ctx.ir, item) else {
            continue;
        };
        let kind = if matches!(ty.kind, TyKind::Set(_)) {
            "set"
        } else {
            "frozenset"
        };
        sink.report(
            Diagnostic::new(
                Code::PB021,
                item.span,
                format!("unsupported annotation: `{kind}` items must be hashable"),
            )
            .with_label(why)
            .with_note("msgspec accepts the type, then raises TypeError: unhashable type on the first request")
            .with_help(help),
        );
    }
}

/// Why `ty` is not hashable, and how to fix it.
fn unhashable(ir: &Ir, ty: &Ty) -> Option<(String, String)> {
    let ty = ty.unconstrained();
    let shown = ty.display(ir);
    match &ty.kind {
        TyKind::List(_) => Some((
            format!("`{shown}` is not hashable"),
            "use `tuple[T, ...]` items instead of lists".into(),
        )),
        TyKind::Set(_) => Some((
            format!("`{shown}` is not hashable"),
            "use `frozenset[T]` items".into(),
        )),
        TyKind::Dict(..) | TyKind::ByteArray => Some((
            format!("`{shown}` is not hashable"),
            "use a `list` instead of a set".into(),
        )),
        TyKind::Tuple(items) => items.iter().find_map(|t| unhashable(ir, t)),
        TyKind::VarTuple(item) => unhashable(ir, item),
        TyKind::Union(items) => items.iter().find_map(|t| unhashable(ir, t)),
        TyKind::Model(id) => {
            let m = ir.model(*id);
            let frozen = match &m.kind {
                ModelKind::Struct(o) => o.frozen,
                ModelKind::Dataclass(o) => o.frozen,
                ModelKind::TypedDict { .. } => {
                    return Some((
                        format!("`{}` is a TypedDict, which is a dict", m.name),
                        "use a `list` instead of a set".into(),
                    ));
                }
                // A tuple (its items' hashes are the tuple's own business,
                // as for a frozen Struct's fields).
                ModelKind::Enum { .. } | ModelKind::NamedTuple => true,
            };
            (!frozen).then(|| {
                (
                    format!("`{}` is not frozen, so not hashable", m.name),
                    format!("declare `{}` with `frozen=True`", m.name),
                )
            })
        }
        _ => None,
    }
}
