//! `cargo xtask bench [--quick] [--dist] [--pipeline N] [--servers a,b,..] [--out DIR]`:
//! prebake against the servers a user would pick instead, side by side in one
//! run on this machine (issue 5).
//!
//! It installs what it needs (`wrk` and a font from Debian's packages, a
//! virtual environment with the Python frameworks outside the source tree),
//! builds `examples/hello` and the plain hyper server of
//! `benches/plain-hyper`, and then runs one server at a time pinned to CPU 1
//! with `wrk` pinned to CPU 0. For every server and endpoint it records
//! requests/s, latency percentiles, the server's user and kernel CPU time per
//! request (from `/proc/PID/stat`), the same again with HTTP/1.1 pipelining
//! when `--pipeline N` asks (N requests per write, as TechEmpower measures
//! plaintext: the kernel's share per request drops and the server's own
//! user-space cost shows), and for every server its start-up time
//! and peak RSS; it checks every answer is 2xx during the runs and that bad
//! bodies for `/validate` get a 4xx. It writes `bench/results/<date>.md` and
//! a PNG chart beside it (`--quick`: `target/bench/results/`).
//!
//! The pieces: `setup` (installs and builds), `server` (the servers, their
//! processes and `/proc` figures), `http` (a tiny client for the checks),
//! `load` (wrk), `report` (the Markdown file), `chart` (the PNG).

mod chart;
mod fortunes;
mod http;
mod io;
mod load;
mod memory;
mod report;
mod server;
mod setup;
mod static_files;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One of the four endpoints of `examples/hello` as the benchmark calls it.
pub(crate) struct Endpoint {
    /// The name in tables and charts.
    pub(crate) name: &'static str,
    pub(crate) method: &'static str,
    /// The request target wrk and the checks use.
    pub(crate) target: &'static str,
    pub(crate) body: Option<&'static str>,
    pub(crate) status: u16,
    /// The expected body, compared with JSON whitespace removed.
    pub(crate) expected: &'static str,
    /// The expected `Content-Type` prefix.
    pub(crate) content_type: &'static str,
    /// Request headers, for the checks and for wrk.
    pub(crate) headers: &'static [(&'static str, &'static str)],
    /// The wrk script that sends the request (a POST's body).
    pub(crate) script: Option<&'static str>,
    /// Checks a body that differs per request (random rows) instead of
    /// comparing it with `expected`.
    pub(crate) shape: Option<Shape>,
}

/// A check of a body: `Err` says what is wrong with it.
pub(crate) type Shape = fn(&str) -> Result<(), String>;

/// The body wrk posts (the same as `bench/wrk/post_validate.lua`).
pub(crate) const VALID_USER: &str = r#"{"name":"Ada","age":42}"#;

pub(crate) const ENDPOINTS: [Endpoint; 4] = [
    Endpoint {
        name: "/plaintext",
        method: "GET",
        target: "/plaintext",
        body: None,
        status: 200,
        expected: "Hello, World!",
        content_type: "text/plain",
        headers: &[],
        script: None,
        shape: None,
    },
    Endpoint {
        name: "/json",
        method: "GET",
        target: "/json",
        body: None,
        status: 200,
        expected: r#"{"message":"Hello, World!"}"#,
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: None,
    },
    Endpoint {
        name: "/user/{id}",
        method: "GET",
        target: "/user/42",
        body: None,
        status: 200,
        expected: r#"{"id":42}"#,
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: None,
    },
    Endpoint {
        name: "POST /validate",
        method: "POST",
        target: "/validate",
        body: Some(VALID_USER),
        status: 201,
        expected: r#"{"name":"Ada","age":42,"email":null}"#,
        content_type: "application/json",
        headers: &[],
        script: Some("bench/wrk/post_validate.lua"),
        shape: None,
    },
];

/// `Ok` when every server passed its checks, else the failures, one a line.
pub(crate) fn checks_passed(results: &[ServerResult]) -> Result<(), String> {
    let failed: Vec<_> = results
        .iter()
        .flat_map(|r| r.failures.iter().map(move |f| format!("{}: {f}", r.id)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed (see the results file):\n  {}",
            failed.len(),
            failed.join("\n  ")
        ))
    }
}

