//! Name resolution: what a name or dotted attribute in a module refers to,
//! through imports, aliases and re-exports.
//!
//! `import msgspec as ms` makes `ms.Struct` resolve to `msgspec.Struct`;
//! `from .models import User` makes `User` resolve to the class in the local
//! module `models`; `typing_extensions` names resolve as their `typing` twins.

use std::collections::HashMap;

use rustpython_parser::ast;

use super::modules::{Program, absolute_module};

/// What a name binds to at module level.
#[derive(Clone, Debug)]
pub(crate) enum Binding {
    /// `import x` / `import x as y`: a module (by dotted name).
    Module(String),
    /// `from m import x`: the name `x` in module `m`.
    From(String, String),
    /// A class, function or assignment in this module, by statement index.
    Def(DefKind, usize),
}

/// What kind of definition a [`Binding::Def`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DefKind {
    /// `class`.
    Class,
    /// `def` / `async def`.
    Function,
    /// `x = ...`, `x: T = ...` or `type x = ...`.
    Assign,
}

/// The result of resolving a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A name outside the app: `typing.Annotated`, `builtins.int`,
    /// `msgspec.Struct`, or a module such as `msgspec`.
    External(String),
    /// A definition in a local module: module index, statement index, kind.
    Local {
        module: usize,
        stmt: usize,
        kind: DefKind,
        name: String,
    },
    /// A local module.
    LocalModule(usize),
    /// An attribute of a local definition (`Color.RED`): the definition and the
    /// dotted rest.
    LocalAttr {
        module: usize,
        stmt: usize,
        path: String,
    },
    /// Nothing by that name.
    Unresolved,
}

impl Resolved {
    /// The qualified dotted name, for messages and value dumps.
    pub(crate) fn qualified(&self, program: &Program) -> String {
        match self {
            Resolved::External(q) => q.clone(),
            Resolved::Local { module, name, .. } => {
                format!("{}.{name}", program.modules[*module].name)
            }
            Resolved::LocalModule(m) => program.modules[*m].name.clone(),
            Resolved::LocalAttr { module, stmt, path } => {
                let owner = def_name(&program.modules[*module].body[*stmt]).unwrap_or_default();
                format!("{}.{owner}.{path}", program.modules[*module].name)
            }
            Resolved::Unresolved => "<unresolved>".to_string(),
        }
    }

    /// The external qualified name, if this is one.
    pub(crate) fn external(&self) -> Option<&str> {
        match self {
            Resolved::External(q) => Some(q),
            _ => None,
        }
    }
}

/// Per-module symbol tables.
pub(crate) struct Scopes {
    tables: Vec<HashMap<String, Binding>>,
}

const BUILTINS: &[&str] = &[
    "int",
    "str",
    "float",
    "bool",
    "bytes",
    "bytearray",
    "memoryview",
    "list",
    "dict",
    "set",
    "frozenset",
    "tuple",
    "object",
    "type",
    "None",
    "len",
    "print",
    "range",
    "Exception",
    "ValueError",
    "KeyError",
    "TypeError",
    "isinstance",
    "sorted",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "enumerate",
    "zip",
    "map",
    "filter",
    "reversed",
    "iter",
    "next",
    "repr",
    "round",
    "abs",
    "id",
    "hash",
    "super",
    "property",
    "staticmethod",
    "classmethod",
    "open",
    "memoryview",
    "complex",
    "slice",
    "getattr",
    "setattr",
    "hasattr",
    "vars",
    "dir",
    "format",
    "ord",
    "chr",
];

/// Qualified names whose module re-exports another's: `typing_extensions.X`
/// and `collections.abc.X` mean `typing.X` to prebake.
fn canonical_module(name: &str) -> String {
    for (alias, real) in [
        ("typing_extensions", "typing"),
        ("collections.abc", "typing"),
        // The `prebake` package's submodules mirror FastAPI's import paths
        // (`from prebake.security import HTTPBearer`); each name is the
        // top-level one.
        ("prebake.middleware.base", "prebake"),
        ("prebake.middleware.compression", "prebake"),
        ("prebake.middleware.cors", "prebake"),
        ("prebake.middleware.gzip", "prebake"),
        ("prebake.middleware.httpsredirect", "prebake"),
        ("prebake.middleware.trustedhost", "prebake"),
        ("prebake.middleware", "prebake"),
        ("prebake.background", "prebake"),
        ("prebake.datastructures", "prebake"),
        ("prebake.encoders", "prebake"),
        ("prebake.exceptions", "prebake"),
        ("prebake.params", "prebake"),
        ("prebake.requests", "prebake"),
        ("prebake.responses", "prebake"),
        ("prebake.routing", "prebake"),
        ("prebake.security", "prebake"),
        ("prebake.staticfiles", "prebake"),
    ] {
        if name == alias {
            return real.to_string();
        }
        if let Some(rest) = name.strip_prefix(alias).and_then(|r| r.strip_prefix('.')) {
            return format!("{real}.{rest}");
        }
    }
    name.to_string()
}

impl Scopes {
    /// Builds the symbol table of every module.
    pub(crate) fn build(program: &Program) -> Scopes {
        let tables = program
            .modules
            .iter()
            .map(|m| {
                let mut table = HashMap::new();
                for (i, stmt) in m.body.iter().enumerate() {
                    bind_stmt(m, i, stmt, &mut table);
                }
                table
            })
            .collect();
        Scopes { tables }
    }

