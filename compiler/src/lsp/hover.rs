//! Hover: what the compiler decided about the code under the cursor.
//!
//! On a handler parameter it says where the value binds and how it is
//! converted (`path parameter "user_id": int, lax conversion`,
//! `query parameter "limit": int, ge=1, le=100, default 10`,
//! `JSON body: User`, `header "x-token": str | None, default None`); on a
//! route decorator or a handler's name, the route's methods, path, status
//! and response, and whether it runs inline or on the thread pool and why.
//! The first line is the summary; a second paragraph explains.

use std::fmt::Write;

use crate::Analysis;
use crate::ir::{Constraints, Param, ParamSource, ResponseKind, Route, Ty};
use crate::source::{FileId, Span};

/// What to show and the span it is about.
pub(crate) struct HoverInfo {
    /// Markdown.
    pub(crate) markdown: String,
    /// The code the hover describes (the client highlights it).
    pub(crate) span: Span,
}

/// The hover at byte `offset` of `file`, if the cursor is on a parameter,
/// a route decorator or a handler's name.
pub(crate) fn hover(analysis: &Analysis, file: FileId, offset: u32) -> Option<HoverInfo> {
    let within = |span: Span| span.file == file && span.start <= offset && offset <= span.end;
    for route in &analysis.ir.routes {
        for p in &route.handler.params {
            if within(p.span) {
                return Some(HoverInfo {
                    markdown: param(analysis, route, p),
                    span: p.span,
                });
            }
        }
        // Decorator ranges leave out the `@`.
        let decorator = Span {
            start: route.decorator_span.start.saturating_sub(1),
            ..route.decorator_span
        };
        if within(decorator) || within(route.handler.name_span) {
            let span = if within(decorator) {
                decorator
            } else {
                route.handler.name_span
            };
            return Some(HoverInfo {
                markdown: route_summary(analysis, route),
                span,
            });
        }
    }
    None
}

/// `int`, `list[str]`, with the constraints written after it.
fn ty_and_constraints(analysis: &Analysis, ty: &Ty) -> String {
    let mut out = ty.unconstrained().display(&analysis.ir).to_string();
    if let Some(c) = ty.constraints() {
        let c = constraints(c);
        if !c.is_empty() {
            out.push_str(", ");
            out.push_str(&c);
        }
    }
    out
}

fn constraints(c: &Constraints) -> String {
    let mut parts = Vec::new();
    let mut num = |name: &str, v: &Option<crate::ir::Bound<crate::ir::Number>>| {
        if let Some(b) = v {
            parts.push(format!("{name}={}", b.value));
        }
    };
    num("gt", &c.gt);
    num("ge", &c.ge);
    num("lt", &c.lt);
    num("le", &c.le);
    num("multiple_of", &c.multiple_of);
    if let Some(b) = &c.min_length {
        parts.push(format!("min_length={}", b.value));
    }
    if let Some(b) = &c.max_length {
        parts.push(format!("max_length={}", b.value));
    }
    if let Some(b) = &c.pattern {
        parts.push(format!("pattern={:?}", b.value));
    }
    if let Some(b) = &c.tz {
        parts.push(format!("tz={}", if b.value { "True" } else { "False" }));
    }
    parts.join(", ")
}

