//! The app's middleware: `app.add_middleware(Cls, ...)`,
//! `App(middleware=[Middleware(Cls, ...)])` and `@app.middleware("http")`,
//! read into one stack, outermost first, as Starlette builds it (the list
//! given to `App` in order, then each later `add_middleware` around all of
//! it).
//!
//! The built-in middleware must be configured by constants (PB100): its
//! settings are compiled into the binary. Python middleware is only placed;
//! PB103 says which routes pay for it.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::scope::{DefKind, Resolved};
use crate::ir::{
    Compress, Cors, DEFAULT_EXCLUDED_CONTENT_TYPES, MethodCall, Middleware, MiddlewareKind, Route,
    Value, ValueKind,
};
use crate::source::Span;

/// One middleware entry as written: the class expression, the keywords.
struct Entry<'a> {
    m: usize,
    class: &'a ast::Expr,
    extra_args: usize,
    keywords: &'a [ast::Keyword],
    span: Span,
    /// `@app.middleware("http")` on the function of this name.
    function: Option<String>,
    /// The function's method calls on its request parameter (PB032).
    request_calls: Vec<MethodCall>,
}

impl Lowerer<'_> {
    /// The middleware stack of the app bound at `app` and created by
    /// `app_call`, outermost first; `routes` for `exclude_paths` and PB103.
    pub(super) fn middleware(
        &mut self,
        app: (usize, usize),
        app_call: &ast::ExprCall,
        routes: &[Route],
    ) -> Vec<Middleware> {
        let program = self.program;
        let mut listed = Vec::new();
        if let Some(kw) = app_call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("middleware"))
        {
            let items = match &kw.value {
                ast::Expr::List(l) => Some(&l.elts),
                ast::Expr::Tuple(t) => Some(&t.elts),
                _ => None,
            };
            let Some(items) = items else {
                let span = program.span(app.0, &kw.value);
                self.sink.report(
                    Diagnostic::new(Code::PB100, span, "`middleware=` must be a list literal")
                        .with_help("write `middleware=[Middleware(CORSMiddleware, ...)]`"),
                );
                return Vec::new();
            };
            for item in items {
                let span = program.span(app.0, item);
                match item {
                    ast::Expr::Call(c)
                        if self.scopes.resolve(program, app.0, &c.func).external()
                            == Some("prebake.Middleware")
                            && !c.args.is_empty() =>
                    {
                        listed.push(Entry {
                            m: app.0,
                            class: &c.args[0],
                            extra_args: c.args.len() - 1,
                            keywords: &c.keywords,
                            span,
                            function: None,
                            request_calls: Vec::new(),
                        });
                    }
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB100,
                            span,
                            "an entry of `middleware=` must be `Middleware(Class, ...)`",
                        )
                        .with_label("not a `Middleware(...)` call"),
                    ),
                }
            }
        }
        // Added later, each around everything before it.
        let mut added: Vec<Entry<'_>> = Vec::new();
        let mut functions: Vec<(usize, Span, String, Option<String>)> = Vec::new();
        for m in 0..program.modules.len() {
            for stmt in &program.modules[m].body {
                match stmt {
                    ast::Stmt::Expr(e) => {
                        let ast::Expr::Call(call) = e.value.as_ref() else {
                            continue;
                        };
                        let ast::Expr::Attribute(attr) = call.func.as_ref() else {
                            continue;
                        };
                        if attr.attr.as_str() != "add_middleware"
                            || !self.is_app(m, &attr.value, app)
                        {
                            continue;
                        }
                        let span = program.span(m, call);
                        let Some(class) = call.args.first() else {
                            self.sink.report(Diagnostic::new(
                                Code::PB102,
                                span,
                                "`add_middleware` needs the middleware class",
                            ));
                            continue;
                        };
                        added.push(Entry {
                            m,
                            class,
                            extra_args: call.args.len() - 1,
                            keywords: &call.keywords,
                            span,
                            function: None,
                            request_calls: Vec::new(),
                        });
                    }
                    ast::Stmt::AsyncFunctionDef(f) => {
                        self.middleware_decorators(
                            m,
                            &f.decorator_list,
                            &f.name,
                            true,
                            app,
                            &mut added,
                            &mut functions,
                            stmt,
                        );
                    }
                    ast::Stmt::FunctionDef(f) => {
                        self.middleware_decorators(
                            m,
                            &f.decorator_list,
                            &f.name,
                            false,
                            app,
                            &mut added,
                            &mut functions,
                            stmt,
                        );
                    }
                    _ => {}
                }
            }
        }
        let mut stack = Vec::new();
        for e in added.iter().rev().chain(listed.iter()) {
            if let Some(kind) = self.middleware_entry(e, routes) {
                let request_calls = match (&kind, &e.function) {
                    (MiddlewareKind::Python { .. }, None) => self.dispatch_request_calls(e),
                    _ => e.request_calls.clone(),
                };
                stack.push(Middleware {
                    kind,
                    span: e.span,
                    request_calls,
                });
            }
        }
        for (m, span, name, problem) in functions {
            let _ = m;
            if let Some(problem) = problem {
                self.sink.report(
                    Diagnostic::new(Code::PB102, span, problem).with_label(format!("`{name}`")),
                );
            }
        }
        for mw in &stack {
            if let MiddlewareKind::Python { name } = &mw.kind {
                let n = routes.iter().map(|r| r.methods.len()).sum::<usize>();
                self.sink.report(
                    Diagnostic::new(
                        Code::PB103,
                        mw.span,
                        format!("Python middleware `{name}` runs on every route ({n})"),
                    )
                    .with_label("app-wide: every request passes through the interpreter here")
                    .with_note(
                        "routes answered in Rust (a CORS preflight outside it, a rejected host) do not pay for it",
                    ),
                );
            }
        }
        stack
    }

    /// Whether `expr` names the app bound at `app`.
    fn is_app(&self, m: usize, expr: &ast::Expr, app: (usize, usize)) -> bool {
        matches!(
            self.scopes.resolve(self.program, m, expr),
            Resolved::Local { module, stmt, kind: DefKind::Assign, .. } if (module, stmt) == app
        )
    }

    /// `@app.middleware("http")` on a function: a `BaseHTTPMiddleware`
    /// with `dispatch=` the function, added where it is defined.
    #[allow(clippy::too_many_arguments)]
    fn middleware_decorators<'s>(
        &mut self,
        m: usize,
        decorators: &'s [ast::Expr],
        name: &ast::Identifier,
        is_async: bool,
        app: (usize, usize),
        added: &mut Vec<Entry<'s>>,
        functions: &mut Vec<(usize, Span, String, Option<String>)>,
        stmt: &ast::Stmt,
    ) {
        for dec in decorators {
            let ast::Expr::Call(call) = dec else { continue };
            let ast::Expr::Attribute(attr) = call.func.as_ref() else {
                continue;
            };
            if attr.attr.as_str() != "middleware" || !self.is_app(m, &attr.value, app) {
                continue;
            }
            let span = self.program.span(m, dec);
            let kind = call.args.first().map(|a| self.value(m, a));
            let problem = match kind.as_ref().and_then(Value::as_str) {
                Some("http") if is_async => None,
                Some("http") => Some("a middleware function must be an `async def`".to_string()),
                _ => Some("`@app.middleware` takes `\"http\"`".to_string()),
            };
            if problem.is_none() {
                let request_calls = match stmt {
                    ast::Stmt::AsyncFunctionDef(f) => self.request_calls(m, f, 0),
                    _ => Vec::new(),
                };
                added.push(Entry {
                    m,
                    class: &attr.value,
                    extra_args: 0,
                    keywords: &[],
                    span,
                    function: Some(name.to_string()),
                    request_calls,
                });
            }
            functions.push((m, span, name.to_string(), problem));
        }
    }

    /// What one entry is; `None` after reporting why it cannot be run.
    fn middleware_entry(&mut self, e: &Entry<'_>, routes: &[Route]) -> Option<MiddlewareKind> {
        if let Some(name) = &e.function {
            return Some(MiddlewareKind::Python { name: name.clone() });
        }
        let resolved = self.scopes.resolve(self.program, e.m, e.class);
        let class_name = match &resolved {
            Resolved::External(q) => q.clone(),
            Resolved::Local {
                module,
                stmt,
                kind: DefKind::Class,
                name,
            } => {
                if self.subclasses_base_http(*module, *stmt) {
                    return self.python_class(e, name);
                }
                name.to_string()
            }
            other => other.qualified(self.program),
        };
        if e.extra_args > 0 {
            self.sink.report(
                Diagnostic::new(
                    Code::PB102,
                    e.span,
                    "pass a middleware's settings as keywords",
                )
                .with_help("write `add_middleware(Cls, name=value)`"),
            );
            return None;
        }
        let mut args = Args::read(self, e);
        let kind = match class_name.as_str() {
            "prebake.CORSMiddleware" => {
                let cors = Cors {
                    allow_origins: args.strings(self, "allow_origins", &[]),
                    allow_origin_regex: args.opt_string(self, "allow_origin_regex"),
                    allow_methods: args.strings(self, "allow_methods", &["GET"]),
                    allow_headers: args.strings(self, "allow_headers", &[]),
                    allow_credentials: args.bool(self, "allow_credentials", false),
                    expose_headers: args.strings(self, "expose_headers", &[]),
                    max_age: args.int(self, "max_age", 600, 0, i128::from(u32::MAX)) as u32,
                    allow_private_network: args.bool(self, "allow_private_network", false),
                };
                if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB101,
                            e.span,
                            "credentials allowed from any origin",
                        )
                        .with_label("`allow_credentials=True` with `allow_origins=[\"*\"]`")
                        .with_note("browsers refuse `Access-Control-Allow-Origin: *` on credentialed requests, so Starlette echoes the caller's origin instead: any site could then read responses with the user's cookies")
                        .with_help("list the trusted origins, or set `allow_origin_regex`"),
                    );
                }
                if let Some(re) = &cors.allow_origin_regex
                    && let Err(err) = regex_lite::Regex::new(re)
                {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB102,
                            args.span_of("allow_origin_regex").unwrap_or(e.span),
                            "`allow_origin_regex` is not a regular expression the server can run",
                        )
                        .with_label(err.to_string().lines().last().unwrap_or("").to_string()),
                    );
                }
                MiddlewareKind::Cors(cors)
            }
            "prebake.GZipMiddleware" => {
                let minimum_size =
                    args.int(self, "minimum_size", 500, 0, i128::from(u32::MAX)) as u32;
                let gzip_level = args.int(self, "compresslevel", 9, 0, 9) as u32;
                // Starlette compresses big bodies on a worker thread; here
                // compression is always inline, so the setting is read and
                // has no effect.
                let _ = args.int(self, "thread_minimum_size", 0, 0, i128::MAX);
                let exclude_paths = args.paths(self, "exclude_paths");
                let exclude_content_types = args.content_types(self);
                MiddlewareKind::Compress(Compress {
                    gzip_only: true,
                    minimum_size,
                    gzip_level,
                    brotli_quality: 4,
                    zstd_level: 3,
                    encodings: vec!["gzip".into()],
                    exclude_routes: excluded(routes, &exclude_paths),
                    exclude_paths,
                    exclude_content_types,
                })
            }
            "prebake.CompressionMiddleware" => {
                let minimum_size =
                    args.int(self, "minimum_size", 500, 0, i128::from(u32::MAX)) as u32;
                let gzip_level = args.int(self, "gzip_level", 6, 0, 9) as u32;
                let brotli_quality = args.int(self, "brotli_quality", 4, 0, 11) as u32;
                let zstd_level = args.int(self, "zstd_level", 3, 1, 22) as i32;
                let encodings = args.strings(self, "encodings", &["zstd", "br", "gzip"]);
                if let Some(bad) = encodings
                    .iter()
                    .find(|e| !matches!(e.as_str(), "zstd" | "br" | "gzip"))
                {
                    let span = args.span_of("encodings").unwrap_or(e.span);
                    self.sink.report(
                        Diagnostic::new(Code::PB102, span, format!("unknown encoding `{bad}`"))
                            .with_help("choose from \"zstd\", \"br\" and \"gzip\""),
                    );
                }
                let exclude_paths = args.paths(self, "exclude_paths");
                let exclude_content_types = args.content_types(self);
                MiddlewareKind::Compress(Compress {
                    gzip_only: false,
                    minimum_size,
                    gzip_level,
                    brotli_quality,
                    zstd_level,
                    encodings,
                    exclude_routes: excluded(routes, &exclude_paths),
                    exclude_paths,
                    exclude_content_types,
                })
            }
            "prebake.TrustedHostMiddleware" => {
                let allowed_hosts: Vec<String> = args
                    .strings(self, "allowed_hosts", &["*"])
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect();
                for h in &allowed_hosts {
                    if (h.len() > 1 && h[1..].contains('*'))
                        || (h.starts_with('*') && h != "*" && !h.starts_with("*."))
                    {
                        let span = args.span_of("allowed_hosts").unwrap_or(e.span);
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB102,
                                span,
                                format!("host pattern `{h}` is not a domain wildcard"),
                            )
                            .with_help("domain wildcard patterns must be like '*.example.com'"),
                        );
                    }
                }
                MiddlewareKind::TrustedHost {
                    allowed_hosts,
                    www_redirect: args.bool(self, "www_redirect", true),
                }
            }
            "prebake.HTTPSRedirectMiddleware" => MiddlewareKind::HttpsRedirect,
            "prebake.BaseHTTPMiddleware" => {
                let Some(dispatch) = args.raw("dispatch").cloned() else {
                    self.sink.report(
                        Diagnostic::new(Code::PB102, e.span, "`BaseHTTPMiddleware` needs `dispatch=`")
                            .with_help("subclass it and define `dispatch`, or pass `dispatch=an_async_function`"),
                    );
                    return None;
                };
                args.done.push("dispatch".into());
                let name = match self.scopes.resolve(self.program, e.m, &dispatch) {
                    Resolved::Local {
                        name,
                        kind: DefKind::Function,
                        ..
                    } => name,
                    _ => self.text(self.program.span(e.m, &dispatch)).to_string(),
                };
                MiddlewareKind::Python { name }
            }
            _ => {
                let short = class_name
                    .rsplit('.')
                    .next()
                    .unwrap_or(&class_name)
                    .to_string();
                self.sink.report(
                    Diagnostic::new(
                        Code::PB104,
                        self.program.span(e.m, e.class),
                        format!("`{short}` is not a middleware prebake can run"),
                    )
                    .with_label("not built in and not a `BaseHTTPMiddleware` subclass")
                    .with_help("use the built-in middleware from `prebake.middleware`, or write it as a `BaseHTTPMiddleware` subclass or an `@app.middleware(\"http\")` function"),
                );
                return None;
            }
        };
        args.unknown(self);
        Some(kind)
    }

    /// The method calls on the request parameter of the `dispatch` a local
    /// `BaseHTTPMiddleware` subclass defines itself (PB032).
    fn dispatch_request_calls(&mut self, e: &Entry<'_>) -> Vec<MethodCall> {
        let Resolved::Local {
            module,
            stmt,
            kind: DefKind::Class,
            ..
        } = self.scopes.resolve(self.program, e.m, e.class)
        else {
            return Vec::new();
        };
        let Some(ast::Stmt::ClassDef(class)) = self.program.modules[module].body.get(stmt) else {
            return Vec::new();
        };
        let Some(dispatch) = class.body.iter().find_map(|st| match st {
            ast::Stmt::AsyncFunctionDef(f) if f.name.as_str() == "dispatch" => Some(f.clone()),
            _ => None,
        }) else {
            return Vec::new();
        };
        // `dispatch(self, request, call_next)`.
        self.request_calls(module, &dispatch, 1)
    }

    /// The method calls in `f`'s body on its parameter at `index` (the
    /// request).
    fn request_calls(
        &mut self,
        m: usize,
        f: &ast::StmtAsyncFunctionDef,
        index: usize,
    ) -> Vec<MethodCall> {
        let Some(request) = f.args.args.get(index).map(|a| a.def.arg.to_string()) else {
            return Vec::new();
        };
        let calls = self.body_facts(m, &f.body).method_calls;
        calls
            .into_iter()
            .filter(|c| c.receiver == request)
            .collect()
    }

    /// A local `BaseHTTPMiddleware` subclass: its keywords go to its
    /// `__init__` at start-up, unread here.
    fn python_class(&mut self, _e: &Entry<'_>, name: &str) -> Option<MiddlewareKind> {
        Some(MiddlewareKind::Python {
            name: name.to_string(),
        })
    }

    /// Whether the class at (`m`, `stmt`) derives from `BaseHTTPMiddleware`,
    /// directly or through local classes.
    fn subclasses_base_http(&self, m: usize, stmt: usize) -> bool {
        let mut todo = vec![(m, stmt)];
        let mut seen = Vec::new();
        while let Some((m, s)) = todo.pop() {
            if seen.contains(&(m, s)) {
                continue;
            }
            seen.push((m, s));
            let Some(ast::Stmt::ClassDef(c)) = self.program.modules[m].body.get(s) else {
                continue;
            };
            for base in &c.bases {
                match self.scopes.resolve(self.program, m, base) {
                    Resolved::External(q) if q == "prebake.BaseHTTPMiddleware" => return true,
                    Resolved::Local {
                        module,
                        stmt,
                        kind: DefKind::Class,
                        ..
                    } => {
                        todo.push((module, stmt));
                    }
                    _ => {}
                }
            }
        }
        false
    }
}

