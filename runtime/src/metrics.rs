//! Prometheus metrics: requests by route and status, a latency histogram
//! per route, open connections and worker restarts, in the text format.
//!
//! Off unless `--metrics-path` or `--metrics-port` is given; then, per
//! request, one clock read at the start and one at the end, and a handful
//! of plain loads and stores. When off the server never calls in here and
//! the request path has no clock reads and no atomics.
//!
//! With `--workers N` the counters live in one shared memory region (a
//! `memfd` the supervisor creates and the workers map) with a slot per
//! worker, so whichever worker answers a scrape reports the totals of all
//! of them, and a restarted worker keeps adding to its slot. Each slot has
//! one writer, so updates are relaxed loads and stores (plain moves on
//! x86), never read-modify-write instructions.

use std::fmt::Write as _;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::app::Route;
use crate::error::Error;

/// The environment variable that hands the shared region to a worker.
pub(crate) const FD_ENV: &str = "PREBAKE_METRICS_FD";

/// Upper bounds of the latency buckets, in nanoseconds (100 µs to 10 s).
const BUCKETS_NS: [u64; 16] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// Distinct statuses tracked per route (more are counted in the histogram
/// only).
const STATUS_SLOTS: usize = 16;
/// Cells of a row: (status, count) pairs, buckets plus `+Inf`, sum, count.
const ROW: usize = STATUS_SLOTS * 2 + BUCKETS_NS.len() + 1 + 2;
/// Cells before the worker slots: a magic number and the restart count.
const HEADER: usize = 2;
/// Cells at the start of a worker slot: open connections.
const SLOT_HEADER: usize = 1;
const MAGIC: u64 = 0x7072_6562_616b_6531;

/// The number of cells for `routes` routes and `workers` workers.
fn cells(routes: usize, workers: usize) -> usize {
    HEADER + workers * (SLOT_HEADER + (routes + 1) * ROW)
}

/// This process's view of the counters.
pub(crate) struct Metrics {
    cells: &'static [AtomicU64],
    routes: &'static [Route],
    workers: usize,
    /// The first cell of this process's slot.
    slot: usize,
}

