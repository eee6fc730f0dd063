//! Turning a handler's outcome into a response.
//!
//! A return value is encoded as the route declared (`Returns`; under
//! FastAPI's `response_model=` a refused value is first converted); a value of
//! the wrong type is a 500 and one log line naming the route, except a
//! `Response`, which is sent as built whatever the annotation. An
//! `HTTPException` becomes its status, headers and `{"status_code", "detail"}`
//! body; any other exception is a 500 with its traceback in the log only.
//!
//! `SystemExit` and `KeyboardInterrupt` raised by a handler are handler
//! faults like any other: a 500 and an error line. They never stop the
//! server (a worker that exited because one handler called `sys.exit()`
//! would take every other in-flight request with it); SIGTERM does.

use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, TRANSFER_ENCODING};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyDict, PyString};
use pyo3::{ffi, intern};

use super::Interp;
use crate::app::{Returns, Route};
use crate::json;
use crate::log::RequestId;
use crate::response::{self, Resp};
use crate::validate::Mismatch;

/// The response for route `index` given what its handler produced.
/// `request` is the request as a `prebake.Request`, built only for an app
/// with exception handlers.
pub(super) fn finish<'py>(
    py: Python<'py>,
    interp: &Interp,
    index: usize,
    rid: RequestId,
    result: PyResult<Bound<'py, PyAny>>,
    request: Option<&Bound<'py, PyAny>>,
) -> Resp {
    let spec = &interp.app.routes[index];
    match result {
        Ok(scope) if spec.deferred => match super::after::Scope::take(scope) {
            Ok(scope) => {
                let mut resp =
                    finish_value(py, interp, index, rid, Ok(scope.result.clone()), request);
                scope.apply(py, interp, &mut resp);
                scope.finish(py, interp, spec);
                resp
            }
            Err(e) => finish_value(py, interp, index, rid, Err(e), request),
        },
        result => finish_value(py, interp, index, rid, result, request),
    }
}

/// [`finish`] for the handler's own value (a deferred route's unwrapped).
fn finish_value<'py>(
    py: Python<'py>,
    interp: &Interp,
    index: usize,
    rid: RequestId,
    result: PyResult<Bound<'py, PyAny>>,
    request: Option<&Bound<'py, PyAny>>,
) -> Resp {
    let spec = &interp.app.routes[index];
    let status = interp.routes[index].status;
    let value = match result {
        Ok(v) => v,
        Err(e) => return error(py, interp, spec, rid, &e, request),
    };
    let mut done = match spec.returns {
        Returns::Json(f) | Returns::Converted(f, _) => {
            super::encode::encode_with(&value, f).map(|body| response::json(status, body))
        }
        // Rendered below, once a returned `Response` has been ruled out.
        Returns::Filtered(..) => Err(mismatch("the response model", &value)),
        Returns::Html(f) => super::encode::encode_with(&value, f)
            .map(|body| response::with_body(status, Some(response::HTML), body)),
        Returns::Text => text(&value).map(|b| response::with_body(status, Some(response::TEXT), b)),
        Returns::Bytes => {
            raw_bytes(&value).map(|b| response::with_body(status, Some(response::OCTET_STREAM), b))
        }
        Returns::Empty => {
            if value.is_none() {
                Ok(response::with_body(status, None, Bytes::new()))
            } else {
                Err(mismatch("None", &value))
            }
        }
        Returns::Wrap(class) => match wrap(py, interp, &value, class) {
            Ok(response) => sent_as_built(py, interp, spec, rid, &response),
            Err(e) => return error(py, interp, spec, rid, &e, request),
        },
        Returns::Response => {
            if value
                .is_instance(interp.response_cls.bind(py))
                .unwrap_or(false)
            {
                sent_as_built(py, interp, spec, rid, &value)
            } else {
                Err(mismatch("prebake.Response", &value))
            }
        }
    };
    // A `Response` the handler built is sent as built whatever the
    // annotation says, as FastAPI and Litestar do; checked only after the
    // declared encoder refused the value, so it costs nothing otherwise.
    if done.is_err()
        && value
            .is_instance(interp.response_cls.bind(py))
            .unwrap_or(false)
    {
        done = sent_as_built(py, interp, spec, rid, &value);
    }
    let by_model = match spec.returns {
        _ if done.is_ok() => None,
        Returns::Converted(f, ty) => Some(converted(py, interp, &value, f, ty)),
        Returns::Filtered(ty, filter) => Some(filtered(py, interp, &value, ty, filter)),
        _ => None,
    };
    if let Some(result) = by_model {
        return match result {
            Ok(body) => response::json(status, body),
            Err(message) => {
                tracing::error!(
                    route = %RouteName(spec),
                    handler = spec.handler,
                    request_id = %rid,
                    "the handler's return value does not fit its response_model: {message}"
                );
                response::internal_error()
            }
        };
    }
    done.unwrap_or_else(|m| {
        tracing::error!(
            route = %RouteName(spec),
            handler = spec.handler,
            request_id = %rid,
            mismatch = %m,
            "the handler returned a value that does not match its declared type: {m}"
        );
        response::internal_error()
    })
}

