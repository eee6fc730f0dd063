//! `CORSMiddleware`, as Starlette's (1.x): preflights answered here (200
//! `OK`, or 400 `Disallowed CORS origin, method, headers, private-network`
//! naming what failed), other requests with an `Origin` given the
//! `Access-Control-*` headers, the caller's origin echoed where the answer
//! depends on it, and `Vary: Origin` on every response.

use hyper::header::{HeaderName, HeaderValue, VARY};
use hyper::{HeaderMap, Method, StatusCode};

use crate::response::{self, Resp};

/// `CORSMiddleware(...)`'s settings, as written.
pub struct Cors {
    /// `allow_origins`; `"*"` allows every origin.
    pub allow_origins: &'static [&'static str],
    /// `allow_origin_regex`, matched against the whole origin.
    pub allow_origin_regex: Option<&'static str>,
    /// `allow_methods`; `"*"` allows every method.
    pub allow_methods: &'static [&'static str],
    /// `allow_headers`; `"*"` allows every header.
    pub allow_headers: &'static [&'static str],
    /// `allow_credentials`.
    pub allow_credentials: bool,
    /// `expose_headers`.
    pub expose_headers: &'static [&'static str],
    /// `max_age` in seconds.
    pub max_age: u32,
    /// `allow_private_network`: answer Private Network Access preflights.
    pub allow_private_network: bool,
}

const ALL_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
const SAFELISTED_HEADERS: [&str; 4] = [
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
];

/// What start-up computes once: Starlette's `__init__`.
pub(super) struct Prepared {
    allow_all_origins: bool,
    allow_credentials: bool,
    allow_private_network: bool,
    allow_origins: &'static [&'static str],
    regex: Option<regex_lite::Regex>,
    allow_methods: Vec<&'static str>,
    /// Lowercased.
    allow_headers: Vec<String>,
    allow_all_headers: bool,
    explicit_origin: bool,
    simple_headers: Vec<(HeaderName, HeaderValue)>,
    preflight_headers: Vec<(HeaderName, HeaderValue)>,
}

/// What a request needs from the middleware.
pub(super) enum Verdict {
    /// A preflight, answered here.
    Answer(Resp),
    /// A CORS request: the response gets the headers.
    Simple(Simple),
}

/// What the response of a CORS request needs from its request.
pub(super) struct Simple {
    origin: Option<HeaderValue>,
}

const ACAO: HeaderName = HeaderName::from_static("access-control-allow-origin");
const ACAC: HeaderName = HeaderName::from_static("access-control-allow-credentials");
const ACAM: HeaderName = HeaderName::from_static("access-control-allow-methods");
const ACAH: HeaderName = HeaderName::from_static("access-control-allow-headers");
const ACMA: HeaderName = HeaderName::from_static("access-control-max-age");
const ACEH: HeaderName = HeaderName::from_static("access-control-expose-headers");
const ACRM: HeaderName = HeaderName::from_static("access-control-request-method");
const ACRH: HeaderName = HeaderName::from_static("access-control-request-headers");
const ACRPN: HeaderName = HeaderName::from_static("access-control-request-private-network");
const ACAPN: HeaderName = HeaderName::from_static("access-control-allow-private-network");
/// Every preflight answer varies with these request headers.
const PREFLIGHT_VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network";

fn value(s: &str, what: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(s)
        .map_err(|_| format!("CORSMiddleware: {what} {s:?} is not a valid header value"))
}

impl Prepared {
    pub(super) fn new(c: &'static Cors) -> Result<Prepared, String> {
        let allow_methods: Vec<&'static str> = if c.allow_methods.contains(&"*") {
            ALL_METHODS.to_vec()
        } else {
            c.allow_methods.to_vec()
        };
        let regex = match c.allow_origin_regex {
            Some(r) => Some(
                regex_lite::Regex::new(&format!("^(?:{r})$"))
                    .map_err(|e| format!("CORSMiddleware: allow_origin_regex: {e}"))?,
            ),
            None => None,
        };
        let allow_all_origins = c.allow_origins.contains(&"*");
        let allow_all_headers = c.allow_headers.contains(&"*");
        let explicit_origin = !allow_all_origins || c.allow_credentials;

