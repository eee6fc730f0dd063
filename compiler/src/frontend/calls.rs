//! The calls of the app's own functions, collected once per program, and
//! what a function reaches through them.
//!
//! Every module-level function and every method of a module-level class is
//! walked once ([`CallIndex::build`]); each call is resolved to a function
//! of the app ([`Target::Local`]) or to a qualified name outside it
//! ([`Target::External`]). [`CallIndex::reached`] then follows the local
//! calls from any function (a handler, a dependency), breadth-first,
//! depth-limited and cycle-safe, and returns every outside call it finds.
//!
//! Methods are found on objects the walk can trace: `self.m()` in a method,
//! `Repo.m()`, `repo.m()` after `repo = Repo()` (module level or in the
//! function), a parameter annotated with a local class. An object made by
//! an outside call is named after it: `db.execute()` after
//! `db = sqlite3.connect(...)` calls `sqlite3.connect().execute`, `f.read()`
//! in `with open(p) as f:` calls `builtins.open().read`, and a parameter
//! annotated `s: Session` (or `Annotated[Session, ...]`, `Session | None`)
//! makes `s.execute()` a call of `sqlalchemy.orm.Session().execute`.
//! Anything else (attributes of attributes, return values of local
//! functions) is not traced, and its calls are not recorded. Nor are the
//! calls inside nested functions, lambdas and classes: they run when and
//! where the code that receives them decides (`asyncio.to_thread(work)`).

use std::collections::{HashMap, HashSet, VecDeque};

use rustpython_ast::Visitor;
use rustpython_parser::ast;

use super::modules::Program;
use super::scope::{DefKind, Resolved, Scopes};
use crate::ir::ReachedCall;
use crate::source::Span;

/// How many of the app's functions deep [`CallIndex::reached`] follows.
const MAX_DEPTH: usize = 8;

/// A function of the app: a module-level `def`, or a method (`method`:
/// its index in the class body) of a module-level class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FnId {
    /// The module, by index.
    pub(crate) module: usize,
    /// The `def` or `class` statement, by index in the module body.
    pub(crate) stmt: usize,
    /// The method's index in the class body.
    pub(crate) method: Option<usize>,
}

/// What a call calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Something outside the app, by qualified name.
    External(String),
    /// A function of the app.
    Local(FnId),
}

/// One call in a function's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    /// What it calls.
    pub(crate) target: Target,
    /// The call expression.
    pub(crate) span: Span,
}

/// The calls of every function of the app.
#[derive(Default)]
pub(crate) struct CallIndex {
    calls: HashMap<FnId, Vec<Call>>,
    names: HashMap<FnId, String>,
}

/// What an object is, as far as the walk can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// Made outside the app; the name of the object (`sqlite3.connect()`).
    External(String),
    /// An instance of a local class (module, class statement), or the
    /// class itself (`cls`).
    Class(usize, usize),
}

