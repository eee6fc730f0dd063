//! A JSON reader over raw bytes, for the native body decoder
//! (`python/native/`): whitespace, literals, numbers, strings (unescaped
//! into a scratch buffer) and skipping unknown values, each answering
//! `None` for anything unusual so the caller can leave the body to msgspec.
//! It builds no values and touches no Python, so the tests below check
//! and fuzz it without an interpreter.
//!
//! It reads what msgspec reads: RFC 8259 JSON with the whitespace ` `,
//! `\t`, `\n`, `\r`; integers within 64 bits and no leading zeros;
//! floats as msgspec converts them (an integer literal through its
//! integer value, a short decimal by Clinger's exact fast path, the rest
//! by a correctly rounded parse); strings scanned eight bytes at a time.
//! It is stricter than msgspec where the answer would take work (long
//! numbers, lone surrogates, nesting past [`MAX_DEPTH`]): the caller gives
//! up there.

/// Nesting the reader (and the decoder built on it) follows before it
/// gives up.
pub(crate) const MAX_DEPTH: usize = 64;

/// A cursor over a JSON document.
pub(crate) struct Reader<'a> {
    /// The document.
    pub(crate) b: &'a [u8],
    /// The position of the next byte to read.
    pub(crate) i: usize,
    /// Unescaped string contents, when a string has escapes.
    scratch: Vec<u8>,
}

/// An object key with its colon, `"key":`, as a document spells it when
/// written plainly, prepared for a fast compare.
pub(crate) struct QuotedKey {
    /// `"key":`.
    quoted: Box<[u8]>,
    /// `quoted` as two little-endian words (zero-padded) and the masks of
    /// its bytes, when it is at most 16 bytes long.
    words: [u64; 2],
    masks: [u64; 2],
    /// The key needs no escape in JSON (so its plain spelling is the only
    /// one without escapes, and [`Reader::key`] can match it).
    plain: bool,
}

impl QuotedKey {
    /// The quoted form of `key`.
    pub(crate) fn new(key: &str) -> QuotedKey {
        let mut quoted = Vec::with_capacity(key.len() + 3);
        quoted.push(b'"');
        quoted.extend_from_slice(key.as_bytes());
        quoted.extend_from_slice(b"\":");
        let (mut words, mut masks) = ([0u64; 2], [0u64; 2]);
        if quoted.len() <= 16 {
            let mut padded = [0u8; 16];
            padded[..quoted.len()].copy_from_slice(&quoted);
            let mut mask = [0u8; 16];
            mask[..quoted.len()].fill(0xff);
            for w in 0..2 {
                let at = w * 8..w * 8 + 8;
                words[w] = u64::from_le_bytes(padded[at.clone()].try_into().expect("8"));
                masks[w] = u64::from_le_bytes(mask[at].try_into().expect("8"));
            }
        }
        QuotedKey {
            plain: !key.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20),
            quoted: quoted.into_boxed_slice(),
            words,
            masks,
        }
    }
}

/// The bytes that end the fast scan of a string: `"`, `\\` and controls.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

