//! `cargo xtask bench --suite io`: where Python frameworks really lose, a
//! database read, a JWT-authenticated write, an outbound HTTP call, measured
//! side by side (issue 16), and the fortunes page rendered from a template
//! (issue 17).
//!
//! The servers: prebake on `examples/tfb` (asyncpg, `async def`) and on
//! `examples/tfb-psycopg` (psycopg 3, `def` on the thread pool), FastAPI on
//! uvicorn, BlackSheep and Litestar on Granian (`bench/peers/io_*.py`, all
//! on asyncpg through the same `io_common.py`), and `benches/io-ceiling`
//! (hyper + tokio-postgres, no Python). Every one gets the same pool size
//! (16) and sends the same statements. The server runs alone on CPU 1;
//! PostgreSQL (a throw-away server pinned to CPU 0, or the one the libpq
//! variables name, then not pinned), wrk and the `/proxy` upstream
//! (`io-ceiling --upstream`) share CPU 0.
//!
//! Per endpoint and server: best and median req/s, p50 and p99, CPU per
//! request, and the statements the database ran per request (from
//! `pg_stat_statements`, around each measured run), so nobody wins by
//! batching. Then the results file with the targets of the issue, and the
//! chart, as the default suite.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{self, LOAD_CPU, Spec};
use super::setup::{self, Tools};
use super::{BuildTimes, Config, Endpoint, EndpointResult, ServerResult};

/// The io suite's servers, in the order they run.
pub(crate) const IDS: [&str; 6] = [
    "prebake",
    "prebake-psycopg",
    "rust-ceiling",
    "fastapi-uvicorn",
    "blacksheep-granian",
    "litestar-granian",
];

const PYTHON_PEERS: [&str; 3] = ["fastapi-uvicorn", "blacksheep-granian", "litestar-granian"];

/// Connections of every server's database pool.
const POOL_SIZE: &str = "16";

/// The key every server checks tokens with, and a token it signed:
/// HS256 over `{"sub":"7"}` (user 7 of the `users` table).
const JWT_SECRET: &str = "prebake-bench-io-secret-of-32-bytes";
const AUTHORIZATION: &str = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3In0.Gqt7m8Iq94n-OuNzcCK2no-uo5Umhafn7asx6CWOl_Q";

/// What the database endpoints of the psycopg variant and the ceiling
/// serve (they have no JWT or proxy routes).
const DATABASE_ONLY: &[&str] = &[
    "/db",
    "/queries?queries=20",
    "/updates?queries=20",
    "/fortunes",
];

/// `n` World objects, `{"id":..,"randomNumber":..}`, as a JSON array
/// (or one object when `n` is 0).
fn worlds(body: &str, n: usize) -> Result<(), String> {
    let found = body.matches("\"randomNumber\":").count();
    let framed = if n == 0 {
        body.starts_with("{\"id\":") && body.ends_with('}')
    } else {
        body.starts_with("[{") && body.ends_with("}]")
    };
    if framed && found == n.max(1) {
        Ok(())
    } else {
        Err(format!(
            "expected {} World object(s), found {found}",
            n.max(1)
        ))
    }
}

