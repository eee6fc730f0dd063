//! Checks over the IR. Each rule lives in its own file under `rules/`.
//!
//! Architecture invariant: checks never mutate the IR; they only report.

use crate::diagnostics::Sink;
use crate::ir::Ir;
use crate::source::SourceDb;

/// Runs every check.
pub fn check(_db: &SourceDb, _ir: &Ir, _sink: &mut Sink) {}
