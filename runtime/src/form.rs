//! Form bodies: `application/x-www-form-urlencoded` and
//! `multipart/form-data`, parsed byte by byte in Rust over the body the
//! server already read (within `--max-body-size`).
//!
//! Only routes with `Form()` or `File()` parameters parse a form, and they
//! parse it once, before their decoder reads any field; the fields borrow
//! the body (a text field is copied only when it needs percent-decoding or
//! is not UTF-8). The limits and messages are Starlette's
//! (`max_files=1000`, `max_fields=1000`, 1 MiB for a part that is not a
//! file), and anything malformed is a 400 in the error shape of
//! docs/semantics.md, never a panic: `fuzz.rs` and the tests feed it
//! generated garbage.

use std::borrow::Cow;

use memchr::memmem;

use crate::request::query_decode;

/// Starlette's `max_files`: more file parts than this is a 400.
pub(crate) const MAX_FILES: usize = 1000;
/// Starlette's `max_fields`: more non-file parts (or urlencoded pairs) is a 400.
pub(crate) const MAX_FIELDS: usize = 1000;
/// Starlette's `max_part_size`: a non-file part larger than this is a 400.
pub(crate) const MAX_PART_SIZE: usize = 1024 * 1024;

/// What a form route's `Content-Type` says the body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// `application/x-www-form-urlencoded` (or no `Content-Type` at all).
    UrlEncoded,
    /// `multipart/form-data` and its boundary (`None`: the parameter is missing).
    Multipart(Option<Cow<'a, [u8]>>),
}

/// The form kind of a `Content-Type` value; `None` when it is neither form
/// type (the route answers 415).
pub(crate) fn kind(content_type: Option<&[u8]>) -> Option<Kind<'_>> {
    let Some(value) = content_type else {
        return Some(Kind::UrlEncoded);
    };
    let (essence, params) = match value.iter().position(|&b| b == b';') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, &b""[..]),
    };
    let essence = trim(essence);
    if essence.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        return Some(Kind::UrlEncoded);
    }
    if !essence.eq_ignore_ascii_case(b"multipart/form-data") {
        return None;
    }
    let boundary = options(params)
        .find(|(k, _)| k.eq_ignore_ascii_case(b"boundary"))
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    Some(Kind::Multipart(boundary))
}

/// One entry of a form, in body order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The field's name.
    pub(crate) name: Cow<'a, str>,
    /// Its text, or the uploaded file.
    pub(crate) value: Value<'a>,
}

/// A form value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A text field.
    Text(Cow<'a, str>),
    /// A part with a `filename` (possibly empty).
    File(FilePart<'a>),
}

/// A part's header: its lowercased name and its value.
pub(crate) type PartHeader<'a> = (Cow<'a, str>, Cow<'a, str>);

/// A `key=value` parameter of a header (`name="file"`), unquoted.
type HeaderOption<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// An uploaded file, still in the body's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePart<'a> {
    /// The `filename` of its `Content-Disposition`.
    pub(crate) filename: Cow<'a, str>,
    /// The part's headers, names lowercased, in order.
    pub(crate) headers: Vec<PartHeader<'a>>,
    /// Its content.
    pub(crate) data: &'a [u8],
}

/// Why a form body was refused: the 400's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) Cow<'static, str>);

fn malformed(detail: &'static str) -> Malformed {
    Malformed(Cow::Borrowed(detail))
}

/// Parses a whole form body.
pub(crate) fn parse<'a>(kind: &Kind<'_>, body: &'a [u8]) -> Result<Vec<Field<'a>>, Malformed> {
    match kind {
        Kind::UrlEncoded => urlencoded(body),
        Kind::Multipart(None) => Err(malformed("Missing boundary in multipart.")),
        Kind::Multipart(Some(boundary)) => multipart(body, boundary),
    }
}

/// `application/x-www-form-urlencoded`, as Starlette reads it: pairs split
/// on `&` (empty pieces skipped), `+` is a space, percent escapes decoded
/// as UTF-8 (a malformed one stays as written), a piece without `=` has an
/// empty value.
fn urlencoded(body: &[u8]) -> Result<Vec<Field<'_>>, Malformed> {
    let mut out = Vec::new();
    for piece in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        if out.len() == MAX_FIELDS {
            return Err(too_many_fields());
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        out.push(Field {
            name: decode_component(name),
            value: Value::Text(decode_component(value)),
        });
    }
    Ok(out)
}

