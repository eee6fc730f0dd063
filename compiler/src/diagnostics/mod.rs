//! The one diagnostic model every phase reports into.
//!
//! A [`Diagnostic`] has a stable [`Code`] (declared in [`codes`]), a severity, a
//! primary label at the exact span, optional secondary labels, notes and a help
//! line. Phases never fail: they push into a [`Sink`] and keep going, and the
//! driver decides what the exit code is.

pub mod codes;
pub mod render;
pub mod sarif;

pub use codes::Code;

use crate::source::Span;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The program would be wrong or would not start: the build stops.
    Error,
    /// Legal but suspicious: reported, the build goes on.
    Warning,
    /// What the compiler decided, for the user to know (a route that runs
    /// on the thread pool, and why): never stops a build or fails `check`.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`, as the JSON output spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span with an optional message shown beside the caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

impl Label {
    /// A label with a message.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code (`PB011`).
    pub code: Code,
    /// Error or warning (the code's default unless overridden).
    pub severity: Severity,
    /// A terse lowercase phrase.
    pub message: String,
    /// The exact place.
    pub primary: Label,
    /// Related places (the other route of a conflict, the model's definition).
    pub secondary: Vec<Label>,
    /// Extra facts, one sentence each.
    pub notes: Vec<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label::new(span, ""),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// Sets the text under the primary caret.
    #[must_use]
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this stops the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Where phases put their findings.
#[derive(Debug, Default)]
pub struct Sink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink {
    /// An empty sink.
    pub fn new() -> Self {
        Sink::default()
    }

    /// Records a finding.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The findings, sorted by file and position, duplicates removed.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by_key(|d| (d.primary.span.file, d.primary.span.start, d.code));
        self.diagnostics.dedup();
        self.diagnostics
    }
}
