//! Lax conversion of strings, exactly as `msgspec.convert(s, T, strict=False)`.
//!
//! Path, query, header and cookie strings convert as msgspec converts a
//! `str`: a number is a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
//! no spaces, no `+`), an `int` also accepts an integral float (`3.0`,
//! `1e3`, up to 2^53), a `float` also `nan`/`inf`/`infinity` (any case,
//! with an optional `-`), a `bool` `true`/`false` (any case) or the numbers
//! 0 and 1, and an optional type `null` (any case). Constraint messages are
//! msgspec's, word for word (`` Expected `int` >= 1 ``). The unit tests pin
//! each case against msgspec 0.22, and an oracle test compares random
//! inputs with msgspec itself.

use crate::constraint::{self, Broken, IntSize, Length};
use crate::validate::Invalid;

/// A converted integer: Python ints are unbounded, so are these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Int {
    /// Any value that fits 128 bits (every `int64`/`uint64` does).
    Fixed(i128),
    /// A larger value, as its decimal digits (with a leading `-` if negative).
    Big(Box<str>),
}

impl Int {
    /// The value as an `i64`, if it fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Int::Fixed(v) => i64::try_from(*v).ok(),
            Int::Big(_) => None,
        }
    }

    fn is_negative(&self) -> bool {
        match self {
            Int::Fixed(v) => *v < 0,
            Int::Big(digits) => digits.starts_with('-'),
        }
    }
}

/// A parsed JSON number.
enum Number {
    Int(Int),
    Float(f64),
}

/// msgspec's lax number parser, on a whole string.
///
/// `None`: not a number at all (the caller then tries `true`/`false`/`null`).
/// `Some(Err)`: a number msgspec refuses outright ("Number out of range").
/// `want_int`: integers that overflow 64 bits stay integers (otherwise they
/// become floats, as msgspec does for non-`int` targets).
fn number(s: &str, want_int: bool) -> Option<Result<Number, Invalid>> {
    let b = s.as_bytes();
    if let Some(v) = plain_digits(b) {
        return Some(Ok(Number::Int(Int::Fixed(i128::from(v)))));
    }
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        i += 1;
        if i == b.len() {
            return None;
        }
    }
    let int_start = i;
    if b.get(i) == Some(&b'0') {
        i += 1;
        if b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
    } else {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == int_start {
            return nonfinite(&s[i..], negative).map(|x| Ok(Number::Float(x)));
        }
    }
    let int_end = i;
    let mut is_float = false;
    if b.get(i) == Some(&b'.') {
        is_float = true;
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == frac_start {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        is_float = true;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if !is_float {
        let digits = &s[int_start..int_end];
        let fits = if digits.len() <= 19 {
            // Up to 19 digits always fit a u64: no u128 parse needed (the
            // usual path or query integer).
            let magnitude = digits_value(digits.as_bytes());
            (!negative || magnitude <= 1u64 << 63).then(|| {
                if negative {
                    -i128::from(magnitude)
                } else {
                    i128::from(magnitude)
                }
            })
        } else if digits.len() <= 20 {
            let magnitude: u128 = digits.parse().expect("validated digits");
            let limit = if negative {
                1u128 << 63
            } else {
                u128::from(u64::MAX)
            };
            (magnitude <= limit).then(|| {
                let v = i128::try_from(magnitude).expect("below 2^64");
                if negative { -v } else { v }
            })
        } else {
            None
        };
        if let Some(v) = fits {
            return Some(Ok(Number::Int(Int::Fixed(v))));
        }
        if want_int {
            // CPython refuses to parse more than 4300 digits; msgspec counts the sign.
            if s.len() > 4300 {
                return Some(Err(Invalid::new("Integer value out of range")));
            }
            return Some(Ok(Number::Int(big(s))));
        }
    }
    let x: f64 = s.parse().expect("a JSON number parses as f64");
    if x.is_infinite() {
        return Some(Err(Invalid::new("Number out of range")));
    }
    Some(Ok(Number::Float(x)))
}

/// The usual path or query number: 1 to 18 plain digits (no sign, no
/// leading zero), which always fit an i64; `None` for anything else.
#[inline]
fn plain_digits(b: &[u8]) -> Option<u64> {
    ((1..=18).contains(&b.len())
        && (b[0] != b'0' || b.len() == 1)
        && b.iter().all(u8::is_ascii_digit))
    .then(|| digits_value(b))
}

/// The value of 1 to 19 ASCII digits (always within a u64).
#[inline]
fn digits_value(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
}

/// An integer beyond 64 bits: `Fixed` while it fits 128 bits.
fn big(s: &str) -> Int {
    match s.parse::<i128>() {
        Ok(v) => Int::Fixed(v),
        Err(_) => Int::Big(s.into()),
    }
}

/// `nan`, `inf`, `infinity` in any case (the part after an optional `-`).
fn nonfinite(rest: &str, negative: bool) -> Option<f64> {
    let x = if rest.eq_ignore_ascii_case("nan") {
        f64::NAN
    } else if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        f64::INFINITY
    } else {
        return None;
    };
    Some(if negative { -x } else { x })
}

