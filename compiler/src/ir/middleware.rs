//! The app's middleware, outermost first, as the compiler read it.
//!
//! The built-in middleware is configured by constants, so its whole
//! configuration is known at build time and compiled into the binary; the
//! runtime runs it in Rust. Middleware written in Python is only placed
//! here: the server reads the objects from `app.user_middleware` at
//! start-up and calls them around the routes.

use crate::source::Span;

/// One entry of the middleware stack.
#[derive(Clone, Debug, PartialEq)]
pub struct Middleware {
    /// What it is and its settings.
    pub kind: MiddlewareKind,
    /// The `add_middleware(...)` call, the `Middleware(...)` entry, or the
    /// decorated function.
    pub span: Span,
    /// For Python middleware (an `@app.middleware("http")` function, or the
    /// `dispatch` a local `BaseHTTPMiddleware` subclass defines): the method
    /// calls on its request parameter (`request.body()`), for PB032.
    pub request_calls: Vec<super::MethodCall>,
}

/// The kinds of middleware the compiler knows.
#[derive(Clone, Debug, PartialEq)]
pub enum MiddlewareKind {
    /// `CORSMiddleware`.
    Cors(Cors),
    /// `GZipMiddleware` or `CompressionMiddleware`.
    Compress(Compress),
    /// `TrustedHostMiddleware`.
    TrustedHost {
        /// `allowed_hosts` (`["*"]` by default).
        allowed_hosts: Vec<String>,
        /// `www_redirect`.
        www_redirect: bool,
    },
    /// `HTTPSRedirectMiddleware`.
    HttpsRedirect,
    /// A `BaseHTTPMiddleware` subclass or an `@app.middleware("http")`
    /// function, named for messages.
    Python {
        /// The class or function name.
        name: String,
    },
}

impl MiddlewareKind {
    /// The class name as the user wrote it.
    pub fn name(&self) -> &str {
        match self {
            MiddlewareKind::Cors(_) => "CORSMiddleware",
            MiddlewareKind::Compress(c) if c.gzip_only => "GZipMiddleware",
            MiddlewareKind::Compress(_) => "CompressionMiddleware",
            MiddlewareKind::TrustedHost { .. } => "TrustedHostMiddleware",
            MiddlewareKind::HttpsRedirect => "HTTPSRedirectMiddleware",
            MiddlewareKind::Python { name } => name,
        }
    }
}

/// `CORSMiddleware(...)`'s settings, Starlette's defaults filled in.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cors {
    /// `allow_origins`.
    pub allow_origins: Vec<String>,
    /// `allow_origin_regex`.
    pub allow_origin_regex: Option<String>,
    /// `allow_methods` (`["GET"]` by default).
    pub allow_methods: Vec<String>,
    /// `allow_headers`.
    pub allow_headers: Vec<String>,
    /// `allow_credentials`.
    pub allow_credentials: bool,
    /// `expose_headers`.
    pub expose_headers: Vec<String>,
    /// `max_age` in seconds (600 by default).
    pub max_age: u32,
    /// `allow_private_network`.
    pub allow_private_network: bool,
}

/// A compression middleware's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Compress {
    /// `GZipMiddleware` (gzip only; Starlette's name).
    pub gzip_only: bool,
    /// `minimum_size` in bytes.
    pub minimum_size: u32,
    /// The gzip level (0-9).
    pub gzip_level: u32,
    /// The brotli quality (0-11).
    pub brotli_quality: u32,
    /// The zstd level (1-22).
    pub zstd_level: i32,
    /// The encodings offered, the server's preference first.
    pub encodings: Vec<String>,
    /// Route indices (into `Ir::routes`) left uncompressed (`exclude_paths`).
    pub exclude_routes: Vec<usize>,
    /// `exclude_paths` as written, matched against route templates.
    pub exclude_paths: Vec<(String, Span)>,
    /// `exclude_content_types`, lowercased without parameters.
    pub exclude_content_types: Vec<String>,
}

/// Starlette's `DEFAULT_EXCLUDED_CONTENT_TYPES`: formats compressed
/// already, and streams whose events must not wait in a compressor.
pub const DEFAULT_EXCLUDED_CONTENT_TYPES: &[&str] = &[
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
];
