//! The results file, `bench/results/<date>.md`: the targets of issue 5 as a
//! checklist with measured ratios, the table, start-up, memory, build times,
//! the machine, every version and the exact commands.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::Mode;
use super::setup::{Machine, Tools};
use super::{Config, ENDPOINTS, EndpointResult, Run, ServerResult, median};

pub(crate) struct Report<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) date: &'a str,
    pub(crate) machine: &'a Machine,
    pub(crate) tools: &'a Tools,
    pub(crate) results: &'a [ServerResult],
    pub(crate) load_start: &'a str,
    pub(crate) load_end: &'a str,
    pub(crate) png_name: &'a str,
    pub(crate) elapsed: Duration,
}

const PYTHON_PEERS: [&str; 4] = [
    "fastapi-uvicorn",
    "blacksheep-uvicorn",
    "blacksheep-granian",
    "litestar-granian",
];

fn find<'a>(results: &'a [ServerResult], id: &str) -> Option<&'a ServerResult> {
    results.iter().find(|r| r.id == id)
}

fn rps(e: &EndpointResult) -> f64 {
    e.median(|r| r.rps)
}

fn user(e: &EndpointResult) -> f64 {
    e.median(|r| r.user_us)
}

fn total_cpu(e: &EndpointResult) -> f64 {
    e.median(|r| r.user_us + r.sys_us)
}

/// Peak RSS in MB (10^6 bytes).
fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

fn check(ok: bool) -> &'static str {
    if ok { "[x]" } else { "[ ]" }
}

/// The fastest Python peer on `endpoint` (highest best-run req/s).
fn fastest_python<'a>(
    results: &'a [ServerResult],
    endpoint: &str,
) -> Option<(&'a ServerResult, &'a EndpointResult)> {
    results
        .iter()
        .filter(|r| PYTHON_PEERS.contains(&r.id.as_str()))
        .filter_map(|r| {
            r.endpoint(endpoint)
                .filter(|e| !e.runs.is_empty())
                .map(|e| (r, e))
        })
        .max_by(|a, b| a.1.best_rps().total_cmp(&b.1.best_rps()))
}

/// prebake's figures against the plain hyper server's in one mode (issue
/// 14): each endpoint's best-run req/s ratio (target ≥ 0.95×) and median user
/// CPU per request ratio (target ≤ 1.2×).
fn against_ceiling(
    out: &mut String,
    results: &[ServerResult],
    what: &str,
    runs: impl Fn(&EndpointResult) -> &[Run],
) {
    let (Some(pb), Some(hy)) = (find(results, "prebake"), find(results, "plain-hyper")) else {
        return;
    };
    let mut ok_tp = true;
    let mut ok_cpu = true;
    let mut tp = Vec::new();
    let mut cpu = Vec::new();
    for e in &ENDPOINTS {
        let a = pb.endpoint(e.name).map(&runs).filter(|r| !r.is_empty());
        let b = hy.endpoint(e.name).map(&runs).filter(|r| !r.is_empty());
        match (a, b) {
            (Some(a), Some(b)) => {
                let best = |r: &[Run]| r.iter().map(|x| x.rps).fold(0.0, f64::max);
                let user = |r: &[Run]| median(r.iter().map(|x| x.user_us).collect());
                let ratio = best(a) / best(b);
                let c = user(a) / user(b);
                ok_tp &= ratio >= 0.95;
                ok_cpu &= c <= 1.2;
                tp.push(format!("{} {ratio:.2}×", e.name));
                cpu.push(format!(
                    "{} {:.2} / {:.2} µs = {c:.2}×",
                    e.name,
                    user(a),
                    user(b)
                ));
            }
            _ => {
                ok_tp = false;
                ok_cpu = false;
                tp.push(format!("{} n/a", e.name));
            }
        }
    }
    let _ = writeln!(
        out,
        "- {} {what}: throughput ≥ 0.95× plain hyper on all four endpoints (best runs): {}",
        check(ok_tp),
        tp.join(", ")
    );
    let _ = writeln!(
        out,
        "- {} {what}: user CPU per request ≤ 1.2× plain hyper's (prebake / plain hyper, medians): {}",
        check(ok_cpu),
        cpu.join(", ")
    );
}

