//! Binding a route's handler: the decorated function, its parameters (each
//! with its source: path, query, header, cookie or body), its return type
//! and what its body returns, awaits and calls.

use rustpython_ast::Visitor;
use rustpython_parser::ast::{self, Ranged};

use super::Lowerer;
use super::response_class::ResponseClass;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::scope::Resolved;
use crate::ir::{
    Handler, MethodCall, Param, ParamSource, PathTemplate, ResponseKind, ReturnSite, Ty, TyKind,
};
use crate::source::Span;

impl Lowerer<'_> {
    pub(super) fn handler(
        &mut self,
        m: usize,
        stmt: &ast::Stmt,
        is_async: bool,
        path: &PathTemplate,
        response_model: Option<&ast::Expr>,
        response_class: Option<super::response_class::ResponseClass>,
    ) -> Handler {
        let (name, args, returns, body) = match stmt {
            ast::Stmt::FunctionDef(f) => (f.name.as_str(), &*f.args, f.returns.as_deref(), &f.body),
            ast::Stmt::AsyncFunctionDef(f) => {
                (f.name.as_str(), &*f.args, f.returns.as_deref(), &f.body)
            }
            _ => unreachable!("handlers are functions"),
        };
        // FastAPI's `response_model=` is the declared response type, before
        // the return annotation (`None` turns it off, as in FastAPI).
        let response_model = response_model.filter(
            |e| !matches!(e, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::None)),
        );
        let converts = response_model.is_some();
        let returns = response_model.or(returns);
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

        self.report_star_args(m, args, &format!("handler `{name}`"));
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

        let (returns_ty, response) = match (returns, response_class) {
            // The class makes the response; an annotation, if any, is only
            // what the handler returns.
            (returns, Some(ResponseClass::Wrap(class))) => (
                returns.map(|expr| self.lower_type(m, expr)),
                ResponseKind::Wrap(class.to_string()),
            ),
            // A JSON class without an annotation: the class encodes
            // whatever it is given (or a returned response is sent), as
            // FastAPI does.
            (None, Some(ResponseClass::Json(class))) => {
                (None, ResponseKind::Wrap(class.to_string()))
            }
            (None, None) => {
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
            (Some(expr), _) => {
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

        let BodyFacts {
            returns: return_sites,
            awaits,
            calls,
            method_calls,
            ..
        } = self.body_facts(m, body);
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
            converts,
            return_sites,
            awaits,
            is_stub,
            calls,
            method_calls,
            reached_calls: Vec::new(),
            signature_span,
            name_span,
        }
    }

    /// Binds one parameter of a handler or a dependency to its source.
    pub(crate) fn param(
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
        // A dependency (`Annotated[T, Depends(f)]` or `= Depends(f)`): its
        // type is whatever the callable returns, passed through unchecked.
        if let Some(marker) =
            self.depends_marker(m, p.def.annotation.as_deref(), p.default.as_deref())
        {
            let marker_span = self.program.span(marker.module, &marker.call);
            let depends = self.dependency(&marker, path).map(Box::new);
            return Param {
                name: name.clone(),
                name_span,
                source: ParamSource::Depends,
                marker_span: Some(marker_span),
                wire_name: name,
                ty: Ty::new(TyKind::Unknown, name_span),
                convert_underscores: true,
                embed: false,
                annotated: true,
                default: None,
                kw_only,
                span,
                depends,
            };
        }
        // The per-request objects the server provides.
        if let Some(ann) = &p.def.annotation {
            let special = match self.scopes.resolve(self.program, m, ann).external() {
                Some("prebake.BackgroundTasks") => Some(ParamSource::Background),
                Some("prebake.Response") => Some(ParamSource::Temporal),
                _ => None,
            };
            if let Some(source) = special {
                return Param {
                    name: name.clone(),
                    name_span,
                    source,
                    marker_span: None,
                    wire_name: name,
                    ty: Ty::new(TyKind::Unknown, name_span),
                    convert_underscores: true,
                    embed: false,
                    annotated: true,
                    default: None,
                    kw_only,
                    span,
                    depends: None,
                };
            }
        }
        // FastAPI's `name: str = Query(...)` (any marker): the marker is the
        // default, and its first argument (or `default=`) the real default.
        let default_marker = match p.default.as_deref() {
            Some(d @ ast::Expr::Call(_)) => self.marker(m, d),
            _ => None,
        };
        let default = match (&default_marker, p.default.as_deref()) {
            (Some(_), Some(ast::Expr::Call(call))) => call
                .args
                .first()
                .or_else(|| {
                    call.keywords
                        .iter()
                        .find(|k| k.arg.as_deref() == Some("default"))
                        .map(|k| &k.value)
                })
                .filter(|e| {
                    !matches!(e, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::Ellipsis))
                })
                .map(|d| self.value(m, d)),
            _ => p.default.as_ref().map(|d| self.value(m, d)),
        };
        let (ty, marker, annotated) = match &p.def.annotation {
            Some(ann) => {
                let (ty, marker) = self.lower_param_annotation(m, ann);
                if let Some(mk) = &marker
                    && let Some(at) = mk.default
                {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB058,
                            at,
                            format!("a default inside `Annotated[...]` for `{name}`"),
                        )
                        .with_label("the marker's default")
                        .with_note("FastAPI refuses it too: a marker in `Annotated` describes the parameter, the default comes after `=`")
                        .with_help(format!("write `{name}: Annotated[..., Marker(...)] = <default>`")),
                    );
                }
                // FastAPI's `q: str = Query(max_length=50)`: the default
                // marker's constraints apply as an `Annotated` one's do.
                let ty = match (&marker, &default_marker) {
                    (None, Some(mk))
                        if !mk.constraints.is_empty() || mk.constraints.docs.is_set() =>
                    {
                        let span = ty.span;
                        match ty.kind {
                            TyKind::Constrained(base, mut existing) => {
                                existing.merge(&mk.constraints);
                                Ty::new(TyKind::Constrained(base, existing), span)
                            }
                            kind => Ty::new(
                                TyKind::Constrained(
                                    Box::new(Ty::new(kind, span)),
                                    Box::new(mk.constraints.clone()),
                                ),
                                span,
                            ),
                        }
                    }
                    _ => ty,
                };
                let marker = marker.or(default_marker);
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
        if let Some(mk) = &marker
            && mk.source == ParamSource::Path
            && !in_path
        {
            self.sink.report(
                Diagnostic::new(
                    Code::PB059,
                    mk.span,
                    format!("`{name}` is marked `Path()` but the path has no `{{{name}}}`"),
                )
                .with_label("a path parameter")
                .with_note("a path parameter takes its value from the placeholder of its name")
                .with_help(format!(
                    "add `{{{name}}}` to the route's path, or use `Query()`"
                )),
            );
        }
        let source = if matches!(ty.unconstrained().kind, TyKind::Request) {
            ParamSource::Request
        } else if let Some(marker) = &marker {
            marker.source
        } else if is_upload_type(&ty) {
            ParamSource::File
        } else if in_path {
            ParamSource::Path
        } else if self.is_body_type(&ty) {
            ParamSource::Body
        } else {
            ParamSource::Query
        };
        let alias = marker.as_ref().and_then(|mk| mk.alias.clone());
        let convert = marker.as_ref().is_none_or(|mk| mk.convert_underscores);
        let embed = marker.as_ref().is_some_and(|mk| mk.embed);
        let wire_name = alias.unwrap_or_else(|| match source {
            ParamSource::Header if convert => name.replace('_', "-"),
            _ => name.clone(),
        });
        Param {
            name,
            name_span,
            source,
            marker_span: marker.map(|mk| mk.span),
            wire_name,
            ty,
            convert_underscores: convert,
            embed,
            annotated,
            default,
            kw_only,
            span,
            depends: None,
        }
    }

    /// The `request: Request` parameter a security dependency takes.
    pub(crate) fn request_param(&self, span: Span) -> Param {
        Param {
            name: "request".to_string(),
            name_span: span,
            source: ParamSource::Request,
            marker_span: None,
            wire_name: "request".to_string(),
            ty: Ty::new(TyKind::Request, span),
            convert_underscores: true,
            embed: false,
            annotated: true,
            default: None,
            kw_only: false,
            span,
            depends: None,
        }
    }

    /// Reports (PB026) the `*args` and `**kwargs` of a handler or a
    /// dependency (`owner` says which, for the message).
    pub(crate) fn report_star_args(&mut self, m: usize, args: &ast::Arguments, owner: &str) {
        for (stars, extra) in [("*", &args.vararg), ("**", &args.kwarg)] {
            let Some(extra) = extra else { continue };
            let span = self.program.span(m, &**extra);
            self.sink.report(
                Diagnostic::new(
                    Code::PB026,
                    span,
                    format!("{owner} takes `{stars}{}`", extra.arg),
                )
                .with_label("not bound to any part of the request")
                .with_help("declare each parameter by name"),
            );
        }
    }

    /// What a function body does: its `return`s, whether it awaits, its
    /// calls and the `yield`s that make it a generator (nested functions
    /// left out).
    pub(crate) fn body_facts(&mut self, m: usize, body: &[ast::Stmt]) -> BodyFacts {
        let mut walker = BodyWalker {
            lw: self,
            m,
            returns: Vec::new(),
            awaits: false,
            calls: Vec::new(),
            method_calls: Vec::new(),
            awaited_call: None,
            yields: Vec::new(),
        };
        for st in body {
            walker.visit_stmt(st.clone());
        }
        BodyFacts {
            returns: walker.returns,
            awaits: walker.awaits,
            calls: walker.calls,
            method_calls: walker.method_calls,
            yields: walker.yields,
        }
    }

    /// docs/semantics.md: a model (not an enum), list, tuple, set or dict is the JSON body.
    fn is_body_type(&self, ty: &Ty) -> bool {
        match &ty.without_none().unconstrained().kind {
            TyKind::Model(id) => !self.models[id.0 as usize].is_enum(),
            TyKind::List(_)
            | TyKind::Set(_)
            | TyKind::FrozenSet(_)
            | TyKind::Tuple(_)
            | TyKind::VarTuple(_)
            | TyKind::Dict(_, _)
            | TyKind::Raw => true,
            TyKind::Union(members) => members.iter().any(|t| self.is_body_type(t)),
            _ => false,
        }
    }
}

