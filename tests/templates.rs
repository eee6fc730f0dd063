//! Template routes in a built binary, over real sockets: the TechEmpower
//! fortunes page byte for byte, a page using inheritance, includes, macros
//! and every kind of field (snapshots under `tests/apps/pages/expected/`),
//! XSS payloads escaped in every position of a page, and the other ways a
//! template route answers (`HTTPException`, a `Response`, a value of the
//! wrong type) and a hand-built `HTMLResponse`.
//!
//! Starts the pages test app (`tests/apps/pages/app.py`) and the fortunes
//! bench app (`bench/apps/fortunes/app.py`), built by `cargo xtask build`
//! (see `tests/apps.txt`). `tests/python/test_templates.py`
//! renders the same pages in headless Chromium.

use prebake_testkit::{Rng, Server, app_binary, get, request, root};

const HTML: &str = "text/html; charset=utf-8";

fn start() -> Server {
    Server::start(&app_binary("pages"), &[])
}

fn expected(name: &str) -> String {
    let path = root().join("tests/apps/pages/expected").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// askama's HTML escaping: the five characters markupsafe (Jinja2's
/// autoescape) escapes, written as numeric references.
fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn fortunes_is_the_techempower_page() {
    // The bench app (`bench/apps/fortunes`): what is measured is what is tested.
    let s = Server::start(&app_binary("fortunes"), &[]);
    let r = get(s.addr, "/fortunes");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some(HTML));
    assert_eq!(r.text(), expected("fortunes.html"));
    // 13 rows, sorted by message, the added one included, the script escaped.
    let text = r.text();
    assert_eq!(text.matches("<tr><td>").count(), 13);
    assert!(text.contains("<tr><td>0</td><td>Additional fortune added at request time.</td></tr>"));
    assert!(!text.contains("<script>"));
    assert!(text.contains("&#60;script&#62;alert(&#34;This should not be displayed"));
    // HEAD is served from GET, with the page's length.
    let h = request(s.addr, "HEAD", "/fortunes", &[], b"");
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-type"), Some(HTML));
    assert_eq!(
        h.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
}

#[test]
fn a_page_with_inheritance_includes_macros_and_every_kind_of_field() {
    let s = start();
    let r = get(s.addr, "/profile/ann?nick=%3Cb%3E");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some(HTML));
    assert_eq!(r.text(), expected("profile_ann.html"));
    // Without the optional query parameter the `else` branch renders.
    let r = get(s.addr, "/profile/bo");
    assert!(
        r.text().contains(r#"<p id="nick">no nickname</p>"#),
        "{}",
        r.text()
    );
    assert!(r.text().contains("<title>BO</title>"), "{}", r.text());
}

#[test]
fn xss_payloads_are_escaped_in_every_position() {
    let s = start();
    let template = std::fs::read_to_string(root().join("tests/apps/pages/templates/xss.html"))
        .expect("xss.html");
    let mut payloads: Vec<String> = [
        "<script>alert(1)</script>",
        "\"><script>alert(1)</script>",
        "' onmouseover='alert(1)",
        "\" onerror=\"alert(1)",
        "</textarea><script>alert(1)</script>",
        "--><script>alert(1)</script><!--",
        "</noscript><img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "&lt;already escaped&gt; &amp; &#60;",
        "<svg/onload=alert(1)>",
        "x onfocus=alert(1) autofocus",
        "\u{2028}\u{0}日本語 é",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    // Random strings over the characters that matter, seeded and replayable.
    let mut rng = Rng::from_env("xss payloads");
    let alphabet = [
        "<", ">", "&", "\"", "'", "/", "=", " ", "a", "é", "`", ";", "#",
    ];
    for _ in 0..40 {
        let n = 1 + rng.below(24);
        payloads.push((0..n).map(|_| rng.pick(&alphabet)).collect::<String>());
    }
    for p in &payloads {
        let r = get(s.addr, &format!("/xss?text={}", percent(p)));
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let want = template
            .trim_end_matches('\n')
            .replace("{{ text }}", &escape(p));
        assert_eq!(r.text(), want, "payload {p:?}");
        // No character of the payload that opens markup reached the page.
        let body = r.text().replace(&escape(p), "");
        assert_eq!(
            body.matches('<').count(),
            template.matches('<').count(),
            "{p:?}"
        );
    }
}

#[test]
fn a_template_route_still_raises_returns_responses_and_refuses_wrong_values() {
    let s = start();
    let r = get(s.addr, "/profile/missing");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.text(),
        r#"{"status_code":404,"detail":"no such profile"}"#
    );
    let r = get(s.addr, "/profile/redirect");
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some("/profile/ann"));
    let r = get(s.addr, "/profile/broken");
    assert_eq!(r.status, 500);
    assert_eq!(
        r.text(),
        r#"{"status_code":500,"detail":"Internal Server Error"}"#
    );
    s.expect_log("does not match its declared type");
}

#[test]
fn html_response_built_by_the_handler() {
    let s = start();
    let r = get(s.addr, "/hand?name=%3Ci%3E");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(HTML));
    assert_eq!(r.header("x-hand"), Some("1"));
    // The handler's own string: not escaped, as in Starlette.
    assert_eq!(r.text(), "<p>Hello, <i></p>");
}