/// Bodies of `POST /validate` every server must answer with a 4xx.
pub(crate) const BAD_BODIES: [(&str, &str); 3] = [
    ("constraint violations", r#"{"name":"","age":-1}"#),
    ("malformed JSON", r#"{"name":"#),
    ("missing field", r#"{"name":"Ada"}"#),
];

/// Which benchmark: the hello app's in-memory endpoints, real I/O
/// (`examples/tfb` on PostgreSQL, `io.rs`), or the fortunes page rendered
/// from a template (`fortunes.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Suite {
    Default,
    Io,
    Fortunes,
}

/// What a run does.
pub(crate) struct Config {
    pub(crate) quick: bool,
    pub(crate) suite: Suite,
    /// The endpoints of the suite.
    pub(crate) endpoints: &'static [Endpoint],
    /// The database of the io suite, whose statements each run counts.
    pub(crate) db: Option<crate::postgres::Postgres>,
    /// The cargo profile of prebake's binary and of the plain hyper server.
    pub(crate) profile: String,
    /// Measured wrk runs per server and endpoint.
    pub(crate) runs: usize,
    /// Seconds per measured run.
    pub(crate) duration: u32,
    /// Seconds of the warm-up run before the measured ones.
    pub(crate) warmup: u32,
    /// Launches per server to measure start-up (the median is reported).
    pub(crate) startups: usize,
    /// Cold builds measured (the median is reported).
    pub(crate) cold_builds: usize,
    /// Ids of the servers to run, in order.
    pub(crate) servers: Vec<String>,
    /// Where the results file and the chart go.
    pub(crate) out_dir: PathBuf,
    /// wrk's connections.
    pub(crate) connections: u32,
    /// Attempts per measured run when other processes disturb it.
    pub(crate) attempts: usize,
    /// `--chart FILE.tsv`: only redraw the chart of an earlier run.
    pub(crate) chart_only: Option<PathBuf>,
    /// `--pipeline N`: every endpoint measured pipelined too, N requests
    /// per write.
    pub(crate) pipeline: Option<u32>,
    /// wrk's `--timeout` in seconds, when not its default (2 s): the
    /// fortunes suite's slowest peer (FastAPI rendering 130 rows) answers
    /// a request now and then after more than 2 s on a busy machine, which
    /// wrk counts as a socket error and the run fails.
    pub(crate) timeout: Option<u32>,
}

/// One measured wrk run of one endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) requests: u64,
    pub(crate) rps: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// Server CPU per request, µs.
    pub(crate) user_us: f64,
    pub(crate) sys_us: f64,
    /// CPU time on the server's core not spent by the server, as a share of
    /// the run's wall time: other processes (a sign of a noisy run).
    pub(crate) foreign_pct: f64,
    /// The same on wrk's core, not spent by wrk.
    pub(crate) foreign_load_pct: f64,
    /// Database statements per request (the io suite; NaN otherwise).
    pub(crate) db_calls: f64,
}

/// All runs of one endpoint on one server.
pub(crate) struct EndpointResult {
    pub(crate) endpoint: &'static Endpoint,
    pub(crate) runs: Vec<Run>,
    /// The pipelined runs (`--pipeline N`), empty without it.
    pub(crate) pipelined: Vec<Run>,
}

impl EndpointResult {
    pub(crate) fn best_rps(&self) -> f64 {
        self.runs.iter().map(|r| r.rps).fold(0.0, f64::max)
    }
    pub(crate) fn median(&self, f: impl Fn(&Run) -> f64) -> f64 {
        median(self.runs.iter().map(f).collect())
    }
}

/// Everything measured for one server.
pub(crate) struct ServerResult {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) command: String,
    pub(crate) startup_ms: Vec<f64>,
    pub(crate) peak_rss_kb: u64,
    /// The resident memory by kind of mapping after the runs (the io
    /// suite prints it).
    pub(crate) memory: memory::Memory,
    pub(crate) processes: usize,
    pub(crate) endpoints: Vec<EndpointResult>,
    /// Problems found: non-2xx answers, wrong bodies, bad inputs accepted.
    pub(crate) failures: Vec<String>,
    /// Notes that are not failures (a body that differs only in spelling).
    pub(crate) notes: Vec<String>,
    pub(crate) loadavg: String,
    /// Measured runs repeated because other processes disturbed them.
    pub(crate) retried: usize,
}

impl ServerResult {
    pub(crate) fn endpoint(&self, name: &str) -> Option<&EndpointResult> {
        self.endpoints.iter().find(|e| e.endpoint.name == name)
    }
}

