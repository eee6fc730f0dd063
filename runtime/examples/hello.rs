//! SPEC §1's app (`tests/apps/hello_app.py`) compiled by `prebake::app!`,
//! the same code generator `cargo xtask build` runs: the binary the
//! runtime's process tests start.
//!
//! Run it: `cargo run -p prebake --example hello -- --port 8000`.

prebake_macros::app!("tests/apps/hello_app.py");

fn main() -> std::process::ExitCode {
    prebake::__private::main(&APP)
}
