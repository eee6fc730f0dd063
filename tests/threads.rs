//! The thread pool over sockets: blocking `def` handlers on the pool run
//! side by side while the interpreter thread keeps answering; on the
//! interpreter thread they run one after another and the slow-handler
//! warning names their route; `--threads`, `--handler-timeout`,
//! `--workers` and graceful shutdown with pool calls in flight.
//!
//! Starts the threads app (`tests/apps/threads/app.py`), built by `cargo
//! xtask build` (see `tests/apps.txt`).

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prebake_testkit::{Conn, Response, Server, app_binary, assert_response, free_port, get, raw};

const TIMED_OUT: &str =
    r#"{"status_code":503,"detail":"Service Unavailable: the handler timed out"}"#;
const WARNING: &str = "held the interpreter thread for";

/// The threads app started with `args`.
fn start(args: &[&str]) -> Server {
    Server::start(&app_binary("threads"), args)
}

/// `n` concurrent `GET target`s, each on its own connection; each answer
/// comes back with the time it arrived.
fn concurrently(addr: SocketAddr, target: &str, n: usize) -> Vec<JoinHandle<(Response, Instant)>> {
    (0..n)
        .map(|_| {
            let target = target.to_owned();
            std::thread::spawn(move || {
                let r = get(addr, &target);
                (r, Instant::now())
            })
        })
        .collect()
}

/// Waits for every request of [`concurrently`]; asserts they all answered
/// `body`, and returns when the last one did.
#[track_caller]
fn all_answer(requests: Vec<JoinHandle<(Response, Instant)>>, body: &str) -> Instant {
    let mut last = None;
    for h in requests {
        let (r, at) = h.join().expect("a request thread");
        assert_response(&r, 200, body);
        last = Some(last.map_or(at, |l: Instant| l.max(at)));
    }
    last.expect("at least one request")
}

/// The time `/fast` takes on an open connection, at its slowest of a few
/// tries spread over `over`.
fn fast_meanwhile(addr: SocketAddr, over: Duration) -> Duration {
    let mut conn = Conn::open(addr);
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        std::thread::sleep(over / 6);
        let t = Instant::now();
        assert_response(&conn.get("/fast"), 200, "fast");
        worst = worst.max(t.elapsed());
    }
    worst
}

