//! Codec timings against msgspec, in one embedded interpreter.
//!
//! For each JSON-body route given, [`codec`] times what a request costs in
//! the runtime (the route's body decoder, from raw bytes to the Python
//! value the handler receives; the route's generated encoder, from the
//! returned value to bytes) next to `msgspec.json.Decoder(T).decode(bytes)`
//! and `msgspec.json.Encoder().encode(value)` called on the same objects
//! from the same thread. `runtime/benches/codec_bench.rs` prints them
//! (`cargo bench -p prebake --features macros,bench-internals --bench
//! codec_bench`).

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::interp;
use crate::app::{App, Body, Returns};
use crate::error::Error;

/// One route's timings, in nanoseconds per call.
#[derive(Debug, Clone)]
pub struct Row {
    /// The route's path.
    pub path: &'static str,
    /// The body's size in bytes.
    pub body_len: usize,
    /// The runtime's body decoder: bytes to the handler's argument.
    pub decode: f64,
    /// `msgspec.json.Decoder(T).decode(body)` on a ready `bytes` object.
    pub msgspec_decode: f64,
    /// The route's generated encoder: the decoded value to bytes.
    pub encode: f64,
    /// `msgspec.json.Encoder().encode(value)`.
    pub msgspec_encode: f64,
}

/// Times `a` and `b` in alternating rounds (so both see the same load on
/// a busy machine) for about `budget` in all; the best time per call of
/// each, in nanoseconds.
/// Route `path`'s body type, return encoder and body decoder, when it is
/// a JSON body route with a JSON return.
fn codec_route(
    app: &'static App,
    path: &str,
) -> Result<
    (
        u16,
        crate::app::EncodeFn,
        &'static dyn super::body::BodyDecoder,
    ),
    Error,
> {
    let fail = |what: String| Error::python(what);
    let index = app
        .routes
        .iter()
        .position(|r| r.path == path)
        .ok_or_else(|| fail(format!("no route {path}")))?;
    let spec = &app.routes[index];
    let (Body::Json { ty, .. }, Returns::Json(encode)) = (spec.body, spec.returns) else {
        return Err(fail(format!(
            "{path}: not a JSON body route with a JSON return"
        )));
    };
    let decoder = interp().routes[index]
        .body
        .as_deref()
        .ok_or_else(|| fail(format!("{path}: no body decoder")))?;
    Ok((ty, encode, decoder))
}

fn paired(budget: Duration, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    // Size a round: double the iterations until one takes ~1/40 of the budget.
    let mut n: u32 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            a();
        }
        if t.elapsed() * 40 >= budget || n >= 1 << 24 {
            break;
        }
        n *= 2;
    }
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    let start = Instant::now();
    while start.elapsed() < budget {
        for (f, best) in [
            (&mut a as &mut dyn FnMut(), &mut best_a),
            (&mut b, &mut best_b),
        ] {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            let per = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
            *best = best.min(per);
        }
    }
    (best_a, best_b)
}

/// Starts the interpreter with `app` (no server) and times each
/// `(path, body)`: the path of a `POST` route with a JSON body parameter
/// whose handler returns it.
pub fn codec(
    app: &'static App,
    cases: &[(&'static str, Vec<u8>)],
    budget: Duration,
) -> Result<Vec<Row>, Error> {
    super::init(app, None)?;
    let interp = interp();
    Python::attach(|py| {
        let fail = |what: String| Error::python(what);
        let msgspec = py
            .import("msgspec")
            .map_err(|e| fail(format!("import msgspec: {e}")))?;
        let mut rows = Vec::new();
        for (path, body) in cases {
            let (ty, encode, decoder) = codec_route(app, path)?;
            let value = decoder
                .decode(py, body)
                .map_err(|_| fail(format!("{path}: the body does not decode")))?;
            let ours = super::encode::encode_with(&value, encode)
                .map_err(|m| fail(format!("{path}: encoding failed: {m}")))?;
            let t = interp.types[usize::from(ty)].bind(py);
            let ms_decode = msgspec
                .getattr("json")
                .and_then(|j| j.getattr("Decoder"))
                .and_then(|d| d.call1((t,)))
                .and_then(|d| d.getattr("decode"))
                .map_err(|e| fail(format!("msgspec decoder: {e}")))?;
            let ms_encode = interp.enc.encode.bind(py);
            let theirs = ms_encode
                .call1((&value,))
                .map_err(|e| fail(format!("msgspec encode: {e}")))?;
            if theirs.cast::<PyBytes>().map(|b| b.as_bytes()).ok() != Some(&ours[..]) {
                return Err(fail(format!("{path}: the encoders disagree")));
            }
            let bytes = PyBytes::new(py, body);
            let (decode, msgspec_decode) = paired(
                budget,
                || {
                    let _ = std::hint::black_box(decoder.decode(py, body));
                },
                || {
                    let _ = std::hint::black_box(ms_decode.call1((&bytes,)));
                },
            );
            let (encode_ns, msgspec_encode) = paired(
                budget,
                || {
                    let _ = std::hint::black_box(super::encode::encode_with(&value, encode));
                },
                || {
                    let _ = std::hint::black_box(ms_encode.call1((&value,)));
                },
            );
            rows.push(Row {
                path,
                body_len: body.len(),
                decode,
                msgspec_decode,
                encode: encode_ns,
                msgspec_encode,
            });
        }
        Ok(rows)
    })
}

/// Which side [`profile`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The runtime's body decoder.
    Decode,
    /// `msgspec.json.Decoder(T).decode`.
    MsgspecDecode,
    /// The route's generated encoder.
    Encode,
    /// `msgspec.json.Encoder().encode`.
    MsgspecEncode,
}

/// Runs one side of one route `iterations` times and nothing else, for a
/// profiler (`valgrind --tool=callgrind`, `perf`) to attribute its cost.
pub fn profile(
    app: &'static App,
    path: &'static str,
    body: &[u8],
    side: Side,
    iterations: u32,
) -> Result<(), Error> {
    super::init(app, None)?;
    let interp = interp();
    Python::attach(|py| {
        let fail = |what: String| Error::python(what);
        let (ty, encode, decoder) = codec_route(app, path)?;
        let value = decoder
            .decode(py, body)
            .map_err(|_| fail(format!("{path}: the body does not decode")))?;
        let t = interp.types[usize::from(ty)].bind(py);
        let ms_decode = py
            .import("msgspec")
            .and_then(|m| m.getattr("json"))
            .and_then(|j| j.getattr("Decoder"))
            .and_then(|d| d.call1((t,)))
            .and_then(|d| d.getattr("decode"))
            .map_err(|e| fail(format!("msgspec decoder: {e}")))?;
        let ms_encode = interp.enc.encode.bind(py);
        let bytes = PyBytes::new(py, body);
        for _ in 0..iterations {
            match side {
                Side::Decode => {
                    let _ = std::hint::black_box(decoder.decode(py, body));
                }
                Side::MsgspecDecode => {
                    let _ = std::hint::black_box(ms_decode.call1((&bytes,)));
                }
                Side::Encode => {
                    let _ = std::hint::black_box(super::encode::encode_with(&value, encode));
                }
                Side::MsgspecEncode => {
                    let _ = std::hint::black_box(ms_encode.call1((&value,)));
                }
            }
        }
        Ok(())
    })
}
