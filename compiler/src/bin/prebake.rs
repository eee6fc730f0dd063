//! The `prebake` command line: `prebake check app.py [--format human|json|sarif]`
//! and `prebake lsp`. `cargo xtask check` and `cargo xtask lsp` forward here.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    prebake_compiler::cli::main(&args)
}
