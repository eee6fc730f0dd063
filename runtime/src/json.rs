//! JSON output primitives, byte-identical to `msgspec.json.encode`.
//!
//! msgspec escapes only `"`, `\` and the control characters below 0x20
//! (`\b \t \n \f \r` in short form, the rest as lowercase `\u00XX`), and
//! writes every other character, DEL and non-ASCII included, as UTF-8.
//! Floats use the shortest round-trip digits in msgspec's layout (`1.0`,
//! `1e16`, `0.00001`, `1e-7`), and non-finite floats become `null`.
//! The same digits also give Python's `repr(float)`, which msgspec's
//! constraint messages print.
//!
//! Reading JSON is `json/parse.rs`'s (the native body decoder's reader).

pub(crate) mod parse;

/// What each byte turns into inside a JSON string: 0 = itself, `u` =
/// `\u00XX`, anything else = that character after a backslash.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether any of the eight bytes of `v` is a control character, `"` or `\\`.
#[inline]
fn needs_escape(v: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    // Bytes below 0x20 (exact for ASCII; a false alarm on some non-ASCII
    // bytes only costs the byte-wise check).
    let below = v.wrapping_sub(ONES * 0x20) & !v & HIGH;
    (below | has_zero(v ^ (ONES * u64::from(b'"'))) | has_zero(v ^ (ONES * u64::from(b'\\')))) != 0
}

/// Whether any byte of `bytes` needs escaping: eight bytes at a time,
/// the last (partial) word read overlapping the one before it, or padded
/// with plain bytes when the text is shorter than a word.
#[inline]
fn any_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n < 8 {
        let mut word = [b'a'; 8];
        word[..n].copy_from_slice(bytes);
        return needs_escape(u64::from_le_bytes(word));
    }
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
    let mut i = 0;
    while i + 8 < n {
        if needs_escape(word(i)) {
            return true;
        }
        i += 8;
    }
    needs_escape(word(n - 8))
}

/// Writes `s` as a JSON string, quotes included: one reserve and one copy
/// when nothing needs escaping (the common case), else byte by byte.
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    if !any_escape(bytes) {
        // SAFETY: `len + 2` bytes of spare capacity were reserved above;
        // all of them are written before the length covers them.
        unsafe {
            let end = out.as_mut_ptr().add(out.len());
            *end = b'"';
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), end.add(1), bytes.len());
            *end.add(bytes.len() + 1) = b'"';
            out.set_len(out.len() + bytes.len() + 2);
        }
        return;
    }
    write_escaped(out, bytes);
}

/// [`write_str`] for text with something to escape.
#[cold]
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping.
        if let Some(chunk) = bytes.get(i..i + 8) {
            let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if !needs_escape(v) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let esc = ESCAPE[usize::from(b)];
        i += 1;
        if esc == 0 {
            continue;
        }
        let i = i - 1;
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', esc]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes an integer.
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_digits(out, v.unsigned_abs());
}

/// Writes an unsigned integer.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    write_digits(out, v);
}

/// `"00" "01" ... "99"`.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// The number of decimal digits of `n`.
#[inline]
fn digit_count(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    // floor(log10(2^bits)) approximates it from below by at most one.
    let bits = 64 - (n | 1).leading_zeros() as usize;
    let guess = (bits * 1233) >> 12;
    (guess + usize::from(guess < 20 && n >= POW10[guess])).max(1)
}

/// Writes `n`'s digits straight into the spare capacity, two at a time
/// from the end (no intermediate buffer, no copy call).
#[inline]
fn write_digits(out: &mut Vec<u8>, mut n: u64) {
    let len = digit_count(n);
    out.reserve(len);
    // SAFETY: `len` bytes of spare capacity were reserved; each is written
    // (from the end) before the length covers them.
    unsafe {
        let start = out.as_mut_ptr().add(out.len());
        let mut end = start.add(len);
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(pair), end, 2);
        }
        if n >= 10 {
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(n as usize * 2), end, 2);
        } else {
            end = end.sub(1);
            *end = b'0' + n as u8;
        }
        debug_assert_eq!(end, start);
        out.set_len(out.len() + len);
    }
}

