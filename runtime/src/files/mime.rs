//! Content types by file extension, for static files and `FileResponse`.
//!
//! Starlette guesses with Python's `mimetypes`; this is that module's
//! built-in table (CPython 3.11) with the values newer Pythons and the web
//! use (`.js` is `text/javascript` as in Python 3.12 and RFC 9239; fonts,
//! `.webp`, `.avif`, `.webmanifest`), fixed at build time so a binary does
//! not depend on the machine's `/etc/mime.types`. Like `mimetypes`, an
//! encoding suffix (`.gz`, `.br`, ...) is looked through: `app.js.gz` is
//! JavaScript.

use std::cell::RefCell;
use std::collections::HashMap;

use hyper::header::HeaderValue;

/// Extensions (lowercase, no dot) and their types, sorted for a binary search.
const TYPES: &[(&str, &str)] = &[
    ("3g2", "audio/3gpp2"),
    ("3gp", "audio/3gpp"),
    ("3gpp", "audio/3gpp"),
    ("3gpp2", "audio/3gpp2"),
    ("7z", "application/x-7z-compressed"),
    ("a", "application/octet-stream"),
    ("aac", "audio/aac"),
    ("adts", "audio/aac"),
    ("ai", "application/postscript"),
    ("aif", "audio/x-aiff"),
    ("aifc", "audio/x-aiff"),
    ("aiff", "audio/x-aiff"),
    ("ass", "audio/aac"),
    ("au", "audio/basic"),
    ("avi", "video/x-msvideo"),
    ("avif", "image/avif"),
    ("bat", "text/plain"),
    ("bcpio", "application/x-bcpio"),
    ("bin", "application/octet-stream"),
    ("bmp", "image/bmp"),
    ("c", "text/plain"),
    ("cdf", "application/x-netcdf"),
    ("cpio", "application/x-cpio"),
    ("csh", "application/x-csh"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("dll", "application/octet-stream"),
    ("doc", "application/msword"),
    ("dot", "application/msword"),
    ("dvi", "application/x-dvi"),
    ("eml", "message/rfc822"),
    ("eps", "application/postscript"),
    ("etx", "text/x-setext"),
    ("exe", "application/octet-stream"),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("gtar", "application/x-gtar"),
    ("h", "text/plain"),
    ("h5", "application/x-hdf5"),
    ("hdf", "application/x-hdf"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("ief", "image/ief"),
    ("jpe", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("jsonld", "application/ld+json"),
    ("ksh", "text/plain"),
    ("latex", "application/x-latex"),
    ("loas", "audio/aac"),
    ("m1v", "video/mpeg"),
    ("m3u", "application/vnd.apple.mpegurl"),
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("man", "application/x-troff-man"),
    ("map", "application/json"),
    ("markdown", "text/markdown"),
    ("md", "text/markdown"),
    ("me", "application/x-troff-me"),
    ("mht", "message/rfc822"),
    ("mhtml", "message/rfc822"),
    ("mif", "application/x-mif"),
    ("mjs", "text/javascript"),
    ("mov", "video/quicktime"),
    ("movie", "video/x-sgi-movie"),
    ("mp2", "audio/mpeg"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("mpa", "video/mpeg"),
    ("mpe", "video/mpeg"),
    ("mpeg", "video/mpeg"),
    ("mpg", "video/mpeg"),
    ("ms", "application/x-troff-ms"),
    ("n3", "text/n3"),
    ("nc", "application/x-netcdf"),
    ("nq", "application/n-quads"),
    ("nt", "application/n-triples"),
    ("nws", "message/rfc822"),
    ("o", "application/octet-stream"),
    ("obj", "application/octet-stream"),
    ("oda", "application/oda"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("ogv", "video/ogg"),
    ("opus", "audio/opus"),
    ("otf", "font/otf"),
    ("p12", "application/x-pkcs12"),
    ("p7c", "application/pkcs7-mime"),
    ("pbm", "image/x-portable-bitmap"),
    ("pdf", "application/pdf"),
    ("pfx", "application/x-pkcs12"),
    ("pgm", "image/x-portable-graymap"),
    ("pl", "text/plain"),
    ("png", "image/png"),
    ("pnm", "image/x-portable-anymap"),
    ("pot", "application/vnd.ms-powerpoint"),
    ("ppa", "application/vnd.ms-powerpoint"),
    ("ppm", "image/x-portable-pixmap"),
    ("pps", "application/vnd.ms-powerpoint"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("ps", "application/postscript"),
    ("pwz", "application/vnd.ms-powerpoint"),
    ("py", "text/x-python"),
    ("pyc", "application/x-python-code"),
    ("pyo", "application/x-python-code"),
    ("qt", "video/quicktime"),
    ("ra", "audio/x-pn-realaudio"),
    ("ram", "application/x-pn-realaudio"),
    ("ras", "image/x-cmu-raster"),
    ("rdf", "application/xml"),
    ("rgb", "image/x-rgb"),
    ("roff", "application/x-troff"),
    ("rtx", "text/richtext"),
    ("sgm", "text/x-sgml"),
    ("sgml", "text/x-sgml"),
    ("sh", "application/x-sh"),
    ("shar", "application/x-shar"),
    ("snd", "audio/basic"),
    ("so", "application/octet-stream"),
    ("src", "application/x-wais-source"),
    ("srt", "text/plain"),
    ("sv4cpio", "application/x-sv4cpio"),
    ("sv4crc", "application/x-sv4crc"),
    ("svg", "image/svg+xml"),
    ("swf", "application/x-shockwave-flash"),
    ("t", "application/x-troff"),
    ("tar", "application/x-tar"),
    ("tcl", "application/x-tcl"),
    ("tex", "application/x-tex"),
    ("texi", "application/x-texinfo"),
    ("texinfo", "application/x-texinfo"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("tr", "application/x-troff"),
    ("trig", "application/trig"),
    ("tsv", "text/tab-separated-values"),
    ("ttf", "font/ttf"),
    ("txt", "text/plain"),
    ("ustar", "application/x-ustar"),
    ("vcf", "text/x-vcard"),
    ("vtt", "text/vtt"),
    ("wasm", "application/wasm"),
    ("wav", "audio/x-wav"),
    ("weba", "audio/webm"),
    ("webm", "video/webm"),
    ("webmanifest", "application/manifest+json"),
    ("webp", "image/webp"),
    ("wiz", "application/msword"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("wsdl", "application/xml"),
    ("xbm", "image/x-xbitmap"),
    ("xlb", "application/vnd.ms-excel"),
    ("xls", "application/vnd.ms-excel"),
    ("xml", "text/xml"),
    ("xpdl", "application/xml"),
    ("xpm", "image/x-xpixmap"),
    ("xsl", "application/xml"),
    ("xwd", "image/x-xwindowdump"),
    ("zip", "application/zip"),
];

/// The type of a file whose name says none.
const UNKNOWN: &str = "application/octet-stream";

/// Suffixes `mimetypes` reads as a content encoding rather than a type.
const ENCODINGS: &[&str] = &["gz", "z", "bz2", "xz", "br"];

/// Python's `mimetypes` suffix map: a short name for a compressed tarball.
const SUFFIXES: &[(&str, &str)] = &[
    ("svgz", "svg"),
    ("taz", "tar"),
    ("tbz2", "tar"),
    ("tgz", "tar"),
    ("txz", "tar"),
    ("tz", "tar"),
];

/// The type `mimetypes.guess_type(name)[0]` gives, if any.
pub(crate) fn guess(name: &str) -> Option<&'static str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let mut stem = base;
    loop {
        let (rest, ext) = stem.rsplit_once('.')?;
        if rest.is_empty() {
            return None;
        }
        // Lowercased on the stack: no extension in the tables is longer.
        let mut lower = [0u8; 16];
        let ext = lower.get_mut(..ext.len()).map_or("", |out| {
            for (o, b) in out.iter_mut().zip(ext.bytes()) {
                *o = b.to_ascii_lowercase();
            }
            std::str::from_utf8(out).unwrap_or("")
        });
        if let Some((_, to)) = SUFFIXES.iter().find(|(s, _)| *s == ext) {
            return lookup(to);
        }
        if ENCODINGS.contains(&ext) {
            stem = rest;
            continue;
        }
        return lookup(ext);
    }
}

fn lookup(ext: &str) -> Option<&'static str> {
    TYPES
        .binary_search_by(|(e, _)| (*e).cmp(ext))
        .ok()
        .map(|i| TYPES[i].1)
}

/// The `Content-Type` Starlette sends for a file named `name`: the guessed
/// type, else `application/octet-stream` (Starlette 1.x; it was
/// `text/plain` before), with `; charset=utf-8` added to `text/` types.
pub(crate) fn content_type(name: &str) -> String {
    with_charset(guess(name).unwrap_or(UNKNOWN))
}

/// [`content_type`] as a header value; a `text/` type's value is made once
/// per thread and shared after.
pub(crate) fn header(name: &str) -> HeaderValue {
    thread_local! {
        static TEXT: RefCell<HashMap<&'static str, HeaderValue>> = RefCell::new(HashMap::new());
    }
    let media_type = guess(name).unwrap_or(UNKNOWN);
    if !media_type.starts_with("text/") {
        return HeaderValue::from_static(media_type);
    }
    TEXT.with(|t| {
        t.borrow_mut()
            .entry(media_type)
            .or_insert_with(|| {
                HeaderValue::from_str(&with_charset(media_type))
                    .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8"))
            })
            .clone()
    })
}

/// `media_type` with `; charset=utf-8` when it is a `text/` type without
/// a charset, as Starlette's `Response` writes it.
pub(crate) fn with_charset(media_type: &str) -> String {
    if media_type.starts_with("text/") && !media_type.to_ascii_lowercase().contains("charset=") {
        format!("{media_type}; charset=utf-8")
    } else {
        media_type.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_the_search() {
        assert!(TYPES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn guesses_as_mimetypes_does() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a/b/app.JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("data.json"), "application/json");
        assert_eq!(content_type("app.js.gz"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x.tar.gz"), "application/x-tar");
        assert_eq!(content_type("x.tgz"), "application/x-tar");
        assert_eq!(content_type("README"), "application/octet-stream");
        assert_eq!(content_type(".bashrc"), "application/octet-stream");
        assert_eq!(
            content_type("x.averyveryverylongextension"),
            "application/octet-stream"
        );
        assert_eq!(header("a.CSS"), "text/css; charset=utf-8");
        assert_eq!(header("a.css"), "text/css; charset=utf-8");
        assert_eq!(header("a.PNG"), "image/png");
        assert_eq!(content_type("blob.unknownext"), "application/octet-stream");
        assert_eq!(content_type("font.woff2"), "font/woff2");
        assert_eq!(
            with_charset("text/html; charset=latin-1"),
            "text/html; charset=latin-1"
        );
    }
}
