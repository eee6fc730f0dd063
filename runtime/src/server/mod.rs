//! Binding, serving, shutting down, and worker processes, on hyper + tokio.
//!
//! One process serves on one thread: a current-thread tokio runtime whose
//! thread also runs Python (see `python`'s GIL policy). `--workers N` runs
//! N such processes, each binding the port with `SO_REUSEPORT` and starting
//! its own interpreter; the parent only supervises them (`supervisor`).
//!
//! - `handle`: one request (limits, routing, body, the Python call, the
//!   access log and metrics, panics caught).
//! - `conn`: one connection (timeouts, graceful close) and the registry of
//!   open connections that shutdown and the timeout sweeper walk.
//! - `supervisor`: the parent of `--workers`.
//!
//! Probes: `--health-path` (liveness, 200 while the process serves) and
//! `--ready-path` (readiness: 200 once the app and its lifespan started,
//! since connections are accepted only from then on; 503 from the first
//! stop signal on) are answered here, without Python, beside the metrics
//! path: one branch per request for all three, none of them configured or
//! not. `--shutdown-delay` keeps accepting after the signal (readiness
//! 503), so a load balancer that polls readiness stops sending before the
//! listener closes; the grace timer counts the delay too.
//!
//! Shutdown: the first SIGTERM or SIGINT stops accepting, closes idle
//! connections, lets in-flight requests finish (then closes their
//! connections) and exits 0 once none is left or `--graceful-timeout` has
//! passed; a second signal exits at once with status 1. Both work while a
//! synchronous handler blocks the server thread: the signal handler itself
//! arms the grace timer (`setitimer`, whose SIGALRM ends the process) and
//! ends the process on a second signal; it only tells the server loop
//! through a pipe. No thread is started for this: a second thread would
//! put every `malloc` and system call of the process on glibc's slower
//! multi-threaded paths (about 150 instructions per request).

mod conn;
pub(crate) mod cork;
mod handle;
mod supervisor;

#[cfg(test)]
pub(crate) use handle::too_deep;
pub(crate) use handle::{pre_read, respond_inner};

use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::os::fd::RawFd;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::time::Duration;

use hyper::header::HeaderValue;
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;

use crate::app::App;
use crate::cli::{self, Command, Options};
use crate::error::Error;
use crate::metrics::Metrics;
use crate::python;
use crate::router;

/// The environment variable that marks a worker process (its index).
const WORKER_ENV: &str = "PREBAKE_WORKER";
/// The environment variable with the fd a worker reports readiness on.
const READY_FD_ENV: &str = "PREBAKE_READY_FD";
/// The environment variable with the supervisor's pid.
const SUPERVISOR_ENV: &str = "PREBAKE_SUPERVISOR";

/// What serving needs per request, built once.
pub(crate) struct State {
    pub(crate) app: &'static App,
    pub(crate) allow: Vec<HeaderValue>,
    /// Per route: served by `python::dispatch_plain` (nothing to decode),
    /// looked up once at start-up.
    pub(crate) plain: Box<[bool]>,
    pub(crate) max_body: usize,
    /// The body limit of routes that take uploaded files.
    pub(crate) max_upload: usize,
    pub(crate) max_uri: usize,
    /// 0: msgspec's own limit only.
    pub(crate) max_json_depth: usize,
    /// How long reading a body may take (the header-read timeout).
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) access_log: bool,
    pub(crate) metrics: Option<Metrics>,
    /// The paths answered before routing (metrics, probes); `None` when
    /// there are none, so an app without them pays one branch.
    pub(crate) builtin: Option<Builtin>,
    /// The metrics path on `--metrics-port`.
    pub(crate) metrics_port_path: Box<str>,
    /// Whether requests take the long way: timed (access log or
    /// metrics) or run through middleware.
    pub(crate) observe: bool,
    /// The `Server` header every response carries (`App(server_header=...)`);
    /// hyper adds `Date` itself, formatted once per second.
    pub(crate) server: Option<HeaderValue>,
    /// The static mounts, their directories found.
    pub(crate) mounts: Vec<crate::files::Mount>,
    /// Whether the app has middleware.
    pub(crate) middleware: bool,
}

