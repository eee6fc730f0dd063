//! `app.mount("/static", StaticFiles(directory="static"), name="static")`:
//! the static directories the runtime serves without Python.
//!
//! The call is read like a route decorator, before anything runs: the path
//! and every `StaticFiles` argument must be written out. The directory is a
//! string, a `Path(...)` of one, or built from the module's own folder
//! (`Path(__file__).parent / "static"`, `os.path.join(os.path.dirname(__file__),
//! "static")`), possibly through a module-level name; it is recorded
//! relative to the app's folder. Whether it exists is checked by
//! [`crate::frontend::analyze`], which can ask the source provider.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::scope::{DefKind, Resolved};
use crate::ir::StaticMount;

impl Lowerer<'_> {
    /// Every `app.mount(...)` statement at the top level of a module.
    pub(super) fn static_mounts(&mut self, app: (usize, usize)) -> Vec<StaticMount> {
        let mut out = Vec::new();
        let program = self.program;
        for (m, call, receiver) in program.method_statements("mount") {
            let is_app = matches!(
                self.scopes.resolve(program, m, receiver),
                Resolved::Local { module, stmt, .. } if (module, stmt) == app
            );
            if !is_app {
                continue;
            }
            if let Some(mount) = self.static_mount(m, call) {
                out.push(mount);
            }
        }
        out
    }

    fn bad_mount(&mut self, span: crate::source::Span, message: &str, label: &str) {
        self.sink.report(
            Diagnostic::new(Code::PB111, span, message.to_string())
                .with_label(label.to_string())
                .with_note("static mounts are read at build time, before the program runs"),
        );
    }

    fn static_mount(&mut self, m: usize, call: &ast::ExprCall) -> Option<StaticMount> {
        let span = self.program.span(m, call);
        let arg = |pos: usize, name: &str| {
            call.args.get(pos).or_else(|| {
                call.keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some(name))
                    .map(|k| &k.value)
            })
        };
        let Some(path_expr) = arg(0, "path") else {
            self.bad_mount(span, "`mount` needs a path", "no path");
            return None;
        };
        let path_value = self.value(m, path_expr);
        let path = match path_value.as_str() {
            Some(p) if p.starts_with('/') && p.len() > 1 => p.trim_end_matches('/').to_string(),
            Some(_) => {
                self.bad_mount(
                    path_value.span,
                    "a mount path must start with `/` and name a folder",
                    "like \"/static\"",
                );
                return None;
            }
            None => {
                self.bad_mount(
                    path_value.span,
                    "a mount path must be a string literal",
                    "computed at run time",
                );
                return None;
            }
        };
        let name = arg(2, "name").and_then(|e| self.value(m, e).as_str().map(str::to_string));
        let Some(ast::Expr::Call(sf)) = arg(1, "app") else {
            self.bad_mount(
                span,
                "`mount` serves a `StaticFiles(...)` only",
                "not a `StaticFiles(...)` call",
            );
            return None;
        };
        if self.scopes.resolve(self.program, m, &sf.func).external() != Some("prebake.StaticFiles")
        {
            let s = self.program.span(m, sf);
            self.bad_mount(
                s,
                "`mount` serves a `StaticFiles(...)` only",
                "sub-applications are not supported",
            );
            return None;
        }
        let mut mount = StaticMount {
            path,
            directory: String::new(),
            html: false,
            check_dir: true,
            follow_symlink: false,
            name,
            span,
            directory_span: self.program.span(m, sf),
        };
        let mut directory = None;
        for (i, a) in sf.args.iter().enumerate() {
            let key = [
                "directory",
                "packages",
                "html",
                "check_dir",
                "follow_symlink",
            ]
            .get(i)
            .copied();
            directory = self.static_arg(m, key, a, &mut mount).or(directory);
        }
        for kw in &sf.keywords {
            directory = self
                .static_arg(m, kw.arg.as_deref(), &kw.value, &mut mount)
                .or(directory);
        }
        let Some(directory) = directory else {
            let given = !sf.args.is_empty()
                || sf
                    .keywords
                    .iter()
                    .any(|k| k.arg.as_deref() == Some("directory"));
            if given {
                // Reported where it is written.
                return None;
            }
            let s = self.program.span(m, sf);
            self.bad_mount(s, "`StaticFiles` needs `directory=`", "no directory");
            return None;
        };
        mount.directory = directory;
        Some(mount)
    }

    /// One argument of `StaticFiles(...)`; the directory, when it is that.
    fn static_arg(
        &mut self,
        m: usize,
        key: Option<&str>,
        expr: &ast::Expr,
        mount: &mut StaticMount,
    ) -> Option<String> {
        let s = self.program.span(m, expr);
        match key {
            Some("directory") => {
                mount.directory_span = s;
                let dir = self.directory(m, expr, 0);
                if dir.is_none() {
                    self.bad_mount(
                        s,
                        "`directory` must be a string, a `Path`, or built from `__file__`",
                        "computed at run time",
                    );
                }
                dir
            }
            Some("packages") => {
                if !matches!(self.value(m, expr).kind, crate::ir::ValueKind::None) {
                    self.bad_mount(
                        s,
                        "`StaticFiles(packages=...)` is not supported",
                        "serve the package's folder with `directory=`",
                    );
                }
                None
            }
            Some(flag @ ("html" | "check_dir" | "follow_symlink")) => {
                let Some(b) = self.value(m, expr).as_bool() else {
                    self.bad_mount(
                        s,
                        &format!("`{flag}` must be `True` or `False`"),
                        "not a bool literal",
                    );
                    return None;
                };
                match flag {
                    "html" => mount.html = b,
                    "check_dir" => mount.check_dir = b,
                    _ => mount.follow_symlink = b,
                }
                None
            }
            _ => {
                self.bad_mount(
                    s,
                    "an argument `StaticFiles` does not take",
                    "unknown argument",
                );
                None
            }
        }
    }

    /// A directory expression as a path relative to the app's folder (or
    /// absolute); `None` when it is not one of the forms the compiler reads.
    fn directory(&self, m: usize, expr: &ast::Expr, depth: usize) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match expr {
            ast::Expr::Constant(_) => self.value(m, expr).as_str().map(str::to_string),
            // `Path("static")`, `Path(x)`, `Path(x).resolve()`, `.absolute()`.
            ast::Expr::Call(c) => {
                let callee = self.scopes.resolve(self.program, m, &c.func);
                match callee.external() {
                    Some("pathlib.Path" | "pathlib.PurePath") if c.args.len() == 1 => {
                        self.directory(m, &c.args[0], depth + 1)
                    }
                    Some("os.path.join") if !c.args.is_empty() => {
                        let mut parts = Vec::new();
                        for a in &c.args {
                            parts.push(self.directory(m, a, depth + 1)?);
                        }
                        Some(join_all(&parts))
                    }
                    Some("os.path.dirname" | "os.path.abspath" | "os.path.realpath")
                        if c.args.len() == 1 =>
                    {
                        let inner = self.directory(m, &c.args[0], depth + 1)?;
                        if callee.external() == Some("os.path.dirname") {
                            Some(parent(&inner))
                        } else {
                            Some(inner)
                        }
                    }
                    _ => match c.func.as_ref() {
                        ast::Expr::Attribute(a)
                            if c.args.is_empty()
                                && matches!(a.attr.as_str(), "resolve" | "absolute") =>
                        {
                            self.directory(m, &a.value, depth + 1)
                        }
                        _ => None,
                    },
                }
            }
            // `x.parent`.
            ast::Expr::Attribute(a) if a.attr.as_str() == "parent" => {
                Some(parent(&self.directory(m, &a.value, depth + 1)?))
            }
            // `x / "static"`.
            ast::Expr::BinOp(b) if matches!(b.op, ast::Operator::Div) => {
                let left = self.directory(m, &b.left, depth + 1)?;
                let right = self.directory(m, &b.right, depth + 1)?;
                Some(join_all(&[left, right]))
            }
            ast::Expr::Name(n) if n.id.as_str() == "__file__" => Some(self.module_file(m)),
            // A module-level name bound to one of these forms.
            ast::Expr::Name(_) => match self.scopes.resolve(self.program, m, expr) {
                Resolved::Local {
                    module,
                    stmt,
                    kind: DefKind::Assign,
                    ..
                } => {
                    let value = match &self.program.modules[module].body[stmt] {
                        ast::Stmt::Assign(a) => a.value.as_ref(),
                        ast::Stmt::AnnAssign(a) => a.value.as_deref()?,
                        _ => return None,
                    };
                    self.directory(module, value, depth + 1)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Module `m`'s file, relative to the app's folder (`pkg/app.py`).
    fn module_file(&self, m: usize) -> String {
        let module = &self.program.modules[m];
        let path = module.name.replace('.', "/");
        if module.is_package {
            format!("{path}/__init__.py")
        } else {
            format!("{path}.py")
        }
    }
}

/// The folder of a relative path (`""` for a file at the top).
fn parent(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((p, _)) => p.to_string(),
        None if path.starts_with('/') => "/".to_string(),
        None => String::new(),
    }
}

/// Joins path pieces as `os.path.join` does (an absolute piece restarts),
/// dropping `.` and empty pieces.
fn join_all(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out = p.trim_end_matches('/').to_string();
            continue;
        }
        for seg in p.split('/') {
            if seg.is_empty() || seg == "." {
                continue;
            }
            if !out.is_empty() && !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{join_all, parent};

    #[test]
    fn paths() {
        assert_eq!(parent("app.py"), "");
        assert_eq!(parent("pkg/app.py"), "pkg");
        assert_eq!(join_all(&[String::new(), "static".into()]), "static");
        assert_eq!(join_all(&["pkg".into(), "./static/".into()]), "pkg/static");
        assert_eq!(join_all(&["pkg".into(), "/srv/www".into()]), "/srv/www");
    }
}
