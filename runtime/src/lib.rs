//! # prebake runtime
//!
//! The thin server that a compiled prebake app links against: hyper 1 over
//! tokio, one embedded CPython, and the glue that calls the user's handler
//! functions. It is *not* a web framework: it has no routing DSL, no
//! middleware and no introspection. The compiler already did the thinking;
//! the runtime executes the tables it generated.
//!
//! ## The request path
//!
//! `bytes -> generated router -> generated decoder -> Python call ->
//! generated encoder -> bytes`. Per request the runtime
//!
//! 1. calls the generated router on the raw path, and answers 404 or 405
//!    (with `Allow`) itself, serving `HEAD` from `GET` routes;
//! 2. reads the body when the route wants it (415 for a non-JSON
//!    `Content-Type`, 413 past `App(max_body_size=...)`, default 1 MiB);
//! 3. runs the route's generated decode function (the server thread
//!    holds the GIL while it works), which
//!    converts parameters with msgspec's lax rules and pushes Python
//!    arguments, then vectorcalls the handler;
//! 4. for `async def` handlers, sends into the coroutine once and, only if
//!    it suspends, hands it to an asyncio Task on an event loop driven by
//!    tokio on the same thread;
//! 5. encodes the return value with the route's generated encoder, or turns
//!    an `HTTPException` or any other exception into its error response.
//!
//! Errors look like Litestar's (`docs/semantics.md`): `{"status_code": 404, "detail":
//! "Not Found"}`, and validation errors add
//! `"extra": [{"message", "key", "source"}]`.
//!
//! ## Processes and threads
//!
//! Each process has one thread that does both IO and Python, so the GIL is
//! never contended. `--workers N` starts N processes sharing the port with
//! `SO_REUSEPORT`, each with its own interpreter.
//!
//! ## In production
//!
//! Limits, timeouts, graceful shutdown, worker supervision, logs and
//! metrics, and what happens on bad input and handler faults:
//! `runtime/src/docs/production.md` (the docs of `__private::main`).
//!
//! ## For generated code
//!
//! Generated code uses only the hidden `__private` module; the contract it
//! follows is `runtime/src/docs/codegen-contract.md`, also the docs of
//! `__private`.
#![deny(missing_docs)]

#[cfg(feature = "jemalloc")]
mod alloc;

mod app;
mod body;
mod cli;
mod constraint;
mod error;
mod files;
mod form;
#[cfg(test)]
mod fuzz;
mod json;
mod lax;
mod log;
mod metrics;
mod middleware;
mod pid;
mod python;
mod request;
mod response;
mod router;
mod server;
mod spool;
#[cfg(test)]
mod testing;
mod validate;

#[doc(hidden)]
#[doc = include_str!("docs/codegen-contract.md")]
pub mod __private;

pub use error::Error;

#[cfg(feature = "macros")]
pub use prebake_macros::app;