/// msgspec's `double_as_int64`: integral and within ±2^53.
fn float_as_int(x: f64) -> Option<i128> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    #[expect(clippy::cast_possible_truncation, reason = "integral and within ±2^53")]
    (x % 1.0 == 0.0 && (-LIMIT..=LIMIT).contains(&x)).then_some(x as i64 as i128)
}

fn is_null(s: &str) -> bool {
    s.eq_ignore_ascii_case("null")
}

#[cold]
fn expected(what: &'static str) -> Invalid {
    Invalid::new(what)
}

const EXPECTED_INT: &str = "Expected `int`, got `str`";
const EXPECTED_INT_NULL: &str = "Expected `int | null`, got `str`";
const EXPECTED_FLOAT: &str = "Expected `float`, got `str`";
const EXPECTED_FLOAT_NULL: &str = "Expected `float | null`, got `str`";
const EXPECTED_BOOL: &str = "Expected `bool`, got `str`";
const EXPECTED_BOOL_NULL: &str = "Expected `bool | null`, got `str`";

fn lax_int(s: &str, message: &'static str) -> Option<Result<Int, Invalid>> {
    match number(s, true)? {
        Ok(Number::Int(v)) => Some(Ok(v)),
        Ok(Number::Float(x)) => Some(
            float_as_int(x)
                .map(Int::Fixed)
                .ok_or_else(|| expected(message)),
        ),
        Err(e) => Some(Err(e)),
    }
}

fn lax_float(s: &str) -> Option<Result<f64, Invalid>> {
    Some(match number(s, false)? {
        #[expect(
            clippy::cast_precision_loss,
            reason = "C's (double) conversion, as msgspec"
        )]
        Ok(Number::Int(Int::Fixed(v))) => Ok(v as f64),
        Ok(Number::Int(Int::Big(_))) => unreachable!("number(.., false) gives no big ints"),
        Ok(Number::Float(x)) => Ok(x),
        Err(e) => Err(e),
    })
}

fn lax_bool(s: &str, message: &'static str) -> Result<Option<bool>, Invalid> {
    match number(s, false) {
        Some(Ok(Number::Int(Int::Fixed(0)))) => return Ok(Some(false)),
        Some(Ok(Number::Int(Int::Fixed(1)))) => return Ok(Some(true)),
        Some(Ok(_)) => return Err(expected(message)),
        Some(Err(e)) => return Err(e),
        None => {}
    }
    if s.eq_ignore_ascii_case("true") {
        Ok(Some(true))
    } else if s.eq_ignore_ascii_case("false") {
        Ok(Some(false))
    } else {
        Ok(None)
    }
}

/// `msgspec.convert(s, int, strict=False)`.
#[inline]
pub fn int(s: &str) -> Result<Int, Invalid> {
    // The usual value straight away, without the general parser's
    // wrapping (~40 instructions per `/user/{id}` request).
    if let Some(v) = plain_digits(s.as_bytes()) {
        return Ok(Int::Fixed(i128::from(v)));
    }
    lax_int(s, EXPECTED_INT).unwrap_or_else(|| Err(expected(EXPECTED_INT)))
}

/// `msgspec.convert(s, int | None, strict=False)`: `Ok(None)` for `null`.
pub fn int_or_none(s: &str) -> Result<Option<Int>, Invalid> {
    match lax_int(s, EXPECTED_INT_NULL) {
        Some(r) => r.map(Some),
        None if is_null(s) => Ok(None),
        None => Err(expected(EXPECTED_INT_NULL)),
    }
}