fn decode_component(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => query_decode(s),
        // Bytes that are not UTF-8 as sent: decoded as Starlette does
        // (latin-1), then unescaped.
        Err(_) => {
            let latin: String = raw.iter().map(|&b| char::from(b)).collect();
            Cow::Owned(query_decode(&latin).into_owned())
        }
    }
}

fn too_many_fields() -> Malformed {
    Malformed(Cow::Owned(format!(
        "Too many fields. Maximum number of fields is {MAX_FIELDS}."
    )))
}

/// `multipart/form-data` (RFC 7578) over the whole body: a preamble, parts
/// each with headers and content, the closing delimiter, an epilogue.
fn multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<Field<'a>>, Malformed> {
    if boundary.len() > 200 {
        return Err(malformed("The multipart boundary is too long."));
    }
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"\r\n--");
    delimiter.extend_from_slice(boundary);
    // The first delimiter may start the body (no CRLF before it).
    let first = &delimiter[2..];
    let mut at = if body.starts_with(first) {
        first.len()
    } else {
        match memmem::find(body, &delimiter) {
            Some(i) => i + delimiter.len(),
            None => return Err(malformed("The multipart body has no boundary.")),
        }
    };
    let finder = memmem::Finder::new(&delimiter);
    let (mut files, mut fields) = (0usize, 0usize);
    let mut out = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            // The closing delimiter; the epilogue is ignored.
            return Ok(out);
        }
        // Transport padding, then the line break ending the delimiter line.
        let pad = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let rest = &rest[pad..];
        let Some(after) = rest.strip_prefix(b"\r\n") else {
            return Err(malformed("The multipart body is truncated or malformed."));
        };
        at += pad + 2;
        let head_len = if after.starts_with(b"\r\n") {
            Some(0)
        } else {
            memmem::find(after, b"\r\n\r\n").map(|i| i + 2)
        };
        let Some(head_len) = head_len else {
            return Err(malformed("The multipart part headers are malformed."));
        };
        let head = &after[..head_len];
        at += head_len + 2;
        // The part's headers are checked before its end is looked for, so
        // a part without a name is refused as such, as Starlette does.
        let headers = part_headers(head)?;
        let disposition = headers
            .iter()
            .find(|(n, _)| n == "content-disposition")
            .map(|(_, v)| v.as_bytes());
        let opts: Vec<HeaderOption<'_>> = disposition
            .map(|d| {
                let params = d
                    .iter()
                    .position(|&b| b == b';')
                    .map_or(&b""[..], |i| &d[i + 1..]);
                options(params).map(|(k, v)| (k.into(), v)).collect()
            })
            .unwrap_or_default();
        let option = |key: &[u8]| {
            opts.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        let Some(name) = option(b"name") else {
            return Err(malformed(
                "The Content-Disposition header field \"name\" must be provided.",
            ));
        };
        let name = Cow::Owned(user_text(&name).into_owned());
        let Some(end) = finder.find(&body[at..]) else {
            return Err(malformed("The multipart body is truncated or malformed."));
        };
        let data = &body[at..at + end];
        at += end + delimiter.len();
        // RFC 7578 4.2 / RFC 5987: `filename*=UTF-8''%E6%96%87.txt` wins
        // over a plain `filename` (as Python's email parser reads it).
        let filename = option(b"filename*")
            .and_then(|v| extended_value(&v))
            .map(Cow::Owned)
            .or_else(|| option(b"filename").map(|f| Cow::Owned(user_text(&f).into_owned())));
        let value = match filename {
            Some(filename) => {
                files += 1;
                if files > MAX_FILES {
                    return Err(Malformed(Cow::Owned(format!(
                        "Too many files. Maximum number of files is {MAX_FILES}."
                    ))));
                }
                Value::File(FilePart {
                    filename,
                    headers,
                    data,
                })
            }
            None => {
                fields += 1;
                if fields > MAX_FIELDS {
                    return Err(too_many_fields());
                }
                if data.len() > MAX_PART_SIZE {
                    return Err(Malformed(Cow::Owned(format!(
                        "Part exceeded maximum size of {}KB.",
                        MAX_PART_SIZE / 1024
                    ))));
                }
                Value::Text(user_text(data))
            }
        };
        out.push(Field { name, value });
    }
}

