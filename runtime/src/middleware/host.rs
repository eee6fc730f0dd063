//! `TrustedHostMiddleware` and `HTTPSRedirectMiddleware`, as Starlette's:
//! a `Host` outside the allowed patterns is a 400 `Invalid host header`
//! (or a 307 to `www.` the host when only that form is allowed), and a
//! plain-HTTP request is a 307 to the same URL over `https`.
//!
//! The server speaks plain HTTP only, so the redirect makes sense behind a
//! TLS-terminating proxy: a request that the proxy marks
//! `X-Forwarded-Proto: https` is not redirected.

use hyper::header::{HOST, HeaderValue, LOCATION};
use hyper::{HeaderMap, StatusCode, Uri};

use crate::response::{self, Resp};

/// `TrustedHostMiddleware(...)`'s settings.
pub struct TrustedHost {
    /// `allowed_hosts`: exact names, `*.example.com`, or `*` for any.
    pub allowed_hosts: &'static [&'static str],
    /// `www_redirect`.
    pub www_redirect: bool,
}

fn host_header(headers: &HeaderMap) -> &str {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// A 307 to `location`, with an empty body (Starlette's `RedirectResponse`).
fn redirect(location: &str) -> Resp {
    let mut resp = response::with_body(
        StatusCode::TEMPORARY_REDIRECT,
        None,
        hyper::body::Bytes::new(),
    );
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(LOCATION, v);
            resp
        }
        Err(_) => invalid_host(),
    }
}

fn invalid_host() -> Resp {
    response::with_body(
        StatusCode::BAD_REQUEST,
        Some(response::TEXT),
        hyper::body::Bytes::from_static(b"Invalid host header"),
    )
}

/// The host of a `Host` header (`name`, `[v6]`, with an optional
/// `:port`), lowercased; `None` when it is not one (Starlette's
/// `parse_host_header`).
fn parse_host(netloc: &str) -> Option<String> {
    let (host, port) = if netloc.starts_with('[') {
        let end = netloc.find(']')?;
        let literal = &netloc[1..end];
        let ok = literal.contains(':')
            && literal
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !ok {
            return None;
        }
        (&netloc[..=end], &netloc[end + 1..])
    } else {
        match netloc.find(':') {
            Some(i) => (&netloc[..i], &netloc[i..]),
            None => (netloc, ""),
        }
    };
    let port_ok =
        port.is_empty() || (port.len() > 1 && port[1..].bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && (host.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~%!$&'()*+,;=-".contains(&b)));
    (port_ok && host_ok).then(|| host.to_ascii_lowercase())
}

/// The refusal for a request whose host is not allowed, if it is not.
pub(super) fn trusted(t: &TrustedHost, uri: &Uri, headers: &HeaderMap) -> Option<Resp> {
    if t.allowed_hosts.contains(&"*") {
        return None;
    }
    let netloc = host_header(headers);
    let Some(host) = parse_host(netloc) else {
        return Some(invalid_host());
    };
    let host = host.as_str();
    let mut www = false;
    for pattern in t.allowed_hosts {
        if host == *pattern || (pattern.starts_with('*') && host.ends_with(&pattern[1..])) {
            return None;
        }
        if pattern.strip_prefix("www.") == Some(host) {
            www = true;
        }
    }
    if www && t.www_redirect {
        return Some(redirect(&format!(
            "http://www.{netloc}{}",
            path_and_query(uri)
        )));
    }
    Some(invalid_host())
}

/// The redirect to `https` for a plain-HTTP request.
pub(super) fn https_redirect(uri: &Uri, headers: &HeaderMap) -> Option<Resp> {
    if headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
    {
        return None;
    }
    let netloc = host_header(headers);
    if netloc.is_empty() {
        return Some(invalid_host());
    }
    let (hostname, port) = match netloc.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || netloc.starts_with('[') => (h, Some(p)),
        _ => (netloc, None),
    };
    let netloc = if matches!(port, Some("80" | "443")) {
        hostname
    } else {
        netloc
    };
    Some(redirect(&format!(
        "https://{netloc}{}",
        path_and_query(uri)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    #[test]
    fn host_headers_parse_as_starlette_reads_them() {
        assert_eq!(
            parse_host("Example.COM:8000").as_deref(),
            Some("example.com")
        );
        assert_eq!(parse_host("[::1]:80").as_deref(), Some("[::1]"));
        assert_eq!(parse_host("a_b.example"), Some("a_b.example".into()));
        assert_eq!(parse_host(""), None);
        assert_eq!(parse_host("host:"), None);
        assert_eq!(parse_host("host:8x"), None);
        assert_eq!(parse_host("a b"), None);
        assert_eq!(parse_host("[zz]"), None);
        assert_eq!(parse_host("a:1:2"), None);
    }

    #[test]
    fn trusted_hosts_and_the_www_redirect() {
        const T: TrustedHost = TrustedHost {
            allowed_hosts: &["example.org", "*.example.net", "www.example.com"],
            www_redirect: true,
        };
        let uri: Uri = "/a?b=1".parse().unwrap();
        assert!(trusted(&T, &uri, &headers("example.org")).is_none());
        assert!(trusted(&T, &uri, &headers("api.example.net:81")).is_none());
        let refused = trusted(&T, &uri, &headers("example.net")).unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let moved = trusted(&T, &uri, &headers("example.com:8080")).unwrap();
        assert_eq!(moved.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(
            moved.headers()[LOCATION],
            "http://www.example.com:8080/a?b=1"
        );
        assert!(trusted(&T, &uri, &HeaderMap::new()).is_some());
    }

    #[test]
    fn https_redirect_drops_default_ports() {
        let uri: Uri = "/p".parse().unwrap();
        let at = |host: &str| {
            https_redirect(&uri, &headers(host)).unwrap().headers()[LOCATION]
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(at("h:80"), "https://h/p");
        assert_eq!(at("h:443"), "https://h/p");
        assert_eq!(at("h:8443"), "https://h:8443/p");
        assert_eq!(at("[::1]:80"), "https://[::1]/p");
        let mut proxied = headers("h");
        proxied.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(https_redirect(&uri, &proxied).is_none());
    }
}
