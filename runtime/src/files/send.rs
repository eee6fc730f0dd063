//! The response for one opened file: validators, conditional requests and
//! byte ranges, shared by static mounts and `FileResponse`.
//!
//! The headers are Starlette's (`content-type`, `accept-ranges: bytes`,
//! `content-length`, `last-modified`, `etag`). On a `200` answer to `GET`
//! or `HEAD`:
//! - `If-None-Match` (else `If-Modified-Since`) matching the file is a
//!   `304` with the validators and no body;
//! - `Range: bytes=...` is a `206` with `Content-Range` (one range), or a
//!   `multipart/byteranges` body (several ranges, merged where they
//!   overlap as Starlette merges them); `If-Range` not matching the file
//!   sends the whole file; a malformed header is a `400`, a range that
//!   starts past the end a `416` with `Content-Range: bytes */<size>`.
//!
//! The body is read as the connection drains ([`super::body`]).

use std::fs::File;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
};

use super::body::{FileBody, Part};
use super::cache::Entry;
use crate::body::RespBody;
use crate::json;
use crate::response::{self, Resp};

/// A file ready to send: open, or kept in memory.
pub(crate) enum Opened {
    /// An open file, with its size and modification time from `fstat`.
    File {
        file: File,
        len: u64,
        mtime: SystemTime,
    },
    /// A small file kept in memory (`super::cache`).
    Cached(Rc<Entry>),
}

/// How a file is answered.
pub(crate) struct Send<'a> {
    /// The status of a full answer (`200`; `404` for a `404.html`).
    pub(crate) status: StatusCode,
    /// The `Content-Type`.
    pub(crate) content_type: HeaderValue,
    /// The request's headers (conditionals, `Range`).
    pub(crate) request: &'a HeaderMap,
    /// Whether the request is a `HEAD` (headers only).
    pub(crate) head: bool,
    /// A tag that tells this file's encoded variants apart in its `ETag`
    /// (`br`, `gzip`), empty for the file as it is.
    pub(crate) variant: &'static str,
    /// A `FileResponse`'s own headers: an `ETag` or `Last-Modified` there
    /// replaces the file's, in the answer and for the conditionals (as
    /// Starlette's `setdefault`).
    pub(crate) own: Option<&'a HeaderMap>,
}

