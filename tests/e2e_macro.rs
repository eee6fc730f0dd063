//! `prebake::app!` end to end: the hello example embedded in this test
//! binary by the proc macro (the same generator `cargo xtask build` uses),
//! served in-process, and asked over a real socket.

use prebake_tests::Conn;

prebake::app!("../examples/hello/app.py");

#[test]
fn an_app_embedded_by_the_macro_serves_requests() {
    let addr = prebake::__private::spawn(&APP, "127.0.0.1:0".parse().expect("an address"))
        .expect("the app starts");
    let mut c = Conn::new(addr.port());
    let r = c.request("GET", "/json", &[], b"");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, br#"{"message":"Hello, World!"}"#.as_slice())
    );
    let r = c.request("GET", "/user/7", &[], b"");
    assert_eq!(r.text(), r#"{"id":7}"#);
    let r = c.request(
        "POST",
        "/validate",
        &[("content-type", "application/json")],
        br#"{"name":"Ada","age":-1}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["extra"][0]["key"], "age");
}
