//! `GZipMiddleware` and `CompressionMiddleware`: the response body
//! compressed with the coding the client prefers.
//!
//! `Accept-Encoding` is read as bytes with its q-values (`q=0` refuses a
//! coding, `*` stands for the codings not named); on a tie the server's
//! order decides (zstd, br, gzip by default). A response is left as it is
//! when it is smaller than `minimum_size`, already carries a
//! `Content-Encoding`, is a 206, or has an excluded media type (by default
//! Starlette's list: compressed formats and event streams); otherwise it
//! gets `Vary: Accept-Encoding`, and `Content-Encoding` when the client
//! accepts a coding, as Starlette's `GZipMiddleware` does. A streamed body
//! is compressed chunk by chunk (each flushed) whatever its size; a file is
//! sent as it is.

use std::io::Write;

use crate::body::RespBody;
use hyper::HeaderMap;
use hyper::body::Bytes;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};

use crate::response::Resp;

/// A compression middleware's settings.
pub struct Compress {
    /// Bodies smaller than this are sent as they are.
    pub minimum_size: u32,
    /// gzip's level, 0 to 9.
    pub gzip_level: u32,
    /// brotli's quality, 0 to 11.
    pub brotli_quality: u32,
    /// zstd's level, 1 to 22.
    pub zstd_level: i32,
    /// The codings offered, the server's preference first.
    pub encodings: &'static [Encoding],
    /// Route indices whose responses are never compressed.
    pub exclude_routes: &'static [u16],
    /// Media types left as they are, lowercased, without parameters
    /// (`type/*` for a whole type).
    pub exclude_content_types: &'static [&'static str],
}

/// A content coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `zstd`.
    Zstd,
    /// `br`.
    Br,
    /// `gzip`.
    Gzip,
}

impl Encoding {
    fn token(self) -> &'static [u8] {
        match self {
            Encoding::Zstd => b"zstd",
            Encoding::Br => b"br",
            Encoding::Gzip => b"gzip",
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Encoding::Zstd => "zstd",
            Encoding::Br => "br",
            Encoding::Gzip => "gzip",
        })
    }
}

/// The coding to answer with, from the request's `Accept-Encoding`s.
pub(super) fn negotiate(c: &Compress, headers: &HeaderMap) -> Option<Encoding> {
    let mut best: Option<(u16, usize)> = None;
    for (rank, &enc) in c.encodings.iter().enumerate() {
        let q = quality(headers, enc.token());
        if q == 0 {
            continue;
        }
        // Higher q wins; on a tie the earlier in the server's order.
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, rank));
        }
    }
    best.map(|(_, rank)| c.encodings[rank])
}

