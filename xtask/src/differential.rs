//! `cargo xtask differential [--cases N] [--seed S]`: the differential test
//! of the type matrix against msgspec (`tests/differential/`).
//!
//! Builds `tests/apps/matrix/app.py` (one route per type an app may declare) and runs
//! the pytest suite that generates the cases, sends them to the binary and
//! compares every answer with msgspec's in its own process. `cargo xtask
//! test` runs it with the default count (6,000 cases, a new seed each run,
//! printed); pass `--cases 100000` for a long run and `--seed S` to replay one.
//! The same suite checks that `prebake check` refuses exactly the
//! annotations msgspec refuses (`test_check.py`).

use std::process::Command;

use crate::{build, root, run, venv};

const USAGE: &str = "usage: cargo xtask differential [--cases N] [--seed S]";

/// Builds the matrix app and runs the differential test.
pub(crate) fn run_differential(args: &[String]) -> Result<(), String> {
    let mut cases = None;
    let mut seed = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .filter(|v| v.parse::<u64>().is_ok())
                .cloned()
                .ok_or_else(|| format!("{name} needs a number\n{USAGE}"))
        };
        match a.as_str() {
            "--cases" => cases = Some(value("--cases")?),
            "--seed" => seed = Some(value("--seed")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let root = root();
    let python = venv::ensure(&root)?;
    let binary = build::build(&build::BuildArgs {
        app: root
            .join("tests")
            .join("apps")
            .join("matrix")
            .join("app.py"),
        out: Some(root.join("target").join("e2e-bin").join("matrix")),
        profile: "release".into(),
        rest: Vec::new(),
        ship: Default::default(),
    })?;
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pytest",
        "tests/differential",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
    ])
    .env("PREBAKE_MATRIX_BIN", &binary)
    // The server and the test then iterate sets in the same order.
    .env("PYTHONHASHSEED", "0")
    // The native body parser on every body, not only small ones.
    .env("PREBAKE_NATIVE_DECODE", "all");
    // `test_check.py` runs the checker through this very binary.
    if let Ok(exe) = std::env::current_exe() {
        cmd.env("PREBAKE_XTASK", exe);
    }
    if let Some(n) = cases {
        cmd.env("PREBAKE_DIFF_CASES", n);
    }
    if let Some(s) = seed {
        cmd.env("PREBAKE_DIFF_SEED", s);
    }
    run(&mut cmd)
}
