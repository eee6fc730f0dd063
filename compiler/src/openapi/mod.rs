//! The OpenAPI 3.1 document of an app, built from the IR at build time.
//!
//! Everything the server does is known before it runs, so the document is
//! exact and costs nothing at run time: the generated program embeds its
//! text and serves it as static bytes (with the Swagger UI and ReDoc pages
//! of [`pages`]); `prebake openapi app.py` prints the same bytes.
//!
//! - [`json`]: an ordered JSON tree (paths and properties stay in source
//!   order) and its compact writer;
//! - [`schema`]: JSON Schemas of types and models, as msgspec writes them;
//! - this file: `info`, `paths` (parameters, request bodies, the declared
//!   response and every error response the server gives), `tags`,
//!   `components` (schemas and security schemes).

pub mod json;
pub mod pages;
pub mod schema;

use json::Json;
use schema::Schemas;

use crate::ir::{
    DepKind, HttpMethod, Ir, Param, ParamSource, ResponseKind, Route, Ty, TyKind, Value, ValueKind,
};

/// The URLs the document and the docs pages are served at (`None`: off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    /// `openapi_url=` (default `/openapi.json`).
    pub openapi: Option<String>,
    /// `docs_url=` (default `/docs`): Swagger UI.
    pub docs: Option<String>,
    /// `redoc_url=` (default `/redoc`): ReDoc.
    pub redoc: Option<String>,
}

impl Urls {
    /// The URLs the app's `App(...)` keywords give. Without the document
    /// there are no pages either (they load it), as in FastAPI.
    pub fn of(ir: &Ir) -> Urls {
        let url = |key: &str, default: &str| -> Option<String> {
            let kw = ir
                .app
                .as_ref()
                .and_then(|a| a.keywords.iter().find(|(k, _)| k == key));
            match kw {
                None => Some(default.to_string()),
                Some((_, v)) => v.as_str().map(str::to_string),
            }
        };
        let openapi = url("openapi_url", "/openapi.json");
        let on = openapi.is_some();
        Urls {
            docs: url("docs_url", "/docs").filter(|_| on),
            redoc: url("redoc_url", "/redoc").filter(|_| on),
            openapi,
        }
    }
}

/// What the server answers GET with at one URL of [`Urls`] (or one of the
/// docs pages' embedded files), routed after the app's routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticRoute {
    pub path: String,
    pub content_type: &'static str,
    pub body: StaticBody,
}

/// A [`StaticRoute`]'s bytes: text made here, or a file embedded as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaticBody {
    Text(String),
    File(std::path::PathBuf),
}

/// The document, the Swagger UI and ReDoc pages, and, when `assets` are
/// given, the viewers' files the pages load (else the pages load them from
/// a CDN).
pub fn static_routes(ir: &Ir, assets: Option<&pages::DocsAssets>) -> Vec<StaticRoute> {
    let urls = Urls::of(ir);
    let Some(openapi) = urls.openapi else {
        return Vec::new();
    };
    let title = ir
        .app
        .as_ref()
        .and_then(|a| a.title.clone())
        .unwrap_or_else(|| "prebake app".into());
    let text = |path: &str, content_type, body| StaticRoute {
        path: path.to_string(),
        content_type,
        body: StaticBody::Text(body),
    };
    let file = |a: pages::Asset| StaticRoute {
        path: a.path,
        content_type: a.content_type,
        body: StaticBody::File(a.file),
    };
    let html = "text/html; charset=utf-8";
    let mut out = vec![text(&openapi, "application/json", document(ir))];
    if let Some(docs) = urls.docs {
        let source = assets.map_or(pages::Source::Cdn, |_| pages::Source::Embedded(&docs));
        out.push(text(
            &docs,
            html,
            pages::swagger_ui(&title, &openapi, source),
        ));
        if let Some(a) = assets {
            out.extend(pages::swagger_ui_assets(a, &docs).into_iter().map(file));
        }
    }
    if let Some(redoc) = urls.redoc {
        let source = assets.map_or(pages::Source::Cdn, |_| pages::Source::Embedded(&redoc));
        out.push(text(&redoc, html, pages::redoc(&title, &openapi, source)));
        if let Some(a) = assets {
            out.extend(pages::redoc_assets(a, &redoc).into_iter().map(file));
        }
    }
    out
}

