//! PB042 `required-field-after-optional`: a required field after a field
//! with a default, in a Struct, dataclass or NamedTuple that is not
//! keyword-only.
#![doc = include_str!("../../../../docs/diagnostics/PB042.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{FieldDefault, ModelKind};

/// Reports the first positional required field that follows a positional
/// field with a default (inherited fields first, as Python orders them).
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for model in &ctx.ir.models {
        let note = match &model.kind {
            ModelKind::Struct(_) => {
                "msgspec raises TypeError when the class is created: required fields cannot follow optional fields"
            }
            ModelKind::Dataclass(_) => {
                "dataclasses raise TypeError when the class is created: non-default argument follows default argument"
            }
            ModelKind::NamedTuple => {
                "typing raises TypeError when the class is created: a non-default NamedTuple field cannot follow a default field"
            }
            _ => continue,
        };
        let mut optional = None;
        for f in model.fields.iter().filter(|f| !f.kw_only) {
            let has_default = !matches!(f.default, FieldDefault::Required);
            if has_default {
                optional.get_or_insert(f);
                continue;
            }
            let Some(opt) = optional else { continue };
            if f.declared_in != model.qualname() {
                continue;
            }
            sink.report(
                Diagnostic::new(
                    Code::PB042,
                    walk::field_name_span(f),
                    format!(
                        "required field `{}` follows field `{}`, which has a default",
                        f.name, opt.name
                    ),
                )
                .with_label("required, no default")
                .with_secondary(walk::field_name_span(opt), "has a default")
                .with_note(note)
                .with_help(format!(
                    "move `{}` before `{}`, give it a default{}",
                    f.name,
                    opt.name,
                    if matches!(model.kind, ModelKind::NamedTuple) {
                        ""
                    } else {
                        ", or set `kw_only=True` on the class"
                    }
                )),
            );
            break;
        }
    }
}
