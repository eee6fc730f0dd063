//! `--slow-handler-warn`: a `def` handler that held the interpreter thread
//! past the threshold is logged once per route, with a hint to run it on
//! the thread pool (`sync_to_thread=True`): while it ran, every other
//! request of the process waited.
//!
//! Per call this is two reads of the CPU's time-stamp counter (one
//! instruction each on x86-64; elsewhere `Instant::now()`) and one
//! comparison with a threshold in ticks. The threshold is a safe under-
//! estimate (a counter of at least 0.5 GHz); only a call past it reads the
//! real clock and converts ticks to time, against the counter's rate
//! measured since start-up.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::reply::RouteName;
use crate::app::App;

/// The threshold in ticks; `u64::MAX` when off (the default until
/// [`init`] runs).
static LIMIT_TICKS: AtomicU64 = AtomicU64::new(u64::MAX);

static STATE: OnceLock<Slow> = OnceLock::new();

struct Slow {
    app: &'static App,
    limit: Duration,
    /// The clock and the counter read together at start-up.
    origin: (Instant, u64),
    /// Per route: already reported.
    warned: Box<[AtomicBool]>,
}

/// Turns the warning on for `app` with threshold `limit` (`None`: off).
pub(crate) fn init(app: &'static App, limit: Option<Duration>) {
    let Some(limit) = limit else { return };
    let state = Slow {
        app,
        limit,
        origin: (Instant::now(), ticks()),
        warned: app.routes.iter().map(|_| AtomicBool::new(false)).collect(),
    };
    if STATE.set(state).is_ok() {
        // At least 0.5 tick per nanosecond (on x86-64; exactly 1 elsewhere).
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        LIMIT_TICKS.store((nanos / 2).max(1), Relaxed);
    }
}

/// The time-stamp counter.
#[inline]
pub(super) fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC exists on every x86-64 CPU and has no preconditions.
        unsafe { std::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        static START: OnceLock<Instant> = OnceLock::new();
        let start = *START.get_or_init(Instant::now);
        u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// After route `index`'s handler returned: warns if it ran since `start`
/// (a [`ticks`] reading) for longer than the threshold.
#[inline]
pub(super) fn check(start: u64, index: usize) {
    let spent = ticks().wrapping_sub(start);
    if spent > LIMIT_TICKS.load(Relaxed) {
        slow(spent, index);
    }
}

#[cold]
#[inline(never)]
fn slow(spent: u64, index: usize) {
    let Some(state) = STATE.get() else { return };
    let Some(flag) = state.warned.get(index) else {
        return;
    };
    if flag.load(Relaxed) {
        return;
    }
    let (at, origin) = state.origin;
    let elapsed = at.elapsed().as_secs_f64();
    let counted = ticks().wrapping_sub(origin);
    if elapsed <= 0.0 || counted == 0 {
        return;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "a rate and a duration; a few significant digits suffice"
    )]
    let held = Duration::from_secs_f64(spent as f64 * elapsed / counted as f64);
    if held <= state.limit || flag.swap(true, Relaxed) {
        return;
    }
    let spec = &state.app.routes[index];
    tracing::warn!(
        route = %RouteName(spec),
        handler = spec.handler,
        held_ms = held.as_millis(),
        "the handler held the interpreter thread for {} ms, and every other request of this \
         process waited; if it blocks (I/O, a database, time.sleep), run it on the thread pool \
         with `sync_to_thread=True` on its route decorator (reported once per route; \
         --slow-handler-warn sets the threshold)",
        held.as_millis()
    );
}
