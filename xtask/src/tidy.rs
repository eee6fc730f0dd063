//! Tidy checks that keep the codebase's invariants true, run by a plain
//! `cargo test` (see ARCHITECTURE.md, "Architecture invariants").

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name != "target" && !name.starts_with('.') && name != "snapshots" {
                    rust_files(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    fn sources(crate_dir: &str) -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        rust_files(&crate::root().join(crate_dir), &mut files);
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                (p, text)
            })
            .collect()
    }

    fn rel(p: &Path) -> String {
        p.strip_prefix(crate::root())
            .unwrap_or(p)
            .display()
            .to_string()
    }

    #[test]
    fn every_rust_file_says_why_it_exists() {
        let mut missing = Vec::new();
        for dir in [
            "router/src",
            "compiler/src",
            "runtime/src",
            "macros/src",
            "xtask/src",
            "tests",
        ] {
            for (p, text) in sources(dir) {
                if !text.trim_start().starts_with("//!") {
                    missing.push(rel(&p));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "files without a `//!` module doc: {missing:#?}"
        );
    }

    /// Only the named module of a crate may use a dependency.
    fn only_in(crate_dir: &str, needle: &str, allowed: &str) -> Vec<String> {
        sources(crate_dir)
            .into_iter()
            .filter(|(p, text)| {
                let r = rel(p);
                !r.starts_with(allowed)
                    && text
                        .lines()
                        .any(|l| l.contains(needle) && !l.trim_start().starts_with("//"))
            })
            .map(|(p, _)| rel(&p))
            .collect()
    }

    #[test]
    fn parser_is_used_only_by_the_front_end() {
        let offenders = only_in("compiler/src", "rustpython_", "compiler/src/frontend/");
        assert!(
            offenders.is_empty(),
            "rustpython used outside compiler::frontend: {offenders:?}"
        );
    }

    #[test]
    fn quote_is_used_only_by_codegen() {
        let mut offenders = only_in("compiler/src", "use quote", "compiler/src/codegen/");
        offenders.extend(only_in(
            "compiler/src",
            "proc_macro2",
            "compiler/src/codegen/",
        ));
        assert!(
            offenders.is_empty(),
            "quote/proc_macro2 used outside compiler::codegen: {offenders:?}"
        );
    }

    #[test]
    fn pyo3_is_used_only_by_runtime_python() {
        let offenders = only_in("runtime/src", "pyo3", "runtime/src/python");
        assert!(
            offenders.is_empty(),
            "pyo3 used outside runtime::python: {offenders:?}"
        );
    }

    /// The router crate is what the router bench and fuzz test link instead
    /// of the runtime: it must stay free of Python, the HTTP stack and the
    /// runtime.
    #[test]
    fn router_crate_is_python_free() {
        let manifest = std::fs::read_to_string(crate::root().join("router/Cargo.toml"))
            .expect("router/Cargo.toml");
        let offenders: Vec<&str> = manifest
            .lines()
            .filter(|l| {
                ["pyo3", "hyper", "tokio", "prebake "]
                    .iter()
                    .any(|d| l.starts_with(d))
            })
            .collect();
        assert!(
            offenders.is_empty(),
            "router/Cargo.toml depends on: {offenders:?}"
        );
    }

    #[test]
    fn compiler_does_io_only_in_the_driver() {
        let offenders: Vec<String> = ["std::fs", "File::open", "read_to_string("]
            .iter()
            .flat_map(|n| only_in("compiler/src", n, "compiler/src/driver.rs"))
            .filter(|f| {
                !f.starts_with("compiler/src/cli.rs") && !f.starts_with("compiler/src/bin/")
            })
            .collect();
        assert!(
            offenders.is_empty(),
            "file IO outside compiler::driver: {offenders:?}"
        );
    }

    #[test]
    fn no_debug_macros() {
        let mut offenders = Vec::new();
        for dir in [
            "router/src",
            "compiler/src",
            "runtime/src",
            "macros/src",
            "xtask/src",
        ] {
            for (p, text) in sources(dir) {
                if text.contains(concat!("dbg", "!(")) {
                    offenders.push(rel(&p));
                }
            }
        }
        assert!(offenders.is_empty(), "dbg! left in: {offenders:?}");
    }
}
