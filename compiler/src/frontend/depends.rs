//! Lowering `Depends(...)` and `Security(...)`: finding the marker on a
//! parameter (in `Annotated` metadata, through aliases defined in any of
//! the app's modules, or as the default), resolving the callable it names to
//! its definition, and binding the callable's own parameters by the handler
//! rules, recursively. Cycles, callables the compiler cannot see and
//! generators with more than one `yield` are reported here.

use rustpython_parser::ast::{self, Ranged};

use super::lower::Lowerer;
use super::scope::{DefKind, Resolved};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{DepKind, DepScope, Dependency, Param, PathTemplate, ValueKind};
use crate::source::Span;

/// The classes of `prebake.security` whose instances are dependencies that
/// take the request.
const SECURITY_CLASSES: &[&str] = &[
    "prebake.HTTPBearer",
    "prebake.HTTPBasic",
    "prebake.APIKeyHeader",
    "prebake.APIKeyCookie",
    "prebake.APIKeyQuery",
    "prebake.OAuth2PasswordBearer",
];

/// A `Depends(...)` call found on a parameter, with the module it is
/// written in (an alias may live in another module than the parameter).
#[derive(Clone)]
pub(crate) struct DependsMarker {
    pub(crate) module: usize,
    pub(crate) call: ast::ExprCall,
    /// The type in `Annotated[T, Depends()]`, with its module: the
    /// dependency when `Depends()` names none.
    pub(crate) annotated: Option<(usize, ast::Expr)>,
}

