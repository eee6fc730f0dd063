//! The API generated code calls (above: the contract). Hidden, and exempt
//! from semver.

use std::net::SocketAddr;
use std::process::ExitCode;

pub use crate::app::{App, Body, DecodeFn, EncodeFn, Module, Returns, Route, no_decode};
pub use crate::lax::Int;
#[cfg(feature = "bench-internals")]
pub use crate::python::bench;
pub use crate::python::{Call, List, Obj, enc};
pub use crate::request::{QueryPairs, percent_decode, query_decode};
pub use crate::validate::{Invalid, Mismatch, Rejection, Source};
pub use prebake_router::{
    Captures, MAX_CAPTURES, Match, Method, Router, phash, phash_bucket, phash_slot,
};

/// `msgspec.convert(s, T, strict=False)` for the scalar types.
pub mod lax {
    pub use crate::lax::{bool, bool_or_none, float, float_or_none, int, int_or_none};
}

/// msgspec's constraints (`Meta(ge=..., max_length=..., ...)`).
pub mod check {
    pub use crate::lax::{
        float_ge, float_gt, float_le, float_lt, float_multiple_of, int_ge, int_le, int_multiple_of,
        str_max_length, str_min_length,
    };
}

/// The generated binary's `main`: parses the server flags (`--help` lists
/// them), starts the interpreter, loads the app and serves until SIGTERM
/// or SIGINT.
///
#[doc = include_str!("docs/production.md")]
pub fn main(app: &'static App) -> ExitCode {
    crate::server::main(app)
}

/// [`main`] for a relocatable bundle (`cargo xtask build --bundle DIR`):
/// the interpreter's home is the folder of the executable's real path
/// (`lib/python3.X` beside it) instead of the build's environment.
pub fn main_bundled(app: &'static App) -> ExitCode {
    crate::python::set_home(crate::python::Home::Bundle);
    crate::server::main(app)
}

/// Serves `app` on a background thread of this process (for tests): binds
/// `addr` (port 0 picks a free one), starts the interpreter on that thread
/// and returns the bound address once the app is loaded. Once per process.
pub fn spawn(app: &'static App, addr: SocketAddr) -> Result<SocketAddr, crate::Error> {
    crate::server::spawn(app, addr, &[])
}

/// [`spawn`] with server flags, as on the command line (`["--max-body-size",
/// "1KiB"]`); the environment is not read.
pub fn spawn_with(
    app: &'static App,
    addr: SocketAddr,
    args: &[&str],
) -> Result<SocketAddr, crate::Error> {
    crate::server::spawn(app, addr, args)
}
