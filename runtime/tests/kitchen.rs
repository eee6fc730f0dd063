//! Everything else the runtime must get right, over real sockets: async
//! handlers that suspend (without blocking others), exceptions,
//! `HTTPException`, every return kind, every parameter source and its lax
//! conversion, `Request`, bodies and limits, routing precedence, threads.
//!
//! Serves `tests/apps/kitchen/app.py`, compiled by `prebake::app!`, in this
//! test process.

prebake_macros::app!("../tests/apps/kitchen/app.py");

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use prebake_testkit::client::post_json;
use prebake_testkit::{Conn, assert_response, get, raw, request};
use serde_json::json;

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
    assert_response(&get(addr, "/fast-async"), 200, "no suspension");
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
        batch.extend(raw("GET", &format!("/sleep?ms={ms}"), &[], b""));
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
    let r = get(server(), "/teapot/object");
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
    // A string detail and the handler's headers.
    let r = get(server(), "/teapot");
    assert_response(&r, 418, r#"{"status_code":418,"detail":"short and stout"}"#);
    assert_eq!(r.header("x-brew"), Some("earl grey"));
    // The runtime frames the body it writes (a handler's Content-Length
    // would contradict it); a Content-Type replaces the runtime's.
    let r = get(server(), "/teapot/framed");
    assert_response(&r, 418, r#"{"status_code":418,"detail":"framed"}"#);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("content-length"), Some("37"));
    let framing = r
        .headers
        .iter()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("content-type") || n.eq_ignore_ascii_case("content-length")
        })
        .count();
    assert_eq!(framing, 2, "{:?}", r.headers);
    assert_eq!(r.header("x-brew"), Some("oolong"));
}

#[test]
fn return_type_mismatch_is_500() {
    // At the top and nested in a container.
    assert_response(&get(server(), "/wrong-type"), 500, INTERNAL);
    assert_response(&get(server(), "/wrong-type/nested"), 500, INTERNAL);
}

#[test]
fn return_kinds() {
    let r = get(server(), "/bytes");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"\x00\x01"[..]));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));

    let r = get(server(), "/custom/html");
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
    // The value as `msgspec.convert` makes it of the declared type, encoded
    // (the `3` of `list[float]` is `3.0`).
    for (target, expr, ty) in [
        (
            "/unicode",
            r#"{"text": 'héllo "quoted"\n\t\x01 😀 \\'}"#,
            "dict[str, str]",
        ),
        (
            "/floats",
            r#"[0.1, 1e16, 1e-7, float("nan"), 3, -0.0, 1e22]"#,
            "list[float]",
        ),
    ] {
        let want = prebake_testkit::python(
            env!("PREBAKE_PYTHON"),
            &format!(
                "import msgspec, sys; sys.stdout.buffer.write(msgspec.json.encode(msgspec.convert({expr}, {ty})))"
            ),
        );
        assert_response(&get(server(), target), 200, &want);
    }
}

