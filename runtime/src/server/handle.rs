//! One request, from hyper's parsed head to the response.
//!
//! In order: the request-target limit (414), the metrics path, the
//! generated router (404/405), the body when the route reads one (415,
//! 413 as soon as `Content-Length` or the streamed body passes the limit,
//! 408 when it arrives too slowly, 400 past the JSON nesting limit), then
//! the Python call. A panic in the generated glue (router, decoder,
//! encoder) or the runtime's own is caught, logged with the request id,
//! and answered 500; the connection keeps serving.
//!
//! A body on a route that takes none is not read (as in FastAPI and
//! Litestar): hyper discards what has arrived and closes the connection
//! if more is still coming.
//!
//! With the access log and metrics off (the default) the only per-request
//! extras are a request-id counter and one branch.

use std::cell::Cell;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Body as _;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::conn::{Activity, Busy};
use super::{State, state};
use crate::app::Body;
use crate::body::RespBody;
use crate::files;
use crate::log::RequestId;
use crate::python::{self, Outcome};
use crate::request::Req;
use crate::response::{self, Resp};
use crate::router::{self, Captures, Match};

/// The route marker of a request for the metrics or a probe endpoint (not
/// counted).
const METRICS: usize = usize::MAX;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

fn next_id() -> RequestId {
    NEXT_ID.with(|n| {
        let id = n.get() + 1;
        n.set(id);
        RequestId(id)
    })
}

/// The future hyper's service returns: ready at once for what is answered
/// synchronously (every route without a body whose handler does not
/// suspend: no async state machine, and a small future for hyper to move),
/// boxed for the rest.
pub(super) struct Handled {
    step: Step,
    /// The request's mark on its connection, dropped with the future.
    busy: Busy,
}

impl Future for Handled {
    type Output = Result<hyper::Response<crate::body::RespBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut resp = loop {
            match &mut this.step {
                Step::Done(resp) => break resp.take().expect("Handled polled after completion"),
                Step::Later(fut) => break std::task::ready!(fut.as_mut().poll(cx)),
                Step::Body(body) => {
                    this.step = match body.poll_whole(cx) {
                        Whole::Body(bytes) => {
                            let step = body.call(bytes);
                            response::recycle_headers(std::mem::take(&mut body.parts.headers));
                            step
                        }
                        Whole::Refused(resp) => done(resp),
                        Whole::Partly(first) => {
                            let Step::Body(body) = std::mem::replace(&mut this.step, done_taken())
                            else {
                                unreachable!("matched above")
                            };
                            body.later(first)
                        }
                    };
                }
            }
        };
        // Every response the app gives carries `Server` (hyper writes `Date`),
        // unless the handler set its own.
        // Those made by `response::with_body` have it already, first.
        if let Some(server) = &state().server
            && !response::has_server(&resp)
        {
            resp.headers_mut()
                .entry(SERVER)
                .or_insert_with(|| server.clone());
        }
        if matches!(resp.body(), RespBody::File(_)) {
            splice_file(&mut resp, &this.busy);
        }
        Poll::Ready(Ok(*resp))
    }
}

/// A file body, now final, sent with `sendfile(2)` on the connection
/// (`cork.rs`), unless hyper would frame it (a `Transfer-Encoding` the
/// handler set).
#[cold]
fn splice_file(resp: &mut Resp, busy: &Busy) {
    if resp.headers().contains_key(TRANSFER_ENCODING) {
        return;
    }
    if let RespBody::File(f) = resp.body_mut() {
        f.splice_into(busy.activity().cork().clone());
    }
}

/// What is left of a request after its synchronous part.
enum Step {
    /// `None` once taken.
    Done(Option<Resp>),
    /// A route that reads a body, before the body's first poll.
    Body(Box<BodyCall>),
    Later(Pin<Box<dyn Future<Output = Resp>>>),
}

fn done(resp: Resp) -> Step {
    Step::Done(Some(resp))
}

/// A `Step` whose response has been taken.
fn done_taken() -> Step {
    Step::Done(None)
}

