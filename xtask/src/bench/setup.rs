//! What the benchmark needs before it measures: `wrk`, a font for the chart,
//! the peers' virtual environment, the two Rust binaries, prebake's build
//! times, and a description of the machine and of every version involved.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{BuildTimes, Config};

/// The font the chart is drawn with (Debian's `fonts-dejavu-core`).
pub(crate) const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Tools and binaries ready for the run.
pub(crate) struct Tools {
    /// The peers' environment's `bin` folder.
    pub(crate) venv_bin: PathBuf,
    pub(crate) prebake: PathBuf,
    pub(crate) plain_hyper: PathBuf,
    pub(crate) builds: BuildTimes,
    /// `/proc/PID/stat` CPU times are in these ticks per second.
    pub(crate) clk_tck: f64,
    /// `name==version` of the environment's packages.
    pub(crate) pip_freeze: Vec<String>,
}

/// Installs what is missing and builds both Rust servers.
pub(crate) fn prepare(root: &Path, cfg: &Config) -> Result<Tools, String> {
    crate::system::ensure_apt(&["wrk", "util-linux", "fonts-dejavu-core"])?;
    let venv_bin = ensure_venv(root)?;
    let plain_hyper = build_bench_binary(root, &cfg.profile, "plain-hyper")?;
    let (prebake, builds) = build_prebake(root, cfg)?;
    let clk_tck = clk_tck();
    let pip_freeze = pip_freeze(&venv_bin)?;
    Ok(Tools {
        venv_bin,
        prebake,
        plain_hyper,
        builds,
        clk_tck,
        pip_freeze,
    })
}