/// The q-value (in thousandths) the client gives `coding`: its own entry,
/// else `*`'s, else 0. `x-gzip` counts as `gzip`.
pub(super) fn quality(headers: &HeaderMap, coding: &[u8]) -> u16 {
    let mut own: Option<u16> = None;
    let mut star: Option<u16> = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        for item in value.as_bytes().split(|&b| b == b',') {
            let mut parts = item.split(|&b| b == b';');
            let name = trim(parts.next().unwrap_or_default());
            if name.is_empty() {
                continue;
            }
            let mut q = 1000u16;
            for param in parts {
                let param = trim(param);
                if param.len() >= 2 && param[0].eq_ignore_ascii_case(&b'q') && param[1] == b'=' {
                    q = parse_q(trim(&param[2..])).unwrap_or(0);
                }
            }
            let is_own = name.eq_ignore_ascii_case(coding)
                || (coding == b"gzip" && name.eq_ignore_ascii_case(b"x-gzip"));
            if is_own {
                own = Some(own.map_or(q, |o| o.max(q)));
            } else if name == b"*" {
                star = Some(q);
            }
        }
    }
    own.or(star).unwrap_or(0)
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// `0`, `0.5`, `1.000` as thousandths; anything else is not a q-value.
fn parse_q(b: &[u8]) -> Option<u16> {
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(p) => (&b[..p], &b[p + 1..]),
        None => (b, &b""[..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int[0] {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether the `Content-Type` is one the settings leave alone: its media
/// type (or `type/*`, or `application/grpc` for `application/grpc+...`)
/// is listed, as Starlette's `exclude_content_types` matches.
fn excluded_media_type(c: &Compress, ct: &[u8]) -> bool {
    let lower = ct.to_ascii_lowercase();
    let essence = lower
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let major = essence.split(|&b| b == b'/').next().unwrap_or_default();
    c.exclude_content_types.iter().any(|x| {
        let x = x.as_bytes();
        x == essence
            || (x.len() == major.len() + 2 && x.starts_with(major) && x.ends_with(b"/*"))
            || (x == b"application/grpc" && essence.starts_with(b"application/grpc+"))
    })
}

/// Takes the body out of a response of one buffer (empty for any other).
pub(crate) fn take_body(resp: &mut Resp) -> Bytes {
    match std::mem::replace(resp.body_mut(), RespBody::empty()) {
        RespBody::Full(chunk) => chunk
            .map(crate::body::Chunk::into_bytes)
            .unwrap_or_default(),
        other => {
            *resp.body_mut() = other;
            Bytes::new()
        }
    }
}

/// Compresses `resp` with `enc` unless it should be left alone. A body
/// that could have been compressed gets `Vary: Accept-Encoding` whether or
/// not this client accepted a coding (`enc` is `None`), as Starlette does,
/// so that a cache keeps the two answers apart.
pub(super) fn apply(c: &Compress, enc: Option<Encoding>, resp: &mut Resp) {
    use hyper::body::Body as _;
    // Files are sent as they come (a static file's precompressed sibling
    // serves the compressing clients); streams are compressed as they go.
    if !matches!(resp.body(), RespBody::Full(_) | RespBody::Stream(_)) {
        return;
    }
    let headers = resp.headers();
    if headers.contains_key(CONTENT_ENCODING)
        || resp.status() == hyper::StatusCode::PARTIAL_CONTENT
        || headers
            .get(CONTENT_TYPE)
            .is_some_and(|ct| excluded_media_type(c, ct.as_bytes()))
    {
        return;
    }
    if matches!(resp.body(), RespBody::Stream(_)) {
        stream(c, enc, resp);
        return;
    }
    let size = resp.body().size_hint().exact().unwrap_or(0);
    if size < u64::from(c.minimum_size) {
        return;
    }
    let Some(enc) = enc else {
        super::cors::add_vary(resp.headers_mut(), "Accept-Encoding");
        return;
    };
    let body = take_body(resp);
    let compressed = match compress(c, enc, &body) {
        Ok(bytes) => bytes,
        Err(_) => {
            *resp.body_mut() = RespBody::full(body);
            super::cors::add_vary(resp.headers_mut(), "Accept-Encoding");
            return;
        }
    };
    *resp.body_mut() = RespBody::full(Bytes::from(compressed));
    let headers = resp.headers_mut();
    headers.remove(CONTENT_LENGTH);
    headers.insert(CONTENT_ENCODING, enc.header());
    super::cors::add_vary(headers, "Accept-Encoding");
}

/// A streamed body (a `StreamingResponse`), compressed chunk by chunk
/// whatever its size (it is not known), as Starlette's `GZipMiddleware`
/// compresses one; each chunk is flushed, so a stream keeps streaming.
fn stream(c: &Compress, enc: Option<Encoding>, resp: &mut Resp) {
    let Some(enc) = enc else {
        super::cors::add_vary(resp.headers_mut(), "Accept-Encoding");
        return;
    };
    let encoder = match enc {
        Encoding::Gzip => StreamEncoder::Gzip(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::new(c.gzip_level),
        )),
        Encoding::Br => StreamEncoder::Br(Box::new(brotli::CompressorWriter::new(
            Vec::new(),
            4096,
            c.brotli_quality,
            22,
        ))),
        Encoding::Zstd => match zstd::stream::write::Encoder::new(Vec::new(), c.zstd_level) {
            Ok(e) => StreamEncoder::Zstd(e),
            Err(_) => {
                super::cors::add_vary(resp.headers_mut(), "Accept-Encoding");
                return;
            }
        },
    };
    let RespBody::Stream(inner) = std::mem::replace(resp.body_mut(), RespBody::empty()) else {
        return;
    };
    *resp.body_mut() = RespBody::Stream(Box::new(Compressing {
        inner,
        encoder: Some(encoder),
    }));
    let headers = resp.headers_mut();
    headers.remove(CONTENT_LENGTH);
    headers.insert(CONTENT_ENCODING, enc.header());
    super::cors::add_vary(headers, "Accept-Encoding");
}

/// A compressor writing into a buffer the stream takes from.
enum StreamEncoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Br(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl StreamEncoder {
    /// Compresses `chunk` and flushes: the bytes to send now.
    fn chunk(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        Ok(match self {
            StreamEncoder::Gzip(e) => {
                e.write_all(chunk)?;
                e.flush()?;
                std::mem::take(e.get_mut())
            }
            StreamEncoder::Br(e) => {
                e.write_all(chunk)?;
                e.flush()?;
                std::mem::take(e.get_mut())
            }
            StreamEncoder::Zstd(e) => {
                e.write_all(chunk)?;
                e.flush()?;
                std::mem::take(e.get_mut())
            }
        })
    }

    /// The end of the compressed stream.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            StreamEncoder::Gzip(e) => e.finish(),
            StreamEncoder::Br(e) => Ok(e.into_inner()),
            StreamEncoder::Zstd(e) => e.finish(),
        }
    }
}

/// A stream's chunks, compressed.
struct Compressing {
    inner: Box<dyn crate::body::Chunks>,
    /// `None` once finished.
    encoder: Option<StreamEncoder>,
}

impl crate::body::Chunks for Compressing {
    fn poll_chunk(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Bytes, crate::body::BodyError>>> {
        use std::task::Poll;
        loop {
            let Some(encoder) = self.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            let out = match std::task::ready!(self.inner.poll_chunk(cx)) {
                Some(Ok(chunk)) => encoder.chunk(&chunk),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => match self.encoder.take() {
                    Some(e) => e.finish(),
                    None => return Poll::Ready(None),
                },
            };
            match out {
                Ok(bytes) if bytes.is_empty() => {}
                Ok(bytes) => return Poll::Ready(Some(Ok(Bytes::from(bytes)))),
                Err(e) => return Poll::Ready(Some(Err(Box::new(e)))),
            }
        }
    }
}

/// `body` in coding `enc` at the configured level.
pub(crate) fn compress(c: &Compress, enc: Encoding, body: &[u8]) -> std::io::Result<Vec<u8>> {
    match enc {
        Encoding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3 + 64),
                flate2::Compression::new(c.gzip_level),
            );
            e.write_all(body)?;
            e.finish()
        }
        Encoding::Br => {
            let mut out = Vec::with_capacity(body.len() / 3 + 64);
            {
                // A window no larger than the body: a 4 MiB window costs
                // its setup on every small response.
                let bits = usize::BITS - body.len().leading_zeros();
                let lgwin = bits.clamp(10, 22);
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, c.brotli_quality, lgwin);
                w.write_all(body)?;
                w.flush()?;
            }
            Ok(out)
        }
        Encoding::Zstd => zstd::bulk::compress(body, c.zstd_level),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    const ALL: Compress = Compress {
        minimum_size: 0,
        gzip_level: 6,
        brotli_quality: 4,
        zstd_level: 3,
        encodings: &[Encoding::Zstd, Encoding::Br, Encoding::Gzip],
        exclude_routes: &[],
        exclude_content_types: &[
            "image/png",
            "audio/*",
            "text/event-stream",
            "application/grpc",
        ],
    };

    #[test]
    fn q_values_decide_and_zero_refuses() {
        assert_eq!(negotiate(&ALL, &accept("gzip, br")), Some(Encoding::Br));
        assert_eq!(
            negotiate(&ALL, &accept("gzip;q=1, br;q=0.5")),
            Some(Encoding::Gzip)
        );
        assert_eq!(negotiate(&ALL, &accept("gzip;q=0")), None);
        assert_eq!(negotiate(&ALL, &accept("identity")), None);
        assert_eq!(negotiate(&ALL, &accept("*")), Some(Encoding::Zstd));
        assert_eq!(
            negotiate(&ALL, &accept("*;q=0.1, zstd;q=0")),
            Some(Encoding::Br)
        );
        assert_eq!(negotiate(&ALL, &accept("X-GZIP")), Some(Encoding::Gzip));
        assert_eq!(negotiate(&ALL, &accept("gzip;q=2")), None);
        assert_eq!(
            negotiate(&ALL, &accept("gzip; Q=0.001")),
            Some(Encoding::Gzip)
        );
        assert_eq!(negotiate(&ALL, &HeaderMap::new()), None);
    }

    #[test]
    fn excluded_media_types() {
        assert!(excluded_media_type(&ALL, b"image/png"));
        assert!(excluded_media_type(
            &ALL,
            b"Text/Event-Stream; charset=utf-8"
        ));
        assert!(excluded_media_type(&ALL, b"audio/ogg"));
        assert!(excluded_media_type(&ALL, b"application/grpc+proto"));
        assert!(!excluded_media_type(&ALL, b"image/svg+xml"));
        assert!(!excluded_media_type(&ALL, b"audiox/ogg"));
        assert!(!excluded_media_type(&ALL, b"application/json"));
    }
}