/// A request whose route reads a body, waiting for it.
///
/// The usual body comes whole in the packet of its head, so it is ready at
/// the first poll: read then, it goes to the call with no async state
/// machine, no timer and no second allocation. Anything else (a body in
/// pieces, one not there yet, a refusal that must drain the rest) goes on
/// in [`BodyCall::later`], which handles every case. (This saves ~300
/// instructions per `POST /validate`, a fifth of the runtime's own share.)
struct BodyCall {
    state: &'static State,
    parts: hyper::http::request::Parts,
    body: Incoming,
    captures: Captures,
    index: usize,
    rid: RequestId,
    json: Json,
}

/// What the first poll of a body gave.
enum Whole {
    /// All of it, within the limits.
    Body(Bytes),
    /// A response without a call (past the limits, unreadable).
    Refused(Resp),
    /// Not all of it (what came first, if anything).
    Partly(Option<Bytes>),
}

impl BodyCall {
    fn poll_whole(&mut self, cx: &mut Context<'_>) -> Whole {
        let first = match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Ready(None) => Bytes::new(),
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if self.body.is_end_stream() => data,
                Ok(data) => return Whole::Partly(Some(data)),
                Err(_) => return Whole::Partly(None),
            },
            Poll::Ready(Some(Err(_))) => return Whole::Refused(unreadable_body()),
            Poll::Pending => return Whole::Partly(None),
        };
        if first.len() > limit(self.state, self.json) {
            return Whole::Refused(response::payload_too_large());
        }
        if self.json == (Json::Yes { guard: true }) && too_deep(&first, self.state.max_json_depth) {
            return Whole::Refused(response::json_too_deep(self.state.max_json_depth));
        }
        Whole::Body(first)
    }

    fn call(&self, body: Bytes) -> Step {
        call(
            self.state,
            Head::of(&self.parts),
            body,
            &self.captures,
            self.index,
            self.rid,
        )
    }

    /// The rest of the request as a future, `first` the body's start.
    fn later(self: Box<Self>, first: Option<Bytes>) -> Step {
        let BodyCall {
            state,
            parts,
            body,
            captures,
            index,
            rid,
            json,
        } = *self;
        Step::Later(Box::pin(async move {
            let body = match read_body(&parts.headers, body, first, state, json).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            call(state, Head::of(&parts), body, &captures, index, rid)
                .finish()
                .await
        }))
    }
}

impl Step {
    /// The response, waiting for it if need be.
    async fn finish(self) -> Resp {
        match self {
            Step::Done(resp) => resp.expect("a fresh Step holds its response"),
            Step::Later(fut) => fut.await,
            Step::Body(body) => body.later(None).finish_later().await,
        }
    }

    /// [`Step::finish`] for a `Later` step (no recursion through `Body`).
    async fn finish_later(self) -> Resp {
        match self {
            Step::Later(fut) => fut.await,
            Step::Done(resp) => resp.expect("a fresh Step holds its response"),
            Step::Body(_) => unreachable!("BodyCall::later gives a Later step"),
        }
    }
}

/// hyper's service: one request on the connection `act` describes.
pub(super) fn handle(req: Request<Incoming>, act: &Rc<Activity>) -> Handled {
    let busy = act.begin();
    let state = state();
    let rid = next_id();
    let step = if state.observe {
        Step::Later(Box::pin(observed(state, req, rid)))
    } else {
        respond(state, req, rid, &Cell::new(None))
    };
    Handled { step, busy }
}

/// The route's response inside the app's middleware (see `middleware/`).
pub(crate) async fn respond_inner(
    state: &'static State,
    req: Request<Incoming>,
    rid: RequestId,
    route: &Cell<Option<usize>>,
) -> Resp {
    respond_outlined(state, req, rid, route).finish().await
}

/// A body a Python middleware read before the route (so that its
/// `request.body` has it), left in the request's extensions for the route:
/// the bytes, or the status that refused them (413, 408, 400).
#[derive(Clone)]
pub(crate) enum PreRead {
    Body(Bytes),
    Refused(u16),
}

impl PreRead {
    fn refusal(status: u16) -> Resp {
        match status {
            413 => response::payload_too_large(),
            408 => response::request_timeout(),
            _ => unreadable_body(),
        }
    }
}