/// `msgspec.convert(s, float, strict=False)`.
pub fn float(s: &str) -> Result<f64, Invalid> {
    lax_float(s).unwrap_or_else(|| Err(expected(EXPECTED_FLOAT)))
}

/// `msgspec.convert(s, float | None, strict=False)`.
pub fn float_or_none(s: &str) -> Result<Option<f64>, Invalid> {
    match lax_float(s) {
        Some(r) => r.map(Some),
        None if is_null(s) => Ok(None),
        None => Err(expected(EXPECTED_FLOAT_NULL)),
    }
}

/// `msgspec.convert(s, bool, strict=False)`.
pub fn bool(s: &str) -> Result<bool, Invalid> {
    lax_bool(s, EXPECTED_BOOL)?.ok_or_else(|| expected(EXPECTED_BOOL))
}

/// `msgspec.convert(s, bool | None, strict=False)`.
pub fn bool_or_none(s: &str) -> Result<Option<bool>, Invalid> {
    match lax_bool(s, EXPECTED_BOOL_NULL)? {
        Some(v) => Ok(Some(v)),
        None if is_null(s) => Ok(None),
        None => Err(expected(EXPECTED_BOOL_NULL)),
    }
}

// Constraints, as generated code calls them: one function per constraint,
// in msgspec's order (the minimum, the maximum, then `multiple_of`; for an
// `int`, `gt=c` is `ge=c+1` and `lt=c` is `le=c-1`). The predicates and
// messages are `constraint.rs`'s.

fn int_size(v: &Int) -> IntSize {
    match v {
        Int::Fixed(v) => IntSize::Fixed(*v),
        Int::Big(_) if v.is_negative() => IntSize::Below,
        Int::Big(_) => IntSize::Above,
    }
}

/// `Meta(ge=c)` on an `int`: ``Expected `int` >= c``.
pub fn int_ge(v: &Int, c: i64) -> Result<(), Invalid> {
    if constraint::int_ge(int_size(v), c) {
        Ok(())
    } else {
        Err(Broken::IntGe(c).into())
    }
}

/// `Meta(le=c)` on an `int`: ``Expected `int` <= c``.
pub fn int_le(v: &Int, c: i64) -> Result<(), Invalid> {
    if constraint::int_le(int_size(v), c) {
        Ok(())
    } else {
        Err(Broken::IntLe(c).into())
    }
}

/// `Meta(multiple_of=c)` on an `int` (`c > 0`).
pub fn int_multiple_of(v: &Int, c: i64) -> Result<(), Invalid> {
    let ok = match v {
        Int::Fixed(v) => constraint::int_multiple_of(*v, c),
        Int::Big(digits) => constraint::digits_multiple_of(digits, c),
    };
    if ok {
        Ok(())
    } else {
        Err(Broken::IntMultipleOf(c).into())
    }
}

/// `Meta(ge=c)` on a `float`.
pub fn float_ge(x: f64, c: f64) -> Result<(), Invalid> {
    float_check(constraint::float_ge(x, c), Broken::FloatGe(c))
}

/// `Meta(gt=c)` on a `float`.
pub fn float_gt(x: f64, c: f64) -> Result<(), Invalid> {
    float_check(constraint::float_gt(x, c), Broken::FloatGt(c))
}

/// `Meta(le=c)` on a `float`.
pub fn float_le(x: f64, c: f64) -> Result<(), Invalid> {
    float_check(constraint::float_le(x, c), Broken::FloatLe(c))
}

/// `Meta(lt=c)` on a `float`.
pub fn float_lt(x: f64, c: f64) -> Result<(), Invalid> {
    float_check(constraint::float_lt(x, c), Broken::FloatLt(c))
}

/// `Meta(multiple_of=c)` on a `float`.
pub fn float_multiple_of(x: f64, c: f64) -> Result<(), Invalid> {
    float_check(
        constraint::float_multiple_of(x, c),
        Broken::FloatMultipleOf(c),
    )
}

#[inline]
fn float_check(holds: bool, broken: Broken) -> Result<(), Invalid> {
    if holds { Ok(()) } else { Err(broken.into()) }
}

