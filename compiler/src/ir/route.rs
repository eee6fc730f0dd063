//! The app object, its routes, handlers and parameters.

use std::fmt;

use super::{Constraints, PoolReason, ReachedCall, Ty, Value};
use crate::source::Span;

/// The `App(...)` call.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    /// The variable it is bound to (`app`).
    pub var_name: String,
    /// The module that creates it.
    pub module: String,
    /// `title=`.
    pub title: Option<String>,
    /// `version=`.
    pub version: Option<String>,
    /// `description=`.
    pub description: Option<String>,
    /// `max_body_size=` in bytes.
    pub max_body_size: Option<u64>,
    /// Every keyword as written.
    pub keywords: Vec<(String, Value)>,
    /// The assignment statement.
    pub span: Span,
}

/// An HTTP method a route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    /// GET (HEAD is served for it too).
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// HEAD (explicit).
    Head,
    /// OPTIONS.
    Options,
}

impl HttpMethod {
    /// Every method, in the order `Allow` lists them.
    pub const ALL: [HttpMethod; 7] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
        HttpMethod::Options,
    ];

    /// The upper-case method name.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
        }
    }

    /// Parses an upper- or lower-case method name.
    pub fn parse(s: &str) -> Option<HttpMethod> {
        HttpMethod::ALL
            .iter()
            .copied()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether requests of this method conventionally carry a body.
    pub fn has_body(self) -> bool {
        matches!(self, HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A route path template split into segments.
#[derive(Clone, Debug, PartialEq)]
pub struct PathTemplate {
    /// The template as written (`/users/{user_id}`).
    pub raw: String,
    /// The segments after the leading `/`.
    pub segments: Vec<PathSegment>,
    /// The string literal in the decorator (quotes included).
    pub span: Span,
}

impl PathTemplate {
    /// Whether the template has no parameters.
    pub fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, PathSegment::Static(_)))
    }

    /// The parameter segments, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, bool, Span)> {
        self.segments.iter().filter_map(|s| match s {
            PathSegment::Param {
                name,
                catch_all,
                span,
                ..
            } => Some((name.as_str(), *catch_all, *span)),
            PathSegment::Static(_) => None,
        })
    }

    /// The shape used to compare routes: parameters become `{}`.
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                PathSegment::Static(text) => out.push_str(text),
                PathSegment::Param {
                    catch_all: false, ..
                } => out.push_str("{}"),
                PathSegment::Param {
                    catch_all: true, ..
                } => out.push_str("{*}"),
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }
}

/// One `/`-separated piece of a path template.
#[derive(Clone, Debug, PartialEq)]
pub enum PathSegment {
    /// A literal segment (may be empty for a trailing `/`).
    Static(String),
    /// `{name}`, `{name:path}` or `{name:int}` (a type converter).
    Param {
        /// The placeholder's name.
        name: String,
        /// `{name:path}`: captures the rest of the path, slashes included.
        catch_all: bool,
        /// The placeholder inside the string literal.
        span: Span,
        /// A type converter as Litestar and Starlette write them
        /// (`{name:int}`): it must agree with the parameter's annotation,
        /// which decides the conversion.
        converter: Option<(Converter, Span)>,
    },
}

/// The type converters a placeholder may name (`{id:int}`), as Litestar
/// and Starlette spell them; `path` is the catch-all, not one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converter {
    Str,
    Int,
    Float,
    Uuid,
    Decimal,
    Date,
    DateTime,
    Time,
    TimeDelta,
}

impl Converter {
    /// The converter named `name` (`int`, `uuid`...).
    pub fn parse(name: &str) -> Option<Converter> {
        Some(match name {
            "str" => Converter::Str,
            "int" => Converter::Int,
            "float" => Converter::Float,
            "uuid" => Converter::Uuid,
            "decimal" => Converter::Decimal,
            "date" => Converter::Date,
            "datetime" => Converter::DateTime,
            "time" => Converter::Time,
            "timedelta" => Converter::TimeDelta,
            _ => return None,
        })
    }

    /// The annotation it stands for (`int`, `UUID`...).
    pub fn annotation(self) -> &'static str {
        match self {
            Converter::Str => "str",
            Converter::Int => "int",
            Converter::Float => "float",
            Converter::Uuid => "UUID",
            Converter::Decimal => "Decimal",
            Converter::Date => "date",
            Converter::DateTime => "datetime",
            Converter::Time => "time",
            Converter::TimeDelta => "timedelta",
        }
    }

    /// Whether a parameter of type `ty` (constraints and `None` peeled
    /// off) agrees with the converter.
    pub fn agrees_with(self, ty: &super::TyKind) -> bool {
        use super::TyKind as T;
        matches!(
            (self, ty),
            (Converter::Str, T::Str)
                | (Converter::Int, T::Int)
                | (Converter::Float, T::Float)
                | (Converter::Uuid, T::Uuid)
                | (Converter::Decimal, T::Decimal)
                | (Converter::Date, T::Date)
                | (Converter::DateTime, T::DateTime)
                | (Converter::Time, T::Time)
                | (Converter::TimeDelta, T::TimeDelta)
        )
    }
}