fn param(analysis: &Analysis, route: &Route, p: &Param) -> String {
    let ty = ty_and_constraints(analysis, &p.ty);
    let default = p.default.as_ref().map(|v| {
        let text = analysis.db.file(v.span.file).slice(v.span);
        format!(", default {text}")
    });
    let optional = || default.clone().unwrap_or_else(|| ", required".to_string());
    let wire = &p.wire_name;
    let lax = "converted from the string as `msgspec.convert(value, type, strict=False)` does \
               (lax: `\"36\"` is an `int`, `\"1\"` a `bool`)";
    if p.param_model(&analysis.ir).is_some() {
        return model_param(analysis, p, &ty, lax);
    }
    let (summary, detail) = match p.source {
        ParamSource::Path => {
            let catch_all = route
                .path
                .params()
                .any(|(n, catch_all, _)| n == p.name && catch_all);
            let rest = if catch_all {
                ", captures the rest of the path"
            } else {
                ""
            };
            (
                format!("path parameter \"{wire}\": {ty}{rest}, lax conversion"),
                format!(
                    "Read from the `{{{wire}}}` placeholder of `{}`, percent-decoded and {lax}; \
                     a value that does not convert is a 400 with source `path`.",
                    route.path.raw
                ),
            )
        }
        ParamSource::Query => {
            let repeated = if p.ty.is_scalar_sequence(&analysis.ir) {
                format!(" Repeat it for several values: `?{wire}=a&{wire}=b`.")
            } else {
                " A repeated parameter takes its last value.".to_string()
            };
            (
                format!("query parameter \"{wire}\": {ty}{}", optional()),
                format!("Read from the query string and {lax}.{repeated}"),
            )
        }
        ParamSource::Header => (
            format!("header \"{wire}\": {ty}{}", optional()),
            format!("Read from the `{wire}` request header (case-insensitive) and {lax}."),
        ),
        ParamSource::Cookie => (
            format!("cookie \"{wire}\": {ty}{}", optional()),
            format!("Read from the `{wire}` cookie and {lax}."),
        ),
        ParamSource::Body => (
            format!("JSON body: {ty}{}", default.clone().unwrap_or_default()),
            format!(
                "Decoded strictly from the request body, as `msgspec.json.decode(body, type={})` \
                 does; invalid JSON or a value that does not fit is a 400.",
                p.ty.unconstrained().display(&analysis.ir)
            ),
        ),
        ParamSource::Form => (
            format!("form field \"{wire}\": {ty}{}", optional()),
            format!(
                "Read from a `application/x-www-form-urlencoded` or `multipart/form-data` \
                 body and {lax}; an empty value counts as absent."
            ),
        ),
        ParamSource::File => (
            format!("uploaded file \"{wire}\": {ty}{}", optional()),
            "A file part of a `multipart/form-data` body.".to_string(),
        ),
        ParamSource::Request => (
            "the raw request: Request".to_string(),
            "Method, path, query string, headers and body bytes, as received.".to_string(),
        ),
        ParamSource::Depends => match &p.depends {
            Some(dep) => (
                format!("dependency: {}", dep.qualified()),
                dependency_detail(dep),
            ),
            None => (
                "dependency".to_string(),
                "Provided by a `Depends(...)` callable the compiler could not follow.".to_string(),
            ),
        },
        ParamSource::Background => (
            "background tasks: BackgroundTasks".to_string(),
            "The request's one `BackgroundTasks`: tasks added to it run in order after the \
             response is sent."
                .to_string(),
        ),
        ParamSource::Temporal => (
            "the response: Response".to_string(),
            "The request's one `Response`: its status code, headers and cookies are merged \
             into the response the route sends."
                .to_string(),
        ),
    };
    let mut out = format!("{summary}\n\n{detail}");
    if let Some(marker) = p.marker_span {
        let text = analysis.db.file(marker.file).slice(marker);
        let _ = write!(out, "\n\nBound by the marker `{text}`.");
    }
    out
}

/// A query, header or cookie parameter model: the keys its fields read.
fn model_param(analysis: &Analysis, p: &Param, ty: &str, lax: &str) -> String {
    let source = match p.source {
        ParamSource::Query => "query",
        ParamSource::Header => "header",
        _ => "cookie",
    };
    let mut out = format!(
        "{source} parameter model: {ty}\n\nEach field is read from the {source} by its key and \
         {lax}; then the model is built with the fields' defaults."
    );
    if p.param_model_forbids_unknown(&analysis.ir) {
        let _ = write!(
            out,
            " `forbid_unknown_fields=True`: a {source} key no field reads is a 400."
        );
    }
    out.push('\n');
    for f in p.param_model_fields(&analysis.ir) {
        let need = if f.field.required {
            "required"
        } else {
            "optional"
        };
        let _ = write!(
            out,
            "\n- `{}` → field `{}`: {}, {need}",
            f.key,
            f.field.name,
            f.field.ty.display(&analysis.ir)
        );
    }
    if let Some(marker) = p.marker_span {
        let text = analysis.db.file(marker.file).slice(marker);
        let _ = write!(out, "\n\nBound by the marker `{text}`.");
    }
    out
}

fn route_summary(analysis: &Analysis, route: &Route) -> String {
    let methods: Vec<&str> = route.methods.iter().map(|m| m.as_str()).collect();
    let h = &route.handler;
    let response = match &route.handler.response {
        ResponseKind::Text => "text/plain; charset=utf-8 (str)".to_string(),
        ResponseKind::Bytes => "application/octet-stream (bytes)".to_string(),
        ResponseKind::Empty => "no body (None)".to_string(),
        ResponseKind::Raw => "Response, as built by the handler".to_string(),
        ResponseKind::Wrap(class) => format!(
            "{}, made from the returned value (`response_class=`)",
            class.trim_start_matches("prebake.")
        ),
        ResponseKind::Json(ty) => format!("JSON {}", ty.display(&analysis.ir)),
    };
    let mut out = format!(
        "{} {}\n\nstatus {}, response: {response}\n\nhandler `{}`{}",
        methods.join(", "),
        route.path.raw,
        route.status_code,
        h.name,
        if h.is_async { " (async)" } else { "" },
    );
    if route.methods.contains(&crate::ir::HttpMethod::Get) {
        out.push_str("; HEAD is answered too");
    }
    let place = if route.on_pool {
        "runs on the thread pool"
    } else if h.is_async {
        "runs on the event loop"
    } else {
        "runs inline on the interpreter thread"
    };
    let _ = write!(
        out,
        "\n\n{place}: {}",
        route.pool_reason.explain(&analysis.db, &h.name)
    );
    out
}

