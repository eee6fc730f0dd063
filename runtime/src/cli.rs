//! The binary's command line: every server flag, its environment variable
//! and its default.
//!
//! Handwritten to keep the binary small. A flag wins over its environment
//! variable, which wins over the default. `HOST`, `PORT` and `WORKERS` keep
//! their usual unprefixed names (`docs/semantics.md`, "The build and the
//! binary"); every other variable is `PREBAKE_` plus
//! the flag's name in upper snake case (`--max-body-size` is
//! `PREBAKE_MAX_BODY_SIZE`). The README's "Server flags" table lists them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

use crate::error::Error;

/// Where and how to serve.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) workers: usize,
    /// Threads for the handlers that run on the thread pool, per worker.
    pub(crate) threads: usize,
    pub(crate) limits: Limits,
    pub(crate) timeouts: Timeouts,
    pub(crate) log: LogOptions,
    pub(crate) metrics: MetricsOptions,
    pub(crate) probes: Probes,
}

/// The built-in endpoints an orchestrator probes, answered without Python.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Probes {
    /// Liveness: 200 while the process serves; `None`: the app's
    /// `App(health_path=...)`, else off.
    pub(crate) health_path: Option<String>,
    /// Readiness: 200 once the app (and its lifespan) started, 503 from
    /// the first SIGTERM on; `None`: the app's `App(ready_path=...)`, else off.
    pub(crate) ready_path: Option<String>,
    /// How long the server keeps accepting (answering readiness 503) after
    /// the first SIGTERM before it closes the listener and drains.
    pub(crate) shutdown_delay: Duration,
}

/// Size and count limits on what a client may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Request body bytes; `None`: the app's `App(max_body_size=...)`, else 1 MiB.
    pub(crate) max_body_size: Option<usize>,
    /// Request body bytes of a route with `File()`/`UploadFile` parameters
    /// (at least `max_body_size`); `None`: the app's
    /// `App(max_upload_size=...)`, else 64 MiB.
    pub(crate) max_upload_size: Option<usize>,
    /// Request line plus headers, in bytes (431 past it).
    pub(crate) max_header_size: usize,
    /// Header lines (431 past it).
    pub(crate) max_headers: usize,
    /// Bytes of the request target, path and query (414 past it).
    pub(crate) max_uri_length: usize,
    /// Nesting of a JSON body (400 past it); 0: msgspec's own limit only.
    pub(crate) max_json_depth: usize,
    /// Open connections per process; 0: no limit.
    pub(crate) max_connections: usize,
}

/// Time limits; `None` is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// From a connection's first byte (or its opening) to a complete head;
    /// also bounds reading a body.
    pub(crate) header_read: Option<Duration>,
    /// How long a connection may stay idle between requests.
    pub(crate) keep_alive: Option<Duration>,
    /// How long a handler may run before the client gets a 503.
    pub(crate) handler: Option<Duration>,
    /// How long in-flight requests get after SIGTERM/SIGINT.
    pub(crate) graceful: Duration,
    /// How long an inline `def` handler may hold the interpreter thread
    /// before its route is logged (once) as one that should run on the pool.
    pub(crate) slow_handler_warn: Option<Duration>,
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogOptions {
    pub(crate) format: LogFormat,
    pub(crate) level: tracing::Level,
    /// One line per request (`prebake::access`).
    pub(crate) access: bool,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// The Prometheus endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetricsOptions {
    /// The path it answers on (on the metrics port when there is one, else
    /// on the app's port).
    pub(crate) path: Option<String>,
    /// A separate port for it.
    pub(crate) port: Option<u16>,
}

