//! Decode and encode timings of the runtime against msgspec, in the same
//! embedded interpreter: the hello example's `/validate` body and a nested ~10 KB
//! document (`runtime/benches/codec_app.py`, compiled by the same code
//! generator as `cargo xtask build`, through `prebake::app!`).
//!
//! Run it: `cargo bench -p prebake --features macros,bench-internals --bench codec_bench`.
//! A ratio below 1 means the runtime is faster than msgspec.

prebake::app!("benches/codec_app.py");

/// The catalog document cut down to its first two products.
fn doc_small() -> Vec<u8> {
    let doc = include_str!("codec_doc.json");
    let start = doc.find("\"products\":[").expect("products") + "\"products\":[".len();
    let mut depth = 0;
    let mut end = start;
    let mut seen = 0;
    for (i, c) in doc[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    seen += 1;
                    if seen == 2 {
                        end = start + i + 1;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    let tail = &doc[doc.rfind("],\"tags\"").expect("tags")..];
    format!("{}{}", &doc[..end], tail).into_bytes()
}

fn main() {
    let doc = include_bytes!("codec_doc.json").to_vec();
    let cases = [
        ("/validate", br#"{"name":"Ada","age":42}"#.to_vec()),
        ("/catalog", doc),
        // The same document with two products (~1 KB).
        ("/catalog", {
            let text = String::from_utf8(doc_small()).expect("UTF-8");
            text.into_bytes()
        }),
        ("/strings", {
            let items: Vec<String> = (0..500).map(|i| format!("\"item number {i}\"")).collect();
            format!("{{\"items\":[{}]}}", items.join(",")).into_bytes()
        }),
        ("/floats", {
            let items: Vec<String> = (0..500).map(|i| format!("{}.{}", i * 7, i % 100)).collect();
            format!("{{\"items\":[{}]}}", items.join(",")).into_bytes()
        }),
        ("/points", {
            let items: Vec<String> = (0..300)
                .map(|i| format!("{{\"x\":{i},\"y\":{}}}", i * 3))
                .collect();
            format!("{{\"items\":[{}]}}", items.join(",")).into_bytes()
        }),
    ];
    // `BENCH_ONLY=/catalog`: one route (for profiling).
    let only = std::env::var("BENCH_ONLY").ok();
    let cases: Vec<_> = cases
        .into_iter()
        .filter(|(p, _)| only.as_deref().is_none_or(|o| o == *p))
        .collect();
    // `BENCH_PROFILE=decode|msgspec-decode|encode|msgspec-encode` (with
    // `BENCH_ONLY`, `BENCH_ITERS`): run one side only, for a profiler.
    if let Ok(side) = std::env::var("BENCH_PROFILE") {
        use prebake::__private::bench::Side;
        let side = match side.as_str() {
            "decode" => Side::Decode,
            "msgspec-decode" => Side::MsgspecDecode,
            "encode" => Side::Encode,
            "msgspec-encode" => Side::MsgspecEncode,
            other => {
                eprintln!("codec_bench: unknown BENCH_PROFILE {other}");
                std::process::exit(2);
            }
        };
        let iterations = std::env::var("BENCH_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        for (path, body) in &cases {
            if let Err(e) = prebake::__private::bench::profile(&APP, path, body, side, iterations) {
                eprintln!("codec_bench: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let budget = std::time::Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let rows = match prebake::__private::bench::codec(&APP, &cases, budget) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("codec_bench: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "{:<10} {:>6}  {:>12} {:>12} {:>6}  {:>12} {:>12} {:>6}",
        "route", "bytes", "decode ns", "msgspec ns", "ratio", "encode ns", "msgspec ns", "ratio"
    );
    for r in rows {
        println!(
            "{:<10} {:>6}  {:>12.1} {:>12.1} {:>6.2}  {:>12.1} {:>12.1} {:>6.2}",
            r.path,
            r.body_len,
            r.decode,
            r.msgspec_decode,
            r.decode / r.msgspec_decode,
            r.encode,
            r.msgspec_encode,
            r.encode / r.msgspec_encode
        );
    }
}
