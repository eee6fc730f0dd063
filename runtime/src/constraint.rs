//! msgspec's constraints (`Meta(ge=..., max_length=..., pattern=...)`): the
//! one table of their predicates and of msgspec's messages, word for word
//! (`` Expected `int` >= 0 ``).
//!
//! Three places check constraints, all through this module:
//!
//! - the lax conversion of path, query, header and cookie values
//!   (`lax.rs`, which generated code calls as `__private::check`) answers
//!   a broken constraint with its message, a 400;
//! - the native body decoder (`python/native/`) leaves a body that
//!   breaks one to msgspec, so the message is msgspec's own;
//! - the checked encoders (`python/encode/`) refuse a return value that
//!   breaks one, a 500.
//!
//! msgspec checks the minimum, then the maximum, then `multiple_of`, and
//! for an `int` folds `gt=c` into `ge=c+1` and `lt=c` into `le=c-1`
//! ([`IntBounds::fold`]). The compiler has its own table, for constants
//! written in the source: `compiler/src/check/satisfies.rs`. Nothing here
//! touches Python.

use crate::json::py_float_repr;
use crate::validate::Invalid;

/// A constraint a value breaks, with its bound: msgspec's message names it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Broken {
    /// `ge` (or a folded `gt`) of an `int`.
    IntGe(i64),
    /// `le` (or a folded `lt`) of an `int`.
    IntLe(i64),
    /// `multiple_of` of an `int`.
    IntMultipleOf(i64),
    /// `ge` of a `float`.
    FloatGe(f64),
    /// `gt` of a `float`.
    FloatGt(f64),
    /// `le` of a `float`.
    FloatLe(f64),
    /// `lt` of a `float`.
    FloatLt(f64),
    /// `multiple_of` of a `float`.
    FloatMultipleOf(f64),
    /// `min_length` of a `str`, `bytes`, `array` or `object`.
    MinLength(&'static str, usize),
    /// `max_length` of a `str`, `bytes`, `array` or `object`.
    MaxLength(&'static str, usize),
}

impl Broken {
    /// msgspec's message for it.
    #[cold]
    pub(crate) fn message(self) -> String {
        let float = |op: &str, c: f64| format!("Expected `float` {op} {}", py_float_repr(c));
        match self {
            Broken::IntGe(c) => format!("Expected `int` >= {c}"),
            Broken::IntLe(c) => format!("Expected `int` <= {c}"),
            Broken::IntMultipleOf(c) => format!("Expected `int` that's a multiple of {c}"),
            Broken::FloatGe(c) => float(">=", c),
            Broken::FloatGt(c) => float(">", c),
            Broken::FloatLe(c) => float("<=", c),
            Broken::FloatLt(c) => float("<", c),
            Broken::FloatMultipleOf(c) => float("that's a multiple of", c),
            Broken::MinLength(what, c) => format!("Expected `{what}` of length >= {c}"),
            Broken::MaxLength(what, c) => format!("Expected `{what}` of length <= {c}"),
        }
    }
}

impl From<Broken> for Invalid {
    #[cold]
    fn from(b: Broken) -> Invalid {
        Invalid::new(b.message())
    }
}

/// `Meta(pattern=...)`'s message, given the pattern's Python `repr`
/// (``Expected `str` matching regex '^[a-z]+$'``).
pub(crate) fn pattern_message(repr: &str) -> String {
    format!("Expected `str` matching regex {repr}")
}

// Integers.

/// An integer as the bounds see it: of one beyond 128 bits only the sign
/// matters, as every bound fits 64 bits.
#[derive(Clone, Copy, Debug)]
pub(crate) enum IntSize {
    /// Any value within 128 bits.
    Fixed(i128),
    /// Above every 64-bit bound.
    Above,
    /// Below every 64-bit bound.
    Below,
}

/// `ge=c`.
#[inline]
pub(crate) fn int_ge(n: IntSize, c: i64) -> bool {
    match n {
        IntSize::Fixed(v) => v >= i128::from(c),
        IntSize::Above => true,
        IntSize::Below => false,
    }
}

/// `le=c`.
#[inline]
pub(crate) fn int_le(n: IntSize, c: i64) -> bool {
    match n {
        IntSize::Fixed(v) => v <= i128::from(c),
        IntSize::Above => false,
        IntSize::Below => true,
    }
}

/// `multiple_of=m` (`m > 0`).
#[inline]
pub(crate) fn int_multiple_of(n: i128, m: i64) -> bool {
    n % i128::from(m) == 0
}

/// `multiple_of=m` for a 64-bit `n` (without a 128-bit division).
#[inline]
pub(crate) fn i64_multiple_of(n: i64, m: i64) -> bool {
    n.wrapping_rem(m) == 0
}

/// `multiple_of=m` (`m > 0`) for an integer of any size, as its decimal
/// digits (with a leading `-` if negative).
pub(crate) fn digits_multiple_of(digits: &str, m: i64) -> bool {
    let m = i128::from(m);
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i128, |r, d| (r * 10 + i128::from(d - b'0')) % m)
        == 0
}

