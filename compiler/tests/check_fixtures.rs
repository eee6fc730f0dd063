//! Data-driven tests of the checks: every app under `tests/fixtures/check/`
//! (a `<name>.py` file, or a `<name>/` folder whose entry is `app.py`) is
//! analysed, and the diagnostics must be exactly the ones its comments
//! announce:
//!
//! ```python
//! def f(x: int = None) -> int:  # error: PB023
//!     ...
//! @app.get("/a/")  # warning: PB055
//! ```
//!
//! A fixture folder's `templates/*.html` announce theirs in askama
//! comments (`{# error: PB131 #}`).
//!
//! A line may announce several (`# error: PB011, PB015` or
//! `# error: PB011 # warning: PB052`); information is announced as
//! `# info: PB080`. A missing or an extra diagnostic
//! fails, printing both sets. The rendered output (plain human form and
//! JSON) of each fixture is snapshotted with insta; run with
//! `INSTA_UPDATE=always` to accept new snapshots, then read them.
//!
//! The examples get the same treatment: they must be clean, and their IR
//! dumps and route listings (`prebake routes`: where each handler runs)
//! are snapshotted.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prebake_compiler::diagnostics::render::{self, Style};
use prebake_compiler::driver::analyze_path;

const ROOT: &str = "tests/fixtures/check";

/// One expected or found diagnostic: file, line, severity, code.
type Key = (String, u32, String, String);

/// The fixtures: name, entry file, and every Python file of the app.
fn fixtures() -> Vec<(String, PathBuf, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(ROOT)
        .expect("fixture folder")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name")
            .to_string();
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .expect("fixture app folder")
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "py"))
                .collect();
            // Templates announce theirs in askama comments: `{# error: PB131 #}`.
            if let Ok(dir) = std::fs::read_dir(path.join("templates")) {
                files.extend(
                    dir.map(|e| e.expect("dir entry").path())
                        .filter(|p| p.extension().is_some_and(|x| x == "html")),
                );
            }
            files.sort();
            out.push((name, path.join("app.py"), files));
        } else if path.extension().is_some_and(|x| x == "py") {
            out.push((name, path.clone(), vec![path]));
        }
    }
    out
}

/// The diagnostics a file's comments announce.
fn annotations(file: &Path) -> BTreeSet<Key> {
    let text = std::fs::read_to_string(file).expect("fixture text");
    let shown = file.display().to_string();
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).expect("small file");
        for (sev, rest) in line
            .match_indices("# error:")
            .map(|(at, _)| ("error", &line[at + 8..]))
            .chain(
                line.match_indices("# warning:")
                    .map(|(at, _)| ("warning", &line[at + 10..])),
            )
            .chain(
                line.match_indices("# info:")
                    .map(|(at, _)| ("info", &line[at + 7..])),
            )
        {
            let rest = rest.split('#').next().unwrap_or_default();
            for code in rest.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                assert!(
                    code.len() == 5 && code.starts_with("PB"),
                    "{shown}:{line_no}: bad annotation `{code}`"
                );
                out.insert((shown.clone(), line_no, sev.to_string(), code.to_string()));
            }
        }
    }
    out
}

fn show(keys: &BTreeSet<Key>) -> String {
    let mut s = String::new();
    for (file, line, sev, code) in keys {
        let _ = writeln!(s, "  {file}:{line}: {sev}: {code}");
    }
    if s.is_empty() {
        s.push_str("  (none)\n");
    }
    s
}

#[test]
fn check_fixtures() {
    let mut failures = String::new();
    let all = fixtures();
    assert!(!all.is_empty(), "no fixtures under {ROOT}");
    for (name, entry, files) in &all {
        let analysis = analyze_path(entry).expect("fixture entry exists");
        let expected: BTreeSet<Key> = files.iter().flat_map(|f| annotations(f)).collect();
        let found: BTreeSet<Key> = analysis
            .diagnostics
            .iter()
            .map(|d| {
                let f = analysis.db.file(d.primary.span.file);
                let lc = f.line_col(d.primary.span.start);
                (
                    f.path.clone(),
                    lc.line,
                    d.severity.as_str().to_string(),
                    d.code.as_str().to_string(),
                )
            })
            .collect();
        if expected != found {
            let _ = write!(
                failures,
                "\n{name}:\n missing (announced, not reported):\n{} extra (reported, not announced):\n{}",
                show(&expected.difference(&found).cloned().collect()),
                show(&found.difference(&expected).cloned().collect()),
            );
        }
        let mut human = render::human(&analysis.db, &analysis.diagnostics, Style::Plain);
        if let Some(summary) = render::summary(&analysis.diagnostics) {
            human.push_str(&summary);
            human.push('\n');
        }
        insta::assert_snapshot!(name.clone(), human);
        insta::assert_snapshot!(
            format!("{name}-json"),
            render::json(&analysis.db, &analysis.diagnostics)
        );
    }
    assert!(
        failures.is_empty(),
        "fixtures disagree with their annotations:{failures}"
    );
}

#[test]
fn examples_are_clean_and_their_ir_is_stable() {
    for name in ["hello", "todo"] {
        let entry = PathBuf::from(format!("../examples/{name}/app.py"));
        let analysis = analyze_path(&entry).expect("example exists");
        assert!(
            analysis.diagnostics.is_empty(),
            "examples/{name} is not clean:\n{}",
            render::human(&analysis.db, &analysis.diagnostics, Style::Plain)
        );
        insta::assert_snapshot!(
            format!("ir-{name}"),
            prebake_compiler::ir::pretty::dump(&analysis.db, &analysis.ir)
        );
        insta::assert_snapshot!(
            format!("routes-{name}"),
            prebake_compiler::cli::routes_table(&analysis)
        );
    }
}

/// Where each route runs, as `prebake routes` lists it, for an app that
/// has every kind of route.
#[test]
fn routes_listing() {
    let analysis = analyze_path(Path::new(&format!("{ROOT}/runs_on_thread_pool/app.py")))
        .expect("fixture exists");
    insta::assert_snapshot!(
        "routes-runs_on_thread_pool",
        prebake_compiler::cli::routes_table(&analysis)
    );
    let rows = prebake_compiler::cli::route_rows(&analysis);
    insta::assert_snapshot!(
        "routes-runs_on_thread_pool-json",
        serde_json::to_string_pretty(&rows).expect("JSON")
    );
}
