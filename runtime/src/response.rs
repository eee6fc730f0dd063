//! Building responses: content types, error bodies, and rejections.
//!
//! Error bodies follow `docs/semantics.md` (Litestar's shape): `{"status_code": N,
//! "detail": ...}`, plus `extra` for validation errors. Constant bodies and
//! header values are `'static`; nothing here touches Python.

use std::borrow::Cow;
use std::cell::Cell;

use hyper::body::Bytes;
use hyper::header::{ALLOW, CONNECTION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, SERVER};
use hyper::{Response, StatusCode};

use crate::json;
use crate::request::Req;
use crate::validate::{Rejection, RejectionKind};

/// The response type the server sends, boxed: it is made deep in the
/// Python call and passes up through half a dozen layers (`Outcome`,
/// `Step`, the future hyper keeps) before hyper takes it. By value each of
/// those moves copied its 152 bytes (a `memcpy` call each, ~300
/// instructions per request in all); a box costs one allocation and one
/// copy out, in `server/handle.rs`.
pub(crate) type Resp = Box<Response<crate::body::RespBody>>;

/// A `200` response with `body` and no headers.
#[inline]
pub(crate) fn new(body: crate::body::RespBody) -> Resp {
    Box::new(Response::new(body))
}

pub(crate) const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
/// The `Content-Type` of a template route's page.
pub(crate) const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
pub(crate) const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response with `body` and, when given, a `Content-Type`; the `Server`
/// header first (see [`has_server`]).
#[inline]
pub(crate) fn with_body(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: impl Into<crate::body::Chunk>,
) -> Resp {
    let mut resp = new(crate::body::RespBody::full(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    // The map `Response::new` made owns no memory (an empty `HeaderMap`
    // allocates nothing): forgotten rather than dropped, which ran its
    // drop glue for nothing (~50 instructions per response).
    std::mem::forget(std::mem::replace(headers, spare_headers()));
    if let Some(server) = crate::server::server_header() {
        headers.insert(SERVER, server);
    }
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, ct);
    }
    resp
}

thread_local! {
    /// A request's header map, emptied, for the next response's headers.
    static SPARE: Cell<Option<HeaderMap>> = const { Cell::new(None) };
}

/// An empty header map for a response: the last request's (see
/// [`recycle_headers`]), or a new one.
#[inline]
fn spare_headers() -> HeaderMap {
    SPARE.with(Cell::take).unwrap_or_default()
}

/// Keeps a served request's header map, emptied, for the next response.
/// hyper parses each request's headers into the map of the response before
/// it (it keeps it once written), so with this the maps go round: no
/// request or response allocates one (a new map's two allocations and
/// their frees, ~100 instructions), and a client sending more headers than
/// a fresh map holds does not make hyper grow one on every request (~450).
#[inline]
pub(crate) fn recycle_headers(mut headers: HeaderMap) {
    headers.clear();
    SPARE.with(|s| s.set(Some(headers)));
}

/// Whether `resp` carries a `Server` header as its first: every response
/// made by [`with_body`] does, so the server's check that each response
/// has one (`server/handle.rs`) costs no lookup on them. A handler's own
/// `Server` replaces the value in place ([`set_header`]).
#[inline]
pub(crate) fn has_server(resp: &Resp) -> bool {
    resp.headers()
        .iter()
        .next()
        .is_some_and(|(name, _)| name == SERVER)
}

/// Adds a header an app gave (a `Response`'s, an `HTTPException`'s): a
/// `Server` replaces the runtime's, any other is appended.
pub(crate) fn set_header(resp: &mut Resp, name: HeaderName, value: HeaderValue) {
    if name == SERVER {
        resp.headers_mut().insert(name, value);
    } else {
        resp.headers_mut().append(name, value);
    }
}

/// A JSON response.
#[inline]
pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Resp {
    with_body(status, Some(JSON), body)
}

fn static_json(status: StatusCode, body: &'static str) -> Resp {
    with_body(status, Some(JSON), Bytes::from_static(body.as_bytes()))
}

pub(crate) fn not_found() -> Resp {
    static_json(
        StatusCode::NOT_FOUND,
        r#"{"status_code":404,"detail":"Not Found"}"#,
    )
}

pub(crate) fn method_not_allowed(allow: HeaderValue) -> Resp {
    let mut resp = static_json(
        StatusCode::METHOD_NOT_ALLOWED,
        r#"{"status_code":405,"detail":"Method Not Allowed"}"#,
    );
    resp.headers_mut().insert(ALLOW, allow);
    resp
}

pub(crate) fn internal_error() -> Resp {
    static_json(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"status_code":500,"detail":"Internal Server Error"}"#,
    )
}

