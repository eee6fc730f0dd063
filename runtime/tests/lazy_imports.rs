//! Start-up imports only what the app needs: an app without `async def`
//! handlers never imports asyncio (with ssl, concurrent.futures and
//! logging it was half of a small app's start-up time and a share of its
//! memory), nor `urllib.parse` on the runtime's behalf. (`inspect` comes
//! with `dataclasses`, which the `prebake` package uses.)

use prebake::__private as pb;

static MODULES: &[pb::Module] = &[pb::Module {
    name: "lazy_app",
    file: "/nonexistent/lazy_app.py",
    source: "import sys\n\n\
             def loaded():\n    \
                 heavy = ('asyncio', 'ssl', 'concurrent.futures', 'urllib.parse')\n    \
                 return ','.join(m for m in heavy if m in sys.modules) or 'none'\n",
    is_package: false,
}];

fn decode_nothing(_: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    Ok(())
}

static ROUTES: [pb::Route; 1] = [pb::Route {
    method: pb::Method::Get,
    path: "/loaded",
    handler: "loaded",
    params: &[],
    is_async: false,
    on_pool: false,
    deferred: false,
    status: 200,
    body: pb::Body::None,
    decode: decode_nothing,
    returns: pb::Returns::Text,
}];

fn router(method: pb::Method, path: &[u8], _: &mut pb::Captures) -> pb::Match {
    match (method, path) {
        (pb::Method::Get, b"/loaded") => pb::Match::Route(0),
        (_, b"/loaded") => pb::Match::NotAllowed(0),
        _ => pb::Match::NotFound,
    }
}

static APP: pb::App = pb::App {
    name: "lazy",
    entry: "lazy_app",
    app: "",
    modules: MODULES,
    types: &[],
    models: &[],
    patterns: &[],
    routes: &ROUTES,
    router,
    mounts: &[],
    app_dir: "",
};

#[test]
fn an_app_without_async_handlers_does_not_import_asyncio() {
    let addr = pb::spawn(&APP, "127.0.0.1:0".parse().expect("an address")).expect("starts");
    let r = prebake_testkit::get(addr, "/loaded");
    prebake_testkit::assert_response(&r, 200, "none");
}
