//! `cargo xtask dev app.py [-- server flags]`: the save-and-reload loop.
//!
//! It serves the app, watches its files (its modules, `templates/` beside
//! it, and its project's requirements), and on every save checks the app
//! again, printing diagnostics as `check` prints them. A save that checks
//! clean is served within a second of the save:
//!
//! - The dev build embeds the modules by path (`include_str!`) and the
//!   binary runs with `PREBAKE_DEV_SOURCES=1`, which reads them from their
//!   files at start-up. An edit that leaves the generated program as it was
//!   (a handler's body, the usual edit) needs no compiling: the server is
//!   restarted, which takes the time of a start-up (~0.1 s).
//! - An edit that changes the program (a new route, a parameter, a model
//!   field, a body that now blocks) compiles the generated crate again
//!   (seconds); the last good binary keeps serving meanwhile.
//! - A save that does not check, or does not compile, leaves the last good
//!   binary serving.
//!
//! Files are polled (every 50 ms, a `stat` per file): no watcher library,
//! and no missed event from editors that save by renaming.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime};

use crate::build::{self, AppEnv, BuildArgs};

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(50);

/// `cargo xtask dev`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut args = build::parse_args(args)?;
    // Absolute module paths: the binary reads them from any directory.
    args.app =
        std::fs::canonicalize(&args.app).map_err(|e| format!("{}: {e}", args.app.display()))?;
    let root = crate::root();
    let name = prebake_compiler::driver::app_name(&args.app);
    if args.out.is_none() {
        args.out = Some(root.join("target").join("prebake").join("dev").join(&name));
    }
    let mut env = build::environment(&args.app)?;
    let mut server: Option<Child> = None;
    let mut files = vec![args.app.clone()];
    let mut binary: Option<PathBuf> = None;
    let mut seen = snapshot(&watched(&args.app, &files, &env));
    rebuild(&args, &env, &mut files, &mut binary, &mut server, true);
    loop {
        std::thread::sleep(POLL);
        let now = snapshot(&watched(&args.app, &files, &env));
        if now == seen {
            if let Some(child) = server.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                eprintln!("prebake dev: the server exited ({status}); waiting for a save");
                server = None;
            }
            continue;
        }
        let saved = Instant::now();
        let requirements_changed = project_files(&env)
            .iter()
            .any(|p| now.iter().find(|(q, _)| q == p) != seen.iter().find(|(q, _)| q == p));
        seen = now;
        if requirements_changed {
            match build::environment(&args.app) {
                Ok(e) => env = e,
                Err(e) => {
                    eprintln!("prebake dev: {e}");
                    continue;
                }
            }
        }
        eprintln!("prebake dev: change seen, checking");
        if rebuild(
            &args,
            &env,
            &mut files,
            &mut binary,
            &mut server,
            requirements_changed,
        ) {
            eprintln!(
                "prebake dev: serving the new version ({:.0?} after the save)",
                saved.elapsed()
            );
        }
        // Each file as this check read it, so that a write landing while it
        // ran (an editor's save is a truncate, then the text) differs and is
        // seen on the next turn; a file the check found (a new import) as
        // it is now.
        seen = carried(&seen, &watched(&args.app, &files, &env));
    }
}

/// Checks and, as needed, compiles and restarts; whether the server now
/// serves the saved version.
fn rebuild(
    args: &BuildArgs,
    env: &AppEnv,
    files: &mut Vec<PathBuf>,
    binary: &mut Option<PathBuf>,
    server: &mut Option<Child>,
    force_compile: bool,
) -> bool {
    let prepared = match build::prepare(args, env, true) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("prebake dev: {e}; the last good version keeps serving");
            return false;
        }
    };
    files.clone_from(&prepared.files);
    if prepared.changed || force_compile || binary.is_none() {
        match build::compile(args, &prepared, env) {
            Ok(b) => *binary = Some(b),
            Err(e) => {
                // The next save compiles again, whatever it changes.
                let _ = std::fs::remove_file(prepared.crate_dir.join("main.rs"));
                eprintln!("prebake dev: {e}; the last good version keeps serving");
                return false;
            }
        }
    }
    let Some(bin) = binary.as_ref() else {
        return false;
    };
    stop(server);
    let mut cmd = Command::new(bin);
    cmd.args(&args.rest).env("PREBAKE_DEV_SOURCES", "1");
    // SAFETY: prctl is async-signal-safe; the server gets SIGTERM when this
    // loop dies, however it dies, and never outlives it on the port.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    match cmd.spawn() {
        Ok(child) => {
            *server = Some(child);
            true
        }
        Err(e) => {
            eprintln!("prebake dev: {}: {e}", bin.display());
            false
        }
    }
}

/// Stops the server: SIGTERM (it closes idle connections and exits at
/// once), SIGKILL if it has not exited within 2 s.
fn stop(server: &mut Option<Child>) {
    let Some(mut child) = server.take() else {
        return;
    };
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: `pid` is our child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The app's requirements files.
fn project_files(env: &AppEnv) -> Vec<PathBuf> {
    prebake_compiler::environment::PROJECT_FILES
        .iter()
        .map(|f| env.located.project.join(f))
        .collect()
}

/// Everything a save of which means a reload: the app's modules (the last
/// check's list), every file under `templates/` beside the app, and the
/// project's requirements.
fn watched(app: &Path, files: &[PathBuf], env: &AppEnv) -> Vec<PathBuf> {
    let mut out = files.to_vec();
    if !out.iter().any(|f| f == app) {
        out.push(app.to_path_buf());
    }
    if let Some(dir) = app.parent() {
        walk(&dir.join("templates"), &mut out);
    }
    out.extend(project_files(env));
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// [`snapshot`] of `files`, keeping the entry `before` has for a file.
fn carried(
    before: &[(PathBuf, Option<(SystemTime, u64)>)],
    files: &[PathBuf],
) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
    files
        .iter()
        .map(|f| match before.iter().find(|(p, _)| p == f) {
            Some(entry) => entry.clone(),
            None => snapshot(std::slice::from_ref(f)).remove(0),
        })
        .collect()
}

/// Each file with its modification time and size (`None` when missing).
fn snapshot(files: &[PathBuf]) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())));
            (f.clone(), meta)
        })
        .collect()
}
