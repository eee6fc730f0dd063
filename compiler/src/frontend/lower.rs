//! Lowering the loaded modules into the [`Ir`]: the `App` object, its routes
//! and handlers, and (through [`super::types`] and [`super::models`]) every
//! type and model they reach.

use std::collections::HashMap;

use rustpython_ast::Visitor;
use rustpython_parser::ast::{self, Ranged};

use super::modules::Program;
use super::scope::{Resolved, Scopes};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{
    App, Converter, Handler, HttpMethod, Ir, Model, ModelId, Param, ParamSource, PathSegment,
    PathTemplate, ResponseKind, ReturnSite, Route, Ty, TyKind, ValueKind,
};
use crate::source::Span;

/// Lowering state: the program, its scopes, and the models found so far.
pub(crate) struct Lowerer<'a> {
    pub(crate) program: &'a Program,
    pub(crate) scopes: Scopes,
    pub(crate) sink: &'a mut Sink,
    pub(crate) models: Vec<Model>,
    /// Class statement to model id (`None`: the class is not a model).
    pub(crate) model_ids: HashMap<(usize, usize), Option<ModelId>>,
    /// Type aliases being expanded (cycle guard).
    pub(crate) alias_stack: Vec<(usize, usize)>,
}

impl Lowerer<'_> {
    /// The source text of a span.
    pub(crate) fn text(&self, span: Span) -> &str {
        self.program.db.file(span.file).slice(span)
    }
}

/// The route decorator methods of `App`.
fn decorator_methods(attr: &str) -> Option<Option<HttpMethod>> {
    Some(match attr {
        "get" => Some(HttpMethod::Get),
        "post" => Some(HttpMethod::Post),
        "put" => Some(HttpMethod::Put),
        "patch" => Some(HttpMethod::Patch),
        "delete" => Some(HttpMethod::Delete),
        "head" => Some(HttpMethod::Head),
        "options" => Some(HttpMethod::Options),
        "route" => None,
        _ => return None,
    })
}

/// Note and help of PB005 for a route decorator in a nested block.
const NESTED: (&str, &str) = (
    "routes are read from functions defined at module level; this one would exist under plain Python but not in the compiled server",
    "define the handler at module level",
);

/// Note and help of PB005 for `app.get("/x")(handler)`.
const CALL_FORM: (&str, &str) = (
    "routes are read from decorators; this one would exist under plain Python but not in the compiled server",
    "decorate the handler instead: `@app.get(\"/path\")` above its `def`",
);

/// Lowers a loaded program.
pub(crate) fn lower(program: &Program, sink: &mut Sink) -> Ir {
    let scopes = Scopes::build(program);
    let mut lw = Lowerer {
        program,
        scopes,
        sink,
        models: Vec::new(),
        model_ids: HashMap::new(),
        alias_stack: Vec::new(),
    };
    let mut ir = Ir::default();

    // The app object: `name = App(...)` in the entry module.
    let mut app_binding = None;
    for (i, stmt) in program
        .modules
        .first()
        .map(|m| m.body.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let (target, value) = match stmt {
            ast::Stmt::Assign(a) => match (a.targets.as_slice(), a.value.as_ref()) {
                ([ast::Expr::Name(n)], v) => (n.id.to_string(), v),
                _ => continue,
            },
            ast::Stmt::AnnAssign(a) => match (a.target.as_ref(), a.value.as_deref()) {
                (ast::Expr::Name(n), Some(v)) => (n.id.to_string(), v),
                _ => continue,
            },
            _ => continue,
        };
        let ast::Expr::Call(call) = value else {
            continue;
        };
        if lw.scopes.resolve(program, 0, &call.func).external() != Some("prebake.App") {
            continue;
        }
        if ir.app.is_some() {
            continue;
        }
        ir.app = Some(lw.app(0, &target, call, program.span(0, stmt)));
        app_binding = Some((0usize, i));
    }
    let Some((app_module, app_stmt)) = app_binding else {
        if !program.modules.is_empty() && !program.modules[0].body.is_empty() {
            let file = program.modules[0].file;
            lw.sink.report(
                Diagnostic::new(
                    Code::PB004,
                    Span::new(file, 0, 0),
                    "no `prebake.App` in the entry module",
                )
                .with_help("add `from prebake import App` and `app = App()` at module level"),
            );
        }
        ir.models = lw.models;
        return ir;
    };

    // Routes: functions in any module decorated with `@<app>.<method>(...)`.
    for m in 0..program.modules.len() {
        for stmt in &program.modules[m].body {
            let (decorators, is_async) = match stmt {
                ast::Stmt::FunctionDef(f) => (&f.decorator_list, false),
                ast::Stmt::AsyncFunctionDef(f) => (&f.decorator_list, true),
                _ => continue,
            };
            for dec in decorators {
                let ast::Expr::Call(call) = dec else { continue };
                let ast::Expr::Attribute(attr) = call.func.as_ref() else {
                    continue;
                };
                let Some(method) = decorator_methods(attr.attr.as_str()) else {
                    continue;
                };
                let target = lw.scopes.resolve(program, m, &attr.value);
                let is_app = matches!(target, Resolved::Local { module, stmt, .. } if module == app_module && stmt == app_stmt);
                if !is_app {
                    continue;
                }
                if let Some(route) = lw.route(m, stmt, is_async, call, method) {
                    ir.routes.push(route);
                }
            }
        }
        let body = &program.modules[m].body;
        lw.unread_routes(m, body, false, (app_module, app_stmt));
    }
    ir.models = lw.models;
    ir
}