impl<'a> Reader<'a> {
    /// A reader at the start of `b`.
    pub(crate) fn new(b: &'a [u8]) -> Reader<'a> {
        Reader {
            b,
            i: 0,
            scratch: Vec::new(),
        }
    }

    /// Whether the whole document has been read.
    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    /// Reads `k` if the document spells it plainly next, with its colon:
    /// one or two masked word compares for short keys.
    #[inline(always)]
    pub(crate) fn key(&mut self, k: &QuotedKey) -> bool {
        let (b, i) = (self.b, self.i);
        let n = k.quoted.len();
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"));
        let found = k.plain
            && if n <= 16 && i + 16 <= b.len() {
                ((word(i) ^ k.words[0]) & k.masks[0]) | ((word(i + 8) ^ k.words[1]) & k.masks[1])
                    == 0
            } else if n <= 8 && i + 8 <= b.len() {
                (word(i) ^ k.words[0]) & k.masks[0] == 0
            } else {
                b.get(i..i + n) == Some(&k.quoted[..])
            };
        if found {
            self.i += n;
        }
        found
    }

    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        if self.at(self.i) > b' ' {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        if self.at(self.i) == c {
            self.i += 1;
            return Some(());
        }
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `true`/`false`/`null`, followed by something that ends a value.
    pub(crate) fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// The byte at `i`, or 0 past the end (0 is never valid JSON there).
    #[inline(always)]
    pub(crate) fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    /// Digits from `i`: the index after them and `acc` with them appended
    /// (wrapping: the caller bounds the count).
    #[inline(always)]
    fn digits(&self, mut i: usize, mut acc: u64) -> (usize, u64) {
        loop {
            let d = self.at(i).wrapping_sub(b'0');
            if d >= 10 {
                return (i, acc);
            }
            acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
    }

    /// A JSON integer that fits 64 bits (anything else is msgspec's).
    #[inline(always)]
    pub(crate) fn int(&mut self) -> Option<i64> {
        let mut i = self.i;
        let negative = self.at(i) == b'-';
        i += usize::from(negative);
        let start = i;
        let (end, n) = self.digits(i, 0);
        let count = end - start;
        if count == 0 || (count > 1 && self.at(start) == b'0') {
            return None;
        }
        if let b'.' | b'e' | b'E' = self.at(end) {
            return None;
        }
        let n = if count > 18 {
            // Past 18 digits the value may not fit: redo it checked.
            let mut n: u64 = 0;
            for &c in &self.b[start..end] {
                n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            }
            n
        } else {
            n
        };
        self.i = end;
        if negative {
            if n <= 1 << 63 {
                Some(0i64.wrapping_sub_unsigned(n))
            } else {
                None
            }
        } else {
            i64::try_from(n).ok()
        }
    }

    /// A JSON number as a `float`, as msgspec reads one: an integer
    /// literal is converted from its value (`-0` gives `0.0`); a decimal
    /// whose digits fit 53 bits with a power of ten within 22 by Clinger's
    /// exact fast path (msgspec's own); anything else by a full, correctly
    /// rounded parse (msgspec's Eisel-Lemire and its fallback round
    /// correctly too).
    #[inline(always)]
    pub(crate) fn float(&mut self) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let start = self.i;
        let mut i = start;
        let negative = self.at(i) == b'-';
        i += usize::from(negative);
        let int_start = i;
        let (int_end, mut mantissa) = self.digits(i, 0);
        let int_len = int_end - int_start;
        if int_len == 0 || (int_len > 1 && self.at(int_start) == b'0') {
            return None;
        }
        i = int_end;
        let mut count = int_len;
        let mut scale: i64 = 0;
        let mut is_int = true;
        if self.at(i) == b'.' {
            is_int = false;
            let (end, m) = self.digits(i + 1, mantissa);
            let frac = end - (i + 1);
            if frac == 0 {
                return None;
            }
            mantissa = m;
            count += frac;
            scale = -(frac as i64);
            i = end;
        }
        if let b'e' | b'E' = self.at(i) {
            is_int = false;
            i += 1;
            let negative_exp = self.at(i) == b'-';
            if let b'+' | b'-' = self.at(i) {
                i += 1;
            }
            let exp_start = i;
            let mut e: i64 = 0;
            loop {
                let d = self.at(i).wrapping_sub(b'0');
                if d >= 10 {
                    break;
                }
                e = (e * 10 + i64::from(d)).min(1 << 20);
                i += 1;
            }
            if i == exp_start {
                return None;
            }
            scale += if negative_exp { -e } else { e };
        }
        self.i = i;
        if is_int {
            // msgspec reads the integer, then converts it (C's rounding
            // conversion); past 18 digits msgspec decides.
            if count > 18 {
                return None;
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "C's (double) conversion, as msgspec"
            )]
            let x = mantissa as i64 as f64;
            // `-0` is the integer 0: `0.0`, positive.
            return Some(if negative { -x } else { x } + 0.0);
        }
        let x = if count <= 19 && mantissa >> 53 == 0 && (-22..=22).contains(&scale) {
            #[expect(
                clippy::cast_precision_loss,
                reason = "exact: the mantissa is below 2^53"
            )]
            let m = mantissa as i64 as f64;
            let p = POW10[scale.unsigned_abs() as usize];
            if scale >= 0 { m * p } else { m / p }
        } else {
            // SAFETY: the bytes were checked to be ASCII digits and signs.
            let text = unsafe { std::str::from_utf8_unchecked(&self.b[start..i]) };
            return text.parse().ok();
        };
        Some(if negative { -x } else { x })
    }

    /// A JSON number: its text and whether it is an integer. Leaves the
    /// body to msgspec for anything unusual (long numbers included).
    fn number(&mut self) -> Option<(&'_ [u8], bool)> {
        let b = self.b;
        let start = self.i;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut is_int = true;
        if b.get(i) == Some(&b'.') {
            is_int = false;
            i += 1;
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            is_int = false;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        if i - start > 300 {
            return None;
        }
        self.i = i;
        Some((&b[start..i], is_int))
    }

    /// A JSON string's contents, unescaped, and whether it is all ASCII.
    /// `None` for anything msgspec would refuse or treat specially.
    #[inline]
    pub(crate) fn string_view(&mut self) -> Option<(&[u8], bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let b = self.b;
        let start = self.i + 1;
        // Eight bytes at a time up to a quote, a backslash, a control
        // character or a non-ASCII byte, then byte by byte.
        let mut i = scan(b, start, true);
        let mut ascii = true;
        if b.get(i).is_some_and(|&c| c >= 0x80) {
            ascii = false;
            i = scan(b, i, false);
        }
        if *b.get(i)? == b'"' {
            self.i = i + 1;
            return Some((&b[start..i], ascii));
        }
        self.string_escaped(start, i, ascii)
    }

    /// The rest of [`Reader::string_view`] from the first byte at `i` that
    /// is not plain text: unescapes into the scratch buffer.
    #[cold]
    #[inline(never)]
    fn string_escaped(
        &mut self,
        start: usize,
        mut i: usize,
        mut ascii: bool,
    ) -> Option<(&[u8], bool)> {
        let b = self.b;
        if *b.get(i)? != b'\\' {
            // A control character: msgspec's error.
            return None;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&b[start..i]);
        loop {
            match *b.get(i)? {
                b'"' => break,
                b'\\' => {
                    i += 1;
                    let c = match *b.get(i)? {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let hi = hex4(b.get(i + 1..i + 5)?)?;
                            i += 4;
                            let ch = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i + 1..i + 3)? != b"\\u" {
                                    return None;
                                }
                                let lo = hex4(b.get(i + 3..i + 7)?)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                i += 6;
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return None;
                            } else {
                                hi
                            };
                            let ch = char::from_u32(ch)?;
                            ascii &= ch.is_ascii();
                            let mut buf = [0; 4];
                            self.scratch
                                .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            i += 1;
                            continue;
                        }
                        _ => return None,
                    };
                    self.scratch.push(c);
                    i += 1;
                }
                c if c < 0x20 => return None,
                _ => {
                    // A run of plain text up to the next special byte.
                    let run = scan(b, i, false);
                    let text = &b[i..run];
                    ascii &= text.is_ascii();
                    self.scratch.extend_from_slice(text);
                    i = run;
                }
            }
        }
        self.i = i + 1;
        Some((&self.scratch[..], ascii))
    }

    /// Skips an unknown field's value (strictly: anything unusual is left
    /// to msgspec).
    pub(crate) fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => {
                let (bytes, ascii) = self.string_view()?;
                if !ascii {
                    std::str::from_utf8(bytes).ok()?;
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.string_view()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true").then_some(())?,
            b'f' => self.literal(b"false").then_some(())?,
            b'n' => self.literal(b"null").then_some(())?,
            _ => {
                self.number()?;
            }
        }
        Some(())
    }
}