/// `Meta(min_length=c)` on a `str` (length in code points).
pub fn str_min_length(s: &str, c: usize) -> Result<(), Invalid> {
    let min = Length {
        min: Some(c),
        max: None,
    };
    // At least as many bytes as code points: too few bytes settle it.
    let n = if s.len() < c {
        s.len()
    } else {
        s.chars().count()
    };
    min.check("str", n).map_err(Invalid::from)
}

/// `Meta(max_length=c)` on a `str` (length in code points).
pub fn str_max_length(s: &str, c: usize) -> Result<(), Invalid> {
    let max = Length {
        min: None,
        max: Some(c),
    };
    // At least as many bytes as code points: few enough bytes settle it.
    let n = if s.len() <= c {
        s.len()
    } else {
        s.chars().count()
    };
    max.check("str", n).map_err(Invalid::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(v: i128) -> Result<Int, Invalid> {
        Ok(Int::Fixed(v))
    }

    fn err<T>(m: &'static str) -> Result<T, Invalid> {
        Err(Invalid::new(m))
    }

    // Expected values are what msgspec 0.22 answers for
    // `msgspec.convert(s, T, strict=False)`.

    #[test]
    fn int_like_msgspec() {
        let cases: &[(&str, Result<Int, Invalid>)] = &[
            ("36", fixed(36)),
            ("-36", fixed(-36)),
            ("-0", fixed(0)),
            ("3.0", fixed(3)),
            ("1e3", fixed(1000)),
            ("1E3", fixed(1000)),
            ("1e+2", fixed(100)),
            ("100e-2", fixed(1)),
            ("0e0", fixed(0)),
            ("1e-400", fixed(0)),
            ("-0.0", fixed(0)),
            ("9223372036854775807", fixed(9_223_372_036_854_775_807)),
            ("9223372036854775808", fixed(9_223_372_036_854_775_808)),
            ("18446744073709551615", fixed(18_446_744_073_709_551_615)),
            ("18446744073709551616", fixed(18_446_744_073_709_551_616)),
            ("-9223372036854775809", fixed(-9_223_372_036_854_775_809)),
            (" 36", err(EXPECTED_INT)),
            ("36 ", err(EXPECTED_INT)),
            ("+36", err(EXPECTED_INT)),
            ("3.5", err(EXPECTED_INT)),
            ("0x10", err(EXPECTED_INT)),
            ("1_000", err(EXPECTED_INT)),
            ("007", err(EXPECTED_INT)),
            ("00", err(EXPECTED_INT)),
            ("", err(EXPECTED_INT)),
            ("true", err(EXPECTED_INT)),
            ("nan", err(EXPECTED_INT)),
            ("inf", err(EXPECTED_INT)),
            ("null", err(EXPECTED_INT)),
            (".5", err(EXPECTED_INT)),
            ("5.", err(EXPECTED_INT)),
            ("1.", err(EXPECTED_INT)),
            ("-", err(EXPECTED_INT)),
            ("e5", err(EXPECTED_INT)),
            ("1e", err(EXPECTED_INT)),
            ("1e-2", err(EXPECTED_INT)),
            ("1.5e300", err(EXPECTED_INT)),
            ("1.0000000000000002", err(EXPECTED_INT)),
            ("١٢", err(EXPECTED_INT)),
            ("1e400", err("Number out of range")),
            ("-1e400", err("Number out of range")),
        ];
        for (s, want) in cases {
            assert_eq!(&int(s), want, "{s:?}");
        }
        let huge = "1".repeat(4300);
        assert_eq!(int(&huge), Ok(Int::Big(huge.clone().into())));
        assert_eq!(int(&"1".repeat(4301)), err("Integer value out of range"));
        assert_eq!(int(&format!("-{huge}")), err("Integer value out of range"));
        assert_eq!(
            int("12345678901234567890123"),
            fixed(12_345_678_901_234_567_890_123)
        );
    }

    #[test]
    fn int_or_none_like_msgspec() {
        assert_eq!(int_or_none("null"), Ok(None));
        assert_eq!(int_or_none("NULL"), Ok(None));
        assert_eq!(int_or_none("7"), Ok(Some(Int::Fixed(7))));
        assert_eq!(int_or_none("None"), err(EXPECTED_INT_NULL));
        assert_eq!(int_or_none("x"), err(EXPECTED_INT_NULL));
        assert_eq!(int_or_none("3.5"), err(EXPECTED_INT_NULL));
    }

    #[test]
    fn float_like_msgspec() {
        let ok: &[(&str, f64)] = &[
            ("36", 36.0),
            ("-36", -36.0),
            ("-0", 0.0),
            ("3.5", 3.5),
            ("1e3", 1000.0),
            ("0.1", 0.1),
            ("1e-400", 0.0),
            ("-0.0", -0.0),
            ("1.5e300", 1.5e300),
            ("18446744073709551616", 18_446_744_073_709_551_616.0),
            ("12345678901234567890123", 1.234_567_890_123_456_8e22),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("Infinity", f64::INFINITY),
        ];
        for &(s, want) in ok {
            let got = float(s).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{s:?}");
        }
        assert!(float("NaN").unwrap().is_nan());
        for s in [
            " 36", "+36", "0x10", "007", "", "true", "null", ".5", "5.", "1e", "e5",
        ] {
            assert_eq!(float(s), err(EXPECTED_FLOAT), "{s:?}");
        }
        assert_eq!(float("1e400"), err("Number out of range"));
        assert_eq!(float(&"1".repeat(400)), err("Number out of range"));
        assert_eq!(float_or_none("null"), Ok(None));
        assert_eq!(float_or_none("None"), err(EXPECTED_FLOAT_NULL));
    }

    #[test]
    fn bool_like_msgspec() {
        for (s, want) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("false", false),
            ("1", true),
            ("0", false),
            ("-0", false),
        ] {
            assert_eq!(bool(s), Ok(want), "{s:?}");
        }
        for s in ["2", "yes", "on", "t", "1.0", "1e0", "", "null", "-1", "0.0"] {
            assert_eq!(bool(s), err(EXPECTED_BOOL), "{s:?}");
        }
        assert_eq!(bool("1e400"), err("Number out of range"));
        assert_eq!(bool(&"1".repeat(400)), err("Number out of range"));
        assert_eq!(bool_or_none("NULL"), Ok(None));
        assert_eq!(bool_or_none("2"), err(EXPECTED_BOOL_NULL));
    }

    #[test]
    fn constraint_messages_like_msgspec() {
        let v = |s: &str| int(s).unwrap();
        assert_eq!(int_ge(&v("0"), 1), err("Expected `int` >= 1"));
        assert_eq!(int_le(&v("10"), 9), err("Expected `int` <= 9"));
        assert_eq!(
            int_multiple_of(&v("3"), 2),
            err("Expected `int` that's a multiple of 2")
        );
        assert_eq!(
            int_le(&v("99999999999999999999"), 5),
            err("Expected `int` <= 5")
        );
        assert_eq!(
            int_ge(&v("-99999999999999999999"), 5),
            err("Expected `int` >= 5")
        );
        assert_eq!(int_ge(&v("99999999999999999999"), 5), Ok(()));
        let huge = format!("3{}", "0".repeat(60));
        assert_eq!(int_multiple_of(&v(&huge), 3), Ok(()));
        assert_eq!(
            int_multiple_of(&v(&huge), 7),
            err("Expected `int` that's a multiple of 7")
        );
        assert_eq!(int_le(&v(&huge), 5), err("Expected `int` <= 5"));
        assert_eq!(float_gt(0.5, 0.5), err("Expected `float` > 0.5"));
        assert_eq!(float_ge(0.1, 0.5), err("Expected `float` >= 0.5"));
        assert_eq!(float_le(1e21, 1e20), err("Expected `float` <= 1e+20"));
        assert_eq!(
            float_multiple_of(0.3, 0.1),
            err("Expected `float` that's a multiple of 0.1")
        );
        assert_eq!(float_ge(f64::NAN, 0.0), err("Expected `float` >= 0.0"));
        assert_eq!(
            str_min_length("ab", 3),
            err("Expected `str` of length >= 3")
        );
        assert_eq!(
            str_max_length("abcd", 3),
            err("Expected `str` of length <= 3")
        );
        assert_eq!(str_min_length("é", 2), err("Expected `str` of length >= 2"));
        assert_eq!(str_max_length("éé", 2), Ok(()));
    }
}

