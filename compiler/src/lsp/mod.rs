//! The language server (`prebake lsp`): the same analysis as `prebake
//! check`, delivered to the editor while the user types.
//!
//! It speaks the Language Server Protocol over stdio (lsp-server and
//! lsp-types) and publishes PB diagnostics for the app each open file belongs
//! to, on open, change and save; hovers say where a handler parameter binds
//! and what a route answers; code actions apply the fixes the checks can
//! name. The modules, one job each:
//!
//! - `server`: the state machine and the message loop, with the debounce;
//! - `documents`: open documents and the overlay the front end reads them
//!   through, which keeps the last good text of a file with a syntax error;
//! - `workspace`: which app a file belongs to (the rule is in its docs) and
//!   which apps are stale;
//! - `convert`: paths and URIs, byte offsets and UTF-16 positions, and
//!   compiler diagnostics as protocol diagnostics;
//! - `hover` and `code_actions`: the two requests beyond diagnostics.
//!
//! The server reads files only through [`crate::driver::FsProvider`], so
//! the compiler's rule that IO happens in the driver holds here too.

mod code_actions;
mod convert;
mod documents;
mod hover;
mod server;
mod workspace;

pub use server::{Flow, Server, run};

/// Serves one client over stdin and stdout (`prebake lsp`).
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let result = run(&connection);
    drop(connection);
    io_threads
        .join()
        .map_err(|e| format!("lsp transport: {e}"))?;
    result
}