/// The paths the server answers itself on the app's port.
pub(crate) struct Builtin {
    /// Metrics, at this path.
    pub(crate) metrics: Option<Box<str>>,
    /// Liveness.
    pub(crate) health: Option<Box<str>>,
    /// Readiness.
    pub(crate) ready: Option<Box<str>>,
}

/// Whether a stop signal arrived (readiness answers 503 from then on).
pub(crate) fn stopping() -> bool {
    STOP_SIGNAL.load(Ordering::Relaxed) != 0
}

static STATE: OnceLock<State> = OnceLock::new();

pub(crate) fn state() -> &'static State {
    STATE.get().expect("serving state")
}

/// The `Server` header's value, `None` when the app turned it off or
/// before the server starts (in tests of the runtime's parts).
#[inline]
pub(crate) fn server_header() -> Option<HeaderValue> {
    STATE.get().and_then(|s| s.server.clone())
}

/// The binary's `main`: parse the command line, then serve or supervise.
pub(crate) fn main(app: &'static App) -> ExitCode {
    let mut args = std::env::args_os();
    let program = args
        .next()
        .and_then(|p| p.into_string().ok())
        .unwrap_or_else(|| app.name.to_owned());
    let command = match cli::parse(args, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{program}: {e}\n\n{}", cli::usage(&program));
            return ExitCode::from(2);
        }
    };
    let opts = match command {
        Command::Help => {
            print!("{}", cli::usage(&program));
            return ExitCode::SUCCESS;
        }
        Command::Serve(opts) => opts,
        Command::Healthcheck(opts) => return healthcheck(&opts),
    };
    crate::log::init(&opts.log);
    let worker = worker_index();
    let result = if opts.workers > 1 && worker.is_none() {
        supervisor::run(app, &opts)
    } else {
        if let Some(i) = worker {
            // Every line of a worker says which one it is.
            std::mem::forget(tracing::info_span!("worker", index = i).entered());
            crate::log::set_worker(i);
        }
        serve(app, &opts, worker)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// This process's worker index, when a supervisor started it.
fn worker_index() -> Option<usize> {
    std::env::var(WORKER_ENV).ok().and_then(|v| v.parse().ok())
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, Error> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::io(format_args!("cannot resolve {host}:{port}"), &e))?
        .next()
        .ok_or_else(|| Error::usage(format!("{host} resolves to no address")))
}

