//! Generates, from `routes.txt`, the two routers the benchmark compares with
//! matchit: prebake's (through the real compiler: front end, router plan,
//! code generator) and a plain `match` on slice patterns of path segments.

use std::fmt::Write;
use std::path::Path;

use prebake_compiler::codegen::{router, router_plan::RouterPlan};
use prebake_compiler::frontend::SourceProvider;
use quote::quote;

struct Mem(String);

impl SourceProvider for Mem {
    fn read(&self, rel_path: &str) -> Option<String> {
        (rel_path == "app.py").then(|| self.0.clone())
    }
}

fn main() {
    println!("cargo:rerun-if-changed=routes.txt");
    let text = std::fs::read_to_string("routes.txt").expect("routes.txt");
    let routes: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (m, p) = l.split_once(' ').expect("METHOD /path");
            (m.to_string(), p.to_string())
        })
        .collect();

    // 1. prebake: write the routes as a Python app and run the compiler.
    let mut app = String::from("from prebake import App\napp = App()\n");
    for (i, (m, p)) in routes.iter().enumerate() {
        let params: Vec<String> = placeholders(p)
            .iter()
            .map(|n| format!("{n}: str"))
            .collect();
        let _ = write!(
            app,
            "\n@app.{}({p:?})\ndef h{i}({}) -> str:\n    return ''\n",
            m.to_lowercase(),
            params.join(", ")
        );
    }
    let analysis = prebake_compiler::analyze(&Mem(app), "app.py", "");
    // The real GitHub API has crossing templates (`/issues/comments/{id}` and
    // `/issues/{number}/comments`), which prebake warns about (PB014); the
    // router resolves them by its rule (static segments first), and the
    // benchmark keeps them because they are what real route sets look like.
    let errors: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(
        errors.is_empty(),
        "the route set does not check: {errors:?}"
    );
    let plan = RouterPlan::new(&analysis.ir);
    let name = quote::format_ident!("prebake_route");
    let tokens = router::generate(&plan, &quote!(crate::rt::__private), &name);
    let file = syn::parse2::<syn::File>(tokens).expect("valid tokens");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).to_path_buf();
    std::fs::write(out.join("prebake_router.rs"), prettyplease::unparse(&file)).expect("write");

    // The route id each (method, path) line got, for checking answers.
    let mut ids = String::from("pub static ROUTE_IDS: &[u16] = &[");
    for (m, p) in &routes {
        let r = plan
            .routes
            .iter()
            .position(|r| r.method.as_str() == m && plan.templates[r.template].raw == *p)
            .expect("every line is a route");
        let _ = write!(ids, "{r},");
    }
    ids.push_str("];\n");
    std::fs::write(out.join("route_ids.rs"), ids).expect("write");

    // 2. A slice-pattern `match`, arms ordered most specific first.
    let mut order: Vec<usize> = (0..routes.len()).collect();
    let rank = |p: &str| -> Vec<u8> {
        segments(p)
            .iter()
            .map(|s| {
                if s.ends_with(":path}") {
                    2
                } else if s.starts_with('{') {
                    1
                } else {
                    0
                }
            })
            .collect()
    };
    order.sort_by_key(|&i| rank(&routes[i].1));
    let mut arms = String::new();
    for i in order {
        let (m, p) = &routes[i];
        // Parameters are captured as the runtime needs them: byte ranges.
        let mut pat = Vec::new();
        let mut pushes = String::new();
        for (k, s) in segments(p).iter().enumerate() {
            if s.ends_with(":path}") {
                pat.push(format!("a{k} @ .."));
                let _ = write!(pushes, "let s = off(a{k}[0]); caps.push(s, path.len()); ");
            } else if s.starts_with('{') {
                pat.push(format!("a{k}"));
                let _ = write!(pushes, "let s = off(a{k}); caps.push(s, s + a{k}.len()); ");
            } else {
                pat.push(format!("b{s:?}"));
            }
        }
        let method = format!("{}{}", &m[..1], m[1..].to_lowercase());
        let _ = writeln!(
            arms,
            "        [{}] if m == Method::{method} => {{ {pushes}Some({i}) }},",
            pat.join(", ")
        );
    }
    let matcher = format!(
        "/// A generated `match` on slice patterns of the path's segments.\n\
         pub fn match_route(m: Method, path: &[u8], caps: &mut Captures) -> Option<u16> {{\n\
         \x20   let off = |s: &[u8]| s.as_ptr() as usize - path.as_ptr() as usize;\n\
         \x20   let mut segs: [&[u8]; 12] = [&[]; 12];\n\
         \x20   let Some(rest) = path.strip_prefix(b\"/\") else {{ return None }};\n\
         \x20   let mut n = 0;\n\
         \x20   for s in rest.split(|&b| b == b'/') {{ if n == 12 {{ return None; }} segs[n] = s; n += 1; }}\n\
         \x20   match &segs[..n] {{\n{arms}        _ => None,\n    }}\n}}\n"
    );
    std::fs::write(out.join("match_router.rs"), matcher).expect("write");
}

fn segments(p: &str) -> Vec<&str> {
    let s: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    if p == "/" { vec![""] } else { s }
}

fn placeholders(p: &str) -> Vec<String> {
    segments(p)
        .iter()
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.split(':').next().unwrap_or(s).to_string())
        .collect()
}
