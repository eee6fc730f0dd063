//! `cargo xtask bench --suite static [--seconds N]`: static file throughput
//! of a prebake mount against nginx (Debian's package) on a 1 KiB and a
//! 1 MiB file, each server pinned to one core, wrk on another.
//!
//! Both serve the same folder under `target/bench/static/`; nginx runs
//! with one worker, `sendfile on`, no access log (its defaults for a
//! static site otherwise); prebake with one worker. The ratio of requests
//! per second is printed and written to `target/bench/static/results.md`,
//! with each server's CPU time per request (user + system, from
//! `/proc/<pid>/stat` of the server and its children): on a machine shared
//! with other work, the throughput ratio moves with the load, the CPU cost
//! of a request much less.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::load;

const FILES: [(&str, usize); 2] = [("1k.bin", 1024), ("1m.bin", 1 << 20)];

/// Runs the suite.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds = 5u32;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--suite" => {
                it.next();
            }
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a number")?;
            }
            "--quick" => seconds = 3,
            other => return Err(format!("bench --suite static: unknown option `{other}`")),
        }
    }
    crate::system::ensure_apt(&["nginx", "wrk", "util-linux"])?;
    let root = crate::root();
    let dir = root.join("target").join("bench").join("static");
    let www = dir.join("app").join("www");
    std::fs::create_dir_all(&www).map_err(|e| format!("{}: {e}", www.display()))?;
    for (name, size) in FILES {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(www.join(name), bytes).map_err(|e| e.to_string())?;
    }
    let app = dir.join("app").join("app.py");
    std::fs::write(&app, APP).map_err(|e| e.to_string())?;
    let bin = crate::build::build(&crate::build::BuildArgs {
        app,
        out: Some(dir.join("static-bench")),
        profile: "release".into(),
        rest: Vec::new(),
        ship: Default::default(),
    })?;

    let nginx_port = free_port()?;
    let prebake_port = free_port()?;
    std::fs::create_dir_all(dir.join("tmp")).map_err(|e| e.to_string())?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_conf(&dir, &www, nginx_port)).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut nginx = spawn(
        Command::new("taskset")
            .args(["-c", "0", "/usr/sbin/nginx", "-c"])
            .arg(&conf)
            .args(["-p"])
            .arg(&dir),
    )?;
    let mut prebake = spawn(Command::new("taskset").args(["-c", "0"]).arg(&bin).args([
        "--port",
        &prebake_port.to_string(),
        "--workers",
        "1",
    ]))?;
    std::thread::sleep(Duration::from_secs(2));
    let tck = super::setup::clk_tck();
    let measured = (|| -> Result<(), String> {
        for (name, _) in FILES {
            let ng = wrk(
                nginx_port,
                nginx.id(),
                &format!("/static/{name}"),
                seconds,
                tck,
            )?;
            let pb = wrk(
                prebake_port,
                prebake.id(),
                &format!("/static/{name}"),
                seconds,
                tck,
            )?;
            rows.push((name, ng, pb));
        }
        Ok(())
    })();
    let _ = nginx.kill();
    let _ = prebake.kill();
    let _ = nginx.wait();
    let _ = prebake.wait();
    measured?;
    let mut out = String::from(
        "| file | nginx req/s | prebake req/s | prebake / nginx | nginx CPU µs/req | prebake CPU µs/req |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for (name, ng, pb) in &rows {
        out.push_str(&format!(
            "| {name} | {:.0} | {:.0} | {:.2}x | {:.1} | {:.1} |\n",
            ng.rps,
            pb.rps,
            pb.rps / ng.rps.max(1.0),
            ng.cpu_us,
            pb.cpu_us
        ));
    }
    print!("{out}");
    std::fs::write(dir.join("results.md"), &out).map_err(|e| e.to_string())?;
    Ok(())
}

const APP: &str = r#"from prebake import App
from prebake.staticfiles import StaticFiles

app = App(title="static-bench", openapi_url=None)
app.mount("/static", StaticFiles(directory="www"))


@app.get("/")
def index() -> str:
    return "ok"
"#;

fn nginx_conf(dir: &Path, www: &Path, port: u16) -> String {
    let d = dir.display();
    let w = www.display();
    format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
           include /etc/nginx/mime.types;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n\
           fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port};\n    location /static/ {{ alias {w}/; }}\n  }}\n}}\n"
    )
}

fn spawn(cmd: &mut Command) -> Result<Child, String> {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))
}

/// One server's numbers on one file.
struct Measured {
    rps: f64,
    /// CPU time (user + system) per request, in microseconds.
    cpu_us: f64,
}

/// Clock ticks of user and system time of `pid` and its children (nginx's
/// worker is a child of its master).
fn ticks(pid: u32) -> u64 {
    let fields = |stat: &str| -> Option<(u32, u64)> {
        // After the `(comm)` field: state ppid ... utime (14th) stime (15th).
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ppid = f.get(1)?.parse().ok()?;
        let t = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        Some((ppid, t))
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let (ppid, t) = fields(&stat)?;
            (p == pid || ppid == pid).then_some(t)
        })
        .sum()
}

fn wrk(port: u16, pid: u32, path: &str, seconds: u32, tck: f64) -> Result<Measured, String> {
    let before = ticks(pid);
    let out = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1", "-c32"])
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let parsed = load::parse(&text).ok_or_else(|| format!("wrk output: {text}"))?;
    if parsed.non_2xx > 0 {
        return Err(format!("{path}: {} non-2xx answers", parsed.non_2xx));
    }
    let cpu = ticks(pid).saturating_sub(before) as f64 / tck;
    Ok(Measured {
        rps: parsed.rps,
        cpu_us: cpu * 1e6 / parsed.requests.max(1) as f64,
    })
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}
