//! Load with wrk: `taskset -c 0 wrk -t1 -c64 -dNs --latency URL` (POST via
//! `bench/wrk/post_validate.lua`; pipelined through `bench/wrk/pipeline.lua`),
//! its output parsed, and the server's CPU time read from `/proc` around each
//! run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::server::{self, LOAD_CPU, Running, SERVER_CPU};
use super::{Config, Endpoint, Run};

/// What wrk printed, parsed.
#[derive(Debug, PartialEq)]
pub(crate) struct WrkOutput {
    pub(crate) requests: u64,
    pub(crate) rps: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) non_2xx: u64,
    /// wrk's "Socket errors" line, when it printed one.
    pub(crate) socket_errors: Option<String>,
}

/// How wrk sends its requests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// One request per connection at a time (wrk's default).
    Closed,
    /// `depth` requests per write, the next write once all are answered
    /// (TechEmpower's pipelining).
    Pipelined { depth: u32 },
}

/// The wrk command line for `ep` (as the results file shows it, with PORT).
pub(crate) fn command_line(
    ep: &Endpoint,
    cfg: &Config,
    mode: Mode,
    seconds: u32,
    port: &str,
) -> Vec<String> {
    let mut args = vec![
        "taskset".to_string(),
        "-c".into(),
        LOAD_CPU.to_string(),
        "wrk".into(),
        "-t1".into(),
        format!("-c{}", cfg.connections),
        format!("-d{seconds}s"),
        "--latency".into(),
    ];
    if let Some(t) = cfg.timeout {
        args.push("--timeout".into());
        args.push(format!("{t}s"));
    }
    for (name, value) in ep.headers {
        args.push("-H".into());
        args.push(format!("{name}: {value}"));
    }
    match mode {
        Mode::Closed => {
            if let Some(script) = ep.script {
                args.push("-s".into());
                args.push(script.into());
            }
            args.push(format!("http://127.0.0.1:{port}{}", ep.target));
        }
        Mode::Pipelined { depth } => {
            args.push("-s".into());
            args.push("bench/wrk/pipeline.lua".into());
            args.push(format!("http://127.0.0.1:{port}{}", ep.target));
            args.push("--".into());
            args.push(depth.to_string());
            if ep.method == "POST" {
                args.push("POST".into());
            }
        }
    }
    args
}

fn wrk(
    running: &Running,
    ep: &Endpoint,
    cfg: &Config,
    mode: Mode,
    seconds: u32,
    root: &Path,
) -> Result<WrkOutput, String> {
    let args = command_line(ep, cfg, mode, seconds, &running.port.to_string());
    let out = Command::new(&args[0])
        .args(&args[1..])
        .current_dir(root)
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let parsed = parse(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))?;
    if parsed.non_2xx > 0 {
        return Err(format!(
            "{} of {} answers were not 2xx/3xx",
            parsed.non_2xx, parsed.requests
        ));
    }
    if let Some(errors) = &parsed.socket_errors {
        return Err(format!("wrk reported socket errors: {errors}"));
    }
    if parsed.requests == 0 {
        return Err("no request completed".into());
    }
    Ok(parsed)
}

/// A run whose figures are thrown away (caches, JIT-free warm-up of
/// allocators and connection set-up), checked like the measured ones.
pub(crate) fn warm_up(
    running: &Running,
    ep: &Endpoint,
    cfg: &Config,
    mode: Mode,
    root: &Path,
) -> Result<(), String> {
    wrk(running, ep, cfg, mode, cfg.warmup, root).map(|_| ())
}

