//! Loading the app's modules: the entry module and every local module its
//! imports reach, each parsed once.

use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::{Mode, ParseErrorType};

use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::source::{FileId, SourceDb, Span};

/// Where module sources come from. The driver reads the file system; tests
/// and the language server serve text from memory.
pub trait SourceProvider {
    /// The text of `rel_path` (such as `models.py` or `pkg/__init__.py`),
    /// relative to the app's folder, or `None` if there is no such file.
    fn read(&self, rel_path: &str) -> Option<String>;

    /// The last text of `rel_path` that parsed, if the provider keeps one and
    /// it differs from what [`read`](Self::read) serves.
    ///
    /// An editor keeps it while the user's edit leaves a file with a syntax
    /// error. When the current text does not parse, the front end reports the
    /// syntax error on the current text and lowers this one instead, so the
    /// names the file defines stay known to the rest of the app. The last
    /// good text is added to the [`SourceDb`] as a second file with the same
    /// path, right after the current one; the IR's spans point into it.
    /// The command line has no such text (the default).
    fn last_good(&self, _rel_path: &str) -> Option<String> {
        None
    }

    /// Whether `rel_path` (relative to the app's folder, or absolute) is a
    /// directory; `None` when the provider cannot tell (then the build
    /// does not check `StaticFiles` directories).
    fn is_dir(&self, _rel_path: &str) -> Option<bool> {
        None
    }

    /// Which of these top-level module names (imported by the app, not its
    /// own) the app's Python environment cannot import, or `None` when no
    /// environment is known: then nothing is reported (PB150).
    fn missing_modules(&self, _names: &[String]) -> Option<super::imports::MissingModules> {
        None
    }
}

/// One loaded module.
pub(crate) struct Module {
    /// Its file.
    pub(crate) file: FileId,
    /// Dotted name.
    pub(crate) name: String,
    /// Whether it is a package `__init__`.
    pub(crate) is_package: bool,
    /// The statements (empty if it did not parse).
    pub(crate) body: Vec<ast::Stmt>,
}

/// Every loaded module, the entry first.
pub(crate) struct Program {
    pub(crate) db: SourceDb,
    pub(crate) modules: Vec<Module>,
    /// Modules a relative import names that are not in the app's folder
    /// (reported, PB002): local, though their names resolve like outside
    /// ones.
    pub(crate) missing_local: Vec<String>,
}

