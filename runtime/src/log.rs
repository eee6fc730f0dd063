//! Structured logs: `tracing` events written to stderr as text or JSON
//! lines, request ids, and the panic hook.
//!
//! What is logged: the start-up line (`listening on http://ADDR ...`),
//! worker supervision, shutdown, and every server-side failure with the
//! route and the request id (a handler's exception with its traceback, a
//! return value of the wrong type, a timeout, a caught panic). The access
//! log (`prebake::access`, one line per request) is off unless
//! `--access-log`. Nothing here runs per request unless a line is written.
//!
//! Access lines are written by hand in the very format the `tracing`
//! formatter uses for its events (text or JSON), into a buffer that is
//! flushed every 100 ms, when it fills, and before any other log line (so
//! lines stay in order): tracing's formatter and one `write` per request
//! would cost about 7,000 instructions a request, this about 500.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::FmtSpan;

use crate::cli::{LogFormat, LogOptions};

/// Installs the global subscriber for `opts` and the panic hook (once per
/// process).
pub(crate) fn init(opts: &LogOptions) {
    subscriber(opts);
    install_panic_hook();
}

fn subscriber(opts: &LogOptions) {
    let _ = FORMAT.set(opts.format);
    let builder = tracing_subscriber::fmt()
        .with_writer(|| {
            // Buffered access lines first: the log stays in order.
            flush_access();
            std::io::stderr()
        })
        .with_ansi(false)
        .with_max_level(opts.level)
        .with_span_events(FmtSpan::NONE);
    let _ = match opts.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// For servers started in-process by tests: text logs, unless the process
/// already has a subscriber (and the test harness keeps its panic hook).
pub(crate) fn init_default() {
    if !tracing::dispatcher::has_been_set() {
        subscriber(&crate::cli::Options::default().log);
    }
}

/// Logs panics as error events (with their location) instead of raw
/// stderr text. A panic inside a request is then caught, answered 500, and
/// logged a second time with the route and the request id.
fn install_panic_hook() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a non-string payload)".to_owned());
            let location = info
                .location()
                .map_or_else(String::new, ToString::to_string);
            let thread = std::thread::current();
            tracing::error!(
                thread = thread.name().unwrap_or("?"),
                location,
                "panic: {message}"
            );
        }));
    });
}

/// A request's id in logs: `<pid>-<n>`, unique per process lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestId(pub(crate) u64);

static PID: OnceLock<u32> = OnceLock::new();

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", PID.get_or_init(std::process::id), self.0)
    }
}

impl RequestId {
    /// Appends the id's text without the formatting machinery.
    fn write_to(self, out: &mut Vec<u8>) {
        crate::json::write_u64(out, u64::from(*PID.get_or_init(std::process::id)));
        out.push(b'-');
        crate::json::write_u64(out, self.0);
    }
}

/// The log format, for the hand-written access lines.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

thread_local! {
    /// Access lines not yet written (server thread only).
    static ACCESS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// `"YYYY-MM-DDTHH:MM:SS."` of the second last formatted.
    static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
    /// This worker's index, for the span tracing adds to every line.
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Marks this thread's lines as worker `index`'s (tracing does it with a
/// span; the access lines repeat it).
pub(crate) fn set_worker(index: usize) {
    WORKER.with(|w| w.set(Some(index)));
}

/// One access line: `method target status micros request_id`, as the
/// `tracing` event `prebake::access` would be written.
pub(crate) fn access(method: &str, target: &str, status: u16, micros: u64, rid: RequestId) {
    let json = matches!(FORMAT.get(), Some(LogFormat::Json));
    ACCESS.with(|buf| {
        let mut out = buf.borrow_mut();
        let out = &mut *out;
        let worker = WORKER.with(Cell::get);
        if json {
            out.extend_from_slice(b"{\"timestamp\":\"");
            timestamp(out);
            out.extend_from_slice(b"\",\"level\":\"INFO\",\"method\":");
            crate::json::write_str(out, method);
            out.extend_from_slice(b",\"path\":");
            crate::json::write_str(out, target);
            out.extend_from_slice(b",\"status\":");
            crate::json::write_u64(out, u64::from(status));
            out.extend_from_slice(b",\"micros\":");
            crate::json::write_u64(out, micros);
            out.extend_from_slice(b",\"request_id\":\"");
            rid.write_to(out);
            out.extend_from_slice(b"\",\"target\":\"prebake::access\"");
            if let Some(i) = worker {
                let _ = write!(out, ",\"span\":{{\"index\":{i},\"name\":\"worker\"}}");
            }
            out.extend_from_slice(b"}\n");
        } else {
            timestamp(out);
            out.extend_from_slice(b"  INFO ");
            if let Some(i) = worker {
                let _ = write!(out, "worker{{index={i}}}: ");
            }
            out.extend_from_slice(b"prebake::access: method=");
            out.extend_from_slice(method.as_bytes());
            out.extend_from_slice(b" path=");
            out.extend_from_slice(target.as_bytes());
            out.extend_from_slice(b" status=");
            crate::json::write_u64(out, u64::from(status));
            out.extend_from_slice(b" micros=");
            crate::json::write_u64(out, micros);
            out.extend_from_slice(b" request_id=");
            rid.write_to(out);
            out.push(b'\n');
        }
        if out.len() >= 32 * 1024 {
            write_out(out);
        }
    });
}

/// Writes the buffered access lines of this thread.
pub(crate) fn flush_access() {
    ACCESS.with(|buf| {
        if let Ok(mut out) = buf.try_borrow_mut()
            && !out.is_empty()
        {
            write_out(&mut out);
        }
    });
}

fn write_out(out: &mut Vec<u8>) {
    let _ = std::io::stderr().lock().write_all(out);
    out.clear();
}

/// `2026-01-02T03:04:05.123456Z`, UTC, as tracing writes it.
fn timestamp(out: &mut Vec<u8>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (cached, mut prefix) = SECOND.with(Cell::get);
    if cached != secs {
        prefix = civil(secs);
        SECOND.with(|c| c.set((secs, prefix)));
    }
    out.extend_from_slice(&prefix);
    let micros = now.subsec_micros();
    let mut digits = [b'0'; 6];
    let mut m = micros;
    for d in digits.iter_mut().rev() {
        *d = b'0' + u8::try_from(m % 10).unwrap_or(0);
        m /= 10;
    }
    out.extend_from_slice(&digits);
    out.push(b'Z');
}

/// `"YYYY-MM-DDTHH:MM:SS."` for a Unix time (Howard Hinnant's
/// days-to-civil algorithm).
fn civil(secs: u64) -> [u8; 20] {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    let mut out = [b'0'; 20];
    let bytes = text.as_bytes();
    let n = bytes.len().min(20);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::civil;

    #[test]
    fn civil_dates() {
        assert_eq!(&civil(0), b"1970-01-01T00:00:00.");
        assert_eq!(&civil(951_782_400), b"2000-02-29T00:00:00.");
        assert_eq!(&civil(1_790_000_000 + 3_661), b"2026-09-21T15:14:21.");
    }
}