/// An RFC 5987 extended value (`UTF-8'en'%E2%82%AC`): the charset (UTF-8
/// or ISO-8859-1), an ignored language, and percent-encoded bytes; `None`
/// when it is not one.
fn extended_value(raw: &[u8]) -> Option<String> {
    let mut parts = raw.splitn(3, |&b| b == b'\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        if encoded[i] == b'%'
            && let Some(h) = encoded.get(i + 1..i + 3)
            && let Ok(h) = std::str::from_utf8(h)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            bytes.push(b);
            i += 3;
        } else {
            bytes.push(encoded[i]);
            i += 1;
        }
    }
    if charset.eq_ignore_ascii_case(b"utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case(b"iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}

/// Text as Starlette decodes a part: UTF-8, else latin-1.
fn user_text(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(raw.iter().map(|&b| char::from(b)).collect()),
    }
}

/// The header lines of one part (each ending in CRLF), names lowercased.
fn part_headers(head: &[u8]) -> Result<Vec<PartHeader<'_>>, Malformed> {
    let mut out = Vec::new();
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(malformed("The multipart part headers are malformed."));
        };
        let name = trim(&line[..colon]);
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
            return Err(malformed("The multipart part headers are malformed."));
        }
        let name = match user_text(name) {
            Cow::Borrowed(s) if !s.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(s),
            other => Cow::Owned(other.to_ascii_lowercase()),
        };
        out.push((name, user_text(trim(&line[colon + 1..]))));
    }
    Ok(out)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// The `key=value` parameters after a header's first `;` (a value may be a
