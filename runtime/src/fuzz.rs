//! An in-process fuzz harness for what parses client input: percent- and
//! query-decoding, query pairs, cookies, header text, the lax scalar
//! converters, the JSON depth check and the multipart parser. (The generated routers are fuzzed
//! against the compiler's reference matcher in `tests/fuzz_router.rs`.)
//!
//! Each target takes random inputs from a seeded generator (biased towards
//! the characters that matter: `%`, `+`, `&`, `=`, `;`, quotes, digits,
//! non-ASCII, invalid UTF-8) and checks it against a reference written the
//! obvious way, or against invariants; the lax converters are also compared
//! with msgspec itself on a sample. `PREBAKE_FUZZ_ITERS` sets the inputs
//! per target (default 20,000: a short run in the test suite), and
//! `PREBAKE_SEED` the seed, which is printed.

use std::borrow::Cow;
use std::cell::Cell;

use hyper::HeaderMap;
use hyper::body::Bytes;
use hyper::header::HeaderValue;

use crate::request::{
    self, BadEncoding, QueryPairs, Req, cookie_line_pairs, decode_checked, percent_decode,
    query_decode,
};
use crate::router::Captures;
use crate::testing::Rng;

fn iterations() -> usize {
    std::env::var("PREBAKE_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

fn rng(target: &str) -> Rng {
    Rng::from_env(&format!("fuzz {target} ({} inputs)", iterations()))
}

/// A random string over an alphabet that exercises the parsers.
fn text(rng: &mut Rng, max: usize) -> String {
    const PIECES: [&str; 28] = [
        "%", "%2", "%20", "%2F", "%C3%A9", "%c3", "%ff", "%zz", "%%", "+", "&", "=", ";", "\"",
        " ", "a", "b", "k", "v", "0", "1", "9", "é", "😀", "\u{fffd}", "-", "_", ".",
    ];
    let n = rng.below(max + 1);
    (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// `urllib.parse.unquote` (or `unquote_plus`): the reference decoder.
fn reference_decode(s: &str, plus: bool) -> (String, Option<BadEncoding>) {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut bad = None;
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(u8::try_from(h * 16 + l).expect("a byte"));
                i += 3;
                continue;
            }
            bad = Some(BadEncoding::Escape);
        }
        out.push(if plus && b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&out).into_owned();
    if bad.is_none() && std::str::from_utf8(&out).is_err() {
        bad = Some(BadEncoding::Utf8);
    }
    (decoded, bad)
}

#[test]
fn fuzz_percent_decoding() {
    let mut rng = rng("percent decoding");
    for _ in 0..iterations() {
        let s = text(&mut rng, 12);
        for plus in [false, true] {
            let (want, bad) = reference_decode(&s, plus);
            let got = if plus {
                query_decode(&s)
            } else {
                percent_decode(&s)
            };
            assert_eq!(got, want, "{s:?} plus={plus}");
            match decode_checked(&s, plus) {
                Ok(v) => {
                    assert_eq!(bad, None, "{s:?}");
                    assert_eq!(v, want, "{s:?}");
                    // Nothing to decode: borrowed, no allocation.
                    if !(s.contains('%') || plus && s.contains('+')) {
                        assert!(matches!(v, Cow::Borrowed(_)), "{s:?}");
                    }
                }
                Err(e) => assert_eq!(Some(e), bad, "{s:?}"),
            }
        }
    }
}

/// `urllib.parse.parse_qsl(qs, keep_blank_values=True)`, undecoded.
fn reference_pairs(q: &str) -> Vec<(&str, &str)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

#[test]
fn fuzz_query_strings() {
    let mut rng = rng("query strings");
    let names = ["a", "b", "k", "a%20b", "a+b"];
    for _ in 0..iterations() {
        let q = text(&mut rng, 16);
        let want = reference_pairs(&q);
        let got: Vec<(Cow<'_, str>, Cow<'_, str>)> = QueryPairs::new(&q).collect();
        assert_eq!(got.len(), want.len(), "{q:?}");
        for ((gk, gv), (wk, wv)) in got.iter().zip(&want) {
            assert_eq!(
                (gk.as_ref(), gv.as_ref()),
                (&*query_decode(wk), &*query_decode(wv))
            );
        }
        for name in names {
            let decoded = query_decode(name);
            let values: Vec<&str> = want
                .iter()
                .filter(|(k, _)| query_decode(k) == decoded)
                .map(|(_, v)| *v)
                .collect();
            let all: Vec<&str> = request::query_all_raw(&q, &decoded).collect();
            assert_eq!(all, values, "{q:?} {name:?}");
            assert_eq!(
                request::query_last_raw(&q, &decoded),
                values.last().copied(),
                "{q:?} {name:?}"
            );
        }
    }
}

/// `prebake.Request.cookies` for one header line, the obvious way.
fn reference_cookies(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in line.split(';') {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        let (k, mut v) = (k.trim(), v.trim());
        if k.is_empty() {
            continue;
        }
        if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
            v = &v[1..v.len() - 1];
        }
        out.push((k.to_owned(), v.to_owned()));
    }
    out
}

/// Random bytes for a header value: mostly text, sometimes not UTF-8.
fn header_bytes(rng: &mut Rng) -> Vec<u8> {
    let mut v = text(rng, 10).into_bytes();
    if rng.below(5) == 0 {
        let at = rng.below(v.len() + 1);
        v.insert(at, [0xff, 0xc3, 0x80, 0xe9][rng.below(4)]);
    }
    // Header values cannot hold control characters (hyper rejects them).
    v.retain(|&b| b >= 0x20 && b != 0x7f);
    v
}

fn with_req<R>(headers: &HeaderMap, query: &str, path: &str, f: impl FnOnce(&Req<'_>) -> R) -> R {
    let body = Bytes::new();
    let mut captures = Captures::new();
    captures.push(0, path.len());
    let target = format!("{path}?{query}");
    let req = Req {
        method_str: "GET",
        path,
        query,
        target: &target,
        headers,
        body: &body,
        captures: &captures,
        bad: Cell::new(None),
    };
    f(&req)
}

#[test]
fn fuzz_headers_and_cookies() {
    let mut rng = rng("headers and cookies");
    for _ in 0..iterations() {
        let mut headers = HeaderMap::new();
        let lines: Vec<Vec<u8>> = (0..1 + rng.below(3))
            .map(|_| header_bytes(&mut rng))
            .collect();
        for line in &lines {
            let value = HeaderValue::from_bytes(line).expect("valid header bytes");
            headers.append("cookie", value.clone());
            headers.append("x-a", value);
        }
        let all_text = lines.iter().all(|l| std::str::from_utf8(l).is_ok());
        with_req(&headers, "", "/", |req| {
            // Header text: verbatim when UTF-8, else flagged.
            let first = req.header("x-a").expect("present");
            assert_eq!(
                first.as_bytes() == lines[0].as_slice(),
                std::str::from_utf8(&lines[0]).is_ok()
            );
            let n = req.header_all("x-a").count();
            assert_eq!(n, lines.len());
            assert_eq!(req.take_bad().is_none(), all_text, "{lines:?}");
            // Cookies: the reference over the text lines, last value wins.
            for name in ["a", "k", "v", "a b"] {
                let want: Vec<String> = lines
                    .iter()
                    .filter_map(|l| std::str::from_utf8(l).ok())
                    .flat_map(reference_cookies)
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v)
                    .collect();
                let got: Vec<String> = req.cookie_all(name).map(Cow::into_owned).collect();
                assert_eq!(got, want, "{lines:?} {name:?}");
                assert_eq!(
                    req.cookie(name).map(Cow::into_owned),
                    want.last().cloned(),
                    "{lines:?}"
                );
                // A cookie read with a non-UTF-8 line present is a 400.
                assert_eq!(req.take_bad().is_none(), all_text, "{lines:?}");
            }
            for line in lines.iter().filter_map(|l| std::str::from_utf8(l).ok()) {
                let got: Vec<(String, String)> = cookie_line_pairs(line)
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                assert_eq!(got, reference_cookies(line), "{line:?}");
            }
        });
    }
}

#[test]
fn fuzz_checked_parameter_reads() {
    let mut rng = rng("parameter reads");
    let headers = HeaderMap::new();
    for _ in 0..iterations() {
        let raw = text(&mut rng, 10);
        let query = format!("k={raw}");
        with_req(&headers, &query, &raw, |req| {
            let (want, bad) = reference_decode(&raw, true);
            let v = req.query_text(&raw, "k");
            assert_eq!(v, want);
            assert_eq!(req.take_bad().is_some(), bad.is_some(), "{raw:?}");
            let (want, bad) = reference_decode(&raw, false);
            assert_eq!(req.path_text(&raw, "p"), want);
            assert_eq!(req.take_bad().is_some(), bad.is_some(), "{raw:?}");
        });
    }
}

/// The nesting depth of JSON text, the slow obvious way.
fn reference_depth(json: &[u8]) -> usize {
    let text = String::from_utf8_lossy(json);
    let mut depth = 0usize;
    let mut max = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[test]
fn fuzz_json_depth_check() {
    let mut rng = rng("JSON depth");
    const PIECES: [&str; 10] = ["[", "]", "{", "}", "\"", "\\", "\\\"", "1", ",", ":"];
    for _ in 0..iterations() {
        let json: String = (0..rng.below(40))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        let depth = reference_depth(json.as_bytes());
        for limit in [1, 2, 3, 5, 8] {
            assert_eq!(
                crate::server::too_deep(json.as_bytes(), limit),
                depth > limit,
                "{json:?} limit {limit}"
            );
        }
    }
}

#[test]
fn fuzz_lax_converters() {
    use crate::lax;
    let mut rng = rng("lax converters");
    let mut sample = Vec::new();
    const PIECES: [&str; 24] = [
        "0", "1", "7", "9", "-", "+", ".", "e", "E", "_", " ", "\t", "n", "a", "i", "f", "inf",
        "nan", "true", "False", "null", "١", "٣", "x",
    ];
    for i in 0..iterations() {
        let s: String = (0..rng.below(8))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        // Never a panic, and the optional forms agree with the plain ones.
        let int = lax::int(&s);
        let float = lax::float(&s);
        let boolean = lax::bool(&s);
        if s != "null" && !s.eq_ignore_ascii_case("none") {
            assert_eq!(
                lax::int_or_none(&s).ok().flatten().is_some(),
                int.is_ok(),
                "{s:?}"
            );
            assert_eq!(
                lax::float_or_none(&s).ok().flatten().is_some(),
                float.is_ok()
            );
            assert_eq!(
                lax::bool_or_none(&s).ok().flatten().is_some(),
                boolean.is_ok()
            );
        }
        if i % 10 == 0 && sample.len() < 2000 {
            sample.push(s);
        }
    }
    // A sample against msgspec itself.
    let mut input = String::new();
    for s in &sample {
        let mut enc = Vec::new();
        crate::json::write_str(&mut enc, s);
        input.push_str(std::str::from_utf8(&enc).expect("JSON text"));
        input.push('\n');
    }
    let script = r#"
import json, sys, msgspec
for line in sys.stdin:
    s = json.loads(line)
    out = []
    for t in (int, float, bool):
        try:
            msgspec.convert(s, t, strict=False)
            out.append("ok")
        except msgspec.ValidationError:
            out.append("err")
    print(" ".join(out))
"#;
    let lines = crate::testing::python_lines(script, &input);
    assert_eq!(lines.len(), sample.len());
    for (s, line) in sample.iter().zip(lines) {
        let ours = [
            lax::int(s).is_ok(),
            lax::float(s).is_ok(),
            lax::bool(s).is_ok(),
        ]
        .map(|ok| if ok { "ok" } else { "err" })
        .join(" ");
        assert_eq!(
            ours, line,
            "msgspec.convert({s:?}, int/float/bool, strict=False)"
        );
    }
}

/// Random form bodies: a multipart body written from random fields and
/// files parses back to exactly them, and any mutation of it parses or is
/// refused, never panics (the server answers a refusal with a 400).
#[test]
fn fuzz_multipart_bodies() {
    use crate::form::{self, Kind, Value};
    let mut rng = rng("multipart bodies");
    let boundary = "----b0und";
    for _ in 0..iterations() / 10 {
        let n = rng.below(4);
        let mut body = Vec::new();
        let mut want = Vec::new();
        for _ in 0..n {
            let name = text(&mut rng, 6).replace(['"', '\\', '\r', '\n'], "_");
            let file = rng.below(2) == 0;
            let data: Vec<u8> = (0..rng.below(40))
                .map(|_| *rng.pick(&[&b'-', &b'\r', &b'\n', &b'a', &0xff_u8, &b'b']))
                .collect();
            // Content never contains the delimiter (a real client picks a
            // boundary that does not occur).
            if data
                .windows(boundary.len())
                .any(|w| w == boundary.as_bytes())
            {
                continue;
            }
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let disposition = if file {
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\nContent-Type: application/octet-stream\r\n"
                )
            } else {
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n")
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(&data);
            body.extend_from_slice(b"\r\n");
            want.push((name, file, data));
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let kind = Kind::Multipart(Some(Cow::Borrowed(boundary.as_bytes())));
        let got = form::parse(&kind, &body).expect("a well-formed body parses");
        assert_eq!(got.len(), want.len());
        for (f, (name, file, data)) in got.iter().zip(&want) {
            assert_eq!(&f.name, name);
            match &f.value {
                Value::File(p) => {
                    assert!(file);
                    assert_eq!(p.data, &data[..]);
                }
                Value::Text(t) => {
                    assert!(!file);
                    // UTF-8, else latin-1, as Starlette decodes a part.
                    let text = match std::str::from_utf8(data) {
                        Ok(s) => s.to_string(),
                        Err(_) => data.iter().map(|&b| char::from(b)).collect(),
                    };
                    assert_eq!(t, &text);
                }
            }
        }
        for _ in 0..4 {
            let mut bad = body.clone();
            for _ in 0..=rng.below(3) {
                let i = rng.below(bad.len());
                match rng.below(3) {
                    0 => {
                        bad.remove(i);
                    }
                    1 => bad.insert(i, *rng.pick(&[&b'-', &b'\r', &b'\n', &b'"', &b';', &b':'])),
                    _ => bad.truncate(i),
                }
                if bad.is_empty() {
                    break;
                }
            }
            let _ = form::parse(&kind, &bad);
        }
    }
}
