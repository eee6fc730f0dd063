//! Shared helpers for the end-to-end tests: find (or build) an example's
//! server binary, start it on a free port, and talk HTTP/1.1 to it over a
//! real socket with a deliberately small client (so the tests see exactly
//! the bytes the server sends).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The apps the end-to-end tests serve: (binary name, app path from the
/// workspace root). `cargo xtask test` builds each before the tests run.
pub const APPS: &[(&str, &str)] = &[
    ("hello", "examples/hello/app.py"),
    ("todo", "examples/todo/app.py"),
    ("kitchen", "tests/apps/kitchen/app.py"),
    ("production", "tests/apps/production/app.py"),
];

/// The server binary of one of [`apps`].
///
/// `cargo xtask test` builds the apps before running the tests and points
/// `PREBAKE_E2E_BIN_DIR` at them; a plain `cargo test` builds them here, with
/// a target directory of its own so it never waits on the lock of the
/// `cargo test` that runs it.
pub fn app_binary(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PREBAKE_E2E_BIN_DIR") {
        return Path::new(&dir).join(name);
    }
    let app = APPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .expect("a known app");
    let _guard = BUILD_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = root().join("target").join("e2e-bin").join(name);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args(["run", "-q", "-p", "xtask", "--", "build"])
        .arg(root().join(app))
        .arg("--out")
        .arg(&out)
        .env("CARGO_TARGET_DIR", root().join("target").join("e2e"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {app} failed");
    out
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running server process, killed on drop.
pub struct Server {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// What it logged before it was ready.
    pub startup_log: String,
    log: std::sync::Arc<Mutex<String>>,
}

impl Server {
    /// Starts `binary` on a free port with extra arguments and waits until it
    /// logs that it listens.
    pub fn start(binary: &Path, args: &[&str]) -> Server {
        let port = free_port();
        let mut child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(args)
            .env_remove("PORT")
            .env_remove("HOST")
            .env_remove("WORKERS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let stderr = child.stderr.take().expect("piped");
        let log = std::sync::Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let listening = line.contains("listening on");
                // Log first, then signal: `startup_log` must hold the line.
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push_str(&(line + "\n"));
                if listening && let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            panic!(
                "server did not start: {}",
                log.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            );
        }
        let startup_log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Server {
            child,
            port,
            startup_log,
            log,
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A new connection to the server.
    pub fn connect(&self) -> Conn {
        Conn::new(self.port)
    }

    /// Sends one request on a new connection.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.connect().request(method, target, headers, body)
    }

    /// `GET target`.
    pub fn get(&self, target: &str) -> Response {
        self.request("GET", target, &[], b"")
    }

    /// `POST target` with a JSON body.
    pub fn post_json(&self, target: &str, body: &str) -> Response {
        self.request(
            "POST",
            target,
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One keep-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Connects to the loopback port.
    pub fn new(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        Conn {
            reader: BufReader::new(stream),
        }
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }

    /// Writes a request without reading the answer (for pipelining).
    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut req = format!("{method} {target} HTTP/1.1\r\nhost: localhost\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
            req.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
    }

    /// Sends a request and reads the response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, target, headers, body);
        self.read_response(method == "HEAD")
    }

    /// Reads one response (`head`: the request was HEAD, so no body).
    pub fn read_response(&mut self, head: bool) -> Response {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).expect("header");
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').expect("header colon");
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if !head && status != 204 && status != 304 {
            if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
                body.resize(len, 0);
                self.reader.read_exact(&mut body).expect("body");
            } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                loop {
                    let mut size = String::new();
                    self.reader.read_line(&mut size).expect("chunk size");
                    let n = usize::from_str_radix(size.trim(), 16).expect("hex size");
                    let mut chunk = vec![0; n + 2];
                    self.reader.read_exact(&mut chunk).expect("chunk");
                    if n == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }
}

/// Waits until `f` is true or the timeout passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