/// quoted string with `\` escapes); keys as written, values unquoted.
fn options(params: &[u8]) -> impl Iterator<Item = (&[u8], Cow<'_, [u8]>)> {
    let mut rest = params;
    std::iter::from_fn(move || {
        loop {
            rest = trim_start(rest);
            if rest.is_empty() {
                return None;
            }
            let key_end = rest
                .iter()
                .position(|&b| b == b'=' || b == b';')
                .unwrap_or(rest.len());
            let key = trim(&rest[..key_end]);
            if rest.get(key_end) != Some(&b'=') {
                // A bare token (`form-data;` stray pieces): no value.
                rest = rest.get(key_end + 1..).unwrap_or(&[]);
                if key.is_empty() {
                    continue;
                }
                return Some((key, Cow::Borrowed(&b""[..])));
            }
            let value = trim_start(&rest[key_end + 1..]);
            if value.first() == Some(&b'"') {
                let mut out = Vec::new();
                let mut i = 1;
                let mut closed = false;
                while i < value.len() {
                    match value[i] {
                        b'\\' if i + 1 < value.len() => {
                            out.push(value[i + 1]);
                            i += 2;
                        }
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b => {
                            out.push(b);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return None;
                }
                let after = &value[i..];
                rest = match after.iter().position(|&b| b == b';') {
                    Some(j) => &after[j + 1..],
                    None => &[],
                };
                let v = if value[1..].contains(&b'\\') {
                    Cow::Owned(out)
                } else {
                    Cow::Borrowed(&value[1..1 + out.len()])
                };
                return Some((key, v));
            }
            let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
            let v = trim(&value[..end]);
            rest = value.get(end + 1..).unwrap_or(&[]);
            return Some((key, Cow::Borrowed(v)));
        }
    })
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(fields: &'a [Field<'a>]) -> Vec<(&'a str, &'a str)> {
        fields
            .iter()
            .map(|f| match &f.value {
                Value::Text(t) => (f.name.as_ref(), t.as_ref()),
                Value::File(p) => (f.name.as_ref(), p.filename.as_ref()),
            })
            .collect()
    }

    #[test]
    fn content_types() {
        assert_eq!(kind(None), Some(Kind::UrlEncoded));
        assert_eq!(
            kind(Some(b"application/x-www-form-urlencoded; charset=utf-8")),
            Some(Kind::UrlEncoded)
        );
        assert_eq!(kind(Some(b"application/json")), None);
        assert_eq!(
            kind(Some(b"multipart/form-data; boundary=\"a b\"")),
            Some(Kind::Multipart(Some(Cow::Borrowed(&b"a b"[..]))))
        );
        assert_eq!(
            kind(Some(b"Multipart/Form-Data;charset=utf-8;Boundary=xyz")),
            Some(Kind::Multipart(Some(Cow::Borrowed(&b"xyz"[..]))))
        );
        assert_eq!(
            kind(Some(b"multipart/form-data")),
            Some(Kind::Multipart(None))
        );
    }

    #[test]
    fn urlencoded_as_starlette() {
        let f = urlencoded(b"a=1&b=x+y%21&&c&a=%zz&%E2%82%AC=%FF").unwrap();
        assert_eq!(
            texts(&f),
            [
                ("a", "1"),
                ("b", "x y!"),
                ("c", ""),
                ("a", "%zz"),
                ("€", "\u{fffd}")
            ]
        );
        let many = "a=1&".repeat(MAX_FIELDS + 1);
        assert!(urlencoded(many.as_bytes()).is_err());
    }

    #[test]
    fn multipart_parts() {
        let body = b"preamble\r\n--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a \\\"q\\\".txt\"\r\nContent-Type: text/plain\r\nX-Custom: 1\r\n\r\nline1\r\nline2\r\n--XX--\r\nepilogue";
        let f = multipart(body, b"XX").unwrap();
        assert_eq!(texts(&f), [("a", "hello"), ("f", "a \"q\".txt")]);
        let Value::File(p) = &f[1].value else {
            panic!()
        };
        assert_eq!(p.data, b"line1\r\nline2");
        assert_eq!(
            p.headers[1],
            (Cow::Borrowed("content-type"), Cow::Borrowed("text/plain"))
        );
        assert_eq!(p.headers[2].0, "x-custom");
        // RFC 5987 `filename*` wins over `filename`.
        let ext = b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"plain.txt\"; filename*=UTF-8''%E6%96%87%20x.txt\r\n\r\nv\r\n--XX--";
        let f = multipart(ext, b"XX").unwrap();
        assert_eq!(texts(&f), [("f", "文 x.txt")]);
        let latin = b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename*=iso-8859-1'en'caf%E9.txt\r\n\r\nv\r\n--XX--";
        assert_eq!(
            texts(&multipart(latin, b"XX").unwrap()),
            [("f", "café.txt")]
        );
        // No parts at all.
        assert_eq!(multipart(b"--XX--\r\n", b"XX").unwrap(), vec![]);
    }

    #[test]
    fn multipart_refusals() {
        let ok = b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--";
        for cut in 0..ok.len() - 2 {
            assert!(multipart(&ok[..cut], b"XX").is_err(), "cut at {cut}");
        }
        assert!(
            multipart(
                b"--XX\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XX--",
                b"XX"
            )
            .is_err()
        );
        assert!(multipart(b"--XX\r\nno colon here\r\n\r\nv\r\n--XX--", b"XX").is_err());
        // A part without a name is refused as such even when the body is
        // also cut short (Starlette's test_missing_name_parameter...).
        assert_eq!(
            multipart(
                b"--XX\r\nContent-Disposition: form-data; =\"field0\"\r\n\r\nvalue0\r\n",
                b"XX"
            )
            .unwrap_err()
            .0,
            "The Content-Disposition header field \"name\" must be provided."
        );
        assert!(multipart(b"nothing", b"XX").is_err());
        let big = [
            &b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"[..],
            &vec![b'x'; MAX_PART_SIZE + 1],
            b"\r\n--XX--",
        ]
        .concat();
        assert_eq!(
            multipart(&big, b"XX").unwrap_err().0,
            "Part exceeded maximum size of 1024KB."
        );
        let part =
            b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nv\r\n";
        let many = [part.repeat(MAX_FILES + 1), b"--XX--".to_vec()].concat();
        assert_eq!(
            multipart(&many, b"XX").unwrap_err().0,
            "Too many files. Maximum number of files is 1000."
        );
    }
}
