//! PB060 `integer-out-of-range`: an integer msgspec only supports within
//! 64 bits that is outside them: an `int` bound (`ge`, `gt`, `lt`, `le`,
//! `multiple_of`), a `min_length`/`max_length`, a `Literal` value, an enum
//! value, or a Struct's integer tag.
#![doc = include_str!("../../../../docs/diagnostics/PB060.md")]

use crate::check::{Ctx, constraint, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Literal, ModelKind, Number, TagValue, TyKind, ValueKind};
use crate::source::Span;

const MIN: i128 = i64::MIN as i128;
const MAX: i128 = i64::MAX as i128;

fn in_range(n: i128) -> bool {
    (MIN..=MAX).contains(&n)
}

/// Reports integers msgspec refuses when the module is imported or the
/// decoder is built.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let mut report_in = |span: Span, what: String, range: &str, note: &str| {
        sink.report(
            Diagnostic::new(
                Code::PB060,
                span,
                format!("{what} is outside the 64-bit range msgspec supports"),
            )
            .with_label(format!("not within {range}"))
            .with_note(note.to_string()),
        );
    };
    let int64 = "[-2**63, 2**63 - 1]";
    for (site, ty) in walk::all_types(ctx.ir) {
        match &ty.kind {
            TyKind::Constrained(inner, c) => {
                let target = constraint::target(site, inner, c.span);
                if matches!(target.kind, TyKind::Int) {
                    let bounds = [
                        ("ge", &c.ge, MIN, MAX, int64),
                        ("le", &c.le, MIN, MAX, int64),
                        // msgspec stores `gt` as `ge = gt + 1` and `lt` as `le = lt - 1`.
                        ("gt", &c.gt, MIN, MAX - 1, "[-2**63, 2**63 - 2] for `gt`"),
                        (
                            "lt",
                            &c.lt,
                            MIN + 1,
                            MAX,
                            "[-2**63 + 1, 2**63 - 1] for `lt`",
                        ),
                        ("multiple_of", &c.multiple_of, MIN, MAX, int64),
                    ];
                    for (name, bound, lo, hi, range) in bounds {
                        let Some(b) = bound else { continue };
                        let Number::Int(n) = b.value else { continue };
                        if !(lo..=hi).contains(&n) {
                            report_in(
                                b.span,
                                format!("`{name}={n}`"),
                                range,
                                "msgspec raises ValueError when it builds the decoder: integer bounds must fit in an int64",
                            );
                        }
                    }
                }
                for (name, bound) in [("min_length", &c.min_length), ("max_length", &c.max_length)]
                {
                    if let Some(b) = bound
                        && b.value > MAX
                    {
                        report_in(
                            b.span,
                            format!("`{name}={}`", b.value),
                            int64,
                            "msgspec raises ValueError when `Meta(...)` is evaluated, so the module does not import",
                        );
                    }
                }
            }
            TyKind::Literal(values) => {
                if let Some(Literal::Int(n)) = values
                    .iter()
                    .find(|v| matches!(v, Literal::Int(n) if !in_range(*n)))
                {
                    report_in(
                        ty.span,
                        format!("`Literal` value {n}"),
                        int64,
                        "msgspec raises NotImplementedError when it builds the decoder",
                    );
                }
            }
            _ => {}
        }
    }
    for model in &ctx.ir.models {
        match &model.kind {
            ModelKind::Enum { members, .. } => {
                for m in members {
                    let text = match &m.value.kind {
                        ValueKind::Int(n) if !in_range(*n) => n.to_string(),
                        ValueKind::BigInt(text) => text.clone(),
                        _ => continue,
                    };
                    report_in(
                        m.value.span,
                        format!("enum value {text} of `{}.{}`", model.name, m.name),
                        int64,
                        "msgspec raises NotImplementedError when it builds the decoder",
                    );
                }
            }
            ModelKind::Struct(o) => {
                let Some(TagValue::Int(n)) = &o.tag else {
                    continue;
                };
                if in_range(*n) {
                    continue;
                }
                let span = o
                    .keywords
                    .iter()
                    .find(|(k, _)| k == "tag")
                    .map_or(model.name_span, |(_, v)| v.span);
                report_in(
                    span,
                    format!("tag {n} of `{}`", model.name),
                    int64,
                    "msgspec raises ValueError when the class is created, so the module does not import",
                );
            }
            _ => {}
        }
    }
}
