//! The app's imports of modules outside it, checked against the app's Python
//! environment (PB150).
//!
//! A binary that imports a package its environment lacks dies at start-up
//! with `ModuleNotFoundError`, after a build that said nothing. So the front
//! end lists every import of a module that is neither one of the app's own
//! nor `prebake` (embedded in the binary), and asks the provider which of
//! their top-level names the environment cannot import. The provider decides
//! how (the command line runs the environment's interpreter once); one that
//! knows no environment (tests, the docs, an editor) answers `None` and
//! nothing is reported.
//!
//! Imports the app guards are not required: those under `if TYPE_CHECKING:`
//! and those in a `try:` whose handler catches `ImportError` (or a broader
//! exception) are skipped.

use rustpython_parser::ast;

use super::modules::{Program, SourceProvider, absolute_module};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::source::Span;

/// Reports PB150 at each import of a top-level module the provider's
/// environment cannot import.
pub(crate) fn check(program: &Program, provider: &dyn SourceProvider, sink: &mut Sink) {
    let sites = external(program);
    if sites.is_empty() {
        return;
    }
    let mut names: Vec<String> = sites.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    let Some(missing) = provider.missing_modules(&names) else {
        return;
    };
    for (name, span) in &sites {
        if !missing.modules.iter().any(|m| m == name) {
            continue;
        }
        sink.report(
            Diagnostic::new(
                Code::PB150,
                *span,
                format!(
                    "module `{name}` is not installed in the app's environment ({})",
                    missing.environment
                ),
            )
            .with_label("the binary would fail to start here with `ModuleNotFoundError`")
            .with_help(format!(
                "add the package that provides `{name}` to {} (the package name may differ: `jwt` comes from PyJWT)",
                missing.requirements
            )),
        );
    }
}

/// What [`SourceProvider::missing_modules`] answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MissingModules {
    /// The top-level module names the environment cannot import.
    pub modules: Vec<String>,
    /// The environment, as the user knows it (`examples/tfb/.venv`).
    pub environment: String,
    /// Where the app's requirements go (`examples/tfb/requirements.txt`).
    pub requirements: String,
}

/// Every import of a module outside the app: its top-level name and where
/// it is written.
fn external(program: &Program) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for (m, module) in program.modules.iter().enumerate() {
        walk(program, m, &module.body, &mut out);
    }
    out.retain(|(name, _)| {
        let top = name.as_str();
        top != "prebake"
            && top != "__future__"
            && !program.modules.iter().any(|m| {
                m.name
                    .strip_prefix(top)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
            && !program.in_missing_local(top)
    });
    out
}

fn walk(program: &Program, m: usize, stmts: &[ast::Stmt], out: &mut Vec<(String, Span)>) {
    for stmt in stmts {
        match stmt {
            ast::Stmt::Import(s) => {
                for alias in &s.names {
                    let top = alias.name.split('.').next().unwrap_or_default();
                    out.push((top.to_string(), program.span(m, alias)));
                }
            }
            ast::Stmt::ImportFrom(s) => {
                let level = s.level.as_ref().map_or(0, ast::Int::to_u32);
                if level > 0 {
                    continue;
                }
                let name = absolute_module(&program.modules[m], 0, s.module.as_deref());
                let top = name.split('.').next().unwrap_or_default();
                if !top.is_empty() {
                    // The module's name as written, else the whole statement.
                    let whole = program.span(m, s);
                    let file = program.db.file(whole.file);
                    let span = file.text[whole.range()]
                        .find(name.as_str())
                        .and_then(|at| u32::try_from(at).ok())
                        .map_or(whole, |at| {
                            let start = whole.start + at;
                            let end = start + u32::try_from(name.len()).unwrap_or(0);
                            Span::new(whole.file, start, end)
                        });
                    out.push((top.to_string(), span));
                }
            }
            ast::Stmt::If(s) => {
                if !is_type_checking(&s.test) {
                    walk(program, m, &s.body, out);
                }
                walk(program, m, &s.orelse, out);
            }
            ast::Stmt::Try(s) => {
                if !guards_import(&s.handlers) {
                    walk(program, m, &s.body, out);
                }
                walk(program, m, &s.orelse, out);
                walk(program, m, &s.finalbody, out);
                for h in &s.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    walk(program, m, &h.body, out);
                }
            }
            ast::Stmt::TryStar(s) => {
                if !guards_import(&s.handlers) {
                    walk(program, m, &s.body, out);
                }
                walk(program, m, &s.orelse, out);
                walk(program, m, &s.finalbody, out);
            }
            ast::Stmt::FunctionDef(s) => walk(program, m, &s.body, out),
            ast::Stmt::AsyncFunctionDef(s) => walk(program, m, &s.body, out),
            ast::Stmt::ClassDef(s) => walk(program, m, &s.body, out),
            ast::Stmt::With(s) => walk(program, m, &s.body, out),
            ast::Stmt::AsyncWith(s) => walk(program, m, &s.body, out),
            ast::Stmt::For(s) => {
                walk(program, m, &s.body, out);
                walk(program, m, &s.orelse, out);
            }
            ast::Stmt::AsyncFor(s) => {
                walk(program, m, &s.body, out);
                walk(program, m, &s.orelse, out);
            }
            ast::Stmt::While(s) => {
                walk(program, m, &s.body, out);
                walk(program, m, &s.orelse, out);
            }
            ast::Stmt::Match(s) => {
                for case in &s.cases {
                    walk(program, m, &case.body, out);
                }
            }
            _ => {}
        }
    }
}