/// The targets of issue 5 with this run's figures.
fn targets(out: &mut String, results: &[ServerResult]) {
    let _ = writeln!(out, "## Targets (issues 5 and 14)\n");
    let Some(pb) = find(results, "prebake") else {
        let _ = writeln!(out, "prebake was not part of this run.\n");
        return;
    };
    let ep = |name: &str| pb.endpoint(name).filter(|e| !e.runs.is_empty());

    // Throughput against the plain hyper server.
    if let Some(hy) = find(results, "plain-hyper") {
        let mut ok = true;
        let mut parts = Vec::new();
        for e in &ENDPOINTS {
            match (
                ep(e.name),
                hy.endpoint(e.name).filter(|x| !x.runs.is_empty()),
            ) {
                (Some(a), Some(b)) => {
                    let ratio = a.best_rps() / b.best_rps();
                    ok &= ratio >= 0.95;
                    parts.push(format!("{} {ratio:.2}×", e.name));
                }
                _ => {
                    ok = false;
                    parts.push(format!("{} n/a", e.name));
                }
            }
        }
        let _ = writeln!(
            out,
            "- {} Throughput ≥ 0.95× the plain hyper server on all four endpoints (best run's req/s, same run): {}",
            check(ok),
            parts.join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "- [ ] Throughput ≥ 0.95× plain hyper: plain-hyper not run"
        );
    }

    // User CPU per request.
    let mut ok = true;
    let mut parts = Vec::new();
    for e in &ENDPOINTS {
        match ep(e.name) {
            Some(x) => {
                ok &= user(x) <= 2.5;
                parts.push(format!("{} {:.2} µs", e.name, user(x)));
            }
            None => {
                ok = false;
                parts.push(format!("{} n/a", e.name));
            }
        }
    }
    let hyper_user: Vec<String> = find(results, "plain-hyper")
        .map(|hy| {
            ENDPOINTS
                .iter()
                .filter_map(|e| hy.endpoint(e.name).filter(|x| !x.runs.is_empty()))
                .map(|x| format!("{:.2}", user(x)))
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- {} User CPU per request ≤ 2.5 µs on every endpoint: {}{}",
        check(ok),
        parts.join(", "),
        if hyper_user.is_empty() {
            String::new()
        } else {
            format!(" (plain hyper: {} µs)", hyper_user.join(", "))
        }
    );

    // Against the fastest Python framework.
    let mut ok_tp = true;
    let mut ok_cpu = true;
    let mut tp = Vec::new();
    let mut cpu = Vec::new();
    let mut any_python = false;
    for e in &ENDPOINTS {
        match (ep(e.name), fastest_python(results, e.name)) {
            (Some(a), Some((peer, b))) => {
                any_python = true;
                let r = a.best_rps() / b.best_rps();
                let c = user(a) / user(b);
                let t = total_cpu(a) / total_cpu(b);
                ok_tp &= r >= 2.5;
                ok_cpu &= c < 0.2;
                tp.push(format!("{} {r:.2}× ({})", e.name, peer.id));
                cpu.push(format!(
                    "{} user {c:.2}× (user+kernel {t:.2}×, {})",
                    e.name, peer.id
                ));
            }
            _ => {
                ok_tp = false;
                ok_cpu = false;
            }
        }
    }
    if any_python {
        let _ = writeln!(
            out,
            "- {} ≥ 2.5× the throughput of the fastest Python framework on every endpoint (best runs): {}",
            check(ok_tp),
            tp.join(", ")
        );
        let _ = writeln!(
            out,
            "- {} < 1/5 of its CPU per request (user space, the figure that separates servers; the kernel's share is alike for all): {}",
            check(ok_cpu),
            cpu.join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "- [ ] ≥ 2.5× the fastest Python framework: no Python framework in this run"
        );
        let _ = writeln!(
            out,
            "- [ ] < 1/5 of its CPU per request: no Python framework in this run"
        );
    }

    against_ceiling(out, results, "Closed loop", |e| &e.runs);
    if results
        .iter()
        .any(|s| s.endpoints.iter().any(|e| !e.pipelined.is_empty()))
    {
        against_ceiling(out, results, "Pipelined", |e| &e.pipelined);
    }

    let startup = median(pb.startup_ms.clone());
    let _ = writeln!(
        out,
        "- {} Start-up to the first answered request < 50 ms: {startup:.1} ms (median of {})",
        check(startup < 50.0),
        pb.startup_ms.len()
    );
    let rss = mb(pb.peak_rss_kb);
    let _ = writeln!(
        out,
        "- {} Peak RSS < 25 MB: {rss:.1} MB (VmHWM {} kB, after all runs)",
        check(rss < 25.0),
        pb.peak_rss_kb
    );
    let worst = ENDPOINTS
        .iter()
        .filter_map(|e| ep(e.name).map(|x| (e.name, x.median(|r| r.p99_us))))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((name, p99)) = worst {
        let _ = writeln!(
            out,
            "- {} p99 latency < 1 ms at c={}: worst endpoint {name} {:.2} ms (median of runs)",
            check(p99 < 1000.0),
            64,
            p99 / 1e3
        );
    }
    let _ = writeln!(out);
}

/// The pipelined runs beside the closed-loop table: the same columns less
/// latency (a pipelined request's latency is its batch's).
fn pipelined_table(out: &mut String, results: &[ServerResult], depth: u32) {
    let _ = writeln!(
        out,
        "\n### Pipelined, {depth} requests per write\n\nThe same servers and endpoints with HTTP/1.1 pipelining as TechEmpower measures plaintext (`bench/wrk/pipeline.lua`: {depth} requests in one write, the next write once all are answered): the kernel's share per request drops and the server's own user-space cost shows.\n"
    );
    let _ = writeln!(
        out,
        "| endpoint | server | req/s | best req/s | × plain hyper | user µs/req | kernel µs/req | other load, server / wrk core |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    let med = |runs: &[Run], f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    for e in &ENDPOINTS {
        let base = find(results, "plain-hyper")
            .and_then(|h| h.endpoint(e.name))
            .filter(|x| !x.pipelined.is_empty())
            .map(|x| med(&x.pipelined, |r| r.rps));
        for s in results {
            let Some(x) = s.endpoint(e.name).filter(|x| !x.pipelined.is_empty()) else {
                let _ = writeln!(out, "| {} | {} | failed | | | | | |", e.name, s.id);
                continue;
            };
            let runs = &x.pipelined;
            let rps = med(runs, |r| r.rps);
            let best = runs.iter().map(|r| r.rps).fold(0.0, f64::max);
            let ratio = base.map_or("–".into(), |b| format!("{:.2}", rps / b));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} | {:.2} | {:.2} | {:.0}% / {:.0}% |",
                e.name,
                if s.id == "prebake" {
                    format!("**{}**", s.id)
                } else {
                    s.id.clone()
                },
                fmt_rps(rps),
                fmt_rps(best),
                med(runs, |r| r.user_us),
                med(runs, |r| r.sys_us),
                med(runs, |r| r.foreign_pct),
                med(runs, |r| r.foreign_load_pct),
            );
        }
    }
}