#[test]
fn blocking_pool_calls_run_side_by_side() {
    let s = start(&[]);
    let t = Instant::now();
    let slow = concurrently(s.addr, "/pool/sleep", 3);
    // The interpreter thread answers at once while three handlers sleep.
    let worst = fast_meanwhile(s.addr, Duration::from_millis(800));
    assert!(worst < Duration::from_millis(50), "/fast took {worst:?}");
    let took = all_answer(slow, r#"{"slept":1.0}"#) - t;
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(
        took < Duration::from_millis(1600),
        "three 1 s sleeps took {took:?}"
    );
    // Pool handlers run on other threads than inline ones; errors out of
    // the pool are answered and logged as anywhere else.
    assert_ne!(s.get("/pool/thread").body, s.get("/inline/thread").body);
    assert_response(&s.get("/pool/noop"), 200, r#"{"ok":true}"#);
    assert_response(
        &s.get("/pool/fail"),
        500,
        r#"{"status_code":500,"detail":"Internal Server Error"}"#,
    );
    s.expect_log("ValueError: out of the pool");
    // A pool route's `yield` dependency is torn down on the pool too.
    assert_response(&s.get("/pool/dep"), 200, "session");
    let inline = s.get("/inline/thread").text().to_owned();
    assert!(
        prebake_testkit::wait_until(Duration::from_secs(5), || s.get("/closed-on").text()
            != "[]"),
        "no teardown"
    );
    let closed = s.get("/closed-on").json();
    assert_ne!(closed[0].to_string(), inline, "the teardown ran inline");
    // No pool handler held the interpreter thread.
    assert!(!s.log().contains(WARNING), "{}", s.log());
}

#[test]
fn blocking_inline_calls_wait_in_line_and_are_reported_once() {
    let s = start(&[]);
    let t = Instant::now();
    let slow = concurrently(s.addr, "/inline/sleep?secs=0.5", 3);
    let took = all_answer(slow, r#"{"slept":0.5}"#) - t;
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    // One warning for the route, not one per request.
    s.expect_log(WARNING);
    s.expect_log("route=GET /inline/sleep");
    s.expect_log("sync_to_thread=True");
    assert_eq!(s.log().matches(WARNING).count(), 1, "{}", s.log());
    // Fast handlers are never reported; with the warning off, nothing is.
    assert_response(&s.get("/inline/noop"), 200, r#"{"ok":true}"#);
    assert_eq!(s.log().matches(WARNING).count(), 1, "{}", s.log());
    let s = start(&["--slow-handler-warn", "0"]);
    assert_response(&s.get("/inline/sleep?secs=0.3"), 200, r#"{"slept":0.3}"#);
    assert_response(&s.get("/fast"), 200, "fast");
    assert!(!s.log().contains(WARNING), "{}", s.log());
}

#[test]
fn one_thread_runs_pool_calls_one_at_a_time() {
    let s = start(&["--threads", "1"]);
    let t = Instant::now();
    let slow = concurrently(s.addr, "/pool/sleep?secs=0.5", 3);
    // The one pool thread sleeps without the GIL: the server still answers.
    let worst = fast_meanwhile(s.addr, Duration::from_millis(900));
    assert!(worst < Duration::from_millis(50), "/fast took {worst:?}");
    let took = all_answer(slow, r#"{"slept":0.5}"#) - t;
    assert!(took >= Duration::from_millis(1500), "{took:?}");
}

#[test]
fn the_handler_timeout_covers_pool_calls() {
    let s = start(&["--handler-timeout", "0.5", "--threads", "1"]);
    // A blocking call: answered 503 at the timeout, not when it returns.
    let t = Instant::now();
    assert_response(&s.get("/pool/sleep?secs=1.5"), 503, TIMED_OUT);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1400),
        "{took:?}"
    );
    s.expect_log("ran past the handler timeout");
    // A busy loop is interrupted: the one pool thread is free again soon
    // after (not after its 10 s; a call queued behind it until then would
    // time out too).
    let t = Instant::now();
    assert_response(&s.get("/pool/spin?secs=10"), 503, TIMED_OUT);
    assert!(
        prebake_testkit::wait_until(Duration::from_secs(4), || s.get("/pool/noop").status == 200),
        "the pool thread is still busy"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // Fast pool calls are unaffected, and the interrupt did not leak into
    // the next call on the thread.
    for _ in 0..3 {
        assert_response(&s.get("/pool/sleep?secs=0.05"), 200, r#"{"slept":0.05}"#);
    }
}

#[test]
fn sigterm_lets_in_flight_pool_calls_finish() {
    let mut s = start(&[]);
    let mut a = Conn::open(s.addr);
    a.send(&raw("GET", "/pool/sleep?secs=1", &[], b""));
    let mut b = Conn::open(s.addr);
    b.send(&raw("GET", "/pool/sleep?secs=1", &[], b""));
    std::thread::sleep(Duration::from_millis(400));
    s.signal("TERM");
    assert_response(&a.read(false), 200, r#"{"slept":1.0}"#);
    assert_response(&b.read(false), 200, r#"{"slept":1.0}"#);
    let status = s.exit_within(Duration::from_secs(5));
    assert!(status.success(), "{status:?}\n{}", s.log());
    s.expect_log("stopped");
}

#[test]
fn each_worker_has_its_pool() {
    let port = free_port().to_string();
    let s = start(&["--port", &port, "--workers", "2", "--threads", "4"]);
    let t = Instant::now();
    let slow = concurrently(s.addr, "/pool/sleep?secs=0.5", 6);
    let took = all_answer(slow, r#"{"slept":0.5}"#) - t;
    assert!(took < Duration::from_millis(1400), "{took:?}");
}
