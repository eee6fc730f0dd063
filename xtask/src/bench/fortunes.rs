//! `cargo xtask bench --suite fortunes`: the TechEmpower fortunes page with
//! no database, the one place where a Python framework spends its time in
//! the template engine rather than in the server (issue 17).
//!
//! prebake serves `bench/apps/fortunes` (an askama template compiled into
//! the binary, the model read once into a generated struct); FastAPI on
//! uvicorn, Litestar and BlackSheep on Granian render the same template
//! with Jinja2 through their own template integration
//! (`bench/peers/fortunes_*.py`). Every server builds the same rows (the 12
//! of TechEmpower's table plus one added per request), sorts them by
//! message and escapes them, so every page is byte for byte the one
//! [`page`] writes, once askama's numeric references for `<`, `>` and `&`
//! (`&#60;`) are read as MarkupSafe's named ones (`&lt;`): the spelling
//! prebake chose (docs/decisions.md), the same page to a browser. That is
//! checked before the load.
//!
//! Two pages: `/fortunes` (13 rows, the target: prebake at least 5x the
//! fastest peer) and `/fortunes/10` (the same rows ten times, 130). The
//! difference of the CPU time per request between the two, over the 117
//! extra rows, is what one more row costs each server (reading the model
//! and rendering it, the response's extra bytes on the socket included).
//! The rest (servers pinned to CPU 1, wrk on CPU 0, CPU time from `/proc`,
//! the chart, the runs' `.tsv`) is the default suite's machinery.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::server::{self, Spec};
use super::setup::{self, Tools};
use super::{BuildTimes, Config, Endpoint, EndpointResult, ServerResult};

/// The suite's servers, in the order they run.
pub(crate) const IDS: [&str; 4] = [
    "prebake",
    "fastapi-uvicorn",
    "litestar-granian",
    "blacksheep-granian",
];

const PYTHON_PEERS: [&str; 3] = ["fastapi-uvicorn", "litestar-granian", "blacksheep-granian"];

