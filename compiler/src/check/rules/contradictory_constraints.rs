//! PB025 `contradictory-constraints`: constraints no value satisfies, keys
//! msgspec refuses to combine, and defaults that break their own
//! constraints.
#![doc = include_str!("../../../../docs/diagnostics/PB025.md")]

use crate::check::constraint::{self, Class};
use crate::check::walk::{self, Site};
use crate::check::{Ctx, fits, satisfies};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Bound, Constraints, FieldDefault, Number, ParamSource, Ty, TyKind, Value};
use crate::source::Span;

/// Reports contradictory constraints on every type, then defaults that
/// violate the constraints of their annotation.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (site, ty) in walk::all_types(ctx.ir) {
        let TyKind::Constrained(inner, c) = &ty.kind else {
            continue;
        };
        both_set(ctx, c, sink);
        let Some(numeric) = constraint::keys(c)
            .into_iter()
            .find(|k| k.class == Class::Numeric)
        else {
            lengths(ctx, c, sink);
            continue;
        };
        let target = constraint::target(site, inner, numeric.span);
        match target.kind {
            TyKind::Int => int_bounds(ctx, c, sink),
            TyKind::Float => float_bounds(ctx, c, sink),
            _ => {}
        }
        lengths(ctx, c, sink);
    }
    for route in walk::handler_routes(ctx.ir) {
        for p in crate::check::walk::request_params(route) {
            if let (Some(d), true) = (&p.default, p.source != ParamSource::Request) {
                default(ctx, d, &p.ty, &p.name, Site::Param(p.marker_span), sink);
            }
        }
    }
    for model in &ctx.ir.models {
        for f in &model.fields {
            if let (FieldDefault::Value(v), true) = (&f.default, f.declared_in == model.qualname())
            {
                default(ctx, v, &f.ty, &f.name, Site::Field, sink);
            }
        }
    }
}

fn key_text(ctx: &Ctx<'_>, span: Span) -> String {
    ctx.snippet(span)
}

fn both_set(ctx: &Ctx<'_>, c: &Constraints, sink: &mut Sink) {
    let pairs = [
        (c.gt.as_ref(), c.ge.as_ref(), "gt", "ge"),
        (c.lt.as_ref(), c.le.as_ref(), "lt", "le"),
    ];
    for (a, b, an, bn) in pairs {
        let (Some(a), Some(b)) = (a, b) else { continue };
        let (first, second) = if a.span.start <= b.span.start {
            (a.span, b.span)
        } else {
            (b.span, a.span)
        };
        sink.report(
            Diagnostic::new(
                Code::PB025,
                second,
                format!("`{an}` and `{bn}` are both set"),
            )
            .with_label(format!("conflicts with `{}`", key_text(ctx, first)))
            .with_secondary(first, "first bound here")
            .with_note(format!(
                "msgspec raises ValueError: Cannot specify both `{an}` and `{bn}`"
            ))
            .with_help("keep one of the two bounds"),
        );
    }
}

fn int_of(b: Option<&Bound<Number>>) -> Option<(i128, Span)> {
    match b {
        Some(Bound {
            value: Number::Int(i),
            span,
        }) => Some((*i, *span)),
        _ => None,
    }
}

fn int_bounds(ctx: &Ctx<'_>, c: &Constraints, sink: &mut Sink) {
    // Float bounds on an int are PB029.
    let lo = int_of(c.ge.as_ref())
        .or_else(|| int_of(c.gt.as_ref()).map(|(v, s)| (v.saturating_add(1), s)));
    let hi = int_of(c.le.as_ref())
        .or_else(|| int_of(c.lt.as_ref()).map(|(v, s)| (v.saturating_sub(1), s)));
    if let (Some((lo, lo_span)), Some((hi, hi_span))) = (lo, hi)
        && lo > hi
    {
        report_range(ctx, lo_span, hi_span, "int", sink);
        return;
    }
    let Some((m, m_span)) = int_of(c.multiple_of.as_ref()) else {
        return;
    };
    let (Some((lo, lo_span)), Some((hi, _))) = (lo, hi) else {
        return;
    };
    if m <= 0 {
        return;
    }
    let first = lo.div_euclid(m) * m + if lo.rem_euclid(m) == 0 { 0 } else { m };
    if first > hi {
        sink.report(
            Diagnostic::new(
                Code::PB025,
                m_span,
                format!("no multiple of {m} lies between {lo} and {hi}"),
            )
            .with_label("no `int` satisfies this and the bounds")
            .with_secondary(lo_span, "bounded here")
            .with_help("widen the bounds or change `multiple_of`"),
        );
    }
}

fn float_bounds(ctx: &Ctx<'_>, c: &Constraints, sink: &mut Sink) {
    let get = |b: Option<&Bound<Number>>, inclusive: bool| {
        b.map(|b| (b.value.as_f64(), inclusive, b.span))
    };
    let lo = get(c.ge.as_ref(), true).or_else(|| get(c.gt.as_ref(), false));
    let hi = get(c.le.as_ref(), true).or_else(|| get(c.lt.as_ref(), false));
    let (Some((lo, lo_inc, lo_span)), Some((hi, hi_inc, hi_span))) = (lo, hi) else {
        return;
    };
    if lo > hi || (lo == hi && !(lo_inc && hi_inc)) {
        report_range(ctx, lo_span, hi_span, "float", sink);
    }
}

fn report_range(ctx: &Ctx<'_>, lo: Span, hi: Span, ty: &str, sink: &mut Sink) {
    let (lo_text, hi_text) = (key_text(ctx, lo), key_text(ctx, hi));
    sink.report(
        Diagnostic::new(
            Code::PB025,
            hi,
            format!("no `{ty}` satisfies `{lo_text}` and `{hi_text}`"),
        )
        .with_label("upper bound below the lower bound")
        .with_secondary(lo, "lower bound")
        .with_note("every request would be rejected")
        .with_help("swap or correct the bounds"),
    );
}

fn lengths(ctx: &Ctx<'_>, c: &Constraints, sink: &mut Sink) {
    let (Some(min), Some(max)) = (&c.min_length, &c.max_length) else {
        return;
    };
    if min.value > max.value && min.value >= 0 && max.value >= 0 {
        let (lo_text, hi_text) = (key_text(ctx, min.span), key_text(ctx, max.span));
        sink.report(
            Diagnostic::new(
                Code::PB025,
                max.span,
                format!("no length satisfies `{lo_text}` and `{hi_text}`"),
            )
            .with_label("shorter than the minimum")
            .with_secondary(min.span, "minimum length")
            .with_note("every request would be rejected")
            .with_help("swap or correct the lengths"),
        );
    }
}

/// Reports a default that fits its type but breaks that type's constraints
/// (its own, or an item's inside a container).
fn default(ctx: &Ctx<'_>, v: &Value, ty: &Ty, name: &str, site: Site, sink: &mut Sink) {
    if fits::fits(ctx, v, ty).is_err() {
        return;
    }
    let Some(found) = satisfies::violation(ctx, v, ty) else {
        return;
    };
    let note = match site {
        Site::Field => {
            "msgspec does not validate defaults: an object without this field would decode to a value its own constraint rejects"
        }
        _ => {
            "defaults are not validated: a request without this value would hand the handler a value its own constraint rejects"
        }
    };
    sink.report(
        Diagnostic::new(
            Code::PB025,
            found.value,
            format!("default of `{name}` violates `{}`", ctx.snippet(found.key)),
        )
        .with_label(found.what)
        .with_secondary(found.key, "constraint here")
        .with_note(note)
        .with_help("change the default or the constraint"),
    );
}
