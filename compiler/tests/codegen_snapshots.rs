//! The generated program of each example, snapshotted so its shape is
//! reviewable: the route table, the decoders, the encoders and the router
//! that `cargo xtask build` compiles. A change to code generation shows up
//! here as a diff to read.

use std::path::Path;

use prebake_compiler::driver::analyze_path;

fn generated(app: &str, name: &str) -> String {
    let analysis = analyze_path(Path::new(app)).expect("the example exists");
    assert!(!analysis.has_errors(), "{app} has errors");
    let file = prebake_compiler::codegen::app::generate_file(&analysis, name);
    // The embedded module sources are the examples themselves; keep the
    // snapshot about the generated code.
    let mut out = String::new();
    let mut in_source = false;
    for line in file.lines() {
        if line.trim_start().starts_with("source: \"") {
            in_source = !line.trim_end().ends_with("\",");
            out.push_str("        source: \"<the module's text>\",\n");
            continue;
        }
        if in_source {
            in_source = !line.trim_end().ends_with("\",");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn hello_program() {
    insta::assert_snapshot!(
        "hello_main_rs",
        generated("../examples/hello/app.py", "hello")
    );
}

#[test]
fn todo_program() {
    insta::assert_snapshot!("todo_main_rs", generated("../examples/todo/app.py", "todo"));
}

/// A template route: the page struct per template, a struct and reader per
/// nested model, and `Returns::Html` naming the render function.
#[test]
fn template_program() {
    let file = generated("../bench/apps/fortunes/app.py", "fortunes");
    let start = file
        .find("/// The page of `fortunes.html`")
        .expect("the fortunes page");
    let end = file[start..]
        .find("/// Serves the app")
        .map_or(file.len(), |e| start + e);
    insta::assert_snapshot!("pages_fortunes_page_rs", &file[start..end]);
    assert!(
        file.contains("pb::Returns::Html(render_fortunes_html)"),
        "{file}"
    );
    let pages = generated("../tests/apps/pages/app.py", "pages");
    assert!(pages.contains("#[template(path = \"profile.html\", askama = pb::askama)]"));
}

#[test]
fn generated_code_parses_and_is_deterministic() {
    let a = generated("../examples/todo/app.py", "todo");
    let b = generated("../examples/todo/app.py", "todo");
    assert_eq!(
        a, b,
        "code generation must be deterministic (stable builds, warm caches)"
    );
}

/// The Python module of dependency-graph functions the depends test app
/// gets (routes with `Depends`, `BackgroundTasks` or a `Response`
/// parameter call these instead of their handlers).
#[test]
fn dependency_graph_module() {
    let analysis = analyze_path(Path::new("../tests/apps/depends/app.py")).expect("the app exists");
    assert!(!analysis.has_errors(), "the depends app has errors");
    let file = prebake_compiler::codegen::app::generate_file(&analysis, "depends");
    let start = file
        .find("name: \"_prebake_routes\"")
        .expect("a graph module");
    let source = &file[start..];
    let open = source.find("source: \"").expect("its source") + "source: \"".len();
    let close = source[open..].find("\",\n").expect("the end of its source") + open;
    // The literal as Rust escapes it, read back as the Python text.
    let text: String = syn::parse_str::<syn::LitStr>(&format!("\"{}\"", &source[open..close]))
        .expect("a string literal")
        .value();
    insta::assert_snapshot!("depends_routes_py", text);
}

#[test]
fn the_route_table_says_which_routes_run_on_the_pool() {
    let file = generated(
        "tests/fixtures/check/runs_on_thread_pool/app.py",
        "runs_on_thread_pool",
    );
    let on_pool = |handler: &str| {
        let entry = &file[file
            .find(&format!("handler: \"{handler}\""))
            .expect("a route entry")..];
        let line = entry
            .lines()
            .find(|l| l.trim_start().starts_with("on_pool:"))
            .expect("on_pool field");
        line.trim().trim_end_matches(',').ends_with("true")
    };
    assert!(on_pool("sleep"));
    assert!(on_pool("forced"));
    assert!(!on_pool("inline"));
    assert!(!on_pool("fast"));
    assert!(!on_pool("in_loop"));
}
