//! `cargo xtask`: every developer task, in Rust, with no tools to install by
//! hand.
//!
//! - `check <app.py>... [--format human|json]`: report route and type errors.
//! - `build`, `serve`: build an app's binary (`build.rs`), and run it.
//! - `dev`: serve, re-check, rebuild and restart on every save (`dev.rs`).
//! - `test`: the whole suite (format, lints, Rust tests, Python tests), setting
//!   up the Python environment first.
//! - `differential`, `bench`, `lsp`: the differential test, the benchmarks,
//!   the language server.
//! - `codegen [--check]`: the files generated from code (`codegen.rs`).
//! - `venv`: create or refresh the project's `.venv`.
//! - `postgres`: a database with TechEmpower's tables, for the tfb examples.
//!
//! [`COMMANDS`] lists them; the tidy tests hold every `cargo xtask <command>`
//! the docs mention to that list.

mod bench;
mod build;
mod codegen;
mod dev;
mod differential;
mod lsp;
mod npm;
mod postgres;
mod ship;
mod system;
mod tidy;
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  check <app.py>... [--format human|json]   report route and type errors (exit 1 on errors)
  routes <app.py> [--format human|json]      list the routes: inline, event loop or thread pool, and why
  openapi <app.py>                          print the OpenAPI document the server sends at /openapi.json
  build <app.py> [--out PATH] [--dist]       build the server binary (default dist/<name>)
        [--bundle DIR] [--k8s DIR] [--image NAME]  a relocatable folder with a Dockerfile; Kubernetes manifests
  serve <app.py> [-- server flags]          build, then run it (flags: --host --port --workers)
  dev <app.py> [-- server flags]            serve, and check, rebuild and restart on every save
  test [--no-lint]                          run the whole test suite, setting up what it needs
  lsp                                       the language server on stdio (docs/editors.md)
  venv                                      create or refresh the project's Python environment
  differential [--cases N] [--seed S]       the type matrix against msgspec (tests/differential)
  bench [--quick] [--dist]                  prebake vs plain hyper and Python frameworks (bench/results/)
  postgres [-- COMMAND ARGS..]              a PostgreSQL with TechEmpower's tables: run COMMAND against it
                                            (libpq variables set), or print them and wait for Enter
  codegen [--check]                         write the generated docs (docs/diagnostics.md), or check them";

/// Every command `main` accepts (besides `help`), kept beside its `match`:
/// the tidy tests hold the usage text and the docs to it.
#[cfg(test)]
pub(crate) const COMMANDS: &[&str] = &[
    "check",
    "routes",
    "openapi",
    "lsp",
    "test",
    "build",
    "serve",
    "dev",
    "differential",
    "venv",
    "bench",
    "codegen",
    "postgres",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "check" => return prebake_compiler::cli::check(rest),
        "routes" => return prebake_compiler::cli::routes(rest),
        "openapi" => return prebake_compiler::cli::openapi(rest),
        "lsp" => return prebake_compiler::cli::main(&args),
        "test" => test(rest),
        "build" => build::parse_args(rest)
            .and_then(|a| build::build(&a))
            .map(|_| ()),
        "serve" => serve(rest),
        "dev" => dev::run(rest),
        "differential" => differential::run_differential(rest), // [--cases N] [--seed S]
        "venv" => venv::ensure(&root()).map(|_| ()),
        "bench" => bench::run(rest),
        "codegen" => codegen::run(rest),
        "postgres" => postgres::command(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo puts build outputs for commands run from the workspace.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// Runs a command in the workspace root, failing with its description.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("{shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
}

/// `cargo xtask serve`: build, then replace this process with the server.
fn serve(args: &[String]) -> Result<(), String> {
    let parsed = build::parse_args(args)?;
    let binary = build::build(&parsed)?;
    let mut cmd = Command::new(&binary);
    cmd.args(&parsed.rest);
    use std::os::unix::process::CommandExt;
    Err(format!("{}: {}", binary.display(), cmd.exec()))
}

/// `cargo xtask test`.
fn test(args: &[String]) -> Result<(), String> {
    let lint = !args.iter().any(|a| a == "--no-lint");
    let root = root();
    let python = venv::ensure(&root)?;
    // Headless Chromium judges pages, CORS and templates (tests/python/browser.py).
    system::ensure_apt(&["chromium", "chromium-driver"])?;
    if lint {
        run(cargo().args(["fmt", "--all", "--check"]))?;
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--release",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    // Build the apps the end-to-end tests serve once, with the shared target
    // directory, before `cargo test` (which then only starts them).
    let bin_dir = root.join("target").join("e2e-bin");
    let apps = std::fs::read_to_string(root.join("tests").join("apps.txt"))
        .map_err(|e| format!("tests/apps.txt: {e}"))?;
    let listed: Vec<(&str, &str)> = apps
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    // The tests take any binary they find here as current (tests/python/conftest.py,
    // `e2e_server`): one this run does not build is stale, so it goes.
    if let Ok(entries) = std::fs::read_dir(&bin_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !listed.iter().any(|(n, _)| name == *n) {
                std::fs::remove_file(entry.path())
                    .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            }
        }
    }
    for (name, app) in listed {
        let args = build::BuildArgs {
            app: root.join(app),
            out: Some(bin_dir.join(name)),
            profile: "release".into(),
            rest: Vec::new(),
            ship: Default::default(),
        };
        build::build(&args)?;
    }
    // Relocatable bundles and the minimal Debian they run in (tests/python/test_ship.py).
    let ship_env = ship::prepare_tests(&root)?;
    // The database the TechEmpower tests read and write (tests/python/test_tfb.py):
    // the one the environment names, or a throw-away server stopped when `pg` drops.
    let pg = postgres::ensure(&target_dir(&root))?;
    run(pg
        .apply(&mut cargo())
        .args(["test", "--workspace", "--release"])
        .env("PREBAKE_E2E_BIN_DIR", &bin_dir))?;
    // The Python tests build apps with this very xtask (prebake.testing).
    let xtask = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    run(pg
        .apply(&mut Command::new(&python))
        .args(["-m", "pytest", "tests/python", "-q"])
        .envs(ship_env.iter().map(|(k, v)| (*k, v)))
        .env("PREBAKE_E2E_BIN_DIR", &bin_dir)
        .env("PREBAKE_XTASK", &xtask))?;
    drop(pg);
    differential::run_differential(&[])?; // The type matrix against msgspec (tests/differential).
    lsp::lsp_tests(&python)?; // The language server with real clients (tests/lsp).
    Ok(())
}