/// A dependency's resolved graph, for its hover: what it is, when it runs,
/// and what it reads from the request, nested.
fn dependency_detail(dep: &crate::ir::Dependency) -> String {
    fn walk(dep: &crate::ir::Dependency, depth: usize, out: &mut String) {
        use crate::ir::DepKind;
        let kind = match dep.kind {
            DepKind::Function {
                generator: true, ..
            } => "a `yield` dependency (teardown after the response)",
            DepKind::Function { is_async: true, .. } => "an `async def` dependency",
            DepKind::Function { .. } => "a function",
            DepKind::Class => "a class, called with its parameters",
            DepKind::Instance { .. } => "a callable instance",
            DepKind::Security => "a security dependency, reading the request",
        };
        let cache = if dep.use_cache {
            ""
        } else {
            ", called again each time (`use_cache=False`)"
        };
        let _ = writeln!(
            out,
            "{}- `{}`: {kind}{cache}",
            "  ".repeat(depth),
            dep.qualified()
        );
        for p in &dep.params {
            match &p.depends {
                Some(inner) => walk(inner, depth + 1, out),
                None => {
                    let _ = writeln!(
                        out,
                        "{}- `{}` from the {} `{}`",
                        "  ".repeat(depth + 1),
                        p.name,
                        p.source.as_str(),
                        p.wire_name
                    );
                }
            }
        }
    }
    let mut out = String::from("Solved once per request at build time:\n\n");
    walk(dep, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::SourceProvider;

    struct Mem(&'static str);

    impl SourceProvider for Mem {
        fn read(&self, rel_path: &str) -> Option<String> {
            (rel_path == "app.py").then(|| self.0.to_string())
        }
    }

    const APP: &str = r#"import time
from prebake import App
app = App()

def pause() -> None:
    time.sleep(1)

@app.get("/slow")
def slow() -> str:
    pause()
    return "done"

@app.get("/fast")
def fast() -> str:
    return "done"

@app.get("/forced", sync_to_thread=True)
def forced() -> str:
    return "done"
"#;

    fn hover_on(name: &str) -> String {
        let analysis = crate::analyze(&Mem(APP), "app.py", "");
        let at = APP.find(&format!("def {name}")).expect("handler") + 4;
        let file = analysis.ir.routes[0].handler.name_span.file;
        hover(&analysis, file, u32::try_from(at).expect("small"))
            .expect("a hover")
            .markdown
    }

    #[test]
    fn handler_hover_says_where_the_route_runs() {
        assert!(
            hover_on("slow").ends_with(
                "runs on the thread pool: `slow` calls `time.sleep` through `pause` (app.py:6)"
            ),
            "{}",
            hover_on("slow")
        );
        assert!(hover_on("fast").ends_with(
            "runs inline on the interpreter thread: `fast` calls nothing known to block"
        ));
        assert!(
            hover_on("forced").ends_with(
                "runs on the thread pool: `sync_to_thread=True` on the route (app.py:17)"
            )
        );
    }

    #[test]
    fn a_parameter_model_hover_lists_the_keys_its_fields_read() {
        const MODEL_APP: &str = r#"from typing import Annotated
import msgspec
from prebake import App, Header
app = App()

class H(msgspec.Struct, forbid_unknown_fields=True):
    save_data: bool
    x_tag: list[str] = []

@app.get("/h")
def h(headers: Annotated[H, Header()]) -> bool:
    return headers.save_data
"#;
        let analysis = crate::analyze(&Mem(MODEL_APP), "app.py", "");
        assert!(
            analysis.diagnostics.is_empty(),
            "{:?}",
            analysis.diagnostics
        );
        let at = MODEL_APP.find("headers:").expect("parameter") + 1;
        let file = analysis.ir.routes[0].handler.name_span.file;
        let text = hover(&analysis, file, u32::try_from(at).expect("small"))
            .expect("a hover")
            .markdown;
        assert!(text.starts_with("header parameter model: H"), "{text}");
        assert!(
            text.contains("a header key no field reads is a 400"),
            "{text}"
        );
        assert!(
            text.contains("- `save-data` → field `save_data`: bool, required"),
            "{text}"
        );
        assert!(
            text.contains("- `x-tag` → field `x_tag`: list[str], optional"),
            "{text}"
        );
    }
}
