//! Fuzzing the generated routers against the compiler's reference matcher
//! (`RouterPlan::lookup`), in process: the router of each app below is
//! generated into this test by `build.rs` with the code generator
//! `prebake::app!` and `cargo xtask build` use, and asked about random paths
//! and methods. It links `prebake-router`, not the runtime: no libpython.
//!
//! Paths are built from the templates' own segments (so that most of them
//! hit or nearly hit a route), mixed with random text, empty segments,
//! percent escapes, non-ASCII and trailing slashes. `PREBAKE_FUZZ_ITERS`
//! sets the number of paths per app (default 20,000; each is tried with
//! every method), `PREBAKE_SEED` the seed; the seed is printed.

use prebake_compiler::codegen::router_plan::{Lookup, RouterPlan, Seg};
use prebake_compiler::ir::HttpMethod;
use prebake_router as pb;
use prebake_testkit::Rng;

/// The path the generated routers are written against: in an app, the
/// runtime's `prebake::__private`; here the same names from `prebake-router`.
mod rt {
    pub(crate) use prebake_router as __private;
}

/// The generated router of each fuzzed app (see `build.rs`), as `route`.
macro_rules! generated_router {
    ($module:ident, $file:literal) => {
        #[allow(
            clippy::all,
            unused_variables,
            unused_mut,
            missing_docs,
            unreachable_pub
        )]
        mod $module {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}
generated_router!(router_app, "fuzz_router_router.rs");
generated_router!(kitchen_app, "fuzz_kitchen_router.rs");
generated_router!(todo_app, "fuzz_todo_router.rs");
generated_router!(hello_app, "fuzz_hello_router.rs");

const METHODS: [(pb::Method, HttpMethod); 7] = [
    (pb::Method::Get, HttpMethod::Get),
    (pb::Method::Head, HttpMethod::Head),
    (pb::Method::Post, HttpMethod::Post),
    (pb::Method::Put, HttpMethod::Put),
    (pb::Method::Patch, HttpMethod::Patch),
    (pb::Method::Delete, HttpMethod::Delete),
    (pb::Method::Options, HttpMethod::Options),
];

/// A random path: template segments, their neighbours, and noise.
fn path(rng: &mut Rng, words: &[String]) -> String {
    const NOISE: [&str; 12] = [
        "", "x", "42", "%2F", "a%20b", "é", "..", ".", "-", "me", "tail", "%",
    ];
    if rng.below(50) == 0 {
        // Not even a path.
        return ["", "*", "x/y", "//"][rng.below(4)].to_owned();
    }
    let depth = rng.below(7);
    let mut p = String::new();
    for _ in 0..depth {
        p.push('/');
        match rng.below(10) {
            0..=5 => p.push_str(&words[rng.below(words.len())]),
            6..=8 => p.push_str(NOISE[rng.below(NOISE.len())]),
            _ => {
                let w = &words[rng.below(words.len())];
                p.push_str(w);
                p.push(char::from(
                    b'a' + u8::try_from(rng.below(26)).expect("small"),
                ));
            }
        }
    }
    if depth == 0 || rng.below(8) == 0 {
        p.push('/');
    }
    p
}

fn fuzz(name: &str, router: pb::Router, file: &str, iterations: usize, rng: &mut Rng) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let analysis = prebake_compiler::driver::analyze_path(&source).expect("the app reads");
    let plan = RouterPlan::new(&analysis.ir);
    let mut words: Vec<String> = plan
        .templates
        .iter()
        .flat_map(|t| t.segments.iter())
        .filter_map(|s| match s {
            Seg::Static(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    words.sort();
    words.dedup();
    if words.is_empty() {
        words.push("x".into());
    }
    let template_of = |route: usize| plan.templates[plan.routes[route].template].raw.as_str();
    let mut caps = pb::Captures::new();
    for _ in 0..iterations {
        let p = path(rng, &words);
        for (method, ir_method) in METHODS {
            caps.clear();
            let got = router(method, p.as_bytes(), &mut caps);
            let want = plan.lookup(ir_method, &p);
            let ok = match (&want, got) {
                (Lookup::Route(r, spans), pb::Match::Route(i)) => {
                    let got_spans: Vec<(usize, usize)> =
                        (0..caps.len()).filter_map(|k| caps.get(k)).collect();
                    *r == usize::from(i) && *spans == got_spans
                }
                // 405: any route of the same template gives the same `Allow`.
                (Lookup::NotAllowed(r), pb::Match::NotAllowed(i)) => {
                    template_of(*r) == template_of(usize::from(i))
                }
                (Lookup::NotFound, pb::Match::NotFound) => true,
                _ => false,
            };
            assert!(
                ok,
                "{name}: {method:?} {p:?}: the generated router says {got:?}, the plan {want:?}"
            );
        }
    }
}

#[test]
fn generated_routers_agree_with_the_reference_matcher() {
    let iterations = std::env::var("PREBAKE_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng::from_env(&format!(
        "router fuzz ({iterations} paths per app, 7 methods each)"
    ));
    let apps: [(&str, pb::Router, &str); 4] = [
        ("router", router_app::route, "apps/router/app.py"),
        ("kitchen", kitchen_app::route, "apps/kitchen/app.py"),
        ("todo", todo_app::route, "../examples/todo/app.py"),
        ("hello", hello_app::route, "../examples/hello/app.py"),
    ];
    let start = std::time::Instant::now();
    for (name, router, file) in apps {
        fuzz(name, router, file, iterations, &mut rng);
    }
    eprintln!(
        "router fuzz: {} lookups compared in {:?}",
        apps.len() * iterations * METHODS.len(),
        start.elapsed()
    );
}