/// `TYPE_CHECKING` or `typing.TYPE_CHECKING` (any module's).
fn is_type_checking(test: &ast::Expr) -> bool {
    match test {
        ast::Expr::Name(n) => n.id.as_str() == "TYPE_CHECKING",
        ast::Expr::Attribute(a) => a.attr.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

/// Whether a handler of this `try` catches a failed import.
fn guards_import(handlers: &[ast::ExceptHandler]) -> bool {
    const CATCHING: [&str; 4] = [
        "ImportError",
        "ModuleNotFoundError",
        "Exception",
        "BaseException",
    ];
    let names = |e: &ast::Expr| -> bool {
        let one = |e: &ast::Expr| match e {
            ast::Expr::Name(n) => CATCHING.contains(&n.id.as_str()),
            ast::Expr::Attribute(a) => CATCHING.contains(&a.attr.as_str()),
            _ => false,
        };
        match e {
            ast::Expr::Tuple(t) => t.elts.iter().any(one),
            other => one(other),
        }
    };
    handlers.iter().any(|h| {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        h.type_.as_deref().is_none_or(names)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    /// Serves `app.py` and `helpers.py`; its environment has every module
    /// but `orjson` and `jwt`.
    struct Env(&'static str);

    impl SourceProvider for Env {
        fn read(&self, rel_path: &str) -> Option<String> {
            match rel_path {
                "app.py" => Some(self.0.to_string()),
                "helpers.py" => Some("import orjson\n".to_string()),
                _ => None,
            }
        }

        fn missing_modules(&self, names: &[String]) -> Option<MissingModules> {
            Some(MissingModules {
                modules: names
                    .iter()
                    .filter(|n| matches!(n.as_str(), "orjson" | "jwt"))
                    .cloned()
                    .collect(),
                environment: ".venv".into(),
                requirements: "requirements.txt".into(),
            })
        }
    }

    fn reported(source: &'static str) -> Vec<(String, String)> {
        let analysis = crate::analyze(&Env(source), "app.py", "");
        analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::PB150)
            .map(|d| {
                let file = analysis.db.file(d.primary.span.file);
                (file.path.clone(), file.slice(d.primary.span).to_string())
            })
            .collect()
    }

    #[test]
    fn missing_modules_are_reported_where_imported() {
        let found = reported(
            "import os, jwt.algorithms\nfrom orjson import dumps\nimport helpers\n\ndef f():\n    import jwt\n",
        );
        assert_eq!(
            found,
            [
                ("app.py".to_string(), "jwt.algorithms".to_string()),
                ("app.py".to_string(), "orjson".to_string()),
                ("app.py".to_string(), "jwt".to_string()),
                ("helpers.py".to_string(), "orjson".to_string()),
            ]
        );
    }

    #[test]
    fn guarded_local_and_embedded_imports_are_not() {
        let found = reported(
            "from typing import TYPE_CHECKING\n\
             if TYPE_CHECKING:\n    import jwt\n\
             try:\n    import orjson\nexcept ImportError:\n    orjson = None\n\
             from . import helpers2\n\
             import prebake.responses\nfrom __future__ import annotations\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
