//! What the tasks need from the machine beyond Rust and CPython: Debian
//! packages, installed with `apt-get` when missing (CI and development
//! machines run as root). Every task that needs a system program asks here,
//! so there is one place that installs and one table of how each package's
//! presence is checked.

use std::path::Path;
use std::process::Command;

/// The file whose presence proves a Debian package is installed: its program
/// on `PATH` for most, a fixed path for packages without a program of their
/// own name.
fn proof_of(package: &str) -> Proof<'_> {
    match package {
        "neovim" => Proof::Program("nvim"),
        "util-linux" => Proof::Program("taskset"),
        "fonts-dejavu-core" => Proof::File("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        "chromium-driver" => Proof::Program("chromedriver"),
        "postgresql" => Proof::File("/usr/lib/postgresql"),
        "postgresql-contrib" => Proof::File("/usr/lib/postgresql"),
        "postgresql-client" => Proof::Program("psql"),
        other => Proof::Program(other),
    }
}

enum Proof<'a> {
    Program(&'a str),
    File(&'a str),
}

fn installed(package: &str) -> bool {
    match proof_of(package) {
        Proof::Program(p) => on_path(p),
        Proof::File(f) => Path::new(f).exists(),
    }
}

pub(crate) fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

/// Installs the Debian packages that are missing, with `apt-get`; refreshes
/// the package lists only when the first attempt fails. Does nothing when
/// every package is there.
pub(crate) fn ensure_apt(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
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
    fn packages_are_checked_by_their_program_or_file() {
        assert!(matches!(proof_of("neovim"), Proof::Program("nvim")));
        assert!(matches!(proof_of("tmux"), Proof::Program("tmux")));
        assert!(on_path("sh"));
        assert!(!on_path("prebake-no-such-program"));
        // Nothing to install: no apt-get run.
        assert_eq!(ensure_apt(&[]), Ok(()));
    }
}