/// Reads the body of a request a Python middleware is about to see, so
/// that the middleware's `request.body` (and `json()`, `form()`) has it and
/// the route still gets it (through [`PreRead`]). Read only when there is
/// a body, its declared length is within `--max-body-size`, and the route
/// it goes to is not one that takes uploads (those are spooled by the
/// route itself, up to `--max-upload-size`, and the middleware sees an
/// empty body). Gives the body the middleware sees.
pub(crate) async fn pre_read(state: &State, req: &mut Request<Incoming>) -> Bytes {
    if req.body().is_end_stream() || req.extensions().get::<PreRead>().is_some() {
        return req
            .extensions()
            .get::<PreRead>()
            .and_then(|p| match p {
                PreRead::Body(b) => Some(b.clone()),
                PreRead::Refused(_) => None,
            })
            .unwrap_or_default();
    }
    // The declared length, as hyper parsed it (none for a chunked body).
    if req
        .body()
        .size_hint()
        .exact()
        .is_some_and(|len| len > state.max_body as u64)
    {
        return Bytes::new();
    }
    let method = router::method_from_http(req.method());
    let mut captures = Captures::new();
    let found = catch_unwind(AssertUnwindSafe(|| {
        router::route(
            state.app.router,
            method,
            req.uri().path().as_bytes(),
            &mut captures,
        )
    }));
    if let Ok(Match::Route(i)) = found
        && state
            .app
            .routes
            .get(usize::from(i))
            .is_some_and(|r| matches!(r.body, Body::Form { files: true } | Body::Static { .. }))
    {
        return Bytes::new();
    }
    let read = collect(
        Pin::new(req.body_mut()),
        None,
        state.max_body,
        state.body_timeout,
    )
    .await;
    let (seen, pre) = match read {
        Ok(b) => (b.clone(), PreRead::Body(b)),
        Err(resp) => {
            let status = resp.status().as_u16();
            if status == 413 && !req.body().is_end_stream() && !expects_continue(req.headers()) {
                // As `read_body` does: the client still sending gets its 413.
                Box::pin(drain(req.body_mut(), state.body_timeout)).await;
            }
            (Bytes::new(), PreRead::Refused(status))
        }
    };
    req.extensions_mut().insert(pre);
    seen
}

/// A request with the access log, metrics or middleware on: run through
/// the middleware, timed, then recorded (each part only when it is on).
async fn observed(state: &'static State, req: Request<Incoming>, rid: RequestId) -> Resp {
    let start = Instant::now();
    let access = state
        .access_log
        .then(|| (req.method().clone(), req.uri().clone()));
    let route = Cell::new(None);
    let resp = if state.middleware {
        crate::middleware::serve(state, req, rid, &route).await
    } else {
        respond_outlined(state, req, rid, &route).finish().await
    };
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    if let Some(m) = &state.metrics
        && route.get() != Some(METRICS)
    {
        m.record(m.row(route.get()), status, elapsed);
    }
    if let Some((method, uri)) = access {
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |pq| pq.as_str());
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        crate::log::access(method.as_str(), target, status, micros, rid);
    }
    resp
}

/// A panic in the glue of a request: the log line and the 500.
#[cold]
fn panicked(state: &State, rid: RequestId, route: Option<usize>) -> Resp {
    let name = route
        .and_then(|i| state.app.routes.get(i))
        .map_or_else(String::new, |r| format!("{} {}", r.method.as_str(), r.path));
    tracing::error!(
        route = %name,
        request_id = %rid,
        "a panic while serving the request was caught; answered 500"
    );
    response::internal_error()
}

