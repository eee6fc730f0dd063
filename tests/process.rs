//! The compiled binary as a user runs it: under `env -i` from another
//! directory, `--help` and bad flags, the environment variables, `--workers 2`
//! sharing one port, and SIGTERM.
//!
//! Starts the hello example (`examples/hello/app.py`), built by `cargo xtask
//! build` (see `tests/apps.txt`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use prebake_testkit::{Server, app_binary, assert_response, free_port, get, request};

fn binary() -> PathBuf {
    app_binary("hello")
}

/// Waits until nothing accepts connections on `addr` any more.
#[track_caller]
fn assert_port_closes(addr: std::net::SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "workers outlived their parent");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn runs_under_env_i_from_any_directory() {
    // `Server::start` clears the environment and starts it in `/`.
    let s = Server::start(&binary(), &[]);
    let line = s.listening_line();
    assert!(line.contains("(app hello, 4 routes, workers 1)"), "{line}");
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
    // It is the first line the server logs.
    let log = s.log();
    assert_eq!(log.lines().next(), Some(line), "{log}");
    assert_response(&get(s.addr, "/json"), 200, r#"{"message":"Hello, World!"}"#);
    // msgspec came from the build's environment: a body round-trips through it.
    let r = request(s.addr, "POST", "/validate", &[], br#"{"name":"A","age":1}"#);
    assert_response(&r, 201, r#"{"name":"A","age":1,"email":null}"#);
}

#[test]
fn help_and_bad_arguments() {
    let out = Command::new(binary())
        .arg("--help")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--workers N"), "{text}");
    let out = Command::new(binary())
        .args(["--port", "nope"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid port"));
}

#[test]
fn env_vars_configure_the_server() {
    let port = free_port();
    let s = Server::spawn(
        Command::new(binary())
            .env_clear()
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1"),
    );
    let line = s.listening_line();
    assert!(
        line.contains(&format!("http://127.0.0.1:{port} ")),
        "{line}"
    );
}

#[test]
fn workers_share_the_port() {
    let port = free_port().to_string();
    let mut s = Server::start(&binary(), &["--port", &port, "--workers", "2"]);
    assert!(
        s.listening_line().contains("workers 2"),
        "{}",
        s.listening_line()
    );
    for i in 0..20 {
        assert_response(
            &get(s.addr, &format!("/user/{i}")),
            200,
            &format!(r#"{{"id":{i}}}"#),
        );
    }
    // Killing the supervisor takes its workers down with it.
    let addr = s.addr;
    s.kill();
    assert_port_closes(addr);
}

#[test]
fn sigterm_stops_server_and_workers() {
    let mut s = Server::start(&binary(), &[]);
    assert_eq!(get(s.addr, "/plaintext").status, 200);
    s.signal("TERM");
    assert!(s.exit_within(Duration::from_secs(5)).success());

    let port = free_port().to_string();
    let mut s = Server::start(&binary(), &["--port", &port, "--workers", "2"]);
    assert_eq!(get(s.addr, "/plaintext").status, 200);
    s.signal("TERM");
    assert!(s.exit_within(Duration::from_secs(5)).success());
    assert_port_closes(s.addr);
}
