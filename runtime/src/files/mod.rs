//! Static files: `app.mount("/static", StaticFiles(directory="static"))`
//! served by the runtime, without Python, and the file behind a
//! `FileResponse`.
//!
//! A mount is consulted only for a request the app's routes do not match
//! (the router answered 404), so routes that match pay nothing for it, and
//! an app without mounts has one `is_empty` test on its 404 path.
//! `resolve.rs` maps the request path to a file without ever leaving the
//! directory, `send.rs` answers for an opened file (validators, `304`,
//! ranges), `body.rs` reads it as the connection drains, `mime.rs` names its
//! type. docs/static-files.md is the user's view.

mod body;
mod cache;
pub(crate) mod mime;
mod resolve;
mod send;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hyper::Method;
use hyper::StatusCode;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, HeaderMap, HeaderValue, LOCATION, VARY};

pub(crate) use body::FileBody;
pub(crate) use resolve::Found;

pub(crate) use send::{Opened, Send, send};

use crate::app::App;
use crate::body::RespBody;
use crate::error::Error;
use crate::response::Resp;

/// A mount resolved at start-up: its directory found on disk.
pub(crate) struct Mount {
    /// The path prefix, without a trailing `/` (`/static`).
    prefix: &'static str,
    /// The directory as found (`None`: missing, with `check_dir=False`).
    root: Option<PathBuf>,
    /// Its canonical path, which no file served may leave (unless the
    /// mount follows symlinks).
    real_root: Option<PathBuf>,
    html: bool,
    follow_symlink: bool,
}

/// Where a relative path of the app (a `StaticFiles` directory, a
/// `FileResponse` path) is found: under the folder `PREBAKE_APP_DIR` names
/// when it is set; else beside the binary when it is there (a bundle);
/// else in the app's folder at build time. An absolute path is itself.
pub(crate) fn locate(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    // A path built from `__file__` starts with the folder the app was
    // built from, as the build's command line named it: that folder is
    // the app's folder.
    let path = match PREFIX.get() {
        Some(prefix) if !prefix.as_os_str().is_empty() => path.strip_prefix(prefix).unwrap_or(path),
        _ => path,
    };
    let bases = BASES.get_or_init(|| Bases {
        env: std::env::var_os("PREBAKE_APP_DIR").map(PathBuf::from),
        exe: std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    });
    if let Some(base) = &bases.env {
        return base.join(path);
    }
    if let Some(base) = &bases.exe {
        let beside = base.join(path);
        if beside.exists() {
            return beside;
        }
    }
    let build = BUILD_DIR.get().map_or("", |d| *d);
    Path::new(build).join(path)
}

struct Bases {
    env: Option<PathBuf>,
    exe: Option<PathBuf>,
}

static BASES: OnceLock<Bases> = OnceLock::new();
static BUILD_DIR: OnceLock<&'static str> = OnceLock::new();
/// The app folder as the entry module's `__file__` names it
/// (`examples/todo` for `examples/todo/app.py`).
static PREFIX: OnceLock<PathBuf> = OnceLock::new();

