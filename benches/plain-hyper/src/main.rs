//! The ceiling `cargo xtask bench` measures prebake against: the four
//! endpoints of `examples/hello/app.py` served by hyper 1.x on tokio, with no
//! Python and no code generation.
//!
//! A ceiling slower than it needs to be flatters every ratio, so it is as
//! lean as a hand-written hyper server reasonably gets while giving the same
//! answers: one current-thread tokio runtime, HTTP/1.1 keep-alive, one
//! write per batch of pipelined responses (`pipeline_flush`), no writev,
//! `TCP_NODELAY`, and nothing else per request: no timer (hyper's
//! `header_read_timeout` re-arms one per request, about 1,500 instructions),
//! no body limit wrapper (a declared length past 1 MiB is refused from the
//! head; the body is taken as the one frame it usually is), the `User`
//! borrowed from the body rather than copied. The responses are the same
//! bytes with the same status codes and headers as prebake's (`content-type`,
//! `content-length`, `date` by hyper, `server: prebake`); JSON is written per
//! request with serde_json and `/validate` really parses and validates its
//! body (types, unknown fields, `1 <= len(name) <= 64`, `0 <= age <= 150`),
//! answering errors in the same Litestar shape as prebake.
//!
//! `--style example` serves the same handlers set up as hyper's own examples
//! do (its hello example, on the current-thread runtime of its
//! single-threaded example, as the server is pinned to one core):
//! `http1::Builder` defaults, a spawned task per connection. It is the
//! comparison that chose the lean set-up (figures in `bench/README.md`).
//!
//! Usage: `plain-hyper [--host H] [--port P] [--style lean|example]`
//! (default 127.0.0.1:8000, lean).

use std::convert::Infallible;
use std::net::SocketAddr;

use std::borrow::Cow;

use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

/// The allocator prebake's runtime uses: glibc's malloc cost this server
/// ~40% more instructions in its five or so allocations per request.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

type Resp = Response<Full<Bytes>>;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// prebake's default `Server` header, so that the answers are the same bytes.
const SERVER_NAME: HeaderValue = HeaderValue::from_static("prebake");
/// The largest request body accepted (prebake's default too).
const MAX_BODY: usize = 1 << 20;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize)]
struct UserId {
    id: i64,
}

/// The hello app's `User` Struct (`forbid_unknown_fields=True`), its strings
/// borrowed from the body unless they hold escapes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct User<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    age: i64,
    #[serde(default, borrow)]
    email: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status_code: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<[Extra<'a>; 1]>,
}

#[derive(Serialize)]
struct Extra<'a> {
    message: &'a str,
    key: &'a str,
    source: &'a str,
}

fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let mut example = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--host", Some(h)) => host = h,
            ("--port", Some(p)) => port = p.parse().expect("--port takes a number"),
            ("--style", Some(s)) if s == "lean" || s == "example" => example = s == "example",
            _ => {
                eprintln!("usage: plain-hyper [--host H] [--port P] [--style lean|example]");
                std::process::exit(2);
            }
        }
    }
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .expect("--host takes an IP address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if example {
        runtime.block_on(serve_example(addr));
    } else {
        runtime.block_on(serve(addr));
    }
}

/// Set up as hyper's hello example does: defaults throughout.
async fn serve_example(addr: SocketAddr) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    eprintln!("plain-hyper: listening on http://{addr} (hyper's example set-up)");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}

async fn serve(addr: SocketAddr) {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .expect("socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).expect("bind");
    let listener = socket.listen(1024).expect("listen");
    eprintln!("plain-hyper: listening on http://{addr}");
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).pipeline_flush(true).writev(false);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("plain-hyper: accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = builder.serve_connection(TokioIo::new(stream), service_fn(handle));
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

async fn handle(req: Request<Incoming>) -> Result<Resp, Infallible> {
    let path = req.uri().path();
    let get = matches!(*req.method(), Method::GET | Method::HEAD);
    Ok(match path {
        "/plaintext" if get => {
            with_body(StatusCode::OK, TEXT, Bytes::from_static(b"Hello, World!"))
        }
        "/json" if get => json(
            StatusCode::OK,
            &Message {
                message: "Hello, World!",
            },
        ),
        "/validate" if req.method() == Method::POST => validate(req).await,
        "/plaintext" | "/json" => method_not_allowed("GET, HEAD"),
        "/validate" => method_not_allowed("POST"),
        _ => match path.strip_prefix("/user/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                if get {
                    get_user(&req, id)
                } else {
                    method_not_allowed("GET, HEAD")
                }
            }
            _ => error(StatusCode::NOT_FOUND, "Not Found"),
        },
    })
}

fn get_user(req: &Request<Incoming>, id: &str) -> Resp {
    match id.parse::<i64>() {
        Ok(id) => json(StatusCode::OK, &UserId { id }),
        Err(_) => invalid(req, "Expected `int`, got `str`", "user_id", "path"),
    }
}

async fn validate(req: Request<Incoming>) -> Resp {
    if let Some(ct) = req.headers().get(CONTENT_TYPE)
        && !ct.as_bytes().starts_with(b"application/json")
    {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type");
    }
    if req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY)
    {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    }
    let (parts, mut body) = req.into_parts();
    let body = match read_body(&mut body).await {
        Some(b) => b,
        None => return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let head = Request::from_parts(parts, ());
    let user: User = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) if e.is_data() => return invalid(&head, &e.to_string(), "", "body"),
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let len = user.name.chars().count();
    let problem = if len < 1 {
        Some(("Expected `str` of length >= 1", "name"))
    } else if len > 64 {
        Some(("Expected `str` of length <= 64", "name"))
    } else if user.age < 0 {
        Some(("Expected `int` >= 0", "age"))
    } else if user.age > 150 {
        Some(("Expected `int` <= 150", "age"))
    } else {
        None
    };
    match problem {
        Some((message, key)) => invalid(&head, message, key, "body"),
        None => json(StatusCode::CREATED, &user),
    }
}

/// The body, at most [`MAX_BODY`] bytes (`None` past it): its first frame
/// as it is when that is all of it, the usual case.
async fn read_body(body: &mut Incoming) -> Option<Bytes> {
    let first = match body.frame().await {
        Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    };
    if body.is_end_stream() {
        return (first.len() <= MAX_BODY).then_some(first);
    }
    let mut all = first.to_vec();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            all.extend_from_slice(&data);
            if all.len() > MAX_BODY {
                return None;
            }
        }
    }
    Some(Bytes::from(all))
}

fn with_body(status: StatusCode, content_type: HeaderValue, body: Bytes) -> Resp {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert(SERVER, SERVER_NAME);
    resp
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Resp {
    let body = serde_json::to_vec(value).expect("serialisable");
    with_body(status, JSON, Bytes::from(body))
}

fn error(status: StatusCode, detail: &str) -> Resp {
    json(
        status,
        &ErrorBody {
            status_code: status.as_u16(),
            detail,
            extra: None,
        },
    )
}

fn method_not_allowed(allow: &'static str) -> Resp {
    let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    resp.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    resp
}

/// A 400 in the validation shape: `Validation failed for <METHOD> <target>`.
fn invalid<B>(req: &Request<B>, message: &str, key: &str, source: &str) -> Resp {
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path(), |pq| pq.as_str());
    let detail = format!("Validation failed for {} {target}", req.method());
    json(
        StatusCode::BAD_REQUEST,
        &ErrorBody {
            status_code: 400,
            detail: &detail,
            extra: Some([Extra {
                message,
                key,
                source,
            }]),
        },
    )
}