        let mut simple_headers = Vec::new();
        if allow_all_origins {
            simple_headers.push((ACAO, HeaderValue::from_static("*")));
        }
        if c.allow_credentials {
            simple_headers.push((ACAC, HeaderValue::from_static("true")));
        }
        if !c.expose_headers.is_empty() {
            simple_headers.push((ACEH, value(&c.expose_headers.join(", "), "expose_headers")?));
        }

        let mut preflight_headers = vec![(VARY, HeaderValue::from_static(PREFLIGHT_VARY))];
        if !explicit_origin {
            preflight_headers.push((ACAO, HeaderValue::from_static("*")));
        }
        preflight_headers.push((ACAM, value(&allow_methods.join(", "), "allow_methods")?));
        preflight_headers.push((ACMA, HeaderValue::from(c.max_age)));
        let mut headers: Vec<&str> = SAFELISTED_HEADERS.to_vec();
        for h in c.allow_headers {
            if !headers.contains(h) {
                headers.push(h);
            }
        }
        headers.sort_unstable();
        if !allow_all_headers {
            preflight_headers.push((ACAH, value(&headers.join(", "), "allow_headers")?));
        }
        if c.allow_credentials {
            preflight_headers.push((ACAC, HeaderValue::from_static("true")));
        }
        Ok(Prepared {
            allow_all_origins,
            allow_credentials: c.allow_credentials,
            allow_private_network: c.allow_private_network,
            allow_origins: c.allow_origins,
            regex,
            allow_methods,
            allow_headers: headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
            allow_all_headers,
            explicit_origin,
            simple_headers,
            preflight_headers,
        })
    }

    fn is_allowed_origin(&self, origin: &[u8]) -> bool {
        if self.allow_all_origins {
            return true;
        }
        let Ok(origin) = std::str::from_utf8(origin) else {
            return false;
        };
        if let Some(re) = &self.regex
            && re.is_match(origin)
        {
            return true;
        }
        self.allow_origins.contains(&origin)
    }

    pub(super) fn request(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let origin = headers.get(hyper::header::ORIGIN);
        if let Some(origin) = origin
            && method == Method::OPTIONS
            && let Some(requested) = headers.get(ACRM)
        {
            return Verdict::Answer(self.preflight(origin, requested, headers));
        }
        Verdict::Simple(Simple {
            origin: origin.cloned(),
        })
    }

    fn preflight(&self, origin: &HeaderValue, method: &HeaderValue, request: &HeaderMap) -> Resp {
        let requested_headers = request.get(ACRH);
        let mut headers = HeaderMap::with_capacity(self.preflight_headers.len() + 1);
        for (k, v) in &self.preflight_headers {
            headers.insert(k.clone(), v.clone());
        }
        let mut failures: Vec<&str> = Vec::new();
        if self.is_allowed_origin(origin.as_bytes()) {
            if self.explicit_origin {
                headers.insert(ACAO, origin.clone());
            }
        } else {
            failures.push("origin");
        }
        if !self
            .allow_methods
            .iter()
            .any(|m| m.as_bytes() == method.as_bytes())
        {
            failures.push("method");
        }
        match requested_headers {
            Some(h) if self.allow_all_headers => {
                headers.insert(ACAH, h.clone());
            }
            Some(h) => {
                let text = String::from_utf8_lossy(h.as_bytes()).to_ascii_lowercase();
                if text
                    .split(',')
                    .any(|one| !self.allow_headers.iter().any(|a| a == one.trim()))
                {
                    failures.push("headers");
                }
            }
            None => {}
        }
        if request.contains_key(ACRPN) {
            if self.allow_private_network {
                headers.insert(ACAPN, HeaderValue::from_static("true"));
            } else {
                failures.push("private-network");
            }
        }
        let (status, body) = if failures.is_empty() {
            (StatusCode::OK, "OK".to_string())
        } else {
            (
                StatusCode::BAD_REQUEST,
                format!("Disallowed CORS {}", failures.join(", ")),
            )
        };
        let mut resp =
            response::with_body(status, Some(response::TEXT), hyper::body::Bytes::from(body));
        resp.headers_mut().extend(headers);
        resp
    }

    /// The headers of a response that is not a preflight's: the fixed
    /// ones when the request has an `Origin`, that origin echoed where the
    /// answer depends on it, and `Origin` added to `Vary` (on every
    /// response: a cache must not serve one origin's answer to another).
    pub(super) fn simple(&self, resp: &mut Resp, s: &Simple) {
        let headers = resp.headers_mut();
        if let Some(origin) = &s.origin {
            for (k, v) in &self.simple_headers {
                headers.insert(k.clone(), v.clone());
            }
            let explicit = if self.allow_all_origins {
                self.allow_credentials
            } else {
                self.is_allowed_origin(origin.as_bytes())
            };
            if explicit {
                headers.insert(ACAO, origin.clone());
            }
        }
        add_vary(headers, "Origin");
    }
}