impl Lowerer<'_> {
    fn report_unread(&mut self, span: Span, message: &str, (note, help): (&str, &str)) {
        self.sink.report(
            Diagnostic::new(Code::PB005, span, message)
                .with_label("prebake does not read this route")
                .with_note(note)
                .with_help(help),
        );
    }

    /// Whether `call` is `<app>.<method>(...)` for the app bound at `app`.
    fn is_route_call(&self, m: usize, call: &ast::ExprCall, app: (usize, usize)) -> bool {
        let ast::Expr::Attribute(attr) = call.func.as_ref() else {
            return false;
        };
        if decorator_methods(attr.attr.as_str()).is_none() {
            return false;
        }
        matches!(self.scopes.resolve(self.program, m, &attr.value),
            Resolved::Local { module, stmt, .. } if (module, stmt) == app)
    }

    /// Reports (PB005) routes the compiler does not read: route decorators on
    /// functions nested in a block, a class or a function, and the call form
    /// `app.get("/x")(handler)`. Such routes exist at run time (under plain
    /// CPython) but not in the compiled server.
    fn unread_routes(&mut self, m: usize, stmts: &[ast::Stmt], nested: bool, app: (usize, usize)) {
        for stmt in stmts {
            let inner: Vec<&[ast::Stmt]> = match stmt {
                ast::Stmt::FunctionDef(ast::StmtFunctionDef {
                    decorator_list,
                    body,
                    ..
                })
                | ast::Stmt::AsyncFunctionDef(ast::StmtAsyncFunctionDef {
                    decorator_list,
                    body,
                    ..
                }) => {
                    if nested {
                        for dec in decorator_list {
                            if let ast::Expr::Call(call) = dec
                                && self.is_route_call(m, call, app)
                            {
                                let span = self.program.span(m, dec);
                                self.report_unread(span, "route decorator inside a block", NESTED);
                            }
                        }
                    }
                    vec![body]
                }
                ast::Stmt::ClassDef(c) => vec![&c.body],
                ast::Stmt::If(s) => vec![&s.body, &s.orelse],
                ast::Stmt::For(s) => vec![&s.body, &s.orelse],
                ast::Stmt::AsyncFor(s) => vec![&s.body, &s.orelse],
                ast::Stmt::While(s) => vec![&s.body, &s.orelse],
                ast::Stmt::With(s) => vec![&s.body],
                ast::Stmt::AsyncWith(s) => vec![&s.body],
                ast::Stmt::Try(s) => {
                    let mut v: Vec<&[ast::Stmt]> = vec![&s.body, &s.orelse, &s.finalbody];
                    for h in &s.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        v.push(&h.body);
                    }
                    v
                }
                ast::Stmt::Expr(e) => {
                    if let ast::Expr::Call(outer) = e.value.as_ref()
                        && let ast::Expr::Call(call) = outer.func.as_ref()
                        && self.is_route_call(m, call, app)
                    {
                        let span = self.program.span(m, &*e.value);
                        self.report_unread(span, "route registered by a call", CALL_FORM);
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            };
            for body in inner {
                self.unread_routes(m, body, true, app);
            }
        }
    }

    fn app(&mut self, m: usize, var: &str, call: &ast::ExprCall, span: Span) -> App {
        let mut app = App {
            var_name: var.to_string(),
            module: self.program.modules[m].name.clone(),
            title: None,
            version: None,
            max_body_size: None,
            keywords: Vec::new(),
            span,
        };
        if let Some(first) = call.args.first() {
            app.title = self.value(m, first).as_str().map(str::to_string);
        }
        for kw in &call.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let v = self.value(m, &kw.value);
            match key {
                "title" => app.title = v.as_str().map(str::to_string),
                "version" => app.version = v.as_str().map(str::to_string),
                "max_body_size" => match v.as_int() {
                    Some(n) if n > 0 => app.max_body_size = u64::try_from(n).ok(),
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB029,
                            v.span,
                            "`max_body_size` must be a positive int literal",
                        )
                        .with_label(format!("found {}", v.type_name())),
                    ),
                },
                _ => {}
            }
            app.keywords.push((key.to_string(), v));
        }
        app
    }

    fn route(
        &mut self,
        m: usize,
        stmt: &ast::Stmt,
        is_async: bool,
        call: &ast::ExprCall,
        method: Option<HttpMethod>,
    ) -> Option<Route> {
        let decorator_span = self.program.span(m, call);
        // The path: first positional or `path=`.
        let path_expr = call.args.first().or_else(|| {
            call.keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some("path"))
                .map(|k| &k.value)
        });
        let Some(path_expr) = path_expr else {
            self.sink.report(
                Diagnostic::new(
                    Code::PB010,
                    decorator_span,
                    "route decorator without a path",
                )
                .with_help("pass the path template first: `@app.get(\"/items\")`"),
            );
            return None;
        };
        let path_value = self.value(m, path_expr);
        let Some(raw) = path_value.as_str().map(str::to_string) else {
            self.sink.report(
                Diagnostic::new(
                    Code::PB018,
                    path_value.span,
                    "route path must be a string literal",
                )
                .with_label("computed at run time")
                .with_note(
                    "the router is built before the program runs, so the path must be written out",
                ),
            );
            return None;
        };
        let path = self.path_template(&raw, path_value.span);

        let mut methods: Vec<HttpMethod> = method.into_iter().collect();
        let mut status_code = None;
        let mut status_code_span = None;
        for kw in &call.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let v = self.value(m, &kw.value);
            match key {
                "status_code" => match &v.kind {
                    ValueKind::Int(code) => {
                        status_code_span = Some(v.span);
                        if (100..=599).contains(code) {
                            status_code = Some(*code as u16);
                        } else {
                            self.sink.report(
                                Diagnostic::new(
                                    Code::PB017,
                                    v.span,
                                    format!("invalid status code {code}"),
                                )
                                .with_label("not between 100 and 599"),
                            );
                        }
                    }
                    ValueKind::None => {}
                    ValueKind::Name(n) if n.starts_with("http.HTTPStatus.") => {
                        status_code_span = Some(v.span);
                        status_code = http_status(n.trim_start_matches("http.HTTPStatus."));
                        if status_code.is_none() {
                            self.sink.report(
                                Diagnostic::new(
                                    Code::PB017,
                                    v.span,
                                    format!("unknown status `{n}`"),
                                )
                                .with_label("not an HTTPStatus member"),
                            );
                        }
                    }
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB018,
                            v.span,
                            "`status_code` must be an int literal",
                        )
                        .with_label(format!("found {}", v.type_name())),
                    ),
                },
                "methods" if method.is_none() => {
                    let items = match &v.kind {
                        ValueKind::List(items)
                        | ValueKind::Tuple(items)
                        | ValueKind::Set(items) => items.clone(),
                        ValueKind::Str(_) => vec![v.clone()],
                        _ => {
                            self.sink.report(
                                Diagnostic::new(
                                    Code::PB018,
                                    v.span,
                                    "`methods` must be a list of string literals",
                                )
                                .with_label(format!("found {}", v.type_name())),
                            );
                            Vec::new()
                        }
                    };
                    methods.clear();
                    for item in items {
                        match item.as_str().map(|s| (s, HttpMethod::parse(s))) {
                            Some((s, Some(hm))) if s == hm.as_str() => {
                                if !methods.contains(&hm) {
                                    methods.push(hm);
                                }
                            }
                            Some((s, Some(hm))) => {
                                self.sink.report(
                                    Diagnostic::new(
                                        Code::PB016,
                                        item.span,
                                        format!("HTTP method {s:?} must be upper case"),
                                    )
                                    .with_label("lower case")
                                    .with_help(format!("write \"{}\"", hm.as_str())),
                                );
                                methods.push(hm);
                            }
                            Some((s, None)) => self.sink.report(
                                Diagnostic::new(
                                    Code::PB016,
                                    item.span,
                                    format!("unknown HTTP method {s:?}"),
                                )
                                .with_label("not a method prebake serves")
                                .with_note(
                                    "methods are GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS",
                                ),
                            ),
                            None => self.sink.report(
                                Diagnostic::new(
                                    Code::PB018,
                                    item.span,
                                    "HTTP method must be a string literal",
                                )
                                .with_label(format!("found {}", item.type_name())),
                            ),
                        }
                    }
                }
                _ => {}
            }
        }
        if method.is_none()
            && methods.is_empty()
            && !call
                .keywords
                .iter()
                .any(|k| k.arg.as_deref() == Some("methods"))
        {
            methods.push(HttpMethod::Get);
        }

        let handler = self.handler(m, stmt, is_async, &path);
        let default_status = if matches!(handler.response, ResponseKind::Empty) {
            204
        } else {
            200
        };
        Some(Route {
            methods,
            path,
            status_code: status_code.unwrap_or(default_status),
            status_code_span,
            handler,
            decorator_span,
        })
    }

    /// Parses a path template. Reports PB010 for malformed templates and keeps
    /// what it can.
    fn path_template(&mut self, raw: &str, literal: Span) -> PathTemplate {
        let text = self.text(literal).to_string();
        // Offsets inside the literal map 1:1 only for a plain string without
        // escapes; otherwise point at the whole literal.
        let quote_len = if text.starts_with("\"\"\"") || text.starts_with("'''") {
            3
        } else {
            1
        };
        let plain = text.len() == raw.len() + 2 * quote_len && !text.contains('\\');
        let at = |from: usize, to: usize| -> Span {
            if plain {
                let base = literal.start + quote_len as u32;
                Span::new(literal.file, base + from as u32, base + to as u32)
            } else {
                literal
            }
        };
        let mut segments = Vec::new();
        if !raw.starts_with('/') {
            self.sink.report(
                Diagnostic::new(
                    Code::PB010,
                    literal,
                    format!("route path {raw:?} must start with `/`"),
                )
                .with_label("missing leading slash")
                .with_help(format!("write \"/{raw}\"")),
            );
        }
        let body = raw.strip_prefix('/').unwrap_or(raw);
        let mut offset = raw.len() - body.len();
        let count = body.split('/').count();
        for (i, seg) in body.split('/').enumerate() {
            let seg_span = at(offset, offset + seg.len());
            let start = offset;
            offset += seg.len() + 1;
            if raw == "/" {
                break;
            }
            if !seg.contains('{') && !seg.contains('}') {
                if seg.is_empty() && i + 1 < count {
                    self.sink.report(
                        Diagnostic::new(Code::PB010, seg_span, "empty path segment")
                            .with_label("`//` never matches a normalised request path"),
                    );
                }
                segments.push(PathSegment::Static(seg.to_string()));
                continue;
            }
            let inner = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            let Some(inner) = inner.filter(|s| !s.contains('{') && !s.contains('}')) else {
                self.sink.report(
                    Diagnostic::new(Code::PB010, seg_span, "a placeholder must be a whole path segment")
                        .with_label("mixed text and placeholder")
                        .with_note("write `/{name}` on its own segment; prebake does not match parts of segments"),
                );
                continue;
            };
            let (name, conv) = match inner.split_once(':') {
                Some((n, c)) => (n, Some(c)),
                None => (inner, None),
            };
            let name_span = at(start + 1, start + 1 + name.len());
            if !is_identifier(name) {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB010,
                        seg_span,
                        format!("placeholder name {name:?} is not a Python identifier"),
                    )
                    .with_label("invalid name"),
                );
                continue;
            }
            let conv_span = at(start + 2 + name.len(), start + 1 + inner.len());
            let mut converter = None;
            let catch_all = match conv {
                None => false,
                Some(c) if Converter::parse(c).is_some() => {
                    converter = Converter::parse(c).map(|c| (c, conv_span));
                    false
                }
                Some("path") => {
                    if i + 1 < count {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB010,
                                seg_span,
                                "`{name:path}` must be the last segment",
                            )
                            .with_label("captures the rest of the path"),
                        );
                    }
                    true
                }
                Some(other) => {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB010,
                            seg_span,
                            format!("unknown placeholder converter `{other}`"),
                        )
                        .with_label("not a known converter")
                        .with_note("known: `path` (the rest of the path), and the type converters `str`, `int`, `float`, `uuid`, `decimal`, `date`, `datetime`, `time`, `timedelta`")
                        .with_help(format!(
                            "write `{{{name}}}` and annotate the parameter with its type"
                        )),
                    );
                    false
                }
            };
            if segments
                .iter()
                .any(|s| matches!(s, PathSegment::Param { name: n, .. } if n == name))
            {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB010,
                        name_span,
                        format!("placeholder `{name}` appears twice"),
                    )
                    .with_label("second use"),
                );
                continue;
            }
            segments.push(PathSegment::Param {
                name: name.to_string(),
                catch_all,
                span: name_span,
                converter,
            });
        }
        PathTemplate {
            raw: raw.to_string(),
            segments,
            span: literal,
        }
    }

    fn handler(
        &mut self,
        m: usize,
        stmt: &ast::Stmt,
        is_async: bool,
        path: &PathTemplate,
    ) -> Handler {
        let (name, args, returns, body) = match stmt {
            ast::Stmt::FunctionDef(f) => (f.name.as_str(), &*f.args, f.returns.as_deref(), &f.body),
            ast::Stmt::AsyncFunctionDef(f) => {
                (f.name.as_str(), &*f.args, f.returns.as_deref(), &f.body)
            }
            _ => unreachable!("handlers are functions"),
        };
        let stmt_span = self.program.span(m, stmt);
        let keyword = "def";
        let name_span = self.name_span(stmt_span, keyword, name);
        let body_start = body
            .first()
            .map_or(stmt_span.end, |b| b.range().start().to_u32());
        let sig_text = self
            .text(Span::new(stmt_span.file, name_span.start, body_start))
            .to_string();
        let sig_end = sig_text
            .rfind(':')
            .map_or(body_start, |i| name_span.start + i as u32 + 1);
        let def_start = {
            let text = self
                .text(Span::new(stmt_span.file, stmt_span.start, name_span.start))
                .to_string();
            let kw = if is_async { "async def" } else { "def" };
            text.rfind(kw)
                .map_or(name_span.start, |i| stmt_span.start + i as u32)
        };
        let signature_span = Span::new(stmt_span.file, def_start, sig_end);

        for (stars, extra) in [("*", &args.vararg), ("**", &args.kwarg)] {
            let Some(extra) = extra else { continue };
            let span = self.program.span(m, &**extra);
            self.sink.report(
                Diagnostic::new(
                    Code::PB026,
                    span,
                    format!("handler `{name}` takes `{stars}{}`", extra.arg),
                )
                .with_label("not bound to any part of the request")
                .with_help("declare each parameter by name"),
            );
        }
        for p in &args.posonlyargs {
            let span = self.program.span(m, &p.def);
            self.sink.report(
                Diagnostic::new(
                    Code::PB026,
                    span,
                    "positional-only parameters are not supported",
                )
                .with_label("before `/`")
                .with_help("remove the `/` from the signature"),
            );
        }
        let mut params = Vec::new();
        for (p, kw_only) in args
            .args
            .iter()
            .map(|p| (p, false))
            .chain(args.kwonlyargs.iter().map(|p| (p, true)))
        {
            params.push(self.param(m, p, kw_only, path));
        }

        let (returns_ty, response) = match returns {
            None => {
                self.sink.report(
                    Diagnostic::new(Code::PB020, name_span, format!("handler `{name}` has no return annotation"))
                        .with_label("return type needed")
                        .with_note("the return annotation decides the response: its status, content type and encoder")
                        .with_help(format!("annotate it, e.g. `def {name}(...) -> dict[str, str]:`")),
                );
                (
                    None,
                    ResponseKind::Json(Ty::new(TyKind::Unknown, name_span)),
                )
            }
            Some(expr) => {
                let ty = self.lower_type(m, expr);
                let response = match ty.kind {
                    TyKind::Str => ResponseKind::Text,
                    TyKind::Bytes => ResponseKind::Bytes,
                    TyKind::None => ResponseKind::Empty,
                    TyKind::Response => ResponseKind::Raw,
                    _ => ResponseKind::Json(ty.clone()),
                };
                (Some(ty), response)
            }
        };

        let mut walker = BodyWalker {
            lw: self,
            m,
            returns: Vec::new(),
            awaits: false,
            calls: Vec::new(),
        };
        for st in body {
            walker.visit_stmt(st.clone());
        }
        let BodyWalker {
            returns: return_sites,
            awaits,
            calls,
            ..
        } = walker;
        let is_stub = body.iter().all(|st| match st {
            ast::Stmt::Pass(_) | ast::Stmt::Raise(_) => true,
            ast::Stmt::Expr(e) => matches!(
                e.value.as_ref(),
                ast::Expr::Constant(c)
                    if matches!(c.value, ast::Constant::Str(_) | ast::Constant::Ellipsis)
            ),
            _ => false,
        });

        Handler {
            name: name.to_string(),
            module: self.program.modules[m].name.clone(),
            is_async,
            params,
            returns: returns_ty,
            response,
            return_sites,
            awaits,
            is_stub,
            calls,
            signature_span,
            name_span,
        }
    }

    fn param(
        &mut self,
        m: usize,
        p: &ast::ArgWithDefault,
        kw_only: bool,
        path: &PathTemplate,
    ) -> Param {
        let name = p.def.arg.to_string();
        let arg_span = self.program.span(m, &p.def);
        let name_span = Span::new(
            arg_span.file,
            arg_span.start,
            arg_span.start + name.len() as u32,
        );
        let span = match &p.default {
            Some(d) => arg_span.cover(self.program.span(m, &**d)),
            None => arg_span,
        };
        let default = p.default.as_ref().map(|d| self.value(m, d));
        let (ty, marker, annotated) = match &p.def.annotation {
            Some(ann) => {
                let (ty, marker) = self.lower_param_annotation(m, ann);
                (ty, marker, true)
            }
            None => {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB020,
                        name_span,
                        format!("parameter `{name}` has no annotation"),
                    )
                    .with_label("type needed")
                    .with_note(
                        "the annotation decides where the value comes from and how it is converted",
                    )
                    .with_help(format!("annotate it, e.g. `{name}: str`")),
                );
                (Ty::new(TyKind::Unknown, name_span), None, false)
            }
        };
        let in_path = path.params().any(|(n, _, _)| n == name);
        let source = if matches!(ty.unconstrained().kind, TyKind::Request) {
            ParamSource::Request
        } else if let Some(marker) = &marker {
            marker.source
        } else if in_path {
            ParamSource::Path
        } else if self.is_body_type(&ty) {
            ParamSource::Body
        } else {
            ParamSource::Query
        };
        let alias = marker.as_ref().and_then(|mk| mk.alias.clone());
        let wire_name = alias.unwrap_or_else(|| match source {
            ParamSource::Header => name.replace('_', "-"),
            _ => name.clone(),
        });
        Param {
            name,
            name_span,
            source,
            marker_span: marker.map(|mk| mk.span),
            wire_name,
            ty,
            annotated,
            default,
            kw_only,
            span,
        }
    }

    /// SPEC §1: a model (not an enum), list, tuple, set or dict is the JSON body.
    fn is_body_type(&self, ty: &Ty) -> bool {
        match &ty.without_none().unconstrained().kind {
            TyKind::Model(id) => !self.models[id.0 as usize].is_enum(),
            TyKind::List(_)
            | TyKind::Set(_)
            | TyKind::FrozenSet(_)
            | TyKind::Tuple(_)
            | TyKind::VarTuple(_)
            | TyKind::Dict(_, _) => true,
            TyKind::Union(members) => members.iter().any(|t| self.is_body_type(t)),
            _ => false,
        }
    }
}

