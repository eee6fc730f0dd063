//! The API generated code calls (above: the contract). Hidden, and exempt
//! from semver.

use std::net::SocketAddr;
use std::process::ExitCode;

pub use crate::app::{
    App, Body, DecodeFn, EncodeFn, Module, ResponseFilter, Returns, Route, StaticMount, no_decode,
};
pub use crate::lax::Int;
pub use crate::middleware::{Compress, Cors, Encoding, Layer, Middleware, TrustedHost};
#[cfg(feature = "bench-internals")]
pub use crate::python::bench;
/// What generated template routes read their page struct with and render
/// it through (`runtime/src/python/template.rs`).
pub use crate::python::template as tpl;
pub use crate::python::{Call, List, Obj, enc};
pub use crate::request::{QueryPairs, percent_decode, query_decode};
pub use crate::validate::{Invalid, Mismatch, Rejection, Source};
/// askama, for the `Template` derive of generated page structs
/// (`#[template(askama = pb::askama)]`): the generated crate needs no
/// dependency of its own.
pub use askama;
pub use prebake_router::{
    Captures, MAX_CAPTURES, Match, Method, Router, phash, phash_bucket, phash_slot,
};

/// `body` compressed as the compression middleware does it, for the
/// bench (`benches/compress.rs`).
#[cfg(feature = "bench-internals")]
pub fn compress_body(c: &Compress, enc: Encoding, body: &[u8]) -> Vec<u8> {
    crate::middleware::compress_body(c, enc, body).expect("compressing into memory")
}

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

/// [`main_in_env`] for an app with middleware (its `MIDDLEWARE` table).
pub fn main_with(
    app: &'static App,
    middleware: &'static Middleware,
    python: Option<&'static str>,
) -> ExitCode {
    crate::middleware::declare(middleware);
    main_in_env(app, python)
}

/// [`main`] for an app built against its own Python environment: `python`
/// is that environment's interpreter (its path decides `sys.prefix`, so the
/// environment's site-packages), in place of the one the runtime was built
/// with. `cargo xtask build` passes it through the generated crate's build
/// script as `PREBAKE_APP_PYTHON`; the `PREBAKE_PYTHON` variable at run time
/// still overrides both.
pub fn main_in_env(app: &'static App, python: Option<&'static str>) -> ExitCode {
    if let Some(python) = python {
        crate::python::set_app_python(python);
    }
    crate::server::main(app)
}

/// [`main`] for a relocatable bundle (`cargo xtask build --bundle DIR`):
/// the interpreter's home is the folder of the executable's real path
/// (`lib/python3.X` beside it) instead of the build's environment.
pub fn main_bundled(app: &'static App, middleware: Option<&'static Middleware>) -> ExitCode {
    crate::python::set_home(crate::python::Home::Bundle);
    if let Some(middleware) = middleware {
        crate::middleware::declare(middleware);
    }
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
