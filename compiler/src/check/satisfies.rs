//! Whether a value written in the source satisfies the constraints of its
//! type, the way msgspec would check it: bounds, `multiple_of` (msgspec's
//! float rule), lengths and `pattern`, down through containers.
//!
//! msgspec never validates defaults, and a handler's return value is checked
//! only when it is sent, so a constant that breaks its own constraints is a
//! request that fails at run time. Used for defaults (PB025) and returned
//! literals (PB030). Like `fits`, it answers "fine" whenever it cannot tell.
//!
//! This is the compiler's one spelling of msgspec's constraint predicates;
//! the runtime's, for values met while serving, is `runtime/src/constraint.rs`.

use super::Ctx;
use super::fits;
use crate::ir::{Bound, Constraints, Number, Ty, TyKind, Value, ValueKind};
use crate::source::Span;

/// A constraint a value breaks.
#[derive(Debug)]
pub(crate) struct Violation {
    /// The offending value (the whole value or an item inside it).
    pub(crate) value: Span,
    /// The constraint's keyword (`ge=10`).
    pub(crate) key: Span,
    /// What is wrong, for the label (`below the minimum`).
    pub(crate) what: String,
}

/// The first constraint `v` breaks, given that it fits `ty`. For a union,
/// only when every member `v` fits breaks one.
pub(crate) fn violation(ctx: &Ctx<'_>, v: &Value, ty: &Ty) -> Option<Violation> {
    match &ty.kind {
        TyKind::Union(members) => {
            let mut first = None;
            for m in members {
                if fits::fits(ctx, v, m).is_err() {
                    continue;
                }
                match violation(ctx, v, m) {
                    None => return None,
                    Some(found) => {
                        first.get_or_insert(found);
                    }
                }
            }
            first
        }
        TyKind::Constrained(inner, c) => violated(v, c).or_else(|| violation(ctx, v, inner)),
        TyKind::List(item)
        | TyKind::Set(item)
        | TyKind::FrozenSet(item)
        | TyKind::VarTuple(item) => match &v.kind {
            ValueKind::List(items) | ValueKind::Tuple(items) | ValueKind::Set(items) => {
                items.iter().find_map(|x| violation(ctx, x, item))
            }
            _ => None,
        },
        TyKind::Tuple(types) => match &v.kind {
            ValueKind::List(items) | ValueKind::Tuple(items) if items.len() == types.len() => items
                .iter()
                .zip(types)
                .find_map(|(x, t)| violation(ctx, x, t)),
            _ => None,
        },
        TyKind::Dict(k, val) => match &v.kind {
            ValueKind::Dict(pairs) => pairs
                .iter()
                .find_map(|(key, x)| violation(ctx, key, k).or_else(|| violation(ctx, x, val))),
            _ => None,
        },
        _ => None,
    }
}

/// A bound, the test a value must pass against it, and what failing means.
type BoundCheck<'a> = (Option<&'a Bound<Number>>, fn(f64, f64) -> bool, &'a str);

/// The first constraint of `c` that `v` itself breaks, in msgspec's order
/// (bounds, `multiple_of`; length before pattern).
fn violated(v: &Value, c: &Constraints) -> Option<Violation> {
    let at = |key: Span, what: String| {
        Some(Violation {
            value: v.span,
            key,
            what,
        })
    };
    let number = match &v.kind {
        ValueKind::Int(i) => Some(Number::Int(*i)),
        ValueKind::Float(x) => Some(Number::Float(*x)),
        _ => None,
    };
    if let Some(n) = number {
        let x = n.as_f64();
        let checks: [BoundCheck<'_>; 4] = [
            (c.ge.as_ref(), |x, b| x >= b, "below the minimum"),
            (c.gt.as_ref(), |x, b| x > b, "not above the bound"),
            (c.le.as_ref(), |x, b| x <= b, "above the maximum"),
            (c.lt.as_ref(), |x, b| x < b, "not below the bound"),
        ];
        for (bound, ok, what) in checks {
            if let Some(b) = bound
                && !ok(x, b.value.as_f64())
            {
                return at(b.span, what.to_string());
            }
        }
        let Bound { value: m, span } = c.multiple_of.as_ref()?;
        let multiple = match (n, *m) {
            (Number::Int(i), Number::Int(m)) if m > 0 => i % m == 0,
            (Number::Int(_), Number::Int(_)) => return None,
            // msgspec's float rule: `x == 0 or fmod(x, m) == 0`, so 0.3 is
            // not a multiple of 0.1.
            (_, m) => {
                let m = m.as_f64();
                if m <= 0.0 || !m.is_finite() {
                    return None;
                }
                x == 0.0 || x % m == 0.0
            }
        };
        if !multiple {
            return at(*span, format!("not a multiple of {m}"));
        }
        return None;
    }
    let len = match &v.kind {
        ValueKind::Str(s) => s.chars().count(),
        ValueKind::Bytes(b) => b.len(),
        ValueKind::List(items) | ValueKind::Tuple(items) | ValueKind::Set(items) => items.len(),
        ValueKind::Dict(pairs) => pairs.len(),
        _ => return None,
    };
    let len = i128::try_from(len).unwrap_or(i128::MAX);
    if let Some(min) = &c.min_length
        && len < min.value
    {
        return at(min.span, format!("length {len} is below the minimum"));
    }
    if let Some(max) = &c.max_length
        && len > max.value
    {
        return at(max.span, format!("length {len} is above the maximum"));
    }
    if let (ValueKind::Str(s), Some(p)) = (&v.kind, &c.pattern)
        && search(&p.value, s) == Some(false)
    {
        return at(p.span, format!("does not match {:?}", p.value));
    }
    None
}

