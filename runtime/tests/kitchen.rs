//! The rest of the runtime's behaviour over real sockets: async handlers
//! that suspend (without blocking others), exceptions, `HTTPException`,
//! every return kind, parameter sources, `Request`, bodies and limits.
//!
//! Serves `tests/apps/kitchen_app.py`, compiled by `prebake::app!`, in this
//! test process.

mod common;

prebake_macros::app!("tests/apps/kitchen_app.py");

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Conn, assert_response, get, request};

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        prebake::__private::spawn(&APP, "127.0.0.1:0".parse().unwrap()).expect("server starts")
    })
}

const INTERNAL: &str = r#"{"status_code":500,"detail":"Internal Server Error"}"#;

#[test]
fn sleeping_handlers_do_not_block_each_other() {
    let addr = server();
    // Warm up (first asyncio use, connection set-up).
    assert_response(&get(addr, "/sleep?ms=1"), 200, r#"{"slept":1}"#);
    let start = Instant::now();
    let sleepers: Vec<_> = (0..10)
        .map(|_| std::thread::spawn(move || get(addr, "/sleep?ms=50")))
        .collect();
    // While they sleep, a sync endpoint and a non-suspending async one answer at once.
    std::thread::sleep(Duration::from_millis(10));
    let t = Instant::now();
    assert_response(&get(addr, "/things/1"), 200, r#"{"id":1}"#);
    assert_response(&get(addr, "/fast-async"), 200, "fast");
    let quick = t.elapsed();
    for s in sleepers {
        assert_response(&s.join().unwrap(), 200, r#"{"slept":50}"#);
    }
    let total = start.elapsed();
    assert!(total >= Duration::from_millis(50), "{total:?}");
    assert!(
        total < Duration::from_millis(250),
        "10 concurrent 50 ms sleeps took {total:?}"
    );
    assert!(
        quick < Duration::from_millis(40),
        "the sync endpoint waited {quick:?}"
    );
}

#[test]
fn sleeping_handlers_on_one_pipelined_connection() {
    let mut conn = Conn::open(server());
    let mut batch = Vec::new();
    for ms in [30, 1, 20] {
        batch.extend(common::raw("GET", &format!("/sleep?ms={ms}"), &[], b""));
    }
    conn.send(&batch);
    for ms in [30, 1, 20] {
        assert_response(&conn.read(false), 200, &format!(r#"{{"slept":{ms}}}"#));
    }
}

#[test]
fn exception_is_500_and_server_keeps_serving() {
    let mut conn = Conn::open(server());
    assert_response(&conn.get("/boom"), 500, INTERNAL);
    assert_response(&conn.get("/things/2"), 200, r#"{"id":2}"#);
    assert_response(&get(server(), "/async-boom"), 500, INTERNAL);
    assert_response(&get(server(), "/things/3"), 200, r#"{"id":3}"#);
}

#[test]
fn http_exception() {
    let r = get(server(), "/teapot");
    assert_response(
        &r,
        418,
        r#"{"status_code":418,"detail":{"why":"short and stout"}}"#,
    );
    assert_eq!(r.header("x-teapot"), Some("yes"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Raised from an async handler on the fast path; detail defaults to the phrase.
    assert_response(
        &get(server(), "/forbidden"),
        403,
        r#"{"status_code":403,"detail":"Forbidden"}"#,
    );
}

#[test]
fn return_type_mismatch_is_500() {
    assert_response(&get(server(), "/wrong-type"), 500, INTERNAL);
}

#[test]
fn return_kinds() {
    let r = get(server(), "/bytes");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"\x00\x01"[..]));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));

    let r = get(server(), "/custom");
    assert_response(&r, 202, "<b>hi</b>");
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("x-custom"), Some("1"));

    let r = request(server(), "DELETE", "/things/9", &[], b"");
    assert_eq!(
        (r.status, r.body.len(), r.header("content-type")),
        (204, 0, None)
    );

    let r = request(server(), "PUT", "/things/9", &[], b"");
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, HEAD, DELETE"))
    );

    assert_response(
        &get(server(), "/big?n=123456789012345678901234567890"),
        200,
        "123456789012345678901234567890",
    );
    assert_response(&get(server(), "/maybe"), 200, "null");
    assert_response(&get(server(), "/maybe?n=NULL"), 200, "null");
    assert_response(&get(server(), "/maybe?n=3.0"), 200, "3");
}

#[test]
fn json_bytes_match_msgspec() {
    for (target, expr) in [
        ("/unicode", r#"{"text": 'héllo "quoted"\n\t\x01 😀 \\'}"#),
        (
            "/floats",
            r#"[0.1, 1e16, 1e-7, float("nan"), 3, -0.0, 1e22]"#,
        ),
    ] {
        let want = common::python(&format!(
            "import msgspec, sys; sys.stdout.buffer.write(msgspec.json.encode({expr}))"
        ));
        assert_response(&get(server(), target), 200, &want);
    }
}

#[test]
fn query_header_cookie() {
    let headers = [("x-id", "7"), ("cookie", "a=1; session=\"s1\"")];
    let r = request(
        server(),
        "GET",
        "/search?q=hi+there&n=4&flag=TRUE&ratio=1e-2&ids=1&ids=2&code=zz",
        &headers,
        b"",
    );
    assert_response(
        &r,
        200,
        r#"{"q":"hi there","n":4,"flag":true,"ratio":0.01,"ids":[1,2],"x_id":7,"session":"s1","code":"zz"}"#,
    );
    let r = get(server(), "/search?q=x&ratio=null");
    assert_response(
        &r,
        200,
        r#"{"q":"x","n":3,"flag":false,"ratio":null,"ids":[],"x_id":0,"session":null,"code":"abc"}"#,
    );
}

#[test]
fn parameter_errors() {
    let check = |target: &str, headers: &[(&str, &str)], message: &str, key: &str, source: &str| {
        let r = request(server(), "GET", target, headers, b"");
        let want = format!(
            r#"{{"status_code":400,"detail":"Validation failed for GET {target}","extra":[{{"message":"{message}","key":"{key}","source":"{source}"}}]}}"#
        );
        assert_response(&r, 400, &want);
    };
    check(
        "/search",
        &[],
        "Missing required query parameter `q`",
        "q",
        "query",
    );
    check(
        "/search?q=x&n=11",
        &[],
        "Expected `int` <= 10",
        "n",
        "query",
    );
    check(
        "/search?q=x&flag=yes",
        &[],
        "Expected `bool`, got `str`",
        "flag",
        "query",
    );
    check(
        "/search?q=x&ratio=abc",
        &[],
        "Expected `float | null`, got `str`",
        "ratio",
        "query",
    );
    check(
        "/search?q=x&ids=1&ids=x",
        &[],
        "Expected `int`, got `str`",
        "ids[1]",
        "query",
    );
    check(
        "/search?q=x&code=A1",
        &[],
        "Expected `str` matching regex '^[a-z]+$'",
        "code",
        "query",
    );
    check(
        "/search?q=x",
        &[("x-id", "seven")],
        "Expected `int`, got `str`",
        "x-id",
        "header",
    );
    check(
        "/things/x",
        &[],
        "Expected `int`, got `str`",
        "thing_id",
        "path",
    );
}

#[test]
fn percent_encoded_path_params() {
    assert_response(
        &get(server(), "/echo/h%C3%A9llo%20w%2Fx+y"),
        200,
        "héllo w/x+y",
    );
    assert_response(&get(server(), "/files/a/b%20c/d.txt"), 200, "a/b c/d.txt");
    assert_response(&get(server(), "/files/"), 200, "");
}

#[test]
fn request_parameter() {
    let r = request(
        server(),
        "POST",
        "/echo?a=1&b",
        &[("content-type", "text/plain")],
        b"hello",
    );
    assert_response(
        &r,
        200,
        r#"{"method":"POST","path":"/echo","query":"a=1&b","body":"hello","ct":"text/plain"}"#,
    );
}

#[test]
fn body_validation_paths() {
    let json = ("content-type", "application/json");
    let r = request(
        server(),
        "POST",
        "/orders",
        &[json],
        br#"{"items":[{"name":"a","price":1}]}"#,
    );
    assert_response(
        &r,
        201,
        r#"{"items":[{"name":"a","price":1.0,"tags":[]}],"note":null}"#,
    );
    let r = request(
        server(),
        "POST",
        "/orders",
        &[json],
        br#"{"items":[{"name":"a","price":"x"}]}"#,
    );
    assert_response(
        &r,
        400,
        r#"{"status_code":400,"detail":"Validation failed for POST /orders","extra":[{"message":"Expected `float`, got `str`","key":"items[0].price","source":"body"}]}"#,
    );
}

#[test]
fn app_body_limit() {
    // kitchen_app sets App(max_body_size=256).
    let json = ("content-type", "application/json");
    let big = format!(r#"{{"items":[],"note":"{}"}}"#, "x".repeat(300));
    let r = request(server(), "POST", "/orders", &[json], big.as_bytes());
    assert_response(
        &r,
        413,
        r#"{"status_code":413,"detail":"Request Entity Too Large"}"#,
    );
    let r = request(server(), "POST", "/echo", &[], &[b'x'; 257]);
    assert_eq!(r.status, 413);
    let r = request(server(), "POST", "/echo", &[], &[b'x'; 256]);
    assert_eq!(r.status, 200);
}

#[test]
fn background_task_from_the_fast_path_runs() {
    assert_response(&get(server(), "/spawn"), 200, "spawned");
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let r = get(server(), "/background");
        if r.text() != "[]" {
            assert_eq!(r.text(), r#"["done"]"#);
            break;
        }
        assert!(Instant::now() < deadline, "the background task never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn to_thread_wakes_the_loop() {
    let addr = server();
    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || get(addr, "/thread")))
        .collect();
    for t in threads {
        assert_response(&t.join().unwrap(), 200, "threaded");
    }
}

#[test]
fn msgspec_conversions_for_other_types() {
    // A header or cookie is one string (PB027 refuses lists): the first
    // `x-tag` and the last `seen` cookie count (docs/decisions.md).
    let headers = [
        ("x-tag", "a"),
        ("x-tag", "b"),
        ("cookie", "seen=1; x=2"),
        ("cookie", "seen=\"3\""),
    ];
    let r = request(
        server(),
        "GET",
        "/pick?color=red&size=l&sizes=s&sizes=l",
        &headers,
        b"",
    );
    assert_response(
        &r,
        200,
        r#"{"color":"red","size":"l","sizes":["s","l"],"tag":"a","seen":3}"#,
    );
    let check = |target: &str, message: &str, key: &str| {
        let want = format!(
            r#"{{"status_code":400,"detail":"Validation failed for GET {target}","extra":[{{"message":"{message}","key":"{key}","source":"query"}}]}}"#
        );
        assert_response(&get(server(), target), 400, &want);
    };
    check("/pick?color=blue", "Invalid enum value 'blue'", "color");
    check("/pick?color=red&size=m", "Invalid enum value 'm'", "size");
    check(
        "/pick?color=red&sizes=s&sizes=x",
        "Invalid enum value 'x'",
        "sizes[1]",
    );
    check("/pick", "Missing required query parameter `color`", "color");
}

#[test]
fn sibling_module_imported_both_ways() {
    // kitchen_app asserts at import that `import kitchen_shapes` and
    // `from .kitchen_shapes import Shape` agree; the model encodes.
    assert_response(
        &get(server(), "/shape"),
        200,
        r#"{"kind":"circle","size":2}"#,
    );
}