impl MetricsOptions {
    /// Whether metrics are collected at all.
    pub(crate) fn enabled(&self) -> bool {
        self.path.is_some() || self.port.is_some()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".to_owned(),
            port: 8000,
            workers: 1,
            threads: 40,
            limits: Limits {
                max_body_size: None,
                max_upload_size: None,
                max_header_size: 16 * 1024,
                max_headers: 100,
                max_uri_length: 8 * 1024,
                max_json_depth: 256,
                max_connections: 10_000,
            },
            timeouts: Timeouts {
                header_read: Some(Duration::from_secs(30)),
                keep_alive: Some(Duration::from_secs(75)),
                handler: None,
                graceful: Duration::from_secs(30),
                slow_handler_warn: Some(Duration::from_millis(100)),
            },
            log: LogOptions {
                format: LogFormat::Text,
                level: tracing::Level::INFO,
                access: false,
            },
            metrics: MetricsOptions {
                path: None,
                port: None,
            },
            probes: Probes::default(),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    Serve(Box<Options>),
    /// `--healthcheck`: probe the health path of a server on this machine's
    /// port (for a container's `HEALTHCHECK`, with no curl in the image).
    Healthcheck(Box<Options>),
    Help,
}

/// One flag: its name, its environment variable, its value's name in
/// `--help` (empty for a switch) and its help line.
struct Flag {
    name: &'static str,
    env: &'static str,
    value: &'static str,
    help: &'static str,
}

const fn flag(
    name: &'static str,
    env: &'static str,
    value: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        name,
        env,
        value,
        help,
    }
}

const FLAGS: &[Flag] = &[
    flag(
        "--host",
        "HOST",
        "HOST",
        "address to listen on [default: 127.0.0.1]",
    ),
    flag(
        "--port",
        "PORT",
        "PORT",
        "port to listen on [default: 8000]",
    ),
    flag(
        "--workers",
        "WORKERS",
        "N",
        "worker processes sharing the port (SO_REUSEPORT), each with its own interpreter; \
         the parent restarts one that dies [default: 1]",
    ),
    flag(
        "--threads",
        "PREBAKE_THREADS",
        "N",
        "threads per worker for the handlers that run on the thread pool (sync_to_thread), \
         started as needed [default: 40]",
    ),
    flag(
        "--max-body-size",
        "PREBAKE_MAX_BODY_SIZE",
        "SIZE",
        "request body limit, 413 past it [default: the app's App(max_body_size=...), else 1MiB]",
    ),
    flag(
        "--max-upload-size",
        "PREBAKE_MAX_UPLOAD_SIZE",
        "SIZE",
        "request body limit of routes that take uploaded files, 413 past it \
         (never below --max-body-size) [default: the app's App(max_upload_size=...), else 64MiB]",
    ),
    flag(
        "--max-header-size",
        "PREBAKE_MAX_HEADER_SIZE",
        "SIZE",
        "request line plus headers, 431 past it [default: 16KiB]",
    ),
    flag(
        "--max-headers",
        "PREBAKE_MAX_HEADERS",
        "N",
        "header lines, 431 past it [default: 100]",
    ),
    flag(
        "--max-uri-length",
        "PREBAKE_MAX_URI_LENGTH",
        "SIZE",
        "request target (path and query), 414 past it [default: 8KiB]",
    ),
    flag(
        "--max-json-depth",
        "PREBAKE_MAX_JSON_DEPTH",
        "N",
        "nesting of a JSON body, 400 past it; 0: msgspec's own limit [default: 256]",
    ),
    flag(
        "--max-connections",
        "PREBAKE_MAX_CONNECTIONS",
        "N",
        "open connections per worker; 0: no limit [default: 10000]",
    ),
    flag(
        "--header-read-timeout",
        "PREBAKE_HEADER_READ_TIMEOUT",
        "SECS",
        "time to send a request head, and a body; 0: off [default: 30]",
    ),
    flag(
        "--keep-alive-timeout",
        "PREBAKE_KEEP_ALIVE_TIMEOUT",
        "SECS",
        "idle time allowed between requests on a connection; 0: off [default: 75]",
    ),
    flag(
        "--handler-timeout",
        "PREBAKE_HANDLER_TIMEOUT",
        "SECS",
        "answer 503 when a handler runs longer; 0: off [default: 0]",
    ),
    flag(
        "--slow-handler-warn",
        "PREBAKE_SLOW_HANDLER_WARN",
        "SECS",
        "warn once per route when a handler on the interpreter thread runs longer; \
         0: off [default: 100ms]",
    ),
    flag(
        "--graceful-timeout",
        "PREBAKE_GRACEFUL_TIMEOUT",
        "SECS",
        "time in-flight requests get after SIGTERM or SIGINT [default: 30]",
    ),
    flag(
        "--access-log",
        "PREBAKE_ACCESS_LOG",
        "",
        "one log line per request [default: off]",
    ),
    flag(
        "--log-format",
        "PREBAKE_LOG_FORMAT",
        "text|json",
        "log line format [default: text]",
    ),
    flag(
        "--log-level",
        "PREBAKE_LOG_LEVEL",
        "LEVEL",
        "error, warn, info, debug or trace [default: info]",
    ),
    flag(
        "--metrics-path",
        "PREBAKE_METRICS_PATH",
        "PATH",
        "serve Prometheus metrics at PATH [default: off]",
    ),
    flag(
        "--metrics-port",
        "PREBAKE_METRICS_PORT",
        "PORT",
        "serve Prometheus metrics on their own port, at /metrics unless --metrics-path \
         says otherwise [default: off]",
    ),
    flag(
        "--health-path",
        "PREBAKE_HEALTH_PATH",
        "PATH",
        "answer 200 at PATH while the process runs (a liveness probe), without Python \
         [default: the app's App(health_path=...), else off]",
    ),
    flag(
        "--ready-path",
        "PREBAKE_READY_PATH",
        "PATH",
        "answer 200 at PATH once the app has started and 503 from SIGTERM on (a readiness \
         probe), without Python [default: the app's App(ready_path=...), else off]",
    ),
    flag(
        "--shutdown-delay",
        "PREBAKE_SHUTDOWN_DELAY",
        "SECS",
        "after SIGTERM, keep serving this long (readiness 503) before closing the listener, \
         so a load balancer stops sending first; within --graceful-timeout's clock [default: 0]",
    ),
    flag(
        "--healthcheck",
        "PREBAKE_HEALTHCHECK",
        "",
        "do not serve: GET --health-path (else /healthz) on 127.0.0.1:--port and exit 0 on a \
         200, 1 otherwise (a container HEALTHCHECK without curl)",
    ),
];