/// Binds `addr` (with `SO_REUSEPORT` when workers share it).
fn bind(addr: SocketAddr, reuse_port: bool) -> Result<StdListener, Error> {
    let ctx = |what: &str| format!("{what} {addr}");
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .map_err(|e| Error::io(ctx("cannot create a socket for"), &e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| Error::io(ctx("SO_REUSEADDR on"), &e))?;
    if reuse_port {
        socket
            .set_reuse_port(true)
            .map_err(|e| Error::io(ctx("SO_REUSEPORT on"), &e))?;
    }
    socket
        .bind(&addr.into())
        .map_err(|e| Error::io(ctx("cannot bind"), &e))?;
    socket
        .listen(1024)
        .map_err(|e| Error::io(ctx("cannot listen on"), &e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| Error::io(ctx("non-blocking"), &e))?;
    Ok(socket.into())
}

/// Serves in this process until a signal stops it.
fn serve(app: &'static App, opts: &Options, worker: Option<usize>) -> Result<(), Error> {
    let grace = opts.timeouts.graceful + opts.probes.shutdown_delay;
    let stop = watch_signals(grace, opts.log.format, worker.is_some())?;
    let addr = resolve(&opts.host, opts.port)?;
    if worker.is_some() {
        die_with_parent();
    }
    let listener = bind(addr, worker.is_some())?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("local address", &e))?;
    let metrics_listener = match opts.metrics.port {
        Some(port) => Some(bind(resolve(&opts.host, port)?, worker.is_some())?),
        None => None,
    };
    raise_fd_limit(opts.limits.max_connections);
    start_python(app, opts)?;
    let metrics = match (opts.metrics.enabled(), worker) {
        (false, _) => None,
        (true, Some(i)) => Some(Metrics::worker(app.routes, opts.workers, i)?),
        (true, None) => Some(Metrics::local(app.routes)),
    };
    set_state(app, opts, metrics)?;
    if worker.is_some() {
        report_ready();
    } else {
        tracing::info!(
            "listening on http://{local} (app {}, {} routes, workers 1)",
            app.name,
            app.app_routes()
        );
        if let Some(l) = &metrics_listener
            && let Ok(a) = l.local_addr()
        {
            tracing::info!(
                "metrics on http://{a}{}",
                opts.metrics.path.as_deref().unwrap_or("")
            );
        }
    }
    run(listener, metrics_listener, opts, Some(stop))
}

/// Starts the interpreter and loads `app`; prepares the thread pool (for
/// an app with pool routes) and the slow-handler warning.
fn start_python(app: &'static App, opts: &Options) -> Result<(), Error> {
    crate::middleware::prepare().map_err(Error::usage)?;
    python::init(app, opts.timeouts.handler)?;
    python::init_pool(app, opts.threads)?;
    python::init_slow_warn(app, opts.timeouts.slow_handler_warn);
    Ok(())
}

fn set_state(app: &'static App, opts: &Options, metrics: Option<Metrics>) -> Result<(), Error> {
    let mounts = crate::files::resolve_mounts(app)?;
    let access_log = opts.log.access && opts.log.level >= tracing::Level::INFO;
    let middleware = crate::middleware::declared().is_some_and(|m| !m.layers.is_empty());
    let observe = access_log || metrics.is_some() || middleware;
    let metrics_path = match opts.metrics.port {
        Some(_) => None,
        None => opts.metrics.path.as_deref().map(Box::from),
    };
    let (app_health, app_ready) = python::probe_paths();
    let health = opts.probes.health_path.clone().or(app_health);
    let ready = opts.probes.ready_path.clone().or(app_ready);
    for (what, path) in [
        ("--metrics-path", &metrics_path),
        ("the health path", &health.as_deref().map(Box::from)),
        ("the ready path", &ready.as_deref().map(Box::from)),
    ] {
        if let Some(path) = path
            && app.routes.iter().any(|r| r.path == &**path)
        {
            tracing::warn!("{what} {path} hides the app's route of the same path");
        }
    }
    let builtin =
        (metrics_path.is_some() || health.is_some() || ready.is_some()).then(|| Builtin {
            metrics: metrics_path,
            health: health.map(Box::from),
            ready: ready.map(Box::from),
        });
    let _ = STATE.set(State {
        app,
        allow: router::allow_headers(app.routes.iter().map(|r| (r.method, r.path))),
        plain: (0..app.routes.len()).map(python::is_plain).collect(),
        max_body: opts.limits.max_body_size.unwrap_or_else(python::max_body),
        max_upload: opts
            .limits
            .max_upload_size
            .unwrap_or_else(python::max_upload)
            .max(opts.limits.max_body_size.unwrap_or_else(python::max_body)),
        max_uri: opts.limits.max_uri_length,
        max_json_depth: opts.limits.max_json_depth,
        body_timeout: opts.timeouts.header_read,
        handler_timeout: opts.timeouts.handler,
        access_log,
        metrics,
        builtin,
        metrics_port_path: opts.metrics.path.as_deref().unwrap_or("/metrics").into(),
        observe,
        server: python::server_header().map(|s| {
            // Leaked once at start-up so that each response copies a
            // pointer instead of counting a reference.
            let s: &'static str = Box::leak(s.to_owned().into_boxed_str());
            HeaderValue::from_static(s)
        }),
        mounts,
        middleware,
    });
    Ok(())
}

/// Serves on the already-bound listeners until stopped. `python::init` and
/// `set_state` must have run on this thread.
fn run(
    listener: StdListener,
    metrics_listener: Option<StdListener>,
    opts: &Options,
    stop: Option<Stop>,
) -> Result<(), Error> {
    // The thread holds the GIL while it works and lets it go only while
    // the runtime waits for IO or timers (see `python`'s GIL policy).
    // A `LocalRuntime` rather than a `LocalSet` on a current-thread
    // runtime: the connections' tasks (which hold `Rc`s) are then the
    // scheduler's own, where a `LocalSet` is one more level of scheduling
    // on every wake-up (its `tick` and thread-local look-ups, ~280
    // instructions per `POST /validate`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(python::release_gil)
        .on_thread_unpark(python::reacquire_gil)
        .build_local(tokio::runtime::LocalOptions::default())
        .map_err(|e| Error::io("cannot start the tokio runtime", &e))?;
    let graceful = opts.timeouts.graceful;
    python::hold_gil(|| {
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener)
                .map_err(|e| Error::io("cannot register the listener", &e))?;
            tokio::task::spawn_local(python::drive_event_loop());
            if let Some(l) = metrics_listener {
                let l = TcpListener::from_std(l)
                    .map_err(|e| Error::io("cannot register the metrics listener", &e))?;
                tokio::task::spawn_local(handle::serve_metrics(l));
            }
            if state().access_log {
                tokio::task::spawn_local(async {
                    loop {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        crate::log::flush_access();
                    }
                });
            }
            let hub = Rc::new(conn::Hub::new(opts));
            tokio::task::spawn_local(conn::sweep(hub.clone()));
            let signal = async {
                match stop {
                    Some(s) => s.wait().await,
                    None => std::future::pending().await,
                }
            };
            // The accept loop is a task of its own, polled only when the
            // listener is ready (with a `LocalSet`, part of the root future
            // was polled on every wake-up of any connection).
            let accepting = tokio::task::spawn_local(conn::accept_loop(listener, hub.clone()));
            let name = signal.await;
            let delay = opts.probes.shutdown_delay;
            if !delay.is_zero() {
                tracing::info!(
                    "{name}: not ready; serving {:.1}s more before closing the listener",
                    delay.as_secs_f64()
                );
                tokio::time::sleep(delay).await;
            }
            accepting.abort();
            // Dropping the task closes the listener: the kernel refuses new
            // connections from here on.
            let _ = accepting.await;
            tracing::info!(
                "{name}: shutting down; {} connection(s) open, {:.1}s for in-flight requests",
                hub.open(),
                graceful.as_secs_f64()
            );
            hub.shutdown();
            hub.drained().await;
            crate::log::flush_access();
            Ok::<(), Error>(())
        })
    })?;
    python::run_shutdown();
    python::at_exit();
    tracing::info!("stopped");
    Ok(())
}