/// The document's text, as the server sends it.
pub fn document(ir: &Ir) -> String {
    Document::new(ir).build().to_text()
}

/// The operation id of a route's method: `operation_id=`, else FastAPI's
/// default, the handler's name and the path with every character that is
/// not a letter, digit or `_` replaced by `_`, then `_` and the method.
pub fn operation_id(route: &Route, method: HttpMethod) -> String {
    if let Some(id) = route.keyword("operation_id").and_then(Value::as_str) {
        return id.to_string();
    }
    unique_id(route, method)
}

/// FastAPI's unique id of a route's method, whatever `operation_id=` says:
/// the handler's name and the path with every character that is not a
/// letter, digit or `_` replaced by `_`, then `_` and the method. FastAPI
/// names a route's embedded body schema after it (`Body_<unique id>`).
pub fn unique_id(route: &Route, method: HttpMethod) -> String {
    let raw = format!("{}{}", route.handler.name, route.path.raw);
    let mut id: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    id.push('_');
    id.push_str(&method.as_str().to_ascii_lowercase());
    id
}

/// The route's request values in the order FastAPI documents them: a
/// function's own parameters first, then those of its dependencies (the
/// route's `dependencies=[...]`, then each `Depends` parameter's), depth
/// first. The caller then groups them by location.
fn documented_order(route: &Route) -> Vec<&Param> {
    fn walk<'a>(
        params: &'a [Param],
        before: &'a [crate::ir::Dependency],
        out: &mut Vec<&'a Param>,
    ) {
        out.extend(params.iter().filter(|p| p.depends.is_none()));
        for d in before {
            walk(&d.params, &[], out);
        }
        for d in params.iter().filter_map(|p| p.depends.as_deref()) {
            walk(&d.params, &[], out);
        }
    }
    let mut out = Vec::new();
    walk(&route.handler.params, &route.dependencies, &mut out);
    out
}

/// Whether a route is in the document (`include_in_schema=False` leaves
/// it out).
pub fn in_schema(route: &Route) -> bool {
    route.keyword("include_in_schema").and_then(Value::as_bool) != Some(false)
}

/// The methods a route is documented under: HEAD is left out when GET is
/// there (the server answers HEAD for every GET), as FastAPI does.
pub fn documented_methods(route: &Route) -> impl Iterator<Item = HttpMethod> + '_ {
    route
        .methods
        .iter()
        .copied()
        .filter(|m| !(*m == HttpMethod::Head && route.methods.contains(&HttpMethod::Get)))
}

struct Document<'a> {
    ir: &'a Ir,
    schemas: Schemas<'a>,
    /// Component names of the server's error bodies (a model of the app
    /// may hold the plain names).
    http_error: String,
    validation_error: String,
    /// The embedded bodies' components, collected as the operations are
    /// written (`Body_<unique id>`, as FastAPI names them).
    bodies: std::cell::RefCell<Vec<(String, Json)>>,
}

/// `responses=` types of the decorators, resolved to models.
fn response_models<'a>(ir: &'a Ir, route: &'a Route) -> Vec<(String, Option<Ty>, Option<String>)> {
    let Some(Value {
        kind: ValueKind::Dict(items),
        ..
    }) = route.keyword("responses")
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|(k, v)| {
            let code = match &k.kind {
                ValueKind::Int(i) => i.to_string(),
                ValueKind::Str(s) => s.clone(),
                _ => return None,
            };
            let ValueKind::Dict(fields) = &v.kind else {
                return Some((code, None, None));
            };
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.as_str() == Some(name))
                    .map(|(_, v)| v)
            };
            let model = field("model").and_then(|m| match &m.kind {
                ValueKind::Name(q) => ir
                    .models
                    .iter()
                    .position(|md| md.qualname() == *q)
                    .map(|i| Ty::new(TyKind::Model(crate::ir::ModelId(i as u32)), m.span)),
                _ => None,
            });
            let description = field("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            Some((code, model, description))
        })
        .collect()
}

