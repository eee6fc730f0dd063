//! Reading request parts the way the handler's parameters need them.
//!
//! Nothing here allocates unless it must: percent-decoding and query
//! splitting borrow from the request when there is nothing to decode.
//! Decoding follows Python's `urllib.parse`: a malformed `%` escape stays
//! as written, and bytes that are not UTF-8 become U+FFFD.

use std::borrow::Cow;

use hyper::HeaderMap;
use hyper::body::Bytes;

use crate::router::Captures;

/// One request, as the decode step sees it.
pub(crate) struct Req<'a> {
    /// The method as sent, for `Request.method` and messages.
    pub(crate) method_str: &'a str,
    /// The raw path, without the query string.
    pub(crate) path: &'a str,
    /// The raw query string, without `?` (empty when absent).
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) captures: &'a Captures,
}

impl Req<'_> {
    /// The request target as sent (`/items?limit=5`), for error details.
    pub(crate) fn target(&self) -> Cow<'_, str> {
        if self.query.is_empty() {
            Cow::Borrowed(self.path)
        } else {
            Cow::Owned(format!("{}?{}", self.path, self.query))
        }
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

/// The last value of query parameter `name` (a repeated scalar keeps its last value).
pub(crate) fn query_last<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let mut pairs = QueryPairs::new(query);
    let mut found = None;
    while let Some((k, v)) = pairs.next_raw() {
        if name_is(k, name) {
            found = Some(v);
        }
    }
    found.map(query_decode)
}

/// Every value of query parameter `name`, in order.
pub(crate) fn query_all<'a>(
    query: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
    let mut pairs = QueryPairs::new(query);
    std::iter::from_fn(move || pairs.next_raw())
        .filter(move |&(k, _)| name_is(k, name))
        .map(|(_, v)| query_decode(v))
}

/// The first value of header `name` (lowercase), as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// Every value of header `name` (lowercase), in order.
pub(crate) fn header_all<'a>(
    headers: &'a HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
    headers
        .get_all(name)
        .into_iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// Every `(name, value)` cookie pair of every `Cookie` header, in order.
///
/// Pairs split on `;`, names and values trimmed, one pair of surrounding
/// double quotes removed; pieces without `=` or with an empty name are
/// skipped (the same rules as `prebake.Request.cookies`).
fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(hyper::header::COOKIE)
        .into_iter()
        .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|piece| {
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

/// The value of cookie `name`; the last one wins.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    cookie_pairs(headers)
        .filter(|&(k, _)| k == name)
        .last()
        .map(|(_, v)| Cow::Borrowed(v))
}

/// Every value of cookie `name`, in order.
pub(crate) fn cookie_all<'a>(
    headers: &'a HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
    cookie_pairs(headers)
        .filter(move |&(k, _)| k == name)
        .map(|(_, v)| Cow::Borrowed(v))
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

    #[test]
    fn cookies_like_request_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            "cookie",
            HeaderValue::from_static("a=1; session=\"abc\"; junk; =x"),
        );
        h.append("cookie", HeaderValue::from_static("b = 2 ;a=3"));
        assert_eq!(cookie(&h, "session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "a").as_deref(), Some("3"));
        assert_eq!(cookie(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&h, "junk"), None);
        let all: Vec<_> = cookie_all(&h, "a").collect();
        assert_eq!(all, ["1", "3"]);
        let all: Vec<_> = header_all(&h, "cookie").collect();
        assert_eq!(all.len(), 2);
        assert_eq!(
            header(&h, "cookie").as_deref(),
            Some("a=1; session=\"abc\"; junk; =x")
        );
    }
}