/// The response for `file`.
pub(crate) fn send(file: Opened, how: &Send<'_>) -> Resp {
    let (size, mtime) = match &file {
        Opened::File { len, mtime, .. } => (*len, *mtime),
        Opened::Cached(e) => (e.bytes.len() as u64, e.mtime),
    };
    let (mut etag, mut last_modified) = match &file {
        Opened::Cached(e) if how.variant.is_empty() => (e.etag.clone(), e.last_modified.clone()),
        Opened::Cached(e) => (tag_value(mtime, size, how.variant), e.last_modified.clone()),
        Opened::File { .. } => (
            tag_value(mtime, size, how.variant),
            HeaderValue::from_str(&httpdate::fmt_http_date(mtime))
                .unwrap_or(HeaderValue::from_static("")),
        ),
    };
    let mut mtime = mtime;
    if let Some(own) = how.own {
        if let Some(tag) = own.get(ETAG) {
            etag = tag.clone();
        }
        if let Some(lm) = own.get(LAST_MODIFIED) {
            last_modified = lm.clone();
            if let Some(t) = lm
                .to_str()
                .ok()
                .and_then(|v| httpdate::parse_http_date(v).ok())
            {
                mtime = t;
            }
        }
    }
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE, how.content_type.clone());
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(LAST_MODIFIED, last_modified.clone());
    headers.insert(ETAG, etag.clone());
    let ok = how.status == StatusCode::OK;
    if ok && not_modified(how.request, etag.as_bytes(), mtime) {
        return not_modified_response(headers);
    }
    let range = how.request.get(RANGE).filter(|_| ok).filter(|_| {
        how.request.get(IF_RANGE).is_none_or(|ir| {
            ir.as_bytes() == etag.as_bytes() || ir.as_bytes() == last_modified.as_bytes()
        })
    });
    let Some(range) = range else {
        let parts = vec![Part::Range {
            start: 0,
            end: size,
        }];
        return finish(how.status, headers, file, parts, how.head);
    };
    match parse_range(range.as_bytes(), size) {
        Err(RangeError::Malformed(detail)) => response::bad_request(detail),
        Err(RangeError::Unsatisfiable) => unsatisfiable(size),
        Ok(None) => {
            let parts = vec![Part::Range {
                start: 0,
                end: size,
            }];
            finish(how.status, headers, file, parts, how.head)
        }
        Ok(Some(ranges)) if ranges.len() == 1 => {
            let (start, end) = ranges[0];
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1)) {
                headers.insert(CONTENT_RANGE, v);
            }
            let parts = vec![Part::Range { start, end }];
            finish(StatusCode::PARTIAL_CONTENT, headers, file, parts, how.head)
        }
        Ok(Some(ranges)) => {
            let boundary = boundary();
            let content_type = String::from_utf8_lossy(how.content_type.as_bytes()).into_owned();
            let mut parts = Vec::with_capacity(ranges.len() * 2 + 1);
            for (i, &(start, end)) in ranges.iter().enumerate() {
                let lead = if i == 0 { "" } else { "\r\n" };
                let head = format!(
                    "{lead}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {start}-{}/{size}\r\n\r\n",
                    end - 1
                );
                parts.push(Part::Bytes(Bytes::from(head)));
                parts.push(Part::Range { start, end });
            }
            // The close delimiter without a line end after it, as Starlette
            // writes it (RFC 2046 allows either).
            parts.push(Part::Bytes(Bytes::from(format!("\r\n--{boundary}--"))));
            if let Ok(v) =
                HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}"))
            {
                headers.insert(CONTENT_TYPE, v);
            }
            finish(StatusCode::PARTIAL_CONTENT, headers, file, parts, how.head)
        }
    }
}

/// The response with `parts` of `file` as its body (none for `HEAD`, the
/// length still said).
fn finish(
    status: StatusCode,
    headers: HeaderMap,
    file: Opened,
    parts: Vec<Part>,
    head: bool,
) -> Resp {
    let len: u64 = parts.iter().map(Part::len).sum();
    let body = if head {
        RespBody::empty()
    } else {
        match file {
            Opened::File { file, .. } => RespBody::File(Box::new(FileBody::new(file, parts))),
            Opened::Cached(e) => RespBody::full(from_memory(&e.bytes, parts)),
        }
    };
    let mut resp = crate::response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

/// The bytes of `parts` of a file kept in memory (no copy for one range).
fn from_memory(bytes: &Bytes, parts: Vec<Part>) -> Bytes {
    let slice = |start: u64, end: u64| bytes.slice(start as usize..end as usize);
    if let [Part::Range { start, end }] = parts[..] {
        return slice(start, end);
    }
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Bytes(b) => out.extend_from_slice(&b),
            Part::Range { start, end } => out.extend_from_slice(&slice(start, end)),
            Part::Spliced { .. } => {}
        }
    }
    Bytes::from(out)
}

/// A `304`: the validators kept, no body, no `Content-Type` (as
/// Starlette's `NotModifiedResponse`).
fn not_modified_response(mut headers: HeaderMap) -> Resp {
    headers.remove(CONTENT_TYPE);
    headers.remove(ACCEPT_RANGES);
    headers.remove(LAST_MODIFIED);
    let mut resp = crate::response::new(RespBody::empty());
    *resp.status_mut() = StatusCode::NOT_MODIFIED;
    *resp.headers_mut() = headers;
    resp
}

/// A `416` for a range past the end of a file of `size` bytes.
fn unsatisfiable(size: u64) -> Resp {
    let body = response::status_body(416, |out| json::write_str(out, "Range Not Satisfiable"));
    let mut resp = response::json(StatusCode::RANGE_NOT_SATISFIABLE, body);
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        resp.headers_mut().insert(CONTENT_RANGE, v);
    }
    resp
}

