//! The contract between the generated router and the runtime.
//!
//! The compiler emits one function, [`Router`], that matches the raw
//! (percent-encoded) path bytes and the method, and records where path
//! parameters start and end in [`Captures`]. The runtime derives the rest:
//! 404 versus 405, the `Allow` header, and `HEAD` served by `GET` routes.

use hyper::header::HeaderValue;

pub(crate) use prebake_router::{Captures, Match, Method, Router, placeholders};

/// The router's view of hyper's method.
pub(crate) fn method_from_http(method: &hyper::Method) -> Method {
    match *method {
        hyper::Method::GET => Method::Get,
        hyper::Method::POST => Method::Post,
        hyper::Method::HEAD => Method::Head,
        hyper::Method::PUT => Method::Put,
        hyper::Method::PATCH => Method::Patch,
        hyper::Method::DELETE => Method::Delete,
        hyper::Method::OPTIONS => Method::Options,
        _ => Method::Other,
    }
}

/// Routes a request: `HEAD` falls back to the `GET` route of the same path,
/// and a path that matches nothing is tried once more without a trailing
/// `/` (`/items/` finds `/items`, as in Litestar), or with one (`/items`
/// finds `/items/`, which FastAPI reaches through a redirect). Captures stay
/// byte ranges of the path as sent: the added `/` follows the last segment,
/// so no capture reaches it. Only a miss pays for the second lookup.
pub(crate) fn route(router: Router, method: Method, path: &[u8], caps: &mut Captures) -> Match {
    let found = route_exact(router, method, path, caps);
    if !matches!(found, Match::NotFound) {
        return found;
    }
    match path {
        [rest @ .., b'/'] if !rest.is_empty() => {
            caps.clear();
            route_exact(router, method, rest, caps)
        }
        [b'/', _, ..] => {
            let mut slashed = Vec::with_capacity(path.len() + 1);
            slashed.extend_from_slice(path);
            slashed.push(b'/');
            caps.clear();
            let again = route_exact(router, method, &slashed, caps);
            // A catch-all that took the added `/` (`/files` for
            // `/files/{rest:path}`) is not a match of the path as sent.
            if (0..caps.len()).any(|i| caps.get(i).is_some_and(|(_, end)| end > path.len())) {
                caps.clear();
                return Match::NotFound;
            }
            again
        }
        _ => found,
    }
}

#[inline]
fn route_exact(router: Router, method: Method, path: &[u8], caps: &mut Captures) -> Match {
    let found = router(method, path, caps);
    if method == Method::Head && matches!(found, Match::NotAllowed(_)) {
        caps.clear();
        return router(Method::Get, path, caps);
    }
    found
}

/// The `Allow` header of each route's path template, given the routes as
/// (method, template) pairs and indexed like them (see
/// [`prebake_router::allow_texts`]).
pub(crate) fn allow_headers<'a>(
    routes: impl IntoIterator<Item = (Method, &'a str)>,
) -> Vec<HeaderValue> {
    prebake_router::allow_texts(routes)
        .into_iter()
        .map(|text| HeaderValue::from_str(&text).expect("method names are valid header text"))
        .collect()
}
