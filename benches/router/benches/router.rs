//! Route lookups per request, on the GitHub-API-like set in `routes.txt`
//! (314 routes, mostly dynamic): prebake's generated router (perfect hash +
//! trie) against matchit and a generated slice-pattern `match`. Each
//! iteration looks up every route's sample path once; divide by 314.

use prebake::__private::{Captures, Method};
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

#[divan::bench]
fn prebake(b: divan::Bencher) {
    let reqs = requests();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            n += u32::from(prebake_lookup(*m, divan::black_box(p.as_bytes())).is_some());
        }
        n
    });
}

#[divan::bench]
fn generated_match(b: divan::Bencher) {
    let reqs = requests();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            let mut caps = Captures::new();
            n += u32::from(match_route(*m, divan::black_box(p.as_bytes()), &mut caps).is_some());
        }
        n
    });
}

#[divan::bench]
fn matchit(b: divan::Bencher) {
    let reqs = requests();
    let router = matchit_router();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            let hit = router
                .at(divan::black_box(p))
                .ok()
                .and_then(|h| h.value.iter().find(|(mm, _)| mm == m));
            n += u32::from(hit.is_some());
        }
        n
    });
}

/// Only the static paths of the set (about 60): the perfect-hash path.
fn static_requests() -> Vec<(Method, String)> {
    requests()
        .into_iter()
        .filter(|(_, p)| !p.contains("octo-42") && !p.contains("intro.md"))
        .collect()
}

#[divan::bench]
fn prebake_static_only(b: divan::Bencher) {
    let reqs = static_requests();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            n += u32::from(prebake_lookup(*m, divan::black_box(p.as_bytes())).is_some());
        }
        n
    });
}

#[divan::bench]
fn generated_match_static_only(b: divan::Bencher) {
    let reqs = static_requests();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            let mut caps = Captures::new();
            n += u32::from(match_route(*m, divan::black_box(p.as_bytes()), &mut caps).is_some());
        }
        n
    });
}

#[divan::bench]
fn matchit_static_only(b: divan::Bencher) {
    let reqs = static_requests();
    let router = matchit_router();
    b.bench(|| {
        let mut n = 0u32;
        for (m, p) in &reqs {
            let hit = router
                .at(divan::black_box(p))
                .ok()
                .and_then(|h| h.value.iter().find(|(mm, _)| mm == m));
            n += u32::from(hit.is_some());
        }
        n
    });
}