/// The index of the first byte from `i` that ends plain string text: a
/// quote, a backslash, a control character, or (with `stop_high`) a byte
/// of 0x80 and above; `b.len()` if none. Eight bytes at a time: in each
/// word the lowest flagged byte is a true stop (a false flag can only sit
/// above a true one, where a borrow came from).
#[inline(always)]
fn scan(b: &[u8], mut i: usize, stop_high: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let mut flags = (v.wrapping_sub(ONES * 0x20) & !v)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        if stop_high {
            flags |= v;
        }
        flags &= HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if STOP[usize::from(c)] || (stop_high && c >= 0x80) {
            break;
        }
        i += 1;
    }
    i
}

/// Byte equality without a `memcmp` call for short keys.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, QuotedKey, Reader};
    use crate::json::{write_f64, write_i64, write_str};
    use crate::testing::Rng;

    fn int(text: &str) -> Option<i64> {
        let mut r = Reader::new(text.as_bytes());
        r.int().filter(|_| r.at_end())
    }

    fn float(text: &str) -> Option<f64> {
        let mut r = Reader::new(text.as_bytes());
        r.float().filter(|_| r.at_end())
    }

    fn string(text: &str) -> Option<(String, bool)> {
        let mut r = Reader::new(text.as_bytes());
        let (bytes, ascii) = r.string_view()?;
        let s = String::from_utf8(bytes.to_vec()).ok()?;
        r.at_end().then_some((s, ascii))
    }

    fn skips(text: &str) -> bool {
        let mut r = Reader::new(text.as_bytes());
        r.skip(0).is_some() && {
            r.ws();
            r.at_end()
        }
    }

    #[test]
    fn integers_within_64_bits() {
        for (text, want) in [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("42", Some(42)),
            ("-17", Some(-17)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("18446744073709551616", None),
            ("99999999999999999999", None),
            ("01", None),
            ("-", None),
            ("+1", None),
            ("", None),
            ("1.0", None),
            ("1e3", None),
            ("1E3", None),
        ] {
            assert_eq!(int(text), want, "{text:?}");
        }
    }

    #[test]
    fn floats_as_msgspec_reads_them() {
        for (text, want) in [
            ("0", 0.0),
            ("1", 1.0),
            ("-2", -2.0),
            ("1.5", 1.5),
            ("-0.25", -0.25),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("25e-1", 2.5),
            ("0.1", 0.1),
            ("123456789012345678", 123_456_789_012_345_678.0),
            ("1.7976931348623157e308", f64::MAX),
            ("5e-324", 5e-324),
            ("1e400", f64::INFINITY),
        ] {
            let got = float(text).unwrap_or_else(|| panic!("{text:?} refused"));
            assert_eq!(got.to_bits(), want.to_bits(), "{text:?}");
        }
        // `-0` is the integer 0, so `0.0`; `-0.0` keeps its sign.
        assert_eq!(float("-0").map(f64::to_bits), Some(0.0f64.to_bits()));
        assert_eq!(float("-0.0").map(f64::to_bits), Some((-0.0f64).to_bits()));
        for text in [
            "", "-", ".5", "5.", "01.5", "1e", "1e+", "--1", "1.e3", "nan", "inf",
        ] {
            assert_eq!(float(text), None, "{text:?}");
        }
        // Past 18 integer digits msgspec's own reading decides.
        assert_eq!(float("1234567890123456789"), None);
    }

    #[test]
    fn strings_with_and_without_escapes() {
        let s = |t: &str, want: &str, ascii: bool| {
            assert_eq!(string(t), Some((want.to_owned(), ascii)), "{t:?}");
        };
        s(r#""""#, "", true);
        s(r#""hello""#, "hello", true);
        s(
            r#""a longer string, past one word""#,
            "a longer string, past one word",
            true,
        );
        s("\"h\u{e9}llo w\u{f6}rld\"", "h\u{e9}llo w\u{f6}rld", false);
        s(r#""a\"b\\c\/d""#, "a\"b\\c/d", true);
        s(r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t", true);
        s(r#""caf\u00e9""#, "caf\u{e9}", false);
        s(r#""\u0041\u00419""#, "AA9", true);
        s(r#""\ud83d\ude00!""#, "\u{1f600}!", false);
        s(
            r#""plain text first, then \n an escape""#,
            "plain text first, then \n an escape",
            true,
        );
        for bad in [
            "\"unterminated",
            "\"tab\there\"",
            "\"nul\u{0}\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            "'single'",
            "",
        ] {
            assert_eq!(string(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn whitespace_literals_and_skipping() {
        let mut r = Reader::new(b" \t\r\n true");
        r.ws();
        assert!(r.literal(b"true"));
        assert!(r.at_end());
        let mut r = Reader::new(b"  :");
        assert_eq!(r.eat(b':'), Some(()));
        assert!(r.at_end());
        for ok in [
            "null",
            "false",
            "-1.5e3",
            r#""x""#,
            "[]",
            "{}",
            r#"{"a": [1, 2, {"b": null}], "c": "d"}"#,
            " [ 1 , [ ] , { } ] ",
        ] {
            assert!(skips(ok), "{ok:?}");
        }
        for bad in [
            "",
            "[1,]",
            "[1 2]",
            r#"{"a"}"#,
            r#"{"a":}"#,
            "{1:2}",
            "tru",
            "[",
            "]",
            "01",
        ] {
            assert!(!skips(bad), "{bad:?}");
        }
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(skips(&nested(MAX_DEPTH)));
        assert!(!skips(&nested(MAX_DEPTH + 2)));
    }

    #[test]
    fn quoted_keys_match_only_their_plain_spelling() {
        for key in [
            "a",
            "name",
            "fourteen_chars",
            "a_key_longer_than_sixteen_bytes",
        ] {
            let k = QuotedKey::new(key);
            for tail in ["", "1", " 123456789012345678"] {
                let doc = format!("\"{key}\":{tail}");
                let mut r = Reader::new(doc.as_bytes());
                assert!(r.key(&k), "{doc:?}");
                assert_eq!(r.i, key.len() + 3);
                let other = format!("\"{key}x\":{tail}");
                assert!(!Reader::new(other.as_bytes()).key(&k), "{other:?}");
                let spaced = format!("\"{key}\" :{tail}");
                assert!(!Reader::new(spaced.as_bytes()).key(&k), "{spaced:?}");
            }
            assert!(!Reader::new(format!("\"{key}").as_bytes()).key(&k));
        }
        // A key that needs an escape has no plain spelling to match.
        let k = QuotedKey::new("a\"b");
        assert!(!Reader::new(br#""a"b":1"#).key(&k));
    }

    /// What `crate::json` writes, this reader reads back unchanged.
    #[test]
    fn reads_back_what_json_writes() {
        let mut rng = Rng::from_env("json read-back");
        let seed = rng.seed();
        let chars: Vec<char> = "ab \"\\/\u{0}\u{1f}\u{7f}\u{e9}\u{20ac}\u{1f600}\n\t"
            .chars()
            .collect();
        for _ in 0..5000 {
            let s: String = (0..rng.below(40))
                .map(|_| chars[rng.below(chars.len())])
                .collect();
            let mut out = Vec::new();
            write_str(&mut out, &s);
            let text = String::from_utf8(out).expect("UTF-8");
            assert_eq!(
                string(&text),
                Some((s.clone(), s.is_ascii())),
                "{text:?} (PREBAKE_SEED={seed})"
            );

            #[expect(clippy::cast_possible_wrap, reason = "any bit pattern")]
            let n = (rng.next_u64() >> rng.below(64)) as i64;
            let n = if rng.below(2) == 0 {
                n
            } else {
                n.wrapping_neg()
            };
            let mut out = Vec::new();
            write_i64(&mut out, n);
            let text = String::from_utf8(out).expect("ASCII");
            assert_eq!(int(&text), Some(n), "{text} (PREBAKE_SEED={seed})");

            let x = f64::from_bits(rng.next_u64());
            if x.is_finite() {
                let mut out = Vec::new();
                write_f64(&mut out, x);
                let text = String::from_utf8(out).expect("ASCII");
                if let Some(y) = float(&text) {
                    assert_eq!(y.to_bits(), x.to_bits(), "{text} (PREBAKE_SEED={seed})");
                }
            }
        }
    }

    /// Random bytes never panic the reader, which never reads past the
    /// end; a value it skips whole, it skips again on its own.
    #[test]
    fn fuzz_never_panics() {
        let mut rng = Rng::from_env("json parse fuzz");
        let seed = rng.seed();
        let alphabet = b"{}[]:,\"\\ntrufalse0123456789-+.eE \t\n/u\xc3\xa9\x01";
        for _ in 0..20_000 {
            let doc: Vec<u8> = (0..rng.below(24))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let mut r = Reader::new(&doc);
            r.ws();
            let start = r.i;
            let skipped = r.skip(0);
            assert!(r.i <= doc.len(), "{doc:?} (PREBAKE_SEED={seed})");
            if skipped.is_some() {
                let mut again = Reader::new(&doc[start..r.i]);
                assert!(again.skip(0).is_some() && again.at_end(), "{doc:?}");
            }
            for read in [0, 1, 2] {
                let mut r = Reader::new(&doc);
                let _ = match read {
                    0 => r.int().map(|_| ()),
                    1 => r.float().map(|_| ()),
                    _ => r.string_view().map(|_| ()),
                };
                assert!(r.i <= doc.len(), "{doc:?} (PREBAKE_SEED={seed})");
            }
        }
    }
}
