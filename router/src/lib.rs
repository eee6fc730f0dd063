//! # prebake-router
//!
//! What the generated router and its two users share, with no Python and no
//! HTTP stack: the compiler emits a router function of type [`Router`] and
//! searches a perfect hash with [`phash`] at build time; the runtime calls
//! that function on each request, answers 404 and 405 from its [`Match`],
//! and reads path parameters out of [`Captures`].
//!
//! The runtime re-exports these names from `prebake::__private`, which is
//! the path generated code uses; this crate lets a router be generated,
//! benchmarked and fuzzed without linking libpython (`benches/router`,
//! `tests/fuzz_router.rs`).

mod hash;

pub use hash::{phash, phash_bucket, phash_slot};

/// The generated router: `(method, raw path, captures) -> match`.
pub type Router = fn(Method, &[u8], &mut Captures) -> Match;

/// What the router found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Route `n` (an index into the app's route table) serves this method
    /// and path; its path parameters are in the captures.
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
    pub const ALLOW_ORDER: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    /// The method's name (`GET`); `Other` has none of its own.
    #[must_use]
    pub fn as_str(self) -> &'static str {
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
    #[inline]
    fn default() -> Self {
        Captures::new()
    }
}

impl Captures {
    /// No captures.
    #[inline]
    #[must_use]
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
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether nothing was captured.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The byte range of parameter `i`.
    #[inline]
    #[must_use]
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        if i < self.len() {
            let (s, e) = self.spans[i];
            Some((s as usize, e as usize))
        } else {
            None
        }
    }
}

/// The `Allow` header text of each route's path template, given the routes
/// as (method, template) pairs and indexed like them: every method served by
/// a route with the same template, in [`Method::ALLOW_ORDER`], with `HEAD`
/// listed when `GET` is (`GET, HEAD, POST`).
#[must_use]
pub fn allow_texts<'a, I>(routes: I) -> Vec<String>
where
    I: IntoIterator<Item = (Method, &'a str)>,
{
    let routes: Vec<(Method, &str)> = routes.into_iter().collect();
    routes
        .iter()
        .map(|(_, path)| {
            let mut methods: Vec<Method> = routes
                .iter()
                .filter(|(_, p)| p == path)
                .map(|(m, _)| *m)
                .collect();
            if methods.contains(&Method::Get) {
                methods.push(Method::Head);
            }
            let allow: Vec<&str> = Method::ALLOW_ORDER
                .iter()
                .filter(|m| methods.contains(m))
                .map(|m| m.as_str())
                .collect();
            allow.join(", ")
        })
        .collect()
}

/// The names of a template's placeholders: `/a/{x}/{rest:path}` gives `x`, `rest`.
#[must_use]
pub fn placeholders(template: &str) -> Vec<&str> {
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

    #[test]
    fn allow_lists_a_templates_methods_in_order() {
        let routes = [
            (Method::Post, "/items"),
            (Method::Get, "/items"),
            (Method::Delete, "/items/{id}"),
        ];
        assert_eq!(
            allow_texts(routes),
            ["GET, HEAD, POST", "GET, HEAD, POST", "DELETE"]
        );
    }
}