/// The constraints of an `int`, folded as msgspec folds them (its bounds
/// fit 64 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntBounds {
    /// `ge` (or `gt + 1`).
    pub ge: Option<i64>,
    /// `le` (or `lt - 1`).
    pub le: Option<i64>,
    /// `multiple_of` (> 0).
    pub multiple_of: Option<i64>,
}

impl IntBounds {
    /// msgspec's folding of `ge`/`gt` and `le`/`lt` (the tighter one of
    /// each pair wins); `None` when `gt + 1` or `lt - 1` leaves 64 bits.
    pub(crate) fn fold(
        ge: Option<i64>,
        gt: Option<i64>,
        le: Option<i64>,
        lt: Option<i64>,
        multiple_of: Option<i64>,
    ) -> Option<IntBounds> {
        let lower = match gt {
            Some(g) => {
                let g = g.checked_add(1)?;
                Some(ge.map_or(g, |a| a.max(g)))
            }
            None => ge,
        };
        let upper = match lt {
            Some(l) => {
                let l = l.checked_sub(1)?;
                Some(le.map_or(l, |a| a.min(l)))
            }
            None => le,
        };
        Some(IntBounds {
            ge: lower,
            le: upper,
            multiple_of,
        })
    }

    /// Whether there is nothing to check.
    pub(crate) fn is_empty(&self) -> bool {
        self.ge.is_none() && self.le.is_none() && self.multiple_of.is_none()
    }

    /// The first constraint a 64-bit `n` breaks.
    #[inline]
    pub(crate) fn check(&self, n: i64) -> Result<(), Broken> {
        self.check_size(IntSize::Fixed(i128::from(n)), |m| i64_multiple_of(n, m))
    }

    /// The first constraint an integer of size `n` breaks; `multiple_of`
    /// answers whether it is a multiple of its argument.
    #[inline]
    pub(crate) fn check_size(
        &self,
        n: IntSize,
        multiple_of: impl FnOnce(i64) -> bool,
    ) -> Result<(), Broken> {
        if let Some(c) = self.ge
            && !int_ge(n, c)
        {
            return Err(Broken::IntGe(c));
        }
        if let Some(c) = self.le
            && !int_le(n, c)
        {
            return Err(Broken::IntLe(c));
        }
        if let Some(m) = self.multiple_of
            && !multiple_of(m)
        {
            return Err(Broken::IntMultipleOf(m));
        }
        Ok(())
    }
}

// Floats.

/// `ge=c`.
#[inline]
pub(crate) fn float_ge(x: f64, c: f64) -> bool {
    x >= c
}

/// `gt=c`.
#[inline]
pub(crate) fn float_gt(x: f64, c: f64) -> bool {
    x > c
}

/// `le=c`.
#[inline]
pub(crate) fn float_le(x: f64, c: f64) -> bool {
    x <= c
}

/// `lt=c`.
#[inline]
pub(crate) fn float_lt(x: f64, c: f64) -> bool {
    x < c
}

/// `multiple_of=m`: msgspec's `x == 0 or fmod(x, m) == 0`, so 0.3 is not
/// a multiple of 0.1, and neither NaN nor an infinity is a multiple.
#[inline]
pub(crate) fn float_multiple_of(x: f64, m: f64) -> bool {
    x == 0.0 || x % m == 0.0
}

/// A `float` bound, its predicate, and what breaking it is.
type FloatCheck = (Option<f64>, fn(f64, f64) -> bool, fn(f64) -> Broken);

/// The constraints of a `float`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FloatBounds {
    /// `ge`.
    pub ge: Option<f64>,
    /// `gt`.
    pub gt: Option<f64>,
    /// `le`.
    pub le: Option<f64>,
    /// `lt`.
    pub lt: Option<f64>,
    /// `multiple_of`.
    pub multiple_of: Option<f64>,
}

impl FloatBounds {
    /// Whether there is nothing to check.
    pub(crate) fn is_empty(&self) -> bool {
        self.ge.is_none()
            && self.gt.is_none()
            && self.le.is_none()
            && self.lt.is_none()
            && self.multiple_of.is_none()
    }