impl Lowerer<'_> {
    /// The `Depends(...)`/`Security(...)` marker of a parameter: in the
    /// metadata of its `Annotated` annotation (followed through aliases) or
    /// as its default value.
    pub(crate) fn depends_marker(
        &self,
        m: usize,
        annotation: Option<&ast::Expr>,
        default: Option<&ast::Expr>,
    ) -> Option<DependsMarker> {
        if let Some(ann) = annotation
            && let Some(found) = self.depends_in_annotation(m, ann, 0)
        {
            return Some(found);
        }
        let call = self.as_depends_call(m, default?)?;
        Some(DependsMarker {
            module: m,
            call,
            annotated: annotation.map(|a| (m, a.clone())),
        })
    }

    fn depends_in_annotation(
        &self,
        m: usize,
        ann: &ast::Expr,
        depth: usize,
    ) -> Option<DependsMarker> {
        if depth > 16 {
            return None;
        }
        match ann {
            ast::Expr::Subscript(sub)
                if self.scopes.resolve(self.program, m, &sub.value).external()
                    == Some("typing.Annotated") =>
            {
                let args: Vec<&ast::Expr> = match sub.slice.as_ref() {
                    ast::Expr::Tuple(t) => t.elts.iter().collect(),
                    other => vec![other],
                };
                let base = args.first().map(|b| (m, (*b).clone()));
                args.iter().skip(1).rev().find_map(|meta| {
                    self.as_depends_call(m, meta).map(|call| DependsMarker {
                        module: m,
                        call,
                        annotated: base.clone(),
                    })
                })
            }
            ast::Expr::Name(_) | ast::Expr::Attribute(_) => {
                // An alias: `CurrentUser = Annotated[User, Depends(get_user)]`
                // (or `type CurrentUser = ...`), in this or another module.
                let Resolved::Local {
                    module,
                    stmt,
                    kind: DefKind::Assign,
                    ..
                } = self.scopes.resolve(self.program, m, ann)
                else {
                    return None;
                };
                let value = match &self.program.modules[module].body[stmt] {
                    ast::Stmt::Assign(a) => a.value.as_ref(),
                    ast::Stmt::AnnAssign(a) => a.value.as_deref()?,
                    ast::Stmt::TypeAlias(t) => t.value.as_ref(),
                    _ => return None,
                };
                self.depends_in_annotation(module, value, depth + 1)
            }
            _ => None,
        }
    }

    /// `expr` if it is a call to `prebake.Depends` or `prebake.Security`.
    pub(crate) fn as_depends_call(&self, m: usize, expr: &ast::Expr) -> Option<ast::ExprCall> {
        let ast::Expr::Call(call) = expr else {
            return None;
        };
        match self.scopes.resolve(self.program, m, &call.func).external() {
            Some("prebake.Depends" | "prebake.Security") => Some(call.clone()),
            _ => None,
        }
    }

    /// Resolves a `Depends(...)` marker to its callable and binds the
    /// callable's parameters for a route whose path is `path`. `None` (with
    /// a diagnostic) when the callable cannot be followed.
    pub(crate) fn dependency(
        &mut self,
        marker: &DependsMarker,
        path: &PathTemplate,
    ) -> Option<Dependency> {
        let m = marker.module;
        let call = &marker.call;
        let span = self.program.span(m, call);
        let mut use_cache = true;
        let mut scope = DepScope::Request;
        let mut target: Option<(usize, ast::Expr)> = call.args.first().map(|a| (m, a.clone()));
        for kw in &call.keywords {
            match kw.arg.as_deref() {
                Some("dependency") => target = Some((m, kw.value.clone())),
                Some("use_cache") => {
                    let v = self.value(m, &kw.value);
                    match v.kind {
                        ValueKind::Bool(b) => use_cache = b,
                        _ => self.report_dep_literal(v.span, "use_cache", "True or False"),
                    }
                }
                Some("scope") => {
                    let v = self.value(m, &kw.value);
                    match v.as_str() {
                        Some("function") => scope = DepScope::Function,
                        Some("request") => scope = DepScope::Request,
                        _ => {
                            self.report_dep_literal(v.span, "scope", "\"function\" or \"request\"")
                        }
                    }
                }
                _ => {}
            }
        }
        // `Depends()` names no callable: the annotated type is the dependency.
        let target = match target {
            Some((tm, expr)) if !matches!(&expr, ast::Expr::Constant(c) if c.value.is_none()) => {
                (tm, expr)
            }
            _ => match &marker.annotated {
                Some(ann) => ann.clone(),
                None => {
                    self.sink.report(
                        Diagnostic::new(Code::PB071, span, "`Depends()` names no dependency")
                            .with_label("no callable and no annotated type")
                            .with_help("write `Depends(get_value)`, or annotate the parameter with the class to call"),
                    );
                    return None;
                }
            },
        };
        let (tm, expr) = target;
        let resolved = self.scopes.resolve(self.program, tm, &expr);
        let expr_span = self.program.span(tm, &expr);
        let Resolved::Local {
            module,
            stmt,
            kind,
            name,
        } = resolved.clone()
        else {
            // FastAPI's login form, known to the compiler.
            if let Resolved::External(q) = &resolved
                && let Some(dep) = self.password_form(q, span, use_cache, scope)
            {
                return Some(dep);
            }
            let what = match &resolved {
                Resolved::External(q) => format!("`{q}` is defined outside the app"),
                _ => format!(
                    "`{}` is not a name the compiler can follow",
                    self.text(expr_span)
                ),
            };
            self.sink.report(
                Diagnostic::new(Code::PB071, expr_span, format!("dependency {what}"))
                    .with_label("not a function, class or instance defined in the app's modules")
                    .with_note("prebake resolves every route's dependencies at build time, so it must read the callable's signature")
                    .with_help("wrap it in a function of your own: `def get_x(...) -> X: return x(...)`"),
            );
            return None;
        };
        if self.dep_stack.contains(&(module, stmt)) {
            let chain: Vec<String> = self
                .dep_stack
                .iter()
                .filter_map(|(dm, ds)| super::scope::def_name(&self.program.modules[*dm].body[*ds]))
                .chain(std::iter::once(name.clone()))
                .collect();
            self.sink.report(
                Diagnostic::new(
                    Code::PB070,
                    expr_span,
                    format!("dependency cycle: {}", chain.join(" -> ")),
                )
                .with_label(format!("`{name}` is already being solved"))
                .with_note("a dependency cannot depend on itself, directly or through others"),
            );
            return None;
        }
        self.dep_stack.push((module, stmt));
        let out = self.dependency_at(module, stmt, kind, &name, path, span, use_cache, scope);
        self.dep_stack.pop();
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn dependency_at(
        &mut self,
        module: usize,
        stmt: usize,
        kind: DefKind,
        name: &str,
        path: &PathTemplate,
        span: Span,
        use_cache: bool,
        scope: DepScope,
    ) -> Option<Dependency> {
        let node = self.program.modules[module].body[stmt].clone();
        let stmt_span = self.program.span(module, &node);
        let def_span = match kind {
            DefKind::Function => self.name_span(stmt_span, "def", name),
            DefKind::Class => self.name_span(stmt_span, "class", name),
            DefKind::Assign => Span::new(
                stmt_span.file,
                stmt_span.start,
                stmt_span.start + u32::try_from(name.len()).unwrap_or(0),
            ),
        };
        let mut dep = Dependency {
            module: self.program.modules[module].name.clone(),
            name: name.to_string(),
            kind: DepKind::Class,
            params: Vec::new(),
            use_cache,
            scope,
            span,
            def_span,
            calls: Vec::new(),
            method_calls: Vec::new(),
            security: None,
        };
        match (kind, &node) {
            (DefKind::Function, ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_)) => {
                let (args, body, is_async) = match &node {
                    ast::Stmt::FunctionDef(f) => (&*f.args, &f.body, false),
                    ast::Stmt::AsyncFunctionDef(f) => (&*f.args, &f.body, true),
                    _ => unreachable!("matched above"),
                };
                let facts = self.body_facts(module, body);
                if facts.yields.len() > 1 {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB072,
                            facts.yields[1],
                            format!("dependency `{name}` yields more than once"),
                        )
                        .with_label("second `yield`")
                        .with_secondary(facts.yields[0], "first `yield`")
                        .with_note("a `yield` dependency gives one value: the code before `yield` sets it up, the code after tears it down")
                        .with_help("keep one `yield`, inside `try`/`finally` if teardown must always run"),
                    );
                }
                dep.kind = DepKind::Function {
                    is_async,
                    generator: !facts.yields.is_empty(),
                };
                dep.calls = facts.calls;
                dep.method_calls = facts.method_calls;
                dep.params = self.callable_params(module, args, path, false, name);
            }
            (DefKind::Class, ast::Stmt::ClassDef(class)) => {
                dep.kind = DepKind::Class;
                dep.params = self.class_params(module, class, path);
            }
            (DefKind::Assign, ast::Stmt::Assign(_) | ast::Stmt::AnnAssign(_)) => {
                let value = match &node {
                    ast::Stmt::Assign(a) => Some(a.value.as_ref()),
                    ast::Stmt::AnnAssign(a) => a.value.as_deref(),
                    _ => None,
                };
                let Some(ast::Expr::Call(ctor)) = value else {
                    self.report_not_callable(span, name);
                    return None;
                };
                match self.scopes.resolve(self.program, module, &ctor.func) {
                    Resolved::External(q) if SECURITY_CLASSES.contains(&q.as_str()) => {
                        dep.kind = DepKind::Security;
                        dep.params = vec![self.request_param(def_span)];
                        // `OAuth2PasswordBearer("token")`: the token URL is
                        // its one positional parameter.
                        let positional = ctor
                            .args
                            .first()
                            .filter(|_| q.ends_with(".OAuth2PasswordBearer"))
                            .map(|a| ("tokenUrl".to_string(), self.value(module, a)));
                        let kwargs = positional
                            .into_iter()
                            .chain(ctor.keywords.iter().filter_map(|k| {
                                Some((k.arg.as_deref()?.to_string(), self.value(module, &k.value)))
                            }))
                            .collect();
                        dep.security = Some((q.clone(), kwargs));
                    }
                    Resolved::Local {
                        module: cm,
                        stmt: cs,
                        kind: DefKind::Class,
                        ..
                    } => {
                        let ast::Stmt::ClassDef(class) = self.program.modules[cm].body[cs].clone()
                        else {
                            self.report_not_callable(span, name);
                            return None;
                        };
                        let Some((args, is_async)) = method(&class, "__call__") else {
                            self.report_not_callable(span, name);
                            return None;
                        };
                        dep.kind = DepKind::Instance { is_async };
                        dep.params = self.callable_params(cm, &args, path, true, name);
                    }
                    _ => {
                        self.report_not_callable(span, name);
                        return None;
                    }
                }
            }
            _ => {
                self.report_not_callable(span, name);
                return None;
            }
        }
        Some(dep)
    }

    /// The parameters of a dependency's signature (`skip_self` for methods).
    fn callable_params(
        &mut self,
        m: usize,
        args: &ast::Arguments,
        path: &PathTemplate,
        skip_self: bool,
        owner: &str,
    ) -> Vec<Param> {
        self.report_star_args(m, args, &format!("dependency `{owner}`"));
        let positional = args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .skip(usize::from(skip_self));
        let mut params = Vec::new();
        for (p, kw_only) in positional
            .map(|p| (p, false))
            .chain(args.kwonlyargs.iter().map(|p| (p, true)))
        {
            params.push(self.param(m, p, kw_only, path));
        }
        params
    }

    /// A class dependency's parameters: its `__init__`'s, else (a
    /// dataclass or a plain class with annotated fields) its fields'.
    fn class_params(
        &mut self,
        m: usize,
        class: &ast::StmtClassDef,
        path: &PathTemplate,
    ) -> Vec<Param> {
        if let Some((args, _)) = method(class, "__init__") {
            return self.callable_params(m, &args, path, true, &class.name);
        }
        let mut params = Vec::new();
        for st in &class.body {
            let ast::Stmt::AnnAssign(a) = st else {
                continue;
            };
            let ast::Expr::Name(n) = a.target.as_ref() else {
                continue;
            };
            // `ClassVar` annotations are not fields.
            if let ast::Expr::Subscript(s) = a.annotation.as_ref()
                && self.scopes.resolve(self.program, m, &s.value).external()
                    == Some("typing.ClassVar")
            {
                continue;
            }
            let arg = ast::ArgWithDefault {
                range: Default::default(),
                def: ast::Arg {
                    range: a.target.range(),
                    arg: n.id.clone(),
                    annotation: Some(a.annotation.clone()),
                    type_comment: None,
                },
                default: a.value.clone(),
            };
            params.push(self.param(m, &arg, false, path));
        }
        params
    }

    fn report_not_callable(&mut self, span: Span, name: &str) {
        self.sink.report(
            Diagnostic::new(
                Code::PB071,
                span,
                format!("dependency `{name}` is not a callable the compiler can see"),
            )
            .with_label("not a function, a class, or an instance of a class with `__call__`")
            .with_note("an instance must be created at module level from a class of the app's modules or from `prebake.security`"),
        );
    }

    fn report_dep_literal(&mut self, span: Span, key: &str, expected: &str) {
        self.sink.report(
            Diagnostic::new(Code::PB018, span, format!("`{key}` must be {expected}"))
                .with_label("not a literal"),
        );
    }
}