/// The read end of the pipe the signal handler writes the first stop
/// signal to.
struct Stop(RawFd);

impl Stop {
    /// Resolves on the first SIGTERM or SIGINT, with its name.
    async fn wait(self) -> &'static str {
        // SAFETY: the pipe's read end stays open for the life of the
        // process (it is never closed).
        let fd = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(self.0, tokio::io::Interest::READABLE)
        };
        match fd {
            Ok(fd) => {
                let _ = fd.readable().await;
            }
            Err(e) => {
                tracing::error!("cannot watch the signal pipe: {e}; SIGTERM ends the process");
                return std::future::pending().await;
            }
        }
        if STOP_SIGNAL.load(Ordering::Relaxed) == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        }
    }
}

/// The write end of the stop pipe (for the signal handler).
static STOP_PIPE: AtomicI32 = AtomicI32::new(-1);
/// The first stop signal, 0 before it.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// In a worker a repeated stop signal is ignored: the terminal (Ctrl-C)
/// or a service manager may signal the whole process group, and the
/// supervisor forwards its own; the supervisor ends a worker at once with
/// SIGKILL instead.
static IGNORE_REPEATS: AtomicBool = AtomicBool::new(false);
/// The grace period in microseconds, for the signal handler.
static GRACE_MICROS: AtomicI64 = AtomicI64::new(0);
/// The lines the signal handlers write (prepared in the log format).
static SECOND_LINE: OnceLock<Vec<u8>> = OnceLock::new();
static GRACE_LINE: OnceLock<Vec<u8>> = OnceLock::new();