/// One route: methods + path + handler.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// The methods it answers (one for `@app.get`, several for `@app.route`).
    pub methods: Vec<HttpMethod>,
    /// The path template.
    pub path: PathTemplate,
    /// `status_code=` or the default for the response kind.
    pub status_code: u16,
    /// Whether `status_code` was given explicitly (and where).
    pub status_code_span: Option<Span>,
    /// The handler function.
    pub handler: Handler,
    /// The decorator expression.
    pub decorator_span: Span,
    /// `sync_to_thread=` on the route decorator, as written.
    pub sync_to_thread: Option<bool>,
    /// Whether the handler runs on the thread pool (it may block).
    pub on_pool: bool,
    /// Why it runs there.
    pub pool_reason: PoolReason,
    /// The outside calls the sync dependencies of the route's graph reach
    /// (each `via` starts with the dependency; `site` is its `Depends`).
    pub dependency_calls: Vec<ReachedCall>,
    /// The error statuses (400–599) of the `HTTPException`s the handler and
    /// its dependencies may raise, read where the status is a literal;
    /// sorted.
    pub raises: Vec<u16>,
    /// Dependencies whose values are not used: the app's, the routers'
    /// and the decorator's `dependencies=[...]`, outermost first.
    pub dependencies: Vec<super::Dependency>,
    /// OpenAPI tags: the routers' and includes' `tags=` (outermost first),
    /// then the decorator's.
    pub tags: Vec<String>,
    /// The decorator's keywords as written (`summary=`, `responses=`...).
    pub keywords: Vec<(String, Value)>,
    /// The handler's docstring, dedented.
    pub docstring: Option<String>,
}

impl Route {
    /// The decorator keyword `name`, if written.
    pub fn keyword(&self, name: &str) -> Option<&Value> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every parameter of the route's dependency graph, depth first: the
    /// route's `dependencies=[...]` and their parameters, then the
    /// handler's, each dependency's parameters after the parameter that
    /// names it.
    pub fn graph_params(&self) -> Vec<&Param> {
        fn walk<'a>(params: &'a [Param], out: &mut Vec<&'a Param>) {
            for p in params {
                out.push(p);
                if let Some(d) = &p.depends {
                    walk(&d.params, out);
                }
            }
        }
        let mut out = Vec::new();
        for d in &self.dependencies {
            walk(&d.params, &mut out);
        }
        walk(&self.handler.params, &mut out);
        out
    }

    /// Every dependency of the route's graph, in the same order.
    pub fn graph_dependencies(&self) -> Vec<&super::Dependency> {
        fn walk<'a>(params: &'a [Param], out: &mut Vec<&'a super::Dependency>) {
            for p in params {
                if let Some(d) = &p.depends {
                    out.push(d);
                    walk(&d.params, out);
                }
            }
        }
        let mut out = Vec::new();
        for d in &self.dependencies {
            out.push(d);
            walk(&d.params, &mut out);
        }
        walk(&self.handler.params, &mut out);
        out
    }
}

/// A handler function.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// The function name.
    pub name: String,
    /// The dotted module that defines it.
    pub module: String,
    /// `async def`.
    pub is_async: bool,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The return annotation (`None` when missing: a diagnostic was reported).
    pub returns: Option<Ty>,
    /// How the return value becomes a response.
    pub response: ResponseKind,
    /// Whether the decorator gave FastAPI's `response_model=`: a returned
    /// value the declared type's encoder refuses (a dict, another class
    /// with the model's attributes) is converted to that type first, as
    /// FastAPI validates the value against its response model. Without it
    /// the annotation is a promise, and a value that breaks it is a 500.
    pub converts: bool,
    /// Every `return` statement directly in the body (not in nested
    /// functions), with its value if it is a constant.
    pub return_sites: Vec<ReturnSite>,
    /// Whether the body contains an `await`, `async for` or `async with`.
    pub awaits: bool,
    /// Whether the body is a stub: only a docstring, `pass`, `...` and
    /// `raise` statements (a handler that always answers with an error).
    pub is_stub: bool,
    /// Calls in the body by qualified callee name (for lint-style checks).
    pub calls: Vec<(String, Span)>,
    /// Calls of a method on a plain name (`request.body()`), for checks of
    /// how the body uses its parameters.
    pub method_calls: Vec<MethodCall>,
    /// Every call outside the app the handler makes, directly or through
    /// the app's own functions it calls (followed transitively).
    pub reached_calls: Vec<ReachedCall>,
    /// The `def` line up to the colon.
    pub signature_span: Span,
    /// The function name.
    pub name_span: Span,
}

