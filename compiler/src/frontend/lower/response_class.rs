//! FastAPI's `response_class=` on a route decorator: which class makes the
//! response from what the handler returns.
//!
//! FastAPI passes a returned value that is not a `Response` to the class
//! (`HTMLResponse(text)`, `RedirectResponse(url)`, `FileResponse(path)`),
//! and the class's media type is the OpenAPI document's. prebake knows its
//! own classes at build time: the JSON ones change nothing (the declared
//! type is encoded as without the keyword), the others become
//! [`ResponseKind::Wrap`](crate::ir::ResponseKind::Wrap). A class of the app
//! (a subclass with its own rendering) is PB165: its constructor would run
//! per request with whatever the handler returned, unchecked.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};

/// What `response_class=` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseClass {
    /// `JSONResponse`, `ORJSONResponse`, `UJSONResponse`: JSON, as without
    /// it when the handler is annotated; else the class encodes whatever
    /// is returned (by qualified name).
    Json(&'static str),
    /// Any other `prebake` response class, by qualified name.
    Wrap(&'static str),
}

/// The JSON classes.
const JSON: &[&str] = &[
    "prebake.JSONResponse",
    "prebake.ORJSONResponse",
    "prebake.UJSONResponse",
];

/// The classes a returned value is passed to.
const WRAPPING: &[&str] = &[
    "prebake.HTMLResponse",
    "prebake.PlainTextResponse",
    "prebake.RedirectResponse",
    "prebake.FileResponse",
    "prebake.StreamingResponse",
    "prebake.Response",
];

impl Lowerer<'_> {
    /// Reads `response_class=<expr>`; `None` for `None` or after PB165.
    pub(super) fn response_class(&mut self, m: usize, expr: &ast::Expr) -> Option<ResponseClass> {
        if matches!(expr, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::None)) {
            return None;
        }
        let resolved = self.scopes.resolve(self.program, m, expr);
        if let Some(name) = resolved.external() {
            if let Some(known) = JSON.iter().find(|c| **c == name) {
                return Some(ResponseClass::Json(known));
            }
            if let Some(known) = WRAPPING.iter().find(|c| **c == name) {
                return Some(ResponseClass::Wrap(known));
            }
        }
        let span = self.program.span(m, expr);
        let text = self.text(span).to_string();
        self.sink.report(
            Diagnostic::new(
                Code::PB165,
                span,
                format!("`response_class={text}` is not supported"),
            )
            .with_label("not one of prebake's response classes")
            .with_note("prebake makes the response from the returned value with its own classes: `HTMLResponse`, `PlainTextResponse`, `RedirectResponse`, `FileResponse`, `StreamingResponse`, `Response`, and the JSON ones (`JSONResponse`, `ORJSONResponse`, `UJSONResponse`)")
            .with_help("return the response itself (`return MyResponse(...)`, annotated `-> Response`), or name one of prebake's classes"),
        );
        None
    }
}