/// A method of a class body: its arguments and whether it is `async def`.
fn method(class: &ast::StmtClassDef, name: &str) -> Option<(ast::Arguments, bool)> {
    class.body.iter().find_map(|st| match st {
        ast::Stmt::FunctionDef(f) if f.name.as_str() == name => Some(((*f.args).clone(), false)),
        ast::Stmt::AsyncFunctionDef(f) if f.name.as_str() == name => {
            Some(((*f.args).clone(), true))
        }
        _ => None,
    })
}

impl Lowerer<'_> {
    /// The markers of a `dependencies=[Depends(a), Depends(b)]` keyword,
    /// reporting anything else in the list.
    pub(crate) fn dependency_list(&mut self, m: usize, expr: &ast::Expr) -> Vec<DependsMarker> {
        let items: Vec<&ast::Expr> = match expr {
            ast::Expr::List(l) => l.elts.iter().collect(),
            ast::Expr::Tuple(t) => t.elts.iter().collect(),
            _ => {
                let span = self.program.span(m, expr);
                self.sink.report(
                    Diagnostic::new(
                        Code::PB018,
                        span,
                        "`dependencies` must be a list of `Depends(...)`",
                    )
                    .with_label("not a list literal"),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            match self.as_depends_call(m, item) {
                Some(call) => out.push(DependsMarker {
                    module: m,
                    call,
                    annotated: None,
                }),
                None => {
                    let span = self.program.span(m, item);
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB018,
                            span,
                            "`dependencies` holds `Depends(...)` calls",
                        )
                        .with_label("not a `Depends(...)` call"),
                    );
                }
            }
        }
        out
    }
}
