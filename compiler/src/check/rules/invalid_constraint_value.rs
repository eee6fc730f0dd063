//! PB029 `invalid-constraint-value` (the checks that need the annotated
//! type or a regex parser; the front end reports ill-typed values): a float
//! bound on an `int`, a bound that is not finite, a negative length, a
//! `multiple_of` that is not positive, a pattern Python cannot compile.
#![doc = include_str!("../../../../docs/diagnostics/PB029.md")]

use crate::check::constraint;
use crate::check::{Ctx, pattern, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Bound, Number, TyKind};
use crate::source::Span;

/// Reports constraint values msgspec rejects.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (site, ty) in walk::all_types(ctx.ir) {
        let TyKind::Constrained(inner, c) = &ty.kind else {
            continue;
        };
        let numeric = [
            ("gt", &c.gt),
            ("ge", &c.ge),
            ("lt", &c.lt),
            ("le", &c.le),
            ("multiple_of", &c.multiple_of),
        ];
        for (name, bound) in numeric {
            let Some(b) = bound else { continue };
            if let Number::Float(x) = b.value {
                if !x.is_finite() {
                    sink.report(
                        Diagnostic::new(Code::PB029, b.span, format!("`{name}` must be finite"))
                            .with_label(format!("{x} is not a bound"))
                            .with_note(format!(
                                "msgspec raises ValueError: `{name}` must be finite"
                            )),
                    );
                    continue;
                }
                let target = constraint::target(site, inner, b.span);
                if matches!(target.kind, TyKind::Int) {
                    sink.report(
                        Diagnostic::new(Code::PB029, b.span, format!("`{name}` on an `int` must be an int"))
                            .with_label("float bound")
                            .with_secondary(inner.span, "annotated `int` here")
                            .with_note("msgspec raises TypeError when it builds the decoder: 'float' object cannot be interpreted as an integer")
                            .with_help(format!("write an integer bound, or annotate `float`: `{name}={}`", x.trunc() as i128)),
                    );
                    continue;
                }
            }
            if name == "multiple_of" && b.value.as_f64() <= 0.0 {
                sink.report(
                    Diagnostic::new(Code::PB029, b.span, "`multiple_of` must be > 0")
                        .with_label(format!("{} is not positive", b.value))
                        .with_note("msgspec raises ValueError when `Meta(...)` is evaluated, so the module does not import"),
                );
            }
        }
        for (name, bound) in [("min_length", &c.min_length), ("max_length", &c.max_length)] {
            if let Some(Bound { value, span }) = bound
                && *value < 0
            {
                sink.report(
                        Diagnostic::new(Code::PB029, *span, format!("`{name}` must be >= 0"))
                            .with_label(format!("{value} is negative"))
                            .with_note("msgspec raises ValueError when `Meta(...)` is evaluated, so the module does not import"),
                    );
            }
        }
        if let Some(p) = &c.pattern
            && let Err(e) = pattern::check(&p.value)
        {
            let span = error_span(ctx, p.span, &p.value, e.at);
            sink.report(
                    Diagnostic::new(Code::PB029, span, format!("invalid regular expression: {}", e.message))
                        .with_label(e.message.clone())
                        .with_secondary(p.span, "in this pattern")
                        .with_note("Python's `re` compiles the pattern when `Meta(...)` is evaluated, so the module does not import"),
                );
        }
    }
}

/// The span of character `at` of a pattern written as `pattern="..."`, when
/// the literal spells the value exactly (no escapes, or a raw string);
/// otherwise the whole keyword.
fn error_span(ctx: &Ctx<'_>, keyword: Span, value: &str, at: usize) -> Span {
    let text = ctx.text(keyword);
    let Some(eq) = text.find('=') else {
        return keyword;
    };
    let rest = &text[eq + 1..];
    let trimmed = rest.trim_start();
    let mut offset = eq + 1 + (rest.len() - trimmed.len());
    let raw = trimmed.starts_with(['r', 'R']);
    let lit = if raw { &trimmed[1..] } else { trimmed };
    offset += usize::from(raw);
    let quote = if lit.starts_with("\"\"\"") || lit.starts_with("'''") {
        3
    } else {
        1
    };
    if lit.len() < 2 * quote {
        return keyword;
    }
    let body = &lit[quote..lit.len() - quote];
    if body != value || (!raw && body.contains('\\')) {
        return keyword;
    }
    offset += quote;
    let byte = body.char_indices().nth(at).map_or(body.len(), |(i, _)| i);
    let len = body[byte..].chars().next().map_or(0, char::len_utf8);
    let start = keyword.start + u32::try_from(offset + byte).unwrap_or(0);
    Span::new(
        keyword.file,
        start,
        start + u32::try_from(len.max(1)).unwrap_or(1),
    )
}