    /// Resolves a name or dotted attribute chain in module `m`.
    pub(crate) fn resolve(&self, program: &Program, m: usize, expr: &ast::Expr) -> Resolved {
        match expr {
            ast::Expr::Name(n) => self.resolve_name(program, m, n.id.as_str(), 0),
            ast::Expr::Attribute(a) => {
                let base = self.resolve(program, m, &a.value);
                self.member(program, base, a.attr.as_str())
            }
            _ => Resolved::Unresolved,
        }
    }

    /// Resolves a bare name in module `m`.
    pub(crate) fn resolve_name(
        &self,
        program: &Program,
        m: usize,
        name: &str,
        depth: usize,
    ) -> Resolved {
        if depth > 32 {
            return Resolved::Unresolved;
        }
        match self.tables[m].get(name) {
            Some(Binding::Module(module)) => self.module_ref(program, module),
            Some(Binding::From(module, item)) => {
                if let Some(local) = program.module_index(module) {
                    match self.resolve_name(program, local, item, depth + 1) {
                        Resolved::Unresolved => {
                            // `from pkg import submodule`.
                            let sub = format!("{module}.{item}");
                            program
                                .module_index(&sub)
                                .map_or(Resolved::Unresolved, Resolved::LocalModule)
                        }
                        found => found,
                    }
                } else {
                    Resolved::External(canonical_module(&format!("{module}.{item}")))
                }
            }
            Some(Binding::Def(kind, stmt)) => Resolved::Local {
                module: m,
                stmt: *stmt,
                kind: *kind,
                name: name.to_string(),
            },
            None if BUILTINS.contains(&name) => Resolved::External(format!("builtins.{name}")),
            None => Resolved::Unresolved,
        }
    }

    fn module_ref(&self, program: &Program, module: &str) -> Resolved {
        program.module_index(module).map_or_else(
            || Resolved::External(canonical_module(module)),
            Resolved::LocalModule,
        )
    }

    /// `base.attr`.
    pub(crate) fn member(&self, program: &Program, base: Resolved, attr: &str) -> Resolved {
        match base {
            Resolved::External(q) => {
                let joined = format!("{q}.{attr}");
                Resolved::External(canonical_module(&joined))
            }
            Resolved::LocalModule(m) => match self.resolve_name(program, m, attr, 0) {
                Resolved::Unresolved => {
                    let sub = format!("{}.{attr}", program.modules[m].name);
                    program
                        .module_index(&sub)
                        .map_or(Resolved::Unresolved, Resolved::LocalModule)
                }
                found => found,
            },
            Resolved::Local { module, stmt, .. } => Resolved::LocalAttr {
                module,
                stmt,
                path: attr.to_string(),
            },
            Resolved::LocalAttr { module, stmt, path } => Resolved::LocalAttr {
                module,
                stmt,
                path: format!("{path}.{attr}"),
            },
            Resolved::Unresolved => Resolved::Unresolved,
        }
    }
}

/// The name a definition statement binds.
pub(crate) fn def_name(stmt: &ast::Stmt) -> Option<String> {
    match stmt {
        ast::Stmt::ClassDef(c) => Some(c.name.to_string()),
        ast::Stmt::FunctionDef(f) => Some(f.name.to_string()),
        ast::Stmt::AsyncFunctionDef(f) => Some(f.name.to_string()),
        ast::Stmt::Assign(a) => match a.targets.first() {
            Some(ast::Expr::Name(n)) => Some(n.id.to_string()),
            _ => None,
        },
        ast::Stmt::AnnAssign(a) => match a.target.as_ref() {
            ast::Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        },
        ast::Stmt::TypeAlias(t) => match t.name.as_ref() {
            ast::Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn bind_stmt(
    module: &super::modules::Module,
    index: usize,
    stmt: &ast::Stmt,
    table: &mut HashMap<String, Binding>,
) {
    match stmt {
        ast::Stmt::Import(s) => {
            for alias in &s.names {
                let full = alias.name.to_string();
                match &alias.asname {
                    Some(as_name) => {
                        table.insert(as_name.to_string(), Binding::Module(full));
                    }
                    None => {
                        let first = full.split('.').next().unwrap_or_default().to_string();
                        table.insert(first.clone(), Binding::Module(first));
                    }
                }
            }
        }
        ast::Stmt::ImportFrom(s) => {
            let level = s.level.as_ref().map_or(0, ast::Int::to_u32);
            let base = absolute_module(module, level, s.module.as_deref());
            for alias in &s.names {
                if alias.name.as_str() == "*" {
                    continue;
                }
                let bound = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                table.insert(bound, Binding::From(base.clone(), alias.name.to_string()));
            }
        }
        ast::Stmt::ClassDef(_) => {
            if let Some(n) = def_name(stmt) {
                table.insert(n, Binding::Def(DefKind::Class, index));
            }
        }
        ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => {
            if let Some(n) = def_name(stmt) {
                table.insert(n, Binding::Def(DefKind::Function, index));
            }
        }
        ast::Stmt::Assign(_) | ast::Stmt::AnnAssign(_) | ast::Stmt::TypeAlias(_) => {
            if let Some(n) = def_name(stmt) {
                table.insert(n, Binding::Def(DefKind::Assign, index));
            }
        }
        // Imports under `if TYPE_CHECKING:` or `try:` still bind names for the
        // type checker, and so for us.
        ast::Stmt::If(s) => {
            for st in s.body.iter().chain(&s.orelse) {
                if matches!(st, ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_)) {
                    bind_stmt(module, index, st, table);
                }
            }
        }
        ast::Stmt::Try(s) => {
            for st in &s.body {
                if matches!(st, ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_)) {
                    bind_stmt(module, index, st, table);
                }
            }
        }
        _ => {}
    }
}
