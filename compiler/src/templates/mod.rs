//! Templates of `template=` routes, read and checked at build time.
//!
//! askama compiles a template into the binary when rustc builds the
//! generated crate, and reports its mistakes there, as rustc errors about
//! generated code. prebake finds them first, with spans in the template and
//! in the app: this module reads each route's template (and the templates it
//! extends, includes and imports) through the [`SourceProvider`], adds them
//! to the [`SourceDb`] so diagnostics, the CLI and the language server point
//! into them, parses them with askama's own parser (`askama_parser`, the
//! same grammar the derive uses) and checks every name, field, loop and
//! filter against the model the handler returns ([`check`]).
//!
//! Architecture invariant: this is the only module that uses `askama_parser`.

mod check;

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::frontend::SourceProvider;
use crate::ir::{Ir, ResponseKind, RouteTemplate, TyKind, ValueKind, template};
use crate::source::{FileId, SourceDb, Span};

/// The default templates folder, beside the app's entry module.
pub const DEFAULT_DIR: &str = "templates";

/// The module name template files carry in the [`SourceDb`]: not a Python
/// module, so never embedded as one.
pub const TEMPLATE_MODULE: &str = "";

/// Finds the template routes, reads their templates and checks them.
pub fn lower(
    provider: &dyn SourceProvider,
    display_prefix: &str,
    db: &mut SourceDb,
    ir: &mut Ir,
    sink: &mut Sink,
) {
    ir.templates_dir = templates_dir(ir);
    let mut files = Files {
        provider,
        prefix: format!("{display_prefix}{}/", ir.templates_dir),
        dir: ir.templates_dir.clone(),
        loaded: HashMap::new(),
    };
    let mut templates = Vec::new();
    for (index, route) in ir.routes.iter().enumerate() {
        let Some(value) = route.keyword("template") else {
            continue;
        };
        if matches!(value.kind, ValueKind::None) {
            continue;
        }
        let Some(path) = value.as_str() else {
            sink.report(
                Diagnostic::new(
                    Code::PB137,
                    value.span,
                    "`template` must be a string literal",
                )
                .with_label(format!("found {}", value.type_name()))
                .with_note(
                    "templates are compiled into the binary, so the name must be written out",
                ),
            );
            continue;
        };
        let model = match &route.handler.response {
            ResponseKind::Json(ty) => match &ty.unconstrained().kind {
                TyKind::Model(id) if template::is_template_model(ir, *id) => Some(*id),
                _ => None,
            },
            _ => None,
        };
        let Some(model) = model else {
            let span = route
                .handler
                .returns
                .as_ref()
                .map_or(route.handler.name_span, |t| t.span);
            sink.report(
                Diagnostic::new(
                    Code::PB137,
                    span,
                    "a template route must return a model",
                )
                .with_secondary(value.span, "rendered with this template")
                .with_note("the template's variables are the fields of the Struct, dataclass or TypedDict the handler returns")
                .with_help("annotate the handler's return with a model, or return an `HTMLResponse` without `template=`"),
            );
            continue;
        };
        let file = files.load(db, path);
        if file.is_none() {
            sink.report(
                Diagnostic::new(
                    Code::PB130,
                    value.span,
                    format!("template `{path}` not found"),
                )
                .with_label(format!("no such file in `{}/`", ir.templates_dir))
                .with_help(format!(
                    "create `{}/{path}` beside the app, or set `App(templates=...)`",
                    ir.templates_dir
                )),
            );
        }
        templates.push(RouteTemplate {
            route: index,
            path: path.to_string(),
            span: value.span,
            model,
            file,
        });
    }
    let mut seen = std::collections::HashSet::new();
    for t in &templates {
        let Some(file) = t.file else { continue };
        for d in check::check(ir, db, &mut files, file, t.model) {
            let key = (
                d.code,
                d.primary.span.file,
                d.primary.span.start,
                d.message.clone(),
            );
            if seen.insert(key) {
                sink.report(d);
            }
        }
    }
    ir.templates = templates;
}

/// `App(templates=...)`, or the default.
fn templates_dir(ir: &Ir) -> String {
    ir.app
        .as_ref()
        .and_then(|a| a.keywords.iter().find(|(k, _)| k == "templates"))
        .and_then(|(_, v)| v.as_str())
        .map(|s| s.trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_DIR.to_string())
}

/// The template files read so far, by path relative to the templates folder.
pub(crate) struct Files<'a> {
    provider: &'a dyn SourceProvider,
    /// How template paths are shown (`app-folder/templates/`).
    prefix: String,
    /// The templates folder relative to the app's folder.
    dir: String,
    loaded: HashMap<String, Option<FileId>>,
}

impl Files<'_> {
    /// The file of template `path`, read on first use.
    pub(crate) fn load(&mut self, db: &mut SourceDb, path: &str) -> Option<FileId> {
        if let Some(id) = self.loaded.get(path) {
            return *id;
        }
        let safe = !path.starts_with('/') && !path.split('/').any(|p| p == "..");
        let id = safe
            .then(|| self.provider.read(&format!("{}/{path}", self.dir)))
            .flatten()
            .map(|text| {
                db.add(
                    format!("{}{path}", self.prefix),
                    TEMPLATE_MODULE.to_string(),
                    false,
                    text,
                )
            });
        self.loaded.insert(path.to_string(), id);
        id
    }
}

/// A span in template `file` from a byte range of its text.
pub(crate) fn span(file: FileId, range: Option<std::ops::Range<usize>>, len: usize) -> Span {
    let r = range.unwrap_or(0..0);
    let start = r.start.min(len);
    let end = r.end.clamp(start, len);
    Span::new(
        file,
        u32::try_from(start).unwrap_or(u32::MAX),
        u32::try_from(end).unwrap_or(u32::MAX),
    )
}
