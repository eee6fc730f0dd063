//! End to end on `tests/apps/kitchen`: faults, async handlers, the raw
//! request, every parameter source, routing precedence.

use std::time::{Duration, Instant};

use prebake_tests::{Server, app_binary};
use serde_json::json;

fn server() -> Server {
    Server::start(&app_binary("kitchen"), &[])
}

#[test]
fn an_exception_is_a_500_and_the_server_keeps_serving() {
    let s = server();
    let r = s.get("/boom");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            500,
            r#"{"status_code":500,"detail":"Internal Server Error"}"#
        )
    );
    assert!(
        !r.text().contains("kaboom"),
        "the traceback stays in the log"
    );
    let r = s.get("/users/7");
    assert_eq!(r.status, 200);
    assert!(
        prebake_tests::wait_until(Duration::from_secs(5), || s.log().contains("kaboom")),
        "{}",
        s.log()
    );
}

#[test]
fn a_wrong_return_type_is_a_500_naming_the_route() {
    let s = server();
    let r = s.get("/wrong-type");
    assert_eq!(r.status, 500);
    assert!(
        prebake_tests::wait_until(Duration::from_secs(5), || s.log().contains("/wrong-type")),
        "{}",
        s.log()
    );
}

#[test]
fn http_exception_sets_status_headers_and_detail() {
    let s = server();
    let r = s.get("/teapot");
    assert_eq!(r.status, 418);
    assert_eq!(r.header("x-brew"), Some("earl grey"));
    assert_eq!(
        r.text(),
        r#"{"status_code":418,"detail":"short and stout"}"#
    );
    // The runtime frames the body it writes (a handler's Content-Length
    // would contradict it); a Content-Type replaces the runtime's.
    let r = s.get("/teapot/framed");
    assert_eq!(
        (r.status, r.text().as_str()),
        (418, r#"{"status_code":418,"detail":"framed"}"#)
    );
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("content-length"), Some("37"));
    let framing = r
        .headers
        .iter()
        .filter(|(n, _)| n == "content-type" || n == "content-length")
        .count();
    assert_eq!(framing, 2, "{:?}", r.headers);
    assert_eq!(r.header("x-brew"), Some("oolong"));
}

