//! The diagnostic docs run as tests.
//!
//! Every code has a page `docs/diagnostics/<code>.md` with ruff's anatomy:
//! `# PBxxx: name`, `## What it does`, `## Why is this bad?`, `## Example`
//! and `## Use instead`. The app in the Example block must report that code
//! and no other; the app in the Use-instead block must be clean. The index
//! `docs/diagnostics.md` must be what `codes::index_markdown()` renders (run
//! `cargo xtask codegen`, or this test with `UPDATE_DOCS=1`, to rewrite it).
//! A section's ```html blocks are the app's templates (`templates/page.html`,
//! or the name on a first line `{# name.html #}`).

use std::path::PathBuf;

use prebake_compiler::diagnostics::Code;
use prebake_compiler::diagnostics::codes::index_markdown;
use prebake_compiler::diagnostics::render::{self, Style};
use prebake_compiler::frontend::{MissingModules, SourceProvider};

const SECTIONS: [&str; 4] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
];

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// Serves one module, `app.py`, and the section's templates from memory,
/// in an environment that has every module but `orjson` installed (the
/// PB150 page's).
struct OneFile(String, Vec<(String, String)>);

impl SourceProvider for OneFile {
    fn read(&self, rel_path: &str) -> Option<String> {
        if rel_path == "app.py" {
            return Some(self.0.clone());
        }
        let name = rel_path.strip_prefix("templates/")?;
        self.1
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// The pages' app folder holds one directory, `static`.
    fn is_dir(&self, rel_path: &str) -> Option<bool> {
        Some(rel_path == "static")
    }

    fn missing_modules(&self, names: &[String]) -> Option<MissingModules> {
        Some(MissingModules {
            modules: names.iter().filter(|n| *n == "orjson").cloned().collect(),
            environment: ".venv".into(),
            requirements: "requirements.txt".into(),
        })
    }
}

/// The ```html blocks of the section under `heading`: templates, named by
/// a first line `{# name.html #}` (else `page.html`).
fn html_blocks(page: &str, heading: &str) -> Vec<(String, String)> {
    let Some(at) = page.find(heading) else {
        return Vec::new();
    };
    let mut section = &page[at + heading.len()..];
    if let Some(end) = section.find("\n## ") {
        section = &section[..end];
    }
    let mut out = Vec::new();
    while let Some(start) = section.find("```html\n") {
        let body = &section[start + "```html\n".len()..];
        let Some(end) = body.find("```") else { break };
        let text = &body[..end];
        let name = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("{# ")?.strip_suffix(" #}"))
            .filter(|n| n.ends_with(".html"))
            .unwrap_or("page.html");
        out.push((name.to_string(), text.to_string()));
        section = &body[end + 3..];
    }
    out
}

/// The first ```python block after `heading`.
fn python_block<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let after = &page[page.find(heading)? + heading.len()..];
    let start = after.find("```python\n")? + "```python\n".len();
    let body = &after[start..];
    Some(&body[..body.find("```")?])
}

#[test]
fn every_code_has_a_page_that_runs() {
    let mut failures = Vec::new();
    for &code in Code::ALL {
        let path = docs_dir().join(format!("diagnostics/{code}.md"));
        let Ok(page) = std::fs::read_to_string(&path) else {
            failures.push(format!("{code}: no page at {}", path.display()));
            continue;
        };
        let title = format!("# {code}: {}\n", code.name());
        if !page.starts_with(&title) {
            failures.push(format!(
                "{code}: the page must start with `{}`",
                title.trim_end()
            ));
        }
        let mut at = 0;
        for section in SECTIONS {
            match page[at..].find(section) {
                Some(i) => at += i + section.len(),
                None => failures.push(format!("{code}: missing or misplaced `{section}`")),
            }
        }
        let (Some(example), Some(fixed)) = (
            python_block(&page, "## Example"),
            python_block(&page, "## Use instead"),
        ) else {
            failures.push(format!(
                "{code}: Example and Use instead need ```python blocks"
            ));
            continue;
        };
        let bad = prebake_compiler::analyze(
            &OneFile(example.to_string(), html_blocks(&page, "## Example")),
            "app.py",
            "",
        );
        let codes: Vec<Code> = bad.diagnostics.iter().map(|d| d.code).collect();
        if !codes.contains(&code) || codes.iter().any(|c| *c != code) {
            failures.push(format!(
                "{code}: the Example should report only {code}, got {codes:?}:\n{}",
                render::human(&bad.db, &bad.diagnostics, Style::Plain)
            ));
        }
        let good = prebake_compiler::analyze(
            &OneFile(fixed.to_string(), html_blocks(&page, "## Use instead")),
            "app.py",
            "",
        );
        if !good.diagnostics.is_empty() {
            failures.push(format!(
                "{code}: the Use-instead app is not clean:\n{}",
                render::human(&good.db, &good.diagnostics, Style::Plain)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_page_without_a_code() {
    let dir = docs_dir().join("diagnostics");
    for entry in std::fs::read_dir(&dir).expect("docs/diagnostics exists") {
        let name = entry.expect("dir entry").file_name();
        let name = name.to_string_lossy();
        let stem = name.trim_end_matches(".md");
        assert!(
            Code::parse(stem).is_some_and(|c| c.as_str() == stem),
            "docs/diagnostics/{name} documents no code"
        );
    }
}

#[test]
fn index_is_up_to_date() {
    let path = docs_dir().join("diagnostics.md");
    let expected = index_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/diagnostics.md");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/diagnostics.md is out of date: run `cargo xtask codegen` (or this test with UPDATE_DOCS=1)"
    );
}