impl Lowerer<'_> {
    /// A module-level `NAME = [...]` (or a tuple) named by `expr`: its
    /// value, so settings may be kept in a constant list.
    fn constant_sequence(&self, m: usize, expr: &ast::Expr) -> Option<Value> {
        let Resolved::Local {
            module,
            stmt,
            kind: DefKind::Assign,
            ..
        } = self.scopes.resolve(self.program, m, expr)
        else {
            return None;
        };
        let value = match &self.program.modules[module].body[stmt] {
            ast::Stmt::Assign(a) if a.targets.len() == 1 => a.value.as_ref(),
            ast::Stmt::AnnAssign(a) => a.value.as_deref()?,
            _ => return None,
        };
        let v = self.value(module, value);
        matches!(v.kind, ValueKind::List(_) | ValueKind::Tuple(_)).then_some(v)
    }
}

/// The route indices whose templates `paths` name.
fn excluded(routes: &[Route], paths: &[(String, Span)]) -> Vec<usize> {
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| paths.iter().any(|(p, _)| *p == r.path.raw))
        .map(|(i, _)| i)
        .collect()
}

/// A middleware's keywords, read once each; what is left is unknown.
struct Args {
    values: Vec<(String, Value, Span)>,
    raw: Vec<(String, ast::Expr)>,
    done: Vec<String>,
    class_span: Span,
}

