//! The test kit both test layers use: the runtime's in-process behaviour
//! tests (`runtime/tests/`) and the process-level tests of built binaries
//! (`tests/`).
//!
//! - [`client`]: a deliberately small HTTP/1.1 client over a real socket, so
//!   tests see exactly the bytes the server sends;
//! - [`server`]: a built app binary started as a child process, its log
//!   collected, killed when dropped; [`app_binary`] finds (or builds) one of
//!   the apps listed in `tests/apps.txt`;
//! - [`Rng`]: the seeded random source of every randomised test, with the one
//!   reader of `PREBAKE_SEED`.
//!
//! No pyo3 here: the kit links nothing of Python.

pub mod client;
pub mod rng;
pub mod server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use client::{Conn, Response, assert_response, get, raw, request};
pub use rng::Rng;
pub use server::{Server, app_binary, apps};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ is in the workspace")
        .to_path_buf()
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until `f` is true or `timeout` passes; whether it became true.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// Runs `code` (Python that prints) under `interpreter` and returns its
/// output without the last newline: the oracle for what msgspec answers.
/// The runtime's tests pass the build's interpreter, `env!("PREBAKE_PYTHON")`.
pub fn python(interpreter: &str, code: &str) -> String {
    let out = std::process::Command::new(interpreter)
        .args(["-c", code])
        .output()
        .unwrap_or_else(|e| panic!("{interpreter}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim_end_matches('\n')
        .to_owned()
}
