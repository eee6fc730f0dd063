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

use std::fs::{File, Metadata};
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
};

use super::body::{FileBody, Part};
use crate::body::RespBody;
use crate::json;
use crate::response::{self, Resp};

/// A file opened for sending, with what `fstat` said about it.
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) meta: Metadata,
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
}

/// The response for `file`.
pub(crate) fn send(file: Opened, how: &Send<'_>) -> Resp {
    let size = file.meta.len();
    let mtime = file.meta.modified().unwrap_or(UNIX_EPOCH);
    let etag = etag(mtime, size, how.variant);
    let last_modified = httpdate::fmt_http_date(mtime);
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE, how.content_type.clone());
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        headers.insert(LAST_MODIFIED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    let ok = how.status == StatusCode::OK;
    if ok && not_modified(how.request, &etag, mtime) {
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
        return finish(how.status, headers, file.file, parts, how.head);
    };
    match parse_range(range.as_bytes(), size) {
        Err(RangeError::Malformed(detail)) => response::bad_request(detail),
        Err(RangeError::Unsatisfiable) => unsatisfiable(size),
        Ok(ranges) if ranges.len() == 1 => {
            let (start, end) = ranges[0];
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1)) {
                headers.insert(CONTENT_RANGE, v);
            }
            let parts = vec![Part::Range { start, end }];
            finish(
                StatusCode::PARTIAL_CONTENT,
                headers,
                file.file,
                parts,
                how.head,
            )
        }
        Ok(ranges) => {
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
            parts.push(Part::Bytes(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
            if let Ok(v) =
                HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}"))
            {
                headers.insert(CONTENT_TYPE, v);
            }
            finish(
                StatusCode::PARTIAL_CONTENT,
                headers,
                file.file,
                parts,
                how.head,
            )
        }
    }
}

/// The response with `parts` of `file` as its body (none for `HEAD`, the
/// length still said).
fn finish(
    status: StatusCode,
    headers: HeaderMap,
    file: File,
    parts: Vec<Part>,
    head: bool,
) -> Resp {
    let body = FileBody::new(file, parts);
    let len = body.remaining();
    let mut resp = crate::response::new(if head {
        RespBody::empty()
    } else {
        RespBody::File(Box::new(body))
    });
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    resp
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

/// The file's `ETag`: its modification time and size in hex (as nginx
/// builds it), and the encoding of a precompressed variant.
fn etag(mtime: SystemTime, size: u64, variant: &str) -> String {
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
fn not_modified(request: &HeaderMap, etag: &str, mtime: SystemTime) -> bool {
    if let Some(inm) = request.get(IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else { return false };
        return inm.split(',').any(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag == etag
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

/// The byte ranges (`start..end`) a `Range` header asks of a file of `size`
/// bytes, as Starlette reads them: the `bytes` unit only; `a-b`, `a-` and
/// the suffix `-n` (the last `n` bytes, the whole file when `n` is larger);
/// an end past the file ends at the file; a start past it is
/// unsatisfiable; several ranges are merged where they overlap.
fn parse_range(header: &[u8], size: u64) -> Result<Vec<(u64, u64)>, RangeError> {
    const MALFORMED: RangeError = RangeError::Malformed("Malformed range header.");
    let header = std::str::from_utf8(header).map_err(|_| MALFORMED)?;
    let (unit, spec) = header.split_once('=').ok_or(MALFORMED)?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Err(RangeError::Malformed("Only support bytes range"));
    }
    let number = |s: &str| -> Result<Option<u64>, RangeError> {
        if s.is_empty() {
            return Ok(None);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MALFORMED);
        }
        // Past u64: larger than any file.
        Ok(Some(s.parse::<u64>().unwrap_or(u64::MAX)))
    };
    let mut ranges = Vec::new();
    for item in spec.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (a, b) = item.split_once('-').ok_or(MALFORMED)?;
        let (a, b) = (number(a.trim())?, number(b.trim())?);
        let range = match (a, b) {
            (None, None) => continue,
            (None, Some(n)) => (size.saturating_sub(n), size),
            (Some(a), None) => (a, size),
            (Some(a), Some(b)) => {
                if a > b {
                    return Err(RangeError::Malformed(
                        "Range header: start must be less than end",
                    ));
                }
                (a, b.saturating_add(1).min(size))
            }
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
    if ranges.len() == 1 {
        return Ok(ranges);
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    Ok(merged)
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
        let r = |h: &str| parse_range(h.as_bytes(), 100);
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
        assert_eq!(r("bytes=100-"), Err(RangeError::Unsatisfiable));
        assert_eq!(r("bytes=0-9,200-300"), Err(RangeError::Unsatisfiable));
        assert!(matches!(r("bytes=9-0"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("items=0-9"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=-"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=a-b"), Err(RangeError::Malformed(_))));
        assert!(matches!(r("bytes=1-2-3"), Err(RangeError::Malformed(_))));
        assert_eq!(r("bytes=0-99999999999999999999999"), Ok(vec![(0, 100)]));
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
        assert!(not_modified(&h, &tag, t));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        // A present If-None-Match decides alone.
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(t)).unwrap(),
        );
        assert!(!not_modified(&h, &tag, t));
        h.remove(IF_NONE_MATCH);
        assert!(not_modified(&h, &tag, t));
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Mon, 01 Jan 2001 00:00:00 GMT"),
        );
        assert!(!not_modified(&h, &tag, t));
        h.insert(IF_MODIFIED_SINCE, HeaderValue::from_static("not a date"));
        assert!(!not_modified(&h, &tag, t));
        assert_ne!(etag(t, 10, "br"), tag);
        assert_ne!(boundary(), boundary());
    }
}
