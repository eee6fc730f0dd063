//! The language server's end-to-end tests (`tests/lsp/`, run by `cargo xtask
//! test`): build the `prebake` binary, make sure the editors the tests drive
//! are installed, and run the pytest suite against the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `prebake` (release, in the workspace's target directory) and runs
/// `tests/lsp` with pytest-lsp and headless Neovim against it.
pub(crate) fn lsp_tests(python: &Path) -> Result<(), String> {
    ensure_apt(&["neovim"])?;
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

/// The program a Debian package provides, by which its presence is checked.
fn binary_of(package: &str) -> &str {
    match package {
        "neovim" => "nvim",
        other => other,
    }
}

fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

/// Installs the Debian packages whose program is not on `PATH`, with
/// `apt-get` (CI runs as root); refreshes the package lists only when the
/// first attempt fails. Does nothing when every program is there.
pub(crate) fn ensure_apt(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !on_path(binary_of(p)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {} with apt-get", missing.join(", "));
    let install = || {
        crate::run(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    install()
        .or_else(|_| {
            crate::run(Command::new("apt-get").args(["update", "-q"]))?;
            install()
        })
        .map_err(|e| {
            format!(
                "{e}\nxtask: could not install {}; install it by hand (as root: apt-get install {})",
                missing.join(", "),
                missing.join(" ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_checked_by_their_program() {
        assert_eq!(binary_of("neovim"), "nvim");
        assert_eq!(binary_of("tmux"), "tmux");
        assert!(on_path("sh"));
        assert!(!on_path("prebake-no-such-program"));
        // Nothing to install: no apt-get run.
        assert_eq!(ensure_apt(&[]), Ok(()));
    }
}
