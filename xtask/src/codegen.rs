//! `cargo xtask codegen [--check]`: writes the files the repository keeps
//! generated from code, or with `--check` fails when one is out of date.
//!
//! Today that is one file: the diagnostics index `docs/diagnostics.md`,
//! rendered by `prebake_compiler::diagnostics::codes::index_markdown()` from
//! the code registry (`compiler/src/diagnostics/codes.rs`). The compiler's
//! `compiler/tests/docs.rs` fails when the committed index differs, so CI
//! needs no separate step.

use std::path::Path;

use prebake_compiler::diagnostics::codes::index_markdown;

const USAGE: &str = "usage: cargo xtask codegen [--check]";

/// Each generated file: its path from the workspace root and its content.
fn generated() -> Vec<(&'static str, String)> {
    vec![("docs/diagnostics.md", index_markdown())]
}

/// Writes every generated file whose content changed; with `--check`,
/// writes nothing and fails naming the stale ones.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [a] if a == "--check" => true,
        [a] if a == "-h" || a == "--help" => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => return Err(USAGE.to_string()),
    };
    let root = crate::root();
    let mut stale = Vec::new();
    for (rel, content) in generated() {
        if write_if_changed(&root.join(rel), &content, check)? {
            stale.push(rel);
        }
    }
    match (check, stale.is_empty()) {
        (true, false) => Err(format!(
            "out of date (run `cargo xtask codegen`): {}",
            stale.join(", ")
        )),
        (false, false) => {
            eprintln!("wrote {}", stale.join(", "));
            Ok(())
        }
        (_, true) => {
            eprintln!("generated files are up to date");
            Ok(())
        }
    }
}

/// Whether `path` differs from `content`; writes it unless `check`.
fn write_if_changed(path: &Path, content: &str, check: bool) -> Result<bool, String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == content {
        return Ok(false);
    }
    if !check {
        std::fs::write(path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(true)
}
