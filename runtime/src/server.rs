//! Binding, serving and worker processes, on hyper-util + tokio.
//!
//! One process serves on one thread: a current-thread tokio runtime whose
//! thread also runs Python (see `python`'s GIL policy). `--workers N` runs
//! N such processes, each binding the port with `SO_REUSEPORT` and starting
//! its own interpreter; the parent only supervises them.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;

use crate::app::{App, Body};
use crate::cli::{self, Command, Options};
use crate::error::Error;
use crate::python::{self, Outcome};
use crate::request::Req;
use crate::response::{self, Resp};
use crate::router::{self, Captures, Match, Method};

/// The environment variable that marks a worker process (its index).
const WORKER_ENV: &str = "PREBAKE_WORKER";
/// The environment variable with the fd a worker reports readiness on.
const READY_FD_ENV: &str = "PREBAKE_READY_FD";
/// The environment variable with the supervisor's pid.
const SUPERVISOR_ENV: &str = "PREBAKE_SUPERVISOR";

/// What serving needs per request, built once.
struct State {
    app: &'static App,
    allow: Vec<HeaderValue>,
    max_body: usize,
}

static STATE: OnceLock<State> = OnceLock::new();

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
    };
    let result = if opts.workers > 1 && std::env::var_os(WORKER_ENV).is_none() {
        supervise(app, &opts)
    } else {
        serve_forever(app, &opts)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prebake: {e}");
            ExitCode::FAILURE
        }
    }
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

fn serve_forever(app: &'static App, opts: &Options) -> Result<(), Error> {
    let addr = resolve(&opts.host, opts.port)?;
    let worker = std::env::var_os(WORKER_ENV).is_some();
    if worker {
        die_with_parent();
    }
    let listener = bind(addr, worker)?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("local address", &e))?;
    python::init(app)?;
    if worker {
        report_ready();
    } else {
        eprintln!(
            "prebake: listening on http://{local} (app {}, {} routes, workers 1)",
            app.name,
            app.routes.len()
        );
    }
    run(app, listener)
}

/// Serves `app` on `listener` until the process ends. Initialises nothing:
/// `python::init` must have run on this thread.
fn run(app: &'static App, listener: StdListener) -> Result<(), Error> {
    run_until(app, listener, stop_signal())
}

/// Resolves on SIGTERM or SIGINT: the server then exits at once (in a
/// container the server may be PID 1, which has no default signal actions).
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

fn run_until(
    app: &'static App,
    listener: StdListener,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Error> {
    let _ = STATE.set(State {
        app,
        allow: router::allow_headers(app.routes),
        max_body: python::max_body(),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the tokio runtime", &e))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = TcpListener::from_std(listener)
            .map_err(|e| Error::io("cannot register the listener", &e))?;
        tokio::task::spawn_local(python::drive_event_loop());
        tokio::select! {
            () = accept_loop(listener) => {}
            () = stop => {}
        }
        Ok(())
    })
}

async fn accept_loop(listener: TcpListener) {
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).pipeline_flush(true).writev(false);
    // Slow clients get 30 s to send their headers (hyper's default once a
    // timer is set). The per-request timer costs ~0.2 µs of CPU;
    // PREBAKE_HEADER_READ_TIMEOUT=0 turns it off, N sets N seconds.
    let timeout = std::env::var("PREBAKE_HEADER_READ_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(30);
    if timeout > 0 {
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(timeout));
    }
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                eprintln!("prebake: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = builder.serve_connection(TokioIo::new(stream), service_fn(handle));
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
    }
}

async fn handle(req: Request<Incoming>) -> Result<Resp, Infallible> {
    let state = STATE.get().expect("serving state");
    let app = state.app;
    let method = Method::from_http(req.method());
    let mut captures = Captures::new();
    let index = match router::route(
        app.router,
        method,
        req.uri().path().as_bytes(),
        &mut captures,
    ) {
        Match::Route(i) if usize::from(i) < app.routes.len() => usize::from(i),
        Match::NotAllowed(i) => {
            return Ok(match state.allow.get(usize::from(i)) {
                Some(allow) => response::method_not_allowed(allow.clone()),
                None => response::not_found(),
            });
        }
        Match::Route(_) | Match::NotFound => return Ok(response::not_found()),
    };
    let route = &app.routes[index];
    let (parts, body) = req.into_parts();
    let body = match route.body {
        Body::None => Bytes::new(),
        Body::Raw => match read_body(&parts.headers, body, state.max_body, false).await {
            Ok(b) => b,
            Err(resp) => return Ok(resp),
        },
        Body::Json { .. } => match read_body(&parts.headers, body, state.max_body, true).await {
            Ok(b) => b,
            Err(resp) => return Ok(resp),
        },
    };
    let req = Req {
        method_str: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
        captures: &captures,
    };
    Ok(match python::dispatch(index, &req) {
        Outcome::Ready(resp) => resp,
        Outcome::Pending(pending) => pending.wait().await,
    })
}