    /// The first constraint `x` breaks (NaN breaks every bound).
    #[inline]
    pub(crate) fn check(&self, x: f64) -> Result<(), Broken> {
        let bounds: [FloatCheck; 5] = [
            (self.ge, float_ge, Broken::FloatGe),
            (self.gt, float_gt, Broken::FloatGt),
            (self.le, float_le, Broken::FloatLe),
            (self.lt, float_lt, Broken::FloatLt),
            (self.multiple_of, float_multiple_of, Broken::FloatMultipleOf),
        ];
        for (bound, holds, broken) in bounds {
            if let Some(c) = bound
                && !holds(x, c)
            {
                return Err(broken(c));
            }
        }
        Ok(())
    }
}

// Lengths.

/// `min_length` and `max_length` of a `str` (in code points), `bytes`,
/// `array` (list, tuple, set) or `object` (dict).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Length {
    /// `min_length`.
    pub(crate) min: Option<usize>,
    /// `max_length`.
    pub(crate) max: Option<usize>,
}

impl Length {
    /// Whether there is nothing to check.
    #[inline]
    pub(crate) fn is_empty(self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    /// The first constraint a `what` of length `n` breaks (`what` as
    /// msgspec names it: `str`, `bytes`, `array`, `object`).
    #[inline]
    pub(crate) fn check(self, what: &'static str, n: usize) -> Result<(), Broken> {
        if let Some(c) = self.min
            && n < c
        {
            return Err(Broken::MinLength(what, c));
        }
        if let Some(c) = self.max
            && n > c
        {
            return Err(Broken::MaxLength(what, c));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<(), Broken>) -> String {
        r.map_or_else(Broken::message, |()| "ok".into())
    }

    // The messages are msgspec 0.22's, for `msgspec.convert(x, T)`.
    #[test]
    fn messages_like_msgspec() {
        let b = IntBounds {
            ge: Some(0),
            le: Some(150),
            multiple_of: Some(2),
        };
        assert_eq!(message(b.check(-1)), "Expected `int` >= 0");
        assert_eq!(message(b.check(151)), "Expected `int` <= 150");
        assert_eq!(message(b.check(3)), "Expected `int` that's a multiple of 2");
        assert_eq!(message(b.check(4)), "ok");
        let f = FloatBounds {
            gt: Some(0.2),
            le: Some(1e20),
            multiple_of: Some(0.25),
            ..FloatBounds::default()
        };
        assert_eq!(message(f.check(0.2)), "Expected `float` > 0.2");
        assert_eq!(message(f.check(1e21)), "Expected `float` <= 1e+20");
        assert_eq!(
            message(f.check(0.3)),
            "Expected `float` that's a multiple of 0.25"
        );
        assert_eq!(message(f.check(f64::NAN)), "Expected `float` > 0.2");
        assert_eq!(message(f.check(0.5)), "ok");
        let l = Length {
            min: Some(1),
            max: Some(3),
        };
        assert_eq!(message(l.check("str", 0)), "Expected `str` of length >= 1");
        assert_eq!(
            message(l.check("array", 4)),
            "Expected `array` of length <= 3"
        );
        assert_eq!(
            pattern_message("'^a'"),
            "Expected `str` matching regex '^a'"
        );
    }

    #[test]
    fn big_integers_lie_beyond_every_bound() {
        let b = IntBounds {
            ge: Some(5),
            le: None,
            multiple_of: Some(7),
        };
        assert_eq!(b.check_size(IntSize::Above, |_| true), Ok(()));
        assert_eq!(
            b.check_size(IntSize::Below, |_| true),
            Err(Broken::IntGe(5))
        );
        let huge = format!("3{}", "0".repeat(60));
        assert!(digits_multiple_of(&huge, 3));
        assert!(!digits_multiple_of(&huge, 7));
        assert!(digits_multiple_of(&format!("-{huge}"), 3));
    }

    #[test]
    fn int_bounds_fold_like_msgspec() {
        let f = IntBounds::fold(Some(0), Some(3), Some(10), Some(8), None);
        assert_eq!(
            f,
            Some(IntBounds {
                ge: Some(4),
                le: Some(7),
                multiple_of: None
            })
        );
        assert_eq!(
            IntBounds::fold(None, Some(i64::MAX), None, None, None),
            None
        );
        assert_eq!(
            IntBounds::fold(None, None, None, Some(i64::MIN), None),
            None
        );
    }
}
