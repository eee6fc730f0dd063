//! PB047 `invalid-tagged-union`: several Structs in one union that msgspec
//! cannot tell apart: not all tagged, a shared tag value, different tag
//! fields, int and str tags mixed, or `array_like` mixed.
#![doc = include_str!("../../../../docs/diagnostics/PB047.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Model, StructOptions, TagValue, Ty, TyKind};

/// Reports the first problem of each union holding two or more Structs.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (_, ty) in walk::all_types(ctx.ir) {
        let TyKind::Union(members) = &ty.kind else {
            continue;
        };
        let structs: Vec<(&Ty, &Model, &StructOptions)> = members
            .iter()
            .filter_map(|m| match m.unconstrained().kind {
                TyKind::Model(id) => {
                    let model = ctx.ir.model(id);
                    model.struct_options().map(|o| (m, model, o))
                }
                _ => None,
            })
            .collect();
        if structs.len() < 2 {
            continue;
        }
        if let Some(d) = problem(&structs) {
            sink.report(d);
        }
    }
}

fn problem(structs: &[(&Ty, &Model, &StructOptions)]) -> Option<Diagnostic> {
    if let Some((ty, model, _)) = structs.iter().find(|(_, _, o)| o.tag.is_none()) {
        return Some(
            Diagnostic::new(
                Code::PB047,
                ty.span,
                format!("`{}` is in a union with other Structs but has no tag", model.name),
            )
            .with_label("untagged")
            .with_secondary(model.name_span, "defined here")
            .with_note("msgspec tells Structs in a union apart by a tag field; it raises TypeError when it builds the decoder")
            .with_help(format!("tag it: `class {}(msgspec.Struct, tag=True)`, and the other Structs too", model.name)),
        );
    }
    let (first_ty, first, first_o) = structs[0];
    for &(ty, model, o) in &structs[1..] {
        if o.array_like != first_o.array_like {
            return Some(
                Diagnostic::new(Code::PB047, ty.span, format!("`{}` and `{}` mix `array_like` Structs with object Structs", first.name, model.name))
                    .with_label(if o.array_like { "array_like" } else { "not array_like" })
                    .with_secondary(first_ty.span, if first_o.array_like { "array_like" } else { "not array_like" })
                    .with_note("msgspec raises TypeError: a union may not mix `array_like=True` and `array_like=False` Structs")
                    .with_help("give them the same `array_like` setting"),
            );
        }
        if o.tag_field != first_o.tag_field {
            let field = |o: &StructOptions| o.tag_field.clone().unwrap_or_default();
            return Some(
                Diagnostic::new(Code::PB047, ty.span, format!("`{}` and `{}` use different tag fields", first.name, model.name))
                    .with_label(format!("tag field {:?}", field(o)))
                    .with_secondary(first_ty.span, format!("tag field {:?}", field(first_o)))
                    .with_note("msgspec raises TypeError: all Structs in a union must have the same `tag_field`")
                    .with_help("use one `tag_field` for every Struct of the union"),
            );
        }
        if std::mem::discriminant(o.tag.as_ref()?) != std::mem::discriminant(first_o.tag.as_ref()?)
        {
            return Some(
                Diagnostic::new(
                    Code::PB047,
                    ty.span,
                    format!("`{}` and `{}` mix int and str tags", first.name, model.name),
                )
                .with_label(format!("tag {}", tag(o)))
                .with_secondary(first_ty.span, format!("tag {}", tag(first_o)))
                .with_note("msgspec raises TypeError: a union may not mix `int` and `str` tags")
                .with_help("use str tags for all, or int tags for all"),
            );
        }
    }
    for (j, &(ty, model, o)) in structs.iter().enumerate() {
        if let Some(&(first_ty, first, _)) = structs[..j].iter().find(|(_, _, p)| p.tag == o.tag) {
            return Some(
                Diagnostic::new(Code::PB047, ty.span, format!("`{}` and `{}` share the tag {}", first.name, model.name, tag(o)))
                    .with_label("same tag value")
                    .with_secondary(first_ty.span, format!("`{}` is tagged {} too", first.name, tag(o)))
                    .with_note("msgspec raises TypeError: Structs in a union must have unique `tag` values (a tag is inherited by subclasses unless it is `True`)")
                    .with_help("give each Struct its own `tag`"),
            );
        }
    }
    None
}

fn tag(o: &StructOptions) -> String {
    match &o.tag {
        Some(TagValue::Str(s)) => format!("{s:?}"),
        Some(TagValue::Int(i)) => i.to_string(),
        None => "none".into(),
    }
}