/// One measured run.
pub(crate) fn measure(
    running: &Running,
    ep: &Endpoint,
    cfg: &Config,
    mode: Mode,
    root: &Path,
) -> Result<Run, String> {
    let calls0 = cfg.db.as_ref().and_then(super::io::statements);
    let (user0, sys0) = running.cpu_seconds();
    let server_core0 = server::cpu_ticks(SERVER_CPU);
    let load_core0 = server::cpu_ticks(LOAD_CPU);
    let wrk0 = children_cpu_seconds();
    let started = Instant::now();
    let out = wrk(running, ep, cfg, mode, cfg.duration, root)?;
    let wall = started.elapsed().as_secs_f64();
    let wrk_cpu = children_cpu_seconds() - wrk0;
    let (user1, sys1) = running.cpu_seconds();
    let server_core1 = server::cpu_ticks(SERVER_CPU);
    let load_core1 = server::cpu_ticks(LOAD_CPU);
    let calls1 = cfg.db.as_ref().and_then(super::io::statements);
    let n = out.requests as f64;
    let (user, sys) = (user1 - user0, sys1 - sys0);
    // Busy time of a core during the run, less what our own process spent.
    let foreign =
        |before: Option<(u64, u64)>, after: Option<(u64, u64)>, own: f64| match (before, after) {
            (Some((b0, _)), Some((b1, _))) => {
                let busy = (b1 - b0) as f64 / running.clk_tck;
                ((busy - own) / wall * 100.0).max(0.0)
            }
            _ => f64::NAN,
        };
    Ok(Run {
        requests: out.requests,
        rps: out.rps,
        p50_us: out.p50_us,
        p99_us: out.p99_us,
        user_us: user * 1e6 / n,
        sys_us: sys * 1e6 / n,
        foreign_pct: foreign(server_core0, server_core1, user + sys),
        foreign_load_pct: foreign(load_core0, load_core1, wrk_cpu),
        db_calls: match (calls0, calls1) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / n,
            _ => f64::NAN,
        },
    })
}

/// User + system CPU seconds of this process's waited-for children (wrk
/// runs are the only children reaped during a measurement).
fn children_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) != 0 {
            return 0.0;
        }
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Reads wrk 4's report.
pub(crate) fn parse(text: &str) -> Option<WrkOutput> {
    let mut requests = None;
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut non_2xx = 0;
    let mut socket_errors = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Requests/sec:") {
            rps = rest.trim().parse().ok();
        } else if t.contains(" requests in ") {
            requests = t.split_whitespace().next().and_then(|n| n.parse().ok());
        } else if let Some(rest) = t.strip_prefix("50%") {
            p50 = duration_us(rest.trim());
        } else if let Some(rest) = t.strip_prefix("99%") {
            p99 = duration_us(rest.trim());
        } else if let Some(rest) = t.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = rest.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(rest) = t.strip_prefix("Socket errors:") {
            socket_errors = Some(rest.trim().to_string());
        }
    }
    Some(WrkOutput {
        requests: requests?,
        rps: rps?,
        p50_us: p50?,
        p99_us: p99?,
        non_2xx,
        socket_errors,
    })
}

/// `245.00us`, `1.23ms`, `2.00s`, `1.50m` in microseconds.
fn duration_us(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = text.split_at(split);
    let v: f64 = num.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    Some(v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 5s test @ http://127.0.0.1:8000/json
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   295.44us   45.10us   2.61ms   91.35%
    Req/Sec   216.92k     5.11k  223.79k    80.00%
  Latency Distribution
     50%  289.00us
     75%  301.00us
     90%  321.00us
     99%    1.02ms
  1079411 requests in 5.00s, 172.94MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 0
Requests/sec: 215847.69
Transfer/sec:     34.58MB
";

    #[test]
    fn reads_wrk_output() {
        let out = parse(SAMPLE).unwrap();
        assert_eq!(out.requests, 1_079_411);
        assert!((out.rps - 215_847.69).abs() < 1e-6);
        assert!((out.p50_us - 289.0).abs() < 1e-9);
        assert!((out.p99_us - 1020.0).abs() < 1e-9);
        assert_eq!(out.non_2xx, 3);
        assert_eq!(
            out.socket_errors.as_deref(),
            Some("connect 0, read 1, write 0, timeout 0")
        );
    }

    #[test]
    fn reads_durations() {
        assert_eq!(duration_us("2.00s"), Some(2e6));
        assert_eq!(duration_us("12.5ms"), Some(12_500.0));
        assert_eq!(duration_us("7"), None);
    }
}