impl Program {
    /// Every top-level statement `<receiver>.<method>(...)` of every module,
    /// as (module, call, receiver): the calls that configure an app or a
    /// router (`app.mount(...)`, `router.include_router(...)`).
    pub(crate) fn method_statements<'p>(
        &'p self,
        method: &'p str,
    ) -> impl Iterator<Item = (usize, &'p ast::ExprCall, &'p ast::Expr)> + 'p {
        self.modules
            .iter()
            .enumerate()
            .flat_map(move |(m, module)| {
                module.body.iter().filter_map(move |stmt| {
                    let ast::Stmt::Expr(e) = stmt else {
                        return None;
                    };
                    let ast::Expr::Call(call) = e.value.as_ref() else {
                        return None;
                    };
                    let ast::Expr::Attribute(attr) = call.func.as_ref() else {
                        return None;
                    };
                    (attr.attr.as_str() == method).then_some((m, call, attr.value.as_ref()))
                })
            })
    }

    /// The module of this dotted name, by index.
    pub(crate) fn module_index(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }

    /// Whether a qualified name lies in a missing local module.
    pub(crate) fn in_missing_local(&self, qualified: &str) -> bool {
        self.missing_local.iter().any(|m| {
            qualified
                .strip_prefix(m.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// A span in module `m` from a parser range.
    pub(crate) fn span(&self, m: usize, node: &impl Ranged) -> Span {
        let r = node.range();
        Span::new(self.modules[m].file, r.start().to_u32(), r.end().to_u32())
    }
}

/// Loads the entry module and follows local imports breadth-first.
pub(crate) fn load(
    provider: &dyn SourceProvider,
    entry: &str,
    prefix: &str,
    sink: &mut Sink,
) -> Program {
    let mut program = Program {
        db: SourceDb::new(),
        modules: Vec::new(),
        missing_local: Vec::new(),
    };
    let entry_name = entry.trim_end_matches(".py").replace('/', ".");
    let text = provider.read(entry).unwrap_or_default();
    add_module(
        &mut program,
        provider,
        (prefix, entry),
        entry_name,
        false,
        text,
        sink,
    );

    let mut next = 0;
    while next < program.modules.len() {
        let wanted = imported_modules(&program.modules[next]);
        for (name, span_range) in wanted {
            if program.module_index(&name).is_some() {
                continue;
            }
            let rel = name.replace('.', "/");
            let (path, is_package, text) = if let Some(t) = provider.read(&format!("{rel}.py")) {
                (format!("{rel}.py"), false, t)
            } else if let Some(t) = provider.read(&format!("{rel}/__init__.py")) {
                (format!("{rel}/__init__.py"), true, t)
            } else {
                if let Some((start, end, relative)) = span_range
                    && relative
                {
                    let span = Span::new(program.modules[next].file, start, end);
                    program.missing_local.push(name.clone());
                    sink.report(
                        Diagnostic::new(Code::PB002, span, format!("module `{name}` not found"))
                            .with_label(
                                "relative import of a module that is not in the app's folder",
                            )
                            .with_help(format!(
                                "create `{prefix}{rel}.py`, or import from an installed package"
                            )),
                    );
                }
                continue;
            };
            add_module(
                &mut program,
                provider,
                (prefix, &path),
                name,
                is_package,
                text,
                sink,
            );
        }
        next += 1;
    }
    program
}

fn add_module(
    program: &mut Program,
    provider: &dyn SourceProvider,
    (prefix, rel_path): (&str, &str),
    name: String,
    is_package: bool,
    text: String,
    sink: &mut Sink,
) {
    let path = format!("{prefix}{rel_path}");
    let parsed = rustpython_parser::parse(&text, Mode::Module, &path);
    let mut file = program.db.add(path.clone(), name.clone(), is_package, text);
    let body = match parsed {
        Ok(ast::Mod::Module(m)) => m.body,
        Ok(_) => Vec::new(),
        Err(err) => {
            // The last good text, when the provider keeps one that parses.
            let last_good =
                provider.last_good(rel_path).and_then(|t| {
                    match rustpython_parser::parse(&t, Mode::Module, &path) {
                        Ok(ast::Mod::Module(m)) => Some((t, m.body)),
                        _ => None,
                    }
                });
            let at = err.offset.to_u32();
            let len = u32::try_from(program.db.file(file).text.len()).unwrap_or(u32::MAX);
            let end = if at < len { at + 1 } else { at };
            let message = match &err.error {
                ParseErrorType::Eof => "unexpected end of file".to_string(),
                other => other.to_string(),
            };
            let note = if last_good.is_some() {
                "prebake reads Python 3.11 syntax; until this parses, the last version that did is analysed"
            } else {
                "prebake reads Python 3.11 syntax; the rest of this module is skipped"
            };
            sink.report(
                Diagnostic::new(
                    Code::PB001,
                    Span::new(file, at, end),
                    format!("syntax error: {message}"),
                )
                .with_note(note),
            );
            match last_good {
                Some((good, body)) => {
                    file = program.db.add(path, name.clone(), is_package, good);
                    body
                }
                None => Vec::new(),
            }
        }
    };
    program.modules.push(Module {
        file,
        name,
        is_package,
        body,
    });
}

/// The package a module's relative imports start from.
pub(crate) fn package_of(module: &Module) -> String {
    if module.is_package {
        module.name.clone()
    } else {
        module
            .name
            .rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default()
    }
}

/// Resolves `from <level dots><name> import ...` in `module` to an absolute
/// dotted name. The app's folder is the top package, so `.models` in a
/// top-level module means the sibling `models`.
pub(crate) fn absolute_module(module: &Module, level: u32, name: Option<&str>) -> String {
    if level == 0 {
        return name.unwrap_or_default().to_string();
    }
    let mut base = package_of(module);
    for _ in 1..level {
        base = base
            .rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default();
    }
    match (base.is_empty(), name) {
        (true, Some(n)) => n.to_string(),
        (true, None) => String::new(),
        (false, Some(n)) => format!("{base}.{n}"),
        (false, None) => base,
    }
}

/// Where an import is written (byte range) and whether it is relative.
type ImportSite = Option<(u32, u32, bool)>;

/// Modules a module imports, with the import's span and whether it was
/// relative (only a missing relative import is surely an error: an absolute
/// one may name an installed package).
fn imported_modules(module: &Module) -> Vec<(String, ImportSite)> {
    let mut out = Vec::new();
    let visit = |stmts: &[ast::Stmt], out: &mut Vec<_>| {
        for stmt in stmts {
            collect_imports(module, stmt, out);
        }
    };
    visit(&module.body, &mut out);
    out
}

fn collect_imports(module: &Module, stmt: &ast::Stmt, out: &mut Vec<(String, ImportSite)>) {
    let range = |n: &dyn Ranged| Some((n.range().start().to_u32(), n.range().end().to_u32()));
    match stmt {
        ast::Stmt::Import(s) => {
            for alias in &s.names {
                let full = alias.name.as_str();
                // `import a.b` loads `a` and `a.b`.
                let mut acc = String::new();
                for part in full.split('.') {
                    if !acc.is_empty() {
                        acc.push('.');
                    }
                    acc.push_str(part);
                    let r = range(alias).map(|(a, b)| (a, b, false));
                    out.push((acc.clone(), r));
                }
            }
        }
        ast::Stmt::ImportFrom(s) => {
            let level = s.level.as_ref().map_or(0, ast::Int::to_u32);
            let base = absolute_module(module, level, s.module.as_deref());
            let r = range(s).map(|(a, b)| (a, b, level > 0));
            if !base.is_empty() {
                // `from a.b import c` runs `a/__init__.py` first, as Python
                // imports a module's parent packages before it.
                let mut parent = String::new();
                for part in base
                    .split('.')
                    .collect::<Vec<_>>()
                    .split_last()
                    .map_or(&[][..], |(_, p)| p)
                {
                    if !parent.is_empty() {
                        parent.push('.');
                    }
                    parent.push_str(part);
                    out.push((parent.clone(), None));
                }
                out.push((base.clone(), r));
            }
            // `from pkg import submodule` may name a module.
            for alias in &s.names {
                if alias.name.as_str() == "*" {
                    continue;
                }
                let sub = if base.is_empty() {
                    alias.name.to_string()
                } else {
                    format!("{base}.{}", alias.name)
                };
                out.push((sub, None));
            }
        }
        ast::Stmt::If(s) => {
            for st in s.body.iter().chain(&s.orelse) {
                collect_imports(module, st, out);
            }
        }
        ast::Stmt::Try(s) => {
            for st in s.body.iter().chain(&s.orelse).chain(&s.finalbody) {
                collect_imports(module, st, out);
            }
            for h in &s.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                for st in &h.body {
                    collect_imports(module, st, out);
                }
            }
        }
        _ => {}
    }
}