/// Whether `ty` is `UploadFile`, a list of them, or either's `Optional`:
/// an uploaded file without a `File()` marker, as in FastAPI.
pub(crate) fn is_upload_type(ty: &Ty) -> bool {
    let ty = ty.without_none();
    match &ty.unconstrained().kind {
        TyKind::UploadFile => true,
        TyKind::List(item) => matches!(item.unconstrained().kind, TyKind::UploadFile),
        _ => false,
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
    method_calls: Vec<MethodCall>,
    /// Where the call directly under the `await` being walked starts.
    awaited_call: Option<u32>,
    yields: Vec<Span>,
}

/// What [`Lowerer::body_facts`] found.
pub(crate) struct BodyFacts {
    pub(crate) returns: Vec<ReturnSite>,
    pub(crate) awaits: bool,
    pub(crate) calls: Vec<(String, Span)>,
    pub(crate) method_calls: Vec<MethodCall>,
    pub(crate) yields: Vec<Span>,
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

    fn visit_expr_yield(&mut self, node: ast::ExprYield) {
        self.yields.push(self.lw.program.span(self.m, &node));
        if let Some(v) = node.value {
            self.visit_expr(*v);
        }
    }

    fn visit_expr_yield_from(&mut self, node: ast::ExprYieldFrom) {
        self.yields.push(self.lw.program.span(self.m, &node));
        self.visit_expr(*node.value);
    }

    fn visit_expr_await(&mut self, node: ast::ExprAwait) {
        self.awaits = true;
        if let ast::Expr::Call(call) = node.value.as_ref() {
            self.awaited_call = Some(call.range().start().to_u32());
        }
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
        if let ast::Expr::Attribute(attr) = node.func.as_ref()
            && let ast::Expr::Name(receiver) = attr.value.as_ref()
        {
            let start = node.range().start().to_u32();
            self.method_calls.push(MethodCall {
                receiver: receiver.id.to_string(),
                method: attr.attr.to_string(),
                awaited: self.awaited_call == Some(start),
                span: self.lw.program.span(self.m, &node),
            });
        }
        let resolved = self.lw.scopes.resolve(self.lw.program, self.m, &node.func);
        if !matches!(resolved, Resolved::Unresolved) {
            let span = self.lw.program.span(self.m, &node);
            self.calls.push((resolved.qualified(self.lw.program), span));
        }
        self.generic_visit_expr_call(node);
    }
}