/// prebake's build times.
pub(crate) struct BuildTimes {
    /// The first build of the benchmarked binary in this run (the runtime
    /// may or may not have been compiled already).
    pub(crate) first: Duration,
    /// App source changed, so the generated crate is recompiled; runtime and
    /// dependencies already compiled.
    pub(crate) cold: Vec<Duration>,
    /// Nothing changed.
    pub(crate) warm: Vec<Duration>,
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

const USAGE: &str = "usage: cargo xtask bench [--suite default|io|fortunes] [--quick] [--dist] [--pipeline N] [--servers ID,ID,..] [--out DIR]
       cargo xtask bench --suite static [--seconds N]   (static files against nginx)

  --suite io       the io suite: examples/tfb and examples/tfb-psycopg on PostgreSQL
                   against FastAPI, BlackSheep and Litestar on asyncpg and a hyper +
                   tokio-postgres ceiling (ids: prebake, prebake-psycopg, rust-ceiling,
                   fastapi-uvicorn, blacksheep-granian, litestar-granian)
  --suite fortunes the TechEmpower fortunes page without a database (13 and 130 rows):
                   bench/apps/fortunes against FastAPI, Litestar and BlackSheep
                   rendering it with Jinja2 (ids: prebake, fastapi-uvicorn,
                   litestar-granian, blacksheep-granian)
  --quick          one 3 s run per endpoint after a 1 s warm-up, servers prebake,
                   plain-hyper and litestar-granian; results in target/bench/results/
  --dist           build prebake and the plain hyper server with the `dist` profile
                   (fat LTO) instead of `release`
  --pipeline N     also measure every endpoint with HTTP/1.1 pipelining, N requests
                   per write (bench/wrk/pipeline.lua; TechEmpower uses 16), reported
                   in a second table beside the closed-loop one
  --servers LIST   only these servers (ids: prebake, plain-hyper, fastapi-uvicorn,
                   blacksheep-uvicorn, blacksheep-granian, litestar-granian)
  --out DIR        write the results file and chart into DIR
  --chart RUN.tsv  only redraw RUN.png from the runs an earlier bench recorded
                   (with --quick for a quick run's file)";

fn parse_args(args: &[String]) -> Result<Config, String> {
    let root = crate::root();
    let mut quick = false;
    let mut suite = Suite::Default;
    let mut profile = "release".to_string();
    let mut servers: Option<Vec<String>> = None;
    let mut out_dir = None;
    let mut chart_only = None;
    let mut pipeline = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--suite" => {
                suite = match it.next().map(String::as_str) {
                    Some("default") => Suite::Default,
                    Some("io") => Suite::Io,
                    Some("fortunes") => Suite::Fortunes,
                    _ => {
                        return Err(format!(
                            "--suite takes default, io, fortunes or static\n\n{USAGE}"
                        ));
                    }
                };
            }
            "--dist" => profile = "dist".into(),
            "--servers" => {
                let list = it.next().ok_or("--servers needs a list")?;
                servers = Some(list.split(',').map(|s| s.trim().to_string()).collect());
            }
            "--out" => out_dir = Some(PathBuf::from(it.next().ok_or("--out needs a folder")?)),
            "--pipeline" => {
                let n = it.next().ok_or("--pipeline needs a depth")?;
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| (2..=256).contains(n))
                    .ok_or_else(|| format!("--pipeline takes a depth from 2 to 256, not `{n}`"))?;
                pipeline = Some(n);
            }
            "--chart" => {
                chart_only = Some(PathBuf::from(it.next().ok_or("--chart needs a .tsv file")?));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    let ids: &[&str] = match suite {
        Suite::Default => &server::IDS,
        Suite::Io => &io::IDS,
        Suite::Fortunes => &fortunes::IDS,
    };
    let all = ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let servers = servers.unwrap_or_else(|| {
        if quick && suite != Suite::Default {
            all.clone()
        } else if quick {
            ["prebake", "plain-hyper", "litestar-granian"]
                .map(String::from)
                .to_vec()
        } else {
            all.clone()
        }
    });
    if let Some(bad) = servers.iter().find(|s| !all.contains(s)) {
        return Err(format!("unknown server `{bad}`\n\n{USAGE}"));
    }
    let out_dir = out_dir.unwrap_or_else(|| {
        if quick {
            root.join("target").join("bench").join("results")
        } else {
            root.join("bench").join("results")
        }
    });
    Ok(Config {
        quick,
        suite,
        endpoints: match suite {
            Suite::Default => &ENDPOINTS,
            Suite::Io => &io::ENDPOINTS,
            Suite::Fortunes => &fortunes::ENDPOINTS,
        },
        db: None,
        profile,
        runs: if quick { 1 } else { 3 },
        duration: if quick { 3 } else { 5 },
        warmup: if quick { 1 } else { 2 },
        startups: if quick { 1 } else { 3 },
        cold_builds: if quick { 1 } else { 2 },
        servers,
        out_dir,
        connections: 64,
        attempts: if quick { 1 } else { 2 },
        chart_only,
        pipeline,
        timeout: (suite == Suite::Fortunes).then_some(10),
    })
}

/// `cargo xtask bench`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if args
        .windows(2)
        .any(|w| w[0] == "--suite" && w[1] == "static")
    {
        return static_files::run(args);
    }
    let cfg = parse_args(args)?;
    if let Some(tsv) = &cfg.chart_only {
        return redraw(tsv, &cfg);
    }
    match cfg.suite {
        Suite::Io => return io::run(cfg),
        Suite::Fortunes => return fortunes::run(cfg),
        Suite::Default => {}
    }
    let started = Instant::now();
    let root = crate::root();
    let tools = setup::prepare(&root, &cfg)?;
    setup::settle();
    let machine = setup::machine_info(&root, &tools);
    let load_start = setup::loadavg();
    let mut results = Vec::new();
    for id in &cfg.servers {
        let spec = server::spec(id, &root, &tools);
        eprintln!("bench: {} ({})", spec.id, spec.label);
        let result = bench_server(&spec, &cfg, &root, tools.clk_tck)?;
        for f in &result.failures {
            eprintln!("bench: FAILED {}: {f}", result.id);
        }
        results.push(result);
    }
    let load_end = setup::loadavg();
    let date = setup::today();
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| format!("{}: {e}", cfg.out_dir.display()))?;
    let stem = if cfg.quick {
        format!("{date}-quick")
    } else {
        date.clone()
    };
    let png = cfg.out_dir.join(format!("{stem}.png"));
    chart::draw(&png, &results, &cfg, &date, &machine.cpu)?;
    let md = cfg.out_dir.join(format!("{stem}.md"));
    let text = report::render(&report::Report {
        cfg: &cfg,
        date: &date,
        machine: &machine,
        tools: &tools,
        results: &results,
        load_start: &load_start,
        load_end: &load_end,
        png_name: &format!("{stem}.png"),
        elapsed: started.elapsed(),
    });
    std::fs::write(&md, &text).map_err(|e| format!("{}: {e}", md.display()))?;
    let tsv = cfg.out_dir.join(format!("{stem}.tsv"));
    std::fs::write(&tsv, report::runs_tsv(&results))
        .map_err(|e| format!("{}: {e}", tsv.display()))?;
    eprintln!("{}", report::summary_table(&results));
    eprintln!(
        "bench: wrote {} and {} in {:.0?}",
        md.display(),
        png.display(),
        started.elapsed()
    );
    checks_passed(&results)
}

