//! The servers under test: how each is started, its process tree, and the
//! figures `/proc` gives about it (CPU ticks, peak RSS).
//!
//! Every server runs under `taskset -c 1` in a process group of its own, on
//! a fresh port, with its output in `target/bench/logs/<id>.log`. Its figures
//! are summed over its whole process tree (Granian runs its worker as a
//! child process).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::setup::Tools;

/// The CPU the servers run on; wrk runs on the other one.
pub(crate) const SERVER_CPU: u32 = 1;
pub(crate) const LOAD_CPU: u32 = 0;

/// Every server the benchmark knows, in the order it runs them.
pub(crate) const IDS: [&str; 6] = [
    "prebake",
    "plain-hyper",
    "fastapi-uvicorn",
    "blacksheep-uvicorn",
    "blacksheep-granian",
    "litestar-granian",
];

/// How to start one server. `{port}` in `args` is replaced.
pub(crate) struct Spec {
    pub(crate) id: &'static str,
    pub(crate) label: String,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) cwd: PathBuf,
    /// Environment variables besides ours (the database's, the io suite's).
    pub(crate) env: Vec<(String, String)>,
    /// The path whose 200 says the server is up.
    pub(crate) ready: &'static str,
    /// The endpoints it serves, by name, when not all of the suite's.
    pub(crate) only: Option<&'static [&'static str]>,
}

impl Spec {
    /// Whether the server has endpoint `ep`.
    pub(crate) fn serves(&self, ep: &super::Endpoint) -> bool {
        self.only.is_none_or(|only| only.contains(&ep.name))
    }

    /// The command line as the results file shows it.
    pub(crate) fn display(&self) -> String {
        let program = self.program.display().to_string();
        let program = program
            .rsplit_once("/target/")
            .map_or(program.clone(), |(_, rest)| format!("target/{rest}"));
        let mut parts = vec![
            "taskset".to_string(),
            "-c".into(),
            SERVER_CPU.to_string(),
            program,
        ];
        parts.extend(self.args.iter().map(|a| a.replace("{port}", "PORT")));
        parts.join(" ")
    }
}

/// What server `id` is, in a few words.
pub(crate) fn label(id: &str) -> &'static str {
    match id {
        "prebake" => "prebake (examples/hello)",
        "plain-hyper" => "plain hyper + tokio, no Python (ceiling)",
        "fastapi-uvicorn" => "FastAPI on uvicorn (uvloop, httptools)",
        "blacksheep-uvicorn" => "BlackSheep on uvicorn (uvloop, httptools)",
        "blacksheep-granian" => "BlackSheep on Granian (ASGI, uvloop)",
        _ => "Litestar on Granian (ASGI, uvloop, msgspec)",
    }
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// uvicorn's arguments for ASGI app `app` (`module:attr`): uvloop,
/// httptools, no access log, one worker.
pub(crate) fn uvicorn_args(app: &str) -> Vec<String> {
    strings(&[
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ])
}

/// Granian's arguments for ASGI app `app`: one worker, uvloop, HTTP/1.
pub(crate) fn granian_args(app: &str) -> Vec<String> {
    strings(&[
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "1",
        "--no-ws",
        "--no-access-log",
        "--log-level",
        "warning",
        app,
    ])
}