/// 413. The rest of the body is not read: the connection closes after it.
pub(crate) fn payload_too_large() -> Resp {
    closing(static_json(
        StatusCode::PAYLOAD_TOO_LARGE,
        r#"{"status_code":413,"detail":"Request Entity Too Large"}"#,
    ))
}

/// 414, past `--max-uri-length`.
pub(crate) fn uri_too_long() -> Resp {
    static_json(
        StatusCode::URI_TOO_LONG,
        r#"{"status_code":414,"detail":"URI Too Long"}"#,
    )
}

/// 408: the body did not arrive within the header-read timeout.
pub(crate) fn request_timeout() -> Resp {
    closing(static_json(
        StatusCode::REQUEST_TIMEOUT,
        r#"{"status_code":408,"detail":"Request Timeout"}"#,
    ))
}

/// 503: the handler ran past `--handler-timeout`.
pub(crate) fn handler_timeout() -> Resp {
    static_json(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"status_code":503,"detail":"Service Unavailable: the handler timed out"}"#,
    )
}

/// The detail of a 400 for a JSON body nested past msgspec's own limit.
pub(crate) const TOO_DEEP: &str = "JSON is malformed: nested too deeply";

/// 400 for a JSON body nested deeper than `--max-json-depth`.
pub(crate) fn json_too_deep(limit: usize) -> Resp {
    bad_request(&format!(
        "JSON is malformed: nested deeper than {limit} levels"
    ))
}

/// `resp` with `Connection: close` (hyper then closes after sending it).
pub(crate) fn closing(mut resp: Resp) -> Resp {
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

pub(crate) fn unsupported_media_type() -> Resp {
    static_json(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        r#"{"status_code":415,"detail":"Unsupported Media Type"}"#,
    )
}

pub(crate) fn bad_request(detail: &str) -> Resp {
    json(
        StatusCode::BAD_REQUEST,
        status_body(400, |out| json::write_str(out, detail)),
    )
}

/// `{"status_code":N,"detail":<detail>}`, the detail written by `detail`.
pub(crate) fn status_body(status: u16, detail: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"{\"status_code\":");
    json::write_u64(&mut out, u64::from(status));
    out.extend_from_slice(b",\"detail\":");
    detail(&mut out);
    out.push(b'}');
    out
}

/// The response for a rejected request.
#[cold]
pub(crate) fn rejection(rej: &Rejection, req: &Req<'_>) -> Resp {
    match rej.kind() {
        RejectionKind::Validation {
            source,
            key,
            message,
        } => {
            let mut out = Vec::with_capacity(160);
            out.extend_from_slice(b"{\"status_code\":400,\"detail\":");
            let detail = format!("Validation failed for {} {}", req.method_str, req.target());
            json::write_str(&mut out, &detail);
            out.extend_from_slice(b",\"extra\":[{\"message\":");
            json::write_str(&mut out, message);
            out.extend_from_slice(b",\"key\":");
            json::write_str(&mut out, key);
            out.extend_from_slice(b",\"source\":");
            json::write_str(&mut out, source.as_str());
            out.extend_from_slice(b"}]}");
            json(StatusCode::BAD_REQUEST, out)
        }
        RejectionKind::Status { status, detail } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            let body = status_body(status.as_u16(), |out| json::write_str(out, detail));
            json(status, body)
        }
    }
}

/// Whether a `Content-Type` names JSON: `application/json` or
/// `application/*+json`, parameters allowed, case-insensitive.
pub(crate) fn is_json_content_type(value: &[u8]) -> bool {
    // The value nearly every client sends, compared as bytes first: the
    // general parse below costs ~800 instructions (UTF-8 check, splits,
    // trims) on every JSON body.
    const COMMON: &[u8] = b"application/json";
    if let Some(rest) = value.strip_prefix(COMMON)
        && (rest.is_empty() || rest[0] == b';')
    {
        return true;
    }
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((ty, subtype)) = essence.split_once('/') else {
        return false;
    };
    if !ty.trim().eq_ignore_ascii_case("application") {
        return false;
    }
    let subtype = subtype.trim();
    let lower: Cow<'_, str> = if subtype.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(subtype.to_ascii_lowercase())
    } else {
        Cow::Borrowed(subtype)
    };
    lower == "json" || (lower.ends_with("+json") && lower.len() > "+json".len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/vnd.api+json",
            "application/problem+json;q=1",
        ] {
            assert!(is_json_content_type(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/xml",
            "application/+json",
            "json",
            "",
            "application/jsonx",
        ] {
            assert!(!is_json_content_type(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn status_bodies() {
        let body = status_body(404, |out| json::write_str(out, "no items"));
        assert_eq!(body, br#"{"status_code":404,"detail":"no items"}"#);
    }
}