/// The app's mounts, their directories looked up; a missing directory is
/// an error unless the mount says `check_dir=False` (as Starlette's
/// start-up check). Records the app's build folder for [`locate`].
pub(crate) fn resolve_mounts(app: &'static App) -> Result<Vec<Mount>, Error> {
    let _ = BUILD_DIR.set(app.app_dir);
    if let Some(entry) = app.modules.first() {
        let depth = entry.name.matches('.').count() + usize::from(entry.is_package);
        let mut prefix = Path::new(entry.file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for _ in 0..depth {
            prefix = prefix.parent().map(Path::to_path_buf).unwrap_or_default();
        }
        let _ = PREFIX.set(prefix);
    }
    app.mounts
        .iter()
        .map(|m| {
            let root = locate(Path::new(m.directory));
            let real = std::fs::canonicalize(&root).ok().filter(|r| r.is_dir());
            if real.is_none() && m.check_dir {
                return Err(Error::usage(format!(
                    "StaticFiles directory '{}' of the mount {} does not exist or is not a \
                     directory (looked for {}; set PREBAKE_APP_DIR to the folder that holds it, \
                     or pass check_dir=False)",
                    m.directory,
                    m.path,
                    root.display()
                )));
            }
            Ok(Mount {
                prefix: m.path.trim_end_matches('/'),
                root: real.as_ref().map(|_| root),
                real_root: real,
                html: m.html,
                follow_symlink: m.follow_symlink,
            })
        })
        .collect()
}

/// The response of the mount that owns `path`, if one does; `not_found`
/// answers its 404s and 405s (through the app's exception handlers).
pub(crate) fn serve(
    mounts: &[Mount],
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    not_found: impl FnOnce(u16) -> Resp,
) -> Option<Resp> {
    let (mount, rest) = mounts.iter().find_map(|m| {
        let rest = path.strip_prefix(m.prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some((m, rest))
    })?;
    Some(serve_in(mount, method, path, rest, query, headers).unwrap_or_else(not_found))
}

/// The answer of one mount for `rest`, the path after its prefix; `Err`
/// with a status the caller answers (`404`, `405`).
fn serve_in(
    mount: &Mount,
    method: &Method,
    path: &str,
    rest: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Resp, u16> {
    let head = *method == Method::HEAD;
    if !head && *method != Method::GET {
        return Err(405);
    }
    let (Some(root), Some(real)) = (&mount.root, &mount.real_root) else {
        return Err(404);
    };
    let guard = (!mount.follow_symlink).then_some(real.as_path());
    let Some(segments) = resolve::segments(rest) else {
        return Err(404);
    };
    let mut segments = segments;
    let found = match resolve::lookup(root, guard, &segments) {
        Found::Dir if mount.html => {
            segments.push("index.html".into());
            match resolve::lookup(root, guard, &segments) {
                Found::File(_) if !path.ends_with('/') => {
                    return Ok(redirect_to_slash(path, query));
                }
                found => found,
            }
        }
        found => found,
    };
    match found {
        Found::File(opened) => {
            let name = segments.last().map_or("", |s| s.as_str());
            Ok(answer_file(
                root, guard, &segments, name, opened, headers, head,
            ))
        }
        Found::Forbidden => Err(401),
        Found::Dir | Found::Missing => {
            if mount.html
                && let Found::File(page) = resolve::lookup(root, guard, &["404.html".into()])
            {
                let how = Send {
                    status: StatusCode::NOT_FOUND,
                    content_type: HeaderValue::from_static("text/html; charset=utf-8"),
                    request: headers,
                    head,
                    variant: "",
                    own: None,
                };
                return Ok(send(page, &how));
            }
            Err(404)
        }
    }
}

/// A file of a mount, or its precompressed sibling (`.br`, then `.gz`)
/// when the client accepts that encoding and the sibling exists.
fn answer_file(
    root: &Path,
    guard: Option<&Path>,
    segments: &[String],
    name: &str,
    opened: Opened,
    headers: &HeaderMap,
    head: bool,
) -> Resp {
    let content_type = match &opened {
        Opened::Cached(entry) => entry.content_type.clone(),
        Opened::File { .. } => mime::header(name),
    };
    if let Some(accept) = headers.get(ACCEPT_ENCODING)
        && !is_encoded_name(name)
    {
        for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
            if !accepts(accept.as_bytes(), encoding) {
                continue;
            }
            let mut sibling = segments.to_vec();
            if let Some(last) = sibling.last_mut() {
                last.push_str(suffix);
            }
            if let Found::File(variant) = resolve::lookup(root, guard, &sibling) {
                let how = Send {
                    status: StatusCode::OK,
                    content_type,
                    request: headers,
                    head,
                    variant: encoding,
                    own: None,
                };
                let mut resp = send(variant, &how);
                if resp.status() != StatusCode::NOT_MODIFIED {
                    resp.headers_mut()
                        .insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
                }
                resp.headers_mut()
                    .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
                return resp;
            }
        }
    }
    let how = Send {
        status: StatusCode::OK,
        content_type,
        request: headers,
        head,
        variant: "",
        own: None,
    };
    send(opened, &how)
}

/// Whether a file name already ends in an encoding's suffix (served as it
/// is, never looked for a sibling of).
fn is_encoded_name(name: &str) -> bool {
    name.ends_with(".br") || name.ends_with(".gz")
}

/// Whether `Accept-Encoding` accepts `coding` (by name or `*`, with a
/// q-value above zero).
pub(crate) fn accepts(header: &[u8], coding: &str) -> bool {
    let Ok(header) = std::str::from_utf8(header) else {
        return false;
    };
    let mut star = None;
    for item in header.split(',') {
        let mut params = item.split(';');
        let name = params.next().unwrap_or("").trim();
        let q = params
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
            })
            .next()
            .map_or(1.0, |v| v.parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case(coding) {
            return q > 0.0;
        }
        if name == "*" {
            star = Some(q > 0.0);
        }
    }
    star.unwrap_or(false)
}

/// A `307` to the directory URL with its trailing `/` (query kept), as
/// Starlette redirects a directory in `html` mode.
fn redirect_to_slash(path: &str, query: Option<&str>) -> Resp {
    let location = match query {
        Some(q) => format!("{path}/?{q}"),
        None => format!("{path}/"),
    };
    let mut resp = crate::response::new(RespBody::empty());
    *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

/// A `FileResponse` before its file is opened.
pub(crate) struct PendingFile {
    path: PathBuf,
    content_type: HeaderValue,
}

/// The response for a `FileResponse` of `path` (relative to the app's
/// folder), completed by [`complete`].
pub(crate) fn pending(status: StatusCode, path: &str, content_type: HeaderValue) -> Resp {
    let mut resp = crate::response::new(RespBody::PendingFile(Box::new(PendingFile {
        path: locate(Path::new(path)),
        content_type,
    })));
    *resp.status_mut() = status;
    resp
}

/// `resp` as it is, or, for a `FileResponse`, the file answered for this
/// request: `request` is `None` where the request's conditionals and
/// ranges are not read (a plain `200`). The handler's own headers are kept
/// (`Content-Disposition`, ...); a missing file is a 500 and a log line,
/// as Starlette raises.
#[inline]
pub(crate) fn complete(resp: Resp, request: Option<&HeaderMap>, head: bool) -> Resp {
    if !matches!(resp.body(), RespBody::PendingFile(_)) {
        return resp;
    }
    complete_file(*resp, request, head)
}

#[cold]
fn complete_file(resp: hyper::Response<RespBody>, request: Option<&HeaderMap>, head: bool) -> Resp {
    let (parts, body) = resp.into_parts();
    let RespBody::PendingFile(file) = body else {
        return crate::response::internal_error();
    };
    let opened = match resolve::open_file(&file.path) {
        Ok(Some(opened)) => opened,
        Ok(None) | Err(_) => {
            tracing::error!(
                path = %file.path.display(),
                "FileResponse: no file at {}; answered 500",
                file.path.display()
            );
            return crate::response::internal_error();
        }
    };
    let empty = HeaderMap::new();
    let how = Send {
        status: parts.status,
        content_type: file.content_type,
        request: request.unwrap_or(&empty),
        head,
        variant: "",
        own: Some(&parts.headers),
    };
    let mut out = send(opened, &how);
    add_own_headers(&mut out, parts.headers);
    out
}

/// A `FileResponse`'s own headers on its answer, replacing the runtime's
/// of the same name (as Starlette's `setdefault` lets them), except the
/// framing the runtime computes (`Content-Length`, `Content-Range`) and
/// `Content-Type` (the file's answer already has the handler's
/// `media_type`, with a `text/` type's charset). A `304` keeps those a `304` may carry
/// (Starlette's `NotModifiedResponse`); a `400` or `416` about the `Range`
/// header none (Starlette answers those with a plain response).
fn add_own_headers(out: &mut Resp, own: HeaderMap) {
    use hyper::header::{
        CACHE_CONTROL, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_RANGE, CONTENT_TYPE, EXPIRES,
        SET_COOKIE, TRANSFER_ENCODING,
    };
    let status = out.status();
    if status == StatusCode::BAD_REQUEST || status == StatusCode::RANGE_NOT_SATISFIABLE {
        return;
    }
    let not_modified = status == StatusCode::NOT_MODIFIED;
    let mut last = None;
    for (name, value) in own {
        let name = match name {
            Some(n) => {
                let keep = if not_modified {
                    [CACHE_CONTROL, CONTENT_LOCATION, EXPIRES, VARY, SET_COOKIE].contains(&n)
                } else {
                    !(n == CONTENT_LENGTH
                        || n == CONTENT_RANGE
                        || n == TRANSFER_ENCODING
                        || n == CONTENT_TYPE)
                };
                if keep {
                    out.headers_mut().remove(&n);
                }
                last = keep.then_some(n);
                last.clone()
            }
            None => last.clone(),
        };
        if let Some(name) = name {
            out.headers_mut().append(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_encoding() {
        assert!(accepts(b"gzip, deflate, br", "br"));
        assert!(accepts(b"gzip;q=0.5, br;q=1.0", "gzip"));
        assert!(!accepts(b"gzip;q=0, br", "gzip"));
        assert!(accepts(b"*", "br"));
        assert!(!accepts(b"*;q=0", "br"));
        assert!(!accepts(b"br;q=0, *", "br"));
        assert!(!accepts(b"identity", "gzip"));
        assert!(accepts(b"GZIP", "gzip"));
    }
}
