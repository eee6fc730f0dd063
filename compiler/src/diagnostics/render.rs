//! Rendering diagnostics for people (rustc-style snippets) and for tools
//! (JSON).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::SourceDb;

/// Output style for [`human`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// ANSI colours, for a terminal.
    Color,
    /// Plain text, for files, pipes and snapshots.
    Plain,
}

/// Renders diagnostics as rustc does: a header with the code, a snippet with
/// a caret under the exact span, then notes and help.
pub fn human(db: &SourceDb, diagnostics: &[Diagnostic], style: Style) -> String {
    let renderer = match style {
        Style::Color => Renderer::styled(),
        Style::Plain => Renderer::plain(),
    };
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&renderer.render(&report(db, d)));
        out.push_str("\n\n");
    }
    out
}

fn report<'a>(db: &'a SourceDb, d: &'a Diagnostic) -> Vec<Group<'a>> {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let file = db.file(d.primary.span.file);
    let mut snippet = Snippet::source(file.text.as_str())
        .path(file.path.as_str())
        .fold(true)
        .annotation(
            AnnotationKind::Primary
                .span(clamp(d.primary.span.range(), file.text.len()))
                .label(label(&d.primary.message)),
        );
    let mut other_files = Vec::new();
    for s in &d.secondary {
        if s.span.file == d.primary.span.file {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(clamp(s.span.range(), file.text.len()))
                    .label(label(&s.message)),
            );
        } else {
            other_files.push(s);
        }
    }
    let title = level.primary_title(d.message.as_str()).id(d.code.as_str());
    let mut group = title.element(snippet);
    for s in other_files {
        let f = db.file(s.span.file);
        group = group.element(
            Snippet::source(f.text.as_str())
                .path(f.path.as_str())
                .fold(true)
                .annotation(
                    AnnotationKind::Context
                        .span(clamp(s.span.range(), f.text.len()))
                        .label(label(&s.message)),
                ),
        );
    }
    for note in &d.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    vec![group]
}

fn label(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

fn clamp(r: std::ops::Range<usize>, len: usize) -> std::ops::Range<usize> {
    let start = r.start.min(len);
    start..r.end.clamp(start, len)
}

/// A one-line summary (`error: 2 errors, 1 warning`), or nothing when there
/// is no error or warning (information does not count).
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("{} emitted", plural(w, "warning"))),
        (e, 0) => Some(format!("could not compile: {}", plural(e, "error"))),
        (e, w) => Some(format!(
            "could not compile: {}, {}",
            plural(e, "error"),
            plural(w, "warning")
        )),
    }
}

/// One diagnostic as the JSON output spells it.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonDiagnostic {
    /// `PB011`.
    pub code: String,
    /// `missing-path-parameter`.
    pub name: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// The file path as shown to the user.
    pub file: String,
    /// 1-based line of the span's start.
    pub line: u32,
    /// 1-based column (characters) of the span's start.
    pub column: u32,
    /// 1-based line of the span's end.
    pub end_line: u32,
    /// 1-based column of the span's end (exclusive).
    pub end_column: u32,
    /// Byte offset of the span's start.
    pub byte_start: u32,
    /// Byte offset of the span's end.
    pub byte_end: u32,
    /// The text under the primary caret.
    pub label: String,
    /// Related places.
    pub related: Vec<JsonLabel>,
    /// Notes.
    pub notes: Vec<String>,
    /// The fix, if known.
    pub help: Option<String>,
}

/// A secondary label in JSON.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonLabel {
    /// File path.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// 1-based end line.
    pub end_line: u32,
    /// 1-based end column.
    pub end_column: u32,
    /// What it says.
    pub message: String,
}

/// Converts diagnostics to their JSON form.
pub fn to_json(db: &SourceDb, diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let f = db.file(d.primary.span.file);
            let start = f.line_col(d.primary.span.start);
            let end = f.line_col(d.primary.span.end);
            JsonDiagnostic {
                code: d.code.as_str().to_string(),
                name: d.code.name().to_string(),
                severity: d.severity.as_str().to_string(),
                message: d.message.clone(),
                file: f.path.clone(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                byte_start: d.primary.span.start,
                byte_end: d.primary.span.end,
                label: d.primary.message.clone(),
                related: d
                    .secondary
                    .iter()
                    .map(|s| {
                        let sf = db.file(s.span.file);
                        let a = sf.line_col(s.span.start);
                        let b = sf.line_col(s.span.end);
                        JsonLabel {
                            file: sf.path.clone(),
                            line: a.line,
                            column: a.column,
                            end_line: b.line,
                            end_column: b.column,
                            message: s.message.clone(),
                        }
                    })
                    .collect(),
                notes: d.notes.clone(),
                help: d.help.clone(),
            }
        })
        .collect()
}

/// Renders diagnostics as a pretty-printed JSON array.
pub fn json(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(&to_json(db, diagnostics)).unwrap_or_else(|_| "[]".to_string())
}
