//! The three routers of the benchmark, over the route set in `routes.txt`:
//! prebake's generated router, a generated slice-pattern `match`, and
//! matchit (the router axum uses), plus the request paths to look up.

use prebake_router::{Captures, Match, Method};

/// The path generated routers are written against (`<rt>::__private::Method`,
/// `<rt>::__private::phash`, ...): in an app that is the runtime, `::prebake`;
/// here the same names straight from `prebake-router`, so the bench does not
/// link libpython.
mod rt {
    pub(crate) use prebake_router as __private;
}

#[allow(
    clippy::all,
    unused_variables,
    unused_mut,
    missing_docs,
    unreachable_pub
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/prebake_router.rs"));
}
#[allow(clippy::all, missing_docs, unreachable_pub)]
mod matched {
    use prebake_router::{Captures, Method};
    include!(concat!(env!("OUT_DIR"), "/match_router.rs"));
}
#[allow(missing_docs)]
mod ids {
    include!(concat!(env!("OUT_DIR"), "/route_ids.rs"));
}

pub use generated::prebake_route;
pub use ids::ROUTE_IDS;
pub use matched::match_route;

/// The route set: (method, template) per line of `routes.txt`.
pub fn routes() -> Vec<(Method, String)> {
    include_str!("../routes.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (m, p) = l.split_once(' ').expect("METHOD /path");
            let method = match m {
                "GET" => Method::Get,
                "POST" => Method::Post,
                "PUT" => Method::Put,
                "PATCH" => Method::Patch,
                "DELETE" => Method::Delete,
                "HEAD" => Method::Head,
                _ => Method::Options,
            };
            (method, p.to_string())
        })
        .collect()
}

/// A request path for a template: placeholders filled with sample values.
pub fn sample_path(template: &str) -> String {
    let mut out = String::new();
    for seg in template.split('/').skip(1) {
        out.push('/');
        if seg.ends_with(":path}") {
            out.push_str("docs/guide/intro.md");
        } else if seg.starts_with('{') {
            out.push_str("octo-42");
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() { "/".to_string() } else { out }
}

/// matchit over the distinct templates; the value is the template's
/// (method, route id) list, searched after the path matches.
pub fn matchit_router() -> matchit::Router<Vec<(Method, u16)>> {
    let mut by_path: Vec<(String, Vec<(Method, u16)>)> = Vec::new();
    for (i, (m, p)) in routes().into_iter().enumerate() {
        let id = u16::try_from(i).expect("few routes");
        match by_path.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push((m, id)),
            None => by_path.push((p, vec![(m, id)])),
        }
    }
    let mut router = matchit::Router::new();
    for (p, v) in by_path {
        let syntax = p
            .replace(":path}", "}")
            .replace("/{path}", "/{*path}")
            .replace("/{ref}", "/{*ref}");
        let syntax = if p.contains(":path}") {
            syntax
        } else {
            p.clone()
        };
        router
            .insert(syntax, v)
            .expect("matchit accepts the route set");
    }
    router
}

/// Routes with prebake's generated router.
#[inline]
pub fn prebake_lookup(m: Method, path: &[u8]) -> Option<u16> {
    let mut caps = Captures::new();
    match prebake_route(m, path, &mut caps) {
        Match::Route(r) => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_routers_agree() {
        let mr = matchit_router();
        for (i, (m, t)) in routes().into_iter().enumerate() {
            let path = sample_path(&t);
            let want = ROUTE_IDS[i];
            assert_eq!(
                prebake_lookup(m, path.as_bytes()),
                Some(want),
                "prebake {t} {path}"
            );
            let mut caps = Captures::new();
            assert_eq!(
                match_route(m, path.as_bytes(), &mut caps),
                Some(u16::try_from(i).expect("few")),
                "match {t}"
            );
            let found = mr
                .at(&path)
                .ok()
                .and_then(|h| h.value.iter().find(|(mm, _)| *mm == m).map(|(_, id)| *id));
            assert_eq!(
                found,
                Some(u16::try_from(i).expect("few")),
                "matchit {t} {path}"
            );
        }
    }
}
