//! What the compression middleware costs per KB of response body: a JSON
//! array of objects (the shape of a `/json` list endpoint) of 4 KB, 64 KB
//! and 1 MB, compressed by each coding at its default level and at gzip's
//! strongest (Starlette's default, `compresslevel=9`). divan reports the
//! time per body and the throughput; the cost per KB is 1 KB over the
//! throughput.
//!
//! Run: `cargo bench -p prebake --bench compress --features bench-internals`.

use divan::counter::BytesCount;
use prebake::__private::{Compress, Encoding, compress_body};

fn main() {
    divan::main();
}

/// A JSON list like the hello app's larger responses, about `size` bytes.
fn body(size: usize) -> Vec<u8> {
    let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let mut out = b"[".to_vec();
    let mut i = 0usize;
    while out.len() < size {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                r#"{{"id":{i},"name":"{}-{}","score":{}.{},"active":{}}}"#,
                words[i % 5],
                i * 7919 % 10007,
                i % 100,
                i % 7,
                i.is_multiple_of(3)
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.push(b']');
    out
}

const fn settings(gzip_level: u32) -> Compress {
    Compress {
        minimum_size: 0,
        gzip_level,
        brotli_quality: 4,
        zstd_level: 3,
        encodings: &[],
        exclude_routes: &[],
        exclude_content_types: &[],
    }
}

const SIZES: [usize; 3] = [4 << 10, 64 << 10, 1 << 20];

#[divan::bench(args = SIZES)]
fn gzip_6(b: divan::Bencher, size: usize) {
    run(b, size, Encoding::Gzip, 6);
}

#[divan::bench(args = SIZES)]
fn gzip_9(b: divan::Bencher, size: usize) {
    run(b, size, Encoding::Gzip, 9);
}

#[divan::bench(args = SIZES)]
fn brotli_4(b: divan::Bencher, size: usize) {
    run(b, size, Encoding::Br, 9);
}

#[divan::bench(args = SIZES)]
fn zstd_3(b: divan::Bencher, size: usize) {
    run(b, size, Encoding::Zstd, 9);
}

fn run(b: divan::Bencher, size: usize, enc: Encoding, gzip_level: u32) {
    let input = body(size);
    let c = settings(gzip_level);
    b.counter(BytesCount::of_slice(&input))
        .bench(|| compress_body(&c, enc, divan::black_box(&input)));
}