/// [`etag`] as a header value.
fn tag_value(mtime: SystemTime, size: u64, variant: &str) -> HeaderValue {
    HeaderValue::from_str(&etag(mtime, size, variant)).unwrap_or(HeaderValue::from_static("\"\""))
}

/// The file's `ETag`: its modification time and size in hex (as nginx
/// builds it), and the encoding of a precompressed variant.
pub(crate) fn etag(mtime: SystemTime, size: u64, variant: &str) -> String {
    let since = mtime.duration_since(UNIX_EPOCH).unwrap_or_default();
    let sep = if variant.is_empty() { "" } else { "-" };
    format!(
        "\"{:x}.{:x}-{size:x}{sep}{variant}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// Whether the client's copy is current: `If-None-Match` lists the tag
/// (weak or strong, or `*`), or, without `If-None-Match`, the file has not
/// changed since `If-Modified-Since` (to the second).
fn not_modified(request: &HeaderMap, etag: &[u8], mtime: SystemTime) -> bool {
    if let Some(inm) = request.get(IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else { return false };
        return inm.split(',').any(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag.as_bytes() == etag
        });
    }
    if let Some(ims) = request.get(IF_MODIFIED_SINCE)
        && let Ok(ims) = ims.to_str()
        && let Ok(since) = httpdate::parse_http_date(ims)
    {
        let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        return secs(since) >= secs(mtime);
    }
    false
}

/// Why a `Range` header is not served.
#[derive(Debug, PartialEq, Eq)]
enum RangeError {
    /// A `400` with this detail.
    Malformed(&'static str),
    /// A `416`.
    Unsatisfiable,
}

/// The most ranges served from one `Range` header; a header with more
/// items is answered with the whole file (HTTP lets a server ignore `Range`), as
/// Starlette caps it.
const MAX_RANGES: usize = 100;

/// The byte ranges (`start..end`) a `Range` header asks of a file of `size`
/// bytes, as Starlette reads them: the `bytes` unit only; `a-b`, `a-` and
/// the suffix `-n` (the last `n` bytes, the whole file when `n` is larger);
/// an end past the file ends at the file; items that are not ranges
/// (empty, no `-`, not numbers) are skipped; then, none left is malformed,
/// a start past the end unsatisfiable, an end before its start malformed;
/// several ranges are merged where they overlap or touch. `Ok(None)`: more
/// than [`MAX_RANGES`] items, the whole file is sent.
fn parse_range(header: &[u8], size: u64) -> Result<Option<Vec<(u64, u64)>>, RangeError> {
    const MALFORMED: RangeError = RangeError::Malformed("Malformed range header.");
    let header = std::str::from_utf8(header).map_err(|_| MALFORMED)?;
    let (unit, spec) = header.split_once('=').ok_or(MALFORMED)?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Err(RangeError::Malformed("Only support bytes range"));
    }
    if spec.split(',').count() > MAX_RANGES {
        return Ok(None);
    }
    // Python's `int()` of a stripped string: digits with an optional `+`
    // (a number past u64 is larger than any file).
    let number = |s: &str| -> Option<u64> {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(digits.parse::<u64>().unwrap_or(u64::MAX))
    };
    let mut ranges = Vec::new();
    for item in spec.split(',') {
        let Some((a, b)) = item.trim().split_once('-') else {
            continue;
        };
        let (a, b) = (a.trim(), b.trim());
        let range = match (a.is_empty(), b.is_empty()) {
            (true, true) => continue,
            (true, false) => match number(b) {
                Some(n) => (size.saturating_sub(n), size),
                None => continue,
            },
            (false, true) => match number(a) {
                Some(a) => (a, size),
                None => continue,
            },
            (false, false) => match (number(a), number(b)) {
                (Some(a), Some(b)) => (a, if b < size { b + 1 } else { size }),
                _ => continue,
            },
        };
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err(RangeError::Malformed(
            "Range header: range must be requested",
        ));
    }
    if ranges.iter().any(|&(start, _)| start >= size) {
        return Err(RangeError::Unsatisfiable);
    }
    if ranges.iter().any(|&(start, end)| start >= end) {
        return Err(RangeError::Malformed(
            "Range header: start must be less than end",
        ));
    }
    if ranges.len() == 1 {
        return Ok(Some(ranges));
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    Ok(Some(merged))
}

/// A multipart boundary: 26 hex digits that differ per response.
fn boundary() -> String {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static COUNT: Cell<u64> = const { Cell::new(0) };
    }
    let n = COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let state = std::collections::hash_map::RandomState::new();
    let mut h = state.build_hasher();
    h.write_u64(n);
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    format!("{a:016x}{:010x}", b & 0xff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_starlette_reads_them() {
        let r = |h: &str| parse_range(h.as_bytes(), 100).map(|r| r.unwrap_or_default());
        assert_eq!(r("bytes=0-9"), Ok(vec![(0, 10)]));
        assert_eq!(r("bytes=90-"), Ok(vec![(90, 100)]));
        assert_eq!(r("bytes=-10"), Ok(vec![(90, 100)]));
        assert_eq!(r("bytes=-1000"), Ok(vec![(0, 100)]));
        assert_eq!(r("bytes=50-1000"), Ok(vec![(50, 100)]));
        assert_eq!(r("Bytes = 0-0"), Ok(vec![(0, 1)]));
        assert_eq!(r("bytes=0-9, 5-19, 50-59"), Ok(vec![(0, 20), (50, 60)]));
        assert_eq!(r("bytes=50-59,0-9"), Ok(vec![(0, 10), (50, 60)]));
        // Adjacent ranges merge too.
        assert_eq!(r("bytes=0-9,10-19"), Ok(vec![(0, 20)]));
        // Items that are not ranges are skipped.
        assert_eq!(r("bytes=10, 0-5"), Ok(vec![(0, 6)]));
        assert_eq!(r("bytes= - , 0-5"), Ok(vec![(0, 6)]));
        assert_eq!(r("bytes=abc-def, 0-5"), Ok(vec![(0, 6)]));
        assert_eq!(r("bytes=1-2-3, +3-4"), Ok(vec![(3, 5)]));
        assert_eq!(r("bytes=100-"), Err(RangeError::Unsatisfiable));
        assert_eq!(r("bytes=0-9,200-300"), Err(RangeError::Unsatisfiable));
        // Unsatisfiable is decided before an inverted range.
        assert_eq!(r("bytes=200-100"), Err(RangeError::Unsatisfiable));
        assert!(matches!(r("bytes=9-0"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=5-4"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("items=0-9"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=-"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=a-b"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes: 0-9"), Err(RangeError::Malformed(_))));
        assert_eq!(r("bytes=0-99999999999999999999999"), Ok(vec![(0, 100)]));
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES].join(","));
        assert_eq!(r(&many), Ok(vec![(0, 1)]));
        let too_many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert_eq!(parse_range(too_many.as_bytes(), 100), Ok(None));
    }

    #[test]
    fn conditionals() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 500);
        let tag = etag(t, 10, "");
        let mut h = HeaderMap::new();
        h.insert(
            IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{tag}")).unwrap(),
        );
        let tag = tag.as_bytes();
        assert!(not_modified(&h, tag, t));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        // A present If-None-Match decides alone.
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(t)).unwrap(),
        );
        assert!(!not_modified(&h, tag, t));
        h.remove(IF_NONE_MATCH);
        assert!(not_modified(&h, tag, t));
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Mon, 01 Jan 2001 00:00:00 GMT"),
        );
        assert!(!not_modified(&h, tag, t));
        h.insert(IF_MODIFIED_SINCE, HeaderValue::from_static("not a date"));
        assert!(!not_modified(&h, tag, t));
        assert_ne!(etag(t, 10, "br").as_bytes(), tag);
        assert_ne!(boundary(), boundary());
    }
}
