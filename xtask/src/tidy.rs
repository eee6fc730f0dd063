//! Tidy checks that keep the codebase's invariants true, run by a plain
//! `cargo test` (see ARCHITECTURE.md, "Architecture invariants").

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    /// Every folder of Rust sources in the workspace (walked recursively,
    /// `target/` and snapshots left out).
    const RUST_DIRS: [&str; 13] = [
        "router/src",
        "compiler/src",
        "compiler/tests",
        "compiler/benches",
        "runtime/src",
        "runtime/tests",
        "runtime/benches",
        "macros/src",
        "xtask/src",
        "testkit/src",
        "tests",
        "benches",
        "runtime/build.rs",
    ];

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.extension().is_some_and(|x| x == "rs") {
            out.push(dir.to_path_buf());
            return;
        }
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
        for dir in RUST_DIRS {
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
    fn template_parser_is_used_only_by_the_templates_module() {
        let offenders = only_in("compiler/src", "askama_parser", "compiler/src/templates/");
        assert!(
            offenders.is_empty(),
            "askama_parser used outside compiler::templates: {offenders:?}"
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

    /// The analysis reads files only through the driver; a unit test may read
    /// the repository to check a table against it, so a file's
    /// `#[cfg(test)] mod tests` is left out.
    #[test]
    fn compiler_does_io_only_in_the_driver() {
        let offenders: Vec<String> = sources("compiler/src")
            .into_iter()
            .filter(|(p, text)| {
                let r = rel(p);
                let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
                ![
                    "compiler/src/driver.rs",
                    "compiler/src/cli.rs",
                    "compiler/src/bin/",
                    "compiler/src/environment.rs",
                ]
                .iter()
                .any(|allowed| r.starts_with(allowed))
                    && code.lines().any(|l| {
                        !l.trim_start().starts_with("//")
                            && ["std::fs", "File::open", "read_to_string("]
                                .iter()
                                .any(|n| l.contains(n))
                    })
            })
            .map(|(p, _)| rel(&p))
            .collect();
        assert!(
            offenders.is_empty(),
            "file IO outside compiler::driver: {offenders:?}"
        );
    }

    #[test]
    fn no_debug_macros() {
        let mut offenders = Vec::new();
        for dir in RUST_DIRS {
            for (p, text) in sources(dir) {
                if text.contains(concat!("dbg", "!(")) {
                    offenders.push(rel(&p));
                }
            }
        }
        assert!(offenders.is_empty(), "dbg! left in: {offenders:?}");
    }

    /// Extensions that make a backticked word a file name even without a `/`.
    const FILE_EXTENSIONS: [&str; 12] = [
        "rs", "md", "py", "toml", "txt", "sh", "lua", "json", "ini", "snap", "tsv", "lock",
    ];

    /// Folders that hold no sources: what builds and tools write.
    const SKIPPED_DIRS: [&str; 7] = [
        "target",
        "dist",
        ".git",
        ".venv",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
    ];

    /// Every file and folder of the repository, as paths from its root.
    fn repository_paths(dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if SKIPPED_DIRS.contains(&name.as_str()) {
                continue;
            }
            out.insert(rel(&p));
            if p.is_dir() {
                repository_paths(&p, out);
            }
        }
    }

    /// [`repository_paths`] from the root.
    fn all_paths() -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        repository_paths(&crate::root(), &mut all);
        all
    }

    /// The words of `text` a reader takes for paths: backticked spans and
    /// Markdown link targets, outside fenced code blocks.
    fn path_words(text: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut fenced = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            let mut parts = line.split('`');
            parts.next();
            while let Some(inside) = parts.next() {
                words.push(inside.to_string());
                parts.next();
            }
            let mut rest = line;
            while let Some(at) = rest.find("](") {
                rest = &rest[at + 2..];
                if let Some(end) = rest.find(')') {
                    words.push(rest[..end].to_string());
                }
            }
        }
        words
    }

    /// `word` as a repository path to check, or `None` when it is not one:
    /// other characters than a path's (spaces, `<placeholder>`, globs,
    /// `{a,b}`, `$VAR`, URLs), absolute paths (route templates such as
    /// `/user/{id}` are not files), generated paths, bare extensions
    /// (`.py`), and words that are neither `a/b` nor a file name with a
    /// known extension.
    fn as_path(word: &str) -> Option<&str> {
        let word = word.split('#').next().unwrap_or_default();
        let word = word.strip_prefix("./").unwrap_or(word);
        let path_chars = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
        if word.is_empty() || !word.chars().all(path_chars) || word.starts_with('/') {
            return None;
        }
        if word.starts_with('.') && !word.starts_with("../") && !word.contains('/') {
            return None;
        }
        let first = word.split('/').next().unwrap_or_default();
        if SKIPPED_DIRS.contains(&first) {
            return None;
        }
        let known_extension = word
            .rsplit_once('.')
            .is_some_and(|(_, x)| FILE_EXTENSIONS.contains(&x));
        (word.contains('/') || known_extension).then_some(word)
    }

    /// Whether `path`, named in the file `from`, is fine: it exists (from
    /// the root, from `from`'s folder, or as the tail of a repository path,
    /// as `json/parse.rs` in the runtime's own docs), or it is not a path of
    /// this repository. Not one: a word whose first part names no folder
    /// here (`application/json`, a user's `.vscode/settings.json`), and a
    /// bare file name other than a Rust source or a Markdown page (the
    /// user's `main.py`).
    fn resolves(path: &str, from: &Path, all: &BTreeSet<String>) -> bool {
        let root = crate::root();
        let dir = from.parent().unwrap_or(&root);
        let trimmed = path.trim_end_matches('/');
        if root.join(trimmed).exists() || dir.join(trimmed).exists() {
            return true;
        }
        if trimmed.contains("..") {
            return false;
        }
        let tail = format!("/{trimmed}");
        if all.iter().any(|p| p == trimmed || p.ends_with(&tail)) {
            return true;
        }
        match trimmed.split_once('/') {
            None => !(trimmed.ends_with(".rs") || trimmed.ends_with(".md")),
            Some((first, _)) => {
                let folder = format!("/{first}");
                let names_a_folder = root.join(first).is_dir()
                    || dir.join(first).is_dir()
                    || all
                        .iter()
                        .any(|p| (p == first || p.ends_with(&folder)) && root.join(p).is_dir());
                !names_a_folder
            }
        }
    }

    /// The documentation a reader follows paths in: every Markdown file
    /// (run results under `bench/results/` are records of their day and
    /// keep the paths of that day), and the `//!` docs of every Rust file.
    fn docs() -> Vec<(PathBuf, String)> {
        let all = all_paths();
        let mut out = Vec::new();
        for p in &all {
            if p.ends_with(".md") && !p.starts_with("bench/results/") {
                let path = crate::root().join(p);
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path, text));
            }
        }
        for dir in RUST_DIRS {
            for (p, text) in sources(dir) {
                let module_doc: String = text
                    .lines()
                    .filter_map(|l| l.trim_start().strip_prefix("//!"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                out.push((p, module_doc));
            }
        }
        out
    }

    #[test]
    fn every_path_the_docs_name_exists() {
        let all = all_paths();
        let mut stale = Vec::new();
        for (file, text) in docs() {
            for word in path_words(&text) {
                if let Some(path) = as_path(&word)
                    && !resolves(path, &file, &all)
                {
                    stale.push(format!("{}: `{path}`", rel(&file)));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "paths named in docs that do not exist: {stale:#?}"
        );
    }

    /// The repository's docs and comments stand alone: they cite its own
    /// pages, never notes that a clone does not have.
    #[test]
    fn nothing_cites_files_outside_the_repository() {
        let needles = [
            concat!("SPEC", " §"),
            concat!("SPEC", ".md"),
            concat!("STACK", ".md"),
            concat!("STYLE", ".md"),
            concat!("../", "shared"),
            concat!("`shared", "/"),
        ];
        let all = all_paths();
        let mut offenders = Vec::new();
        for p in &all {
            let source = [".md", ".rs", ".py", ".toml", ".sh", ".txt"]
                .iter()
                .any(|x| p.ends_with(x));
            if !source || p.starts_with("bench/results/") {
                continue;
            }
            let text = std::fs::read_to_string(crate::root().join(p)).unwrap_or_default();
            for needle in needles {
                if text.contains(needle) {
                    offenders.push(format!("{p}: {needle}"));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "citations of files outside the repository: {offenders:#?}"
        );
    }

    #[test]
    fn every_xtask_command_the_docs_name_exists() {
        let mut unknown = Vec::new();
        for (file, text) in docs() {
            for (at, _) in text.match_indices("cargo xtask ") {
                let command: String = text[at + "cargo xtask ".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '|')
                    .collect();
                // `cargo xtask check|build|...` lists several.
                for name in command.split('|').filter(|n| !n.is_empty()) {
                    if !crate::COMMANDS.contains(&name) {
                        unknown.push(format!("{}: `cargo xtask {name}`", rel(&file)));
                    }
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "xtask commands named in docs that do not exist: {unknown:#?}"
        );
    }

    /// [`crate::COMMANDS`] is the list of `main`'s `match` arms.
    #[test]
    fn the_command_list_is_mains() {
        let main = std::fs::read_to_string(crate::root().join("xtask/src/main.rs"))
            .expect("xtask/src/main.rs");
        let arms: BTreeSet<&str> = main
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('"')?.split_once("\" =>"))
            .map(|(name, _)| name)
            .filter(|name| !name.contains('"')) // `"-h" | "--help" | "help"`
            .collect();
        let listed: BTreeSet<&str> = crate::COMMANDS.iter().copied().collect();
        assert_eq!(arms, listed, "COMMANDS and the arms of `main`'s match");
    }

    #[test]
    fn the_usage_lists_every_command() {
        for name in crate::COMMANDS {
            assert!(
                crate::USAGE.contains(&format!("\n  {name}")),
                "`{name}` is missing from the usage text"
            );
        }
    }

    #[test]
    fn path_words_are_told_from_other_words() {
        let readme = crate::root().join("README.md");
        for word in [
            "runtime/src/lax.rs",
            "lax.rs",
            "../examples/hello/app.py",
            "python/native/",
        ] {
            assert_eq!(as_path(word), Some(word), "{word}");
        }
        for word in [
            "/user/{user_id}",
            "application/json",
            "docs/diagnostics/<code>.md",
            "target/e2e-bin",
            "tests/e2e_{hello,kitchen}.rs",
            "https://example.com/a.md",
            "$OUT_DIR/prebake_package.rs",
            "msgspec.json.encode",
            ".py",
        ] {
            assert!(
                as_path(word).is_none_or(|p| resolves(p, &readme, &BTreeSet::new())),
                "{word}"
            );
        }
        let all = BTreeSet::from([
            "runtime/src/json/parse.rs".to_string(),
            "runtime/src/python".to_string(),
        ]);
        assert!(resolves("json/parse.rs", &readme, &all));
        assert!(!resolves("python/native.rs", &readme, &all));
        assert!(!resolves("runtime/examples/", &readme, &all));
        assert!(!resolves(concat!("NOTES", ".md"), &readme, &all));
        assert!(resolves(".vscode/settings.json", &readme, &all));
        assert!(resolves("main.py", &readme, &all));
    }

    /// The compiler reads a built-in middleware's settings from its call and
    /// fills in the defaults of the Python class the user sees; the two must
    /// say the same, or a setting left out means one thing in the editor
    /// and another in the binary.
    #[test]
    fn middleware_defaults_agree_with_the_python_classes() {
        let root = crate::root();
        let py = std::fs::read_to_string(root.join("runtime/python/prebake/_middleware.py"))
            .expect("runtime/python/prebake/_middleware.py");
        let lower = std::fs::read_to_string(root.join("compiler/src/frontend/lower/middleware.rs"))
            .expect("compiler/src/frontend/lower/middleware.rs");
        let ir = std::fs::read_to_string(root.join("compiler/src/ir/middleware.rs"))
            .expect("compiler/src/ir/middleware.rs");

        let py_excluded = string_list(after(&py, "DEFAULT_EXCLUDED_CONTENT_TYPES = (", ")"));
        let rs_excluded = string_list(after(
            &ir,
            "DEFAULT_EXCLUDED_CONTENT_TYPES: &[&str] = &[",
            "]",
        ));
        assert!(!py_excluded.is_empty());
        assert_eq!(py_excluded, rs_excluded, "DEFAULT_EXCLUDED_CONTENT_TYPES");

        let mut compared = 0;
        for (class, rust_defaults) in rust_middleware_defaults(&lower) {
            let python = python_init_defaults(&py, &class);
            for (key, value) in rust_defaults {
                match python.get(&key) {
                    // `None` (a computed default) and named constants are not literals.
                    Some(Some(py_value)) => {
                        assert_eq!(&value, py_value, "{class}({key}=...) default");
                        compared += 1;
                    }
                    Some(None) => {}
                    None => panic!("{class} reads `{key}`, which its Python class does not take"),
                }
            }
        }
        assert!(
            compared >= 12,
            "only {compared} defaults compared: has the code changed shape?"
        );
    }

    /// The text between `start` and the next `end` after it.
    fn after<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text
            .find(start)
            .unwrap_or_else(|| panic!("`{start}` not found"))
            + start.len();
        let rest = &text[from..];
        &rest[..rest.find(end).unwrap_or(rest.len())]
    }

    /// The double-quoted strings of a list or tuple literal, in order.
    fn string_list(text: &str) -> Vec<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    /// A Python default as the Rust reader writes it: `True` → `true`,
    /// `("GET",)` → `GET`; `None` when the default is not a literal.
    fn python_literal(text: &str) -> Option<String> {
        let t = text.trim();
        match t {
            "True" => return Some("true".into()),
            "False" => return Some("false".into()),
            _ => {}
        }
        if t.parse::<i64>().is_ok() {
            return Some(t.into());
        }
        if t.starts_with('(') || t.starts_with('[') {
            return Some(string_list(t).join("|"));
        }
        None
    }

    /// `name: type = default` of each parameter of `class`'s `__init__`.
    fn python_init_defaults(
        py: &str,
        class: &str,
    ) -> std::collections::BTreeMap<String, Option<String>> {
        let body = after(py, &format!("class {class}"), "\nclass ");
        let signature = after(body, "def __init__(", ") -> None:");
        signature
            .lines()
            .filter_map(|l| {
                let l = l.trim().trim_end_matches(',');
                let (name, default) = l.split_once(" = ")?;
                let name = name.split(':').next()?.trim();
                Some((name.to_string(), python_literal(default)))
            })
            .collect()
    }

    /// For each `"prebake.Class" => ...` arm of the compiler's middleware
    /// reader, the `args.int/bool/strings(self, "key", default...)` reads.
    fn rust_middleware_defaults(lower: &str) -> Vec<(String, Vec<(String, String)>)> {
        let flat: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        let arms: Vec<&str> = flat.split("\"prebake.").skip(1).collect();
        for arm in arms {
            let Some((class, body)) = arm.split_once("\" =>") else {
                continue;
            };
            let mut reads = Vec::new();
            for (reader, close) in [(".int(self, \"", ','), (".bool(self, \"", ')')] {
                for piece in body.split(reader).skip(1) {
                    let (key, rest) = piece.split_once('"').expect("a key");
                    let rest = rest.trim_start_matches(',').trim_start();
                    let value = &rest[..rest.find(close).expect("a default")];
                    reads.push((key.to_string(), value.trim().to_string()));
                }
            }
            for piece in body.split(".strings(self, \"").skip(1) {
                let (key, rest) = piece.split_once('"').expect("a key");
                let list = after(rest, "&[", "]");
                reads.push((key.to_string(), string_list(list).join("|")));
            }
            if !reads.is_empty() {
                out.push((class.to_string(), reads));
            }
        }
        out
    }
}