/// TechEmpower's `fortune` table, as `xtask/src/postgres.rs` loads it.
pub(crate) const FORTUNES: [(u32, &str); 12] = [
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. \u{2014} Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

/// The row every server adds at request time (id 0).
pub(crate) const ADDED: &str = "Additional fortune added at request time.";

/// How many times `/fortunes/10` repeats the 13 rows.
const COPIES: usize = 10;

/// `&`, `<`, `>`, `"` and `'` as both Jinja2 (MarkupSafe) and askama write
/// them.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The page every server must answer: the 13 rows sorted by message (code
/// point order, as Python's `sort` and Rust's `str` order agree), escaped,
/// `copies` times, in `templates/fortunes.html`'s markup.
pub(crate) fn page(copies: usize) -> String {
    let mut rows = FORTUNES.to_vec();
    rows.push((0, ADDED));
    rows.sort_by(|a, b| a.1.cmp(b.1));
    let mut out = String::from(
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
    );
    for _ in 0..copies {
        for (id, message) in &rows {
            let _ = write!(out, "<tr><td>{id}</td><td>");
            escape(message, &mut out);
            out.push_str("</td></tr>");
        }
    }
    out.push_str("</table></body></html>");
    out
}

/// askama's numeric references for the characters MarkupSafe names.
const NUMERIC: [(&str, &str); 3] = [("&#60;", "&lt;"), ("&#62;", "&gt;"), ("&#38;", "&amp;")];

/// `Ok` when `body` is exactly [`page`]`(copies)`, numeric references read
/// as named ones; else where it differs.
pub(crate) fn same_page(body: &str, copies: usize) -> Result<(), String> {
    let want = page(copies);
    let body = NUMERIC
        .iter()
        .fold(body.to_string(), |b, (n, named)| b.replace(n, named));
    if body == want {
        return Ok(());
    }
    let body = body.as_str();
    let at = body
        .bytes()
        .zip(want.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(body.len().min(want.len()));
    let around = |s: &str| {
        let start = s.floor_char_boundary(at.saturating_sub(40));
        let end = s.ceil_char_boundary((at + 40).min(s.len()));
        s[start..end].to_string()
    };
    Err(format!(
        "not the expected page ({} bytes, expected {}): from byte {at} it reads {:?} where {:?} was expected",
        body.len(),
        want.len(),
        around(body),
        around(&want)
    ))
}

pub(crate) const ENDPOINTS: [Endpoint; 2] = [
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
        shape: Some(|b| same_page(b, 1)),
    },
    Endpoint {
        name: "/fortunes/10",
        method: "GET",
        target: "/fortunes/10",
        body: None,
        status: 200,
        expected: "",
        content_type: "text/html",
        headers: &[],
        script: None,
        shape: Some(|b| same_page(b, COPIES)),
    },
];

/// Server `id` of the suite.
fn spec(id: &str, tools: &Tools) -> Spec {
    let root = crate::root();
    let peers = root.join("bench").join("peers");
    let (id, label, program, args, cwd) = match id {
        "prebake" => (
            "prebake",
            "prebake (bench/apps/fortunes: askama, compiled)",
            tools.prebake.clone(),
            ["--host", "127.0.0.1", "--port", "{port}"]
                .map(String::from)
                .to_vec(),
            root,
        ),
        "fastapi-uvicorn" => (
            "fastapi-uvicorn",
            "FastAPI on uvicorn (uvloop, httptools), Jinja2Templates",
            tools.venv_bin.join("python"),
            server::uvicorn_args("fortunes_fastapi:app"),
            peers,
        ),
        "litestar-granian" => (
            "litestar-granian",
            "Litestar on Granian (uvloop), JinjaTemplateEngine",
            tools.venv_bin.join("granian"),
            server::granian_args("fortunes_litestar:app"),
            peers,
        ),
        _ => (
            "blacksheep-granian",
            "BlackSheep on Granian (uvloop), Jinja2 through its view()",
            tools.venv_bin.join("granian"),
            server::granian_args("fortunes_blacksheep:app"),
            peers,
        ),
    };
    Spec {
        id,
        label: label.into(),
        program,
        args,
        cwd,
        env: Vec::new(),
        ready: "/fortunes",
        only: None,
    }
}

/// `cargo xtask bench --suite fortunes`.
pub(crate) fn run(cfg: Config) -> Result<(), String> {
    let started = Instant::now();
    let root = crate::root();
    crate::system::ensure_apt(&["wrk", "util-linux", "fonts-dejavu-core"])?;
    let venv_bin = setup::ensure_venv(&root)?;
    let prebake = crate::build::build(&crate::build::BuildArgs {
        app: root
            .join("bench")
            .join("apps")
            .join("fortunes")
            .join("app.py"),
        out: Some(setup::bin_dir(&root).join("prebake-fortunes")),
        profile: cfg.profile.clone(),
        rest: Vec::new(),
        ship: Default::default(),
    })?;
    let clk_tck = setup::clk_tck();
    let pip_freeze = setup::pip_freeze(&venv_bin)?;
    let tools = Tools {
        venv_bin,
        plain_hyper: PathBuf::new(),
        prebake,
        builds: BuildTimes {
            first: Duration::ZERO,
            cold: Vec::new(),
            warm: Vec::new(),
        },
        clk_tck,
        pip_freeze,
    };
    setup::settle();
    let machine = setup::machine_info(&root, &tools);
    let load_start = setup::loadavg();
    let mut results = Vec::new();
    for id in &cfg.servers {
        let spec = spec(id, &tools);
        eprintln!("bench: {} ({})", spec.id, spec.label);
        let result = super::bench_server(&spec, &cfg, &root, clk_tck)?;
        for f in &result.failures {
            eprintln!("bench: FAILED {}: {f}", result.id);
        }
        results.push(result);
    }
    let load = [load_start, setup::loadavg()];
    let date = setup::today();
    let stem = format!("{date}-fortunes{}", if cfg.quick { "-quick" } else { "" });
    let dir = &cfg.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let png = dir.join(format!("{stem}.png"));
    super::chart::draw(&png, &results, &cfg, &date, &machine.cpu)?;
    let text = render(&cfg, &results, &machine, &tools, &load, &stem, started);
    let md = dir.join(format!("{stem}.md"));
    std::fs::write(&md, text).map_err(|e| format!("{}: {e}", md.display()))?;
    let tsv = dir.join(format!("{stem}.tsv"));
    std::fs::write(&tsv, super::report::runs_tsv(&results))
        .map_err(|e| format!("{}: {e}", tsv.display()))?;
    eprintln!("{}", table(&cfg, &results));
    eprintln!("{}", per_row(&results));
    eprintln!("bench: wrote {} and {}", md.display(), png.display());
    super::checks_passed(&results)
}

/// Server `id`'s runs of endpoint `name`, when it has any.
fn runs<'a>(results: &'a [ServerResult], id: &str, name: &str) -> Option<&'a EndpointResult> {
    results
        .iter()
        .find(|r| r.id == id)
        .and_then(|r| r.endpoint(name))
        .filter(|e| !e.runs.is_empty())
}