/// The response to one request, as far as it can be made without waiting;
/// `route` is set to the matched route. The generated code it runs (the
/// router, the decoder, the encoder) runs under `catch_unwind`: a panic
/// there is a 500 for this request only. (Around those synchronous calls
/// rather than around a whole future: a catching wrapper on every poll
/// would cost about 150 instructions per request in moves of the response.)
/// Inlined into `handle`, so that the request (248 bytes) is not copied
/// into it; the other callers share [`respond_outlined`].
#[inline(always)]
fn respond(
    state: &'static State,
    mut req: Request<Incoming>,
    rid: RequestId,
    route: &Cell<Option<usize>>,
) -> Step {
    let app = state.app;
    let uri = req.uri();
    if uri.path_and_query().map_or(0, |pq| pq.as_str().len()) > state.max_uri {
        return done(response::uri_too_long());
    }
    if let Some(b) = &state.builtin
        && let Some(resp) = builtin(state, b, uri.path(), route)
    {
        return done(resp);
    }
    let method = router::method_from_http(req.method());
    let mut captures = Captures::new();
    let found = catch_unwind(AssertUnwindSafe(|| {
        router::route(app.router, method, uri.path().as_bytes(), &mut captures)
    }));
    let Ok(found) = found else {
        return done(panicked(state, rid, None));
    };
    let index = match found {
        Match::Route(i) if usize::from(i) < app.routes.len() => usize::from(i),
        Match::NotAllowed(i) => {
            let allow = state.allow.get(usize::from(i));
            if let Some(resp) =
                routing_handled(&req, if allow.is_some() { 405 } else { 404 }, allow)
            {
                return done(resp);
            }
            return done(match allow {
                Some(allow) => response::method_not_allowed(allow.clone()),
                None => response::not_found(),
            });
        }
        Match::Route(_) | Match::NotFound => {
            if !state.mounts.is_empty()
                && let Some(resp) = crate::files::serve(
                    &state.mounts,
                    req.method(),
                    uri.path(),
                    uri.query(),
                    req.headers(),
                    |status| mount_error(&req, status),
                )
            {
                return done(resp);
            }
            if let Some(resp) = routing_handled(&req, 404, None) {
                return done(resp);
            }
            return done(response::not_found());
        }
    };
    route.set(Some(index));
    match app.routes[index].body {
        Body::None if state.plain[index] => {
            let head = req.method() == hyper::Method::HEAD;
            let resp = catch_unwind(AssertUnwindSafe(|| python::dispatch_plain(index, rid)))
                .map_or_else(
                    |_| panicked(state, rid, Some(index)),
                    |resp| files::complete(resp, Some(req.headers()), head),
                );
            response::recycle_headers(std::mem::take(req.headers_mut()));
            done(resp)
        }
        // Read in place: splitting the request would copy its head.
        Body::None => {
            let step = call(
                state,
                Head::of_request(&req),
                Bytes::new(),
                &captures,
                index,
                rid,
            );
            response::recycle_headers(std::mem::take(req.headers_mut()));
            step
        }
        Body::Static {
            content_type,
            bytes,
        } => done(response::with_body(
            StatusCode::OK,
            Some(HeaderValue::from_static(content_type)),
            Bytes::from_static(bytes),
        )),
        Body::Raw | Body::Json { .. } | Body::Form { .. } => {
            let json = match app.routes[index].body {
                Body::Json { nesting, .. } => Json::Yes {
                    guard: needs_guard(nesting, state.max_json_depth),
                },
                Body::Form { files } => Json::Form { files },
                _ => Json::No,
            };
            if state.middleware
                && let Some(pre) = req.extensions().get::<PreRead>()
            {
                let pre = pre.clone();
                return pre_read_call(state, &req, pre, &captures, index, rid, json);
            }
            let (parts, body) = req.into_parts();
            let call = Box::new(BodyCall {
                state,
                parts,
                body,
                captures,
                index,
                rid,
                json,
            });
            if refused_before_reading(&call.parts.headers, &call.body, state, json).is_some() {
                // Refused unread: `later` answers and drains what follows.
                return call.later(None);
            }
            Step::Body(call)
        }
    }
}

/// The route's call on a body a Python middleware already read, with the
/// checks [`read_body`] makes.
#[cold]
fn pre_read_call(
    state: &'static State,
    req: &Request<Incoming>,
    pre: PreRead,
    captures: &Captures,
    index: usize,
    rid: RequestId,
    json: Json,
) -> Step {
    if let Some(resp) = refused_before_reading(req.headers(), req.body(), state, json) {
        return done(resp);
    }
    let body = match pre {
        PreRead::Body(b) => b,
        PreRead::Refused(status) => return done(PreRead::refusal(status)),
    };
    if body.len() > limit(state, json) {
        return done(response::payload_too_large());
    }
    if json == (Json::Yes { guard: true }) && too_deep(&body, state.max_json_depth) {
        return done(response::json_too_deep(state.max_json_depth));
    }
    call(state, Head::of_request(req), body, captures, index, rid)
}

/// [`respond`] for the middleware and the observed requests.
#[inline(never)]
fn respond_outlined(
    state: &'static State,
    req: Request<Incoming>,
    rid: RequestId,
    route: &Cell<Option<usize>>,
) -> Step {
    respond(state, req, rid, route)
}