impl Args {
    fn read(lw: &Lowerer<'_>, e: &Entry<'_>) -> Args {
        let mut values = Vec::new();
        let mut raw = Vec::new();
        for kw in e.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let span = lw.program.span(e.m, &kw.value);
            let mut value = lw.value(e.m, &kw.value);
            if let Some(list) = lw.constant_sequence(e.m, &kw.value) {
                value = Value::new(list.kind, span);
            }
            values.push((key.to_string(), value, span));
            raw.push((key.to_string(), kw.value.clone()));
        }
        Args {
            values,
            raw,
            done: Vec::new(),
            class_span: e.span,
        }
    }

    fn raw(&self, key: &str) -> Option<&ast::Expr> {
        self.raw.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }

    fn span_of(&self, key: &str) -> Option<Span> {
        self.values
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(.., s)| *s)
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.done.push(key.to_string());
        self.values
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, v, _)| v.clone())
    }

    fn not_constant(lw: &mut Lowerer<'_>, key: &str, v: &Value) {
        lw.sink.report(
            Diagnostic::new(
                Code::PB100,
                v.span,
                format!("`{key}=` must be a constant the compiler can read"),
            )
            .with_label("computed when the module runs")
            .with_note(
                "the built-in middleware is configured at build time and compiled into the binary",
            )
            .with_help("write a literal, or a module-level constant"),
        );
    }

    fn wrong(lw: &mut Lowerer<'_>, key: &str, v: &Value, want: &str) {
        if matches!(
            v.kind,
            ValueKind::Other(_) | ValueKind::Call { .. } | ValueKind::Name(_)
        ) {
            Args::not_constant(lw, key, v);
            return;
        }
        lw.sink.report(
            Diagnostic::new(Code::PB102, v.span, format!("`{key}=` must be {want}"))
                .with_label(format!("found {}", v.type_name())),
        );
    }

    fn strings(&mut self, lw: &mut Lowerer<'_>, key: &str, default: &[&str]) -> Vec<String> {
        let Some(v) = self.take(key) else {
            return default.iter().map(|s| (*s).to_string()).collect();
        };
        let items = match &v.kind {
            ValueKind::List(items) | ValueKind::Tuple(items) | ValueKind::Set(items) => items,
            _ => {
                Args::wrong(lw, key, &v, "a list of strings");
                return default.iter().map(|s| (*s).to_string()).collect();
            }
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => Args::wrong(lw, key, item, "a list of strings"),
            }
        }
        out
    }

    /// `exclude_content_types`, lowercased without parameters (Starlette's
    /// list when not given).
    fn content_types(&mut self, lw: &mut Lowerer<'_>) -> Vec<String> {
        self.strings(lw, "exclude_content_types", DEFAULT_EXCLUDED_CONTENT_TYPES)
            .iter()
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .collect()
    }

    fn paths(&mut self, lw: &mut Lowerer<'_>, key: &str) -> Vec<(String, Span)> {
        let span = self.span_of(key);
        let strings = self.strings(lw, key, &[]);
        let span = span.unwrap_or(self.class_span);
        strings.into_iter().map(|s| (s, span)).collect()
    }

    fn opt_string(&mut self, lw: &mut Lowerer<'_>, key: &str) -> Option<String> {
        let v = self.take(key)?;
        match &v.kind {
            ValueKind::None => None,
            ValueKind::Str(s) => Some(s.clone()),
            _ => {
                Args::wrong(lw, key, &v, "a string or `None`");
                None
            }
        }
    }

    fn bool(&mut self, lw: &mut Lowerer<'_>, key: &str, default: bool) -> bool {
        let Some(v) = self.take(key) else {
            return default;
        };
        match v.as_bool() {
            Some(b) => b,
            None => {
                Args::wrong(lw, key, &v, "`True` or `False`");
                default
            }
        }
    }

    fn int(
        &mut self,
        lw: &mut Lowerer<'_>,
        key: &str,
        default: i128,
        min: i128,
        max: i128,
    ) -> i128 {
        let Some(v) = self.take(key) else {
            return default;
        };
        match v.as_int() {
            Some(n) if (min..=max).contains(&n) => n,
            Some(_) => {
                lw.sink.report(
                    Diagnostic::new(
                        Code::PB102,
                        v.span,
                        format!("`{key}=` must be between {min} and {max}"),
                    )
                    .with_label("out of range"),
                );
                default
            }
            None => {
                Args::wrong(lw, key, &v, "an int");
                default
            }
        }
    }

    /// Reports every keyword no setting read.
    fn unknown(&self, lw: &mut Lowerer<'_>) {
        for (key, _, span) in &self.values {
            if !self.done.iter().any(|d| d == key) {
                lw.sink.report(
                    Diagnostic::new(
                        Code::PB102,
                        *span,
                        format!("unknown middleware argument `{key}`"),
                    )
                    .with_label("not a setting of this middleware"),
                );
            }
        }
    }
}
