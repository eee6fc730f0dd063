//! Every other case the runtime must get right (`tests/apps/kitchen_app.py`),
//! compiled by `prebake::app!`: the binary the runtime's production tests
//! start.
//!
//! Run it: `cargo run -p prebake --example kitchen -- --port 8000`.

prebake_macros::app!("tests/apps/kitchen_app.py");

fn main() -> std::process::ExitCode {
    prebake::__private::main(&APP)
}