/// Reads a body up to `limit` bytes: 415 for a non-JSON `Content-Type` on a
/// JSON route (a missing one is taken as JSON), 413 past the limit.
async fn read_body(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limit: usize,
    json: bool,
) -> Result<Bytes, Resp> {
    if json
        && let Some(ct) = headers.get(CONTENT_TYPE)
        && !response::is_json_content_type(ct.as_bytes())
    {
        return Err(response::unsupported_media_type());
    }
    if let Some(len) = headers.get(CONTENT_LENGTH)
        && let Some(len) = std::str::from_utf8(len.as_bytes())
            .ok()
            .and_then(|l| l.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(response::payload_too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(response::payload_too_large()),
        Err(_) => Err(response::bad_request("Could not read the request body")),
    }
}

/// Serves `app` on `addr` from a new thread of this process, for tests:
/// initialises the interpreter there (once per process) and returns the
/// bound address once it is ready.
pub(crate) fn spawn(app: &'static App, addr: SocketAddr) -> Result<SocketAddr, Error> {
    let listener = bind(addr, false)?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("local address", &e))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("prebake-server".into())
        .spawn(move || {
            if let Err(e) = python::init(app) {
                let _ = tx.send(Err(e));
                return;
            }
            let _ = tx.send(Ok(()));
            if let Err(e) = run_until(app, listener, std::future::pending()) {
                eprintln!("prebake: {e}");
            }
        })
        .map_err(|e| Error::io("cannot start the server thread", &e))?;
    rx.recv()
        .map_err(|_| Error::python("the server thread died during start-up"))??;
    Ok(local)
}

// Worker processes.

/// Runs `opts.workers` copies of this binary as workers and waits for them.
fn supervise(app: &'static App, opts: &Options) -> Result<(), Error> {
    let addr = resolve(&opts.host, opts.port)?;
    let (read_fd, write_fd) = pipe()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this executable", &e))?;
    let mut children = Vec::with_capacity(opts.workers);
    for i in 0..opts.workers {
        let child = std::process::Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .env(WORKER_ENV, i.to_string())
            .env(SUPERVISOR_ENV, std::process::id().to_string())
            .env(READY_FD_ENV, write_fd.to_string())
            .spawn();
        match child {
            Ok(c) => children.push(c),
            Err(e) => {
                kill_all(&mut children);
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
        kill_all(&mut children);
        return Err(Error::python(format!(
            "{} of {} workers failed to start",
            opts.workers - ready,
            opts.workers
        )));
    }
    eprintln!(
        "prebake: listening on http://{addr} (app {}, {} routes, workers {})",
        app.name,
        app.routes.len(),
        opts.workers
    );
    // SIGTERM/SIGINT end the supervisor at once; the workers follow it
    // (PR_SET_PDEATHSIG). Explicit handlers, because as PID 1 in a
    // container the defaults would ignore them.
    extern "C" fn quit(_: libc::c_int) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: installing a handler that only calls _exit.
    unsafe {
        libc::signal(libc::SIGTERM, quit as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, quit as *const () as libc::sighandler_t);
    }
    // Any worker exiting ends the service: stop the others and report it.
    let mut status = 0;
    // SAFETY: waiting for any child of this process.
    let pid = unsafe { libc::waitpid(-1, &raw mut status, 0) };
    kill_all(&mut children);
    Err(Error::python(format!(
        "worker (pid {pid}) exited with status {}; stopping",
        libc::WEXITSTATUS(status)
    )))
}

fn kill_all(children: &mut [std::process::Child]) {
    for c in children.iter_mut() {
        let _ = c.kill();
    }
    for c in children.iter_mut() {
        let _ = c.wait();
    }
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

/// In a worker: die when the supervising parent dies.
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