/// The router's 404 or 405 through the app's exception handler for
/// `HTTPException`, when it has one (a panic there is a 500).
#[cold]
fn routing_handled(
    req: &Request<Incoming>,
    status: u16,
    allow: Option<&HeaderValue>,
) -> Option<Resp> {
    let uri = req.uri();
    let head = req.method() == hyper::Method::HEAD;
    catch_unwind(AssertUnwindSafe(|| {
        python::router_error(
            status,
            allow,
            req.method().as_str(),
            uri.path(),
            uri.query().unwrap_or(""),
            req.headers(),
        )
    }))
    .unwrap_or_else(|_| Some(response::internal_error()))
    .map(|resp| files::complete(resp, Some(req.headers()), head))
}

/// A static mount's 404 or 405 (`Allow: GET, HEAD`), through the app's
/// exception handler for `HTTPException` when it has one; Starlette's 401
/// for a file the server may not read.
#[cold]
fn mount_error(req: &Request<Incoming>, status: u16) -> Resp {
    const ALLOW: HeaderValue = HeaderValue::from_static("GET, HEAD");
    let allow = ALLOW;
    if let Some(resp) = routing_handled(req, status, (status == 405).then_some(&allow)) {
        return resp;
    }
    match status {
        405 => response::method_not_allowed(ALLOW),
        401 => response::json(
            StatusCode::UNAUTHORIZED,
            response::status_body(401, |out| crate::json::write_str(out, "Unauthorized")),
        ),
        _ => response::not_found(),
    }
}

/// What [`call`] reads of a request's head.
#[derive(Clone, Copy)]
struct Head<'a> {
    method: &'a hyper::Method,
    uri: &'a hyper::Uri,
    headers: &'a HeaderMap,
}