/// Starts one server (several times for start-up), checks it, loads it.
pub(crate) fn bench_server(
    spec: &server::Spec,
    cfg: &Config,
    root: &std::path::Path,
    clk_tck: f64,
) -> Result<ServerResult, String> {
    let log_dir = root.join("target").join("bench").join("logs");
    let mut result = ServerResult {
        id: spec.id.to_string(),
        label: spec.label.clone(),
        command: spec.display(),
        startup_ms: Vec::new(),
        peak_rss_kb: 0,
        memory: Default::default(),
        processes: 0,
        endpoints: Vec::new(),
        failures: Vec::new(),
        notes: Vec::new(),
        loadavg: setup::loadavg(),
        retried: 0,
    };
    // Start-up: all launches but the last only measure it.
    for _ in 1..cfg.startups {
        let running = server::Running::start(spec, &log_dir, clk_tck)?;
        result.startup_ms.push(running.startup.as_secs_f64() * 1e3);
        running.stop();
    }
    let running = server::Running::start(spec, &log_dir, clk_tck)?;
    result.startup_ms.push(running.startup.as_secs_f64() * 1e3);
    check_answers(&running, cfg, &mut result);
    for ep in cfg.endpoints {
        if !spec.serves(ep) {
            continue;
        }
        let mut er = EndpointResult {
            endpoint: ep,
            runs: Vec::new(),
            pipelined: Vec::new(),
        };
        er.runs = measure_endpoint(&running, ep, cfg, load::Mode::Closed, root, &mut result);
        if let Some(depth) = cfg.pipeline {
            let mode = load::Mode::Pipelined { depth };
            er.pipelined = measure_endpoint(&running, ep, cfg, mode, root, &mut result);
        }
        result.endpoints.push(er);
    }
    // The bad inputs once more after the load, then the figures of the
    // process tree.
    if cfg.suite == Suite::Default {
        check_bad_inputs(&running, &mut result);
    }
    let (rss, processes) = running.peak_rss_kb();
    result.peak_rss_kb = rss;
    result.memory = memory::Memory::of(&running.pids());
    result.processes = processes;
    running.stop();
    Ok(result)
}

