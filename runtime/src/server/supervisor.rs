//! The parent of `--workers N`: starts N copies of this binary as workers,
//! restarts any that dies, forwards signals, and exits once all have
//! drained.
//!
//! The parent runs no Python and no tokio: it blocks SIGTERM, SIGINT and
//! SIGCHLD and waits for them with `sigtimedwait`, so nothing it does runs
//! in a signal handler. Workers get an empty signal mask (`std::process`
//! resets it), bind the port with `SO_REUSEPORT`, and get SIGTERM if the
//! parent dies (`PR_SET_PDEATHSIG`), which makes them drain and exit.
//!
//! - Start-up: every worker reports on a pipe once its app is loaded; if
//!   one fails, the others are stopped and the parent exits with an error
//!   (an app that cannot import would otherwise restart forever).
//! - A worker that dies later is restarted after a back-off that doubles
//!   from 100 ms to 10 s while it keeps dying within 10 s of its start, and
//!   each death and restart is logged.
//! - The first SIGTERM/SIGINT is forwarded to every worker, which finish
//!   their in-flight requests; the parent exits 0 once all have exited.
//!   Workers ignore repeats (Ctrl-C or a service manager may signal the
//!   whole group, on top of the parent's forward). A second signal to the
//!   parent kills the workers (SIGKILL) and the parent exits with status 1.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use super::{READY_FD_ENV, SUPERVISOR_ENV, WORKER_ENV, resolve};
use crate::app::App;
use crate::cli::Options;
use crate::error::Error;
use crate::metrics::{self, Restarts};

/// One worker slot.
struct Slot {
    child: Option<Child>,
    started: Instant,
    /// Deaths in a row, each within `STABLE` of its start.
    failures: u32,
    restart_at: Option<Instant>,
}

/// A worker that lived this long is healthy again: its back-off resets.
const STABLE: Duration = Duration::from_secs(10);

/// Runs `opts.workers` workers until a signal stops them.
pub(super) fn run(app: &'static App, opts: &Options) -> Result<(), Error> {
    let addr = resolve(&opts.host, opts.port)?;
    let signals = block_signals()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this executable", &e))?;
    let (metrics_fd, restarts) = if opts.metrics.enabled() {
        let (fd, r) = metrics::create_shared(app.routes.len(), opts.workers)?;
        (Some(fd), Some(r))
    } else {
        (None, None)
    };
    let spawner = Spawner {
        exe,
        metrics_fd,
        ready_fd: None,
    };

    let (read_fd, write_fd) = pipe()?;
    let mut slots = Vec::with_capacity(opts.workers);
    let starting = Spawner {
        ready_fd: Some(write_fd),
        ..spawner.clone()
    };
    for i in 0..opts.workers {
        match starting.spawn(i) {
            Ok(child) => slots.push(Slot {
                child: Some(child),
                started: Instant::now(),
                failures: 0,
                restart_at: None,
            }),
            Err(e) => {
                stop_all(&mut slots, libc::SIGKILL);
                return Err(Error::io("cannot start a worker", &e));
            }
        }
    }
    // SAFETY: closing our copy of the write end; the workers keep theirs.
    unsafe { libc::close(write_fd) };
    let ready = wait_ready(read_fd, opts.workers);
    // SAFETY: closing the read end we own.
    unsafe { libc::close(read_fd) };
    if ready < opts.workers {
        stop_all(&mut slots, libc::SIGKILL);
        return Err(Error::python(format!(
            "{} of {} workers failed to start",
            opts.workers - ready,
            opts.workers
        )));
    }
    tracing::info!(
        "listening on http://{addr} (app {}, {} routes, workers {})",
        app.name,
        app.app_routes(),
        opts.workers
    );
    supervise(&mut slots, &spawner, &signals, restarts.as_ref())
}