impl<'a> Document<'a> {
    fn new(ir: &'a Ir) -> Document<'a> {
        let mut types: Vec<&Ty> = Vec::new();
        let mut extra: Vec<Ty> = Vec::new();
        for r in ir.routes.iter().filter(|r| in_schema(r)) {
            for p in r.graph_params() {
                if matches!(
                    p.source,
                    ParamSource::Path
                        | ParamSource::Query
                        | ParamSource::Header
                        | ParamSource::Cookie
                        | ParamSource::Body
                        | ParamSource::Form
                        | ParamSource::File
                ) {
                    types.push(&p.ty);
                }
            }
            if let ResponseKind::Json(t) = &r.handler.response {
                types.push(t);
            }
            extra.extend(response_models(ir, r).into_iter().filter_map(|(_, t, _)| t));
        }
        types.extend(extra.iter());
        let schemas = Schemas::new(ir, types);
        let free = |name: &str| {
            if schemas.has_name(name) {
                format!("prebake.{name}")
            } else {
                name.to_string()
            }
        };
        let (http_error, validation_error) = (free("HTTPError"), free("ValidationError"));
        Document {
            ir,
            schemas,
            http_error,
            validation_error,
            bodies: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn build(&self) -> Json {
        let app = self.ir.app.as_ref();
        let mut info = Json::obj().with(
            "title",
            Json::str(
                app.and_then(|a| a.title.clone())
                    .unwrap_or_else(|| "prebake app".into()),
            ),
        );
        if let Some(d) = app.and_then(|a| a.description.clone()) {
            info.set("description", Json::str(d));
        }
        info.set(
            "version",
            Json::str(
                app.and_then(|a| a.version.clone())
                    .unwrap_or_else(|| "0.1.0".into()),
            ),
        );

        let mut paths: Vec<(String, Json)> = Vec::new();
        let mut tags: Vec<String> = Vec::new();
        let mut security = Vec::new();
        for r in self.ir.routes.iter().filter(|r| in_schema(r)) {
            for t in &r.tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            let path = openapi_path(r);
            for m in documented_methods(r) {
                let op = self.operation(r, m, &mut security);
                let key = m.as_str().to_ascii_lowercase();
                match paths.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, item)) => item.set(&key, op),
                    None => paths.push((path.clone(), Json::obj().with(&key, op))),
                }
            }
        }

        let mut schemas = self.schemas.components();
        schemas.extend(self.bodies.take());
        schemas.push((self.http_error.clone(), http_error_schema()));
        schemas.push((self.validation_error.clone(), validation_error_schema()));
        let mut components = Json::obj().with("schemas", Json::Obj(schemas));
        if !security.is_empty() {
            components.set("securitySchemes", Json::Obj(security));
        }
        let mut doc = Json::obj()
            .with("openapi", Json::str("3.1.0"))
            .with("info", info)
            .with("paths", Json::Obj(paths))
            .with("components", components);
        if !tags.is_empty() {
            doc.set(
                "tags",
                Json::Arr(
                    tags.into_iter()
                        .map(|t| Json::obj().with("name", Json::Str(t)))
                        .collect(),
                ),
            );
        }
        doc
    }