/// The shortest round-trip digits of a finite, non-zero float, without
/// the decimal point: `|x| = 0.DIGITS × 10^decpt`.
struct Digits {
    buf: [u8; 24],
    len: usize,
    decpt: i32,
}

impl Digits {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The shortest round-trip digits of a finite, non-zero `|x|` and the
/// decimal exponent `k` such that `|x| = 0.DIGITS × 10^k`.
///
/// Ryu, like msgspec's `write_f64` and CPython's `repr`: among the shortest
/// digit strings it picks the closest, and breaks ties to even (Rust's own
/// `{:e}` rounds ties up: `974574295488341.25` would end in 3, not 2).
/// No allocation: this runs once per float a response holds.
fn shortest(x: f64) -> Digits {
    let mut ryu = ryu::Buffer::new();
    let text = ryu.format_finite(x.abs()).as_bytes();
    let (mantissa, exp) = match text.iter().position(|&b| b == b'e') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &b""[..]),
    };
    let mut e: i32 = 0;
    let (negative, exp) = match exp.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, exp),
    };
    for &d in exp {
        e = e * 10 + i32::from(d - b'0');
    }
    if negative {
        e = -e;
    }
    let mut d = Digits {
        buf: [0; 24],
        len: 0,
        decpt: e,
    };
    let mut seen_point = false;
    let mut leading = true;
    for &b in mantissa {
        if b == b'.' {
            seen_point = true;
            continue;
        }
        if !seen_point {
            d.decpt += 1;
        }
        if leading && b == b'0' {
            // A leading zero (`0.00012`): it moves the exponent, not the digits.
            d.decpt -= 1;
            continue;
        }
        leading = false;
        if d.len < d.buf.len() {
            d.buf[d.len] = b;
            d.len += 1;
        }
    }
    while d.len > 1 && d.buf[d.len - 1] == b'0' {
        d.len -= 1;
    }
    d
}

/// Writes a float as msgspec does (non-finite as `null`).
///
/// The `ryu` crate's layout is msgspec's (both are ryu's "pretty" format:
/// `1.0`, `1e16`, `0.00001`, `1e-7`, `-0.0`); `layout` below spells the
/// rule out, and a test holds the two equal on millions of floats.
///
/// Floats with a short decimal form in `[1e-5, 2^53)` (prices, ratings,
/// measurements with a few decimals) take [`write_short`]'s exact path,
/// which gives the same digits as Ryu without its digit-removal loop.
#[inline]
pub(crate) fn write_f64(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if write_short(out, x) {
        return;
    }
    out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
}

