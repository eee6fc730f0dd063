//! The constraint keys of a `Meta(...)` or marker, what each applies to, and
//! the type it applies to at a given site.

use super::contains;
use super::walk::Site;
use crate::ir::{Constraints, Ty, TyKind};
use crate::source::Span;

/// Which family a constraint key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `gt`, `ge`, `lt`, `le`, `multiple_of`: `int` and `float`.
    Numeric,
    /// `min_length`, `max_length`: `str`, `bytes`, `bytearray`, lists,
    /// `tuple[T, ...]`, sets and dicts.
    Length,
    /// `pattern`: `str`.
    Pattern,
    /// `tz`: `datetime` and `time`.
    Tz,
}

impl Class {
    /// Whether msgspec accepts a key of this family on `ty` (constraints
    /// peeled off).
    pub(crate) fn applies_to(self, ty: &TyKind) -> bool {
        match self {
            Class::Numeric => matches!(ty, TyKind::Int | TyKind::Float),
            Class::Length => matches!(
                ty,
                TyKind::Str
                    | TyKind::Bytes
                    | TyKind::ByteArray
                    | TyKind::MemoryView
                    | TyKind::List(_)
                    | TyKind::VarTuple(_)
                    | TyKind::Set(_)
                    | TyKind::FrozenSet(_)
                    | TyKind::Dict(..)
            ),
            Class::Pattern => matches!(ty, TyKind::Str),
            Class::Tz => matches!(ty, TyKind::DateTime | TyKind::Time),
        }
    }

    /// The types it applies to, for messages.
    pub(crate) fn targets(self) -> &'static str {
        match self {
            Class::Numeric => "`int` and `float`",
            Class::Length => "`str`, `bytes`, lists, `tuple[T, ...]`, sets and dicts",
            Class::Pattern => "`str`",
            Class::Tz => "`datetime` and `time`",
        }
    }
}

/// One key that is set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    /// `ge`.
    pub(crate) name: &'static str,
    /// The `ge=0` keyword.
    pub(crate) span: Span,
    /// Its family.
    pub(crate) class: Class,
}

/// The keys set in `c`, in msgspec's order.
pub(crate) fn keys(c: &Constraints) -> Vec<Key> {
    let mut out = Vec::new();
    let mut push = |name, span: Option<Span>, class| {
        if let Some(span) = span {
            out.push(Key { name, span, class });
        }
    };
    push("gt", c.gt.as_ref().map(|b| b.span), Class::Numeric);
    push("ge", c.ge.as_ref().map(|b| b.span), Class::Numeric);
    push("lt", c.lt.as_ref().map(|b| b.span), Class::Numeric);
    push("le", c.le.as_ref().map(|b| b.span), Class::Numeric);
    push(
        "multiple_of",
        c.multiple_of.as_ref().map(|b| b.span),
        Class::Numeric,
    );
    push(
        "pattern",
        c.pattern.as_ref().map(|b| b.span),
        Class::Pattern,
    );
    push(
        "min_length",
        c.min_length.as_ref().map(|b| b.span),
        Class::Length,
    );
    push(
        "max_length",
        c.max_length.as_ref().map(|b| b.span),
        Class::Length,
    );
    push("tz", c.tz.as_ref().map(|b| b.span), Class::Tz);
    out
}

/// The type a key written at `key` constrains. `msgspec.Meta` constrains
/// exactly the type it annotates (so never a union, not even an Optional);
/// a parameter marker (`Query(ge=1)`) constrains the non-`None` part, as in
/// FastAPI.
pub(crate) fn target(site: Site, inner: &Ty, key: Span) -> Ty {
    let from_marker = site.marker_span().is_some_and(|m| contains(m, key));
    if from_marker {
        inner.without_none().unconstrained().clone()
    } else {
        inner.unconstrained().clone()
    }
}
