//! Fuzzing the generated decoders: the kitchen app, compiled into this test
//! by `prebake::app!` and served in-process, gets random query strings,
//! headers, cookies, path parameters and JSON bodies. Whatever arrives, the
//! answer must be a success or a 4xx in the error shape (`status_code`,
//! `detail`, `extra`): a 500 would mean a decoder let through something its
//! handler cannot take, or failed inside. `PREBAKE_FUZZ_ITERS` sets the number of requests (default
//! 3,000), `PREBAKE_SEED` the seed, which is printed.

use prebake_testkit::{Conn, Rng};

prebake_macros::app!("../tests/apps/kitchen/app.py");

/// Values that sit on the edges of the lax conversions and constraints.
const VALUES: [&str; 40] = [
    "",
    "0",
    "1",
    "-1",
    "100",
    "101",
    "007",
    "1e3",
    "1.5",
    "-0.0",
    "nan",
    "inf",
    "-inf",
    "1_000",
    "99999999999999999999999",
    "true",
    "false",
    "True",
    "FALSE",
    "yes",
    "null",
    "None",
    "red",
    "blue",
    "fast",
    "slow",
    "abc",
    "ABC",
    "ab",
    "abcdef",
    "%20",
    "%2B",
    "+",
    "%C3%A9",
    "%zz",
    "%ff",
    "%00",
    "a%26b",
    "\u{e9}",
    "x",
];

const NAMES: [&str; 11] = [
    "q", "limit", "ratio", "flag", "tags", "ids", "color", "mode", "name", "junk", "q%00",
];

fn query(rng: &mut Rng) -> String {
    let n = rng.below(6);
    let mut pairs: Vec<String> = (0..n)
        .map(|_| {
            let name = rng.pick(&NAMES);
            let value = rng.pick(&VALUES);
            match rng.below(10) {
                0 => name.to_owned(),
                _ => format!("{name}={value}"),
            }
        })
        .collect();
    if rng.below(4) != 0 {
        pairs.push(format!("q={}", rng.pick(&VALUES)));
    }
    pairs.join("&")
}

/// A JSON body near a valid `Point`, sometimes broken.
fn point_body(rng: &mut Rng) -> Vec<u8> {
    const PARTS: [&str; 14] = [
        "1",
        "-2.5",
        "\"3\"",
        "null",
        "true",
        "[]",
        "{}",
        "1e400",
        "\"x\"",
        "0",
        "[1,2]",
        "\"\u{e9}\"",
        "99999999999999999999",
        "-0",
    ];
    let mut body = format!(
        "{{\"x\": {}, \"y\": {}{}}}",
        rng.pick(&PARTS),
        rng.pick(&PARTS),
        if rng.below(4) == 0 { ", \"z\": 1" } else { "" }
    )
    .into_bytes();
    if rng.below(5) == 0 {
        let at = rng.below(body.len());
        body.truncate(at);
    }
    if rng.below(10) == 0 {
        let at = rng.below(body.len() + 1);
        body.insert(at, [b'\xff', b'"', b'{', b'\\'][rng.below(4)]);
    }
    body
}

#[test]
fn generated_decoders_answer_4xx_never_500() {
    let iterations: usize = std::env::var("PREBAKE_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let mut rng = Rng::from_env("decoder fuzz");
    eprintln!("decoder fuzz: {iterations} requests");
    let addr = prebake::__private::spawn(&APP, "127.0.0.1:0".parse().expect("an address"))
        .expect("the app starts");
    let mut conn = Conn::open(addr);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..iterations {
        let (method, target, headers, body): (&str, String, Vec<(String, String)>, Vec<u8>) =
            match rng.below(4) {
                0 | 1 => (
                    "GET",
                    format!("/search?{}", query(&mut rng)),
                    vec![],
                    vec![],
                ),
                2 => {
                    let mut h = Vec::new();
                    if rng.below(5) != 0 {
                        h.push(("x-token".into(), rng.pick(&VALUES).into()));
                    }
                    if rng.below(2) == 0 {
                        h.push(("x-count".into(), rng.pick(&VALUES).into()));
                    }
                    if rng.below(2) == 0 {
                        h.push((
                            "cookie".into(),
                            format!("session={}; other={}", rng.pick(&VALUES), rng.pick(&VALUES)),
                        ));
                    }
                    h.retain(|(_, v)| !v.is_empty() || rng.below(2) == 0);
                    ("GET", "/headers".into(), h, vec![])
                }
                _ if rng.below(2) == 0 => (
                    "GET",
                    format!("/users/{}", rng.pick(&VALUES).replace(' ', "%20")),
                    vec![],
                    vec![],
                ),
                _ => (
                    "POST",
                    "/points".into(),
                    vec![("content-type".into(), "application/json".into())],
                    point_body(&mut rng),
                ),
            };
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = conn.request(method, &target, &headers, &body);
        *seen.entry(r.status).or_default() += 1;
        assert!(
            matches!(r.status, 200 | 201 | 400 | 404),
            "{method} {target} {headers:?} {:?} -> {} {}",
            String::from_utf8_lossy(&body),
            r.status,
            r.text()
        );
        if r.status >= 400 {
            let v = r.json();
            assert_eq!(v["status_code"], u64::from(r.status), "{}", r.text());
            if let Some(extra) = v["extra"].as_array() {
                assert_eq!(extra.len(), 1, "{}", r.text());
                for field in ["message", "key", "source"] {
                    assert!(extra[0][field].is_string(), "{}", r.text());
                }
            } else {
                assert!(v["detail"].is_string(), "{}", r.text());
            }
        }
    }
    eprintln!("decoder fuzz: statuses {seen:?}");
}