/// `10^k` for `k <= 20`.
const POW10_U128: [u128; 21] = {
    let mut t = [1u128; 21];
    let mut i = 1;
    while i < 21 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Writes `x` in msgspec's layout when `|x|` is in `[1e-5, 2^53)` and its
/// shortest round-trip decimal is found exactly by one integer product;
/// `false` (nothing written) otherwise.
///
/// A normal `|x| = N / 2^s` (`N < 2^53`) rounds back from every decimal in
/// the interval of half an ulp (`2^-s / 2`) either side of it (a quarter
/// below a power of two; the ends included when `N` is even, as
/// round-half-even parsing does). Take the largest `K` with `10^K < 2^s`:
/// scaled by `10^K` the interval is narrower than 1, so it holds at most
/// one integer, `m = round(N·10^K / 2^s)`, checked exactly in 128-bit
/// integers. If a decimal with `k <= K` fraction digits lies in the
/// interval, then `m` is it times `10^(K-k)`: stripping `m`'s trailing
/// zeros gives the fewest fraction digits, and (the integer part being
/// fixed by `x`) the fewest significant digits — the unique shortest
/// decimal, which is Ryu's (and so msgspec's) choice. No such `m`: Ryu
/// decides. In this range msgspec's layout is plain: `XY.Z` or `XYZ.0`,
/// or `0.0XYZ` below 1.
#[inline]
fn write_short(out: &mut Vec<u8>, x: f64) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as u32;
    let frac = bits & ((1 << 52) - 1);
    // Normal and below 2^53: the shift `s = 1075 - biased` is at least 1.
    // At least 1e-5: `s <= 69`, so `K <= 20` and the product fits 128 bits.
    if !(1..1075).contains(&biased) || x.abs() < 1e-5 {
        return false;
    }
    let s = 1075 - biased;
    let n = frac | (1 << 52);
    // floor(s * log10(2)), the largest K with 10^K <= 2^s (never equal).
    let k_max = ((s * 78_913) >> 18) as usize;
    let scale = POW10_U128[k_max];
    let p = u128::from(n) * scale;
    let m = (p + (1u128 << (s - 1))) >> s;
    let back = m << s;
    let even = n & 1 == 0;
    let inside = if back >= p {
        let d2 = (back - p) * 2;
        d2 < scale || (d2 == scale && even)
    } else {
        // Below a power of two the next float down is half as far.
        let d = (p - back) * if frac == 0 && biased > 1 { 4 } else { 2 };
        d < scale || (d == scale && even)
    };
    if !inside {
        return false;
    }
    // m < x·10^K + 1 <= 2^53: it fits 64 bits.
    let mut m = m as u64;
    let mut k = k_max;
    while k >= 4 && m.is_multiple_of(10_000) {
        m /= 10_000;
        k -= 4;
    }
    while k > 0 && m.is_multiple_of(10) {
        m /= 10;
        k -= 1;
    }
    if x < 0.0 {
        out.push(b'-');
    }
    let mut buf = itoa::Buffer::new();
    if k == 0 {
        out.extend_from_slice(buf.format(m).as_bytes());
        out.extend_from_slice(b".0");
        return true;
    }
    let pow = POW10_U128[k] as u64;
    out.extend_from_slice(buf.format(m / pow).as_bytes());
    out.push(b'.');
    let digits = buf.format(m % pow).as_bytes();
    out.extend(std::iter::repeat_n(b'0', k - digits.len()));
    out.extend_from_slice(digits);
    true
}

/// msgspec's float layout from the shortest digits (the reference for
/// [`write_f64`]).
#[cfg(test)]
fn layout(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if x == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let d = shortest(x);
    let kk = d.decpt;
    let digits = d.as_bytes();
    let length = i32::try_from(digits.len()).expect("at most 17 digits");
    let k = kk - length;
    if (0..=16).contains(&kk) && k >= 0 {
        // XYZ00.0
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
        out.extend_from_slice(b".0");
    } else if 0 < kk && kk <= 16 {
        // XY.Z
        let (int, frac) = digits.split_at(kk as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if -5 < kk && kk <= 0 {
        // 0.0XYZ
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-kk) as usize));
        out.extend_from_slice(digits);
    } else {
        // X.YZe123, or Xe123 for one digit.
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        write_i64(out, i64::from(kk - 1));
    }
}