/// The loop: reap, restart, wait for a signal or the next restart.
fn supervise(
    slots: &mut [Slot],
    spawner: &Spawner,
    signals: &libc::sigset_t,
    restarts: Option<&Restarts>,
) -> Result<(), Error> {
    let mut stopping = false;
    loop {
        let now = Instant::now();
        for (i, slot) in slots.iter_mut().enumerate() {
            let Some(child) = &mut slot.child else {
                continue;
            };
            let Ok(Some(status)) = child.try_wait() else {
                continue;
            };
            let pid = child.id();
            slot.child = None;
            if stopping {
                tracing::info!("worker {i} (pid {pid}) exited: {}", describe(status));
                continue;
            }
            if now.duration_since(slot.started) >= STABLE {
                slot.failures = 0;
            }
            let delay = Duration::from_millis(100)
                .saturating_mul(1 << slot.failures.min(7))
                .min(Duration::from_secs(10));
            slot.failures += 1;
            slot.restart_at = Some(now + delay);
            tracing::warn!(
                "worker {i} (pid {pid}) died: {}; restarting it in {:.1}s",
                describe(status),
                delay.as_secs_f64()
            );
        }
        if stopping && slots.iter().all(|s| s.child.is_none()) {
            tracing::info!("all workers stopped");
            return Ok(());
        }
        if !stopping {
            for (i, slot) in slots.iter_mut().enumerate() {
                if slot.restart_at.is_none_or(|t| t > now) {
                    continue;
                }
                match spawner.spawn(i) {
                    Ok(child) => {
                        tracing::info!("worker {i} restarted (pid {})", child.id());
                        slot.child = Some(child);
                        slot.started = Instant::now();
                        slot.restart_at = None;
                        if let Some(r) = restarts {
                            r.add();
                        }
                    }
                    Err(e) => {
                        tracing::error!("cannot restart worker {i}: {e}");
                        slot.restart_at = Some(now + Duration::from_secs(1));
                    }
                }
            }
        }
        let wait = slots
            .iter()
            .filter_map(|s| s.restart_at)
            .min()
            .map_or(Duration::from_secs(1), |t| t.saturating_duration_since(now))
            .min(Duration::from_secs(1));
        if let Some(sig @ (libc::SIGTERM | libc::SIGINT)) = wait_signal(signals, wait) {
            let name = if sig == libc::SIGTERM {
                "SIGTERM"
            } else {
                "SIGINT"
            };
            if stopping {
                tracing::warn!("second {name}: killing the workers");
                stop_all(slots, libc::SIGKILL);
                return Err(Error::python("stopped by a second signal"));
            }
            stopping = true;
            tracing::info!("{name}: stopping the workers gracefully");
            for slot in slots.iter_mut() {
                slot.restart_at = None;
                if let Some(child) = &slot.child {
                    signal(child, sig);
                }
            }
        }
    }
}

/// How a worker ended, for a log line.
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => status.to_string(),
    }
}

/// Starts workers: this binary with the same arguments.
#[derive(Clone)]
struct Spawner {
    exe: std::path::PathBuf,
    metrics_fd: Option<i32>,
    ready_fd: Option<i32>,
}

impl Spawner {
    fn spawn(&self, index: usize) -> std::io::Result<Child> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(std::env::args_os().skip(1))
            .env(WORKER_ENV, index.to_string())
            .env(SUPERVISOR_ENV, std::process::id().to_string());
        match self.ready_fd {
            Some(fd) => cmd.env(READY_FD_ENV, fd.to_string()),
            None => cmd.env_remove(READY_FD_ENV),
        };
        if let Some(fd) = self.metrics_fd {
            cmd.env(metrics::FD_ENV, fd.to_string());
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // The workers must see SIGTERM/SIGINT (std resets the mask
                // too; this keeps it true whatever spawns us).
                let mut set = std::mem::zeroed::<libc::sigset_t>();
                libc::sigemptyset(&raw mut set);
                libc::pthread_sigmask(libc::SIG_SETMASK, &raw const set, std::ptr::null_mut());
                Ok(())
            });
        }
        cmd.spawn()
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Sends `sig` to every worker and waits for them.
fn stop_all(slots: &mut [Slot], sig: libc::c_int) {
    for slot in slots.iter() {
        if let Some(child) = &slot.child {
            signal(child, sig);
        }
    }
    for slot in slots.iter_mut() {
        if let Some(mut child) = slot.child.take() {
            let _ = child.wait();
        }
    }
}

/// Blocks SIGTERM, SIGINT and SIGCHLD in this (single-threaded) process;
/// returns the set for [`wait_signal`].
fn block_signals() -> Result<libc::sigset_t, Error> {
    // SAFETY: building a signal set and masking it, before any thread exists.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, libc::SIGTERM);
        libc::sigaddset(&raw mut set, libc::SIGINT);
        libc::sigaddset(&raw mut set, libc::SIGCHLD);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut()) != 0 {
            return Err(Error::io(
                "blocking signals",
                &std::io::Error::last_os_error(),
            ));
        }
        Ok(set)
    }
}

/// Waits up to `timeout` for one of `set`; the signal, if one came.
fn wait_signal(set: &libc::sigset_t, timeout: Duration) -> Option<libc::c_int> {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
    };
    // SAFETY: waiting on a blocked set with a valid timeout.
    let sig = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &raw const ts) };
    (sig > 0).then_some(sig)
}

/// A pipe whose read end is close-on-exec and whose write end is inherited.
fn pipe() -> Result<(i32, i32), Error> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::io("pipe", &std::io::Error::last_os_error()));
    }
    // SAFETY: duplicating a descriptor we own, without close-on-exec.
    let inherited = unsafe { libc::dup(fds[1]) };
    // SAFETY: closing the original write end.
    unsafe { libc::close(fds[1]) };
    if inherited < 0 {
        return Err(Error::io("dup", &std::io::Error::last_os_error()));
    }
    Ok((fds[0], inherited))
}

/// Counts readiness bytes until `n` arrived or every writer is gone.
fn wait_ready(fd: i32, n: usize) -> usize {
    let mut got = 0;
    let mut buf = [0u8; 64];
    while got < n {
        // SAFETY: reading into a buffer we own.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if r > 0 {
            got += usize::try_from(r).unwrap_or(0);
        } else if r == 0
            || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
        {
            break;
        }
    }
    got
}