/// Starlette's `add_vary_header`: every `Vary` line and `what` joined
/// with `, ` into one.
pub(super) fn add_vary(headers: &mut HeaderMap, what: &'static str) {
    if !headers.contains_key(VARY) {
        headers.insert(VARY, HeaderValue::from_static(what));
        return;
    }
    let mut joined = Vec::new();
    for v in headers.get_all(VARY) {
        joined.extend_from_slice(v.as_bytes());
        joined.extend_from_slice(b", ");
    }
    joined.extend_from_slice(what.as_bytes());
    let value = HeaderValue::from_bytes(&joined).unwrap_or_else(|_| HeaderValue::from_static(what));
    headers.insert(VARY, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Cors = Cors {
        allow_origins: &["https://a.example"],
        allow_origin_regex: Some(r"https://.*\.b\.example"),
        allow_methods: &["GET", "POST"],
        allow_headers: &["X-Key"],
        allow_credentials: false,
        expose_headers: &[],
        max_age: 600,
        allow_private_network: false,
    };

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins_match_the_list_or_the_whole_pattern() {
        static CORS: Cors = C;
        let p = Prepared::new(&CORS).unwrap();
        assert!(p.is_allowed_origin(b"https://a.example"));
        assert!(p.is_allowed_origin(b"https://x.b.example"));
        assert!(!p.is_allowed_origin(b"https://x.b.example.evil"));
        assert!(!p.is_allowed_origin(b"https://a.example.evil"));
    }

    #[test]
    fn preflight_failures_are_named_in_order() {
        static CORS: Cors = C;
        let p = Prepared::new(&CORS).unwrap();
        let h = request(&[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "X-Key, X-Other"),
        ]);
        let Verdict::Answer(resp) = p.request(&Method::OPTIONS, &h) else {
            panic!("a preflight is answered");
        };
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(!resp.headers().contains_key(ACAO));
        let ok = request(&[
            ("origin", "https://a.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-key"),
        ]);
        let Verdict::Answer(resp) = p.request(&Method::OPTIONS, &ok) else {
            panic!("a preflight is answered");
        };
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[ACAO], "https://a.example");
        assert_eq!(resp.headers()[VARY], PREFLIGHT_VARY);
    }

    #[test]
    fn vary_lines_are_joined() {
        let mut h = HeaderMap::new();
        h.append(VARY, HeaderValue::from_static("Cookie"));
        h.append(VARY, HeaderValue::from_static("Accept"));
        add_vary(&mut h, "Origin");
        assert_eq!(h.get_all(VARY).iter().count(), 1);
        assert_eq!(h[VARY], "Cookie, Accept, Origin");
    }
}
