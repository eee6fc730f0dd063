//! The contract between the generated router and the runtime.
//!
//! The compiler emits one function, [`Router`], that matches the raw
//! (percent-encoded) path bytes and the method, and records where path
//! parameters start and end in [`Captures`]. The runtime derives the rest:
//! 404 versus 405, the `Allow` header, and `HEAD` served by `GET` routes.

use hyper::header::HeaderValue;

use crate::app::Route;

/// The generated router: `(method, raw path, captures) -> match`.
pub type Router = fn(Method, &[u8], &mut Captures) -> Match;

/// What the router found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Route `n` (an index into `App::routes`) serves this method and path;
    /// its path parameters are in the captures.
    Route(u16),
    /// The path matches the template of route `n`, but no route with that
    /// template serves this method (the runtime answers 405).
    NotAllowed(u16),
    /// No template matches the path.
    NotFound,
}

/// An HTTP method, as the router sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// Any other method: never routed, answered 405 or 404.
    Other,
}

impl Method {
    /// The methods in the order an `Allow` header lists them.
    pub(crate) const ALLOW_ORDER: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    pub(crate) fn from_http(method: &hyper::Method) -> Method {
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

    /// The method's name (`GET`); `Other` has none of its own.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// The most path parameters one route may have.
pub const MAX_CAPTURES: usize = 16;

/// Byte ranges of the path parameters in the raw path, in template order.
#[derive(Clone, Debug)]
pub struct Captures {
    len: u8,
    spans: [(u32, u32); MAX_CAPTURES],
}

impl Default for Captures {
    fn default() -> Self {
        Captures::new()
    }
}

impl Captures {
    /// No captures.
    pub const fn new() -> Captures {
        Captures {
            len: 0,
            spans: [(0, 0); MAX_CAPTURES],
        }
    }

    /// Records the next parameter: `path[start..end]`. Captures past
    /// [`MAX_CAPTURES`] are ignored (the compiler rejects such routes).
    #[inline]
    pub fn push(&mut self, start: usize, end: usize) {
        let i = usize::from(self.len);
        if i < MAX_CAPTURES {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "hyper caps a request line far below 4 GiB"
            )]
            {
                self.spans[i] = (start as u32, end as u32);
            }
            self.len += 1;
        }
    }

    /// Forgets every capture (a router that backtracks calls this).
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// How many parameters were captured.
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether nothing was captured.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The byte range of parameter `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        if i < self.len() {
            let (s, e) = self.spans[i];
            Some((s as usize, e as usize))
        } else {
            None
        }
    }
}

/// Routes a request: `HEAD` falls back to the `GET` route of the same path,
/// and a path that matches nothing is tried once more without a trailing
/// `/` (`/items/` finds `/items`, as in Litestar; captures stay byte
/// ranges of the path as sent).
pub(crate) fn route(router: Router, method: Method, path: &[u8], caps: &mut Captures) -> Match {
    let found = route_exact(router, method, path, caps);
    if let (Match::NotFound, [rest @ .., b'/']) = (&found, path)
        && !rest.is_empty()
    {
        caps.clear();
        return route_exact(router, method, rest, caps);
    }
    found
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

/// The `Allow` header of each route's path template, indexed like the routes.
///
/// Methods follow [`Method::ALLOW_ORDER`]; `HEAD` is listed when `GET` is.
pub(crate) fn allow_headers(routes: &[Route]) -> Vec<HeaderValue> {
    routes
        .iter()
        .map(|route| {
            let mut methods: Vec<Method> = routes
                .iter()
                .filter(|r| r.path == route.path)
                .map(|r| r.method)
                .collect();
            if methods.contains(&Method::Get) {
                methods.push(Method::Head);
            }
            let allow: Vec<&str> = Method::ALLOW_ORDER
                .iter()
                .filter(|m| methods.contains(m))
                .map(|m| m.as_str())
                .collect();
            HeaderValue::from_str(&allow.join(", ")).expect("method names are valid header text")
        })
        .collect()
}

/// The names of a template's placeholders: `/a/{x}/{rest:path}` gives `x`, `rest`.
pub(crate) fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        names.push(inner.split(':').next().unwrap_or(inner));
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_order() {
        assert_eq!(placeholders("/a/{x}/b/{rest:path}"), ["x", "rest"]);
        assert!(placeholders("/plain").is_empty());
    }

    #[test]
    fn captures_cap_at_max() {
        let mut caps = Captures::new();
        for i in 0..MAX_CAPTURES + 3 {
            caps.push(i, i + 1);
        }
        assert_eq!(caps.len(), MAX_CAPTURES);
        assert_eq!(caps.get(2), Some((2, 3)));
        assert_eq!(caps.get(MAX_CAPTURES), None);
    }
}
