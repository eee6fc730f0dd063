//! Middleware around the routes, in Starlette's order (the first entry is
//! the outermost).
//!
//! The built-in middleware (CORS, compression, trusted hosts, the HTTPS
//! redirect) is configured at build time and runs here, in Rust, without
//! the interpreter: a CORS preflight or a refused host is answered before
//! any Python runs, unless Python middleware sits outside it. Python
//! middleware (`BaseHTTPMiddleware`, `@app.middleware("http")`) is called
//! by `python/middleware.rs` with a `call_next` that runs the layers inside
//! it.
//!
//! An app without middleware has no table: the generated `main` calls
//! `__private::main`, [`declared`] is `None`, and a request takes the path
//! it always took (the branch that decides is the one that already decides
//! whether requests are timed).

mod compress;
mod cors;
mod host;

use std::cell::Cell;
use std::sync::OnceLock;

use hyper::Request;
use hyper::body::Incoming;

use crate::log::RequestId;
use crate::response::Resp;
use crate::server::State;

#[cfg(feature = "bench-internals")]
pub(crate) use compress::compress as compress_body;
pub(crate) use compress::take_body;
pub use compress::{Compress, Encoding};
pub use cors::Cors;
pub use host::TrustedHost;

/// The app's middleware, outermost first: what generated code emits.
pub struct Middleware {
    /// The layers, outermost first.
    pub layers: &'static [Layer],
}

/// One middleware.
pub enum Layer {
    /// `CORSMiddleware`.
    Cors(Cors),
    /// `GZipMiddleware` or `CompressionMiddleware`.
    Compress(Compress),
    /// `TrustedHostMiddleware`.
    TrustedHost(TrustedHost),
    /// `HTTPSRedirectMiddleware`.
    HttpsRedirect,
    /// Middleware written in Python: the object at the same position of
    /// `app.user_middleware`.
    Python {
        /// Its class or function name, for the log.
        name: &'static str,
    },
}

impl Layer {
    pub(crate) fn is_python(&self) -> bool {
        matches!(self, Layer::Python { .. })
    }
}

static DECLARED: OnceLock<&'static Middleware> = OnceLock::new();
static PREPARED: OnceLock<Vec<Prepared>> = OnceLock::new();

/// Records the app's middleware; called once, before start-up.
pub(crate) fn declare(mw: &'static Middleware) {
    let _ = DECLARED.set(mw);
}

/// The app's middleware, if it has any.
pub(crate) fn declared() -> Option<&'static Middleware> {
    DECLARED.get().copied()
}

/// One layer with what start-up computed for it (header values, the
/// compiled origin pattern).
enum Prepared {
    Cors(cors::Prepared),
    Compress(&'static Compress),
    TrustedHost(&'static TrustedHost),
    HttpsRedirect,
    /// The index into `app.user_middleware`.
    Python(usize),
}

/// Prepares the declared layers; the error says which setting is wrong.
pub(crate) fn prepare() -> Result<bool, String> {
    let Some(mw) = declared() else {
        return Ok(false);
    };
    let mut layers = Vec::with_capacity(mw.layers.len());
    for (i, layer) in mw.layers.iter().enumerate() {
        layers.push(match layer {
            Layer::Cors(c) => Prepared::Cors(cors::Prepared::new(c)?),
            Layer::Compress(c) => Prepared::Compress(c),
            Layer::TrustedHost(t) => Prepared::TrustedHost(t),
            Layer::HttpsRedirect => Prepared::HttpsRedirect,
            Layer::Python { .. } => Prepared::Python(i),
        });
    }
    let _ = PREPARED.set(layers);
    Ok(!mw.layers.is_empty())
}

/// What an outer layer does to the response of the layers inside it.
enum Post<'a> {
    Cors(&'a cors::Prepared, cors::Simple),
    Compress(&'static Compress, Option<Encoding>),
}

/// Serves one request through the whole stack.
pub(crate) async fn serve(
    state: &'static State,
    req: Request<Incoming>,
    rid: RequestId,
    route: &Cell<Option<usize>>,
) -> Resp {
    let layers = PREPARED.get().map_or(&[][..], Vec::as_slice);
    run_from(layers, state, req, rid, route).await
}

/// Runs `layers` (outermost first) around the route.
fn run_from<'a>(
    layers: &'static [Prepared],
    state: &'static State,
    req: Request<Incoming>,
    rid: RequestId,
    route: &'a Cell<Option<usize>>,
) -> std::pin::Pin<Box<dyn Future<Output = Resp> + 'a>> {
    Box::pin(async move {
        let mut posts: Vec<Post<'static>> = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            match layer {
                Prepared::Cors(c) => match c.request(req.method(), req.headers()) {
                    cors::Verdict::Answer(resp) => return finish(resp, &posts, route),
                    cors::Verdict::Simple(s) => posts.push(Post::Cors(c, s)),
                },
                Prepared::Compress(c) => {
                    posts.push(Post::Compress(c, compress::negotiate(c, req.headers())));
                }
                Prepared::TrustedHost(t) => {
                    if let Some(resp) = host::trusted(t, req.uri(), req.headers()) {
                        return finish(resp, &posts, route);
                    }
                }
                Prepared::HttpsRedirect => {
                    if let Some(resp) = host::https_redirect(req.uri(), req.headers()) {
                        return finish(resp, &posts, route);
                    }
                }
                Prepared::Python(index) => {
                    let inner = &layers[i + 1..];
                    let mut req = req;
                    let body = crate::server::pre_read(state, &mut req).await;
                    let resp = crate::python::middleware(*index, req, body, rid, |req| {
                        run_from(inner, state, req, rid, route)
                    })
                    .await;
                    return finish(resp, &posts, route);
                }
            }
        }
        let resp = crate::server::respond_inner(state, req, rid, route).await;
        finish(resp, &posts, route)
    })
}

/// Applies the outer layers' response work, innermost first.
fn finish(mut resp: Resp, posts: &[Post<'_>], route: &Cell<Option<usize>>) -> Resp {
    for post in posts.iter().rev() {
        match post {
            Post::Cors(c, s) => c.simple(&mut resp, s),
            Post::Compress(c, enc) => {
                if route
                    .get()
                    .is_some_and(|r| c.exclude_routes.iter().any(|&x| usize::from(x) == r))
                {
                    continue;
                }
                compress::apply(c, *enc, &mut resp);
            }
        }
    }
    resp
}
