//! The server in production conditions, over real sockets, as a process:
//! limits and bad input (each answered in the SPEC §2 shape, and the next
//! request on a new connection still served), handler faults, timeouts,
//! graceful shutdown, worker supervision, logs and metrics.
//!
//! Serves `examples/kitchen` (`tests/apps/kitchen_app.py`,
//! `App(max_body_size=256)`), which `cargo test` builds alongside.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Conn, Response, assert_response, get, raw, request};

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("examples").join("kitchen");
    assert!(
        bin.exists(),
        "{} is missing: run the whole `cargo test -p prebake` (it builds the examples)",
        bin.display()
    );
    bin
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the kitchen app with `args` (and `--port 0` unless a port is
    /// given) and waits for its `listening on` line.
    fn start(args: &[&str]) -> Server {
        let mut cmd = Command::new(binary());
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        let mut child = cmd
            .args(args)
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("the server did not start: {}", log.lock().unwrap());
        };
        Server {
            child,
            addr: addr.parse().expect("an address"),
            log,
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`.
    #[track_caller]
    fn expect_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        signal(self.child.id(), sig);
    }

    /// Waits for the process to exit.
    #[track_caller]
    fn exit_within(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The next request on a new connection still succeeds.
    #[track_caller]
    fn still_serves(&self) {
        assert_response(&get(self.addr, "/things/7"), 200, r#"{"id":7}"#);
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// Sends `bytes` on a new connection and reads one response.
fn exchange(addr: SocketAddr, bytes: &[u8]) -> Response {
    let mut conn = Conn::open(addr);
    conn.send(bytes);
    conn.read(false)
}

const VALIDATION: &str = r#"{"status_code":400,"detail":"Validation failed for GET "#;

#[test]
fn oversized_and_mistyped_bodies() {
    let s = Server::start(&[]);
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
    s.still_serves();
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
    s.still_serves();
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
    s.still_serves();
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
        &exchange(s.addr, &chunked),
        201,
        r#"{"items":[{"name":"a","price":1.5,"tags":[]}],"note":null}"#,
    );
    // Malformed chunked framing: 400, and the connection is closed.
    let r = exchange(
        s.addr,
        b"POST /orders HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    );
    assert_response(
        &r,
        400,
        r#"{"status_code":400,"detail":"Could not read the request body"}"#,
    );
    s.still_serves();
}

#[test]
fn expect_continue() {
    let s = Server::start(&[]);
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
    s.still_serves();
}

#[test]
fn a_body_on_a_route_without_one_is_ignored() {
    let s = Server::start(&[]);
    let mut conn = Conn::open(s.addr);
    let r = conn.request("GET", "/things/1", &[], b"hello");
    assert_response(&r, 200, r#"{"id":1}"#);
    // The body was skipped, not taken for the next request.
    assert_response(&conn.get("/things/2"), 200, r#"{"id":2}"#);
}

#[test]
fn malformed_http_and_head_limits() {
    let s = Server::start(&["--max-uri-length", "2048"]);
    // hyper answers what it cannot parse itself, with an empty body.
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /things/1 HTTP/1.1\r\nhost: t\r\ncontent-length: abc\r\n\r\n",
        b"GET /things/1 HTTP/1.1\r\nbad header\r\n\r\n",
        b"GET /things/\xff HTTP/1.1\r\nhost: t\r\n\r\n",
    ] {
        let r = exchange(s.addr, bad);
        assert_eq!((r.status, r.body.len()), (400, 0), "{bad:?}: {r:?}");
        s.still_serves();
    }
    // A request target past --max-uri-length: 414 in the SPEC shape.
    let long = format!("/things/1?pad={}", "a".repeat(3000));
    assert_response(
        &get(s.addr, &long),
        414,
        r#"{"status_code":414,"detail":"URI Too Long"}"#,
    );
    s.still_serves();
    // Headers past --max-header-size (16 KiB) or --max-headers (100): 431.
    let big = "b".repeat(20_000);
    let r = request(s.addr, "GET", "/things/1", &[("x-big", &big)], b"");
    assert_eq!((r.status, r.body.len()), (431, 0), "{r:?}");
    s.still_serves();
    let names: Vec<String> = (0..120).map(|i| format!("x-h{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let r = request(s.addr, "GET", "/things/1", &many, b"");
    assert_eq!(r.status, 431, "{r:?}");
    s.still_serves();
}

#[test]
fn undecodable_parameters_are_400s() {
    let s = Server::start(&[]);
    let cases: [(&[u8], &str); 5] = [
        (
            b"GET /search?q=100% HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/search?q=100%","extra":[{"message":"Malformed percent-encoding","key":"q","source":"query"}]}"#,
        ),
        (
            b"GET /search?q=%C3%28 HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/search?q=%C3%28","extra":[{"message":"Invalid UTF-8","key":"q","source":"query"}]}"#,
        ),
        (
            b"GET /echo/%ff HTTP/1.1\r\nhost: t\r\n\r\n",
            r#"/echo/%ff","extra":[{"message":"Invalid UTF-8","key":"name","source":"path"}]}"#,
        ),
        (
            b"GET /search?q=a HTTP/1.1\r\nhost: t\r\nx-id: \xff1\r\n\r\n",
            r#"/search?q=a","extra":[{"message":"Invalid UTF-8","key":"x-id","source":"header"}]}"#,
        ),
        (
            b"GET /search?q=a HTTP/1.1\r\nhost: t\r\ncookie: session=\xe9t\xe9\r\n\r\n",
            r#"/search?q=a","extra":[{"message":"Invalid UTF-8","key":"session","source":"cookie"}]}"#,
        ),
    ];
    for (bytes, tail) in cases {
        let r = exchange(s.addr, bytes);
        assert_response(&r, 400, &format!("{VALIDATION}{tail}"));
        s.still_serves();
    }
    // Values that decode are untouched; `+` is a space in a query.
    assert_eq!(
        get(s.addr, "/echo/caf%C3%A9").text(),
        "café",
        "percent-decoded path"
    );
}

#[test]
fn deeply_nested_json_is_a_400() {
    let s = Server::start(&["--max-body-size", "1MiB", "--max-json-depth", "16"]);
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
    s.still_serves();
    drop(s);
    // Without our limit, msgspec's own (the recursion limit) is a 400 too,
    // never a crash or a 500.
    let s = Server::start(&["--max-body-size", "1MiB", "--max-json-depth", "0"]);
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
    s.still_serves();
}

const INTERNAL: &str = r#"{"status_code":500,"detail":"Internal Server Error"}"#;

#[test]
fn handler_faults_are_500s_and_the_worker_keeps_serving() {
    let s = Server::start(&[]);
    // An exception: the traceback goes to the log, never to the body.
    assert_response(&get(s.addr, "/boom"), 500, INTERNAL);
    s.expect_log("Traceback (most recent call last)");
    s.expect_log("RuntimeError: boom");
    s.expect_log("route=GET /boom");
    s.still_serves();
    // A value of the wrong type: the route and the mismatch are logged.
    assert_response(&get(s.addr, "/wrong-type"), 500, INTERNAL);
    s.expect_log("does not match its declared type");
    s.expect_log("route=GET /wrong-type");
    // A panic in Rust glue: tests/glue_panic.rs (generated code has none).
    // SystemExit and KeyboardInterrupt do not stop the server.
    for path in ["/exit", "/interrupt", "/async-exit"] {
        assert_response(&get(s.addr, path), 500, INTERNAL);
        s.still_serves();
    }
    s.expect_log("SystemExit: 3");
    s.expect_log("KeyboardInterrupt");
    s.expect_log("SystemExit: 4");
    // Every error line carries a request id.
    assert!(s.log().contains("request_id="), "{}", s.log());
}

#[test]
fn handler_timeout_answers_503() {
    let s = Server::start(&["--handler-timeout", "0.5"]);
    let timed_out = r#"{"status_code":503,"detail":"Service Unavailable: the handler timed out"}"#;
    // A busy loop in Python is interrupted.
    let t = Instant::now();
    assert_response(&get(s.addr, "/spin?ms=10000"), 503, timed_out);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    s.still_serves();
    // A blocking call is answered when it returns.
    let t = Instant::now();
    assert_response(&get(s.addr, "/block?ms=1200"), 503, timed_out);
    assert!(t.elapsed() >= Duration::from_millis(1200));
    s.still_serves();
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
    let s = Server::start(&["--header-read-timeout", "1", "--keep-alive-timeout", "1.5"]);
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
    s.still_serves();
}

#[test]
fn connections_past_the_limit_wait() {
    let s = Server::start(&["--max-connections", "2"]);
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
    let mut s = Server::start(&[]);
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
    let mut s = Server::start(&["--graceful-timeout", "0.5"]);
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
    let mut s = Server::start(&[]);
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

/// The pids of `parent`'s children.
fn children(parent: u32) -> Vec<u32> {
    let text = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
        .unwrap_or_default();
    text.split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_dead_worker_is_restarted_and_sigterm_drains_all() {
    let port = free_port().to_string();
    let mut s = Server::start(&[
        "--port",
        &port,
        "--workers",
        "2",
        "--metrics-path",
        "/metrics",
    ]);
    let workers = children(s.child.id());
    assert_eq!(workers.len(), 2, "{workers:?}");
    signal(workers[0], "KILL");
    // Once the kernel has closed the dead worker's socket (connections
    // queued on it are reset: SO_REUSEPORT does not move them), the other
    // worker serves alone until the parent has restarted the dead one.
    s.expect_log(&format!("worker 0 (pid {}) died: signal 9", workers[0]));
    for _ in 0..20 {
        s.still_serves();
    }
    s.expect_log("worker 0 restarted");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = children(s.child.id());
        if now.len() == 2 && !now.contains(&workers[0]) {
            break;
        }
        assert!(Instant::now() < deadline, "{now:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The counters of both workers are summed, restarts counted.
    for _ in 0..10 {
        s.still_serves();
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
    let workers = children(s.child.id());
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
    let s = Server::start(&[
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
    let s = Server::start(&["--metrics-port", &port]);
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

    let s = Server::start(&["--header-read-timeout", "0.5", "--max-body-size", "4KiB"]);
    let seed = std::env::var("PREBAKE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| u64::from(std::process::id()) * 2_654_435_761);
    eprintln!("wire fuzz: seed {seed}");
    let mut state = seed | 1;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % n as u64).unwrap()
    };
    let seeds: [&[u8]; 5] = [
        b"GET /search?q=a&n=2&ids=1&ids=2 HTTP/1.1\r\nhost: t\r\nx-id: 5\r\ncookie: session=s\r\n\r\n",
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
            s.still_serves();
        }
    }
    s.still_serves();
    assert!(!s.log().contains("panic"), "{}", s.log());
}