/// The specification of server `id` (one of [`IDS`]).
pub(crate) fn spec(id: &str, root: &Path, tools: &Tools) -> Spec {
    let peers = root.join("bench").join("peers");
    let uvicorn = uvicorn_args;
    let granian = granian_args;
    let python = tools.venv_bin.join("python");
    let granian_bin = tools.venv_bin.join("granian");
    match id {
        "prebake" => Spec {
            id: "prebake",
            label: label(id).into(),
            program: tools.prebake.clone(),
            args: strings(&["--host", "127.0.0.1", "--port", "{port}"]),
            cwd: root.to_path_buf(),
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
        "plain-hyper" => Spec {
            id: "plain-hyper",
            label: label(id).into(),
            program: tools.plain_hyper.clone(),
            args: strings(&["--host", "127.0.0.1", "--port", "{port}"]),
            cwd: root.to_path_buf(),
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
        "fastapi-uvicorn" => Spec {
            id: "fastapi-uvicorn",
            label: label(id).into(),
            program: python,
            args: uvicorn("fastapi_app:app"),
            cwd: peers,
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
        "blacksheep-uvicorn" => Spec {
            id: "blacksheep-uvicorn",
            label: label(id).into(),
            program: python,
            args: uvicorn("blacksheep_app:app"),
            cwd: peers,
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
        "blacksheep-granian" => Spec {
            id: "blacksheep-granian",
            label: label(id).into(),
            program: granian_bin,
            args: granian("blacksheep_app:app"),
            cwd: peers,
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
        _ => Spec {
            id: "litestar-granian",
            label: label(id).into(),
            program: granian_bin,
            args: granian("litestar_app:app"),
            cwd: peers,
            env: Vec::new(),
            ready: "/plaintext",
            only: None,
        },
    }
}

/// A started server that answered its first request.
pub(crate) struct Running {
    child: Child,
    pub(crate) port: u16,
    only: Option<&'static [&'static str]>,
    /// From spawning to the first answered `GET /plaintext`.
    pub(crate) startup: Duration,
    /// Ticks per second of `/proc` CPU times.
    pub(crate) clk_tck: f64,
    stopped: bool,
}

/// A port nobody listens on (the kernel's choice).
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

impl Running {
    /// Whether the server has endpoint `ep`.
    pub(crate) fn serves(&self, ep: &super::Endpoint) -> bool {
        self.only.is_none_or(|only| only.contains(&ep.name))
    }

    /// Starts `spec` pinned to [`SERVER_CPU`] and waits until it answers.
    pub(crate) fn start(spec: &Spec, log_dir: &Path, clk_tck: f64) -> Result<Running, String> {
        std::fs::create_dir_all(log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
        let log_path = log_dir.join(format!("{}.log", spec.id));
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let port = free_port()?;
        let args: Vec<String> = spec
            .args
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let mut cmd = Command::new("taskset");
        cmd.arg("-c")
            .arg(SERVER_CPU.to_string())
            .arg(&spec.program)
            .args(&args)
            .current_dir(&spec.cwd)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0);
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", spec.program.display()))?;
        let mut running = Running {
            child,
            port,
            only: spec.only,
            startup: Duration::ZERO,
            clk_tck,
            stopped: false,
        };
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = running.child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!(
                    "{} exited during start-up ({status}):\n{log}",
                    spec.id
                ));
            }
            if super::http::answers(port, spec.ready) {
                running.startup = started.elapsed();
                return Ok(running);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer within 60 s (log: {})",
                    spec.id,
                    log_path.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    /// The server's process and all its descendants.
    pub(crate) fn pids(&self) -> Vec<i32> {
        let mut parents: Vec<(i32, i32)> = Vec::new();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Some(fields) = stat_fields(pid)
                    && let Some(ppid) = fields.get(1).and_then(|p| p.parse().ok())
                {
                    parents.push((pid, ppid));
                }
            }
        }
        let mut tree = vec![self.pid()];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(
                parents
                    .iter()
                    .filter(|(_, p)| *p == parent)
                    .map(|(c, _)| *c),
            );
            i += 1;
        }
        tree
    }

    /// User and kernel CPU seconds of the whole tree.
    pub(crate) fn cpu_seconds(&self) -> (f64, f64) {
        let (mut user, mut sys) = (0u64, 0u64);
        for pid in self.pids() {
            if let Some(f) = stat_fields(pid) {
                // After `pid (comm)`: state is field 0, utime 11, stime 12.
                user += f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                sys += f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            }
        }
        (user as f64 / self.clk_tck, sys as f64 / self.clk_tck)
    }

    /// The sum of `VmHWM` over the tree, in kB, and the number of processes.
    pub(crate) fn peak_rss_kb(&self) -> (u64, usize) {
        let pids = self.pids();
        let kb = pids
            .iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .sum();
        (kb, pids.len())
    }

    /// SIGTERM to the process group, SIGKILL after 5 s.
    pub(crate) fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = -self.pid();
        // SAFETY: signalling the process group this benchmark created.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let _ = self.child.try_wait();
            // SAFETY: signal 0 only checks whether the group still exists.
            let alive = unsafe { libc::kill(group, 0) } == 0;
            if !alive {
                break;
            }
            if Instant::now() > deadline {
                // SAFETY: as above, the group we created.
                unsafe { libc::kill(group, libc::SIGKILL) };
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The fields of `/proc/PID/stat` after `pid (comm)`.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Busy and total ticks of one CPU from `/proc/stat`.
pub(crate) fn cpu_ticks(cpu: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let name = format!("cpu{cpu} ");
    let line = stat.lines().find(|l| l.starts_with(&name))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}
