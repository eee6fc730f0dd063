//! PB041 `invalid-model-field`, for wire names: a Struct field renamed
//! (`field(name=...)`, `rename=`) to a name msgspec refuses.
#![doc = include_str!("../../../../docs/diagnostics/PB041.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Reports Struct fields whose JSON name contains `\`, `"` or a control
/// character (U+0000 to U+001F): msgspec raises `ValueError` when the class
/// is created, so the app would not start.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for model in &ctx.ir.models {
        if model.struct_options().is_none() {
            continue;
        }
        for f in &model.fields {
            if f.declared_in != model.qualname() || f.wire_name == f.name {
                continue;
            }
            let Some(bad) = f
                .wire_name
                .chars()
                .find(|c| matches!(c, '\\' | '"' | '\u{0}'..='\u{1f}'))
            else {
                continue;
            };
            sink.report(
                Diagnostic::new(
                    Code::PB041,
                    walk::field_name_span(f),
                    format!("field `{}` is renamed to {:?}, which msgspec refuses", f.name, f.wire_name),
                )
                .with_label(format!("contains {bad:?}"))
                .with_secondary(model.name_span, "in this Struct")
                .with_note("msgspec raises ValueError when the class is created: renamed field names must not contain '\\', '\"', or control characters ('\\u0000' to '\\u001F')")
                .with_help("pick a name without them"),
            );
        }
    }
}
