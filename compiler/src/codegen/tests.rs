//! Router plan tests: the reference lookup against a naive matcher.

use super::router_plan::{Lookup, RouterPlan};
use crate::frontend::SourceProvider;
use crate::ir::HttpMethod;

struct Mem(&'static str);

impl SourceProvider for Mem {
    fn read(&self, rel_path: &str) -> Option<String> {
        (rel_path == "app.py").then(|| self.0.to_string())
    }
}

fn plan(src: &'static str) -> RouterPlan {
    let analysis = crate::analyze(&Mem(src), "app.py", "");
    RouterPlan::new(&analysis.ir)
}

const APP: &str = r#"
from prebake import App
app = App()

@app.get("/")
def root() -> str: return ""
@app.get("/users")
def users() -> str: return ""
@app.post("/users")
def create() -> str: return ""
@app.get("/users/me")
def me() -> str: return ""
@app.get("/users/{user_id}")
def user(user_id: int) -> str: return ""
@app.delete("/users/{user_id}")
def delete_user(user_id: int) -> str: return ""
@app.get("/users/{user_id}/repos/{repo}")
def repo(user_id: int, repo: str) -> str: return ""
@app.get("/a/{x}/c")
def axc(x: str) -> str: return ""
@app.get("/a/b/{y}")
def aby(y: str) -> str: return ""
@app.get("/files/{rest:path}")
def files(rest: str) -> str: return ""
@app.get("/trailing/")
def trailing() -> str: return ""
"#;

#[test]
fn lookups_follow_the_rules() {
    let p = plan(APP);
    let route = |m, path: &str| match p.lookup(m, path) {
        Lookup::Route(r, caps) => {
            let tpl = &p.templates[p.routes[r].template].raw;
            let caps: Vec<&str> = caps.iter().map(|&(s, e)| &path[s..e]).collect();
            format!("{tpl} {caps:?}")
        }
        Lookup::NotAllowed(r) => format!("405 {}", p.templates[p.routes[r].template].raw),
        Lookup::NotFound => "404".to_string(),
    };
    use HttpMethod::{Delete, Get, Post, Put};
    assert_eq!(route(Get, "/"), "/ []");
    assert_eq!(route(Get, "/users"), "/users []");
    assert_eq!(route(Post, "/users"), "/users []");
    assert_eq!(route(Put, "/users"), "405 /users");
    assert_eq!(route(Get, "/users/me"), "/users/me []");
    // A static path whose method is not served falls through to a dynamic one.
    assert_eq!(route(Delete, "/users/me"), "/users/{user_id} [\"me\"]");
    assert_eq!(route(Get, "/users/42"), "/users/{user_id} [\"42\"]");
    assert_eq!(route(Post, "/users/42"), "405 /users/{user_id}");
    assert_eq!(
        route(Get, "/users/42/repos/x"),
        "/users/{user_id}/repos/{repo} [\"42\", \"x\"]"
    );
    assert_eq!(route(Get, "/users//repos/x"), "404");
    assert_eq!(route(Get, "/users/42/"), "404");
    // Static segments win, with backtracking.
    assert_eq!(route(Get, "/a/b/c"), "/a/b/{y} [\"c\"]");
    assert_eq!(route(Get, "/a/z/c"), "/a/{x}/c [\"z\"]");
    assert_eq!(
        route(Get, "/files/a/b/c.txt"),
        "/files/{rest:path} [\"a/b/c.txt\"]"
    );
    assert_eq!(route(Get, "/files/"), "/files/{rest:path} [\"\"]");
    assert_eq!(route(Get, "/files"), "404");
    assert_eq!(route(Get, "/trailing/"), "/trailing/ []");
    assert_eq!(route(Get, "/trailing"), "404");
    assert_eq!(route(Get, "nope"), "404");
    assert_eq!(route(Get, ""), "404");
}

/// A naive matcher: try every template, prefer the most specific
/// (lexicographically: static < param < catch-all per segment).
fn naive(p: &RouterPlan, m: HttpMethod, path: &str) -> Option<usize> {
    use super::router_plan::Seg;
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut best: Option<(Vec<u8>, usize)> = None;
    for (ti, t) in p.templates.iter().enumerate() {
        let mut rank = Vec::new();
        let mut ok = true;
        for (i, s) in t.segments.iter().enumerate() {
            match s {
                Seg::Static(text) => {
                    ok &= segs.get(i) == Some(&text.as_str());
                    rank.push(0);
                }
                Seg::Param => {
                    ok &= segs.get(i).is_some_and(|x| !x.is_empty());
                    rank.push(1);
                }
                Seg::CatchAll => {
                    ok &= segs.len() > i;
                    rank.push(2);
                    break;
                }
            }
        }
        if !matches!(t.segments.last(), Some(Seg::CatchAll)) {
            ok &= segs.len() == t.segments.len();
        }
        if ok && p.route_for(ti, m).is_some() && best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((rank, ti));
        }
    }
    best.and_then(|(_, t)| p.route_for(t, m))
}

#[test]
fn lookup_agrees_with_naive_matcher_on_generated_paths() {
    let p = plan(APP);
    let parts = [
        "", "users", "me", "42", "repos", "x", "a", "b", "c", "files", "trailing", "z",
    ];
    let mut seed = 0x1234_5678u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let n = 1 + (next() % 5) as usize;
        let mut path = String::new();
        for _ in 0..n {
            path.push('/');
            path.push_str(parts[(next() % parts.len() as u64) as usize]);
        }
        for m in [HttpMethod::Get, HttpMethod::Post, HttpMethod::Delete] {
            let got = match p.lookup(m, &path) {
                Lookup::Route(r, _) => Some(r),
                _ => None,
            };
            assert_eq!(got, naive(&p, m, &path), "{m} {path}");
        }
    }
}