/// Randomised comparison with msgspec itself, the oracle of these rules.
#[cfg(test)]
mod oracle {
    use super::*;
    use crate::json::{py_float_repr, write_str};
    use crate::testing::{Rng, python_lines};

    fn ours(s: &str, ty: &str) -> String {
        fn r<T>(v: Result<T, Invalid>, show: impl Fn(T) -> String) -> String {
            match v {
                Ok(v) => show(v),
                Err(e) => format!("ERR {e}"),
            }
        }
        let int_repr = |v: Int| match v {
            Int::Fixed(n) => n.to_string(),
            Int::Big(d) => d.to_string(),
        };
        let b = |v: bool| if v { "True" } else { "False" }.to_owned();
        match ty {
            "int" => r(int(s), int_repr),
            "float" => r(float(s), py_float_repr),
            "bool" => r(bool(s), b),
            "int | None" => r(int_or_none(s), |v| v.map_or("None".into(), int_repr)),
            "float | None" => r(float_or_none(s), |v| v.map_or("None".into(), py_float_repr)),
            "bool | None" => r(bool_or_none(s), |v| v.map_or("None".into(), b)),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lax_conversions_match_msgspec() {
        let mut rng = Rng::from_env("lax oracle");
        let alphabet: Vec<char> = "0123456789-+.eE nafiNtrueFALSEyl_x".chars().collect();
        let mut inputs: Vec<String> = vec![
            "0".into(),
            "-0".into(),
            "1e308".into(),
            "1e309".into(),
            "9007199254740993.0".into(),
            "9007199254740992e0".into(),
            "-9007199254740993e0".into(),
            "4.9e-324".into(),
            "2.5e-324".into(),
            "-Infinity".into(),
            "-nan".into(),
            "nUlL".into(),
            "TrUe".into(),
        ];
        for _ in 0..3000 {
            let len = rng.below(10);
            inputs.push(
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect(),
            );
        }
        for _ in 0..500 {
            // Structured numbers: sign, integer, fraction, exponent.
            let mut s = String::new();
            if rng.below(3) == 0 {
                s.push('-');
            }
            let digits = 1 + rng.below(22);
            for i in 0..digits {
                s.push(
                    char::from(b'0' + u8::try_from(rng.below(10)).unwrap()).max(if i == 0 {
                        '1'
                    } else {
                        '0'
                    }),
                );
            }
            if rng.below(2) == 0 {
                s.push('.');
                for _ in 0..1 + rng.below(5) {
                    s.push(char::from(b'0' + u8::try_from(rng.below(10)).unwrap()));
                }
            }
            if rng.below(2) == 0 {
                s.push('e');
                if rng.below(2) == 0 {
                    s.push('-');
                }
                s.push_str(&rng.below(330).to_string());
            }
            inputs.push(s);
        }
        let types = [
            "int",
            "float",
            "bool",
            "int | None",
            "float | None",
            "bool | None",
        ];
        let mut script_input = String::new();
        for s in &inputs {
            let mut enc = Vec::new();
            write_str(&mut enc, s);
            script_input.push_str(std::str::from_utf8(&enc).unwrap());
            script_input.push('\n');
        }
        let script = r#"
import json, sys, msgspec
types = [int, float, bool, int | None, float | None, bool | None]
for line in sys.stdin:
    s = json.loads(line)
    out = []
    for t in types:
        try:
            out.append(repr(msgspec.convert(s, t, strict=False)))
        except msgspec.ValidationError as e:
            out.append("ERR " + str(e))
    print(json.dumps(out))
"#;
        let lines = python_lines(script, &script_input);
        assert_eq!(lines.len(), inputs.len());
        for (s, line) in inputs.iter().zip(lines) {
            let theirs: Vec<String> = parse_json_strings(&line);
            for (ty, want) in types.iter().zip(theirs) {
                assert_eq!(
                    ours(s, ty),
                    want,
                    "msgspec.convert({s:?}, {ty}, strict=False)"
                );
            }
        }
    }

    /// Parses a JSON array of strings as Python's `json.dumps` writes it.
    fn parse_json_strings(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = line
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .chars()
            .peekable();
        while let Some(c) = chars.next() {
            if c != '"' {
                continue;
            }
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next().unwrap() {
                        'u' => {
                            let hex: String = (0..4).map(|_| chars.next().unwrap()).collect();
                            s.push(
                                char::from_u32(u32::from_str_radix(&hex, 16).unwrap())
                                    .unwrap_or('\u{fffd}'),
                            );
                        }
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        other => s.push(other),
                    },
                    c => s.push(c),
                }
            }
            out.push(s);
        }
        out
    }
}