/// The response of a `response_class=` route: the returned `Response`, or
/// the class called with the returned value (FastAPI's rule). The class
/// refusing the value is a handler fault, a 500.
fn wrap<'py>(
    py: Python<'py>,
    interp: &Interp,
    value: &Bound<'py, PyAny>,
    class: u16,
) -> PyResult<Bound<'py, PyAny>> {
    if value.is_instance(interp.response_cls.bind(py))? {
        return Ok(value.clone());
    }
    interp.type_at(class)?.bind(py).call1((value,))
}

/// The 503 for a handler that ran past `--handler-timeout`.
pub(super) fn timed_out(
    interp: &Interp,
    index: usize,
    rid: RequestId,
    timeout: std::time::Duration,
) -> Resp {
    let spec = &interp.app.routes[index];
    tracing::warn!(
        route = %RouteName(spec),
        handler = spec.handler,
        request_id = %rid,
        timeout_s = timeout.as_secs_f64(),
        "the handler ran past the handler timeout; answered 503"
    );
    response::handler_timeout()
}

/// FastAPI's `response_model=`: `value`, which the encoder `f` refused,
/// converted to the declared type `types[ty]` and encoded. A dict or an
/// object with the model's attributes is read into the model (its other
/// keys and attributes left out, defaults filled in), leniently as msgspec
/// converts query strings (`"3"` is a fine `int`). Reached only after the
/// encoder refused the value, so an instance of the model costs nothing
/// more. The error is msgspec's message, for the log.
fn converted(
    py: Python<'_>,
    interp: &Interp,
    value: &Bound<'_, PyAny>,
    f: crate::app::EncodeFn,
    ty: u16,
) -> Result<Vec<u8>, String> {
    let t = interp.type_at(ty).map_err(|e| e.to_string())?;
    let kwargs = [(intern!(py, "from_attributes"), true)]
        .into_py_dict(py)
        .map_err(|e| e.to_string())?;
    let model = interp
        .convert_lax
        .bind(py)
        .call((value, t.bind(py)), Some(&kwargs))
        .map_err(|e| e.value(py).to_string())?;
    super::encode::encode_with(&model, f).map_err(|m| m.to_string())
}

/// FastAPI's `response_model_exclude_unset=` and its siblings: `value`
/// converted to `types[ty]` and written by `prebake._response_model.render`
/// with the route's options. The error is the reason, for the log.
fn filtered(
    py: Python<'_>,
    interp: &Interp,
    value: &Bound<'_, PyAny>,
    ty: u16,
    filter: &crate::app::ResponseFilter,
) -> Result<Vec<u8>, String> {
    let t = interp.type_at(ty).map_err(|e| e.to_string())?;
    let names = |n: Option<&'static [&'static str]>| -> PyResult<Option<Bound<'_, PyAny>>> {
        n.map(|n| pyo3::types::PyFrozenSet::new(py, n).map(Bound::into_any))
            .transpose()
    };
    let run = || -> PyResult<Vec<u8>> {
        let render = py
            .import(intern!(py, "prebake._response_model"))?
            .getattr(intern!(py, "render"))?;
        let body = render.call1((
            value,
            t.bind(py),
            names(filter.include)?,
            names(filter.exclude)?,
            filter.exclude_unset,
            filter.exclude_defaults,
            filter.exclude_none,
        ))?;
        Ok(body.cast::<PyBytes>()?.as_bytes().to_vec())
    };
    run().map_err(|e| e.value(py).to_string())
}

fn mismatch(expected: &'static str, v: &Bound<'_, PyAny>) -> Mismatch {
    Mismatch::new(
        expected,
        v.get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string()),
    )
}

fn text(v: &Bound<'_, PyAny>) -> Result<Vec<u8>, Mismatch> {
    let s = v.cast::<PyString>().map_err(|_| mismatch("str", v))?;
    // A compact ASCII str's characters are read in place (pyo3's `to_str`
    // asks CPython, ~30 instructions more).
    let s = super::encode::utf8(super::encode::Obj(s.as_any().as_borrowed()))
        .ok_or_else(|| mismatch("str (encodable as UTF-8)", v))?;
    Ok(s.as_bytes().to_vec())
}

/// The body of a `-> bytes` handler: `bytes`, or a `bytearray` or
/// `memoryview`, which `msgspec.convert` also takes for `bytes`.
fn raw_bytes(v: &Bound<'_, PyAny>) -> Result<Bytes, Mismatch> {
    let b = match v.cast::<PyBytes>() {
        Ok(b) => b.clone(),
        Err(_) => super::encode::buffer_copy(super::encode::Obj(v.as_borrowed()))?,
    };
    Ok(Bytes::copy_from_slice(b.as_bytes()))
}

