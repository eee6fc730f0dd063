//! PB046 `duplicate-field-name`: two fields of a Struct that encode to the
//! same JSON key (after `rename=` and `field(name=...)`), or a field that
//! collides with the tag field.
#![doc = include_str!("../../../../docs/diagnostics/PB046.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Reports each field whose wire name an earlier field (or the tag field)
/// already uses.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for model in &ctx.ir.models {
        let Some(opts) = model.struct_options() else {
            continue;
        };
        for (j, f) in model.fields.iter().enumerate() {
            if f.declared_in != model.qualname() {
                continue;
            }
            if let (Some(tag_field), Some(_)) = (&opts.tag_field, &opts.tag)
                && f.wire_name == *tag_field
            {
                sink.report(
                        Diagnostic::new(
                            Code::PB046,
                            walk::field_name_span(f),
                            format!("field `{}` collides with the tag field {tag_field:?}", f.name),
                        )
                        .with_label(format!("encodes as {tag_field:?}"))
                        .with_secondary(model.name_span, "tagged Struct")
                        .with_note(format!("msgspec raises ValueError when the class is created: `tag_field='{tag_field}'` conflicts with an existing field of that name"))
                        .with_help("rename the field, or set another `tag_field`"),
                    );
                continue;
            }
            let Some(first) = model.fields[..j]
                .iter()
                .find(|g| g.wire_name == f.wire_name)
            else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB046,
                    walk::field_name_span(f),
                    format!("fields `{}` and `{}` both encode as {:?}", first.name, f.name, f.wire_name),
                )
                .with_label(format!("encodes as {:?}", f.wire_name))
                .with_secondary(walk::field_name_span(first), format!("encodes as {:?} too", first.wire_name))
                .with_note("msgspec raises ValueError when the class is created: Multiple fields rename to the same name")
                .with_help("give one of them another name with `msgspec.field(name=...)`"),
            );
        }
    }
}