/// The warm-up and the measured runs of one endpoint in one mode; failures
/// are recorded in `result`.
fn measure_endpoint(
    running: &server::Running,
    ep: &'static Endpoint,
    cfg: &Config,
    mode: load::Mode,
    root: &std::path::Path,
    result: &mut ServerResult,
) -> Vec<Run> {
    let label = match mode {
        load::Mode::Closed => ep.name.to_string(),
        load::Mode::Pipelined { depth } => format!("{} (pipelined {depth})", ep.name),
    };
    let mut runs = Vec::new();
    if let Err(e) = load::warm_up(running, ep, cfg, mode, root) {
        result.failures.push(format!("{label} warm-up: {e}"));
        return runs;
    }
    for i in 0..cfg.runs {
        match measure_quietest(running, ep, cfg, mode, root, result) {
            Ok(run) => {
                eprintln!(
                    "bench:   {:<15} run {}: {:>9.0} req/s ({} requests)  p99 {:>6.0} µs  user {:.2} µs  sys {:.2} µs  (other load: server core {:.0}%, wrk core {:.0}%)",
                    label,
                    i + 1,
                    run.rps,
                    run.requests,
                    run.p99_us,
                    run.user_us,
                    run.sys_us,
                    run.foreign_pct,
                    run.foreign_load_pct
                );
                runs.push(run);
            }
            Err(e) => result.failures.push(format!("{label} run {}: {e}", i + 1)),
        }
    }
    runs
}

/// Runs above this share of foreign CPU time on the server's or on wrk's
/// core are repeated (up to `Config::attempts` times), keeping the quietest.
const NOISY_PCT: f64 = 10.0;

/// One measured run; a run disturbed by other processes on the server's core
/// is repeated and the least disturbed attempt kept.
fn measure_quietest(
    running: &server::Running,
    ep: &'static Endpoint,
    cfg: &Config,
    mode: load::Mode,
    root: &std::path::Path,
    result: &mut ServerResult,
) -> Result<Run, String> {
    let mut best: Option<Run> = None;
    for attempt in 0..cfg.attempts {
        let run = load::measure(running, ep, cfg, mode, root)?;
        let noise = run.foreign_pct.max(run.foreign_load_pct);
        let noisy = noise.is_nan() || noise > NOISY_PCT;
        if attempt > 0 {
            result.retried += 1;
        }
        if best
            .as_ref()
            .is_none_or(|b| noise < b.foreign_pct.max(b.foreign_load_pct))
        {
            best = Some(run);
        }
        if !noisy {
            break;
        }
    }
    best.ok_or_else(|| "no run".to_string())
}