impl<'a> Head<'a> {
    fn of(parts: &'a hyper::http::request::Parts) -> Head<'a> {
        Head {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
        }
    }

    fn of_request(req: &'a Request<Incoming>) -> Head<'a> {
        Head {
            method: req.method(),
            uri: req.uri(),
            headers: req.headers(),
        }
    }
}

/// Calls route `index`'s handler on the request.
fn call(
    state: &'static State,
    parts: Head<'_>,
    body: Bytes,
    captures: &Captures,
    index: usize,
    rid: RequestId,
) -> Step {
    // One look at the request target gives its path, query and whole text.
    let (path, query, target) = match parts.uri.path_and_query() {
        Some(pq) => (pq.path(), pq.query().unwrap_or(""), pq.as_str()),
        None => ("/", "", "/"),
    };
    let req = Req {
        method_str: parts.method.as_str(),
        path,
        query,
        target,
        headers: parts.headers,
        body: &body,
        captures,
        bad: Cell::new(None),
    };
    let head = parts.method == hyper::Method::HEAD;
    match catch_unwind(AssertUnwindSafe(|| python::dispatch(index, &req, rid))) {
        Ok(Outcome::Ready(resp)) => done(files::complete(resp, Some(parts.headers), head)),
        Ok(Outcome::Pending(pending)) => {
            let conds = file_conditions(state, index, parts.headers);
            Step::Later(Box::pin(async move {
                match pending.wait(state.handler_timeout).await {
                    Some(resp) => files::complete(resp, conds.as_deref(), head),
                    None => panicked(state, rid, Some(index)),
                }
            }))
        }
        Ok(Outcome::Pool(pending)) => {
            let conds = file_conditions(state, index, parts.headers);
            Step::Later(Box::pin(async move {
                match pending.wait(state.handler_timeout).await {
                    Some(resp) => files::complete(resp, conds.as_deref(), head),
                    None => panicked(state, rid, Some(index)),
                }
            }))
        }
        Err(_) => done(panicked(state, rid, Some(index))),
    }
}

/// The request headers a `FileResponse` answers from (conditionals,
/// ranges), kept for a handler that finishes later; only for routes
/// declared to return a `Response` (known at build time), so the others
/// keep nothing. A `FileResponse` from another route is sent whole.
fn file_conditions(state: &State, index: usize, headers: &HeaderMap) -> Option<Box<HeaderMap>> {
    if !matches!(
        state.app.routes[index].returns,
        crate::app::Returns::Response | crate::app::Returns::Wrap(_)
    ) {
        return None;
    }
    let mut kept = HeaderMap::new();
    for name in [
        hyper::header::RANGE,
        hyper::header::IF_RANGE,
        hyper::header::IF_NONE_MATCH,
        hyper::header::IF_MODIFIED_SINCE,
    ] {
        if let Some(v) = headers.get(&name) {
            kept.insert(name, v.clone());
        }
    }
    Some(Box::new(kept))
}

/// Reads a body up to the limit: 415 for a non-JSON `Content-Type` on a
/// JSON route (a missing one is taken as JSON), 413 past the limit, 408
/// when it does not arrive within the header-read timeout, 400 when it is
/// malformed on the wire or nested past the JSON depth limit.
async fn read_body(
    headers: &HeaderMap,
    mut body: Incoming,
    first: Option<Bytes>,
    state: &State,
    json: Json,
) -> Result<Bytes, Resp> {
    let read = match refused_before_reading(headers, &body, state, json) {
        Some(resp) => Err(resp),
        None if json == (Json::Form { files: true }) => {
            // A body that may be large: spooled to a file past 1 MiB.
            let mut spool = crate::spool::Spool::new();
            let started = match first {
                Some(f) if f.len() > limit(state, json) => Err(response::payload_too_large()),
                Some(f) => Sink::push(&mut spool, f).map_err(spool_failed),
                None => Ok(()),
            };
            match started {
                Ok(()) => {
                    let limit = limit(state, json);
                    collect_into(Pin::new(&mut body), spool, limit, state.body_timeout).await
                }
                Err(resp) => Err(resp),
            }
        }
        None => {
            collect(
                Pin::new(&mut body),
                first,
                limit(state, json),
                state.body_timeout,
            )
            .await
        }
    };
    match read {
        Ok(bytes)
            if json == (Json::Yes { guard: true }) && too_deep(&bytes, state.max_json_depth) =>
        {
            Err(response::json_too_deep(state.max_json_depth))
        }
        Err(resp)
            if matches!(resp.status().as_u16(), 413 | 415)
                && !body.is_end_stream()
                && !expects_continue(headers) =>
        {
            // Boxed: its timer would otherwise widen the future of every
            // request that reads a body (moved into its box each time).
            Box::pin(drain(&mut body, state.body_timeout)).await;
            Err(resp)
        }
        read => read,
    }
}

/// What a route's body is read as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Json {
    /// Raw bytes.
    No,
    /// JSON; `guard`: pre-scanned for nesting past `--max-json-depth`.
    Yes { guard: bool },
    /// A form (urlencoded or multipart), parsed by the route's decoder;
    /// `files`: it takes uploads, up to `--max-upload-size`.
    Form { files: bool },
}

/// Whether a JSON body whose declared type lets msgspec read `nesting`
/// levels at most (`None`: unbounded) is pre-scanned against the depth
/// limit (`0`: off). Where the type is bounded within the limit msgspec
/// answers by itself before the document gets deeper than the type, so the
/// answer stays msgspec's (`Expected `int`, got `array``) and the scan is
/// saved.
fn needs_guard(nesting: Option<u16>, limit: usize) -> bool {
    limit > 0 && nesting.is_none_or(|n| usize::from(n) > limit)
}

/// A 415 for a body that is not JSON where JSON is expected (or not a form
/// where a form is), or a 413 for
/// one whose declared length is past the limit: refused unread. The
/// declared length is the one hyper parsed from `Content-Length` (the
/// body's exact size hint), not looked up again.
fn refused_before_reading(
    headers: &HeaderMap,
    body: &Incoming,
    state: &State,
    json: Json,
) -> Option<Resp> {
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let refused = match json {
            Json::No => false,
            Json::Yes { .. } => !response::is_json_content_type(ct.as_bytes()),
            Json::Form { .. } => crate::form::kind(Some(ct.as_bytes())).is_none(),
        };
        if refused {
            return Some(response::unsupported_media_type());
        }
    }
    if let Some(len) = body.size_hint().exact()
        && len > limit(state, json) as u64
    {
        return Some(response::payload_too_large());
    }
    None
}

/// The body limit of a route: `--max-upload-size` where it takes uploaded
/// files, else `--max-body-size`.
fn limit(state: &State, json: Json) -> usize {
    match json {
        Json::Form { files: true } => state.max_upload,
        _ => state.max_body,
    }
}

/// The most of a refused body [`drain`] reads before giving up.
const DRAIN_MAX: usize = 32 << 20;