/// Python's `repr(x)` for a float (`0.5`, `1e+20`, `1e-05`, `inf`).
pub(crate) fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let d = shortest(x);
    let decpt = d.decpt;
    let digits = std::str::from_utf8(d.as_bytes()).expect("ASCII digits");
    let n = i32::try_from(digits.len()).expect("at most 17 digits");
    if -4 < decpt && decpt <= 16 {
        if decpt <= 0 {
            let zeros = "0".repeat((-decpt) as usize);
            format!("{sign}0.{zeros}{digits}")
        } else if decpt >= n {
            let zeros = "0".repeat((decpt - n) as usize);
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let e = decpt - 1;
        let esign = if e < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}{rest}e{esign}{:02}", e.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    fn s(x: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_like_msgspec() {
        // Expected values are msgspec 0.22's `msgspec.json.encode` output.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e16, "1e16"),
            (1e15, "1000000000000000.0"),
            (123_456_789_012_345_680.0, "1.2345678901234568e17"),
            (1e-4, "0.0001"),
            (1e-5, "0.00001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e21, "1e21"),
            (1e100, "1e100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (12345.678, "12345.678"),
            (9_007_199_254_740_992.0, "9007199254740992.0"),
            (0.000_123, "0.000123"),
            (100.0, "100.0"),
            (3e-5, "0.00003"),
            (-2.5, "-2.5"),
        ];
        for &(x, want) in cases {
            assert_eq!(f(x), want, "{x:?}");
        }
    }

    #[test]
    fn float_repr_like_python() {
        let cases: &[(f64, &str)] = &[
            (0.5, "0.5"),
            (0.0, "0.0"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (-1.5e-7, "-1.5e-07"),
            (123.25, "123.25"),
            (1e300, "1e+300"),
            (f64::INFINITY, "inf"),
        ];
        for &(x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:?}");
        }
    }

    /// Reference: escape byte by byte.
    fn slow(x: &str) -> String {
        let mut out = String::from("\"");
        for c in x.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\u{c}' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn escapes_at_every_position_and_length() {
        for n in 0..40 {
            for at in 0..n {
                for special in [
                    "\"", "\\", "\n", "\u{1}", "\u{1f}", "é", "\u{7f}", "😀", " ",
                ] {
                    let text: String = (0..n)
                        .map(|i| if i == at { special } else { "x" })
                        .collect();
                    assert_eq!(s(&text), slow(&text), "{text:?}");
                }
            }
            let plain = "y".repeat(n);
            assert_eq!(s(&plain), slow(&plain));
        }
    }

    #[test]
    fn integers_like_itoa() {
        let mut values = vec![0, 1, -1, 9, 10, 99, 100, i64::MIN, i64::MAX, i64::MIN + 1];
        let mut p: i64 = 1;
        for _ in 0..18 {
            p *= 10;
            values.extend([p - 1, p, p + 1, -p + 1, -p, -p - 1]);
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(state.cast_signed() >> (state % 64));
        }
        for v in values {
            let mut out = b"x".to_vec();
            write_i64(&mut out, v);
            assert_eq!(out[1..], *itoa::Buffer::new().format(v).as_bytes(), "{v}");
            let u = v.unsigned_abs() * 3 + 7;
            let mut out = Vec::new();
            write_u64(&mut out, u);
            assert_eq!(out, itoa::Buffer::new().format(u).as_bytes(), "{u}");
        }
        let mut out = Vec::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, b"18446744073709551615");
    }

    #[test]
    fn strings_like_msgspec() {
        assert_eq!(s("plain"), "\"plain\"");
        assert_eq!(s("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            s("\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f}"),
            r#""\u0000\b\t\n\u000b\f\r\u001f""#
        );
        assert_eq!(s("\u{7f}é😀</script>"), "\"\u{7f}é😀</script>\"");
    }
}

/// Randomised comparison with `msgspec.json.encode` (the oracle).
#[cfg(test)]
mod oracle {
    use super::*;
    use crate::testing::{Rng, python_lines};

    #[test]
    fn floats_and_strings_match_msgspec() {
        let mut rng = Rng::from_env("json oracle");
        let mut floats: Vec<f64> = (0..4000)
            .map(|_| f64::from_bits(rng.next_u64()))
            .filter(|x| x.is_finite())
            .collect();
        for _ in 0..2000 {
            // Short decimals and powers of ten, where formatting switches layout.
            let mantissa = rng.below(100_000) as f64;
            let exp = i32::try_from(rng.below(60)).unwrap() - 30;
            floats.push(mantissa * 10f64.powi(exp));
        }
        for _ in 0..4000 {
            // Decimals as a body spells them (the short path of
            // `write_f64`), up to 17 digits and 20 fraction digits, and
            // their neighbours (Ryu's path).
            let digits = u32::try_from(rng.below(18)).unwrap();
            let mantissa = rng.next_u64() % 10u64.pow(digits).max(1);
            let x: f64 = format!("{mantissa}e-{}", rng.below(21)).parse().unwrap();
            floats.push(x);
            floats.push(-f64::from_bits(x.to_bits() + 1));
        }
        let mut input = String::new();
        let mut ours = Vec::new();
        for x in &floats {
            input.push_str(&format!("{:016x}\n", x.to_bits()));
            let mut out = Vec::new();
            write_f64(&mut out, *x);
            ours.push(String::from_utf8(out).unwrap());
        }
        let lines = python_lines(
            "import sys, struct, msgspec\nfor l in sys.stdin:\n    x = struct.unpack('>d', bytes.fromhex(l.strip()))[0]\n    print(msgspec.json.encode(x).decode(), repr(x))",
            &input,
        );
        for ((x, mine), line) in floats.iter().zip(&ours).zip(lines) {
            let (enc, repr) = line.split_once(' ').unwrap();
            assert_eq!(mine, enc, "msgspec.json.encode({x:e})");
            assert_eq!(py_float_repr(*x), repr, "repr({x:e})");
        }

        // Strings: every code point below 0x800 and random ones above.
        let mut cps: Vec<u32> = (0..0x800).collect();
        cps.extend((0..2000).map(|_| 0x800 + u32::try_from(rng.below(0x10_f800)).unwrap()));
        let text: String = cps.iter().filter_map(|&c| char::from_u32(c)).collect();
        let mut mine = Vec::new();
        write_str(&mut mine, &text);
        let hex: String = text.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let theirs = python_lines(
            "import sys, msgspec\nsys.stdout.write(msgspec.json.encode(bytes.fromhex(sys.stdin.read().strip()).decode()).hex())",
            &hex,
        );
        let mine_hex: String = mine.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(mine_hex, theirs[0]);
    }
}

