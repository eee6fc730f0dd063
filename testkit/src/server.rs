//! Built app binaries as child processes: found (or built) by name from
//! `tests/apps.txt`, started on a free port, their log collected, killed
//! when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::client::{self, Conn, Response};

/// The apps the process-level tests start, from `tests/apps.txt` (the one
/// list; `cargo xtask test` builds each before the tests run): (binary
/// name, app path from the workspace root).
pub fn apps() -> Vec<(String, String)> {
    let path = crate::root().join("tests").join("apps.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_apps(&text)
}

/// The `name path` lines of an app list, without comments and blank lines.
pub fn parse_apps(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, app) = l
                .split_once(char::is_whitespace)
                .unwrap_or_else(|| panic!("`{l}`: want `name path`"));
            (name.to_owned(), app.trim().to_owned())
        })
        .collect()
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The server binary of the app `name` of [`apps`].
///
/// `cargo xtask test` builds the apps before it runs the tests and points
/// `PREBAKE_E2E_BIN_DIR` at them; a plain `cargo test` builds them here, with
/// a target directory of its own so it never waits on the lock of the
/// `cargo test` that runs it.
pub fn app_binary(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PREBAKE_E2E_BIN_DIR") {
        return Path::new(&dir).join(name);
    }
    let (_, app) = apps()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no app `{name}` in tests/apps.txt"));
    let _guard = BUILD_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let root = crate::root();
    let out = root.join("target").join("e2e-bin").join(name);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args(["run", "-q", "-p", "xtask", "--", "build"])
        .arg(root.join(&app))
        .arg("--out")
        .arg(&out)
        .env("CARGO_TARGET_DIR", root.join("target").join("e2e"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {app} failed");
    out
}

/// A running server process, killed when dropped.
pub struct Server {
    child: Child,
    /// The address it listens on, from its `listening on http://ADDR` line.
    pub addr: SocketAddr,
    listening: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `binary` as a user would, with an empty environment and `/` as
    /// its working directory, with `args` (and `--port 0` unless they give a
    /// port), and waits until it logs that it listens.
    pub fn start(binary: &Path, args: &[&str]) -> Server {
        let mut cmd = Command::new(binary);
        cmd.env_clear().current_dir("/");
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        cmd.args(args);
        Server::spawn(&mut cmd)
    }

    /// Spawns `cmd` (its stderr taken, its stdout dropped) and waits until it
    /// logs `listening on http://ADDR`.
    pub fn spawn(cmd: &mut Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let stderr = child.stderr.take().expect("piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        // Drains stderr for the whole life of the process, so that the server
        // never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut ready = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut log = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    log.push_str(&line);
                    log.push('\n');
                }
                if line.contains("listening on http://")
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(line);
                }
            }
        });
        let Ok(listening) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server did not start: {}",
                log.lock().unwrap_or_else(PoisonError::into_inner)
            );
        };
        let addr = listening
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {listening:?}"));
        Server {
            child,
            addr,
            listening,
            log,
        }
    }

    /// Its `listening on http://ADDR ...` line.
    pub fn listening_line(&self) -> &str {
        &self.listening
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until the log contains `needle` (10 s at most).
    #[track_caller]
    pub fn expect_log(&self, needle: &str) {
        assert!(
            crate::wait_until(Duration::from_secs(10), || self.log().contains(needle)),
            "no `{needle}` in the log:\n{}",
            self.log()
        );
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The pids of its child processes (its workers under `--workers`).
    pub fn workers(&self) -> Vec<u32> {
        let pid = self.pid();
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// Sends it `sig` (`"TERM"`, `"INT"`, `"KILL"`...).
    pub fn signal(&self, sig: &str) {
        signal(self.pid(), sig);
    }

    /// Kills it and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for it to exit; fails after `within`.
    #[track_caller]
    pub fn exit_within(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
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

    /// A new connection to it.
    pub fn connect(&self) -> Conn {
        Conn::open(self.addr)
    }

    /// `GET target` on a new connection.
    pub fn get(&self, target: &str) -> Response {
        client::get(self.addr, target)
    }

    /// One request on a new connection.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        client::request(self.addr, method, target, headers, body)
    }

    /// Sends `bytes` on a new connection and reads one response.
    pub fn exchange(&self, bytes: &[u8]) -> Response {
        let mut conn = self.connect();
        conn.send(bytes);
        conn.read(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `kill -SIG pid`.
#[track_caller]
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_app_list_parses() {
        let apps = super::apps();
        assert!(apps.iter().any(|(n, _)| n == "hello"), "{apps:?}");
        for (_, path) in apps {
            assert!(crate::root().join(&path).is_file(), "{path}");
        }
    }
}
