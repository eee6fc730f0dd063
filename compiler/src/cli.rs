//! The command-line interface shared by the `prebake` binary and
//! `cargo xtask`: argument parsing and output for `check`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::diagnostics::render::{self, Style};

const USAGE: &str = "\
usage: prebake check <app.py>... [--format human|json|sarif] [--color auto|always|never] [--env auto|none]
       prebake routes <app.py> [--format human|json]
       prebake openapi <app.py>
       prebake dump-ir <app.py>
       prebake lsp

`check` reads each app without running it and reports route and type errors;
with `--env auto` (the default) it also asks the app's Python environment, when
one exists (an active VIRTUAL_ENV, or the app's project `.venv`), whether every
imported package is installed (docs/environment.md).
`routes` lists each route and where its handler runs: inline on the
interpreter thread, on the event loop (`async def`) or on the thread pool, and why.
`openapi` prints the app's OpenAPI 3.1 document, the bytes the server sends at
`/openapi.json`.
`lsp` is a language server on stdin/stdout, for editors (docs/editors.md).
Exit status: 0 when no errors (warnings and information allowed), 1 when any error,
2 on bad usage.";

/// Analyses `path`, against its environment when `use_env` and one exists
/// (never created here: that is the build's job).
fn analyze_in_env(
    path: &Path,
    use_env: bool,
) -> Result<crate::Analysis, crate::driver::DriverError> {
    let located =
        crate::environment::locate(path, crate::environment::active_virtual_env().as_deref());
    if use_env && located.python().exists() {
        crate::driver::analyze_path_in(path, &located).map(|(analysis, _)| analysis)
    } else {
        crate::driver::analyze_path(path)
    }
}

/// Runs the CLI with the arguments after the program name.
pub fn main(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("routes") => routes(&args[1..]),
        Some("dump-ir") => dump_ir(&args[1..]),
        Some("openapi") => openapi(&args[1..]),
        Some("lsp") => lsp(),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("prebake: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `prebake openapi app.py`: the OpenAPI document, as the server sends it
/// (errors in the app are reported and nothing is printed).
pub fn openapi(args: &[String]) -> ExitCode {
    let Some(file) = args.first() else {
        eprintln!("prebake openapi: no app given\n\n{USAGE}");
        return ExitCode::from(2);
    };
    match crate::driver::analyze_path(Path::new(file)) {
        Ok(a) if a.has_errors() => {
            eprint!("{}", render::human(&a.db, &a.diagnostics, Style::Plain));
            ExitCode::from(1)
        }
        Ok(a) => {
            print!("{}", crate::openapi::document(&a.ir));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `prebake dump-ir app.py`: prints the IR (for debugging the front end).
pub fn dump_ir(args: &[String]) -> ExitCode {
    let Some(file) = args.first() else {
        eprintln!("prebake dump-ir: no app given");
        return ExitCode::from(2);
    };
    match crate::driver::analyze_path(Path::new(file)) {
        Ok(a) => {
            print!("{}", crate::ir::pretty::dump(&a.db, &a.ir));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `prebake routes app.py [--format human|json]`: where each route runs.
pub fn routes(args: &[String]) -> ExitCode {
    let mut json = false;
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format=json" => json = true,
            "--format=human" => json = false,
            "--format" => match it.next().map(String::as_str) {
                Some("json") => json = true,
                Some("human") => json = false,
                _ => {
                    eprintln!("prebake routes: --format is human or json\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            f if f.starts_with('-') => {
                eprintln!("prebake routes: unknown option `{f}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => file = Some(a.clone()),
        }
    }
    let Some(file) = file else {
        eprintln!("prebake routes: no app given\n\n{USAGE}");
        return ExitCode::from(2);
    };
    match crate::driver::analyze_path(Path::new(&file)) {
        Ok(a) => {
            if json {
                let rows = route_rows(&a);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into())
                );
            } else {
                print!("{}", routes_table(&a));
            }
            if a.has_errors() {
                eprintln!(
                    "{file}: {}",
                    render::summary(&a.diagnostics).unwrap_or_default()
                );
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// One route as `prebake routes --format json` lists it.
#[derive(serde::Serialize, Debug)]
pub struct RouteRow {
    /// `GET`, or `GET, POST` for a route with several methods.
    pub methods: String,
    /// The path template.
    pub path: String,
    /// The handler's qualified name (`app.report`).
    pub handler: String,
    /// `inline`, `event loop` or `thread pool`.
    pub runs: &'static str,
    /// Why, as `prebake check`'s PB080 says it.
    pub reason: String,
}

/// Where each route of an analysed app runs, in source order.
pub fn route_rows(analysis: &crate::Analysis) -> Vec<RouteRow> {
    analysis
        .ir
        .routes
        .iter()
        .map(|r| {
            let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
            RouteRow {
                methods: methods.join(", "),
                path: r.path.raw.clone(),
                handler: format!("{}.{}", r.handler.module, r.handler.name),
                runs: if r.on_pool {
                    "thread pool"
                } else if r.handler.is_async {
                    "event loop"
                } else {
                    "inline"
                },
                reason: r.pool_reason.explain(&analysis.db, &r.handler.name),
            }
        })
        .collect()
}

/// The routes as an aligned table with a summary line.
pub fn routes_table(analysis: &crate::Analysis) -> String {
    let rows = route_rows(analysis);
    let w_method = rows.iter().map(|r| r.methods.len()).max().unwrap_or(0);
    let w_path = rows.iter().map(|r| r.path.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rows {
        out.push_str(&format!(
            "{:w_method$}  {:w_path$}  {:11}  {}\n",
            r.methods, r.path, r.runs, r.reason
        ));
    }
    let pool = rows.iter().filter(|r| r.runs == "thread pool").count();
    out.push_str(&format!(
        "{} route{}, {pool} on the thread pool\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    out
}

/// `prebake lsp`: the language server over stdio.
pub fn lsp() -> ExitCode {
    match crate::lsp::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prebake lsp: {e}");
            ExitCode::from(1)
        }
    }
}

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rustc-style snippets.
    Human,
    /// A JSON array.
    Json,
    /// A SARIF 2.1.0 log.
    Sarif,
}

/// `prebake check`.
pub fn check(args: &[String]) -> ExitCode {
    let mut format = Format::Human;
    let mut color = None;
    let mut use_env = true;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{name} needs a value"))
        };
        let result: Result<(), String> = match flag {
            "--format" => value("--format").and_then(|v| match v.as_str() {
                "human" => {
                    format = Format::Human;
                    Ok(())
                }
                "json" => {
                    format = Format::Json;
                    Ok(())
                }
                "sarif" => {
                    format = Format::Sarif;
                    Ok(())
                }
                other => Err(format!("unknown format `{other}` (human, json, sarif)")),
            }),
            "--color" => value("--color").and_then(|v| match v.as_str() {
                "auto" => {
                    color = None;
                    Ok(())
                }
                "always" => {
                    color = Some(Style::Color);
                    Ok(())
                }
                "never" => {
                    color = Some(Style::Plain);
                    Ok(())
                }
                other => Err(format!(
                    "unknown color mode `{other}` (auto, always, never)"
                )),
            }),
            "--env" => value("--env").and_then(|v| match v.as_str() {
                "auto" => {
                    use_env = true;
                    Ok(())
                }
                "none" => {
                    use_env = false;
                    Ok(())
                }
                other => Err(format!("unknown environment mode `{other}` (auto, none)")),
            }),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            f if f.starts_with('-') => Err(format!("unknown option `{f}`")),
            _ => {
                files.push(a.clone());
                Ok(())
            }
        };
        if let Err(e) = result {
            eprintln!("prebake check: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    if files.is_empty() {
        eprintln!("prebake check: no app given\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let style = color.unwrap_or_else(|| {
        if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style::Color
        } else {
            Style::Plain
        }
    });

    let mut any_error = false;
    let mut json_all = Vec::new();
    let mut analyses = Vec::new();
    for file in &files {
        let analysis = match analyze_in_env(Path::new(file), use_env) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                any_error = true;
                continue;
            }
        };
        any_error |= analysis.has_errors();
        match format {
            Format::Human => {
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "{}",
                    render::human(&analysis.db, &analysis.diagnostics, style)
                );
                match render::summary(&analysis.diagnostics) {
                    Some(s) => {
                        let _ = writeln!(err, "{file}: {s}");
                    }
                    None => {
                        let routes = analysis.ir.routes.len();
                        let pool = analysis.ir.routes.iter().filter(|r| r.on_pool).count();
                        let _ = writeln!(
                            err,
                            "{file}: ok ({routes} route{}{})",
                            if routes == 1 { "" } else { "s" },
                            if pool > 0 {
                                format!(", {pool} on the thread pool")
                            } else {
                                String::new()
                            }
                        );
                    }
                }
            }
            Format::Json => json_all.extend(render::to_json(&analysis.db, &analysis.diagnostics)),
            Format::Sarif => analyses.push(analysis),
        }
    }
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_all).unwrap_or_else(|_| "[]".into())
        );
    }
    if format == Format::Sarif {
        let apps: Vec<_> = analyses
            .iter()
            .map(|a| (&a.db, a.diagnostics.as_slice()))
            .collect();
        println!("{}", crate::diagnostics::sarif::render(&apps));
    }
    if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