/// The Python peer with the highest best-run req/s on `name`.
fn fastest_peer<'a>(
    results: &'a [ServerResult],
    name: &str,
) -> Option<(&'a str, &'a EndpointResult)> {
    PYTHON_PEERS
        .iter()
        .filter_map(|id| runs(results, id, name).map(|e| (*id, e)))
        .max_by(|a, b| a.1.best_rps().total_cmp(&b.1.best_rps()))
}

/// Median server CPU (user + kernel) per request, µs.
fn cpu(e: &EndpointResult) -> f64 {
    e.median(|r| r.user_us + r.sys_us)
}

/// The table of every page and server.
fn table(cfg: &Config, results: &[ServerResult]) -> String {
    let mut out = String::from(
        "| page | server | best req/s | median req/s | p50 ms | p99 ms | CPU µs/req (user+kernel) | user µs/req | × fastest peer (best req/s) | peer's CPU / this CPU | other load, server / wrk core |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for ep in cfg.endpoints {
        let peer = fastest_peer(results, ep.name);
        for r in results {
            let Some(e) = runs(results, &r.id, ep.name) else {
                let _ = writeln!(out, "| {} | {} | failed | | | | | | | | |", ep.name, r.id);
                continue;
            };
            let (ratio, cpu_ratio) = peer.map_or((String::new(), String::new()), |(_, p)| {
                (
                    format!("{:.2}", e.best_rps() / p.best_rps()),
                    format!("{:.2}", cpu(p) / cpu(e)),
                )
            });
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {ratio} | {cpu_ratio} | {:.0}% / {:.0}% |",
                ep.name,
                if r.id == "prebake" {
                    format!("**{}**", r.id)
                } else {
                    r.id.clone()
                },
                e.best_rps(),
                e.median(|x| x.rps),
                e.median(|x| x.p50_us) / 1e3,
                e.median(|x| x.p99_us) / 1e3,
                cpu(e),
                e.median(|x| x.user_us),
                e.median(|x| x.foreign_pct),
                e.median(|x| x.foreign_load_pct),
            );
        }
    }
    out
}

/// What one more row costs each server: the CPU per request of the
/// 130-row page less the 13-row page's, over the 117 rows between them.
fn row_cost(results: &[ServerResult], id: &str) -> Option<(f64, f64, f64)> {
    let small = cpu(runs(results, id, ENDPOINTS[0].name)?);
    let large = cpu(runs(results, id, ENDPOINTS[1].name)?);
    let rows = (13 * (COPIES - 1)) as f64;
    Some((small, large, (large - small) / rows))
}

/// The render cost per row, one line per server.
fn per_row(results: &[ServerResult]) -> String {
    let mut out = String::from(
        "| server | CPU µs/req, 13 rows | CPU µs/req, 130 rows | per row, µs | per row, × prebake |\n|---|---:|---:|---:|---:|\n",
    );
    let base = row_cost(results, "prebake").map(|c| c.2);
    for r in results {
        let Some((small, large, row)) = row_cost(results, &r.id) else {
            let _ = writeln!(out, "| {} | | | not measured | |", r.id);
            continue;
        };
        let _ = writeln!(
            out,
            "| {} | {small:.1} | {large:.1} | {row:.3} | {} |",
            r.id,
            base.map_or(String::new(), |b| format!("{:.1}", row / b))
        );
    }
    out
}