    /// A form route's `requestBody`: urlencoded, or multipart when it takes
    /// files; one model parameter is the body's schema, other fields are
    /// the properties of an object, a component named as FastAPI names it
    /// (`Body_<unique id>`).
    fn form_body(&self, r: &Route, form: &[&Param]) -> Json {
        let media = if form.iter().any(|p| p.source == ParamSource::File) {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        let model = |p: &Param| {
            p.source == ParamSource::Form
                && matches!(&p.ty.without_none().unconstrained().kind,
                    TyKind::Model(id) if !self.ir.models[id.0 as usize].is_enum())
        };
        let (schema, required) = match form {
            [p] if model(p) => (self.schemas.schema(&p.ty), p.is_required()),
            _ => {
                let (name, schema) = self.object_component(r, form);
                let required = schema.get("required").is_some();
                self.add_body(name.clone(), schema);
                (reference(&name), required)
            }
        };
        Json::obj()
            .with("content", content(media, schema))
            .with("required", Json::Bool(required))
    }

    /// The component of a route's embedded body (several body parameters,
    /// or `Body(embed=True)`), as FastAPI writes it.
    fn embedded_body(&self, r: &Route) -> Option<(String, Json)> {
        let fields = crate::ir::embedded_body(r.graph_params())?;
        Some(self.object_component(r, &fields))
    }

    /// A body object read field by field (an embedded JSON body, a form),
    /// named as FastAPI names it (`Body_<unique id>`): a property per
    /// parameter under its wire name, titled unless it is a reference, with
    /// its default; the required ones listed.
    fn object_component(&self, r: &Route, fields: &[&Param]) -> (String, Json) {
        let method = r.methods.first().copied().unwrap_or(HttpMethod::Post);
        let name = format!("Body_{}", unique_id(r, method));
        let mut props = Json::obj();
        let mut required = Vec::new();
        for p in fields {
            let mut schema = self.schemas.schema(&p.ty);
            // FastAPI titles each property that is not a reference.
            if schema.get("$ref").is_none() {
                schema.set("title", Json::str(title_case(&p.wire_name)));
            }
            self.set_default(&mut schema, p.default.as_ref());
            props.set(&p.wire_name, schema);
            if p.is_required() {
                required.push(Json::str(p.wire_name.clone()));
            }
        }
        let mut schema = Json::obj()
            .with("title", Json::str(name.clone()))
            .with("type", Json::str("object"))
            .with("properties", props);
        if !required.is_empty() {
            schema.set("required", Json::Arr(required));
        }
        (name, schema)
    }

    /// Records a body component (once per name).
    fn add_body(&self, name: String, schema: Json) {
        let mut bodies = self.bodies.borrow_mut();
        bodies.retain(|(n, _)| *n != name);
        bodies.push((name, schema));
    }

    /// A query, header or cookie parameter model's fields, one parameter
    /// each (as FastAPI lists them): the field's request key, its schema
    /// and default, required when the model needs it, and the field's
    /// `Meta(description=...)` beside the schema too.
    /// A parameter's or form field's default in its schema; FastAPI leaves
    /// a `None` default out.
    fn set_default(&self, schema: &mut Json, default: Option<&Value>) {
        if let Some(d) = default
            .filter(|d| !matches!(d.kind, ValueKind::None))
            .and_then(|d| self.schemas.builtins(d))
        {
            schema.set("default", d);
        }
    }

    fn model_params(
        &self,
        p: &Param,
        location: &'static str,
        params: &mut Vec<Json>,
        seen: &mut Vec<(&'static str, String)>,
    ) {
        for f in p.param_model_fields(self.ir) {
            if seen.contains(&(location, f.key.clone())) {
                continue;
            }
            seen.push((location, f.key.clone()));
            let mut schema = self.schemas.schema(&f.field.ty);
            // FastAPI leaves a `None` default out of a parameter's schema.
            if let crate::ir::FieldDefault::Value(d) = &f.field.default
                && !matches!(d.kind, ValueKind::None)
                && let Some(d) = self.schemas.builtins(d)
            {
                schema.set("default", d);
            }
            let mut param = Json::obj()
                .with("name", Json::str(f.key.clone()))
                .with("in", Json::str(location))
                .with("required", Json::Bool(f.field.required));
            if let Some(d) = f
                .field
                .ty
                .constraints()
                .and_then(|c| c.docs.description.clone())
            {
                param.set("description", Json::str(d));
            }
            params.push(param.with("schema", schema));
        }
    }

    fn operation(&self, r: &Route, method: HttpMethod, security: &mut Vec<(String, Json)>) -> Json {
        let mut op = Json::obj();
        if !r.tags.is_empty() {
            op.set(
                "tags",
                Json::Arr(r.tags.iter().map(|t| Json::str(t.clone())).collect()),
            );
        }
        let (doc_summary, doc_rest) = match &r.docstring {
            Some(d) => {
                let (first, rest) = d.split_once('\n').unwrap_or((d, ""));
                (
                    Some(first.trim().to_string()),
                    Some(rest.trim().to_string()),
                )
            }
            None => (None, None),
        };
        let summary = r
            .keyword("summary")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(doc_summary)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| title_case(&r.handler.name));
        op.set("summary", Json::str(summary));
        let description = r
            .keyword("description")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(doc_rest)
            .filter(|s| !s.is_empty());
        if let Some(d) = description {
            op.set("description", Json::str(d));
        }
        op.set("operationId", Json::str(operation_id(r, method)));
        if r.keyword("deprecated").and_then(Value::as_bool) == Some(true) {
            op.set("deprecated", Json::Bool(true));
        }

        // Parameters: every request value of the route's dependency graph,
        // once per (location, name).
        let mut params: Vec<Json> = Vec::new();
        let mut seen: Vec<(&str, String)> = Vec::new();
        let mut body = None;
        let mut form: Vec<&Param> = Vec::new();
        let mut validates = false;
        for p in documented_order(r) {
            let location = match p.source {
                ParamSource::Form | ParamSource::File => {
                    validates = true;
                    if !form.iter().any(|f| f.wire_name == p.wire_name) {
                        form.push(p);
                    }
                    continue;
                }
                ParamSource::Path => "path",
                ParamSource::Query => "query",
                ParamSource::Header => "header",
                ParamSource::Cookie => "cookie",
                ParamSource::Body => {
                    validates = true;
                    body.get_or_insert(p);
                    continue;
                }
                _ => continue,
            };
            validates = true;
            let docs = p.ty.constraints().map(|c| &c.docs);
            if docs.is_some_and(|d| d.hidden) {
                continue;
            }
            if p.param_model(self.ir).is_some() {
                self.model_params(p, location, &mut params, &mut seen);
                continue;
            }
            if seen.contains(&(location, p.wire_name.clone())) {
                continue;
            }
            seen.push((location, p.wire_name.clone()));
            let mut schema = self.schemas.schema(&p.ty);
            self.set_default(&mut schema, p.default.as_ref());
            let required = p.source == ParamSource::Path || p.is_required();
            let mut param = Json::obj()
                .with("name", Json::str(p.wire_name.clone()))
                .with("in", Json::str(location))
                .with("required", Json::Bool(required));
            // FastAPI repeats the marker's description on the parameter, where
            // Swagger UI shows it.
            if let Some(d) = docs.and_then(|d| d.description.clone()) {
                param.set("description", Json::str(d));
            }
            if docs.is_some_and(|d| d.deprecated) {
                param.set("deprecated", Json::Bool(true));
                schema.set("deprecated", Json::Bool(true));
            }
            params.push(param.with("schema", schema));
        }
        // FastAPI lists path parameters first, then query, header and cookie
        // ones, each group in the order the handler and its dependencies
        // declare them (a stable sort keeps that order).
        params.sort_by_key(|p| match p.get("in") {
            Some(Json::Str(location)) => ["path", "query", "header", "cookie"]
                .iter()
                .position(|l| l == location)
                .unwrap_or(4),
            _ => 4,
        });
        if !params.is_empty() {
            op.set("parameters", Json::Arr(params));
        }
        if !form.is_empty() {
            op.set("requestBody", self.form_body(r, &form));
        }
        if let Some((name, schema)) = self.embedded_body(r) {
            let required = schema.get("required").is_some();
            self.add_body(name.clone(), schema);
            op.set(
                "requestBody",
                Json::obj()
                    .with("content", content("application/json", reference(&name)))
                    .with("required", Json::Bool(required)),
            );
        } else if let Some(p) = body {
            let mut schema = self.schemas.schema(&p.ty);
            if let Some(d) = p.default.as_ref().and_then(|d| self.schemas.builtins(d)) {
                schema.set("default", d);
            }
            op.set(
                "requestBody",
                Json::obj()
                    .with("content", content("application/json", schema))
                    .with("required", Json::Bool(p.is_required())),
            );
        }

        // Responses: the declared one, the decorator's `responses=`, then
        // the server's own errors.
        let mut responses: Vec<(String, Json)> = Vec::new();
        let ok = Json::obj().with("description", Json::str("Successful Response"));
        let ok = match &r.handler.response {
            ResponseKind::Text => ok.with(
                "content",
                content("text/plain", Json::obj().with("type", Json::str("string"))),
            ),
            ResponseKind::Bytes => ok.with(
                "content",
                content(
                    "application/octet-stream",
                    Json::obj().with("type", Json::str("string")),
                ),
            ),
            // A `template=` route answers the rendered page.
            ResponseKind::Json(_) if r.keyword("template").is_some() => ok.with(
                "content",
                content(
                    "text/html; charset=utf-8",
                    Json::obj().with("type", Json::str("string")),
                ),
            ),
            ResponseKind::Json(t) => ok.with(
                "content",
                content("application/json", self.schemas.schema(t)),
            ),
            // The class's media type, as FastAPI documents it; the others
            // (redirects, files, streams) have none.
            ResponseKind::Wrap(class) => match class.as_str() {
                "prebake.JSONResponse" | "prebake.ORJSONResponse" | "prebake.UJSONResponse" => {
                    ok.with("content", content("application/json", Json::obj()))
                }
                "prebake.HTMLResponse" | "prebake.PlainTextResponse" => {
                    let media = if class == "prebake.HTMLResponse" {
                        "text/html"
                    } else {
                        "text/plain"
                    };
                    ok.with(
                        "content",
                        content(media, Json::obj().with("type", Json::str("string"))),
                    )
                }
                _ => ok,
            },
            ResponseKind::Empty | ResponseKind::Raw => ok,
        };
        responses.push((r.status_code.to_string(), ok));
        for (code, model, description) in response_models(self.ir, r) {
            let description = description.unwrap_or_else(|| reason(&code).to_string());
            let mut resp = Json::obj().with("description", Json::str(description));
            if let Some(t) = model {
                resp.set(
                    "content",
                    content("application/json", self.schemas.schema(&t)),
                );
            }
            set_response(&mut responses, code, resp);
        }
        let error = |name: &str, description: &str| {
            Json::obj()
                .with("description", Json::str(description))
                .with("content", content("application/json", reference(name)))
        };
        if validates {
            add_response(
                &mut responses,
                "400",
                error(&self.validation_error, "Validation Error"),
            );
        }
        // What the handler and its dependencies raise.
        for status in &r.raises {
            let code = status.to_string();
            let description = reason(&code);
            add_response(&mut responses, &code, error(&self.http_error, description));
        }
        let reads_body = r.graph_params().iter().any(|p| {
            matches!(
                p.source,
                ParamSource::Body | ParamSource::Request | ParamSource::Form | ParamSource::File
            )
        });
        if reads_body {
            add_response(
                &mut responses,
                "413",
                error(&self.http_error, "Content Too Large"),
            );
        }
        if body.is_some() || !form.is_empty() {
            add_response(
                &mut responses,
                "415",
                error(&self.http_error, "Unsupported Media Type"),
            );
        }
        add_response(
            &mut responses,
            "500",
            error(&self.http_error, "Internal Server Error"),
        );
        op.set("responses", Json::Obj(responses));

        // Security: the `prebake.security` helpers the graph reaches.
        let mut requirements = Vec::new();
        for d in r.graph_dependencies() {
            if !matches!(d.kind, DepKind::Security) {
                continue;
            }
            let Some((name, scheme)) = security_scheme(d) else {
                continue;
            };
            if !security.iter().any(|(n, _)| *n == name) {
                security.push((name.clone(), scheme));
            }
            let req = Json::obj().with(&name, Json::Arr(Vec::new()));
            if !requirements.contains(&req) {
                requirements.push(req);
            }
        }
        if !requirements.is_empty() {
            op.set("security", Json::Arr(requirements));
        }
        op
    }
}

/// The security scheme of a `prebake.security` helper: its name
/// (`scheme_name=`, else the class name) and its OpenAPI object.
fn security_scheme(d: &crate::ir::Dependency) -> Option<(String, Json)> {
    let (class, kwargs) = d.security.as_ref()?;
    let kw = |k: &str| {
        kwargs
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_str())
    };
    let short = class.rsplit('.').next().unwrap_or(class);
    let mut s = match short {
        "HTTPBearer" => Json::obj()
            .with("type", Json::str("http"))
            .with("scheme", Json::str("bearer")),
        "HTTPBasic" => Json::obj()
            .with("type", Json::str("http"))
            .with("scheme", Json::str("basic")),
        "APIKeyHeader" | "APIKeyCookie" | "APIKeyQuery" => Json::obj()
            .with("type", Json::str("apiKey"))
            .with(
                "in",
                Json::str(match short {
                    "APIKeyHeader" => "header",
                    "APIKeyCookie" => "cookie",
                    _ => "query",
                }),
            )
            .with("name", Json::str(kw("name").unwrap_or_default())),
        "OAuth2PasswordBearer" => Json::obj().with("type", Json::str("oauth2")).with(
            "flows",
            Json::obj().with(
                "password",
                Json::obj()
                    .with("scopes", Json::obj())
                    .with("tokenUrl", Json::str(kw("tokenUrl").unwrap_or_default())),
            ),
        ),
        _ => return None,
    };
    if let Some(desc) = kw("description") {
        s.set("description", Json::str(desc));
    }
    if short == "HTTPBearer"
        && let Some(f) = kw("bearerFormat")
    {
        s.set("bearerFormat", Json::str(f));
    }
    let name = kw("scheme_name").unwrap_or(short).to_string();
    Some((name, s))
}