/// A `Response` a handler returned, with its background tasks scheduled
/// (a deferred route's scope schedules them itself).
fn sent_as_built(
    py: Python<'_>,
    interp: &Interp,
    spec: &'static Route,
    rid: RequestId,
    v: &Bound<'_, PyAny>,
) -> Result<Resp, Mismatch> {
    let resp = built(py, v, Some((spec, rid)))?;
    if !spec.deferred {
        super::after::response_background(py, interp, spec, v);
    }
    Ok(resp)
}

/// A `Response` an exception handler returned.
pub(super) fn built_response(
    py: Python<'_>,
    interp: &Interp,
    v: &Bound<'_, PyAny>,
) -> Result<Resp, Mismatch> {
    if !v.is_instance(interp.response_cls.bind(py)).unwrap_or(false) {
        return Err(mismatch("prebake.Response", v));
    }
    built(py, v, None)
}

/// A `prebake.Response` as the handler built it, cookies included.
/// `origin` is the route and request a handler's `Response` answers (an
/// exception handler's has none).
fn built(
    py: Python<'_>,
    v: &Bound<'_, PyAny>,
    origin: Option<(&'static Route, RequestId)>,
) -> Result<Resp, Mismatch> {
    let bad = |what: &'static str| Mismatch::new(what, "an invalid prebake.Response".into());
    let status: u16 = v
        .getattr(intern!(py, "status_code"))
        .and_then(|s| s.extract())
        .map_err(|_| bad("Response.status_code: int"))?;
    let status =
        StatusCode::from_u16(status).map_err(|_| bad("Response.status_code: a valid status"))?;
    // 0: the body as built; 1: `FileResponse`; 2: `StreamingResponse`.
    let kind: u8 = v
        .getattr(intern!(py, "_send_kind"))
        .and_then(|k| k.extract())
        .unwrap_or(0);
    let mut resp = match kind {
        1 => file_response(py, v, status).map_err(|()| bad("FileResponse.path: str"))?,
        2 => streaming_response(py, v, status, origin)
            .map_err(|()| bad("StreamingResponse.body_iterator: an iterator"))?,
        _ => {
            let body = v
                .getattr(intern!(py, "body"))
                .map_err(|_| bad("Response.body"))?;
            let body = body
                .cast::<PyBytes>()
                .map_err(|_| bad("Response.body: bytes"))?;
            response::with_body(status, None, Bytes::copy_from_slice(body.as_bytes()))
        }
    };
    let headers = v
        .getattr(intern!(py, "headers"))
        .map_err(|_| bad("Response.headers"))?;
    if !headers.is_none() {
        let headers = headers
            .cast::<PyDict>()
            .map_err(|_| bad("Response.headers: dict[str, str]"))?;
        add_headers(&mut resp, headers, false)
            .map_err(|()| bad("Response.headers: valid header names and values"))?;
    }
    let media_type = v
        .getattr(intern!(py, "media_type"))
        .map_err(|_| bad("Response.media_type"))?;
    if !media_type.is_none() {
        let mt: String = media_type
            .extract()
            .map_err(|_| bad("Response.media_type: str"))?;
        let mt = HeaderValue::from_str(&mt)
            .map_err(|_| bad("Response.media_type: a valid header value"))?;
        resp.headers_mut().insert(CONTENT_TYPE, mt);
    }
    super::after::add_cookies(py, v, &mut resp);
    Ok(resp)
}

/// A `FileResponse`: its file is opened and answered once the request's
/// headers are at hand (`crate::files::complete`).
fn file_response(py: Python<'_>, v: &Bound<'_, PyAny>, status: StatusCode) -> Result<Resp, ()> {
    let path: String = v
        .getattr(intern!(py, "path"))
        .and_then(|p| p.extract())
        .map_err(|_| ())?;
    let filename: Option<String> = v
        .getattr(intern!(py, "filename"))
        .and_then(|p| p.extract())
        .unwrap_or(None);
    let media_type: Option<String> = v
        .getattr(intern!(py, "media_type"))
        .and_then(|p| p.extract())
        .unwrap_or(None);
    let content_type = match media_type {
        Some(mt) => crate::files::mime::with_charset(&mt),
        None => crate::files::mime::content_type(filename.as_deref().unwrap_or(&path)),
    };
    let content_type = HeaderValue::from_str(&content_type).map_err(|_| ())?;
    Ok(crate::files::pending(status, &path, content_type))
}

/// A `StreamingResponse`: the body pulls the iterator's chunks.
fn streaming_response(
    py: Python<'_>,
    v: &Bound<'_, PyAny>,
    status: StatusCode,
    origin: Option<(&'static Route, RequestId)>,
) -> Result<Resp, ()> {
    let content = v.getattr(intern!(py, "body_iterator")).map_err(|_| ())?;
    let chunks = super::stream::PyChunks::new(&content, origin).map_err(|_| ())?;
    let mut resp = response::with_body(status, None, Bytes::new());
    *resp.body_mut() = crate::body::RespBody::Stream(Box::new(chunks));
    Ok(resp)
}

/// Appends a handler's headers. The body's framing (`Content-Length`,
/// `Transfer-Encoding`) is hyper's to write: a second or wrong length would
/// leave the client waiting for bytes that never come, so those are
/// dropped. Where the runtime writes the body itself (an `HTTPException`'s
/// JSON) a `Content-Type` replaces the runtime's instead of doubling it
/// (`application/problem+json`).
fn add_headers(resp: &mut Resp, headers: &Bound<'_, PyDict>, body_is_ours: bool) -> Result<(), ()> {
    for (k, v) in headers.iter() {
        let k: String = k.extract().map_err(|_| ())?;
        let v: String = v.extract().map_err(|_| ())?;
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| ())?;
        let value = HeaderValue::from_str(&v).map_err(|_| ())?;
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        if body_is_ours && name == CONTENT_TYPE {
            resp.headers_mut().insert(name, value);
            continue;
        }
        response::set_header(resp, name, value);
    }
    Ok(())
}

/// The response for an exception out of a handler: the app's exception
/// handler's, if it has one for it, else the built-in one.
fn error(
    py: Python<'_>,
    interp: &Interp,
    spec: &Route,
    rid: RequestId,
    err: &PyErr,
    request: Option<&Bound<'_, PyAny>>,
) -> Resp {
    if let Some(request) = request
        && let Some(resp) = interp.handlers.respond(py, interp, request, err.value(py))
    {
        return resp;
    }
    use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};

    if err.is_instance(py, interp.http_exception.bind(py)) {
        if let Some(resp) = http_exception(py, interp, err.value(py)) {
            return resp;
        }
        log_exception(
            spec,
            rid,
            err,
            "the handler raised an HTTPException that cannot be sent",
        );
    } else if err.is_instance_of::<PySystemExit>(py)
        || err.is_instance_of::<PyKeyboardInterrupt>(py)
    {
        log_exception(
            spec,
            rid,
            err,
            "the handler raised SystemExit or KeyboardInterrupt; answered 500 and kept serving \
             (stop the server with SIGTERM)",
        );
    } else if interp.middleware.iter().any(Option::is_some) {
        // Raised again by the innermost Python middleware's `call_next`,
        // which may catch it (as Starlette's `BaseHTTPMiddleware` lets it);
        // logged there if it is not caught.
        let mut resp = response::internal_error();
        super::middleware::attach_exception(&mut resp, err.clone_ref(py));
        return resp;
    } else {
        log_exception(spec, rid, err, "the handler raised an exception");
    }
    response::internal_error()
}

