//! The ceiling `cargo xtask bench` measures prebake against: the four
//! endpoints of `examples/hello/app.py` served by hyper 1.x on tokio, with no
//! Python and no code generation.
//!
//! It is set up the way prebake's runtime serves (one current-thread tokio
//! runtime, HTTP/1.1 keep-alive, pipeline flush, no writev, `TCP_NODELAY`, a
//! 30 s header-read timeout, a listen backlog of 1024), so that the
//! difference between the two is what prebake adds: the generated router,
//! decoders and encoders and the call into CPython. The responses are the
//! same bytes with the same status codes and headers (`content-type`,
//! `content-length`, `date`); JSON is written per request with serde_json and
//! `/validate` really parses and validates its body (types, unknown fields,
//! `1 <= len(name) <= 64`, `0 <= age <= 150`), answering errors in the same
//! Litestar shape as prebake.
//!
//! Usage: `plain-hyper [--host H] [--port P]` (default 127.0.0.1:8000).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};

type Resp = Response<Full<Bytes>>;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
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

/// The hello app's `User` Struct (`forbid_unknown_fields=True`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct User {
    name: String,
    age: i64,
    #[serde(default)]
    email: Option<String>,
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
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--host", Some(h)) => host = h,
            ("--port", Some(p)) => port = p.parse().expect("--port takes a number"),
            _ => {
                eprintln!("usage: plain-hyper [--host H] [--port P]");
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
    runtime.block_on(serve(addr));
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
    builder
        .keep_alive(true)
        .pipeline_flush(true)
        .writev(false)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("plain-hyper: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
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
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
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

fn with_body(status: StatusCode, content_type: HeaderValue, body: Bytes) -> Resp {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, content_type);
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
