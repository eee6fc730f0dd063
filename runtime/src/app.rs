//! The static description of an app that generated code emits.
//!
//! Everything the compiler learned about the handler module arrives here as
//! `'static` tables: the embedded sources, one [`Route`] per (method, path),
//! the router function, and the type expressions to evaluate at start-up.
//! The runtime turns them into Python objects once; per request it only
//! indexes into what it built.

use crate::python::{Call, Obj};
use crate::router::Router;
use crate::validate::{Mismatch, Rejection};

/// The whole app: what `prebake::__private::main` serves.
pub struct App {
    /// The app's name, for the start-up log line (`hello`).
    pub name: &'static str,
    /// The module to import first; handler and type expressions are
    /// evaluated in its namespace.
    pub entry: &'static str,
    /// An expression for the `prebake.App` instance (`"app"`), read at
    /// start-up for `max_body_size`; empty when there is none.
    pub app: &'static str,
    /// The app's Python sources, served by the embedded importer.
    pub modules: &'static [Module],
    /// Type expressions (`"User"`, `"list[Item]"`) evaluated once in the
    /// entry module; [`Body::Json`] and `enc::model` refer to them by index.
    pub types: &'static [&'static str],
    /// The models return values are encoded as (Structs, dataclasses,
    /// TypedDicts): `enc::model(v, out, i)` encodes `models[i]`. Each names
    /// its class in `types`; field order, JSON names, tags and defaults are
    /// read from the class at start-up.
    pub models: &'static [crate::python::enc::Model],
    /// Regular expressions of `Meta(pattern=...)` constraints, compiled with
    /// Python's `re` at start-up; `Call::check_pattern` refers to them by index.
    pub patterns: &'static [&'static str],
    /// One entry per (method, path template); the router returns indices.
    pub routes: &'static [Route],
    /// The generated router.
    pub router: Router,
    /// Directories served by `app.mount(path, StaticFiles(...))`, consulted
    /// for requests no route matches.
    pub mounts: &'static [StaticMount],
    /// The app's folder when the binary was built (absolute; empty when
    /// unknown), one of the places relative `StaticFiles` directories and
    /// `FileResponse` paths are looked for (see `runtime/src/files/mod.rs`).
    pub app_dir: &'static str,
}

/// `app.mount(path, StaticFiles(directory=...))`: a directory served
/// under a path prefix by the runtime, without Python.
pub struct StaticMount {
    /// The path prefix (`/static`).
    pub path: &'static str,
    /// `directory=` as written: relative to the app's folder, or absolute.
    pub directory: &'static str,
    /// `html=`: `index.html` for directories and `404.html` for misses.
    pub html: bool,
    /// `check_dir=`: a missing directory stops the server at start-up.
    pub check_dir: bool,
    /// `follow_symlink=`: serve symlinks that lead outside the directory.
    pub follow_symlink: bool,
}

impl App {
    /// The number of the app's own routes (the OpenAPI document and the
    /// docs pages not counted), for the start-up log line.
    pub fn app_routes(&self) -> usize {
        self.routes
            .iter()
            .filter(|r| !matches!(r.body, Body::Static { .. }))
            .count()
    }
}

/// One Python source file carried inside the binary.
pub struct Module {
    /// The dotted module name (`app`, `pkg.models`).
    pub name: &'static str,
    /// The file name shown in tracebacks and set as `__file__`.
    pub file: &'static str,
    /// The source text.
    pub source: &'static str,
    /// Whether the module is a package (`__init__.py`).
    pub is_package: bool,
}

/// One route: a method, a path template and the handler that serves them.
pub struct Route {
    /// The method this route answers.
    pub method: crate::router::Method,
    /// The path template as written (`/user/{user_id}`). Routes with the
    /// same template share one `Allow` header; `{name}` placeholders name
    /// the captures for `Request.path_params`.
    pub path: &'static str,
    /// An expression evaluated once in the entry module that gives the
    /// handler function (`"get_user"`).
    pub handler: &'static str,
    /// The handler's parameter names in signature order; checked against
    /// the function at start-up. The decode function pushes one value each.
    pub params: &'static [&'static str],
    /// Whether the handler is an `async def`.
    pub is_async: bool,
    /// Whether the handler runs on the thread pool (it may block).
    pub on_pool: bool,
    /// Whether the handler is a generated dependency-graph function that
    /// returns `(value, generators, tasks, Response parameter, async)` (see
    /// `runtime/python/prebake/_solve.py`): the value is encoded, the
    /// `Response` parameter merged into the response, and the generators
    /// and tasks closed after the response is sent.
    pub deferred: bool,
    /// The success status code.
    pub status: u16,
    /// Whether and how the request body is read.
    pub body: Body,
    /// Extracts, converts and validates the parameters, pushing one Python
    /// value per entry of `params`. Not called for a synchronous route
    /// with no `params` and no body (nothing to decode: the handler is
    /// called at once), so such a decoder must do nothing.
    pub decode: DecodeFn,
    /// How the return value becomes a response.
    pub returns: Returns,
}