/// Every endpoint answers its status and body; bad bodies get a 4xx.
fn check_answers(running: &server::Running, cfg: &Config, result: &mut ServerResult) {
    for ep in cfg.endpoints.iter().filter(|e| running.serves(e)) {
        match http::request(running.port, ep.method, ep.target, ep.headers, ep.body) {
            Ok(resp) => {
                if resp.status != ep.status {
                    result.failures.push(format!(
                        "{} {} answered {} (expected {}): {}",
                        ep.method,
                        ep.target,
                        resp.status,
                        ep.status,
                        resp.body_text()
                    ));
                } else if let Some(shape) = ep.shape {
                    if let Err(e) = shape(&resp.body_text()) {
                        // A page's error says where it differs; its start
                        // is enough beside that.
                        let body = resp.body_text();
                        let mut end = body.len().min(200);
                        while !body.is_char_boundary(end) {
                            end -= 1;
                        }
                        result.failures.push(format!(
                            "{} {} answered the body {:?}{}: {e}",
                            ep.method,
                            ep.target,
                            &body[..end],
                            if end < body.len() { " (cut)" } else { "" }
                        ));
                    }
                } else if http::squash_json(&resp.body_text()) != http::squash_json(ep.expected) {
                    result.failures.push(format!(
                        "{} {} answered the body {:?} (expected {:?})",
                        ep.method,
                        ep.target,
                        resp.body_text(),
                        ep.expected
                    ));
                } else if resp.body_text() != ep.expected {
                    result.notes.push(format!(
                        "{} {} spells its body {:?}",
                        ep.method,
                        ep.target,
                        resp.body_text()
                    ));
                }
                let ct = resp.header("content-type").unwrap_or_default();
                if !ct.starts_with(ep.content_type) {
                    result.notes.push(format!(
                        "{} {} has Content-Type {ct:?} (expected {})",
                        ep.method, ep.target, ep.content_type
                    ));
                }
            }
            Err(e) => result
                .failures
                .push(format!("{} {}: {e}", ep.method, ep.target)),
        }
    }
    if cfg.suite == Suite::Default {
        check_bad_inputs(running, result);
    }
}

fn check_bad_inputs(running: &server::Running, result: &mut ServerResult) {
    for (what, body) in BAD_BODIES {
        match http::request(running.port, "POST", "/validate", &[], Some(body)) {
            Ok(resp) if (400..500).contains(&resp.status) => {}
            Ok(resp) => push_once(
                &mut result.failures,
                format!(
                    "POST /validate with {what} ({body}) answered {} (expected a 4xx)",
                    resp.status
                ),
            ),
            Err(e) => push_once(
                &mut result.failures,
                format!("POST /validate with {what}: {e}"),
            ),
        }
    }
}

fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// `--chart RUN.tsv`: the chart again, from the runs recorded in `RUN.tsv`.
fn redraw(tsv: &std::path::Path, cfg: &Config) -> Result<(), String> {
    let text = std::fs::read_to_string(tsv).map_err(|e| format!("{}: {e}", tsv.display()))?;
    let mut results: Vec<ServerResult> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let (Some(id), Some(ep)) = (f.first(), f.get(1)) else {
            continue;
        };
        let Some(endpoint) = cfg.endpoints.iter().find(|e| e.name == *ep) else {
            return Err(format!("{}: unknown endpoint {ep:?}", tsv.display()));
        };
        if !results.iter().any(|r| r.id == *id) {
            results.push(ServerResult {
                id: (*id).to_string(),
                label: server::label(id).to_string(),
                command: String::new(),
                startup_ms: Vec::new(),
                peak_rss_kb: 0,
                memory: Default::default(),
                processes: 0,
                endpoints: Vec::new(),
                failures: Vec::new(),
                notes: Vec::new(),
                loadavg: String::new(),
                retried: 0,
            });
        }
        let server = results
            .iter_mut()
            .find(|r| r.id == *id)
            .expect("just added");
        if !server.endpoints.iter().any(|e| e.endpoint.name == *ep) {
            server.endpoints.push(EndpointResult {
                endpoint,
                runs: Vec::new(),
                pipelined: Vec::new(),
            });
        }
        let er = server
            .endpoints
            .iter_mut()
            .find(|e| e.endpoint.name == *ep)
            .expect("just added");
        // Column 11, when there, is the mode (`closed`, `pipelined N`).
        let runs = if f.get(11).is_some_and(|m| m.starts_with("pipelined")) {
            &mut er.pipelined
        } else {
            &mut er.runs
        };
        runs.push(Run {
            requests: num(3) as u64,
            rps: num(4),
            p50_us: num(5),
            p99_us: num(6),
            user_us: num(7),
            sys_us: num(8),
            foreign_pct: num(9),
            foreign_load_pct: num(10),
            db_calls: num(11),
        });
    }
    let date = tsv
        .file_stem()
        .and_then(|s| s.to_str())
        .map_or_else(setup::today, |s| s.trim_end_matches("-quick").to_string());
    let cpu = setup::cpu_model();
    let png = tsv.with_extension("png");
    chart::draw(&png, &results, cfg, &date, &cpu)?;
    eprintln!("bench: wrote {}", png.display());
    Ok(())
}