impl Metrics {
    /// Counters private to this process (no workers).
    pub(crate) fn local(routes: &'static [Route]) -> Metrics {
        let n = cells(routes.len(), 1);
        let cells: Box<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(0)).collect();
        let cells: &'static [AtomicU64] = Box::leak(cells);
        cells[0].store(MAGIC, Relaxed);
        Metrics::view(cells, routes, 1, 0)
    }

    /// Worker `index`'s view of the region the supervisor shared through
    /// [`FD_ENV`].
    pub(crate) fn worker(
        routes: &'static [Route],
        workers: usize,
        index: usize,
    ) -> Result<Metrics, Error> {
        let fd: RawFd = std::env::var(FD_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::python(format!("{FD_ENV} is not set")))?;
        Metrics::attach(fd, routes, workers, index)
    }

    fn attach(
        fd: RawFd,
        routes: &'static [Route],
        workers: usize,
        index: usize,
    ) -> Result<Metrics, Error> {
        let cells = map(fd, cells(routes.len(), workers))?;
        Ok(Metrics::view(
            cells,
            routes,
            workers,
            index.min(workers - 1),
        ))
    }

    fn view(
        cells: &'static [AtomicU64],
        routes: &'static [Route],
        workers: usize,
        index: usize,
    ) -> Metrics {
        Metrics {
            cells,
            routes,
            workers,
            slot: HEADER + index * (SLOT_HEADER + (routes.len() + 1) * ROW),
        }
    }

    /// The row of route `index`, or of requests that matched no route.
    pub(crate) fn row(&self, route: Option<usize>) -> usize {
        route
            .filter(|&r| r < self.routes.len())
            .unwrap_or(self.routes.len())
    }

    #[inline]
    fn bump(&self, cell: usize, by: u64) {
        let c = &self.cells[cell];
        c.store(c.load(Relaxed).wrapping_add(by), Relaxed);
    }

    /// Counts one response of `row` with `status`, `elapsed` after its head.
    #[inline]
    pub(crate) fn record(&self, row: usize, status: u16, elapsed: Duration) {
        let base = self.slot + SLOT_HEADER + row * ROW;
        let status = u64::from(status);
        for k in 0..STATUS_SLOTS {
            let cell = base + 2 * k;
            let seen = self.cells[cell].load(Relaxed);
            if seen == status {
                self.bump(cell + 1, 1);
                break;
            }
            if seen == 0 {
                self.cells[cell].store(status, Relaxed);
                self.bump(cell + 1, 1);
                break;
            }
        }
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_NS
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(BUCKETS_NS.len());
        let hist = base + 2 * STATUS_SLOTS;
        self.bump(hist + bucket, 1);
        self.bump(hist + BUCKETS_NS.len() + 1, ns);
        self.bump(hist + BUCKETS_NS.len() + 2, 1);
    }

    /// A connection opened (`+1`) or closed (`-1`).
    pub(crate) fn connections(&self, delta: i64) {
        let c = &self.cells[self.slot];
        c.store(c.load(Relaxed).wrapping_add_signed(delta), Relaxed);
    }

    /// The exposition text, summed over every worker.
    pub(crate) fn render(&self) -> String {
        let routes = self.routes.len();
        let slot_len = SLOT_HEADER + (routes + 1) * ROW;
        let at = |w: usize, cell: usize| self.cells[HEADER + w * slot_len + cell].load(Relaxed);
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP prebake_requests_total Responses sent, by route and status.\n\
             # TYPE prebake_requests_total counter\n",
        );
        let mut histograms = Vec::new();
        for row in 0..=routes {
            let base = SLOT_HEADER + row * ROW;
            let mut statuses: Vec<(u64, u64)> = Vec::new();
            let mut hist = [0u64; BUCKETS_NS.len() + 3];
            for w in 0..self.workers {
                for k in 0..STATUS_SLOTS {
                    let status = at(w, base + 2 * k);
                    if status == 0 {
                        break;
                    }
                    let count = at(w, base + 2 * k + 1);
                    match statuses.iter_mut().find(|(s, _)| *s == status) {
                        Some((_, c)) => *c += count,
                        None => statuses.push((status, count)),
                    }
                }
                for (i, h) in hist.iter_mut().enumerate() {
                    *h += at(w, base + 2 * STATUS_SLOTS + i);
                }
            }
            statuses.sort_unstable();
            let labels = self.labels(row);
            for (status, count) in statuses {
                let _ = writeln!(
                    out,
                    "prebake_requests_total{{{labels},status=\"{status}\"}} {count}"
                );
            }
            if hist[BUCKETS_NS.len() + 2] > 0 {
                histograms.push((labels, hist));
            }
        }
        out.push_str(
            "# HELP prebake_request_duration_seconds Time from a request's head to its response, by route.\n\
             # TYPE prebake_request_duration_seconds histogram\n",
        );
        for (labels, hist) in histograms {
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_NS.iter().enumerate() {
                cumulative += hist[i];
                let le = seconds(*bound);
                let _ = writeln!(
                    out,
                    "prebake_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            cumulative += hist[BUCKETS_NS.len()];
            let _ = writeln!(
                out,
                "prebake_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}"
            );
            let sum = seconds(hist[BUCKETS_NS.len() + 1]);
            let _ = writeln!(
                out,
                "prebake_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let count = hist[BUCKETS_NS.len() + 2];
            let _ = writeln!(
                out,
                "prebake_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        let open: u64 = (0..self.workers).map(|w| at(w, 0)).sum();
        let restarts = self.cells[1].load(Relaxed);
        let _ = write!(
            out,
            "# HELP prebake_open_connections Connections open now.\n\
             # TYPE prebake_open_connections gauge\n\
             prebake_open_connections {open}\n\
             # HELP prebake_worker_restarts_total Workers the supervisor restarted.\n\
             # TYPE prebake_worker_restarts_total counter\n\
             prebake_worker_restarts_total {restarts}\n"
        );
        out
    }

    fn labels(&self, row: usize) -> String {
        match self.routes.get(row) {
            Some(r) => format!(
                "method=\"{}\",route=\"{}\"",
                r.method.as_str(),
                escape(r.path)
            ),
            None => "method=\"\",route=\"\"".to_owned(),
        }
    }
}

/// `ns` nanoseconds as seconds, in the shortest form that reads back exactly.
fn seconds(ns: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "seconds for a metrics reader; sub-nanosecond loss past 2^53 ns is fine"
    )]
    let s = ns as f64 / 1e9;
    let mut buf = ryu::Buffer::new();
    buf.format(s).to_owned()
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// In the supervisor: creates the shared region for `routes` routes and
/// `workers` workers; returns the inheritable fd to pass in [`FD_ENV`] and
/// the supervisor's own view (for the restart counter).
pub(crate) fn create_shared(routes: usize, workers: usize) -> Result<(RawFd, Restarts), Error> {
    let len = cells(routes, workers) * 8;
    // SAFETY: a NUL-terminated name; no flags, so workers inherit the fd.
    let fd = unsafe { libc::memfd_create(c"prebake-metrics".as_ptr(), 0) };
    if fd < 0 {
        return Err(Error::io(
            "memfd_create for metrics",
            &std::io::Error::last_os_error(),
        ));
    }
    let size = libc::off_t::try_from(len).unwrap_or(libc::off_t::MAX);
    // SAFETY: sizing the memfd we just created.
    if unsafe { libc::ftruncate(fd, size) } != 0 {
        return Err(Error::io(
            "sizing the metrics region",
            &std::io::Error::last_os_error(),
        ));
    }
    let cells = map(fd, cells(routes, workers))?;
    cells[0].store(MAGIC, Relaxed);
    Ok((fd, Restarts(&cells[1])))
}

/// The supervisor's handle on the restart counter.
pub(crate) struct Restarts(&'static AtomicU64);

impl Restarts {
    /// One more restart.
    pub(crate) fn add(&self) {
        self.0.store(self.0.load(Relaxed) + 1, Relaxed);
    }
}

/// Maps `n` cells of the shared region `fd` for the life of the process.
fn map(fd: RawFd, n: usize) -> Result<&'static [AtomicU64], Error> {
    // SAFETY: a shared read-write mapping of a descriptor we were given;
    // the result is checked before use.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            n * 8,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(Error::io(
            "mapping the metrics region",
            &std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: the mapping is page-aligned, `n * 8` bytes long, zero-filled
    // or written only through atomics, and never unmapped.
    let cells = unsafe { std::slice::from_raw_parts(ptr.cast::<AtomicU64>(), n) };
    if cells[0].load(Relaxed) != MAGIC && cells[0].load(Relaxed) != 0 {
        return Err(Error::python("the metrics region has an unexpected layout"));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Body, Returns};
    use crate::router::Method;

    static ROUTES: [Route; 1] = [Route {
        method: Method::Get,
        path: "/user/{id}",
        handler: "get_user",
        params: &["id"],
        is_async: false,
        on_pool: false,
        deferred: false,
        status: 200,
        body: Body::None,
        decode: |_| Ok(()),
        returns: Returns::Text,
    }];

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::local(&ROUTES);
        m.record(0, 200, Duration::from_micros(50));
        m.record(0, 200, Duration::from_millis(3));
        m.record(0, 400, Duration::from_micros(80));
        m.record(m.row(None), 404, Duration::from_micros(10));
        m.connections(1);
        let text = m.render();
        for line in [
            "prebake_requests_total{method=\"GET\",route=\"/user/{id}\",status=\"200\"} 2",
            "prebake_requests_total{method=\"GET\",route=\"/user/{id}\",status=\"400\"} 1",
            "prebake_requests_total{method=\"\",route=\"\",status=\"404\"} 1",
            "prebake_request_duration_seconds_bucket{method=\"GET\",route=\"/user/{id}\",le=\"0.0001\"} 2",
            "prebake_request_duration_seconds_bucket{method=\"GET\",route=\"/user/{id}\",le=\"0.005\"} 3",
            "prebake_request_duration_seconds_bucket{method=\"GET\",route=\"/user/{id}\",le=\"+Inf\"} 3",
            "prebake_request_duration_seconds_count{method=\"GET\",route=\"/user/{id}\"} 3",
            "prebake_request_duration_seconds_sum{method=\"GET\",route=\"/user/{id}\"} 0.00313",
            "prebake_open_connections 1",
        ] {
            assert!(text.contains(line), "{line}\n---\n{text}");
        }
    }

    #[test]
    fn shared_region_sums_workers() {
        let (fd, restarts) = create_shared(ROUTES.len(), 2).unwrap();
        restarts.add();
        let w0 = Metrics::attach(fd, &ROUTES, 2, 0).unwrap();
        let w1 = Metrics::attach(fd, &ROUTES, 2, 1).unwrap();
        w0.record(0, 200, Duration::from_micros(1));
        w1.record(0, 200, Duration::from_micros(1));
        w1.record(0, 500, Duration::from_micros(1));
        let text = w0.render();
        assert!(text.contains("status=\"200\"} 2"), "{text}");
        assert!(text.contains("status=\"500\"} 1"), "{text}");
        assert!(text.contains("prebake_worker_restarts_total 1"), "{text}");
    }
}