#[cfg(test)]
mod short_floats {
    /// [`super::write_short`] writes what Ryu writes, wherever it writes.
    #[test]
    fn short_path_is_ryu() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let check = |x: f64, taken: &mut u64| {
            let mut ours = Vec::new();
            if super::write_short(&mut ours, x) {
                *taken += 1;
                let mut b = ryu::Buffer::new();
                assert_eq!(
                    std::str::from_utf8(&ours).unwrap(),
                    b.format_finite(x),
                    "{:016x}",
                    x.to_bits()
                );
            }
        };
        let mut taken = 0;
        for _ in 0..2_000_000 {
            let r = next();
            // Short decimals: up to 17 digits, 0 to 20 fraction digits.
            let digits = r % 18;
            let mantissa = next() % 10u64.pow(u32::try_from(digits).unwrap()).max(1);
            let frac = u32::try_from(next() % 21).unwrap();
            let text = format!("{mantissa}e-{frac}");
            let x: f64 = text.parse().unwrap();
            check(x, &mut taken);
            check(-x, &mut taken);
            // Its neighbours, and random doubles of every exponent in range.
            check(f64::from_bits(x.to_bits() + 1), &mut taken);
            check(f64::from_bits(x.to_bits().saturating_sub(1)), &mut taken);
            let bits = (r & 0x800F_FFFF_FFFF_FFFF) | ((1000 + (r >> 52) % 80) << 52);
            check(f64::from_bits(bits), &mut taken);
        }
        // Powers of two and ten, and the edges of the range.
        for e in -80..60 {
            let p = 2f64.powi(e);
            for x in [p, -p, 10f64.powi(e / 3), 1e-5, 9_007_199_254_740_991.0] {
                check(x, &mut taken);
                check(f64::from_bits(x.to_bits() + 1), &mut taken);
                check(f64::from_bits(x.to_bits() - 1), &mut taken);
            }
        }
        for i in 0..100_000u32 {
            check(f64::from(i) / 100.0, &mut taken);
            check(f64::from(i) * 0.1, &mut taken);
            check(f64::from(i) + 0.5, &mut taken);
        }
        assert!(taken > 2_000_000, "the short path was taken {taken} times");
    }
}

#[cfg(test)]
mod ryu_layout {
    /// `ryu`'s own layout is msgspec's.
    #[test]
    fn ryu_pretty_is_msgspec_layout() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut diffs = 0;
        for i in 0..3_000_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // A third anywhere, the rest between 2^-23 and 2^96 (every layout).
            let bits = if i % 3 == 0 {
                state
            } else {
                (state & 0x800F_FFFF_FFFF_FFFF) | ((1000 + (state >> 52) % 120) << 52)
            };
            let x = f64::from_bits(bits);
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let mut ours = Vec::new();
            super::layout(&mut ours, x);
            let mut b = ryu::Buffer::new();
            let r = b.format_finite(x);
            if ours != r.as_bytes() {
                diffs += 1;
                if diffs < 10 {
                    eprintln!("{x:e}: ours {} ryu {r}", String::from_utf8_lossy(&ours));
                }
            }
        }
        assert_eq!(diffs, 0);
    }
}