fn http_exception(py: Python<'_>, interp: &Interp, exc: &Bound<'_, PyAny>) -> Option<Resp> {
    let status: u16 = exc
        .getattr(intern!(py, "status_code"))
        .ok()?
        .extract()
        .ok()?;
    let status = StatusCode::from_u16(status).ok()?;
    let detail = exc.getattr(intern!(py, "detail")).ok()?;
    let mut encoded = Vec::new();
    if let Ok(s) = detail.cast::<PyString>()
        // SAFETY: a type check on a valid object.
        && unsafe { ffi::PyUnicode_CheckExact(s.as_ptr()) } != 0
    {
        json::write_str(&mut encoded, s.to_str().ok()?);
    } else {
        let bytes = interp.json_encode.bind(py).call1((&detail,)).ok()?;
        encoded.extend_from_slice(bytes.cast::<PyBytes>().ok()?.as_bytes());
    }
    let body = response::status_body(status.as_u16(), |out| out.extend_from_slice(&encoded));
    let mut resp = response::json(status, body);
    let headers = exc.getattr(intern!(py, "headers")).ok()?;
    if !headers.is_none() {
        add_headers(&mut resp, headers.cast::<PyDict>().ok()?, true).ok()?;
    }
    Some(resp)
}

/// One error event about an exception out of route `spec`, traceback included.
fn log_exception(spec: &Route, rid: RequestId, err: &PyErr, what: &str) {
    tracing::error!(
        route = %RouteName(spec),
        handler = spec.handler,
        request_id = %rid,
        traceback = %super::traceback(err),
        "{what}"
    );
}

/// `GET /user/{user_id}`, for log fields.
pub(crate) struct RouteName<'a>(pub(crate) &'a Route);

impl std::fmt::Display for RouteName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.method.as_str(), self.0.path)
    }
}
