//! The compiled binary as a user runs it: under `env -i` from another
//! directory, `--help`, and `--workers 2` sharing one port.
//!
//! Uses `examples/hello` (`tests/apps/hello_app.py`), which `cargo test` builds alongside
//! the tests.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::assert_response;

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("examples").join("hello");
    assert!(
        bin.exists(),
        "{} is missing: run the whole `cargo test -p prebake` (it builds the examples)",
        bin.display()
    );
    bin
}

/// Kills the child when dropped, so a failing test leaves no server behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with an empty environment and waits for its
/// `listening on http://ADDR` line.
fn start(args: &[&str]) -> (Server, SocketAddr, String) {
    let mut child = Command::new(binary())
        .args(args)
        .env_clear()
        .current_dir("/")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
    let stderr = child.stderr.take().expect("stderr");
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let line = lines.next().expect("a log line").expect("UTF-8 log line");
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .parse()
        .expect("an address");
    (server, addr, line)
}

#[test]
fn runs_under_env_i_from_any_directory() {
    let (_server, addr, line) = start(&["--port", "0"]);
    assert!(
        line.contains("(app hello_app, 5 routes, workers 1)"),
        "{line}"
    );
    assert_response(
        &common::get(addr, "/json"),
        200,
        r#"{"message":"Hello, World!"}"#,
    );
    // msgspec came from the build's environment: a body round-trips through it.
    let r = common::request(addr, "POST", "/validate", &[], br#"{"name":"A","age":1}"#);
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
    let mut child = Command::new(binary())
        .env_clear()
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _server = Server(child);
    let line = BufReader::new(stderr).lines().next().unwrap().unwrap();
    assert!(
        line.contains(&format!("http://127.0.0.1:{port} ")),
        "{line}"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn workers_share_the_port() {
    let port = free_port();
    let (mut server, addr, line) = start(&["--port", &port.to_string(), "--workers", "2"]);
    assert!(line.contains("workers 2"), "{line}");
    for i in 0..20 {
        assert_response(
            &common::get(addr, &format!("/user/{i}")),
            200,
            &format!(r#"{{"id":{i}}}"#),
        );
    }
    // Killing the supervisor takes its workers down with it.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "workers outlived their parent");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "SIGTERM did not stop the server");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_stops_server_and_workers() {
    let (mut server, addr, _) = start(&["--port", "0"]);
    assert_eq!(common::get(addr, "/plaintext").status, 200);
    assert!(terminate(&mut server.0).success());

    let port = free_port();
    let (mut server, addr, _) = start(&["--port", &port.to_string(), "--workers", "2"]);
    assert_eq!(common::get(addr, "/plaintext").status, 200);
    assert!(terminate(&mut server.0).success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "workers outlived their parent");
        std::thread::sleep(Duration::from_millis(20));
    }
}
