//! A panic in generated glue (here a route's decoder) is caught per
//! request: that request gets the 500 answer and the connection and the
//! server keep serving. Generated code never panics on purpose, so this
//! app's tables are written by hand. The panicking route takes a parameter:
//! a route with none is called without its decoder (it has nothing to
//! decode), and `/ok` is such a route.

use prebake::__private as pb;

static MODULES: &[pb::Module] = &[pb::Module {
    name: "panic_app",
    file: "/nonexistent/panic_app.py",
    source: "def ok():\n    return 'ok'\n\ndef panic(x):\n    return 'unreachable'\n",
    is_package: false,
}];

const fn route(
    path: &'static str,
    handler: &'static str,
    params: &'static [&'static str],
    decode: pb::DecodeFn,
) -> pb::Route {
    pb::Route {
        method: pb::Method::Get,
        path,
        handler,
        params,
        is_async: false,
        on_pool: false,
        deferred: false,
        status: 200,
        body: pb::Body::None,
        decode,
        returns: pb::Returns::Text,
    }
}

fn decode_nothing(_: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    Ok(())
}

fn decode_panic(_: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    panic!("a bug in generated glue")
}

static ROUTES: [pb::Route; 2] = [
    route("/ok", "ok", &[], decode_nothing),
    route("/panic", "panic", &["x"], decode_panic),
];

fn router(method: pb::Method, path: &[u8], _: &mut pb::Captures) -> pb::Match {
    let route = match path {
        b"/ok" => 0,
        b"/panic" => 1,
        _ => return pb::Match::NotFound,
    };
    if method == pb::Method::Get {
        pb::Match::Route(route)
    } else {
        pb::Match::NotAllowed(route)
    }
}

#[test]
fn a_panic_in_glue_is_a_500_and_the_connection_keeps_serving() {
    static APP: pb::App = pb::App {
        name: "panic",
        entry: "panic_app",
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
    let addr = pb::spawn(&APP, "127.0.0.1:0".parse().expect("an address")).expect("starts");
    let mut c = prebake_testkit::Conn::open(addr);
    for _ in 0..3 {
        prebake_testkit::assert_response(
            &c.get("/panic"),
            500,
            r#"{"status_code":500,"detail":"Internal Server Error"}"#,
        );
        prebake_testkit::assert_response(&c.get("/ok"), 200, "ok");
    }
}