/// Writes one prepared log line from a signal handler.
fn write_line(line: &OnceLock<Vec<u8>>) {
    if let Some(bytes) = line.get() {
        // SAFETY: write(2) is async-signal-safe; the buffer lives forever.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    }
}

extern "C" fn on_stop_signal(sig: libc::c_int) {
    if STOP_SIGNAL
        .compare_exchange(0, sig, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
    {
        if IGNORE_REPEATS.load(Ordering::Relaxed) {
            return;
        }
        write_line(&SECOND_LINE);
        // SAFETY: _exit(2) is async-signal-safe.
        unsafe { libc::_exit(1) };
    }
    let micros = GRACE_MICROS.load(Ordering::Relaxed).max(1);
    // SAFETY: sigaction(2), setitimer(2) and write(2) are system calls
    // safe to make in a signal handler; every pointer is to a local.
    unsafe {
        let mut alarm = std::mem::zeroed::<libc::sigaction>();
        alarm.sa_sigaction = on_grace_over as *const () as libc::sighandler_t;
        libc::sigaction(libc::SIGALRM, &raw const alarm, std::ptr::null_mut());
        let timer = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            it_value: libc::timeval {
                tv_sec: micros / 1_000_000,
                tv_usec: micros % 1_000_000,
            },
        };
        libc::setitimer(libc::ITIMER_REAL, &raw const timer, std::ptr::null_mut());
        let byte = 1u8;
        libc::write(
            STOP_PIPE.load(Ordering::Relaxed),
            (&raw const byte).cast(),
            1,
        );
    }
}

extern "C" fn on_grace_over(_: libc::c_int) {
    write_line(&GRACE_LINE);
    // SAFETY: _exit(2) is async-signal-safe; it does not wait for the
    // server thread, which may be blocked in a handler.
    unsafe { libc::_exit(0) };
}

/// Handles SIGTERM and SIGINT from now on: the first one stops the server
/// (see the module docs), a second one ends the process.
fn watch_signals(
    grace: Duration,
    format: crate::cli::LogFormat,
    worker: bool,
) -> Result<Stop, Error> {
    IGNORE_REPEATS.store(worker, Ordering::Relaxed);
    let line = |level: &str, message: &str| -> Vec<u8> {
        match format {
            crate::cli::LogFormat::Text => format!("{level} prebake::server: {message}\n"),
            crate::cli::LogFormat::Json => format!(
                "{{\"level\":\"{level}\",\"message\":\"{message}\",\"target\":\"prebake::server\"}}\n"
            ),
        }
        .into_bytes()
    };
    let _ = SECOND_LINE.set(line("WARN", "second signal: exiting now"));
    let _ = GRACE_LINE.set(line(
        "WARN",
        &format!(
            "the graceful timeout ({:.1}s) passed with requests in flight; exiting",
            grace.as_secs_f64()
        ),
    ));
    GRACE_MICROS.store(
        i64::try_from(grace.as_micros()).unwrap_or(i64::MAX),
        Ordering::Relaxed,
    );
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(Error::io("signal pipe", &std::io::Error::last_os_error()));
    }
    STOP_PIPE.store(fds[1], Ordering::Relaxed);
    // SAFETY: a handler that only makes async-signal-safe calls; SA_RESTART
    // so that slow system calls elsewhere resume.
    unsafe {
        let mut action = std::mem::zeroed::<libc::sigaction>();
        action.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&raw mut action.sa_mask);
        for sig in [libc::SIGTERM, libc::SIGINT] {
            if libc::sigaction(sig, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(Error::io(
                    "installing a signal handler",
                    &std::io::Error::last_os_error(),
                ));
            }
        }
    }
    Ok(Stop(fds[0]))
}