/// A call `name.method(...)` in a function body.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    /// The name the method is called on.
    pub receiver: String,
    /// The method.
    pub method: String,
    /// Whether the call is directly awaited (`await name.method()`).
    pub awaited: bool,
    /// The call.
    pub span: Span,
}

/// A `return` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct ReturnSite {
    /// The returned value (`None` for a bare `return`).
    pub value: Option<Value>,
    /// The statement.
    pub span: Span,
}

/// How a return value is sent.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseKind {
    /// `str`: `text/plain; charset=utf-8`.
    Text,
    /// `bytes`: `application/octet-stream`.
    Bytes,
    /// `None`: 204 with no body.
    Empty,
    /// `Response`: as built by the handler.
    Raw,
    /// Anything else: JSON for the declared type.
    Json(Ty),
    /// `response_class=` (FastAPI's) naming a class that is not JSON: a
    /// returned `Response` is sent as built, any other value is passed to
    /// the class (`prebake.HTMLResponse`, `prebake.RedirectResponse`...,
    /// the qualified name), which makes the response.
    Wrap(String),
}

/// Where a parameter's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamSource {
    /// A `{name}` placeholder.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
    /// The JSON body.
    Body,
    /// A field of a form body (`Form()`).
    Form,
    /// An uploaded file of a multipart body (`File()`, `UploadFile`).
    File,
    /// The raw `prebake.Request`.
    Request,
    /// Another callable's value: `Depends(...)` (see [`Param::depends`]).
    Depends,
    /// The request's one `BackgroundTasks`.
    Background,
    /// The request's one `Response` parameter, whose status, headers and
    /// cookies are merged into the response (FastAPI's "temporal response").
    Temporal,
}

impl ParamSource {
    /// The word used in error bodies (`query`, `path`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ParamSource::Path => "path",
            ParamSource::Query => "query",
            ParamSource::Header => "header",
            ParamSource::Cookie => "cookie",
            ParamSource::Body => "body",
            ParamSource::Form => "form",
            ParamSource::File => "file",
            ParamSource::Request => "request",
            ParamSource::Depends => "depends",
            ParamSource::Background => "background",
            ParamSource::Temporal => "response",
        }
    }
}

/// The body parameters of a route that reads its JSON body as one object
/// keyed by parameter (FastAPI's embedded body): when it has two or more
/// body parameters of distinct names, or one marked `Body(embed=True)`.
/// Each is then the value of its key (alias, else name); `None` when the
/// body, if any, is the one parameter's value itself. A parameter the
/// dependency graph names twice counts once.
pub fn embedded_body<'a>(params: impl IntoIterator<Item = &'a Param>) -> Option<Vec<&'a Param>> {
    let mut out: Vec<&Param> = Vec::new();
    for p in params {
        if p.source == ParamSource::Body && !out.iter().any(|q| q.name == p.name) {
            out.push(p);
        }
    }
    (out.len() > 1 || out.iter().any(|p| p.embed)).then_some(out)
}

/// A handler parameter, bound to its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The Python name.
    pub name: String,
    /// The name in the `def` line.
    pub name_span: Span,
    /// Where the value comes from.
    pub source: ParamSource,
    /// Whether a marker (`Query()`, `Header()`, ...) chose the source, and
    /// where that marker was written.
    pub marker_span: Option<Span>,
    /// The name on the wire: the alias, else the parameter name (headers:
    /// `_` becomes `-`).
    pub wire_name: String,
    /// The annotation (`Unknown` if missing), marker constraints folded in.
    pub ty: Ty,
    /// `Header(convert_underscores=...)` (true unless written false): for a
    /// header model, whether its fields read headers with `_` turned into
    /// `-` (see [`Param::param_model_fields`]).
    pub convert_underscores: bool,
    /// `Body(embed=True)`: the body is an object and this parameter is
    /// its field named [`Param::wire_name`] (FastAPI's embedded body; a
    /// route with several body parameters reads each that way).
    pub embed: bool,
    /// Whether the annotation was missing.
    pub annotated: bool,
    /// The default value.
    pub default: Option<Value>,
    /// Whether the parameter is keyword-only.
    pub kw_only: bool,
    /// The whole parameter (name, annotation and default).
    pub span: Span,
    /// For [`ParamSource::Depends`]: the dependency that provides it.
    pub depends: Option<Box<super::Dependency>>,
}

impl Param {
    /// Whether a request must supply a value.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }

    /// Whether the value comes from the request itself (path, query,
    /// header, cookie, body or the raw request), rather than from a
    /// dependency or a per-request object the server provides.
    pub fn is_request_value(&self) -> bool {
        !matches!(
            self.source,
            ParamSource::Depends | ParamSource::Background | ParamSource::Temporal
        )
    }

    /// The constraints on the parameter's type, if any.
    pub fn constraints(&self) -> Option<&Constraints> {
        self.ty.constraints()
    }
}