fn render(
    cfg: &Config,
    results: &[ServerResult],
    machine: &setup::Machine,
    tools: &Tools,
    load: &[String; 2],
    stem: &str,
    started: Instant,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# The fortunes suite, {stem}\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask bench --suite fortunes{}` in {:.0} s: {} measured run(s) of {} s per server and page after a {} s warm-up, wrk -t1 -c{} --timeout {}s (FastAPI answers the 130-row page after more than wrk's default 2 s now and then on a busy machine); prebake built with the `{}` profile. Each server runs alone on CPU 1, wrk on CPU 0. No database: every server builds the 12 rows of TechEmpower's fortune table plus the one added per request, sorts them by message and renders `templates/fortunes.html`, escaped; every page was checked byte for byte against the expected one ({} bytes for 13 rows) before the load, askama's numeric references (`&#60;`) read as MarkupSafe's named ones (`&lt;`).\n",
        if cfg.quick { " --quick" } else { "" },
        started.elapsed().as_secs_f64(),
        cfg.runs,
        cfg.duration,
        cfg.warmup,
        cfg.connections,
        cfg.timeout.unwrap_or(2),
        cfg.profile,
        page(1).len(),
    );
    let _ = writeln!(
        out,
        "Load average (1, 5, 15 min) at the start: {}; at the end: {}. \"Other load\" is the busy time of CPU 1 not spent by the server and of CPU 0 not spent by wrk during the runs (medians): the machine is shared, so requests/s vary between runs, and CPU time per request and the ratios within this run are the figures to compare.\n",
        load[0], load[1]
    );
    let _ = writeln!(out, "![chart]({stem}.png)\n\n## Targets\n");
    let name = ENDPOINTS[0].name;
    match (runs(results, "prebake", name), fastest_peer(results, name)) {
        (Some(pb), Some((id, peer))) => {
            let ratio = pb.best_rps() / peer.best_rps();
            let _ = writeln!(
                out,
                "- {} {name}: prebake ≥ 5× the fastest Python framework: {ratio:.2}× ({:.0} vs {id} {:.0} req/s, best runs); CPU per request {:.1} vs {:.1} µs ({:.2}× less)",
                if ratio >= 5.0 { "[x]" } else { "[ ]" },
                pb.best_rps(),
                peer.best_rps(),
                cpu(pb),
                cpu(peer),
                cpu(peer) / cpu(pb),
            );
        }
        _ => {
            let _ = writeln!(out, "- [ ] {name}: not measured");
        }
    }
    let _ = writeln!(out, "\n## Results\n\n{}", table(cfg, results));
    let _ = writeln!(
        out,
        "CPU per request is the server's whole process tree's `utime` + `stime` from `/proc/PID/stat` across a run, divided by the requests wrk completed.\n\n## Render cost per row\n\n`/fortunes/10` is the same page with the 13 rows ten times. The CPU per request it costs beyond `/fortunes`, over the 117 extra rows, is what one more row costs: building it, reading it into the page (prebake) or looking its fields up (Jinja2), escaping and writing it, and its 50-odd bytes more on the socket.\n\n{}",
        per_row(results)
    );
    super::report::servers_and_machine(&mut out, results, machine, tools, &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_sorted_and_escaped() {
        let p = page(1);
        assert_eq!(p.matches("<tr><td>").count(), 13);
        assert!(!p.contains("<script>"));
        assert!(p.contains("&lt;script&gt;alert(&#34;This should not"));
        assert!(p.contains("aren&#39;t broken"));
        // `<` sorts before letters, the Japanese row after them.
        let first = p.find("<tr><td>").unwrap();
        assert!(p[first..].starts_with("<tr><td>11<"));
        assert!(p.ends_with(
            "<tr><td>12</td><td>フレームワークのベンチマーク</td></tr></table></body></html>"
        ));
        assert_eq!(page(COPIES).matches("<tr><td>").count(), 130);
    }

    #[test]
    fn the_rows_are_the_databases() {
        for (id, message) in FORTUNES {
            let row = format!("({id}, '{}')", message.replace('\'', "''"));
            assert!(
                crate::postgres::SCHEMA.contains(&row),
                "{row} is not in postgres::SCHEMA"
            );
        }
    }

    #[test]
    fn a_different_page_says_where() {
        assert!(same_page(&page(1), 1).is_ok());
        let wrong = page(1).replace("&#39;", "&#x27;");
        let e = same_page(&wrong, 1).unwrap_err();
        assert!(e.contains("&#x27;"), "{e}");
        assert!(same_page(&page(1), COPIES).is_err());
        // askama's spelling of the same page.
        let askama = page(1).replace("&lt;", "&#60;").replace("&gt;", "&#62;");
        assert!(same_page(&askama, 1).is_ok());
    }
}