/// Collects `return`s, awaits and calls in a handler body, not descending into
/// nested functions or classes.
struct BodyWalker<'l, 'a> {
    lw: &'l mut Lowerer<'a>,
    m: usize,
    returns: Vec<ReturnSite>,
    awaits: bool,
    calls: Vec<(String, Span)>,
}

impl Visitor for BodyWalker<'_, '_> {
    fn visit_stmt_function_def(&mut self, _: ast::StmtFunctionDef) {}
    fn visit_stmt_async_function_def(&mut self, _: ast::StmtAsyncFunctionDef) {}
    fn visit_stmt_class_def(&mut self, _: ast::StmtClassDef) {}
    fn visit_expr_lambda(&mut self, _: ast::ExprLambda) {}

    fn visit_stmt_return(&mut self, node: ast::StmtReturn) {
        let span = self.lw.program.span(self.m, &node);
        let value = node.value.as_ref().map(|v| self.lw.value(self.m, v));
        self.returns.push(ReturnSite { value, span });
        if let Some(v) = node.value {
            self.visit_expr(*v);
        }
    }

    fn visit_expr_await(&mut self, node: ast::ExprAwait) {
        self.awaits = true;
        self.visit_expr(*node.value);
    }

    fn visit_stmt_async_for(&mut self, node: ast::StmtAsyncFor) {
        self.awaits = true;
        self.generic_visit_stmt_async_for(node);
    }

