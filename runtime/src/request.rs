//! Reading request parts the way the handler's parameters need them.
//!
//! Nothing here allocates unless it must: percent-decoding and query
//! splitting borrow from the request when there is nothing to decode.
//!
//! Two flavours of decoding. The public [`percent_decode`] and
//! [`query_decode`] follow Python's `urllib.parse`: a malformed `%` escape
//! stays as written, and bytes that are not UTF-8 become U+FFFD. What a
//! handler's parameters receive goes through [`Req`]'s checked decoding
//! instead: a malformed escape or a value that is not UTF-8 (after
//! percent-decoding, or raw in a header) marks the request bad, and the
//! client gets a 400 naming the parameter rather than a silently altered
//! value.

use std::borrow::Cow;
use std::cell::Cell;

use hyper::HeaderMap;
use hyper::body::Bytes;

use crate::router::Captures;
use crate::validate::{Rejection, Source};

/// One request, as the decode step sees it.
pub(crate) struct Req<'a> {
    /// The method as sent, for `Request.method` and messages.
    pub(crate) method_str: &'a str,
    /// The raw path, without the query string.
    pub(crate) path: &'a str,
    /// The raw query string, without `?` (empty when absent).
    pub(crate) query: &'a str,
    /// The request target as sent (`/items?limit=5`, `/items?`), for
    /// error details.
    pub(crate) target: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) captures: &'a Captures,
    /// The first undecodable parameter a decoder read, if any.
    pub(crate) bad: Cell<Option<Bad>>,
}

/// A parameter whose raw text cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    source: Source,
    key: String,
    message: &'static str,
}

/// Why text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadEncoding {
    /// `%` not followed by two hex digits.
    Escape,
    /// The bytes are not UTF-8.
    Utf8,
}

impl BadEncoding {
    fn message(self) -> &'static str {
        match self {
            BadEncoding::Escape => "Malformed percent-encoding",
            BadEncoding::Utf8 => "Invalid UTF-8",
        }
    }
}

impl<'a> Req<'a> {
    /// Records the first undecodable parameter.
    #[cold]
    fn flag(&self, source: Source, key: &str, message: &'static str) {
        let current = self.bad.take();
        self.bad.set(current.or_else(|| {
            Some(Bad {
                source,
                key: key.to_owned(),
                message,
            })
        }));
    }

    /// The 400 for an undecodable parameter, if a decoder read one.
    pub(crate) fn take_bad(&self) -> Option<Rejection> {
        let bad = self.bad.take()?;
        Some(Rejection::validation(
            bad.source,
            bad.key.into(),
            bad.message,
        ))
    }

    /// A path capture, percent-decoded (`+` stays `+`).
    #[inline]
    pub(crate) fn path_text(&self, raw: &'a str, key: &str) -> Cow<'a, str> {
        match decode_checked(raw, false) {
            Ok(v) => v,
            Err(e) => {
                self.flag(Source::Path, key, e.message());
                percent_decode(raw)
            }
        }
    }

    /// A query value, percent-decoded (`+` is a space).
    #[inline]
    pub(crate) fn query_text(&self, raw: &'a str, key: &str) -> Cow<'a, str> {
        match decode_checked(raw, true) {
            Ok(v) => v,
            Err(e) => {
                self.flag(Source::Query, key, e.message());
                query_decode(raw)
            }
        }
    }

    /// Header or cookie bytes as text.
    #[inline]
    pub(crate) fn text(&self, raw: &'a [u8], source: Source, key: &str) -> Cow<'a, str> {
        match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.flag(source, key, BadEncoding::Utf8.message());
                String::from_utf8_lossy(raw)
            }
        }
    }

    /// The `Cookie` header lines that are text; flags the cookie `key` when
    /// one is not.
    pub(crate) fn cookie_lines(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + use<'a> {
        let headers: &'a HeaderMap = self.headers;
        let bad: &'a Cell<Option<Bad>> = &self.bad;
        headers
            .get_all(hyper::header::COOKIE)
            .into_iter()
            .filter_map(move |line| match std::str::from_utf8(line.as_bytes()) {
                Ok(s) => Some(s),
                Err(_) => {
                    let current = bad.take();
                    bad.set(current.or_else(|| {
                        Some(Bad {
                            source: Source::Cookie,
                            key: key.to_owned(),
                            message: BadEncoding::Utf8.message(),
                        })
                    }));
                    None
                }
            })
    }

    /// The request target as sent (`/items?limit=5`), for error details.
    pub(crate) fn target(&self) -> &str {
        self.target
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &str, plus_is_space: bool) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let needs = bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'));
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// As [`decode`], but a malformed escape or a result that is not UTF-8
/// is an error.
#[inline]
pub(crate) fn decode_checked(s: &str, plus_is_space: bool) -> Result<Cow<'_, str>, BadEncoding> {
    let needs = s
        .as_bytes()
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'));
    if !needs {
        return Ok(Cow::Borrowed(s));
    }
    decode_escaped(s, plus_is_space)
}

/// [`decode_checked`] for text with an escape (or a `+` in a query).
#[inline(never)]
fn decode_escaped(s: &str, plus_is_space: bool) -> Result<Cow<'_, str>, BadEncoding> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return Err(BadEncoding::Escape);
            };
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| BadEncoding::Utf8)
}