/// The ticks per second `/proc/PID/stat` counts CPU time in.
pub(crate) fn clk_tck() -> f64 {
    capture(Command::new("getconf").arg("CLK_TCK"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `name==version` of the packages of the environment in `venv_bin`.
pub(crate) fn pip_freeze(venv_bin: &Path) -> Result<Vec<String>, String> {
    Ok(capture(Command::new(venv_bin.join("python")).args([
        "-m",
        "pip",
        "freeze",
        "--disable-pip-version-check",
    ]))?
    .lines()
    .map(str::to_string)
    .collect())
}

/// Runs a command and returns its standard output.
pub(crate) fn capture(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The peers' virtual environment, `target/bench-venv`, made from the same
/// CPython as the project's `.venv` (so every server runs the same Python)
/// and filled from `bench/requirements.txt`; a stamp file skips the install
/// when the requirements did not change. Returns its `bin` folder.
pub(crate) fn ensure_venv(root: &Path) -> Result<PathBuf, String> {
    let project_python = crate::venv::ensure(root)?;
    let venv = root.join("target").join("bench-venv");
    let bin = venv.join("bin");
    if !bin.join("python").exists() {
        eprintln!("bench: creating {}", venv.display());
        crate::run(
            Command::new(&project_python)
                .args(["-m", "venv"])
                .arg(&venv),
        )?;
    }
    let requirements = root.join("bench").join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join(".prebake-bench-requirements");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        crate::run(
            Command::new(bin.join("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, &wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(bin)
}

use crate::target_dir;

fn profile_dir(profile: &str) -> &str {
    if profile == "dev" { "debug" } else { profile }
}

pub(crate) fn bin_dir(root: &Path) -> PathBuf {
    root.join("target").join("bench").join("bin")
}

/// `cargo build -p <package>` (a server of `benches/`) with the run's
/// profile; returns a copy of the binary under `target/bench/bin/`.
pub(crate) fn build_bench_binary(
    root: &Path,
    profile: &str,
    package: &str,
) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::run(Command::new(cargo).args([
        "build",
        "--quiet",
        "--profile",
        profile,
        "-p",
        package,
    ]))?;
    let built = target_dir(root).join(profile_dir(profile)).join(package);
    copy_binary(&built, &bin_dir(root).join(package))
}

fn copy_binary(from: &Path, to: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = to.with_extension("tmp");
    std::fs::copy(from, &tmp).map_err(|e| format!("copy {}: {e}", from.display()))?;
    std::fs::rename(&tmp, to).map_err(|e| format!("{}: {e}", to.display()))?;
    Ok(to.to_path_buf())
}

/// Builds `examples/hello` (the benchmarked binary), then measures build
/// times on a copy of it, `target/bench/app/bench_hello/app.py`, so the
/// example's own generated crate is left alone:
/// - cold: the app's source changed (a comment line with a counter), so the
///   generated crate is regenerated and recompiled and the binary relinked,
///   while the runtime and every dependency are already compiled in the
///   shared target directory: what a user waits for after editing `app.py`;
/// - warm: nothing changed (analysis, code generation, a no-op cargo build,
///   the copy of the binary).
///
///   A build into a fresh target directory (minutes, dominated by compiling
///   pyo3, hyper and tokio) is not measured.
fn build_prebake(root: &Path, cfg: &Config) -> Result<(PathBuf, BuildTimes), String> {
    let out = bin_dir(root).join("prebake-hello");
    let started = Instant::now();
    crate::build::build(&crate::build::BuildArgs {
        app: root.join("examples").join("hello").join("app.py"),
        out: Some(out.clone()),
        profile: cfg.profile.clone(),
        rest: Vec::new(),
        ship: Default::default(),
    })?;
    let first = started.elapsed();

    let app_dir = root
        .join("target")
        .join("bench")
        .join("app")
        .join("bench_hello");
    std::fs::create_dir_all(&app_dir).map_err(|e| format!("{}: {e}", app_dir.display()))?;
    let source = std::fs::read_to_string(root.join("examples").join("hello").join("app.py"))
        .map_err(|e| format!("examples/hello/app.py: {e}"))?;
    let app = app_dir.join("app.py");
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let args = crate::build::BuildArgs {
        app: app.clone(),
        out: Some(bin_dir(root).join("bench_hello")),
        profile: cfg.profile.clone(),
        rest: Vec::new(),
        ship: Default::default(),
    };
    let timed = |edit: Option<usize>| -> Result<Duration, String> {
        if let Some(i) = edit {
            let text = format!("# cargo xtask bench: cold build {nonce}-{i}\n{source}");
            std::fs::write(&app, text).map_err(|e| format!("{}: {e}", app.display()))?;
        }
        let t = Instant::now();
        crate::build::build(&args)?;
        Ok(t.elapsed())
    };
    // The first build of the copy may compile more than the app (a new
    // crate's build script); it is not counted.
    timed(Some(0))?;
    let mut cold = Vec::new();
    for i in 1..=cfg.cold_builds {
        cold.push(timed(Some(i))?);
    }
    let mut warm = Vec::new();
    for _ in 0..3 {
        warm.push(timed(None)?);
    }
    Ok((out, BuildTimes { first, cold, warm }))
}

/// The machine, in the results file's words.
pub(crate) struct Machine {
    pub(crate) cpu: String,
    pub(crate) cpus: String,
    pub(crate) memory: String,
    pub(crate) kernel: String,
    pub(crate) rustc: String,
    pub(crate) python: String,
    pub(crate) wrk: String,
    pub(crate) commit: String,
    /// `name version` of the Rust crates that matter, from Cargo.lock.
    pub(crate) crates: Vec<String>,
}

pub(crate) fn machine_info(root: &Path, tools: &Tools) -> Machine {
    let lscpu = capture(&mut Command::new("lscpu")).unwrap_or_default();
    let field = |name: &str| {
        lscpu
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim_start_matches(':').trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    let cpus = format!(
        "{} CPUs ({} core(s) per socket, {} thread(s) per core, {} socket(s)), hypervisor: {}",
        field("CPU(s):"),
        field("Core(s) per socket:"),
        field("Thread(s) per core:"),
        field("Socket(s):"),
        field("Hypervisor vendor:"),
    );
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let first_line = |cmd: &mut Command| {
        let out = cmd.output().ok();
        out.map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
    };
    let dirty = capture(
        Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(root),
    )
    .map(|s| !s.trim().is_empty())
    .unwrap_or(false);
    let commit = format!(
        "{}{}",
        first_line(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(root)
        ),
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    );
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let crates = ["hyper", "hyper-util", "tokio", "pyo3", "serde_json"]
        .iter()
        .map(|name| {
            let needle = format!("name = \"{name}\"\nversion = \"");
            let version = lock
                .split("[[package]]\n")
                .find_map(|p| p.strip_prefix(needle.as_str()))
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("?");
            format!("{name} {version}")
        })
        .collect();
    Machine {
        cpu: field("Model name:"),
        cpus,
        memory,
        kernel: first_line(Command::new("uname").args(["-srm"])),
        rustc: first_line(Command::new("rustc").arg("-V")),
        python: first_line(Command::new(tools.venv_bin.join("python")).arg("-VV")),
        wrk: first_line(Command::new("wrk").arg("-v")),
        commit,
        crates,
    }
}

/// The CPU's model name (lscpu).
pub(crate) fn cpu_model() -> String {
    capture(&mut Command::new("lscpu"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Model name:"))
        .map_or_else(|| "?".into(), |v| v.trim().to_string())
}

/// `/proc/loadavg`'s three averages.
pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Today's date, `YYYY-MM-DD` (UTC).
pub(crate) fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    // Howard Hinnant's days-to-civil.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Lets the machine settle after the builds before the first measurement:
/// writes the built files out (`sync`) and waits, up to 30 s, for a second
/// in which both cores are at least 95% idle. In two runs without it,
/// prebake (measured first, right after the builds) had p99 of up to
/// 10 ms, plain hyper (measured next) up to 7 ms and then 1.6 ms; the
/// third run, after this step, had both under 1 ms. Whether the builds'
/// after-effects (writeback of hundreds of megabytes) or the VM's other
/// tenants caused it is not settled: this costs a second or two and
/// removes one suspect.
pub(crate) fn settle() {
    let _ = std::process::Command::new("sync").status();
    let started = std::time::Instant::now();
    let busy = |a: Option<(u64, u64)>, b: Option<(u64, u64)>| match (a, b) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => (b1 - b0) as f64 / (t1 - t0) as f64,
        _ => 0.0,
    };
    loop {
        let before = [super::server::cpu_ticks(0), super::server::cpu_ticks(1)];
        std::thread::sleep(std::time::Duration::from_secs(1));
        let after = [super::server::cpu_ticks(0), super::server::cpu_ticks(1)];
        let worst = busy(before[0], after[0]).max(busy(before[1], after[1]));
        if worst < 0.05 || started.elapsed() > std::time::Duration::from_secs(30) {
            eprintln!(
                "bench: machine settled after {:.0?} (busiest core {:.0}%)",
                started.elapsed(),
                worst * 100.0
            );
            return;
        }
    }
}