/// The path as OpenAPI writes it: `{name:path}` and `{name:int}` become `{name}`.
fn openapi_path(r: &Route) -> String {
    let mut out = String::new();
    for s in &r.path.segments {
        out.push('/');
        match s {
            crate::ir::PathSegment::Static(t) => out.push_str(t),
            crate::ir::PathSegment::Param { name, .. } => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn content(media: &str, schema: Json) -> Json {
    Json::obj().with(media, Json::obj().with("schema", schema))
}

fn reference(name: &str) -> Json {
    Json::obj().with("$ref", Json::str(format!("#/components/schemas/{name}")))
}

/// Sets a response, replacing one of the same status.
fn set_response(responses: &mut Vec<(String, Json)>, code: String, resp: Json) {
    match responses.iter_mut().find(|(c, _)| *c == code) {
        Some(slot) => slot.1 = resp,
        None => responses.push((code, resp)),
    }
}

/// Adds a response unless one of that status is already there.
fn add_response(responses: &mut Vec<(String, Json)>, code: &str, resp: Json) {
    if !responses.iter().any(|(c, _)| c == code) {
        responses.push((code.to_string(), resp));
    }
}

/// `get_user` -> `Get User`, as FastAPI's default summary.
fn title_case(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The reason phrase of a status code, for a response's description.
fn reason(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No Content",
        "301" => "Moved Permanently",
        "302" => "Found",
        "303" => "See Other",
        "304" => "Not Modified",
        "307" => "Temporary Redirect",
        "308" => "Permanent Redirect",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "Not Found",
        "405" => "Method Not Allowed",
        "409" => "Conflict",
        "410" => "Gone",
        "413" => "Content Too Large",
        "415" => "Unsupported Media Type",
        "422" => "Unprocessable Content",
        "429" => "Too Many Requests",
        "500" => "Internal Server Error",
        "503" => "Service Unavailable",
        _ => "Response",
    }
}

/// `{"status_code": 404, "detail": "Not Found"}`: every error but 400.
fn http_error_schema() -> Json {
    Json::obj()
        .with("title", Json::str("HTTPError"))
        .with("type", Json::str("object"))
        .with(
            "properties",
            Json::obj()
                .with(
                    "status_code",
                    Json::obj().with("type", Json::str("integer")),
                )
                .with("detail", Json::obj().with("type", Json::str("string"))),
        )
        .with(
            "required",
            Json::Arr(vec![Json::str("status_code"), Json::str("detail")]),
        )
}

/// A 400: the status, `Validation failed for <method> <target>` and one
/// entry per failure (its message, the key it concerns and where that key
/// was read).
fn validation_error_schema() -> Json {
    let string = || Json::obj().with("type", Json::str("string"));
    let item = Json::obj()
        .with("type", Json::str("object"))
        .with(
            "properties",
            Json::obj()
                .with("message", string())
                .with("key", string())
                .with("source", string()),
        )
        .with(
            "required",
            Json::Arr(vec![
                Json::str("message"),
                Json::str("key"),
                Json::str("source"),
            ]),
        );
    Json::obj()
        .with("title", Json::str("ValidationError"))
        .with("type", Json::str("object"))
        .with(
            "properties",
            Json::obj()
                .with(
                    "status_code",
                    Json::obj().with("type", Json::str("integer")),
                )
                .with("detail", string())
                .with(
                    "extra",
                    Json::obj()
                        .with("type", Json::str("array"))
                        .with("items", item),
                ),
        )
        // Invalid JSON is a 400 without `extra` (there is nothing to list).
        .with(
            "required",
            Json::Arr(vec![Json::str("status_code"), Json::str("detail")]),
        )
}
