//! Route lookups per request, on the GitHub-API-like set in `routes.txt`
//! (314 routes, mostly dynamic): prebake's generated router (perfect hash +
//! trie) against matchit and a generated slice-pattern `match`. Each
//! iteration looks up every route's sample path once (divide by 314), or,
//! in the `*_static_only` benches, every static path once (divide by 54).
//! All three capture path parameters as byte ranges, as the server needs.

use prebake_router::{Captures, Method};
use router_bench::{match_route, matchit_router, prebake_lookup, routes, sample_path};

fn main() {
    divan::main();
}

fn requests() -> Vec<(Method, String)> {
    routes()
        .into_iter()
        .map(|(m, t)| (m, sample_path(&t)))
        .collect()
}

/// Only the static paths of the set: the perfect-hash path.
fn static_requests() -> Vec<(Method, String)> {
    requests()
        .into_iter()
        .filter(|(_, p)| !p.contains("octo-42") && !p.contains("intro.md"))
        .collect()
}

/// Looks every request up with `lookup`; the count keeps the work alive.
fn run(b: divan::Bencher, reqs: &[(Method, String)], lookup: impl Fn(Method, &str) -> bool + Sync) {
    b.bench(|| {
        reqs.iter()
            .filter(|(m, p)| lookup(*m, divan::black_box(p)))
            .count()
    });
}

fn prebake_hit(m: Method, p: &str) -> bool {
    prebake_lookup(m, p.as_bytes()).is_some()
}

fn match_hit(m: Method, p: &str) -> bool {
    let mut caps = Captures::new();
    match_route(m, p.as_bytes(), &mut caps).is_some()
}

#[divan::bench]
fn prebake(b: divan::Bencher) {
    run(b, &requests(), prebake_hit);
}

#[divan::bench]
fn generated_match(b: divan::Bencher) {
    run(b, &requests(), match_hit);
}

#[divan::bench]
fn matchit(b: divan::Bencher) {
    let router = matchit_router();
    run(b, &requests(), |m, p| {
        router
            .at(p)
            .ok()
            .is_some_and(|h| h.value.iter().any(|(mm, _)| *mm == m))
    });
}

#[divan::bench]
fn prebake_static_only(b: divan::Bencher) {
    run(b, &static_requests(), prebake_hit);
}

#[divan::bench]
fn generated_match_static_only(b: divan::Bencher) {
    run(b, &static_requests(), match_hit);
}

#[divan::bench]
fn matchit_static_only(b: divan::Bencher) {
    let router = matchit_router();
    run(b, &static_requests(), |m, p| {
        router
            .at(p)
            .ok()
            .is_some_and(|h| h.value.iter().any(|(mm, _)| *mm == m))
    });
}
