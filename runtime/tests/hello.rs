//! The hello example (`examples/hello/app.py`) over real sockets: every
//! endpoint, every error status with its exact body, HEAD, 405 + `Allow`,
//! body limits, keep-alive and pipelining.
//!
//! The server runs in this test process on a background thread (one
//! interpreter per process), serving the app compiled by `prebake::app!`,
//! the code generator `cargo xtask build` runs.

prebake_macros::app!("../examples/hello/app.py");

use std::net::SocketAddr;
use std::sync::OnceLock;

use prebake_testkit::{Conn, assert_response, get, raw, request};

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        prebake::__private::spawn(&APP, "127.0.0.1:0".parse().unwrap()).expect("server starts")
    })
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn plaintext() {
    let r = get(server(), "/plaintext");
    assert_response(&r, 200, "Hello, World!");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("content-length"), Some("13"));
}

#[test]
fn json() {
    let r = get(server(), "/json");
    assert_response(&r, 200, r#"{"message":"Hello, World!"}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn path_param() {
    assert_response(&get(server(), "/user/42"), 200, r#"{"id":42}"#);
    assert_response(&get(server(), "/user/-7"), 200, r#"{"id":-7}"#);
    // Percent-encoded, then converted as msgspec.convert("42", int, strict=False).
    assert_response(&get(server(), "/user/%34%32"), 200, r#"{"id":42}"#);
    assert_response(&get(server(), "/user/1e3"), 200, r#"{"id":1000}"#);
}

#[test]
fn path_param_invalid() {
    assert_response(
        &get(server(), "/user/abc"),
        400,
        r#"{"status_code":400,"detail":"Validation failed for GET /user/abc","extra":[{"message":"Expected `int`, got `str`","key":"user_id","source":"path"}]}"#,
    );
    assert_response(
        &get(server(), "/user/4%202?x=1"),
        400,
        r#"{"status_code":400,"detail":"Validation failed for GET /user/4%202?x=1","extra":[{"message":"Expected `int`, got `str`","key":"user_id","source":"path"}]}"#,
    );
}

#[test]
fn validate_created() {
    let r = request(
        server(),
        "POST",
        "/validate",
        &[JSON],
        br#"{"name": "Ada", "age": 36}"#,
    );
    assert_response(&r, 201, r#"{"name":"Ada","age":36,"email":null}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = request(
        server(),
        "POST",
        "/validate",
        &[JSON],
        br#"{"name":"Ada","age":42}"#,
    );
    assert_response(&r, 201, r#"{"name":"Ada","age":42,"email":null}"#);
    // A missing Content-Type is taken as JSON; parameters and +json are JSON.
    let r = request(
        server(),
        "POST",
        "/validate",
        &[],
        br#"{"name":"B","age":1,"email":"b@x"}"#,
    );
    assert_response(&r, 201, r#"{"name":"B","age":1,"email":"b@x"}"#);
    let ct = ("content-type", "application/vnd.user+json; charset=utf-8");
    assert_eq!(
        request(
            server(),
            "POST",
            "/validate",
            &[ct],
            br#"{"name":"C","age":2}"#
        )
        .status,
        201
    );
}

#[test]
fn validate_errors() {
    let post = |body: &[u8]| request(server(), "POST", "/validate", &[JSON], body);
    let shape = |message: &str, key: &str| {
        format!(
            r#"{{"status_code":400,"detail":"Validation failed for POST /validate","extra":[{{"message":"{message}","key":"{key}","source":"body"}}]}}"#
        )
    };
    assert_response(
        &post(br#"{"name": "", "age": 36}"#),
        400,
        &shape("Expected `str` of length >= 1", "name"),
    );
    assert_response(
        &post(br#"{"name": "A", "age": 200}"#),
        400,
        &shape("Expected `int` <= 150", "age"),
    );
    assert_response(
        &post(br#"{"name":"Ada","age":151}"#),
        400,
        &shape("Expected `int` <= 150", "age"),
    );
    assert_response(
        &post(br#"{"name":"Ada","age":-1}"#),
        400,
        &shape("Expected `int` >= 0", "age"),
    );
    assert_response(
        &post(br#"{"name": "A", "age": "36"}"#),
        400,
        &shape("Expected `int`, got `str`", "age"),
    );
    assert_response(
        &post(br#"{"name": "A"}"#),
        400,
        &shape("Object missing required field `age`", "user"),
    );
    assert_response(
        &post(br#"{"age":4}"#),
        400,
        &shape("Object missing required field `name`", "user"),
    );
    assert_response(
        &post(br#"{"name": "A", "age": 1, "x": 1}"#),
        400,
        &shape("Object contains unknown field `x`", "user"),
    );
    assert_response(
        &post(b"[]"),
        400,
        &shape("Expected `object`, got `array`", "user"),
    );
}

#[test]
fn invalid_json() {
    // msgspec is the oracle for the DecodeError text.
    for body in [
        "{\"name\":",
        "nope",
        "",
        "{\"name\":\"A\",\"age\":1} x",
        "{\"name\": \"\\ud800\"",
    ] {
        let detail = prebake_testkit::python(
            env!("PREBAKE_PYTHON"),
            &format!(
                "import msgspec\ntry: msgspec.json.decode({body:?}.encode())\nexcept msgspec.DecodeError as e: print(e)"
            ),
        );
        let r = request(server(), "POST", "/validate", &[JSON], body.as_bytes());
        let want = format!(r#"{{"status_code":400,"detail":"{detail}"}}"#);
        assert_response(&r, 400, &want);
    }
    // The messages themselves, as msgspec 0.22 words them.
    for (body, detail) in [
        (
            r#"{"name":"Ada","age":42}xx"#,
            "JSON is malformed: trailing characters (byte 24)",
        ),
        (r#"{"name":"Ada""#, "Input data was truncated"),
        ("", "Input data was truncated"),
    ] {
        let r = request(server(), "POST", "/validate", &[JSON], body.as_bytes());
        let want = format!(r#"{{"status_code":400,"detail":"{detail}"}}"#);
        assert_response(&r, 400, &want);
    }
}

#[test]
fn unsupported_media_type() {
    let r = request(
        server(),
        "POST",
        "/validate",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=A&age=1",
    );
    assert_response(
        &r,
        415,
        r#"{"status_code":415,"detail":"Unsupported Media Type"}"#,
    );
    let r = request(
        server(),
        "POST",
        "/validate",
        &[("content-type", "text/plain")],
        br#"{"name":"Ada","age":42}"#,
    );
    assert_response(
        &r,
        415,
        r#"{"status_code":415,"detail":"Unsupported Media Type"}"#,
    );
    let r = request(
        server(),
        "POST",
        "/validate",
        &[("content-type", "application/json; charset=utf-8")],
        br#"{"name":"Ada","age":42}"#,
    );
    assert_eq!(r.status, 201);
}

#[test]
fn body_too_large() {
    // The default limit is 1 MiB: a declared length past it is refused unread.
    let mut conn = Conn::open(server());
    conn.send(b"POST /validate HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 1048577\r\n\r\n");
    assert_response(
        &conn.read(false),
        413,
        r#"{"status_code":413,"detail":"Request Entity Too Large"}"#,
    );
    // A chunked body that grows past the limit is cut off too.
    let mut conn = Conn::open(server());
    conn.send(b"POST /validate HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent <= 1 << 20 {
        conn.send(format!("{:x}\r\n", chunk.len()).as_bytes());
        conn.send(&chunk);
        conn.send(b"\r\n");
        sent += chunk.len();
    }
    assert_eq!(conn.read(false).status, 413);
    // A client that writes the whole body before it reads (Python's
    // http.client does) gets the 413 too, not a reset mid-write: the
    // server reads and drops the rest of the body before it closes.
    for _ in 0..3 {
        let mut conn = Conn::open(server());
        let mut req = b"POST /validate HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 2097152\r\n\r\n".to_vec();
        req.resize(req.len() + 2_097_152, b' ');
        conn.send(&req);
        assert_response(
            &conn.read(false),
            413,
            r#"{"status_code":413,"detail":"Request Entity Too Large"}"#,
        );
    }
}

#[test]
fn not_found() {
    for target in [
        "/nope",
        "/user/",
        "/user/1/2",
        "/user/1/extra",
        "/plaintext//",
        "/",
    ] {
        assert_response(
            &get(server(), target),
            404,
            r#"{"status_code":404,"detail":"Not Found"}"#,
        );
    }
    // One trailing slash finds the route without it.
    assert_response(&get(server(), "/plaintext/"), 200, "Hello, World!");
}

#[test]
fn method_not_allowed() {
    let r = request(server(), "DELETE", "/json", &[], b"");
    assert_response(
        &r,
        405,
        r#"{"status_code":405,"detail":"Method Not Allowed"}"#,
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = request(server(), "GET", "/validate", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    let r = request(server(), "PROPFIND", "/user/1", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    let r = request(server(), "HEAD", "/validate", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
}

#[test]
fn head_serves_get_without_body() {
    let mut conn = Conn::open(server());
    let r = conn.request("HEAD", "/json", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-length"), Some("27"));
    assert!(r.body.is_empty());
    // The connection is still in sync: no body bytes were sent.
    assert_response(&conn.get("/plaintext"), 200, "Hello, World!");
    let r = conn.request("HEAD", "/user/5", &[], b"");
    assert_eq!((r.status, r.header("content-length")), (200, Some("8")));
    let r = conn.request("HEAD", "/plaintext", &[], b"");
    assert_eq!((r.status, r.header("content-length")), (200, Some("13")));
    assert!(r.body.is_empty());
}

#[test]
fn keep_alive() {
    let mut conn = Conn::open(server());
    for i in 0..20 {
        let r = conn.get(&format!("/user/{i}"));
        assert_response(&r, 200, &format!(r#"{{"id":{i}}}"#));
    }
    assert_response(
        &conn.get("/nope"),
        404,
        r#"{"status_code":404,"detail":"Not Found"}"#,
    );
    assert_response(&conn.get("/plaintext"), 200, "Hello, World!");
    let r = conn.request("POST", "/validate", &[JSON], br#"{"name":"A","age":1}"#);
    assert_eq!(r.status, 201);
    assert_response(&conn.get("/json"), 200, r#"{"message":"Hello, World!"}"#);
}

#[test]
fn pipelining() {
    let mut conn = Conn::open(server());
    let mut batch = Vec::new();
    batch.extend(raw("GET", "/plaintext", &[], b""));
    batch.extend(raw("GET", "/user/7", &[], b""));
    batch.extend(raw(
        "POST",
        "/validate",
        &[JSON],
        br#"{"name":"P","age":3}"#,
    ));
    batch.extend(raw("HEAD", "/json", &[], b""));
    batch.extend(raw("GET", "/nope", &[], b""));
    batch.extend(raw("GET", "/json", &[], b""));
    conn.send(&batch);
    assert_response(&conn.read(false), 200, "Hello, World!");
    assert_response(&conn.read(false), 200, r#"{"id":7}"#);
    assert_response(
        &conn.read(false),
        201,
        r#"{"name":"P","age":3,"email":null}"#,
    );
    let head = conn.read(true);
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(conn.read(false).status, 404);
    assert_response(&conn.read(false), 200, r#"{"message":"Hello, World!"}"#);
}