pub(crate) fn usage(program: &str) -> String {
    let mut out = format!(
        "Usage: {program} [OPTIONS]\n\
         \n\
         Serve the app compiled into this binary.\n\
         SIZE is bytes, or a number with KiB, MiB or GiB (or K, M, G); SECS may have\n\
         a fraction, or end in `ms`. Every option can come from its environment\n\
         variable instead; the flag wins.\n\
         \n\
         Options:\n"
    );
    for f in FLAGS {
        let head = format!("{} {}", f.name, f.value);
        out.push_str(&format!("  {head:<32}{}\n", f.help));
        out.push_str(&format!("  {:<32}[env: {}]\n", "", f.env));
    }
    out.push_str(&format!("  {:<32}print this help\n", "-h, --help"));
    out
}

/// Parses the arguments (without the program name) and the environment.
pub(crate) fn parse(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, Error> {
    let mut raw: HashMap<&'static str, String> = HashMap::new();
    for f in FLAGS {
        if let Some(v) = env(f.env) {
            raw.insert(f.name, v);
        }
    }
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| Error::usage(format!("invalid argument {a:?}")))?;
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let Some(f) = FLAGS.iter().find(|f| f.name == name) else {
            return Err(Error::usage(format!("unexpected argument `{arg}`")));
        };
        let value = if f.value.is_empty() {
            inline.unwrap_or_else(|| "true".to_owned())
        } else {
            match inline {
                Some(v) => v,
                None => args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or_else(|| Error::usage(format!("`{name}` needs a value")))?,
            }
        };
        raw.insert(f.name, value);
    }
    let check = match raw.get("--healthcheck") {
        Some(v) => switch("--healthcheck", v)?,
        None => false,
    };
    let o = Box::new(options(&raw)?);
    Ok(if check {
        Command::Healthcheck(o)
    } else {
        Command::Serve(o)
    })
}