impl CallIndex {
    /// Walks every function and method of the program once.
    pub(crate) fn build(program: &Program, scopes: &Scopes) -> CallIndex {
        let mut index = CallIndex::default();
        let resolver = Resolver { program, scopes };
        for (m, module) in program.modules.iter().enumerate() {
            for (i, stmt) in module.body.iter().enumerate() {
                match stmt {
                    ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => {
                        let id = FnId {
                            module: m,
                            stmt: i,
                            method: None,
                        };
                        index.add(&resolver, id, stmt, None);
                    }
                    ast::Stmt::ClassDef(c) => {
                        for (j, st) in c.body.iter().enumerate() {
                            if matches!(
                                st,
                                ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_)
                            ) {
                                let id = FnId {
                                    module: m,
                                    stmt: i,
                                    method: Some(j),
                                };
                                index.add(&resolver, id, st, Some(c.name.as_str()));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        index
    }

    fn add(&mut self, resolver: &Resolver<'_>, id: FnId, def: &ast::Stmt, class: Option<&str>) {
        let (name, args, body, decorators) = match def {
            ast::Stmt::FunctionDef(f) => (&f.name, &*f.args, &f.body, &f.decorator_list),
            ast::Stmt::AsyncFunctionDef(f) => (&f.name, &*f.args, &f.body, &f.decorator_list),
            _ => return,
        };
        let mut walker = CallWalker {
            resolver,
            m: id.module,
            locals: HashMap::new(),
            calls: Vec::new(),
        };
        // Parameters: `self`/`cls` of a method, and annotated ones.
        let is_static = decorators.iter().any(|d| {
            matches!(
                resolver
                    .scopes
                    .resolve(resolver.program, id.module, d)
                    .external(),
                Some("builtins.staticmethod")
            )
        });
        for (k, p) in args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
            .enumerate()
        {
            let origin = if k == 0 && class.is_some() && !is_static {
                Some(Origin::Class(id.module, id.stmt))
            } else {
                p.def
                    .annotation
                    .as_deref()
                    .and_then(|a| resolver.annotation_origin(id.module, a))
            };
            if let Some(o) = origin {
                walker.locals.insert(p.def.arg.to_string(), o);
            }
        }
        for st in body {
            walker.visit_stmt(st.clone());
        }
        self.calls.insert(id, walker.calls);
        let qualname = match class {
            Some(c) => format!("{c}.{name}"),
            None => name.to_string(),
        };
        self.names.insert(id, qualname);
    }

    /// The function a module-level `def` statement defines, if it was
    /// indexed.
    pub(crate) fn function(&self, module: usize, stmt: usize) -> Option<FnId> {
        let id = FnId {
            module,
            stmt,
            method: None,
        };
        self.calls.contains_key(&id).then_some(id)
    }

    /// The function of the app an expression names (`get_db`,
    /// `models.load`, `Repo.find`), for callables passed around rather
    /// than called (`Depends(get_db)`): a function, a class's `__init__`,
    /// an instance's `__call__`.
    pub(crate) fn callable(
        program: &Program,
        scopes: &Scopes,
        m: usize,
        expr: &ast::Expr,
    ) -> Option<FnId> {
        let resolver = Resolver { program, scopes };
        match resolver.target(m, &HashMap::new(), expr, 0)? {
            Target::Local(id) => Some(id),
            Target::External(_) => None,
        }
    }

    /// [`callable`](Self::callable) for the name `name` in module `m`.
    pub(crate) fn named(program: &Program, scopes: &Scopes, m: usize, name: &str) -> Option<FnId> {
        let expr = ast::Expr::Name(ast::ExprName {
            range: Default::default(),
            id: name.into(),
            ctx: ast::ExprContext::Load,
        });
        CallIndex::callable(program, scopes, m, &expr)
    }

    /// The calls in a function's own body.
    pub(crate) fn calls_of(&self, f: FnId) -> &[Call] {
        self.calls.get(&f).map_or(&[], Vec::as_slice)
    }

    /// A function's name within its module (`load`, `Repo.get`).
    pub(crate) fn qualname(&self, f: FnId) -> &str {
        self.names.get(&f).map_or("", String::as_str)
    }

    /// Every outside call `root` makes, directly or through the app's
    /// functions it calls, nearest first; each function is followed once,
    /// at most [`MAX_DEPTH`] deep.
    pub(crate) fn reached(&self, root: FnId) -> Vec<ReachedCall> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([root]);
        let mut queue = VecDeque::from([(root, 0usize, None::<Span>, Vec::<String>::new())]);
        while let Some((f, depth, site, via)) = queue.pop_front() {
            for call in self.calls_of(f) {
                let site = site.unwrap_or(call.span);
                match &call.target {
                    Target::External(callee) => out.push(ReachedCall {
                        callee: callee.clone(),
                        span: call.span,
                        site,
                        via: via.clone(),
                    }),
                    Target::Local(g) => {
                        if depth < MAX_DEPTH && seen.insert(*g) {
                            let mut via = via.clone();
                            via.push(self.qualname(*g).to_string());
                            queue.push_back((*g, depth + 1, Some(site), via));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Resolves callees and objects in one module.
struct Resolver<'a> {
    program: &'a Program,
    scopes: &'a Scopes,
}

/// Guards the mutual recursion of module-level objects (`a = b()`).
const MAX_RESOLVE: usize = 8;

impl Resolver<'_> {
    /// The method `name` of the local class at `(m, class)`, looking
    /// through local base classes.
    fn method(&self, m: usize, class: usize, name: &str, depth: usize) -> Option<FnId> {
        let ast::Stmt::ClassDef(c) = self.program.modules.get(m)?.body.get(class)? else {
            return None;
        };
        for (j, st) in c.body.iter().enumerate() {
            let def_name = match st {
                ast::Stmt::FunctionDef(f) => f.name.as_str(),
                ast::Stmt::AsyncFunctionDef(f) => f.name.as_str(),
                _ => continue,
            };
            if def_name == name {
                return Some(FnId {
                    module: m,
                    stmt: class,
                    method: Some(j),
                });
            }
        }
        if depth >= MAX_RESOLVE {
            return None;
        }
        c.bases
            .iter()
            .find_map(|b| match self.scopes.resolve(self.program, m, b) {
                Resolved::Local {
                    module,
                    stmt,
                    kind: DefKind::Class,
                    ..
                } => self.method(module, stmt, name, depth + 1),
                _ => None,
            })
    }

    /// What calling an object of this origin calls.
    fn call_origin(&self, origin: &Origin) -> Option<Target> {
        match origin {
            Origin::External(name) => Some(Target::External(format!("{name}()"))),
            Origin::Class(m, c) => self.method(*m, *c, "__call__", 0).map(Target::Local),
        }
    }

    /// What `<object>.attr(...)` calls.
    fn method_of(&self, origin: &Origin, attr: &str) -> Option<Target> {
        match origin {
            Origin::External(name) => Some(Target::External(format!("{name}.{attr}"))),
            Origin::Class(m, c) => self.method(*m, *c, attr, 0).map(Target::Local),
        }
    }

    /// What a call of `func` in module `m` calls.
    fn target(
        &self,
        m: usize,
        locals: &HashMap<String, Origin>,
        func: &ast::Expr,
        depth: usize,
    ) -> Option<Target> {
        if depth > MAX_RESOLVE {
            return None;
        }
        match func {
            ast::Expr::Name(n) if locals.contains_key(n.id.as_str()) => {
                return self.call_origin(&locals[n.id.as_str()]);
            }
            ast::Expr::Attribute(a) => {
                let base = match a.value.as_ref() {
                    ast::Expr::Name(n) => locals.get(n.id.as_str()).cloned(),
                    ast::Expr::Call(inner) => self.made_by(m, locals, inner, depth + 1),
                    _ => None,
                };
                if let Some(origin) = base {
                    return self.method_of(&origin, a.attr.as_str());
                }
            }
            _ => {}
        }
        match self.scopes.resolve(self.program, m, func) {
            Resolved::External(q) if self.program.in_missing_local(&q) => None,
            Resolved::External(q) => Some(Target::External(q)),
            Resolved::Local {
                module, stmt, kind, ..
            } => match kind {
                DefKind::Function => Some(Target::Local(FnId {
                    module,
                    stmt,
                    method: None,
                })),
                DefKind::Class => self.method(module, stmt, "__init__", 0).map(Target::Local),
                DefKind::Assign => {
                    let origin = self.module_object(module, stmt, depth + 1)?;
                    self.call_origin(&origin)
                }
            },
            Resolved::LocalAttr { module, stmt, path } => {
                let origin = match self.program.modules[module].body.get(stmt)? {
                    ast::Stmt::ClassDef(_) => Origin::Class(module, stmt),
                    _ => self.module_object(module, stmt, depth + 1)?,
                };
                if path.contains('.') {
                    return None;
                }
                self.method_of(&origin, &path)
            }
            Resolved::LocalModule(_) | Resolved::Unresolved => None,
        }
    }

    /// The object a call makes: an instance of a local class, or an
    /// outside object named after the call.
    fn made_by(
        &self,
        m: usize,
        locals: &HashMap<String, Origin>,
        call: &ast::ExprCall,
        depth: usize,
    ) -> Option<Origin> {
        if let Resolved::Local {
            module,
            stmt,
            kind: DefKind::Class,
            ..
        } = self.scopes.resolve(self.program, m, &call.func)
        {
            return Some(Origin::Class(module, stmt));
        }
        match self.target(m, locals, &call.func, depth)? {
            Target::External(name) => Some(Origin::External(format!("{name}()"))),
            Target::Local(_) => None,
        }
    }

    /// The object a module-level `name = <call>` binds.
    fn module_object(&self, m: usize, stmt: usize, depth: usize) -> Option<Origin> {
        let value = match self.program.modules[m].body.get(stmt)? {
            ast::Stmt::Assign(a) => a.value.as_ref(),
            ast::Stmt::AnnAssign(a) => a.value.as_deref()?,
            _ => return None,
        };
        match value {
            ast::Expr::Call(call) => self.made_by(m, &HashMap::new(), call, depth),
            _ => None,
        }
    }

    /// The object a parameter annotated `ann` holds: an instance of the
    /// annotated class (`Annotated[T, ...]` and `T | None` looked through).
    fn annotation_origin(&self, m: usize, ann: &ast::Expr) -> Option<Origin> {
        match ann {
            ast::Expr::Subscript(s) => {
                let base = self.scopes.resolve(self.program, m, &s.value);
                match base.external() {
                    Some("typing.Annotated") => match s.slice.as_ref() {
                        ast::Expr::Tuple(t) => self.annotation_origin(m, t.elts.first()?),
                        other => self.annotation_origin(m, other),
                    },
                    Some("typing.Optional") => self.annotation_origin(m, &s.slice),
                    _ => None,
                }
            }
            ast::Expr::BinOp(b) if matches!(b.op, ast::Operator::BitOr) => {
                let is_none = |e: &ast::Expr| matches!(e, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::None));
                if is_none(&b.right) {
                    self.annotation_origin(m, &b.left)
                } else if is_none(&b.left) {
                    self.annotation_origin(m, &b.right)
                } else {
                    None
                }
            }
            ast::Expr::Name(_) | ast::Expr::Attribute(_) => {
                match self.scopes.resolve(self.program, m, ann) {
                    Resolved::External(q) if !q.starts_with("builtins.") => {
                        Some(Origin::External(format!("{q}()")))
                    }
                    Resolved::Local {
                        module,
                        stmt,
                        kind: DefKind::Class,
                        ..
                    } => Some(Origin::Class(module, stmt)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Records the calls of one function body, tracing the objects its local
/// names hold in source order (flow-insensitively after that).
struct CallWalker<'r, 'a> {
    resolver: &'r Resolver<'a>,
    m: usize,
    locals: HashMap<String, Origin>,
    calls: Vec<Call>,
}

impl CallWalker<'_, '_> {
    fn bind(&mut self, target: &ast::Expr, value: &ast::Expr) {
        let (ast::Expr::Name(n), ast::Expr::Call(call)) = (target, value) else {
            return;
        };
        match self.resolver.made_by(self.m, &self.locals, call, 0) {
            Some(origin) => {
                self.locals.insert(n.id.to_string(), origin);
            }
            None => {
                self.locals.remove(n.id.as_str());
            }
        }
    }
}

impl Visitor for CallWalker<'_, '_> {
    fn visit_stmt_function_def(&mut self, _: ast::StmtFunctionDef) {}
    fn visit_stmt_async_function_def(&mut self, _: ast::StmtAsyncFunctionDef) {}
    fn visit_stmt_class_def(&mut self, _: ast::StmtClassDef) {}
    fn visit_expr_lambda(&mut self, _: ast::ExprLambda) {}

    fn visit_stmt_assign(&mut self, node: ast::StmtAssign) {
        self.visit_expr((*node.value).clone());
        for t in &node.targets {
            self.bind(t, &node.value);
        }
    }

    fn visit_stmt_ann_assign(&mut self, node: ast::StmtAnnAssign) {
        if let Some(v) = &node.value {
            self.visit_expr((**v).clone());
            self.bind(&node.target, v);
        }
    }

    fn visit_stmt_with(&mut self, node: ast::StmtWith) {
        for item in &node.items {
            self.visit_expr(item.context_expr.clone());
            if let Some(var) = &item.optional_vars {
                self.bind(var, &item.context_expr);
            }
        }
        for st in node.body {
            self.visit_stmt(st);
        }
    }

    /// Records calls in the order they run: arguments and the callee's
    /// own calls (`a().b()`) before the call.
    fn visit_expr_call(&mut self, node: ast::ExprCall) {
        let target = self.resolver.target(self.m, &self.locals, &node.func, 0);
        let span = self.resolver.program.span(self.m, &node);
        self.generic_visit_expr_call(node);
        if let Some(target) = target {
            self.calls.push(Call { target, span });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Sink;
    use crate::frontend::SourceProvider;
    use crate::frontend::modules::load;

    struct Mem(&'static [(&'static str, &'static str)]);

    impl SourceProvider for Mem {
        fn read(&self, rel_path: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(p, _)| *p == rel_path)
                .map(|(_, t)| (*t).to_string())
        }
    }

    /// The outside calls the function `name` of `app.py` reaches, as
    /// `callee via a > b`.
    fn reached(files: &'static [(&'static str, &'static str)], name: &str) -> Vec<String> {
        let program = load(&Mem(files), "app.py", "", &mut Sink::new());
        let scopes = Scopes::build(&program);
        let index = CallIndex::build(&program, &scopes);
        let f = CallIndex::named(&program, &scopes, 0, name).expect("a function");
        index
            .reached(f)
            .into_iter()
            .map(|c| {
                if c.via.is_empty() {
                    c.callee
                } else {
                    format!("{} via {}", c.callee, c.via.join(" > "))
                }
            })
            .collect()
    }

    #[test]
    fn follows_functions_methods_and_objects() {
        const APP: &str = r#"
import sqlite3, time
from store import Repo, load
db = sqlite3.connect("x")
repo = Repo()

def helper():
    time.sleep(1)
    helper()

def handler(path: str):
    helper()
    db.execute("select 1").fetchone()
    with open(path) as f:
        f.read()
    repo.find()
    load()
"#;
        const STORE: &str = r#"
import subprocess
class Base:
    def run(self):
        return subprocess.check_output(["ls"])
class Repo(Base):
    def find(self):
        return self.run()
def load():
    return Repo().find()
"#;
        let got = reached(&[("app.py", APP), ("store.py", STORE)], "handler");
        assert_eq!(
            got,
            [
                "sqlite3.connect().execute",
                "sqlite3.connect().execute().fetchone",
                "builtins.open",
                "builtins.open().read",
                "time.sleep via helper",
                "subprocess.check_output via Repo.find > Base.run",
            ]
        );
    }

    #[test]
    fn annotated_parameters_name_their_objects() {
        const APP: &str = r#"
from typing import Annotated, Optional
from sqlalchemy.orm import Session
import redis

def handler(s: Annotated[Session, "dep"], r: redis.Redis | None, n: int):
    s.execute("x")
    r.get("k")
    n.bit_length()
"#;
        let got = reached(&[("app.py", APP)], "handler");
        assert_eq!(
            got,
            ["sqlalchemy.orm.Session().execute", "redis.Redis().get"]
        );
    }
}