/// How long [`drain`] waits for the next piece of a refused body: a client
/// still sending has more on the way at once, one waiting for the answer
/// sends nothing.
const DRAIN_IDLE: Duration = Duration::from_millis(200);

/// Reads and drops what is left of a body refused before it was read (413,
/// 415), up to [`DRAIN_MAX`] bytes, within `timeout` (5 s when none), and
/// only while more keeps coming (see [`DRAIN_IDLE`]).
///
/// A client that sends its whole body before reading the answer (Python's
/// `http.client` and `urllib`, many scripts) would otherwise still be
/// writing when the server closes the connection: the kernel answers the
/// unread bytes with a reset, and the client sees a broken pipe instead of
/// the 413. A client that asked `Expect: 100-continue` is not drained: it
/// has sent nothing and reads the refusal first.
async fn drain(body: &mut Incoming, timeout: Option<Duration>) {
    let deadline = tokio::time::Instant::now() + timeout.unwrap_or(Duration::from_secs(5));
    let mut seen = 0usize;
    while !body.is_end_stream() && seen <= DRAIN_MAX {
        let at = deadline.min(tokio::time::Instant::now() + DRAIN_IDLE);
        match tokio::time::timeout_at(at, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                seen += frame.data_ref().map_or(0, Bytes::len);
            }
            _ => return,
        }
    }
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(hyper::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Collects a body of at most `limit` bytes, which must arrive within
/// `timeout` of the first time it is not all there; `first` is what was
/// already read of it. One data frame is returned as it is, without a copy.
async fn collect(
    body: Pin<&mut Incoming>,
    first: Option<Bytes>,
    limit: usize,
    timeout: Option<Duration>,
) -> Result<Bytes, Resp> {
    if first.as_ref().is_some_and(|f| f.len() > limit) {
        return Err(response::payload_too_large());
    }
    let sink = InMemory {
        first,
        more: Vec::new(),
    };
    collect_into(body, sink, limit, timeout).await
}

/// Where [`collect_into`] puts a body's frames.
trait Sink {
    /// Bytes taken so far.
    fn len(&self) -> usize;
    fn push(&mut self, data: Bytes) -> std::io::Result<()>;
    fn finish(self) -> std::io::Result<Bytes>;
}

/// A body in memory: one frame kept as it came, more copied together.
struct InMemory {
    first: Option<Bytes>,
    more: Vec<u8>,
}

impl Sink for InMemory {
    fn len(&self) -> usize {
        self.first.as_ref().map_or(0, Bytes::len) + self.more.len()
    }

    fn push(&mut self, data: Bytes) -> std::io::Result<()> {
        match &self.first {
            None if self.more.is_empty() => self.first = Some(data),
            _ => {
                if let Some(f) = self.first.take() {
                    self.more.reserve(f.len() + data.len());
                    self.more.extend_from_slice(&f);
                }
                self.more.extend_from_slice(&data);
            }
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<Bytes> {
        Ok(match self.first {
            Some(f) => f,
            None => Bytes::from(self.more),
        })
    }
}

/// A body that may be large (a route that takes uploads): past 1 MiB in a
/// temporary file (`spool.rs`); an error is the file's (a full disk).
impl Sink for crate::spool::Spool {
    fn len(&self) -> usize {
        crate::spool::Spool::len(self)
    }

    fn push(&mut self, data: Bytes) -> std::io::Result<()> {
        crate::spool::Spool::push(self, &data)
    }

    fn finish(self) -> std::io::Result<Bytes> {
        crate::spool::Spool::finish(self)
    }
}

#[cold]
fn spool_failed(e: std::io::Error) -> Resp {
    tracing::error!("an upload could not be written to a temporary file: {e}; answered 500");
    response::internal_error()
}

/// Reads the rest of a body into `sink`: 413 past `limit`, 408 when it
/// does not arrive within `timeout` of the first time it is not all there.
async fn collect_into<S: Sink>(
    mut body: Pin<&mut Incoming>,
    mut sink: S,
    limit: usize,
    timeout: Option<Duration>,
) -> Result<Bytes, Resp> {
    let mut deadline: Option<tokio::time::Instant> = None;
    while !body.is_end_stream() {
        let ready = std::future::poll_fn(|cx| Poll::Ready(body.as_mut().poll_frame(cx))).await;
        let frame = match (ready, timeout) {
            (Poll::Ready(f), _) => f,
            (Poll::Pending, None) => body.frame().await,
            (Poll::Pending, Some(t)) => {
                let at = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + t);
                match tokio::time::timeout_at(at, body.frame()).await {
                    Ok(f) => f,
                    Err(_) => return Err(response::request_timeout()),
                }
            }
        };
        let data = match frame {
            None => break,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                // Trailers: nothing to keep.
                Err(_) => continue,
            },
            Some(Err(_)) => return Err(unreadable_body()),
        };
        if sink.len() + data.len() > limit {
            return Err(response::payload_too_large());
        }
        sink.push(data).map_err(spool_failed)?;
    }
    sink.finish().map_err(spool_failed)
}

/// 400 for a body that broke off or was malformed on the wire (bad chunked
/// framing); the connection closes after it.
fn unreadable_body() -> Resp {
    response::closing(response::bad_request("Could not read the request body"))
}

/// Whether JSON text nests arrays and objects deeper than `limit`. Cheap
/// for ordinary bodies: a body with at most `limit` brackets cannot be too
/// deep, and counting them is a vectorised pass.
pub(crate) fn too_deep(json: &[u8], limit: usize) -> bool {
    if json.len() <= limit {
        return false;
    }
    let opens = json.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if opens <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The metrics and probe paths, when `path` is one of them.
#[cold]
fn builtin(
    state: &State,
    b: &super::Builtin,
    path: &str,
    route: &Cell<Option<usize>>,
) -> Option<Resp> {
    const JSON: HeaderValue = HeaderValue::from_static("application/json");
    let is = |p: &Option<Box<str>>| p.as_deref() == Some(path);
    if is(&b.metrics)
        && let Some(m) = &state.metrics
    {
        route.set(Some(METRICS));
        return Some(metrics_response(m));
    }
    if is(&b.health) {
        route.set(Some(METRICS));
        let body = Bytes::from_static(br#"{"status":"ok"}"#);
        return Some(response::with_body(StatusCode::OK, Some(JSON), body));
    }
    if is(&b.ready) {
        route.set(Some(METRICS));
        return Some(if super::stopping() {
            let body = Bytes::from_static(br#"{"status":"stopping"}"#);
            response::with_body(StatusCode::SERVICE_UNAVAILABLE, Some(JSON), body)
        } else {
            let body = Bytes::from_static(br#"{"status":"ready"}"#);
            response::with_body(StatusCode::OK, Some(JSON), body)
        });
    }
    None
}

fn metrics_response(m: &crate::metrics::Metrics) -> Resp {
    const PROMETHEUS: HeaderValue =
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    response::with_body(StatusCode::OK, Some(PROMETHEUS), Bytes::from(m.render()))
}

/// Serves the metrics endpoint on `--metrics-port`.
pub(super) async fn serve_metrics(listener: TcpListener) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let conn = builder.serve_connection(
            TokioIo::new(stream),
            service_fn(|req: Request<Incoming>| async move {
                let state = state();
                let resp = match &state.metrics {
                    Some(m) if req.uri().path() == &*state.metrics_port_path => metrics_response(m),
                    _ => response::not_found(),
                };
                Ok::<_, Infallible>(*resp)
            }),
        );
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{needs_guard, too_deep};

    #[test]
    fn the_guard_runs_where_the_type_does_not_bound_nesting() {
        // Unbounded (recursive, `Any`, skipped values): scanned.
        assert!(needs_guard(None, 256));
        // Bounded within the limit: msgspec answers first.
        assert!(!needs_guard(Some(0), 256));
        assert!(!needs_guard(Some(256), 256));
        // Bounded past the limit: the limit still applies.
        assert!(needs_guard(Some(257), 256));
        // `--max-json-depth 0`: never.
        assert!(!needs_guard(None, 0));
    }

    #[test]
    fn json_depth() {
        assert!(!too_deep(br#"{"a":[1,{"b":[]}]}"#, 4));
        assert!(too_deep(br#"{"a":[1,{"b":[]}]}"#, 3));
        // Brackets inside strings do not count.
        assert!(!too_deep(br#"["[[[[\"[[[", "{{{{"]"#, 1));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(too_deep(deep.as_bytes(), 128));
        assert!(!too_deep(deep.as_bytes(), 200));
    }
}
