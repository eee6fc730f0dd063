//! Generic models, NamedTuples and the per-route JSON depth guard in a built binary,
//! over real sockets: generic Structs and dataclasses decoded, validated
//! and encoded with their type arguments substituted; a body type whose
//! nesting is bounded answers a very deep body with msgspec's own message
//! (no pre-scan), while a recursive or `Any` one still gets the
//! `--max-json-depth` 400. (Every type of the differential matrix, generic
//! ones included, is compared with msgspec in `tests/differential/`.)
//!
//! Starts the generics test app (`tests/apps/generics/app.py`), built by
//! `cargo xtask build` (see `tests/apps.txt`).

use prebake_testkit::{Server, app_binary, assert_response, get, request};

fn start(args: &[&str]) -> Server {
    Server::start(&app_binary("generics"), args)
}

fn post(s: &Server, path: &str, body: &str) -> prebake_testkit::Response {
    request(
        s.addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

fn invalid(path: &str, message: &str, key: &str) -> String {
    format!(
        r#"{{"status_code":400,"detail":"Validation failed for POST {path}","extra":[{{"message":"{message}","key":"{key}","source":"body"}}]}}"#
    )
}

#[test]
fn generic_models_decode_validate_and_encode_with_their_arguments() {
    let s = start(&[]);
    assert_response(
        &post(
            &s,
            "/page",
            r#"{"items":[{"name":"a","price":1}],"total":3}"#,
        ),
        200,
        r#"{"items":[{"name":"a","price":1.0}],"total":3}"#,
    );
    assert_response(
        &post(&s, "/page", r#"{"items":[{"name":1}]}"#),
        400,
        &invalid("/page", "Expected `str`, got `int`", "items[0].name"),
    );
    assert_response(
        &post(&s, "/nested", r#"{"items":[[{"name":2}]]}"#),
        400,
        &invalid("/nested", "Expected `str`, got `int`", "items[0][0].name"),
    );
    // Two type variables, renamed fields: the arguments swap on the way out.
    assert_response(
        &post(&s, "/pair", r#"{"firstOne":1,"secondOne":"x"}"#),
        200,
        r#"{"firstOne":"x","secondOne":1}"#,
    );
    assert_response(
        &post(&s, "/pair", r#"{"firstOne":"1","secondOne":"x"}"#),
        400,
        &invalid("/pair", "Expected `int`, got `str`", "firstOne"),
    );
    // A recursive generic.
    assert_response(
        &post(
            &s,
            "/tree",
            r#"{"value":1,"children":[{"value":2,"children":[{"value":"x"}]}]}"#,
        ),
        400,
        &invalid(
            "/tree",
            "Expected `int`, got `str`",
            "children[0].children[0].value",
        ),
    );
    assert_response(
        &post(&s, "/tree", r#"{"value":1,"children":[{"value":2}]}"#),
        200,
        r#"{"value":1,"children":[{"value":2,"children":[]}]}"#,
    );
    // Generic bases: `Page[int]`, and `Page[T]` parametrised at the use.
    assert_response(
        &post(&s, "/int-page", r#"{"items":["x"]}"#),
        400,
        &invalid("/int-page", "Expected `int`, got `str`", "items[0]"),
    );
    assert_response(
        &post(&s, "/int-page", r#"{"items":[5,6]}"#),
        200,
        r#"{"items":[5,6],"total":0,"more":2}"#,
    );
    // A generic dataclass.
    assert_response(
        &post(&s, "/box", r#"{"value":[1,2]}"#),
        200,
        r#"{"value":[1,2]}"#,
    );
    assert_response(
        &post(&s, "/box", r#"{"value":[1,"x"]}"#),
        400,
        &invalid("/box", "Expected `int`, got `str`", "value[1]"),
    );
    // The encoder checks the substituted field types.
    assert_response(
        &get(s.addr, "/wrong"),
        500,
        r#"{"status_code":500,"detail":"Internal Server Error"}"#,
    );
    s.expect_log("expected `int`, got `str` at `$.items[0]`");
}

#[test]
fn the_depth_guard_runs_only_where_the_type_does_not_bound_nesting() {
    let s = start(&["--max-body-size", "1MiB"]);
    let deep = "[".repeat(300);
    // Bounded types: msgspec answers at the first byte it cannot take,
    // however deep the rest goes.
    assert_response(
        &post(&s, "/depth/int", &deep),
        400,
        &invalid("/depth/int", "Expected `int`, got `array`", "n"),
    );
    assert_response(
        &post(&s, "/depth/strict", &format!(r#"{{"tags":[{deep}"#)),
        400,
        &invalid("/depth/strict", "Expected `str`, got `array`", "tags[0]"),
    );
    // A recursive type and `Any`: the pre-scan's 400.
    let too_deep =
        r#"{"status_code":400,"detail":"JSON is malformed: nested deeper than 256 levels"}"#;
    let outline = format!(
        r#"{{"title":"a","parts":{}[]{}}}"#,
        r#"[{"title":"b","parts":"#.repeat(300),
        "}]".repeat(300)
    );
    assert_response(&post(&s, "/depth/outline", &outline), 400, too_deep);
    assert_response(
        &post(
            &s,
            "/depth/any",
            &format!(r#"{{"a":{deep}{}}}"#, "]".repeat(300)),
        ),
        400,
        too_deep,
    );
    // Within the limit, the recursive type decodes.
    let shallow = format!(
        r#"{{"title":"a","parts":{}[]{}}}"#,
        r#"[{"title":"b","parts":"#.repeat(100),
        "}]".repeat(100)
    );
    assert_response(&post(&s, "/depth/outline", &shallow), 200, "1");
    drop(s);
    // A limit below a bounded type's own depth still applies to it.
    let s = start(&["--max-body-size", "1MiB", "--max-json-depth", "1"]);
    assert_response(
        &post(&s, "/depth/strict", r#"{"tags":["a"]}"#),
        400,
        r#"{"status_code":400,"detail":"JSON is malformed: nested deeper than 1 levels"}"#,
    );
    assert_response(
        &post(&s, "/depth/int", &deep),
        400,
        &invalid("/depth/int", "Expected `int`, got `array`", "n"),
    );
}

#[test]
fn named_tuples_are_arrays_both_ways() {
    let s = start(&[]);
    assert_response(&post(&s, "/point", "[1]"), 200, "[1,0.5]");
    assert_response(&post(&s, "/point", "[1,2]"), 200, "[1,2.0]");
    // msgspec's own length messages.
    for body in ["[]", "[1,2,3]"] {
        assert_response(
            &post(&s, "/point", body),
            400,
            &invalid("/point", "Expected `array` of length 1 to 2", "body"),
        );
    }
    assert_response(
        &post(&s, "/point", r#"{"x":1}"#),
        400,
        &invalid("/point", "Expected `array`, got `object`", "body"),
    );
    assert_response(
        &post(&s, "/point", r#"["1"]"#),
        400,
        &invalid("/point", "Expected `int`, got `str`", "[0]"),
    );
    // Generic, functional and nested forms.
    assert_response(&post(&s, "/labelled", r#"["n",7]"#), 200, r#"["n",7]"#);
    assert_response(
        &post(&s, "/labelled", r#"["n","7"]"#),
        400,
        &invalid("/labelled", "Expected `int`, got `str`", "[1]"),
    );
    assert_response(
        &post(&s, "/legacy", r#"[{"any":1}]"#),
        200,
        r#"[{"any":1},"b"]"#,
    );
    assert_response(
        &post(&s, "/shape", r#"{"corner":[1],"path":[[2,3.5]]}"#),
        200,
        r#"{"corner":[1,0.5],"path":[[2,3.5]]}"#,
    );
    assert_response(
        &post(&s, "/shape", r#"{"corner":[1],"path":[[2,"x"]]}"#),
        400,
        &invalid("/shape", "Expected `float`, got `str`", "path[0][1]"),
    );
}

#[test]
fn a_named_tuple_return_converts_as_msgspec_convert_does() {
    let s = start(&[]);
    // A plain tuple or list of the right length, the defaults filling the
    // rest; another NamedTuple is a tuple too.
    assert_response(&get(s.addr, "/point/tuple"), 200, "[3,0.5]");
    assert_response(&get(s.addr, "/point/list"), 200, "[3,1.5]");
    assert_response(&get(s.addr, "/point/other"), 200, "[4,2.5]");
    // Too long, not an array, or the class with a wrong item: a 500.
    for how in ["long", "dict", "wrong"] {
        let r = get(s.addr, &format!("/point/{how}"));
        assert_eq!(r.status, 500, "{how}: {}", String::from_utf8_lossy(&r.body));
    }
}