/// How a route uses the request body.
#[derive(Clone, Copy)]
pub enum Body {
    /// Not at all: the body is never read.
    None,
    /// Raw bytes, for a `Request` parameter: read (up to the limit), never
    /// decoded, any `Content-Type`.
    Raw,
    /// A JSON body parameter: `Content-Type` must be JSON (or absent), the
    /// body is decoded into `types[ty]` by `Call::push_body`.
    Json {
        /// The parameter's name: the error key when validation fails at
        /// the root of the document.
        param: &'static str,
        /// Index into [`App::types`].
        ty: u16,
        /// How many levels of arrays and objects the declared type lets
        /// msgspec read at most before it answers, computed at build time;
        /// `None` when nothing bounds it (recursion, `Any`, values msgspec
        /// skips). The `--max-json-depth` pre-scan runs only where this is
        /// `None` or past the limit: elsewhere msgspec fails by itself,
        /// with its own message, before the document gets that deep.
        nesting: Option<u16>,
    },
    /// A form body, for `Form()` and `File()` parameters: `Content-Type`
    /// must be `application/x-www-form-urlencoded` or `multipart/form-data`
    /// (or absent), else 415; the decoder parses it with `Call::parse_form`.
    Form {
        /// Whether it takes uploaded files: the body may then be as large
        /// as `--max-upload-size` rather than `--max-body-size`.
        files: bool,
    },
    /// No handler: the route answers these bytes (the OpenAPI document
    /// and the docs pages, generated at build time), with no Python call.
    Static {
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body.
        bytes: &'static [u8],
    },
}

/// How a handler's return value becomes the response body.
#[derive(Clone, Copy)]
pub enum Returns {
    /// `str`: `text/plain; charset=utf-8`.
    Text,
    /// `bytes`: `application/octet-stream`.
    Bytes,
    /// `None`: no body.
    Empty,
    /// `prebake.Response`: sent as built.
    Response,
    /// `response_class=`: a returned `Response` is sent as built, any other
    /// value is passed to `types[i]` (the class, or a `functools.partial`
    /// of it with the route's `status_code`), whose result is.
    Wrap(u16),
    /// Anything else: `application/json`, written by a generated encoder.
    Json(EncodeFn),
    /// FastAPI's `response_model=`: as [`Returns::Json`], but a value the
    /// encoder refuses is first converted to the declared type, the entry
    /// of [`App::types`] (`msgspec.convert(value, type, from_attributes=True,
    /// strict=False)`): a dict, or an object with the model's attributes,
    /// is read into the model, its other keys left out.
    Converted(EncodeFn, u16),
    /// FastAPI's `response_model_exclude_unset=` and its siblings: the value
    /// converted to `types[t]` as [`Returns::Converted`] converts it, and
    /// written by `prebake._response_model.render` less the fields the
    /// options leave out (Python work, on these routes only).
    Filtered(u16, &'static ResponseFilter),
    /// A `template=` route: `text/html; charset=utf-8`, the returned model
    /// read into the generated page struct and rendered by askama
    /// (`runtime/src/python/template.rs`).
    Html(EncodeFn),
}

/// The `response_model_*` options of a [`Returns::Filtered`] route.
#[derive(Debug)]
pub struct ResponseFilter {
    /// `response_model_include=`: the only top-level fields written.
    pub include: Option<&'static [&'static str]>,
    /// `response_model_exclude=`: top-level fields left out.
    pub exclude: Option<&'static [&'static str]>,
    /// Leave out the fields the handler did not set (for a returned dict,
    /// the keys it lacks; for an object, the fields equal to their default).
    pub exclude_unset: bool,
    /// Leave out the fields equal to their default.
    pub exclude_defaults: bool,
    /// Leave out the fields whose value is `None`.
    pub exclude_none: bool,
}

/// The generated per-route parameter decoder.
pub type DecodeFn = fn(&mut Call<'_>) -> Result<(), Rejection>;

/// The decoder of a route that decodes nothing ([`Body::Static`]).
pub fn no_decode(_: &mut Call<'_>) -> Result<(), Rejection> {
    Ok(())
}

/// A generated JSON encoder for one declared type.
pub type EncodeFn = for<'a> fn(Obj<'a>, &mut Vec<u8>) -> Result<(), Mismatch>;
