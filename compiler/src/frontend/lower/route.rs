//! Lowering route decorators (`@app.get("/path", status_code=201)`) into
//! [`Route`]s, and reporting (PB005) the route registrations the compiler
//! does not read.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::scope::Resolved;
use crate::ir::{HttpMethod, PoolReason, ResponseKind, Route, ValueKind};
use crate::source::Span;

/// The route decorator methods of `App`.
pub(super) fn decorator_methods(attr: &str) -> Option<Option<HttpMethod>> {
    Some(match attr {
        "get" => Some(HttpMethod::Get),
        "post" => Some(HttpMethod::Post),
        "put" => Some(HttpMethod::Put),
        "patch" => Some(HttpMethod::Patch),
        "delete" => Some(HttpMethod::Delete),
        "head" => Some(HttpMethod::Head),
        "options" => Some(HttpMethod::Options),
        "route" | "api_route" => None,
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
    pub(super) fn unread_routes(
        &mut self,
        m: usize,
        stmts: &[ast::Stmt],
        nested: bool,
        app: (usize, usize),
    ) {
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
    pub(super) fn route(
        &mut self,
        m: usize,
        stmt: &ast::Stmt,
        is_async: bool,
        call: &ast::ExprCall,
        method: Option<HttpMethod>,
        mount: &super::routers::Mount,
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
        let path = self.mounted_template(&mount.prefixes, &raw, path_value.span);

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
                "response_model_exclude_unset"
                | "response_model_exclude_defaults"
                | "response_model_exclude_none"
                | "response_model_by_alias" => {
                    let v = self.value(m, &kw.value);
                    if key == "response_model_by_alias" && matches!(v.kind, ValueKind::Bool(false))
                    {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB163,
                                v.span,
                                "route option `response_model_by_alias=False` is not supported",
                            )
                            .with_label("FastAPI's, not prebake's")
                            .with_note("the response uses each field's JSON name (msgspec's `rename`), as FastAPI's default `by_alias=True` does")
                            .with_help("remove `response_model_by_alias=False`"),
                        );
                    } else if !matches!(v.kind, ValueKind::Bool(_)) {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB018,
                                v.span,
                                format!("`{key}` must be True or False"),
                            )
                            .with_label(format!("found {}", v.type_name())),
                        );
                    }
                }
                "response_model_include" | "response_model_exclude" => {
                    let v = self.value(m, &kw.value);
                    let names = match &v.kind {
                        ValueKind::None => true,
                        ValueKind::List(items)
                        | ValueKind::Tuple(items)
                        | ValueKind::Set(items) => items.iter().all(|i| i.as_str().is_some()),
                        _ => false,
                    };
                    if !names {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB018,
                                v.span,
                                format!("`{key}` must be a set of field names"),
                            )
                            .with_label(format!("found {}", v.type_name()))
                            .with_note("prebake reads the top-level fields to keep or leave out; FastAPI's nested dict form is not supported"),
                        );
                    }
                }
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
                key if !ROUTE_KEYWORDS.contains(&key) => {
                    let help = format!("remove `{key}=`");
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB163,
                            self.program.span(m, kw),
                            format!("route option `{key}=` is not supported"),
                        )
                        .with_label("FastAPI's, not prebake's")
                        .with_note("the binary would fail to start with `TypeError: unexpected keyword argument`")
                        .with_help(help),
                    );
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

        // Route-level dependencies: the mount's (app, includes, routers),
        // then the decorator's.
        let mut markers = mount.deps.clone();
        if let Some(kw) = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("dependencies"))
        {
            markers.extend(self.dependency_list(m, &kw.value));
        }
        let dependencies = markers
            .iter()
            .filter_map(|marker| self.dependency(marker, &path))
            .collect();
        let response_model = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("response_model"))
            .map(|k| &k.value);
        let response_class = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("response_class"))
            .and_then(|k| self.response_class(m, &k.value));
        let handler = self.handler(m, stmt, is_async, &path, response_model, response_class);
        let mut tags = mount.tags.clone();
        for t in self.tags_keyword(m, call) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let keywords = call
            .keywords
            .iter()
            .filter_map(|k| Some((k.arg.as_deref()?.to_string(), self.value(m, &k.value))))
            .collect();
        let default_status = match &handler.response {
            ResponseKind::Empty => 204,
            // The class's own default, which the response it makes carries.
            ResponseKind::Wrap(class) if class == "prebake.RedirectResponse" => 307,
            _ => 200,
        };
        Some(Route {
            methods,
            path,
            status_code: status_code.unwrap_or(default_status),
            status_code_span,
            handler,
            decorator_span,
            sync_to_thread: None,
            on_pool: false,
            pool_reason: PoolReason::NoBlockingCall,
            dependency_calls: Vec::new(),
            raises: Vec::new(),
            dependencies,
            tags,
            keywords,
            docstring: docstring(stmt),
        })
    }
}

/// The function's docstring, dedented as `inspect.cleandoc` does.
fn docstring(stmt: &ast::Stmt) -> Option<String> {
    let body = match stmt {
        ast::Stmt::FunctionDef(f) => &f.body,
        ast::Stmt::AsyncFunctionDef(f) => &f.body,
        _ => return None,
    };
    let ast::Stmt::Expr(e) = body.first()? else {
        return None;
    };
    let ast::Expr::Constant(c) = e.value.as_ref() else {
        return None;
    };
    let ast::Constant::Str(text) = &c.value else {
        return None;
    };
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim().to_string();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = vec![first];
    out.extend(
        rest.iter()
            .map(|l| l.get(indent..).unwrap_or("").trim_end().to_string()),
    );
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    while out.first().is_some_and(String::is_empty) {
        out.remove(0);
    }
    Some(out.join("\n"))
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

/// The keywords of the route decorators (`prebake._routing.RouteOptions`,
/// with `methods` and FastAPI's `response_model`).
const ROUTE_KEYWORDS: &[&str] = &[
    "status_code",
    "name",
    "summary",
    "description",
    "tags",
    "dependencies",
    "deprecated",
    "operation_id",
    "include_in_schema",
    "sync_to_thread",
    "responses",
    "template",
    "methods",
    "response_model",
    "response_class",
    "response_description",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
];