fn fmt_rps(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{:.0}", v)
    }
}

/// The whole Markdown file.
pub(crate) fn render(r: &Report<'_>) -> String {
    let cfg = r.cfg;
    let mut out = String::new();
    let mode = if cfg.quick { "quick" } else { "full" };
    let _ = writeln!(out, "# prebake benchmark, {}\n", r.date);
    let failures: usize = r.results.iter().map(|s| s.failures.len()).sum();
    let _ = writeln!(
        out,
        "Generated by `cargo xtask bench{}{}{}` ({mode} mode: {} measured run(s) of {} s per server and endpoint after a {} s warm-up, wrk -t1 -c{}) in {:.0} s. Binaries built with the `{}` profile{}. {}\n",
        if cfg.quick { " --quick" } else { "" },
        if cfg.profile == "dist" { " --dist" } else { "" },
        cfg.pipeline
            .map_or_else(String::new, |d| format!(" --pipeline {d}")),
        cfg.runs,
        cfg.duration,
        cfg.warmup,
        cfg.connections,
        r.elapsed.as_secs_f64(),
        cfg.profile,
        if cfg.profile == "release" {
            " (no LTO, 16 codegen units: what `cargo xtask build` gives by default)"
        } else {
            " (fat LTO, 1 codegen unit)"
        },
        if failures == 0 {
            "Every check passed: all answers during the runs were 2xx, every body matched, every bad `/validate` body got a 4xx.".to_string()
        } else {
            format!("**{failures} check(s) FAILED**, listed under Failures below.")
        },
    );
    let _ = writeln!(
        out,
        "The machine has 2 cores shared with other work: each server runs alone, pinned to CPU 1, with wrk pinned to CPU 0. Load average (1, 5, 15 min) at the start: {}; at the end: {}. The column \"other load\" is the busy time of CPU 1 not spent by the server, and of CPU 0 not spent by wrk, during each run (median, as a share of the run's wall time): other processes competing with the measurement; {} Compare ratios within this run rather than absolute numbers across runs.\n",
        r.load_start,
        r.load_end,
        if cfg.attempts > 1 {
            "a run with more than 10% on either core was repeated once and the quieter attempt kept (count per server below).".to_string()
        } else {
            "runs are not repeated in this mode.".to_string()
        }
    );
    let noise = median(
        r.results
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .flat_map(|e| e.runs.iter())
            .map(|run| run.foreign_pct.max(run.foreign_load_pct))
            .collect(),
    );
    if noise > 10.0 {
        let _ = writeln!(
            out,
            "**Noisy run**: other processes took a median {noise:.0}% of a core during the measured runs (the busier of the two cores). Requests/s and latency compare poorly here, even within the run; CPU time per request (and the instruction counts of `bench/profile/`) hold up much better.\n"
        );
    }
    targets(&mut out, r.results);

    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(
        out,
        "Medians over the measured runs, except \"best\". CPU per request is the server's (its whole process tree's) `utime` and `stime` from `/proc/PID/stat` across the run, divided by the requests wrk completed.\n"
    );
    let _ = writeln!(
        out,
        "| endpoint | server | req/s | best req/s | × plain hyper | p50 µs | p99 µs | user µs/req | kernel µs/req | other load, server / wrk core |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for e in &ENDPOINTS {
        let base = find(r.results, "plain-hyper")
            .and_then(|h| h.endpoint(e.name))
            .filter(|x| !x.runs.is_empty())
            .map(rps);
        for s in r.results {
            let Some(x) = s.endpoint(e.name).filter(|x| !x.runs.is_empty()) else {
                let _ = writeln!(out, "| {} | {} | failed | | | | | | | |", e.name, s.id);
                continue;
            };
            let ratio = base.map_or("–".into(), |b| format!("{:.2}", rps(x) / b));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0}% / {:.0}% |",
                e.name,
                if s.id == "prebake" {
                    format!("**{}**", s.id)
                } else {
                    s.id.clone()
                },
                fmt_rps(rps(x)),
                fmt_rps(x.best_rps()),
                x.median(|r| r.p50_us),
                x.median(|r| r.p99_us),
                user(x),
                x.median(|r| r.sys_us),
                x.median(|r| r.foreign_pct),
                x.median(|r| r.foreign_load_pct),
            );
        }
    }
    if let Some(depth) = cfg.pipeline {
        pipelined_table(&mut out, r.results, depth);
    }
    let _ = writeln!(out, "\n![requests/s and CPU per request]({})\n", r.png_name);

    let _ = writeln!(out, "## Start-up and memory\n");
    let _ = writeln!(
        out,
        "Start-up: from spawning the server to the first answered `GET /plaintext` (polling connect + GET every millisecond). Peak RSS: the sum of `VmHWM` over the server's processes after all its runs.\n"
    );
    let _ = writeln!(
        out,
        "| server | start-up ms (median) | all start-ups ms | peak RSS MB | processes | load average before | runs repeated (noisy) |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---|---:|");
    for s in r.results {
        let all: Vec<String> = s.startup_ms.iter().map(|v| format!("{v:.1}")).collect();
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} | {:.1} | {} | {} | {} |",
            s.id,
            median(s.startup_ms.clone()),
            all.join(", "),
            mb(s.peak_rss_kb),
            s.processes,
            s.loadavg,
            s.retried
        );
    }

    let b = &r.tools.builds;
    let secs = |v: &[Duration]| -> String {
        v.iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let med = |v: &[Duration]| median(v.iter().map(Duration::as_secs_f64).collect());
    let _ = writeln!(out, "\n## prebake build time\n");
    let _ = writeln!(
        out,
        "`cargo xtask build` of the hello app with the `{}` profile, the shared target directory `target/` already holding the compiled runtime and its dependencies.\n",
        cfg.profile
    );
    let _ = writeln!(
        out,
        "- **cold** (the app's source changed: analysis, code generation, the generated crate recompiled, the binary linked): {:.2} s median ({} s)",
        med(&b.cold),
        secs(&b.cold)
    );
    let _ = writeln!(
        out,
        "- **warm** (nothing changed: analysis, code generation, a no-op `cargo build`, copying the binary): {:.2} s median ({} s)",
        med(&b.warm),
        secs(&b.warm)
    );
    let _ = writeln!(
        out,
        "- first build of `examples/hello` in this run (includes recompiling the runtime if its sources changed since the last build): {:.1} s",
        b.first.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "- not measured: a build into an empty target directory (compiling pyo3, hyper, tokio and the runtime; minutes on this machine).\n\nCold and warm are measured on a copy, `target/bench/app/bench_hello/app.py`, whose first line (a comment) changes before each cold build. Other builds running on the machine at the same time slow these down.\n"
    );

    let m = r.machine;
    let _ = writeln!(out, "## Machine and versions\n");
    let _ = writeln!(out, "- CPU: {}; {}", m.cpu, m.cpus);
    let _ = writeln!(out, "- memory: {}; kernel: {}", m.memory, m.kernel);
    let _ = writeln!(out, "- {}; {}", m.rustc, m.crates.join(", "));
    let _ = writeln!(out, "- Python: {}", m.python);
    let _ = writeln!(out, "- load generator: {}", m.wrk);
    let _ = writeln!(out, "- prebake commit: {}", m.commit);
    let _ = writeln!(
        out,
        "- Python packages of the peers' environment `target/bench-venv` (`pip freeze`, from `bench/requirements.txt`): {}",
        r.tools.pip_freeze.join(", ")
    );
    let _ = writeln!(
        out,
        "- prebake's embedded interpreter uses the project's `.venv` (the same CPython; msgspec from `xtask/requirements.txt`).\n"
    );

    let _ = writeln!(out, "## Commands\n");
    let _ = writeln!(
        out,
        "Servers (each alone, in its own process group, on a free port):\n"
    );
    let _ = writeln!(out, "```sh");
    for s in r.results {
        let _ = writeln!(out, "{}   # {}", s.command, s.label);
    }
    let _ = writeln!(out, "```\n");
    let _ = writeln!(
        out,
        "Python peers run from `bench/peers/`; each app's docstring says how it follows its framework's advice for speed.\n\nLoad, per server and endpoint: one warm-up run of {} s, then {} measured run(s):\n",
        cfg.warmup, cfg.runs
    );
    let _ = writeln!(out, "```sh");
    let mut modes = vec![Mode::Closed];
    if let Some(depth) = cfg.pipeline {
        modes.push(Mode::Pipelined { depth });
    }
    for mode in modes {
        for e in &ENDPOINTS {
            let _ = writeln!(
                out,
                "{}",
                super::load::command_line(e, cfg, mode, cfg.duration, "PORT").join(" ")
            );
        }
    }
    let _ = writeln!(out, "```\n");
    let _ = writeln!(
        out,
        "Checks, before the load: each endpoint answers its status (200, or 201 for `POST /validate`) and its body (`Hello, World!`, `{{\"message\":\"Hello, World!\"}}`, `{{\"id\":42}}`, `{{\"name\":\"Ada\",\"age\":42,\"email\":null}}`, JSON compared without whitespace); before and after the load, `POST /validate` with `{{\"name\":\"\",\"age\":-1}}`, with malformed JSON `{{\"name\":` and with a missing field `{{\"name\":\"Ada\"}}` gets a 4xx. During the load, any non-2xx/3xx answer or socket error reported by wrk fails the run.\n"
    );

    let notes: Vec<_> = r
        .results
        .iter()
        .flat_map(|s| s.notes.iter().map(move |n| format!("{}: {n}", s.id)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
        let _ = writeln!(out);
    }
    if failures > 0 {
        let _ = writeln!(out, "## Failures\n");
        for s in r.results {
            for f in &s.failures {
                let _ = writeln!(out, "- {}: {f}", s.id);
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// The "Servers" and "Machine" sections of the io and fortunes suites'
/// results files: each server's label, command, peak RSS, start-up,
/// failures and notes, then the machine and every version; `extra` adds
/// lines to the machine's list (the io suite's database).
pub(crate) fn servers_and_machine(
    out: &mut String,
    results: &[ServerResult],
    machine: &Machine,
    tools: &Tools,
    extra: &[String],
) {
    let _ = writeln!(out, "## Servers\n");
    for r in results {
        let _ = writeln!(
            out,
            "- `{}`: {}; `{}`; peak RSS {:.1} MB over {} process(es); start-up {:.0} ms",
            r.id,
            r.label,
            r.command,
            mb(r.peak_rss_kb),
            r.processes,
            median(r.startup_ms.clone()),
        );
        for f in &r.failures {
            let _ = writeln!(out, "  - FAILED: {f}");
        }
        for n in &r.notes {
            let _ = writeln!(out, "  - note: {n}");
        }
    }
    let m = machine;
    let _ = writeln!(
        out,
        "\n## Machine\n\n- {} ({}), {}\n- {}\n- {}, {}, {}",
        m.cpu, m.cpus, m.memory, m.kernel, m.rustc, m.python, m.wrk
    );
    for line in extra {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(
        out,
        "- commit {}\n- Python packages: {}\n",
        m.commit,
        tools.pip_freeze.join(", ")
    );
}

/// The key numbers as plain text for the terminal.
pub(crate) fn summary_table(results: &[ServerResult]) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<20}", "req/s | user µs");
    for e in &ENDPOINTS {
        let _ = write!(out, " {:>22}", e.name);
    }
    let _ = writeln!(out);
    for s in results {
        let _ = write!(out, "{:<20}", s.id);
        for e in &ENDPOINTS {
            match s.endpoint(e.name).filter(|x| !x.runs.is_empty()) {
                Some(x) => {
                    let _ = write!(out, " {:>14} | {:>5.2}", fmt_rps(rps(x)), user(x));
                }
                None => {
                    let _ = write!(out, " {:>22}", "failed");
                }
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// Every measured run, tab-separated, for other tools.
pub(crate) fn runs_tsv(results: &[ServerResult]) -> String {
    let mut out = String::from(
        "server\tendpoint\trun\trequests\treq_per_s\tp50_us\tp99_us\tuser_us_per_req\tkernel_us_per_req\tother_load_server_core_pct\tother_load_wrk_core_pct\tmode\n",
    );
    for s in results {
        for e in &s.endpoints {
            let closed = e.runs.iter().enumerate().map(|(i, r)| (i, r, "closed"));
            let pipelined = e.pipelined.iter().enumerate();
            let pipelined = pipelined.map(|(i, r)| (i, r, "pipelined"));
            for (i, r, mode) in closed.chain(pipelined) {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{:.1}\t{:.0}\t{:.0}\t{:.3}\t{:.3}\t{:.1}\t{:.1}\t{mode}",
                    s.id,
                    e.endpoint.name,
                    i + 1,
                    r.requests,
                    r.rps,
                    r.p50_us,
                    r.p99_us,
                    r.user_us,
                    r.sys_us,
                    r.foreign_pct,
                    r.foreign_load_pct
                );
            }
        }
    }
    out
}