/// Whether Python's `re.search(pattern, text)` finds a match, when the
/// answer is certain: `None` for anything where Rust's regex engine and
/// Python's `re` might disagree (non-printable or non-ASCII text, where
/// `\d`, `\w` and `\s` differ; syntax the two read differently, such as
/// nested or set-operation classes; anything `regex_lite` refuses, such as
/// look-arounds and back-references).
pub(crate) fn search(pattern: &str, text: &str) -> Option<bool> {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !portable(pattern) {
        return None;
    }
    let re = regex_lite::Regex::new(pattern).ok()?;
    Some(re.is_match(text))
}

/// Whether `pattern` avoids the syntax Rust's and Python's engines read
/// differently even where both accept it.
fn portable(pattern: &str) -> bool {
    if !pattern.is_ascii() {
        return false;
    }
    // `{,n}` (Python: 0 to n), possessive quantifiers and atomic groups
    // (Python 3.11), `\Z` (Python: the end), class set operations and POSIX
    // classes (Rust only); and any inline flags with an `x` about (verbose
    // mode changes what whitespace and `#` mean).
    const DIFFERENT: [&str; 8] = ["{,", "*+", "++", "?+", "}+", "(?>", "\\Z", "[:"];
    if DIFFERENT.iter().any(|d| pattern.contains(d))
        || pattern.contains("(?") && pattern.contains('x')
    {
        return false;
    }
    // A `[` inside a class (Rust: a nested class; Python: the character),
    // and `&&`, `--`, `~~` inside a class (Rust: set operations).
    let bytes = pattern.as_bytes();
    let mut in_class = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if in_class => return false,
            b'[' => {
                in_class = true;
                // A `]` (after an optional `^`) right after `[` is literal.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'&' | b'-' | b'~' if in_class && bytes.get(i + 1) == Some(&bytes[i]) => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::search;

    #[test]
    fn searches_like_python_where_sure() {
        assert_eq!(search("^a", "b"), Some(false));
        assert_eq!(search("^a", "abc"), Some(true));
        assert_eq!(search("b", "abc"), Some(true), "searched, not matched");
        assert_eq!(search("^[A-Z]{2}[0-9]*$", "AB12"), Some(true));
        assert_eq!(search("^[A-Z]{2}[0-9]*$", "A1"), Some(false));
        assert_eq!(search(r"^\d+$", "123"), Some(true));
        assert_eq!(search("(?i)^abc$", "ABC"), Some(true));
        assert_eq!(search("^[]a]+$", "]a"), Some(true));
    }

    #[test]
    fn declines_where_the_engines_differ() {
        assert_eq!(search(r"^\d+$", "١٢"), None, "non-ASCII text");
        assert_eq!(search("^a{,2}$", "aa"), None);
        assert_eq!(search("^[[a]]$", "["), None);
        assert_eq!(search("^[a&&b]$", "&"), None);
        assert_eq!(search("^[[:alpha:]]$", "a"), None);
        assert_eq!(search(r"(a)\1", "aa"), None, "back-reference");
        assert_eq!(search("(?=a)a", "a"), None, "look-ahead");
        assert_eq!(search("a\\Z", "a"), None);
        assert_eq!(search("a*+", "a"), None);
        assert_eq!(search("^a$", "a\n"), None, "newline before the end");
    }
}
