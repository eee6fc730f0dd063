//! The prebake compiler: Python handler module in, checked IR and generated
//! Rust out.
//!
//! The pipeline: [`frontend::analyze`] parses the app's modules and lowers them
//! to the [`ir`]; [`check::check`] reports what would make the program wrong or
//! surprising; `codegen` turns a clean IR into Rust. Every phase reports into a
//! [`diagnostics::Sink`] and keeps going, so one run shows every problem.
//! [`driver`] is the only place that touches the file system. [`lsp`] serves
//! the same analysis to editors.

pub mod blocking;
pub mod check;
pub mod cli;
pub mod codegen;
pub mod diagnostics;
pub mod driver;
pub mod environment;
pub mod frontend;
pub mod ir;
pub mod lsp;
pub mod openapi;
pub mod source;
pub mod templates;

use diagnostics::{Diagnostic, Sink};
use frontend::SourceProvider;
use ir::Ir;
use source::SourceDb;

/// The result of analysing one app.
#[derive(Debug)]
pub struct Analysis {
    /// Every file that was read.
    pub db: SourceDb,
    /// The IR (partial when there were errors).
    pub ir: Ir,
    /// Every finding, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, lowers and checks the app whose entry module is `entry` (relative
/// to the provider's root).
pub fn analyze(provider: &dyn SourceProvider, entry: &str, display_prefix: &str) -> Analysis {
    let mut sink = Sink::new();
    let (mut db, mut ir) = frontend::analyze(provider, entry, display_prefix, &mut sink);
    templates::lower(provider, display_prefix, &mut db, &mut ir, &mut sink);
    check::check(&db, &ir, &mut sink);
    Analysis {
        db,
        ir,
        diagnostics: sink.finish(),
    }
}