/// Percent-decodes a path segment (`+` stays `+`).
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    decode(s, false)
}

/// Percent-decodes a query string component (`+` is a space).
pub fn query_decode(s: &str) -> Cow<'_, str> {
    decode(s, true)
}

/// The `(name, value)` pairs of a query string, decoded, in order.
///
/// As `urllib.parse.parse_qsl(qs, keep_blank_values=True)`: pairs split on
/// `&`, empty pieces skipped, a piece without `=` has an empty value.
pub struct QueryPairs<'a> {
    rest: &'a str,
}

impl<'a> QueryPairs<'a> {
    /// Iterates the pairs of `query` (without the `?`).
    pub fn new(query: &'a str) -> QueryPairs<'a> {
        QueryPairs { rest: query }
    }

    /// The next pair, still encoded.
    fn next_raw(&mut self) -> Option<(&'a str, &'a str)> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (piece, rest) = self.rest.split_once('&').unwrap_or((self.rest, ""));
            self.rest = rest;
            if piece.is_empty() {
                continue;
            }
            return Some(piece.split_once('=').unwrap_or((piece, "")));
        }
    }
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let (k, v) = self.next_raw()?;
        Some((query_decode(k), query_decode(v)))
    }
}

/// Whether the encoded query name `raw` decodes to `name`.
fn name_is(raw: &str, name: &str) -> bool {
    if raw.len() == name.len() && !raw.contains(['%', '+']) {
        return raw == name;
    }
    query_decode(raw) == name
}

/// The last raw (still encoded) value of query parameter `name` (a
/// repeated scalar keeps its last value).
pub(crate) fn query_last_raw<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    let mut pairs = QueryPairs::new(query);
    let mut found = None;
    while let Some((k, v)) = pairs.next_raw() {
        if name_is(k, name) {
            found = Some(v);
        }
    }
    found
}

/// The last value of query parameter `name`, decoded.
#[cfg(test)]
pub(crate) fn query_last<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    query_last_raw(query, name).map(query_decode)
}

/// Every raw (still encoded) value of query parameter `name`, in order.
pub(crate) fn query_all_raw<'a>(
    query: &'a str,
    name: &'a str,
) -> impl Iterator<Item = &'a str> + use<'a> {
    let mut pairs = QueryPairs::new(query);
    std::iter::from_fn(move || pairs.next_raw())
        .filter(move |&(k, _)| name_is(k, name))
        .map(|(_, v)| v)
}

/// Every value of query parameter `name`, decoded, in order.
#[cfg(test)]
pub(crate) fn query_all<'a>(
    query: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
    query_all_raw(query, name).map(query_decode)
}

impl<'a> Req<'a> {
    /// The first value of header `name` (lowercase), as text.
    #[inline]
    pub(crate) fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        let headers: &'a HeaderMap = self.headers;
        let v = headers.get(name)?;
        Some(self.text(v.as_bytes(), Source::Header, name))
    }

    /// Every value of header `name` (lowercase), in order, as text.
    pub(crate) fn header_all(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
        let headers: &'a HeaderMap = self.headers;
        headers
            .get_all(name)
            .into_iter()
            .map(move |v| self.text(v.as_bytes(), Source::Header, name))
    }

    /// The value of cookie `name`; the last one wins.
    pub(crate) fn cookie(&self, name: &str) -> Option<Cow<'a, str>> {
        let headers: &'a HeaderMap = self.headers;
        let mut found = None;
        for line in headers.get_all(hyper::header::COOKIE) {
            let Ok(line) = std::str::from_utf8(line.as_bytes()) else {
                self.flag(Source::Cookie, name, BadEncoding::Utf8.message());
                continue;
            };
            if let Some((_, v)) = cookie_line_pairs(line).filter(|&(k, _)| k == name).last() {
                found = Some(v);
            }
        }
        found.map(Cow::Borrowed)
    }

    /// Every value of cookie `name`, in order.
    pub(crate) fn cookie_all(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
        self.cookie_lines(name)
            .flat_map(cookie_line_pairs)
            .filter(move |&(k, _)| k == name)
            .map(|(_, v)| Cow::Borrowed(v))
    }
}

