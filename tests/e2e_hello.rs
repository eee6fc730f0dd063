//! End to end: build `examples/hello`, start the binary, and check every
//! endpoint and error status of SPEC §1–§2 over real HTTP connections.

use prebake_tests::{Server, app_binary};
use serde_json::json;

fn server() -> Server {
    Server::start(&app_binary("hello"), &[])
}

#[test]
fn the_four_endpoints_answer_as_the_spec_says() {
    let s = server();
    assert!(
        s.startup_log.contains("listening on http://127.0.0.1:"),
        "{}",
        s.startup_log
    );

    let r = s.get("/plaintext");
    assert_eq!((r.status, r.text().as_str()), (200, "Hello, World!"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let r = s.get("/json");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, br#"{"message":"Hello, World!"}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));

    let r = s.get("/user/42");
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"id":42}"#));

    let r = s.post_json("/validate", r#"{"name":"Ada","age":42}"#);
    assert_eq!(r.status, 201);
    assert_eq!(r.body, br#"{"name":"Ada","age":42,"email":null}"#);
}

#[test]
fn validation_errors_have_the_litestar_shape() {
    let s = server();
    let r = s.get("/user/abc");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"status_code":400,"detail":"Validation failed for GET /user/abc","extra":[{"message":"Expected `int`, got `str`","key":"user_id","source":"path"}]}"#
    );

    let r = s.post_json("/validate", r#"{"name":"","age":42}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"status_code":400,"detail":"Validation failed for POST /validate","extra":[{"message":"Expected `str` of length >= 1","key":"name","source":"body"}]})
    );

    let r = s.post_json("/validate", r#"{"name":"Ada","age":151}"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `int` <= 150","key":"age","source":"body"})
    );

    let r = s.post_json("/validate", r#"{"name":"Ada","age":"42"}"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `int`, got `str`","key":"age","source":"body"})
    );

    let r = s.post_json("/validate", r#"{"name":"Ada","age":4,"x":1}"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Object contains unknown field `x`","key":"user","source":"body"})
    );

    let r = s.post_json("/validate", r#"{"age":4}"#);
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Object missing required field `name`","key":"user","source":"body"})
    );

    let r = s.post_json("/validate", "[]");
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `object`, got `array`","key":"user","source":"body"})
    );
}

#[test]
fn malformed_json_is_a_400_with_msgspecs_message() {
    let s = server();
    let r = s.post_json("/validate", r#"{"name":"Ada","age":42}xx"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"status_code":400,"detail":"JSON is malformed: trailing characters (byte 24)"}"#
    );
    let r = s.post_json("/validate", r#"{"name":"Ada""#);
    assert_eq!(
        r.text(),
        r#"{"status_code":400,"detail":"Input data was truncated"}"#
    );
    let r = s.post_json("/validate", "");
    assert_eq!(
        r.text(),
        r#"{"status_code":400,"detail":"Input data was truncated"}"#
    );
}

#[test]
fn not_found_method_not_allowed_and_head() {
    let s = server();
    let r = s.get("/nope");
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, r#"{"status_code":404,"detail":"Not Found"}"#)
    );
    let r = s.get("/user/1/extra");
    assert_eq!(r.status, 404);

    let r = s.request("DELETE", "/json", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(
        r.text(),
        r#"{"status_code":405,"detail":"Method Not Allowed"}"#
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD"));

    let r = s.request("GET", "/validate", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));

    let r = s.request("HEAD", "/plaintext", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("13"));
}

#[test]
fn unsupported_media_type_and_body_limit() {
    let s = server();
    let r = s.request(
        "POST",
        "/validate",
        &[("content-type", "text/plain")],
        br#"{"name":"Ada","age":42}"#,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            415,
            r#"{"status_code":415,"detail":"Unsupported Media Type"}"#
        )
    );
    let r = s.request(
        "POST",
        "/validate",
        &[("content-type", "application/json; charset=utf-8")],
        br#"{"name":"Ada","age":42}"#,
    );
    assert_eq!(r.status, 201);
    // 413 as soon as the declared length passes the limit: the server answers
    // before the body is sent (and closes without reading it).
    let mut c = s.connect();
    c.send_raw(
        b"POST /validate HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 2097152\r\n\r\n",
    );
    let r = c.read_response(false);
    assert_eq!(r.status, 413);
    assert_eq!(
        r.text(),
        r#"{"status_code":413,"detail":"Request Entity Too Large"}"#
    );
    // A client that writes the whole body before it reads (Python's
    // http.client does) gets the 413 too, not a reset mid-write: the
    // server reads and drops the rest of the body before it closes.
    for _ in 0..3 {
        let mut c = s.connect();
        let mut req = b"POST /validate HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 2097152\r\n\r\n".to_vec();
        req.resize(req.len() + 2_097_152, b' ');
        c.send_raw(&req);
        let r = c.read_response(false);
        assert_eq!(r.status, 413);
    }
}

#[test]
fn keep_alive_and_pipelining() {
    let s = server();
    let mut c = s.connect();
    for i in 0..20 {
        let r = c.request("GET", &format!("/user/{i}"), &[], b"");
        assert_eq!(r.text(), format!(r#"{{"id":{i}}}"#));
    }
    // Three requests written at once, answered in order.
    c.send("GET", "/plaintext", &[], b"");
    c.send(
        "POST",
        "/validate",
        &[("content-type", "application/json")],
        br#"{"name":"B","age":1}"#,
    );
    c.send("GET", "/json", &[], b"");
    assert_eq!(c.read_response(false).text(), "Hello, World!");
    assert_eq!(c.read_response(false).status, 201);
    assert_eq!(
        c.read_response(false).body,
        br#"{"message":"Hello, World!"}"#
    );
}

#[test]
fn percent_encoded_path_parameters_are_decoded() {
    let s = server();
    let r = s.get("/user/%34%32");
    assert_eq!(r.text(), r#"{"id":42}"#);
}
