//! The front end: Python source in, typed IR out.
//!
//! Architecture invariant: this is the only module that uses
//! `rustpython_parser`; everything after it sees only [`crate::ir`].
//!
//! The front end never fails. It loads the entry module and, following local
//! imports, every module of the app's folder it reaches; a module that does not
//! parse is reported (PB001) and treated as empty, or lowered from its last
//! good text when the provider keeps one (the language server does). Lowering reports what it
//! cannot read (unknown names, unsupported annotations) and keeps going with
//! [`crate::ir::TyKind::Unknown`] in its place.

mod calls;
mod depends;
mod imports;
mod lower;
mod models;
mod modules;
mod password_form;
mod prebake_names;
mod scope;
mod types;
mod values;

pub use imports::MissingModules;
pub use modules::SourceProvider;

use crate::diagnostics::Sink;
use crate::ir::Ir;
use crate::source::SourceDb;

/// Loads the app whose entry module is `entry` (a file name relative to the
/// provider's root, such as `app.py`), and lowers it to IR.
///
/// `display_prefix` is prepended to file names in diagnostics (the folder the
/// user named, such as `examples/todo/`).
pub fn analyze(
    provider: &dyn SourceProvider,
    entry: &str,
    display_prefix: &str,
    sink: &mut Sink,
) -> (SourceDb, Ir) {
    let program = modules::load(provider, entry, display_prefix, sink);
    let ir = lower::lower(&program, sink);
    check_static_dirs(provider, &ir, sink);
    imports::check(&program, provider, sink);
    prebake_names::check(&program, sink);
    (program.db, ir)
}

/// PB110: a `StaticFiles` directory (with `check_dir=True`, the default)
/// that is not a directory of the app's folder, as Starlette refuses it at
/// start-up, but before anything runs.
fn check_static_dirs(provider: &dyn SourceProvider, ir: &Ir, sink: &mut Sink) {
    for m in ir.mounts.iter().filter(|m| m.check_dir) {
        if provider.is_dir(&m.directory) == Some(false) {
            sink.report(
                crate::diagnostics::Diagnostic::new(
                    crate::diagnostics::Code::PB110,
                    m.directory_span,
                    format!("StaticFiles directory '{}' does not exist", m.directory),
                )
                .with_label("no such directory in the app's folder")
                .with_note(
                    "a relative directory is relative to the folder of the app's entry module",
                )
                .with_help(
                    "create the directory, or pass `check_dir=False` to serve it when it appears",
                ),
            );
        }
    }
}