/// The `(name, value)` pairs of one `Cookie` header line, in order.
///
/// Pairs split on `;`, names and values trimmed, one pair of surrounding
/// double quotes removed; pieces without `=` or with an empty name are
/// skipped (the same rules as `prebake.Request.cookies`).
pub(crate) fn cookie_line_pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    line.split(';').filter_map(|piece| {
        let (k, v) = piece.split_once('=')?;
        let k = k.trim();
        if k.is_empty() {
            return None;
        }
        let v = v.trim();
        let v = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
            &v[1..v.len() - 1]
        } else {
            v
        };
        Some((k, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("plain"), "plain");
        assert!(matches!(percent_decode("plain"), Cow::Borrowed(_)));
        assert_eq!(percent_decode("a%20b+c"), "a b+c");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("%2Fslash"), "/slash");
        assert_eq!(percent_decode("bad%zz%4"), "bad%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert_eq!(query_decode("a+b%2B"), "a b+");
    }

    #[test]
    fn query_pairs_like_parse_qsl() {
        let pairs: Vec<(String, String)> = QueryPairs::new("a=1&&b=&c&d=x%3Dy&e+f=g+h&a=2")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let want = [
            ("a", "1"),
            ("b", ""),
            ("c", ""),
            ("d", "x=y"),
            ("e f", "g h"),
            ("a", "2"),
        ];
        assert_eq!(pairs.len(), want.len());
        for ((k, v), (wk, wv)) in pairs.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
        assert_eq!(query_last("a=1&b=2&a=3", "a").as_deref(), Some("3"));
        assert_eq!(query_last("a=1", "b"), None);
        assert_eq!(query_last("x%5F=1", "x_").as_deref(), Some("1"));
        let all: Vec<_> = query_all("t=a&u=1&t=b+c", "t").collect();
        assert_eq!(all, ["a", "b c"]);
    }

    /// A request with these headers and nothing else.
    pub(crate) fn with_headers<R>(h: &HeaderMap, query: &str, f: impl FnOnce(&Req<'_>) -> R) -> R {
        let body = Bytes::new();
        let captures = Captures::new();
        let target = format!("/?{query}");
        let req = Req {
            method_str: "GET",
            path: "/",
            query,
            target: &target,
            headers: h,
            body: &body,
            captures: &captures,
            bad: Cell::new(None),
        };
        f(&req)
    }

    #[test]
    fn cookies_like_request_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            "cookie",
            HeaderValue::from_static("a=1; session=\"abc\"; junk; =x"),
        );
        h.append("cookie", HeaderValue::from_static("b = 2 ;a=3"));
        with_headers(&h, "", |r| {
            assert_eq!(r.cookie("session").as_deref(), Some("abc"));
            assert_eq!(r.cookie("a").as_deref(), Some("3"));
            assert_eq!(r.cookie("b").as_deref(), Some("2"));
            assert_eq!(r.cookie("junk"), None);
            let all: Vec<_> = r.cookie_all("a").collect();
            assert_eq!(all, ["1", "3"]);
            let all: Vec<_> = r.header_all("cookie").collect();
            assert_eq!(all.len(), 2);
            assert_eq!(
                r.header("cookie").as_deref(),
                Some("a=1; session=\"abc\"; junk; =x")
            );
            assert!(r.take_bad().is_none());
        });
    }

    #[test]
    fn undecodable_parameters_are_flagged() {
        assert_eq!(decode_checked("a%20b", false).as_deref(), Ok("a b"));
        assert_eq!(decode_checked("a+b", true).as_deref(), Ok("a b"));
        assert_eq!(decode_checked("100%", true), Err(BadEncoding::Escape));
        assert_eq!(decode_checked("%zz", false), Err(BadEncoding::Escape));
        assert_eq!(decode_checked("%ff", false), Err(BadEncoding::Utf8));
        let mut h = HeaderMap::new();
        h.append("x-a", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        h.append("cookie", HeaderValue::from_bytes(b"s=\xff").unwrap());
        with_headers(&h, "", |r| {
            assert_eq!(r.header("x-a").as_deref(), Some("caf\u{fffd}"));
            let rej = format!("{:?}", r.take_bad().unwrap());
            assert!(rej.contains("Header") && rej.contains("x-a"), "{rej}");
            assert_eq!(r.cookie("s"), None);
            let rej = format!("{:?}", r.take_bad().unwrap());
            assert!(
                rej.contains("Cookie") && rej.contains("Invalid UTF-8"),
                "{rej}"
            );
            // The first bad parameter is the one reported.
            assert_eq!(r.query_text("%zz", "q"), "%zz");
            assert_eq!(r.path_text("%ff", "id"), "\u{fffd}");
            let rej = format!("{:?}", r.take_bad().unwrap());
            assert!(rej.contains("Malformed percent-encoding"), "{rej}");
            assert!(r.take_bad().is_none());
        });
    }
}
