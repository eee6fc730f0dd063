//! The todo example (`examples/todo/app.py`): a CRUD session over one
//! keep-alive connection, with models from another module, enums, headers
//! and 404s. Served in this test process, compiled by `prebake::app!`.

prebake_macros::app!("../examples/todo/app.py");

use prebake_testkit::Conn;
use serde_json::json;

#[test]
fn a_crud_session() {
    let addr = prebake::__private::spawn(&APP, "127.0.0.1:0".parse().expect("an address"))
        .expect("the app starts");
    let mut c = Conn::open(addr);
    let json = [("content-type", "application/json")];
    assert_eq!(c.request("GET", "/health", &[], b"").status, 200);

    let r = c.request(
        "POST",
        "/todos",
        &json,
        br#"{"title":"write tests","priority":3,"tags":[{"name":"dev"}]}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    assert_eq!(created["title"], "write tests");
    assert_eq!(created["priority"], 3);
    assert_eq!(created["status"], "open");
    assert_eq!(created["tags"], json!([{"name":"dev","color":"gray"}]));
    let id = created["id"].as_i64().expect("an id");

    let r = c.request("GET", &format!("/todos/{id}"), &[], b"");
    assert_eq!(r.json(), created);

    let r = c.request(
        "PATCH",
        &format!("/todos/{id}"),
        &json,
        br#"{"status":"done"}"#,
    );
    assert_eq!(r.json()["status"], "done");

    let r = c.request("GET", "/todos?status=done&limit=5", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));

    let r = c.request("GET", "/todos?limit=0", &[], b"");
    assert_eq!(
        r.json()["extra"][0],
        json!({"message":"Expected `int` >= 1","key":"limit","source":"query"})
    );

    let r = c.request("POST", "/todos", &json, br#"{"title":""}"#);
    assert_eq!(r.json()["extra"][0]["key"], "title");

    let r = c.request("GET", &format!("/todos/{id}/slow"), &[], b"");
    assert_eq!(r.status, 200);

    assert_eq!(
        c.request("DELETE", &format!("/todos/{id}"), &[], b"")
            .status,
        204
    );
    let r = c.request("GET", &format!("/todos/{id}"), &[], b"");
    assert_eq!(
        (r.status, r.text()),
        (404, r#"{"status_code":404,"detail":"todo not found"}"#)
    );
}