/// Serves `app` on `addr` from a new thread of this process, for tests:
/// initialises the interpreter there (once per process) and returns the
/// bound address once it is ready. `args` are server flags, as on the
/// command line (the environment is not read).
pub(crate) fn spawn(
    app: &'static App,
    addr: SocketAddr,
    args: &[&str],
) -> Result<SocketAddr, Error> {
    let opts = match cli::parse(args.iter().map(Into::into), |_| None)? {
        Command::Serve(o) => o,
        Command::Help | Command::Healthcheck(_) => {
            return Err(Error::usage("--help or --healthcheck in spawn"));
        }
    };
    crate::log::init_default();
    let listener = bind(addr, false)?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("local address", &e))?;
    let metrics_listener = match opts.metrics.port {
        Some(port) => Some(bind(SocketAddr::new(addr.ip(), port), false)?),
        None => None,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("prebake-server".into())
        .spawn(move || {
            if let Err(e) = start_python(app, &opts) {
                let _ = tx.send(Err(e));
                return;
            }
            let metrics = opts.metrics.enabled().then(|| Metrics::local(app.routes));
            if let Err(e) = set_state(app, &opts, metrics) {
                let _ = tx.send(Err(e));
                return;
            }
            let _ = tx.send(Ok(()));
            if let Err(e) = run(listener, metrics_listener, &opts, None) {
                tracing::error!("{e}");
            }
        })
        .map_err(|e| Error::io("cannot start the server thread", &e))?;
    rx.recv()
        .map_err(|_| Error::python("the server thread died during start-up"))??;
    Ok(local)
}

/// Lifts the soft open-files limit towards what `max_connections` needs
/// (up to the hard limit), and warns when it cannot.
fn raise_fd_limit(max_connections: usize) {
    let want = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(64);
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reading this process's limit into a local struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) } != 0 || lim.rlim_cur >= want {
        return;
    }
    let target = want.min(lim.rlim_max);
    let raised = libc::rlimit {
        rlim_cur: target,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: raising the soft limit within the hard limit.
    let ok = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const raised) } == 0;
    if !ok || target < want {
        tracing::warn!(
            "the open-files limit ({}) is below --max-connections ({max_connections}); \
             raise `ulimit -n` or lower --max-connections",
            if ok { target } else { lim.rlim_cur }
        );
    }
}

/// In a worker: tell the parent this worker serves, then drop the pipe.
fn report_ready() {
    let Some(fd) = std::env::var(READY_FD_ENV)
        .ok()
        .and_then(|f| f.parse::<i32>().ok())
    else {
        return;
    };
    // SAFETY: writing one byte to, then closing, the inherited pipe.
    unsafe {
        libc::write(fd, b"r".as_ptr().cast(), 1);
        libc::close(fd);
    }
}

/// In a worker: get SIGTERM (a graceful stop) when the supervising parent
/// dies.
fn die_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        // The parent may have died before the prctl call.
        let parent = std::env::var(SUPERVISOR_ENV)
            .ok()
            .and_then(|p| p.parse::<libc::pid_t>().ok());
        if parent.is_some_and(|p| libc::getppid() != p) {
            libc::_exit(1);
        }
    }
}

/// `--healthcheck`: GET the health path on this machine's `--port` and
/// exit 0 on a 200, 1 otherwise (connection refused, a timeout, another
/// status). A wildcard `--host` is probed on loopback.
fn healthcheck(opts: &Options) -> ExitCode {
    use std::io::{Read, Write};
    let host = match opts.host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" | "[::]" => "::1",
        h => h,
    };
    let path = opts.probes.health_path.as_deref().unwrap_or("/healthz");
    let timeout = Duration::from_secs(3);
    let probe = || -> std::io::Result<String> {
        let addr = (host, opts.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut head = [0u8; 64];
        let n = s.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    match probe() {
        Ok(head) if head.starts_with("HTTP/1.1 200 ") => ExitCode::SUCCESS,
        Ok(head) => {
            let line = head.lines().next().unwrap_or("");
            eprintln!("unhealthy: GET {path} on {host}:{}: {line}", opts.port);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: GET {path} on {host}:{}: {e}", opts.port);
            ExitCode::FAILURE
        }
    }
}