pub(crate) const ENDPOINTS: [Endpoint; 7] = [
    Endpoint {
        name: "/db",
        method: "GET",
        target: "/db",
        body: None,
        status: 200,
        expected: "",
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: Some(|b| worlds(b, 0)),
    },
    Endpoint {
        name: "/queries?queries=20",
        method: "GET",
        target: "/queries?queries=20",
        body: None,
        status: 200,
        expected: "",
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: Some(|b| worlds(b, 20)),
    },
    Endpoint {
        name: "/updates?queries=20",
        method: "GET",
        target: "/updates?queries=20",
        body: None,
        status: 200,
        expected: "",
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: Some(|b| worlds(b, 20)),
    },
    Endpoint {
        name: "/fortunes",
        method: "GET",
        target: "/fortunes",
        body: None,
        status: 200,
        expected: "",
        content_type: "text/html",
        headers: &[],
        script: None,
        shape: Some(|b| super::fortunes::same_page(b, 1)),
    },
    Endpoint {
        name: "POST /movies",
        method: "POST",
        target: "/movies",
        body: Some(r#"{"title":"Alien","year":1979,"genres":["sf","horror"]}"#),
        status: 201,
        expected: "",
        content_type: "application/json",
        headers: &[("Authorization", AUTHORIZATION)],
        script: Some("bench/wrk/post_movie.lua"),
        shape: Some(|b| {
            if b.contains(r#""owner":7"#) && b.contains(r#""title":"Alien""#) {
                Ok(())
            } else {
                Err("not the saved movie of user 7".into())
            }
        }),
    },
    Endpoint {
        name: "/users/me",
        method: "GET",
        target: "/users/me",
        body: None,
        status: 200,
        expected: r#"{"id":7,"name":"user 7","email":"user7@example.com"}"#,
        content_type: "application/json",
        headers: &[("Authorization", AUTHORIZATION)],
        script: None,
        shape: None,
    },
    Endpoint {
        name: "/proxy",
        method: "GET",
        target: "/proxy",
        body: None,
        status: 200,
        expected: r#"{"upstream":true}"#,
        content_type: "application/json",
        headers: &[],
        script: None,
        shape: None,
    },
];

/// Statements the database has run so far (`pg_stat_statements`, less its
/// own queries); `None` without the extension.
pub(crate) fn statements(db: &crate::postgres::Postgres) -> Option<u64> {
    db.sql(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements \
         WHERE query NOT ILIKE '%pg_stat_statements%' AND query NOT ILIKE 'SHOW%'",
    )
    .ok()
    .and_then(|s| s.trim().parse().ok())
}

/// Server `id` of the io suite.
fn spec(id: &str, root: &Path, tools: &Tools, bins: &Bins, env: &[(String, String)]) -> Spec {
    let peers = root.join("bench").join("peers");
    let listen = ["--host", "127.0.0.1", "--port", "{port}"].map(String::from);
    let (label, program, args, cwd, only): (&str, _, Vec<String>, _, _) = match id {
        "prebake" => (
            "prebake (examples/tfb: asyncpg, async def)",
            bins.tfb.clone(),
            listen.to_vec(),
            root.to_path_buf(),
            None,
        ),
        "prebake-psycopg" => (
            "prebake (examples/tfb-psycopg: psycopg 3, def on 16 threads)",
            bins.tfb_psycopg.clone(),
            [&listen[..], &["--threads".into(), POOL_SIZE.into()]].concat(),
            root.to_path_buf(),
            Some(DATABASE_ONLY),
        ),
        "rust-ceiling" => (
            "hyper + tokio-postgres, no Python (ceiling)",
            bins.ceiling.clone(),
            listen.to_vec(),
            root.to_path_buf(),
            Some(DATABASE_ONLY),
        ),
        "fastapi-uvicorn" => (
            "FastAPI on uvicorn (uvloop, httptools), asyncpg",
            tools.venv_bin.join("python"),
            server::uvicorn_args("io_fastapi:app"),
            peers,
            None,
        ),
        "blacksheep-granian" => (
            "BlackSheep on Granian (uvloop), asyncpg",
            tools.venv_bin.join("granian"),
            server::granian_args("io_blacksheep:app"),
            peers,
            None,
        ),
        _ => (
            "Litestar on Granian (uvloop, msgspec), asyncpg",
            tools.venv_bin.join("granian"),
            server::granian_args("io_litestar:app"),
            peers,
            None,
        ),
    };
    Spec {
        id: IDS
            .iter()
            .find(|i| **i == id)
            .copied()
            .unwrap_or("litestar-granian"),
        label: label.into(),
        program,
        args,
        cwd,
        env: env.to_vec(),
        ready: "/db",
        only,
    }
}

struct Bins {
    tfb: std::path::PathBuf,
    tfb_psycopg: std::path::PathBuf,
    ceiling: std::path::PathBuf,
}

/// The `/proxy` upstream: `io-ceiling --upstream` on the load's CPU.
struct Upstream(Child);

impl Upstream {
    fn start(ceiling: &Path, port: u16) -> Result<Upstream, String> {
        let child = Command::new("taskset")
            .args(["-c", &LOAD_CPU.to_string()])
            .arg(ceiling)
            .args(["--upstream", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", ceiling.display()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !super::http::answers(port, "/") {
            if Instant::now() > deadline {
                return Err("the upstream did not answer".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Upstream(child))
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cargo xtask bench --suite io`.
pub(crate) fn run(mut cfg: Config) -> Result<(), String> {
    let started = Instant::now();
    let root = crate::root();
    crate::system::ensure_apt(&["wrk", "util-linux", "fonts-dejavu-core"])?;
    let venv_bin = setup::ensure_venv(&root)?;
    let pg = crate::postgres::ensure_pinned(&crate::target_dir(&root), Some(LOAD_CPU))?;
    let database = pg.describe();
    let build = |app: &str, name: &str| {
        crate::build::build(&crate::build::BuildArgs {
            app: root.join("examples").join(app).join("app.py"),
            out: Some(setup::bin_dir(&root).join(name)),
            profile: cfg.profile.clone(),
            rest: Vec::new(),
            ship: Default::default(),
        })
    };
    let bins = Bins {
        tfb: build("tfb", "prebake-tfb")?,
        tfb_psycopg: build("tfb-psycopg", "prebake-tfb-psycopg")?,
        ceiling: setup::build_bench_binary(&root, &cfg.profile, "io-ceiling")?,
    };
    let upstream_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))?;
    let _upstream = Upstream::start(&bins.ceiling, upstream_port)?;
    let mut env = pg.env().to_vec();
    env.extend([
        ("TFB_POOL_SIZE".to_string(), POOL_SIZE.to_string()),
        ("TFB_JWT_SECRET".into(), JWT_SECRET.into()),
        (
            "TFB_UPSTREAM".into(),
            format!("http://127.0.0.1:{upstream_port}/"),
        ),
    ]);
    let clk_tck = setup::clk_tck();
    let pip_freeze = setup::pip_freeze(&venv_bin)?;
    let tools = Tools {
        venv_bin,
        prebake: bins.tfb.clone(),
        plain_hyper: bins.ceiling.clone(),
        builds: BuildTimes {
            first: Duration::ZERO,
            cold: Vec::new(),
            warm: Vec::new(),
        },
        clk_tck,
        pip_freeze,
    };
    cfg.db = Some(pg);
    setup::settle();
    let machine = setup::machine_info(&root, &tools);
    let mut results = Vec::new();
    for id in &cfg.servers {
        let spec = spec(id, &root, &tools, &bins, &env);
        eprintln!("bench: {} ({})", spec.id, spec.label);
        let result = super::bench_server(&spec, &cfg, &root, clk_tck)?;
        for f in &result.failures {
            eprintln!("bench: FAILED {}: {f}", result.id);
        }
        results.push(result);
    }
    let date = setup::today();
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| format!("{}: {e}", cfg.out_dir.display()))?;
    let stem = format!("{date}-io{}", if cfg.quick { "-quick" } else { "" });
    let png = cfg.out_dir.join(format!("{stem}.png"));
    super::chart::draw(&png, &results, &cfg, &date, &machine.cpu)?;
    let md = cfg.out_dir.join(format!("{stem}.md"));
    let text = render(
        &cfg,
        &results,
        &machine,
        &tools,
        &database,
        &stem,
        started.elapsed(),
    );
    std::fs::write(&md, &text).map_err(|e| format!("{}: {e}", md.display()))?;
    let tsv = cfg.out_dir.join(format!("{stem}.tsv"));
    std::fs::write(&tsv, super::report::runs_tsv(&results))
        .map_err(|e| format!("{}: {e}", tsv.display()))?;
    eprintln!("{}", table(&cfg, &results));
    eprintln!("bench: wrote {} and {}", md.display(), png.display());
    drop(cfg);
    super::checks_passed(&results)
}

fn best(e: &EndpointResult) -> f64 {
    e.best_rps()
}

fn endpoint<'a>(results: &'a [ServerResult], id: &str, name: &str) -> Option<&'a EndpointResult> {
    results
        .iter()
        .find(|r| r.id == id)
        .and_then(|r| r.endpoint(name))
        .filter(|e| !e.runs.is_empty())
}

/// The fastest Python framework on `name`: its id and best req/s.
fn fastest_python(results: &[ServerResult], name: &str) -> Option<(&'static str, f64)> {
    PYTHON_PEERS
        .iter()
        .filter_map(|id| endpoint(results, id, name).map(|e| (*id, best(e))))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The table of every endpoint and server.
fn table(cfg: &Config, results: &[ServerResult]) -> String {
    let mut out = String::from(
        "| endpoint | server | best req/s | median req/s | p50 ms | p99 ms | CPU µs/req (user+kernel) | statements/req | × fastest Python | × ceiling |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for ep in cfg.endpoints {
        let python = fastest_python(results, ep.name);
        let ceiling = endpoint(results, "rust-ceiling", ep.name).map(best);
        for r in results {
            let Some(e) = endpoint(results, &r.id, ep.name) else {
                continue;
            };
            let ratio =
                |base: Option<f64>| base.map_or("".into(), |b| format!("{:.2}", best(e) / b));
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {} | {} |",
                ep.name,
                r.id,
                best(e),
                e.median(|x| x.rps),
                e.median(|x| x.p50_us) / 1e3,
                e.median(|x| x.p99_us) / 1e3,
                e.median(|x| x.user_us + x.sys_us),
                e.median(|x| x.db_calls),
                ratio(python.map(|p| p.1)),
                ratio(ceiling),
            );
        }
    }
    out
}

/// The "where the time goes" section: CPU per request split into user
/// and kernel time with how busy the server's core was, for prebake and
/// the fastest Python peer of each endpoint; then the resident memory of
/// every server by kind of mapping.
fn where_the_time_goes(cfg: &Config, results: &[ServerResult]) -> String {
    let mut out = String::from(
        "## Where the time goes\n\n\
         CPU per request, user and kernel, and how busy the server's core was (median req/s × CPU per request). \
         A server well under 100% busy was waiting, on PostgreSQL or on wrk, which share the other core, \
         or lost its core to other processes (the last column, a sign of a noisy run): \
         its req/s then measure the database's latency or the machine's load more than the server, and its CPU per request includes the event loop's idle turns.\n\n\
         | endpoint | server | user µs/req | kernel µs/req | core busy | others on the core |\n|---|---|---:|---:|---:|---:|\n",
    );
    for ep in cfg.endpoints {
        let python = fastest_python(results, ep.name).map(|p| p.0);
        for id in ["prebake", "prebake-psycopg"].into_iter().chain(python) {
            let Some(e) = endpoint(results, id, ep.name) else {
                continue;
            };
            let (user, sys) = (e.median(|x| x.user_us), e.median(|x| x.sys_us));
            let busy = e.median(|x| x.rps) * (user + sys) / 1e4;
            let _ = writeln!(
                out,
                "| {} | {id} | {user:.0} | {sys:.0} | {busy:.0}% | {:.0}% |",
                ep.name,
                e.median(|x| x.foreign_pct)
            );
        }
    }
    let measured: Vec<&ServerResult> = results.iter().filter(|r| r.memory.total() > 0).collect();
    if measured.is_empty() {
        return out;
    }
    let _ = write!(
        out,
        "\nResident memory after the runs by kind of mapping, MB (`/proc/PID/smaps`, summed over the server's processes). \
         The interpreter, the extension modules and the shared libraries are in every Python server; \
         the server binary's pages and its share of the anonymous memory (jemalloc) are prebake's own.\n\n| kind |"
    );
    for r in &measured {
        let _ = write!(out, " {} |", r.id);
    }
    let _ = write!(out, "\n|---|{}\n", "---:|".repeat(measured.len()));
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    for kind in super::memory::KINDS {
        let _ = write!(out, "| {kind} |");
        for r in &measured {
            let _ = write!(
                out,
                " {:.1} |",
                mb(r.memory.kb.get(kind).copied().unwrap_or(0))
            );
        }
        out.push('\n');
    }
    out.push_str("| **total** |");
    for r in &measured {
        let _ = write!(out, " **{:.1}** |", mb(r.memory.total()));
    }
    out.push_str("\n\n");
    out
}

fn render(
    cfg: &Config,
    results: &[ServerResult],
    machine: &setup::Machine,
    tools: &Tools,
    database: &str,
    stem: &str,
    elapsed: Duration,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# The io suite, {stem}\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask bench --suite io{}` in {:.0} s: {} measured run(s) of {} s per server and endpoint after a {} s warm-up, wrk -t1 -c{}; binaries built with the `{}` profile. Every server's pool has {POOL_SIZE} connections. The server runs alone on CPU 1; the database, wrk and the `/proxy` upstream share CPU 0.\n",
        if cfg.quick { " --quick" } else { "" },
        elapsed.as_secs_f64(),
        cfg.runs,
        cfg.duration,
        cfg.warmup,
        cfg.connections,
        cfg.profile,
    );
    let _ = writeln!(out, "![chart]({stem}.png)\n\n## Targets\n");
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    for name in [
        "/db",
        "/queries?queries=20",
        "/updates?queries=20",
        "/fortunes",
        "POST /movies",
        "/proxy",
    ] {
        let pb = endpoint(results, "prebake", name).map(best);
        match (pb, fastest_python(results, name)) {
            (Some(pb), Some((id, py))) => line(format!(
                "- {} {name}: prebake ≥ 2× the fastest Python framework: {:.2}× ({pb:.0} vs {id} {py:.0} req/s, best runs)",
                if pb >= 2.0 * py { "[x]" } else { "[ ]" },
                pb / py
            )),
            _ => line(format!("- [ ] {name}: not measured")),
        }
    }
    match (
        endpoint(results, "prebake", "/db").map(best),
        endpoint(results, "rust-ceiling", "/db").map(best),
    ) {
        (Some(pb), Some(c)) => line(format!(
            "- {} /db: prebake ≥ 0.6× the Rust ceiling: {:.2}× ({pb:.0} vs {c:.0} req/s)",
            if pb >= 0.6 * c { "[x]" } else { "[ ]" },
            pb / c
        )),
        _ => line("- [ ] /db against the ceiling: not measured".into()),
    }
    if let Some(r) = results.iter().find(|r| r.id == "prebake") {
        let mb = r.peak_rss_kb as f64 * 1024.0 / 1e6;
        line(format!(
            "- {} Resident size under load, pool of {POOL_SIZE}: {mb:.1} MB peak (target < 40 MB)",
            if mb < 40.0 { "[x]" } else { "[ ]" }
        ));
    }
    let _ = writeln!(out, "\n## Results\n\n{}", table(cfg, results));
    let _ = writeln!(
        out,
        "Statements/req is what `pg_stat_statements` counted during the measured runs divided by the requests. The queries themselves are 1 for /db and for /fortunes, 20 for /queries?queries=20, 40 for /updates?queries=20 (20 SELECTs, then 20 UPDATEs sent as one pipelined batch), 1 for the movie INSERT and the user read, 0 for /proxy (the ceiling's figures); asyncpg adds the 4 statements with which its pool resets a connection on release (one round trip); psycopg (autocommit) adds none.\n"
    );
    out.push_str(&where_the_time_goes(cfg, results));
    let database = format!("database: {database}");
    super::report::servers_and_machine(&mut out, results, machine, tools, &[database]);
    out
}
