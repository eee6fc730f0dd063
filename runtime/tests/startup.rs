//! Start-up refuses an app whose tables disagree with its module, naming
//! the route, instead of failing per request later.

use prebake::__private as pb;

static MODULES: &[pb::Module] = &[pb::Module {
    name: "broken_app",
    file: "/nonexistent/broken_app.py",
    source: "def handler(a, b):\n    return 'x'\n",
    is_package: false,
}];

static APP: pb::App = pb::App {
    name: "broken",
    entry: "broken_app",
    app: "",
    modules: MODULES,
    types: &[],
    models: &[],
    patterns: &[],
    routes: &[pb::Route {
        method: pb::Method::Get,
        path: "/x",
        handler: "handler",
        params: &["a"],
        is_async: false,
        on_pool: false,
        deferred: false,
        status: 200,
        body: pb::Body::None,
        decode: |_| Ok(()),
        returns: pb::Returns::Text,
    }],
    router: |_, _, _| pb::Match::NotFound,
    mounts: &[],
    app_dir: "",
};

#[test]
fn mismatched_parameters_stop_start_up() {
    let err = pb::spawn(&APP, "127.0.0.1:0".parse().unwrap()).expect_err("start-up must fail");
    assert!(err.is_python(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("GET /x (handler)"), "{text}");
    assert!(text.contains("loading app `broken` failed"), "{text}");
}