#[test]
fn a_sleeping_async_handler_does_not_hold_up_others() {
    let s = server();
    let port = s.port;
    let start = Instant::now();
    let sleepers: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                prebake_tests::Conn::new(port).request("GET", "/sleep?ms=300", &[], b"")
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    // A sync endpoint answers while ten requests sleep.
    let quick = Instant::now();
    assert_eq!(s.get("/users/me").text(), "me");
    // A trailing slash finds the route without it, as in Litestar.
    assert_eq!(s.get("/users/me/").text(), "me");
    assert_eq!(s.get("/users/5/").text(), r#"{"id":5}"#);
    assert_eq!(s.get("/users/").status, 404);
    assert_eq!(s.get("/users/5//").status, 404);
    assert_eq!(s.get("/files/a/b/").text(), "a/b/");
    assert!(
        quick.elapsed() < Duration::from_millis(250),
        "blocked for {:?}",
        quick.elapsed()
    );
    for t in sleepers {
        let r = t.join().expect("thread");
        assert_eq!(r.text(), r#"{"slept":300}"#);
    }
    assert!(
        start.elapsed() < Duration::from_millis(2000),
        "sleeps ran one after another: {:?}",
        start.elapsed()
    );
    assert_eq!(s.get("/fast-async").text(), "no suspension");
}

#[test]
fn a_thread_the_app_starts_runs_while_idle_and_under_load() {
    let s = server();
    let ticks = |s: &Server| -> u64 { s.get("/ticks").text().parse().expect("an int") };
    let before = ticks(&s);
    std::thread::sleep(Duration::from_millis(200));
    let idle = ticks(&s);
    assert!(
        idle > before + 20,
        "idle: {before} -> {idle} ticks in 200 ms"
    );
    // Keep the server busy from four connections for a second.
    let port = s.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = prebake_tests::Conn::new(port);
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
    let start = ticks(&s);
    std::thread::sleep(Duration::from_millis(1000));
    let end = ticks(&s);
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
fn asyncio_to_thread_runs_python_on_a_worker_thread() {
    let s = server();
    let port = s.port;
    let calls: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                prebake_tests::Conn::new(port).request("GET", "/to-thread?n=200", &[], b"")
            })
        })
        .collect();
    // The server keeps answering while the worker threads run.
    for _ in 0..50 {
        assert_eq!(s.get("/users/me").text(), "me");
    }
    for c in calls {
        let r = c.join().expect("thread");
        assert_eq!((r.status, r.text()), (200, r#"{"total":19900}"#.to_owned()));
    }
}

#[test]
fn start_up_objects_are_frozen_out_of_the_cyclic_collector() {
    let s = server();
    let state = s.get("/gc").json();
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
        ("/enums/float", 200, "1"),
        ("/enums/keys", 200, r#"{"fast":2}"#),
        // What msgspec.convert refuses stays a 500.
        ("/enums/bounded", 500, ""),
        ("/enums/float-mixin", 500, ""),
        ("/enums/bool", 500, ""),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        if status == 200 {
            assert_eq!(r.text(), body, "{path}");
        }
    }
}

#[test]
fn the_raw_request_and_bytes() {
    let s = server();
    let r = s.request("GET", "/raw?a=1&b=%20", &[("user-agent", "e2e")], b"");
    assert_eq!(
        r.json(),
        json!({"method":"GET","path":"/raw","query":"a=1&b=%20","agent":"e2e","body":""})
    );
    let r = s.request(
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
    let r = s.request(
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
    let r = s.get("/search?q=hi&limit=5&ratio=0.5&flag=true&tags=a&tags=b&ids=1&ids=2&color=red&mode=slow&name=xy");
    assert_eq!(
        r.json(),
        json!({"q":"hi","limit":5,"ratio":0.5,"flag":true,"tags":["a","b"],"ids":[1,2],"color":"red","mode":"slow","name":"xy"})
    );
    let r = s.get("/search?q=hi");
    assert_eq!(
        r.json(),
        json!({"q":"hi","limit":10,"ratio":1.0,"flag":false,"tags":[],"ids":[],"color":null,"mode":"fast","name":"abc"})
    );
    // Last value wins for a repeated scalar.
    assert_eq!(s.get("/search?q=a&q=b").json()["q"], "b");
    // `+` is a space, percent-escapes are decoded.
    assert_eq!(s.get("/search?q=a+b%21").json()["q"], "a b!");

    let missing = s.get("/search");
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.text(),
        r#"{"status_code":400,"detail":"Validation failed for GET /search","extra":[{"message":"Missing required query parameter `q`","key":"q","source":"query"}]}"#
    );
    // The target as sent, a bare `?` included.
    let r = s.get("/search?");
    assert_eq!(r.json()["detail"], "Validation failed for GET /search?");
    let extra = |target: &str| s.get(target).json()["extra"][0].clone();
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
    let s2 = s.get("/search?q=x&flag=1");
    assert_eq!(s2.json()["flag"], true);
}

#[test]
fn headers_and_cookies() {
    let s = server();
    let r = s.request(
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
    let r = s.request("GET", "/headers", &[("X-TOKEN", "t2")], b"");
    assert_eq!(r.json(), json!({"token":"t2","count":null,"session":null}));
    let r = s.get("/headers");
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Missing required header parameter `x-token`","key":"x-token","source":"header"})
    );
    let r = s.request(
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
    assert_eq!(s.get("/users/me").text(), "me");
    assert_eq!(s.get("/users/5").text(), r#"{"id":5}"#);
    assert_eq!(s.get("/files/a/b/c.txt").text(), "a/b/c.txt");
    assert_eq!(s.get("/words/caf%C3%A9").text(), "café");
    assert_eq!(s.get("/words/a%2Fb").text(), "a/b");
    assert_eq!(
        s.get("/orders/7/lines/x").text(),
        r#"{"order":7,"line":"x"}"#
    );
    let r = s.get("/orders/seven/lines/x");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["extra"][0]["source"], "path");
    let r = s.request("PUT", "/multi", &[], b"");
    assert_eq!(r.text(), "PUT");
    let r = s.request("POST", "/multi", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD, PUT")));
}

#[test]
fn bodies_statuses_and_custom_responses() {
    let s = server();
    let r = s.post_json("/points", r#"{"x":1,"y":2}"#);
    assert_eq!(
        (r.status, r.text().as_str()),
        (201, r#"{"x":1,"y":2,"label":""}"#)
    );
    let r = s.post_json("/points/many", r#"[{"x":1,"y":2},{"x":3,"y":"4"}]"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `int`, got `str`","key":"[1].y","source":"body"})
    );
    let r = s.request("DELETE", "/points/3", &[], b"");
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    for kind in ["bytearray", "memoryview"] {
        let r = s.get(&format!("/buffers/raw?kind={kind}"));
        assert_eq!((r.status, r.text().as_str()), (200, "raw"), "{kind}");
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    }
    let r = s.get("/buffers/json");
    assert_eq!((r.status, r.text().as_str()), (200, r#"["YWI=","Yw=="]"#));
    for (body, answer) in [
        ("{}", "{}"),
        (r#"{"label":null}"#, r#"{"label":null}"#),
        (r#"{"x":3,"label":"a"}"#, r#"{"x":3,"label":"a"}"#),
    ] {
        let r = s.request(
            "PATCH",
            "/points/1",
            &[("content-type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!((r.status, r.text().as_str()), (200, answer), "{body}");
    }
    let r = s.request("PATCH", "/points/1", &[], br#"{"x":null}"#);
    assert_eq!(
        r.json()["extra"][0]["message"],
        "Expected `int`, got `null`"
    );
    let r = s.get("/maybe-response");
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"raw":0}"#));
    let r = s.get("/maybe-response?raw=1");
    assert_eq!((r.status, r.text().as_str()), (203, r#"{"raw":[1,2]}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-raw"), Some("1"));
    let r = s.get("/custom");
    assert_eq!((r.status, r.text().as_str()), (202, "custom body"));
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.header("x-custom"), Some("yes"));
}

#[test]
fn a_missing_body_takes_the_parameters_default() {
    let s = server();
    // No body at all, and an empty one: the default, as Litestar and FastAPI.
    let r = s.request("POST", "/points/maybe", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"point":null}"#));
    let r = s.post_json("/points/maybe", "");
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"point":null}"#));
    let r = s.post_json("/points/maybe", r#"{"x":1,"y":2}"#);
    assert_eq!(r.text(), r#"{"point":{"x":1,"y":2,"label":""}}"#);
    // A body that is there but not JSON is still msgspec's error.
    let r = s.post_json("/points/maybe", " ");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            400,
            r#"{"status_code":400,"detail":"Input data was truncated"}"#
        )
    );
    // A mutable default is fresh on every request.
    for _ in 0..3 {
        let r = s.request("POST", "/points/tally", &[], b"");
        assert_eq!((r.status, r.text().as_str()), (200, "[0]"));
    }
    let r = s.post_json("/points/tally", "[5,6]");
    assert_eq!(r.text(), "[5,6,2]");
    for _ in 0..2 {
        let r = s.request("POST", "/points/named", &[], b"");
        assert_eq!((r.status, r.text().as_str()), (200, r#"{"seen":0}"#));
    }
    // Without a default an empty body is refused as msgspec refuses it.
    let r = s.request("POST", "/points", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            400,
            r#"{"status_code":400,"detail":"Input data was truncated"}"#
        )
    );
}
