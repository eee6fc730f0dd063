//! The language server's end-to-end tests (`tests/lsp/`, run by `cargo xtask
//! test`): build the `prebake` binary, make sure the editors the tests drive
//! are installed, and run the pytest suite against the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `prebake` (release, in the workspace's target directory) and runs
/// `tests/lsp` with pytest-lsp and headless Neovim against it.
pub(crate) fn lsp_tests(python: &Path) -> Result<(), String> {
    crate::system::ensure_apt(&["neovim"])?;
    crate::run(crate::cargo().args([
        "build",
        "--release",
        "-p",
        "prebake-compiler",
        "--bin",
        "prebake",
    ]))?;
    let bin = target_dir().join("release").join("prebake");
    crate::run(
        Command::new(python)
            .args(["-m", "pytest", "tests/lsp", "-q"])
            .env("PREBAKE_BIN", &bin),
    )
}

/// The target directory cargo builds into.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => crate::root().join(dir),
        None => crate::root().join("target"),
    }
}