    fn visit_stmt_async_with(&mut self, node: ast::StmtAsyncWith) {
        self.awaits = true;
        self.generic_visit_stmt_async_with(node);
    }

    fn visit_expr_call(&mut self, node: ast::ExprCall) {
        let resolved = self.lw.scopes.resolve(self.lw.program, self.m, &node.func);
        if !matches!(resolved, Resolved::Unresolved) {
            let span = self.lw.program.span(self.m, &node);
            self.calls.push((resolved.qualified(self.lw.program), span));
        }
        self.generic_visit_expr_call(node);
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn http_status(name: &str) -> Option<u16> {
    Some(match name {
        "OK" => 200,
        "CREATED" => 201,
        "ACCEPTED" => 202,
        "NO_CONTENT" => 204,
        "MOVED_PERMANENTLY" => 301,
        "FOUND" => 302,
        "SEE_OTHER" => 303,
        "NOT_MODIFIED" => 304,
        "TEMPORARY_REDIRECT" => 307,
        "PERMANENT_REDIRECT" => 308,
        "BAD_REQUEST" => 400,
        "UNAUTHORIZED" => 401,
        "FORBIDDEN" => 403,
        "NOT_FOUND" => 404,
        "CONFLICT" => 409,
        "GONE" => 410,
        "UNPROCESSABLE_ENTITY" => 422,
        "INTERNAL_SERVER_ERROR" => 500,
        _ => return None,
    })
}
