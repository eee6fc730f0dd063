//! The application model in a built binary: the lifespan in every worker,
//! its exit on SIGTERM, a lifespan that fails at start-up, and failures in
//! dependencies over real sockets. (What each route answers is compared
//! with FastAPI's answers in `tests/python/test_fastapi_differential.py`.)
//!
//! Starts the depends test app (`tests/apps/depends/app.py`), built by
//! `cargo xtask build` (see `tests/apps.txt`).

use std::process::Command;
use std::time::Duration;

use prebake_testkit::{Server, app_binary, assert_response, free_port, get, request, wait_until};

#[test]
fn lifespan_runs_in_each_worker_and_exits_on_sigterm() {
    let port = free_port().to_string();
    let mut s = Server::start(&app_binary("depends"), &["--port", &port, "--workers", "2"]);
    assert!(
        wait_until(Duration::from_secs(10), || s
            .log()
            .matches("lifespan start")
            .count()
            == 2),
        "{}",
        s.log()
    );
    assert_response(
        &get(s.addr, "/greeting"),
        200,
        r#"{"greeting":"hello from the lifespan"}"#,
    );
    s.signal("TERM");
    assert!(s.exit_within(Duration::from_secs(10)).success());
    let log = s.log();
    assert_eq!(log.matches("lifespan stop").count(), 2, "{log}");
}

#[test]
fn a_failing_lifespan_stops_the_process_before_the_port_is_announced() {
    let port = free_port();
    let mut cmd = Command::new(app_binary("depends"));
    cmd.env_clear()
        .env("DEPENDS_FAIL_LIFESPAN", "1")
        .args(["--port", &port.to_string()]);
    let out = cmd.output().expect("the binary runs");
    assert!(!out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("the database is unreachable"), "{log}");
    assert!(log.contains("Traceback"), "{log}");
    assert!(!log.contains("listening on"), "{log}");
}

#[test]
fn failures_in_dependencies() {
    let s = Server::start(&app_binary("depends"), &[]);
    get(s.addr, "/events"); // Forget the lifespan's event.
    // An HTTPException from a later dependency: its answer, and the earlier
    // `yield` dependency saw it and closed.
    let r = get(s.addr, "/db/denied");
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(r.text().contains("missing token"), "{}", r.text());
    // The exception path tears down before the response is built.
    assert_response(
        &get(s.addr, "/events"),
        200,
        r#"["db open","db saw HTTPException","db close"]"#,
    );
    // Any other exception in a dependency: a 500 that says nothing, and
    // the traceback in the log only.
    let r = get(s.addr, "/dep/boom");
    assert_response(
        &r,
        500,
        r#"{"status_code":500,"detail":"Internal Server Error"}"#,
    );
    assert!(!r.text().contains("secret-internal-detail"));
    s.expect_log("secret-internal-detail");
    s.expect_log("ValueError");
    // The server keeps serving.
    let r = request(s.addr, "GET", "/me", &[("x-token", "user-zoe")], b"");
    assert_response(&r, 200, r#"{"user":"zoe"}"#);
}
