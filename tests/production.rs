//! The server in production conditions, over real sockets, as a process:
//! limits and bad input (each answered in the error shape, and the next
//! request on a new connection still served), handler faults and their
//! logs, timeouts, graceful shutdown, worker supervision, logs and metrics.
//!
//! Starts the kitchen app (`tests/apps/kitchen/app.py`,
//! `App(max_body_size=256)`), built by `cargo xtask build` (see
//! `tests/apps.txt`).

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use prebake_testkit::server::signal;
use prebake_testkit::{
    Conn, Rng, Server, app_binary, assert_response, free_port, get, raw, request,
};

/// The kitchen app started with `args`.
fn start(args: &[&str]) -> Server {
    Server::start(&app_binary("kitchen"), args)
}

/// The next request on a new connection still succeeds.
#[track_caller]
fn still_serves(s: &Server) {
    assert_response(&get(s.addr, "/things/7"), 200, r#"{"id":7}"#);
}

const VALIDATION: &str = r#"{"status_code":400,"detail":"Validation failed for GET "#;

#[test]
fn async_handlers_have_their_task_from_the_first_line() {
    let s = start(&[]);
    let all = r#"{"task":true,"same":true,"running":true}"#;
    assert_response(&get(s.addr, "/task"), 200, all);
    assert_response(&get(s.addr, "/task?suspend=false"), 200, all);
    let t = Instant::now();
    assert_response(&get(s.addr, "/task/timeout?ms=20"), 200, "timed out");
    assert!(t.elapsed() < Duration::from_secs(3));
    // Handlers that do not ask still answer, on both paths.
    assert_response(&get(s.addr, "/fast-async"), 200, "no suspension");
    assert_response(&get(s.addr, "/sleep?ms=1"), 200, r#"{"slept":1}"#);
    assert!(!s.log().contains("Traceback"), "{}", s.log());
}

#[test]
fn oversized_and_mistyped_bodies() {
    let s = start(&[]);
    let too_large = r#"{"status_code":413,"detail":"Request Entity Too Large"}"#;
    // Content-Length past App(max_body_size=256): refused before reading.
    let mut conn = Conn::open(s.addr);
    conn.send(
        b"POST /orders HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n\
          content-length: 100000\r\n\r\n{\"items\":",
    );
    let r = conn.read(false);
    assert_response(&r, 413, too_large);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(conn.closed_within(Duration::from_secs(5)));
    still_serves(&s);
    // A chunked body that passes the limit while streaming.
    let mut conn = Conn::open(s.addr);
    let chunk = format!("c8\r\n{}\r\n", "x".repeat(200));
    conn.send(
        b"POST /orders HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n\
          transfer-encoding: chunked\r\n\r\n",
    );
    conn.send(chunk.as_bytes());
    conn.send(chunk.as_bytes());
    assert_response(&conn.read(false), 413, too_large);
    still_serves(&s);
    // 415 for a body that is not JSON.
    let r = request(
        s.addr,
        "POST",
        "/orders",
        &[("content-type", "text/plain")],
        b"{}",
    );
    assert_response(
        &r,
        415,
        r#"{"status_code":415,"detail":"Unsupported Media Type"}"#,
    );
    still_serves(&s);
    // A chunked body within the limit is fine.
    let body = br#"{"items":[{"name":"a","price":1.5}]}"#;
    let mut chunked =
        b"POST /orders HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for part in body.chunks(10) {
        chunked.extend(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend(part);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    assert_response(
        &s.exchange(&chunked),
        201,
        r#"{"items":[{"name":"a","price":1.5,"tags":[]}],"note":null}"#,
    );
    // Malformed chunked framing: 400, and the connection is closed.
    let r =
        s.exchange(b"POST /orders HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
    assert_response(
        &r,
        400,
        r#"{"status_code":400,"detail":"Could not read the request body"}"#,
    );
    still_serves(&s);
}

#[test]
fn expect_continue() {
    let s = start(&[]);
    let body = br#"{"items":[]}"#;
    let mut conn = Conn::open(s.addr);
    conn.send(
        format!(
            "POST /orders HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n\
             expect: 100-continue\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let interim = conn.read(false);
    assert_eq!(interim.status, 100, "{interim:?}");
    conn.send(body);
    assert_response(&conn.read(false), 201, r#"{"items":[],"note":null}"#);
    // Past the limit: the final answer comes at once, without a 100.
    let mut conn = Conn::open(s.addr);
    conn.send(
        b"POST /orders HTTP/1.1\r\nhost: t\r\nexpect: 100-continue\r\n\
          content-length: 5000\r\n\r\n",
    );
    assert_eq!(conn.read(false).status, 413);
    still_serves(&s);
}

#[test]
fn a_body_on_a_route_without_one_is_ignored() {
    let s = start(&[]);
    let mut conn = Conn::open(s.addr);
    let r = conn.request("GET", "/things/1", &[], b"hello");
    assert_response(&r, 200, r#"{"id":1}"#);
    // The body was skipped, not taken for the next request.
    assert_response(&conn.get("/things/2"), 200, r#"{"id":2}"#);
}

#[test]
fn malformed_http_and_head_limits() {
    let s = start(&["--max-uri-length", "2048"]);
    // hyper answers what it cannot parse itself, with an empty body.
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /things/1 HTTP/1.1\r\nhost: t\r\ncontent-length: abc\r\n\r\n",
        b"GET /things/1 HTTP/1.1\r\nbad header\r\n\r\n",
        b"GET /things/\xff HTTP/1.1\r\nhost: t\r\n\r\n",
    ] {
        let r = s.exchange(bad);
        assert_eq!((r.status, r.body.len()), (400, 0), "{bad:?}: {r:?}");
        still_serves(&s);
    }
    // A request target past --max-uri-length: 414 in the error shape.
    let long = format!("/things/1?pad={}", "a".repeat(3000));
    assert_response(
        &get(s.addr, &long),
        414,
        r#"{"status_code":414,"detail":"URI Too Long"}"#,
    );
    still_serves(&s);
    // Headers past --max-header-size (16 KiB) or --max-headers (100): 431.
    let big = "b".repeat(20_000);
    let r = request(s.addr, "GET", "/things/1", &[("x-big", &big)], b"");
    assert_eq!((r.status, r.body.len()), (431, 0), "{r:?}");
    still_serves(&s);
    let names: Vec<String> = (0..120).map(|i| format!("x-h{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let r = request(s.addr, "GET", "/things/1", &many, b"");
    assert_eq!(r.status, 431, "{r:?}");
    still_serves(&s);
}

#[test]
fn pipelined_requests_are_all_answered_in_order() {
    let s = start(&[]);
    let mut conn = Conn::open(s.addr);
    // Sixteen requests in one write (as TechEmpower pipelines), a POST with
    // its body among them: the answers are held back while hyper has more
    // to do, then all sent.
    let mut batch = Vec::new();
    for i in 0..16 {
        if i == 7 {
            batch.extend(raw(
                "POST",
                "/orders",
                &[("content-type", "application/json")],
                br#"{"items":[]}"#,
            ));
        } else {
            batch.extend(raw("GET", &format!("/things/{i}"), &[], b""));
        }
    }
    conn.send(&batch);
    for i in 0..16 {
        let r = conn.read(false);
        if i == 7 {
            assert_eq!(r.status, 201, "{r:?}");
        } else {
            assert_response(&r, 200, &format!(r#"{{"id":{i}}}"#));
        }
    }
    // A good request and one hyper cannot parse, in one write: the answer to
    // the first and the 400 hyper writes for the second both arrive before
    // the connection closes (hyper's `pipeline_flush` would lose the 400).
    let mut two = raw("GET", "/things/3", &[], b"");
    two.extend_from_slice(b"GARBAGE\r\n\r\n");
    conn.send(&two);
    assert_response(&conn.read(false), 200, r#"{"id":3}"#);
    let r = conn.read(false);
    assert_eq!((r.status, r.body.len()), (400, 0), "{r:?}");
    assert!(conn.closed_within(Duration::from_secs(5)));
    still_serves(&s);
}

#[test]
fn undecodable_parameters_are_400s() {
    let s = start(&[]);
    let cases: [(&[u8], &str); 5] = [
        (
            b"GET /lookup?q=100% HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/lookup?q=100%","extra":[{"message":"Malformed percent-encoding","key":"q","source":"query"}]}"#,
        ),
        (
            b"GET /lookup?q=%C3%28 HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/lookup?q=%C3%28","extra":[{"message":"Invalid UTF-8","key":"q","source":"query"}]}"#,
        ),
        (
            b"GET /words/%ff HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/words/%ff","extra":[{"message":"Invalid UTF-8","key":"word","source":"path"}]}"#,
        ),
        (
            b"GET /lookup?q=a HTTP/1.1\r\nhost: t\r\nx-id: \xff1\r\n\r\n",
            r#"/lookup?q=a","extra":[{"message":"Invalid UTF-8","key":"x-id","source":"header"}]}"#,
        ),
        (
            b"GET /lookup?q=a HTTP/1.1\r\nhost: t\r\ncookie: session=\xe9t\xe9\r\n\r\n",
            r#"/lookup?q=a","extra":[{"message":"Invalid UTF-8","key":"session","source":"cookie"}]}"#,
        ),
    ];
    for (bytes, tail) in cases {
        let r = s.exchange(bytes);
        assert_response(&r, 400, &format!("{VALIDATION}{tail}"));
        still_serves(&s);
    }
    // Values that decode are untouched; `+` is a space in a query.
    assert_eq!(
        get(s.addr, "/words/caf%C3%A9").text(),
        "café",
        "percent-decoded path"
    );
}

#[test]
fn bad_input_at_the_default_limits() {
    let s = start(&[]);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        // The default --max-uri-length (8 KiB).
        (
            format!(
                "GET /lookup?q={} HTTP/1.1\r\nhost: t\r\n\r\n",
                "a".repeat(9000)
            )
            .into_bytes(),
            414,
            r#"{"status_code":414,"detail":"URI Too Long"}"#,
        ),
        (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), 400, ""),
        (
            b"GET /lookup?q=%zz HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
            r#"{"status_code":400,"detail":"Validation failed for GET /lookup?q=%zz","extra":[{"message":"Malformed percent-encoding","key":"q","source":"query"}]}"#,
        ),
        (
            b"GET /words/%C3%28 HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
            r#"{"status_code":400,"detail":"Validation failed for GET /words/%C3%28","extra":[{"message":"Invalid UTF-8","key":"word","source":"path"}]}"#,
        ),
        // A JSON body split in two chunks mid-token.
        (
            b"POST /points HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n\
              4\r\n{\"x\"\r\n9\r\n:1,\"y\":2}\r\n0\r\n\r\n"
                .to_vec(),
            201,
            r#"{"x":1,"y":2,"label":""}"#,
        ),
    ];
    for (bytes, status, body) in cases {
        assert_response(&s.exchange(&bytes), status, body);
        still_serves(&s);
    }
}

#[test]
fn deeply_nested_json_is_a_400() {
    // msgspec's default depth limit (256), past the app's body limit.
    let s = start(&["--max-body-size", "1MiB"]);
    let body = format!("{{\"a\":{}{}}}", "[".repeat(300), "]".repeat(300));
    assert_response(
        &request(
            s.addr,
            "POST",
            "/doc",
            &[("content-type", "application/json")],
            body.as_bytes(),
        ),
        400,
        r#"{"status_code":400,"detail":"JSON is malformed: nested deeper than 256 levels"}"#,
    );
    still_serves(&s);
    drop(s);
    let s = start(&["--max-body-size", "1MiB", "--max-json-depth", "16"]);
    let post = |body: &str| {
        request(
            s.addr,
            "POST",
            "/doc",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    };
    let nest = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
    assert_response(&post(&nest(15)), 200, "1");
    assert_response(
        &post(&nest(16)),
        400,
        r#"{"status_code":400,"detail":"JSON is malformed: nested deeper than 16 levels"}"#,
    );
    still_serves(&s);
    drop(s);
    // Without our limit, msgspec's own (the recursion limit) is a 400 too,
    // never a crash or a 500.
    let s = start(&["--max-body-size", "1MiB", "--max-json-depth", "0"]);
    let r = request(
        s.addr,
        "POST",
        "/doc",
        &[("content-type", "application/json")],
        nest(100_000).as_bytes(),
    );
    assert_response(
        &r,
        400,
        r#"{"status_code":400,"detail":"JSON is malformed: nested too deeply"}"#,
    );
    still_serves(&s);
}

const INTERNAL: &str = r#"{"status_code":500,"detail":"Internal Server Error"}"#;

#[test]
fn handler_faults_are_500s_and_the_worker_keeps_serving() {
    let s = start(&[]);
    // An exception: the traceback goes to the log, never to the body.
    assert_response(&get(s.addr, "/boom"), 500, INTERNAL);
    s.expect_log("Traceback (most recent call last)");
    s.expect_log("RuntimeError: kaboom");
    s.expect_log("route=GET /boom");
    still_serves(&s);
    // A value of the wrong type: the route and the mismatch are logged.
    assert_response(&get(s.addr, "/wrong-type"), 500, INTERNAL);
    s.expect_log("does not match its declared type");
    s.expect_log("route=GET /wrong-type");
    // A panic in Rust glue: tests/glue_panic.rs (generated code has none).
    // SystemExit and KeyboardInterrupt do not stop the server.
    for path in ["/exit", "/interrupt", "/async-exit"] {
        assert_response(&get(s.addr, path), 500, INTERNAL);
        still_serves(&s);
    }
    s.expect_log("SystemExit: 3");
    s.expect_log("KeyboardInterrupt");
    s.expect_log("SystemExit: 4");
    // Every error line carries a request id.
    assert!(s.log().contains("request_id="), "{}", s.log());
}

#[test]
fn handler_timeout_answers_503() {
    let s = start(&["--handler-timeout", "0.5"]);
    let timed_out = r#"{"status_code":503,"detail":"Service Unavailable: the handler timed out"}"#;
    // A busy loop in Python is interrupted.
    let t = Instant::now();
    assert_response(&get(s.addr, "/spin?ms=10000"), 503, timed_out);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    still_serves(&s);
    // So is one in a handler with no parameters (called without a decoder).
    let t = Instant::now();
    assert_response(&get(s.addr, "/spin-long"), 503, timed_out);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    still_serves(&s);
    // A blocking call is answered when it returns.
    let t = Instant::now();
    assert_response(&get(s.addr, "/block?ms=1200"), 503, timed_out);
    assert!(t.elapsed() >= Duration::from_millis(1200));
    still_serves(&s);
    // An async handler is cancelled at its await.
    let t = Instant::now();
    assert_response(&get(s.addr, "/sleep?ms=10000"), 503, timed_out);
    assert!(t.elapsed() < Duration::from_secs(3));
    // Fast handlers are unaffected.
    assert_response(&get(s.addr, "/spin?ms=10"), 200, "spun");
    assert_response(&get(s.addr, "/sleep?ms=10"), 200, r#"{"slept":10}"#);
    s.expect_log("ran past the handler timeout");
}

#[test]
fn slow_and_idle_clients_are_cut_off() {
    let s = start(&["--header-read-timeout", "1", "--keep-alive-timeout", "1.5"]);
    // A head that never completes (slowloris).
    let t = Instant::now();
    let mut slow = Conn::open(s.addr);
    slow.send(b"GET /things/1 HTTP/1.1\r\nhost: t\r\n");
    std::thread::sleep(Duration::from_millis(300));
    assert!(slow.try_send(b"x-a: 1\r\n"));
    assert!(slow.closed_within(Duration::from_secs(5)));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_millis(2500),
        "slowloris cut after {took:?}"
    );
    // A connection that never sends anything.
    let t = Instant::now();
    let mut silent = Conn::open(s.addr);
    assert!(silent.closed_within(Duration::from_secs(5)));
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    // Idle keep-alive: closed after --keep-alive-timeout, not before.
    let mut idle = Conn::open(s.addr);
    assert_eq!(idle.get("/things/1").status, 200);
    let t = Instant::now();
    assert!(idle.closed_within(Duration::from_secs(5)));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(3500),
        "idle connection closed after {took:?}"
    );
    // A connection in use is not cut.
    let mut busy = Conn::open(s.addr);
    for _ in 0..6 {
        assert_eq!(busy.get("/things/1").status, 200);
        std::thread::sleep(Duration::from_millis(400));
    }
    // A body that stalls: 408.
    let mut conn = Conn::open(s.addr);
    conn.send(b"POST /orders HTTP/1.1\r\nhost: t\r\ncontent-length: 50\r\n\r\n{\"items\"");
    assert_response(
        &conn.read(false),
        408,
        r#"{"status_code":408,"detail":"Request Timeout"}"#,
    );
    still_serves(&s);
}

#[test]
fn connections_past_the_limit_wait() {
    let s = start(&["--max-connections", "2"]);
    let mut a = Conn::open(s.addr);
    let mut b = Conn::open(s.addr);
    assert_eq!(a.get("/things/1").status, 200);
    assert_eq!(b.get("/things/1").status, 200);
    // The kernel accepts a third, but the server does not serve it yet.
    let mut c = Conn::open(s.addr);
    c.send(&raw("GET", "/things/3", &[], b""));
    assert!(!c.readable_within(Duration::from_millis(400)));
    drop(a);
    assert_response(&c.read(false), 200, r#"{"id":3}"#);
    assert_eq!(b.get("/things/2").status, 200);
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut s = start(&[]);
    let addr = s.addr;
    // An idle keep-alive connection, a slow sync request and a slow async one.
    let mut idle = Conn::open(addr);
    assert_eq!(idle.get("/things/1").status, 200);
    // Both requests are sent before the signal (from this thread, so that
    // they are on the wire however slow the machine is).
    let mut aio = Conn::open(addr);
    aio.send(&raw("GET", "/sleep?ms=1000", &[], b""));
    let mut sync = Conn::open(addr);
    sync.send(&raw("GET", "/block?ms=1000", &[], b""));
    std::thread::sleep(Duration::from_millis(400));
    s.signal("TERM");
    assert_response(&sync.read(false), 200, "blocked");
    assert_response(&aio.read(false), 200, r#"{"slept":1000}"#);
    assert!(idle.closed_within(Duration::from_secs(5)));
    let status = s.exit_within(Duration::from_secs(5));
    assert!(status.success(), "{status:?}\n{}", s.log());
    assert!(TcpStream::connect(addr).is_err(), "still accepting");
    s.expect_log("SIGTERM: shutting down");
    s.expect_log("stopped");
}

#[test]
fn the_grace_period_and_a_second_signal_end_it() {
    // The grace period ends a request that runs too long.
    let mut s = start(&["--graceful-timeout", "0.5"]);
    let addr = s.addr;
    let slow = std::thread::spawn(move || {
        let mut c = Conn::open(addr);
        c.send(&raw("GET", "/block?ms=5000", &[], b""));
        c.closed_within(Duration::from_secs(10))
    });
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    s.signal("TERM");
    assert!(s.exit_within(Duration::from_secs(4)).success());
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(slow.join().unwrap());
    s.expect_log("graceful timeout");
    // A second signal exits at once, even while a handler blocks.
    let mut s = start(&[]);
    let addr = s.addr;
    let _slow = std::thread::spawn(move || get(addr, "/block?ms=5000"));
    std::thread::sleep(Duration::from_millis(300));
    s.signal("INT");
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    s.signal("INT");
    let status = s.exit_within(Duration::from_secs(3));
    assert_eq!(status.code(), Some(1), "{status:?}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_dead_worker_is_restarted_and_sigterm_drains_all() {
    let port = free_port().to_string();
    let mut s = start(&[
        "--port",
        &port,
        "--workers",
        "2",
        "--metrics-path",
        "/metrics",
    ]);
    let workers = s.workers();
    assert_eq!(workers.len(), 2, "{workers:?}");
    signal(workers[0], "KILL");
    // Once the kernel has closed the dead worker's socket (connections
    // queued on it are reset: SO_REUSEPORT does not move them), the other
    // worker serves alone until the parent has restarted the dead one.
    s.expect_log(&format!("worker 0 (pid {}) died: signal 9", workers[0]));
    for _ in 0..20 {
        still_serves(&s);
    }
    s.expect_log("worker 0 restarted");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = s.workers();
        if now.len() == 2 && !now.contains(&workers[0]) {
            break;
        }
        assert!(Instant::now() < deadline, "{now:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The counters of both workers are summed, restarts counted.
    for _ in 0..10 {
        still_serves(&s);
    }
    let metrics = get(s.addr, "/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(text.contains("prebake_worker_restarts_total 1"), "{text}");
    let served: u64 = text
        .lines()
        .filter(|l| {
            l.starts_with("prebake_requests_total{method=\"GET\",route=\"/things/{thing_id}\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(served >= 10, "{text}");
    // SIGTERM to the whole group (as systemd or Ctrl-C do; the parent
    // forwards its own on top): a request in flight finishes, all exit 0.
    let mut slow = Conn::open(s.addr);
    slow.send(&raw("GET", "/block?ms=800", &[], b""));
    std::thread::sleep(Duration::from_millis(400));
    let workers = s.workers();
    s.signal("TERM");
    for w in workers {
        // An idle worker may be gone already.
        let _ = Command::new("kill")
            .args(["-TERM", &w.to_string()])
            .status();
    }
    assert_response(&slow.read(false), 200, "blocked");
    let status = s.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", s.log());
    s.expect_log("all workers stopped");
}

#[test]
fn access_log_json_logs_and_metrics() {
    let s = start(&[
        "--access-log",
        "--log-format",
        "json",
        "--metrics-path",
        "/metrics",
    ]);
    assert_eq!(get(s.addr, "/things/5").status, 200);
    assert_eq!(get(s.addr, "/nope").status, 404);
    assert_eq!(get(s.addr, "/boom").status, 500);
    s.expect_log(r#""target":"prebake::access""#);
    s.expect_log(r#""path":"/things/5""#);
    for line in s.log().lines() {
        assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    }
    // The traceback is one JSON field, not raw lines on stderr.
    s.expect_log(r#""traceback":"Traceback (most recent call last):\n"#);
    let text = get(s.addr, "/metrics").text().to_owned();
    for line in [
        "prebake_requests_total{method=\"GET\",route=\"/things/{thing_id}\",status=\"200\"} 1",
        "prebake_requests_total{method=\"\",route=\"\",status=\"404\"} 1",
        "prebake_requests_total{method=\"GET\",route=\"/boom\",status=\"500\"} 1",
        "prebake_request_duration_seconds_count{method=\"GET\",route=\"/things/{thing_id}\"} 1",
        "# TYPE prebake_request_duration_seconds histogram",
        "prebake_open_connections ",
    ] {
        assert!(text.contains(line), "{line}\n---\n{text}");
    }
    drop(s);
    // A separate metrics port; the app's port has no /metrics then.
    let port = free_port().to_string();
    let s = start(&["--metrics-port", &port]);
    assert_eq!(get(s.addr, "/metrics").status, 404);
    let maddr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let r = get(maddr, "/metrics");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("prebake_open_connections"));
    // Access log off by default.
    assert!(!s.log().contains("prebake::access"), "{}", s.log());
}

/// Mutated requests (bytes flipped, inserted, cut, repeated) over real
/// sockets: whatever the server answers, it keeps serving. The seed is
/// printed; `PREBAKE_SEED` replays it, `PREBAKE_WIRE_FUZZ_ROUNDS` sets the
/// number of requests (default 400).
#[test]
fn mutated_requests_never_crash_the_server() {
    use std::io::{Read, Write};

    let s = start(&["--header-read-timeout", "0.5", "--max-body-size", "4KiB"]);
    let mut rng = Rng::from_env("wire fuzz");
    let mut next = move |n: usize| rng.below(n);
    let seeds: [&[u8]; 5] = [
        b"GET /lookup?q=a&n=2&ids=1&ids=2 HTTP/1.1\r\nhost: t\r\nx-id: 5\r\ncookie: session=s\r\n\r\n",
        b"POST /orders HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 37\r\n\r\n{\"items\":[{\"name\":\"a\",\"price\":1.5}]}",
        b"POST /echo HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"GET /files/a/b%20c HTTP/1.1\r\nhost: t\r\nexpect: 100-continue\r\n\r\n",
        b"DELETE /things/12 HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
    ];
    const JUNK: &[u8] = b"\r\n :%\x00\xff{}[]\"\\0123456789abcxyz-/?&=;,.";
    let rounds: usize = std::env::var("PREBAKE_WIRE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for round in 0..rounds {
        let mut req = seeds[next(seeds.len())].to_vec();
        for _ in 0..1 + next(4) {
            let at = next(req.len() + 1);
            match next(5) {
                0 if at < req.len() => req[at] = JUNK[next(JUNK.len())],
                1 => req.insert(at, JUNK[next(JUNK.len())]),
                2 if at < req.len() => {
                    req.remove(at);
                }
                3 => req.truncate(at),
                _ => {
                    let piece = req[at..].iter().take(next(20)).copied().collect::<Vec<_>>();
                    req.splice(at..at, piece);
                }
            }
        }
        let mut stream = TcpStream::connect(s.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(&req);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        // Whatever came back is HTTP (or nothing, for what hyper drops); a
        // request line mutated into `HTTP/1.0` is answered in 1.0.
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 ") || out.starts_with(b"HTTP/1.0 "),
            "round {round}: {:?} -> {:?}",
            String::from_utf8_lossy(&req),
            String::from_utf8_lossy(&out)
        );
        if round % 50 == 0 {
            still_serves(&s);
        }
    }
    still_serves(&s);
    assert!(!s.log().contains("panic"), "{}", s.log());
}

/// `Date` (an IMF-fixdate, as RFC 9110 writes it) and `Server` on every
/// response, errors included: `prebake` by default, the app's
/// `App(server_header=...)`, none with `server_header=None`, and a
/// handler's own header wins.
#[test]
fn every_response_carries_date_and_server() {
    fn imf_fixdate(d: &str) -> bool {
        // "Sat, 05 Dec 2026 12:35:00 GMT"
        let b = d.as_bytes();
        b.len() == 29 && &b[3..5] == b", " && d.ends_with(" GMT") && b[19] == b':'
    }
    let hello = Server::start(&app_binary("hello"), &[]);
    let kitchen = start(&[]);
    let threads = Server::start(&app_binary("threads"), &[]);
    let cases: [(&Server, &str, &str, u16, Option<&str>); 8] = [
        (&hello, "GET", "/plaintext", 200, Some("prebake")),
        (&hello, "HEAD", "/json", 200, Some("prebake")),
        (&hello, "GET", "/nope", 404, Some("prebake")),
        (&hello, "DELETE", "/plaintext", 405, Some("prebake")),
        (&hello, "GET", "/user/x", 400, Some("prebake")),
        (&kitchen, "GET", "/things/7", 200, Some("kitchen/1.0")),
        (&kitchen, "GET", "/custom/server", 200, Some("handler/2")),
        (&threads, "GET", "/fast", 200, None),
    ];
    for (s, method, target, status, server) in cases {
        let r = request(s.addr, method, target, &[], b"");
        assert_eq!(r.status, status, "{method} {target}");
        assert_eq!(r.header("server"), server, "{method} {target}");
        let date = r.header("date").unwrap_or_default();
        assert!(imf_fixdate(date), "{method} {target}: date {date:?}");
    }
    // The date is the current one, not fixed at start-up.
    let first = get(hello.addr, "/plaintext")
        .header("date")
        .map(str::to_owned);
    std::thread::sleep(Duration::from_millis(1100));
    let second = get(hello.addr, "/plaintext")
        .header("date")
        .map(str::to_owned);
    assert_ne!(first, second);
}