/// A probe path: absolute, without a query.
fn probe_path(flag: &str, v: &str) -> Result<Option<String>, Error> {
    if v.is_empty() {
        return Ok(None);
    }
    if !v.starts_with('/') || v.contains(['?', '#', ' ']) {
        return Err(Error::usage(format!(
            "{flag} must be a path starting with `/` (no query), got `{v}`"
        )));
    }
    Ok(Some(v.to_owned()))
}

fn options(raw: &HashMap<&'static str, String>) -> Result<Options, Error> {
    let mut o = Options::default();
    let get = |name: &str| raw.get(name).map(|v| v.trim());
    if let Some(v) = get("--host") {
        o.host = v.to_owned();
    }
    if let Some(v) = get("--port") {
        o.port = v
            .parse()
            .map_err(|_| Error::usage(format!("invalid port `{v}`")))?;
    }
    if let Some(v) = get("--workers") {
        o.workers = match v.parse() {
            Ok(n) if n >= 1 => n,
            _ => return Err(Error::usage(format!("invalid worker count `{v}`"))),
        };
    }
    if let Some(v) = get("--threads") {
        o.threads = match v.parse() {
            Ok(n) if n >= 1 => n,
            _ => return Err(Error::usage(format!("invalid thread count `{v}`"))),
        };
    }
    let l = &mut o.limits;
    if let Some(v) = get("--max-body-size") {
        l.max_body_size = Some(size("--max-body-size", v)?);
    }
    if let Some(v) = get("--max-upload-size") {
        l.max_upload_size = Some(size("--max-upload-size", v)?);
    }
    if let Some(v) = get("--max-header-size") {
        l.max_header_size = size("--max-header-size", v)?;
        if l.max_header_size < 1024 {
            return Err(Error::usage("--max-header-size must be at least 1KiB"));
        }
    }
    if let Some(v) = get("--max-headers") {
        l.max_headers = count("--max-headers", v)?;
        if l.max_headers == 0 {
            return Err(Error::usage("--max-headers must be at least 1"));
        }
    }
    if let Some(v) = get("--max-uri-length") {
        l.max_uri_length = size("--max-uri-length", v)?;
    }
    if let Some(v) = get("--max-json-depth") {
        l.max_json_depth = count("--max-json-depth", v)?;
    }
    if let Some(v) = get("--max-connections") {
        l.max_connections = count("--max-connections", v)?;
    }
    let t = &mut o.timeouts;
    if let Some(v) = get("--header-read-timeout") {
        t.header_read = seconds("--header-read-timeout", v)?;
    }
    if let Some(v) = get("--keep-alive-timeout") {
        t.keep_alive = seconds("--keep-alive-timeout", v)?;
    }
    if let Some(v) = get("--handler-timeout") {
        t.handler = seconds("--handler-timeout", v)?;
    }
    if let Some(v) = get("--slow-handler-warn") {
        t.slow_handler_warn = seconds("--slow-handler-warn", v)?;
    }
    if let Some(v) = get("--graceful-timeout") {
        t.graceful = seconds("--graceful-timeout", v)?.unwrap_or(Duration::ZERO);
    }
    if let Some(v) = get("--access-log") {
        o.log.access = switch("--access-log", v)?;
    }
    if let Some(v) = get("--log-format") {
        o.log.format = match v.to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(Error::usage(format!("invalid log format `{v}`"))),
        };
    }
    if let Some(v) = get("--log-level") {
        o.log.level = v
            .parse()
            .map_err(|_| Error::usage(format!("invalid log level `{v}`")))?;
    }
    if let Some(v) = get("--metrics-path") {
        if !v.starts_with('/') {
            return Err(Error::usage(format!(
                "--metrics-path must start with `/`, got `{v}`"
            )));
        }
        o.metrics.path = Some(v.to_owned());
    }
    if let Some(v) = get("--metrics-port") {
        let port: u16 = v
            .parse()
            .map_err(|_| Error::usage(format!("invalid metrics port `{v}`")))?;
        o.metrics.port = Some(port);
        o.metrics.path.get_or_insert_with(|| "/metrics".to_owned());
    }
    if let Some(v) = get("--health-path") {
        o.probes.health_path = probe_path("--health-path", v)?;
    }
    if let Some(v) = get("--ready-path") {
        o.probes.ready_path = probe_path("--ready-path", v)?;
    }
    if let Some(v) = get("--shutdown-delay") {
        o.probes.shutdown_delay = seconds("--shutdown-delay", v)?.unwrap_or(Duration::ZERO);
    }
    if o.workers > 1 && o.port == 0 {
        return Err(Error::usage(
            "--port 0 picks a different port per worker; give a port with --workers",
        ));
    }
    if o.workers > 1 && o.metrics.port == Some(0) {
        return Err(Error::usage(
            "give a --metrics-port other than 0 with --workers",
        ));
    }
    Ok(o)
}