#[test]
fn query_header_cookie() {
    let headers = [("x-id", "7"), ("cookie", "a=1; session=\"s1\"")];
    let r = request(
        server(),
        "GET",
        "/lookup?q=hi+there&n=4&flag=TRUE&ratio=1e-2&ids=1&ids=2&code=zz",
        &headers,
        b"",
    );
    assert_response(
        &r,
        200,
        r#"{"q":"hi there","n":4,"flag":true,"ratio":0.01,"ids":[1,2],"x_id":7,"session":"s1","code":"zz"}"#,
    );
    let r = get(server(), "/lookup?q=x&ratio=null");
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
        "/lookup",
        &[],
        "Missing required query parameter `q`",
        "q",
        "query",
    );
    check(
        "/lookup?q=x&n=11",
        &[],
        "Expected `int` <= 10",
        "n",
        "query",
    );
    check(
        "/lookup?q=x&flag=yes",
        &[],
        "Expected `bool`, got `str`",
        "flag",
        "query",
    );
    check(
        "/lookup?q=x&ratio=abc",
        &[],
        "Expected `float | null`, got `str`",
        "ratio",
        "query",
    );
    check(
        "/lookup?q=x&ids=1&ids=x",
        &[],
        "Expected `int`, got `str`",
        "ids[1]",
        "query",
    );
    check(
        "/lookup?q=x&code=A1",
        &[],
        "Expected `str` matching regex '^[a-z]+$'",
        "code",
        "query",
    );
    check(
        "/lookup?q=x",
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
        &get(server(), "/words/h%C3%A9llo%20w%2Fx+y"),
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
    // The kitchen app sets App(max_body_size=256).
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
fn to_thread_runs_python_on_a_worker_thread_and_wakes_the_loop() {
    let addr = server();
    // A C call (`time.sleep`) and Python code on worker threads.
    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || get(addr, "/thread")))
        .collect();
    let counts: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || get(addr, "/to-thread?n=200")))
        .collect();
    // The server keeps answering while the worker threads run.
    for _ in 0..50 {
        assert_response(&get(addr, "/users/me"), 200, "me");
    }
    for t in threads {
        assert_response(&t.join().unwrap(), 200, "threaded");
    }
    for c in counts {
        assert_response(&c.join().unwrap(), 200, r#"{"total":19900}"#);
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
    // The kitchen app asserts at import that `import shapes` and
    // `from .shapes import Shape` agree; the model encodes.
    assert_response(
        &get(server(), "/shape"),
        200,
        r#"{"kind":"circle","size":2}"#,
    );
}

#[test]
fn async_handler_http_exception() {
    assert_response(
        &get(server(), "/items"),
        404,
        r#"{"status_code":404,"detail":"no items"}"#,
    );
    assert_response(
        &get(server(), "/items?limit=5&tags=a&tags=b&q=x"),
        404,
        r#"{"status_code":404,"detail":"no items"}"#,
    );
}

#[test]
fn query_validation() {
    assert_response(
        &get(server(), "/items?limit=0"),
        400,
        r#"{"status_code":400,"detail":"Validation failed for GET /items?limit=0","extra":[{"message":"Expected `int` >= 1","key":"limit","source":"query"}]}"#,
    );
    assert_response(
        &get(server(), "/items?limit=101"),
        400,
        r#"{"status_code":400,"detail":"Validation failed for GET /items?limit=101","extra":[{"message":"Expected `int` <= 100","key":"limit","source":"query"}]}"#,
    );
    // The last value of a repeated scalar wins.
    assert_eq!(get(server(), "/items?limit=0&limit=5").status, 404);
    assert_eq!(get(server(), "/items?limit=5&limit=abc").status, 400);
}

#[test]
fn a_thread_the_app_starts_runs_while_idle_and_under_load() {
    let s = server();
    let ticks = |s: SocketAddr| -> u64 { get(s, "/ticks").text().parse().expect("an int") };
    let before = ticks(s);
    std::thread::sleep(Duration::from_millis(200));
    let idle = ticks(s);
    assert!(
        idle > before + 20,
        "idle: {before} -> {idle} ticks in 200 ms"
    );
    // Keep the server busy from four connections for a second.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = Conn::open(s);
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert_eq!(c.request("GET", "/users/me", &[], b"").status, 200);
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let start = ticks(s);
    std::thread::sleep(Duration::from_millis(1000));
    let end = ticks(s);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let served: u64 = load.into_iter().map(|t| t.join().expect("load")).sum();
    assert!(served > 100, "only {served} requests served");
    // Undisturbed, the thread ticks ~900 times a second; starved, ~0.
    assert!(
        end > start + 50,
        "under load ({served} requests): {start} -> {end} ticks in 1 s"
    );
}

#[test]
fn start_up_objects_are_frozen_out_of_the_cyclic_collector() {
    let s = server();
    let state = get(s, "/gc").json();
    let frozen = state["frozen"].as_u64().expect("frozen");
    let tracked = state["tracked"].as_u64().expect("tracked");
    // The modules, classes and tables loaded at start-up are frozen; what
    // a full collection still walks is what requests created since.
    assert!(frozen > 5000 && tracked < frozen / 4, "{state}");
}

#[test]
fn enum_members_where_plain_scalars_are_declared_encode_as_msgspec_does() {
    let s = server();
    for (path, status, body) in [
        ("/enums/int", 200, "[2,3]"),
        ("/enums/literal", 200, r#"[2,"fast"]"#),
        ("/flags?p=10", 200, r#"{"p":10,"rw":6}"#),
        ("/flags?p=16", 200, r#"{"p":16,"rw":6}"#),
        ("/flags/hue?hue=3", 200, "3"),
        ("/flags/hue", 200, "1"),
        ("/flags/hue?hue=4", 400, ""),
        // msgspec.json.encode(msgspec.convert(Level.LOW, float)): a float.
        ("/enums/float", 200, "1.0"),
        (
            "/numbers/int-as-float",
            200,
            r#"{"x":3.0,"keys":{"2.0":1}}"#,
        ),
        ("/numbers/int-subclass", 200, "[7,7.0]"),
        ("/numbers/typed-dict", 200, r#"{"a":1}"#),
        ("/enums/keys", 200, r#"{"fast":2}"#),
        // What msgspec.convert refuses stays a 500.
        ("/enums/bounded", 500, ""),
        ("/enums/float-mixin", 500, ""),
        ("/enums/bool", 500, ""),
    ] {
        let r = get(s, path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        if status == 200 {
            assert_eq!(r.text(), body, "{path}");
        }
    }
}

#[test]
fn the_raw_request_and_bytes() {
    let s = server();
    let r = request(s, "GET", "/raw?a=1&b=%20", &[("user-agent", "e2e")], b"");
    assert_eq!(
        r.json(),
        json!({"method":"GET","path":"/raw","query":"a=1&b=%20","agent":"e2e","body":""})
    );
    let r = request(
        s,
        "POST",
        "/echo-bytes",
        &[("content-type", "application/x-anything")],
        b"\x00\x01binary",
    );
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"\x00\x01binary".as_slice())
    );
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let r = request(
        s,
        "POST",
        "/echo-bytes/json?x=1",
        &[("content-type", "application/x-anything")],
        b"ab",
    );
    assert_eq!(
        r.json(),
        json!({"raw": "YWI=", "url": "http://localhost/echo-bytes/json?x=1", "path": "/echo-bytes/json"})
    );
}

#[test]
fn query_parameters_convert_laxly_with_constraints() {
    let s = server();
    let r = get(
        s,
        "/search?q=hi&limit=5&ratio=0.5&flag=true&tags=a&tags=b&ids=1&ids=2&color=red&mode=slow&name=xy",
    );
    assert_eq!(
        r.json(),
        json!({"q":"hi","limit":5,"ratio":0.5,"flag":true,"tags":["a","b"],"ids":[1,2],"color":"red","mode":"slow","name":"xy"})
    );
    let r = get(s, "/search?q=hi");
    assert_eq!(
        r.json(),
        json!({"q":"hi","limit":10,"ratio":1.0,"flag":false,"tags":[],"ids":[],"color":null,"mode":"fast","name":"abc"})
    );
    // Last value wins for a repeated scalar.
    assert_eq!(get(s, "/search?q=a&q=b").json()["q"], "b");
    // `+` is a space, percent-escapes are decoded.
    assert_eq!(get(s, "/search?q=a+b%21").json()["q"], "a b!");

    let missing = get(s, "/search");
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.text(),
        r#"{"status_code":400,"detail":"Validation failed for GET /search","extra":[{"message":"Missing required query parameter `q`","key":"q","source":"query"}]}"#
    );
    // The target as sent, a bare `?` included.
    let r = get(s, "/search?");
    assert_eq!(r.json()["detail"], "Validation failed for GET /search?");
    let extra = |target: &str| get(s, target).json()["extra"][0].clone();
    assert_eq!(
        extra("/search?q=x&limit=0"),
        json!({"message":"Expected `int` >= 1","key":"limit","source":"query"})
    );
    assert_eq!(
        extra("/search?q=x&limit=abc"),
        json!({"message":"Expected `int`, got `str`","key":"limit","source":"query"})
    );
    assert_eq!(
        extra("/search?q=x&ratio=0"),
        json!({"message":"Expected `float` > 0.0","key":"ratio","source":"query"})
    );
    assert_eq!(extra("/search?q=x&color=blue")["key"], "color");
    assert_eq!(extra("/search?q=x&mode=medium")["key"], "mode");
    assert_eq!(
        extra("/search?q=x&name=a"),
        json!({"message":"Expected `str` of length >= 2","key":"name","source":"query"})
    );
    assert_eq!(
        extra("/search?q=x&name=ABC")["message"],
        "Expected `str` matching regex '^[a-z]+$'"
    );
    assert_eq!(extra("/search?q=x&ids=1&ids=x")["key"], "ids[1]");
    let s2 = get(s, "/search?q=x&flag=1");
    assert_eq!(s2.json()["flag"], true);
}

#[test]
fn headers_and_cookies() {
    let s = server();
    let r = request(
        s,
        "GET",
        "/headers",
        &[
            ("x-token", "t1"),
            ("x-count", "3"),
            ("cookie", "a=1; session=abc"),
        ],
        b"",
    );
    assert_eq!(r.json(), json!({"token":"t1","count":3,"session":"abc"}));
    let r = request(s, "GET", "/headers", &[("X-TOKEN", "t2")], b"");
    assert_eq!(r.json(), json!({"token":"t2","count":null,"session":null}));
    let r = get(s, "/headers");
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Missing required header parameter `x-token`","key":"x-token","source":"header"})
    );
    let r = request(
        s,
        "GET",
        "/headers",
        &[("x-token", "t"), ("x-count", "many")],
        b"",
    );
    assert_eq!(r.json()["extra"][0]["source"], "header");
}

#[test]
fn routing_precedence_and_catch_all() {
    let s = server();
    assert_eq!(get(s, "/users/me").text(), "me");
    assert_eq!(get(s, "/users/5").text(), r#"{"id":5}"#);
    assert_eq!(get(s, "/files/a/b/c.txt").text(), "a/b/c.txt");
    // A trailing slash finds the route without it, as in Litestar.
    assert_eq!(get(s, "/users/me/").text(), "me");
    assert_eq!(get(s, "/users/5/").text(), r#"{"id":5}"#);
    assert_eq!(get(s, "/users/").status, 404);
    assert_eq!(get(s, "/users/5//").status, 404);
    assert_eq!(get(s, "/files/a/b/").text(), "a/b/");
    // And the path without the slash finds a route declared with one (FastAPI
    // redirects there); a catch-all never captures the added slash.
    assert_eq!(get(s, "/slashed").text(), "slashed");
    assert_eq!(get(s, "/slashed/7").text(), "7");
    assert_eq!(get(s, "/files").status, 404);
    assert_eq!(get(s, "/words/caf%C3%A9").text(), "café");
    assert_eq!(get(s, "/words/a%2Fb").text(), "a/b");
    assert_eq!(
        get(s, "/orders/7/lines/x").text(),
        r#"{"order":7,"line":"x"}"#
    );
    let r = get(s, "/orders/seven/lines/x");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["extra"][0]["source"], "path");
    let r = request(s, "PUT", "/multi", &[], b"");
    assert_eq!(r.text(), "PUT");
    let r = request(s, "POST", "/multi", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD, PUT")));
}

#[test]
fn bodies_statuses_and_custom_responses() {
    let s = server();
    let r = post_json(s, "/points", r#"{"x":1,"y":2}"#);
    assert_eq!((r.status, r.text()), (201, r#"{"x":1,"y":2,"label":""}"#));
    let r = post_json(s, "/points/many", r#"[{"x":1,"y":2},{"x":3,"y":"4"}]"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `int`, got `str`","key":"[1].y","source":"body"})
    );
    let r = request(s, "DELETE", "/points/3", &[], b"");
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    for kind in ["bytearray", "memoryview"] {
        let r = get(s, &format!("/buffers/raw?kind={kind}"));
        assert_eq!((r.status, r.text()), (200, "raw"), "{kind}");
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    }
    let r = get(s, "/buffers/json");
    assert_eq!((r.status, r.text()), (200, r#"["YWI=","Yw=="]"#));
    for (body, answer) in [
        ("{}", "{}"),
        (r#"{"label":null}"#, r#"{"label":null}"#),
        (r#"{"x":3,"label":"a"}"#, r#"{"x":3,"label":"a"}"#),
    ] {
        let r = request(
            s,
            "PATCH",
            "/points/1",
            &[("content-type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!((r.status, r.text()), (200, answer), "{body}");
    }
    let r = request(s, "PATCH", "/points/1", &[], br#"{"x":null}"#);
    assert_eq!(
        r.json()["extra"][0]["message"],
        "Expected `int`, got `null`"
    );
    let r = get(s, "/maybe-response");
    assert_eq!((r.status, r.text()), (200, r#"{"raw":0}"#));
    let r = get(s, "/maybe-response?raw=1");
    assert_eq!((r.status, r.text()), (203, r#"{"raw":[1,2]}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-raw"), Some("1"));
    let r = get(s, "/custom");
    assert_eq!((r.status, r.text()), (202, "custom body"));
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.header("x-custom"), Some("yes"));
}

#[test]
fn a_missing_body_takes_the_parameters_default() {
    let s = server();
    // No body at all, and an empty one: the default, as Litestar and FastAPI.
    let r = request(s, "POST", "/points/maybe", &[], b"");
    assert_eq!((r.status, r.text()), (200, r#"{"point":null}"#));
    let r = post_json(s, "/points/maybe", "");
    assert_eq!((r.status, r.text()), (200, r#"{"point":null}"#));
    let r = post_json(s, "/points/maybe", r#"{"x":1,"y":2}"#);
    assert_eq!(r.text(), r#"{"point":{"x":1,"y":2,"label":""}}"#);
    // A body that is there but not JSON is still msgspec's error.
    let r = post_json(s, "/points/maybe", " ");
    assert_eq!(
        (r.status, r.text()),
        (
            400,
            r#"{"status_code":400,"detail":"Input data was truncated"}"#
        )
    );
    // A mutable default is fresh on every request.
    for _ in 0..3 {
        let r = request(s, "POST", "/points/tally", &[], b"");
        assert_eq!((r.status, r.text()), (200, "[0]"));
    }
    let r = post_json(s, "/points/tally", "[5,6]");
    assert_eq!(r.text(), "[5,6,2]");
    for _ in 0..2 {
        let r = request(s, "POST", "/points/named", &[], b"");
        assert_eq!((r.status, r.text()), (200, r#"{"seen":0}"#));
    }
    // Without a default an empty body is refused as msgspec refuses it.
    let r = request(s, "POST", "/points", &[], b"");
    assert_eq!(
        (r.status, r.text()),
        (
            400,
            r#"{"status_code":400,"detail":"Input data was truncated"}"#
        )
    );
}

/// Every response carries exactly one `Server` (the app's
/// `server_header`): those the runtime encodes, its errors, a raised
/// `HTTPException`'s with its own headers, a 404; a handler's own `Server`
/// replaces it rather than adding a second.
#[test]
fn one_server_header_on_every_response() {
    let addr = server();
    let servers = |r: &prebake_testkit::Response| -> Vec<String> {
        r.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("server"))
            .map(|(_, v)| v.clone())
            .collect()
    };
    for (target, status) in [
        ("/things/1", 200),
        ("/teapot", 418),
        ("/teapot/object", 418),
        ("/no/such/route", 404),
        ("/things/x", 400),
    ] {
        let r = get(addr, target);
        assert_eq!(r.status, status, "{target}: {r:?}");
        assert_eq!(servers(&r), ["kitchen/1.0"], "{target}: {r:?}");
    }
    let r = get(addr, "/custom/server");
    assert_eq!(servers(&r), ["handler/2"], "{r:?}");
    // Pipelined: each answer has its own.
    let mut conn = Conn::open(addr);
    let mut batch = raw("GET", "/things/2", &[], b"");
    batch.extend(raw("GET", "/custom/server", &[], b""));
    batch.extend(raw("GET", "/things/3", &[], b""));
    conn.send(&batch);
    for want in ["kitchen/1.0", "handler/2", "kitchen/1.0"] {
        assert_eq!(servers(&conn.read(false)), [want]);
    }
}
