//! A compiled app (`tests/apps/production/app.py`, built by the compiler
//! like any other) in production conditions, over real sockets: bad input
//! answered in the SPEC §2 shape with the next request still served,
//! handler faults, timeouts, SIGTERM during a slow request, and a killed
//! worker of `--workers 2`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prebake_tests::{Conn, Response, app_binary, free_port, wait_until};

/// The production app as a process, killed when dropped.
struct App {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    fn start(args: &[&str]) -> App {
        let port = free_port();
        let mut child = Command::new(app_binary("production"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(args)
            .env_remove("PORT")
            .env_remove("HOST")
            .env_remove("WORKERS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the production app starts");
        let stderr = child.stderr.take().expect("piped");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                log.push_str(&line);
                log.push('\n');
            }
        });
        let app = App { child, port, log };
        assert!(
            wait_until(Duration::from_secs(30), || app
                .log()
                .contains("listening on")),
            "did not start: {}",
            app.log()
        );
        app
    }

    fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    #[track_caller]
    fn expect_log(&self, needle: &str) {
        assert!(
            wait_until(Duration::from_secs(10), || self.log().contains(needle)),
            "no `{needle}` in the log:\n{}",
            self.log()
        );
    }

    fn get(&self, target: &str) -> Response {
        Conn::new(self.port).request("GET", target, &[], b"")
    }

    /// Sends raw bytes on a new connection and reads one response.
    fn raw(&self, bytes: &[u8]) -> Response {
        let mut c = Conn::new(self.port);
        c.send_raw(bytes);
        c.read_response(false)
    }

    #[track_caller]
    fn still_serves(&self) {
        let r = self.get("/ok/1");
        assert_eq!((r.status, r.text()), (200, r#"{"n":1}"#.to_owned()));
    }

    fn signal(&self, sig: &str) {
        signal(self.child.id(), sig);
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return s;
            }
            assert!(Instant::now() < deadline, "still running:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

#[track_caller]
fn assert_answer(r: &Response, status: u16, body: &str) {
    assert_eq!((r.status, r.text().as_str()), (status, body), "{r:?}");
}

#[test]
fn bad_input_gets_its_status_and_the_next_request_succeeds() {
    let app = App::start(&[]);
    let too_large = r#"{"status_code":413,"detail":"Request Entity Too Large"}"#;
    let cases: Vec<(Vec<u8>, u16, String)> = vec![
        (
            b"POST /items HTTP/1.1\r\nhost: t\r\ncontent-length: 5000\r\n\r\n{".to_vec(),
            413,
            too_large.into(),
        ),
        (
            [
                &b"POST /items HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n"[..],
                format!("400\r\n{}\r\n", "x".repeat(1024)).as_bytes(),
                format!("400\r\n{}\r\n", "x".repeat(1024)).as_bytes(),
            ]
            .concat(),
            413,
            too_large.into(),
        ),
        (
            b"POST /items HTTP/1.1\r\nhost: t\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec(),
            415,
            r#"{"status_code":415,"detail":"Unsupported Media Type"}"#.into(),
        ),
        (
            format!("GET /q?text={} HTTP/1.1\r\nhost: t\r\n\r\n", "a".repeat(9000)).into_bytes(),
            414,
            r#"{"status_code":414,"detail":"URI Too Long"}"#.into(),
        ),
        (
            format!("GET /ok/1 HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n", "b".repeat(20_000))
                .into_bytes(),
            431,
            String::new(),
        ),
        (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), 400, String::new()),
        (
            b"GET /q?text=%zz HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
            r#"{"status_code":400,"detail":"Validation failed for GET /q?text=%zz","extra":[{"message":"Malformed percent-encoding","key":"text","source":"query"}]}"#.into(),
        ),
        (
            b"GET /echo/%C3%28 HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
            r#"{"status_code":400,"detail":"Validation failed for GET /echo/%C3%28","extra":[{"message":"Invalid UTF-8","key":"word","source":"path"}]}"#.into(),
        ),
        (
            {
                let body = format!("{{\"a\":{}{}}}", "[".repeat(300), "]".repeat(300));
                format!(
                    "POST /doc HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            },
            400,
            r#"{"status_code":400,"detail":"JSON is malformed: nested deeper than 256 levels"}"#
                .into(),
        ),
        (
            b"POST /items HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n\
              7\r\n{\"name\"\r\n11\r\n:\"a\",\"price\":1.5}\r\n0\r\n\r\n"
                .to_vec(),
            201,
            r#"{"name":"a","price":1.5}"#.into(),
        ),
        (
            b"GET /ok/2 HTTP/1.1\r\nhost: t\r\ncontent-length: 4\r\n\r\nbody".to_vec(),
            200,
            r#"{"n":2}"#.into(),
        ),
    ];
    for (bytes, status, body) in cases {
        let r = app.raw(&bytes);
        assert_answer(&r, status, &body);
        app.still_serves();
    }
    // Expect: 100-continue.
    let mut c = Conn::new(app.port);
    let body = br#"{"name":"b","price":2.0}"#;
    c.send_raw(
        format!(
            "POST /items HTTP/1.1\r\nhost: t\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(c.read_response(false).status, 100);
    c.send_raw(body);
    assert_answer(&c.read_response(false), 201, r#"{"name":"b","price":2.0}"#);
}

#[test]
fn faults_in_handlers_are_500s() {
    let app = App::start(&[]);
    let internal = r#"{"status_code":500,"detail":"Internal Server Error"}"#;
    for path in ["/boom", "/wrong", "/exit"] {
        assert_answer(&app.get(path), 500, internal);
        app.still_serves();
    }
    app.expect_log("RuntimeError: kaboom");
    app.expect_log("Traceback (most recent call last)");
    app.expect_log("route=GET /wrong");
    app.expect_log("does not match its declared type");
    app.expect_log("SystemExit: 2");
}

#[test]
fn timeouts_cut_off_slow_handlers_and_clients() {
    let app = App::start(&["--handler-timeout", "0.5", "--header-read-timeout", "1"]);
    let t = Instant::now();
    assert_answer(
        &app.get("/spin?ms=10000"),
        503,
        r#"{"status_code":503,"detail":"Service Unavailable: the handler timed out"}"#,
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(app.get("/sleep?ms=5000").status, 503);
    app.still_serves();
    // A client that sends half a head is cut off at the timeout.
    let t = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", app.port)).expect("connect");
    std::io::Write::write_all(&mut stream, b"GET /ok/1 HTTP/1.1\r\nhost").expect("write");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 64];
    let n = std::io::Read::read(&mut stream, &mut buf).unwrap_or(0);
    assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(&buf[..n]));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_millis(2500),
        "{took:?}"
    );
    app.still_serves();
}

#[test]
fn sigterm_during_a_slow_request_lets_it_finish_and_exits_0() {
    let mut app = App::start(&[]);
    let port = app.port;
    // Sent before the signal from this thread: on the wire however slow
    // the machine is.
    let mut slow = Conn::new(port);
    slow.send("GET", "/block?ms=1000", &[], b"");
    std::thread::sleep(Duration::from_millis(400));
    app.signal("TERM");
    assert_answer(&slow.read_response(false), 200, "blocked");
    let status = app.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", app.log());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_killed_worker_of_two_is_survived() {
    let mut app = App::start(&["--workers", "2"]);
    let pid = app.child.id();
    let children = || -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let workers = children();
    assert_eq!(workers.len(), 2, "{workers:?}");
    signal(workers[1], "KILL");
    app.expect_log(&format!("worker 1 (pid {}) died", workers[1]));
    for _ in 0..20 {
        app.still_serves();
    }
    app.expect_log("worker 1 restarted");
    assert!(wait_until(Duration::from_secs(10), || {
        let now = children();
        now.len() == 2 && !now.contains(&workers[1])
    }));
    for _ in 0..20 {
        app.still_serves();
    }
    app.signal("TERM");
    assert!(app.wait_exit(Duration::from_secs(10)).success());
}