/// `1048576`, `64KiB`, `1MiB`, `512k`, `2M`, `1G` (binary multiples).
fn size(flag: &str, v: &str) -> Result<usize, Error> {
    let bad = || Error::usage(format!("invalid size `{v}` for {flag}"));
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: usize = digits.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift).ok_or_else(bad)
}

fn count(flag: &str, v: &str) -> Result<usize, Error> {
    v.parse()
        .map_err(|_| Error::usage(format!("invalid number `{v}` for {flag}")))
}

/// `30`, `0.5`, `250ms`, `2s`; `0` is `None` (off).
fn seconds(flag: &str, v: &str) -> Result<Option<Duration>, Error> {
    let bad = || Error::usage(format!("invalid duration `{v}` for {flag}"));
    let (number, scale) = if let Some(ms) = v.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (v.strip_suffix('s').unwrap_or(v), 1.0)
    };
    let secs: f64 = number.trim().parse().map_err(|_| bad())?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    let d = Duration::try_from_secs_f64(secs * scale).map_err(|_| bad())?;
    Ok((!d.is_zero()).then_some(d))
}

fn switch(flag: &str, v: &str) -> Result<bool, Error> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::usage(format!("invalid value `{v}` for {flag}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str], env: &[(&str, &str)]) -> Result<Command, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        parse(args.iter().map(OsString::from), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    fn opts(args: &[&str], env: &[(&str, &str)]) -> Options {
        match p(args, env).unwrap() {
            Command::Serve(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_env_and_flags() {
        let o = opts(&[], &[]);
        assert_eq!(o, Options::default());
        assert_eq!((o.host.as_str(), o.port, o.workers), ("127.0.0.1", 8000, 1));
        let o = opts(
            &[],
            &[("HOST", "0.0.0.0"), ("PORT", "9000"), ("WORKERS", "2")],
        );
        assert_eq!((o.host.as_str(), o.port, o.workers), ("0.0.0.0", 9000, 2));
        let o = opts(
            &["--port", "81", "--host=::1", "--workers", "3"],
            &[("PORT", "9000")],
        );
        assert_eq!((o.host.as_str(), o.port, o.workers), ("::1", 81, 3));
        assert_eq!(o.threads, 40);
        assert_eq!(
            o.timeouts.slow_handler_warn,
            Some(Duration::from_millis(100))
        );
        let o = opts(&["--threads", "1"], &[("PREBAKE_THREADS", "8")]);
        assert_eq!(o.threads, 1);
        let o = opts(&[], &[("PREBAKE_THREADS", "8")]);
        assert_eq!(o.threads, 8);
        let o = opts(&["--slow-handler-warn", "0"], &[]);
        assert_eq!(o.timeouts.slow_handler_warn, None);
        let o = opts(&[], &[("PREBAKE_SLOW_HANDLER_WARN", "250ms")]);
        assert_eq!(
            o.timeouts.slow_handler_warn,
            Some(Duration::from_millis(250))
        );
        assert_eq!(p(&["--help"], &[]).unwrap(), Command::Help);
        assert_eq!(p(&["-h"], &[]).unwrap(), Command::Help);
    }

    #[test]
    fn limits_and_timeouts() {
        let o = opts(
            &[
                "--max-body-size",
                "2MiB",
                "--max-header-size=32k",
                "--max-uri-length",
                "100",
                "--handler-timeout",
                "1.5",
                "--keep-alive-timeout",
                "0",
                "--access-log",
                "--log-format",
                "json",
                "--metrics-port",
                "9100",
            ],
            &[
                ("PREBAKE_MAX_JSON_DEPTH", "10"),
                ("PREBAKE_HEADER_READ_TIMEOUT", "250ms"),
                ("PREBAKE_MAX_BODY_SIZE", "1"),
            ],
        );
        assert_eq!(o.limits.max_body_size, Some(2 << 20));
        assert_eq!(o.limits.max_header_size, 32 << 10);
        assert_eq!(o.limits.max_uri_length, 100);
        assert_eq!(o.limits.max_json_depth, 10);
        assert_eq!(o.timeouts.handler, Some(Duration::from_millis(1500)));
        assert_eq!(o.timeouts.header_read, Some(Duration::from_millis(250)));
        assert_eq!(o.timeouts.keep_alive, None);
        assert!(o.log.access);
        assert_eq!(o.log.format, LogFormat::Json);
        assert_eq!(o.metrics.port, Some(9100));
        assert_eq!(o.metrics.path.as_deref(), Some("/metrics"));
        let o = opts(&[], &[("PREBAKE_ACCESS_LOG", "0")]);
        assert!(!o.log.access);
    }

    #[test]
    fn probes_and_healthcheck() {
        let o = opts(
            &["--health-path", "/healthz", "--shutdown-delay", "5"],
            &[("PREBAKE_READY_PATH", "/readyz")],
        );
        assert_eq!(o.probes.health_path.as_deref(), Some("/healthz"));
        assert_eq!(o.probes.ready_path.as_deref(), Some("/readyz"));
        assert_eq!(o.probes.shutdown_delay, Duration::from_secs(5));
        assert_eq!(opts(&[], &[]).probes, Probes::default());
        match p(&["--healthcheck", "--port", "9001"], &[]).unwrap() {
            Command::Healthcheck(o) => assert_eq!(o.port, 9001),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["--port"][..],
            &["--port", "x"],
            &["--workers", "0"],
            &["--threads", "0"],
            &["--slow-handler-warn", "soon"],
            &["--bogus"],
            &["--port", "0", "--workers", "2"],
            &["--max-body-size", "1XB"],
            &["--max-header-size", "100"],
            &["--handler-timeout", "-1"],
            &["--log-format", "xml"],
            &["--metrics-path", "metrics"],
            &["--access-log=maybe"],
            &["--health-path", "healthz"],
            &["--ready-path", "/ready?x=1"],
            &["--shutdown-delay", "soon"],
            &["--healthcheck=perhaps"],
        ] {
            assert!(p(args, &[]).unwrap_err().is_usage(), "{args:?}");
        }
    }

    #[test]
    fn help_lists_every_flag_and_variable() {
        let text = usage("app");
        for f in FLAGS {
            assert!(text.contains(f.name), "{}", f.name);
            assert!(text.contains(f.env), "{}", f.env);
        }
    }
}
