//! PB057: an import from `prebake` of a module or name the package does not
//! have.
//!
//! Code ported from FastAPI keeps names prebake lacks (`WebSocket`,
//! `from fastapi.templating import
//! Jinja2Templates`). Without this check the app builds, and the binary dies at
//! start-up with an `ImportError`; the compiler would also read such a name
//! as an opaque third-party one. The names are read from the package's own
//! sources (each module's `__all__`, embedded at compile time), so the list
//! cannot drift from what the binary carries; for FastAPI's names the message
//! says what prebake offers instead.

use rustpython_parser::ast;

use super::modules::Program;
use crate::diagnostics::{Code, Diagnostic, Sink};

/// Each public module of the `prebake` package and its source.
const MODULES: &[(&str, &str)] = &[
    (
        "prebake",
        include_str!("../../../runtime/python/prebake/__init__.py"),
    ),
    (
        "prebake.background",
        include_str!("../../../runtime/python/prebake/background.py"),
    ),
    (
        "prebake.datastructures",
        include_str!("../../../runtime/python/prebake/datastructures.py"),
    ),
    (
        "prebake.encoders",
        include_str!("../../../runtime/python/prebake/encoders.py"),
    ),
    (
        "prebake.exceptions",
        include_str!("../../../runtime/python/prebake/exceptions.py"),
    ),
    (
        "prebake.params",
        include_str!("../../../runtime/python/prebake/params.py"),
    ),
    (
        "prebake.requests",
        include_str!("../../../runtime/python/prebake/requests.py"),
    ),
    (
        "prebake.responses",
        include_str!("../../../runtime/python/prebake/responses.py"),
    ),
    (
        "prebake.routing",
        include_str!("../../../runtime/python/prebake/routing.py"),
    ),
    (
        "prebake.security",
        include_str!("../../../runtime/python/prebake/security.py"),
    ),
    (
        "prebake.staticfiles",
        include_str!("../../../runtime/python/prebake/staticfiles.py"),
    ),
    (
        "prebake.status",
        include_str!("../../../runtime/python/prebake/status.py"),
    ),
    (
        "prebake.testing",
        include_str!("../../../runtime/python/prebake/testing.py"),
    ),
    (
        "prebake.middleware",
        include_str!("../../../runtime/python/prebake/middleware/__init__.py"),
    ),
    (
        "prebake.middleware.base",
        include_str!("../../../runtime/python/prebake/middleware/base.py"),
    ),
    (
        "prebake.middleware.compression",
        include_str!("../../../runtime/python/prebake/middleware/compression.py"),
    ),
    (
        "prebake.middleware.cors",
        include_str!("../../../runtime/python/prebake/middleware/cors.py"),
    ),
    (
        "prebake.middleware.gzip",
        include_str!("../../../runtime/python/prebake/middleware/gzip.py"),
    ),
    (
        "prebake.middleware.httpsredirect",
        include_str!("../../../runtime/python/prebake/middleware/httpsredirect.py"),
    ),
    (
        "prebake.middleware.trustedhost",
        include_str!("../../../runtime/python/prebake/middleware/trustedhost.py"),
    ),
];

/// The names listed in a module's `__all__ = [...]`.
fn exported(source: &str) -> Vec<&str> {
    let Some(start) = source.find("\n__all__ = [") else {
        return Vec::new();
    };
    let rest = &source[start + "\n__all__ = [".len()..];
    let list = &rest[..rest.find(']').unwrap_or(rest.len())];
    list.split(',')
        .map(|item| item.trim().trim_matches('"'))
        .filter(|item| !item.is_empty())
        .collect()
}

/// Whether `module` (a public module of the package) has `name`: in its
/// `__all__`, or as a submodule.
pub(crate) fn has(module: &str, name: &str) -> bool {
    let Some((_, source)) = MODULES.iter().find(|(m, _)| *m == module) else {
        return false;
    };
    exported(source).contains(&name)
        || MODULES
            .iter()
            .any(|(m, _)| m.strip_prefix(module).and_then(|r| r.strip_prefix('.')) == Some(name))
}

/// The number a `prebake.status` name stands for
/// (`prebake.status.HTTP_201_CREATED` is 201), when it is one.
pub(crate) fn status_constant(qualified: &str) -> Option<i128> {
    let name = qualified.strip_prefix("prebake.status.")?;
    let digits = name
        .strip_prefix("HTTP_")
        .or_else(|| name.strip_prefix("WS_"))?;
    let number = digits.split('_').next()?.parse().ok()?;
    has("prebake.status", name).then_some(number)
}

/// What prebake offers for a FastAPI or Starlette name it does not have.
fn instead(name: &str) -> Option<&'static str> {
    Some(match name {
        "FastAPI" | "Starlette" => "the application class is `App`: `from prebake import App`",
        "WebSocket" | "WebSocketDisconnect" | "WebSocketException" | "websockets" => {
            "prebake serves HTTP only: WebSockets are not supported"
        }
        "Jinja2Templates" | "templating" => {
            "templates are askama templates checked at build time: `@app.get(..., template=\"page.html\")` (docs/templates.md)"
        }
        "run_in_threadpool" | "concurrency" => {
            "mark the route `sync_to_thread=True`, or let the compiler send a blocking handler to the thread pool"
        }
        "TestClient" | "testclient" => "`prebake.testing.TestClient` serves the built binary",
        "SecurityScopes"
        | "OAuth2"
        | "OAuth2AuthorizationCodeBearer"
        | "OpenIdConnect"
        | "HTTPDigest" => {
            "the security helpers are `HTTPBasic`, `HTTPBearer`, `OAuth2PasswordBearer`, `OAuth2PasswordRequestForm` and `APIKeyHeader`/`Query`/`Cookie`"
        }
        "Mount" | "Route" | "APIRoute" | "WebSocketRoute" | "Router" => {
            "routes are declared with `@app.get(...)` or an `APIRouter`; only `StaticFiles` can be mounted"
        }
        "UploadFile" | "Request" | "Response" | "HTTPException" | "status" => {
            "import it from `prebake` itself"
        }
        _ => return None,
    })
}

/// Reports PB057 at each `from prebake... import name` (and `import
/// prebake.module`) that the package cannot satisfy.
pub(crate) fn check(program: &Program, sink: &mut Sink) {
    for (m, module) in program.modules.iter().enumerate() {
        walk(program, m, &module.body, sink);
    }
}

fn walk(program: &Program, m: usize, stmts: &[ast::Stmt], sink: &mut Sink) {
    for stmt in stmts {
        match stmt {
            ast::Stmt::ImportFrom(s) if s.level.as_ref().is_none_or(|l| l.to_u32() == 0) => {
                let Some(module) = s.module.as_deref() else {
                    continue;
                };
                if module != "prebake" && !module.starts_with("prebake.") {
                    continue;
                }
                if !MODULES.iter().any(|(name, _)| *name == module) {
                    missing_module(program, m, s, module, sink);
                    continue;
                }
                for alias in &s.names {
                    let name = alias.name.as_str();
                    if name == "*" || has(module, name) {
                        continue;
                    }
                    let mut d = Diagnostic::new(
                        Code::PB057,
                        program.span(m, alias),
                        format!("`{module}` has no `{name}`"),
                    )
                    .with_label("the binary would fail to start here with `ImportError`");
                    if let Some(help) = instead(name) {
                        d = d.with_help(help);
                    }
                    sink.report(d);
                }
            }
            ast::Stmt::Import(s) => {
                for alias in &s.names {
                    let module = alias.name.as_str();
                    if module.starts_with("prebake.")
                        && !MODULES.iter().any(|(name, _)| *name == module)
                    {
                        let last = module.rsplit('.').next().unwrap_or(module);
                        let mut d = Diagnostic::new(
                            Code::PB057,
                            program.span(m, alias),
                            format!("`prebake` has no module `{module}`"),
                        )
                        .with_label(
                            "the binary would fail to start here with `ModuleNotFoundError`",
                        );
                        if let Some(help) = instead(last) {
                            d = d.with_help(help);
                        }
                        sink.report(d);
                    }
                }
            }
            ast::Stmt::If(s) => {
                walk(program, m, &s.body, sink);
                walk(program, m, &s.orelse, sink);
            }
            ast::Stmt::FunctionDef(s) => walk(program, m, &s.body, sink),
            ast::Stmt::AsyncFunctionDef(s) => walk(program, m, &s.body, sink),
            _ => {}
        }
    }
}

fn missing_module(
    program: &Program,
    m: usize,
    s: &ast::StmtImportFrom,
    module: &str,
    sink: &mut Sink,
) {
    let last = module.rsplit('.').next().unwrap_or(module);
    let mut d = Diagnostic::new(
        Code::PB057,
        program.span(m, s),
        format!("`prebake` has no module `{module}`"),
    )
    .with_label("the binary would fail to start here with `ModuleNotFoundError`");
    let help = instead(last).or_else(|| s.names.iter().find_map(|a| instead(a.name.as_str())));
    if let Some(help) = help {
        d = d.with_help(help);
    }
    sink.report(d);
}

#[cfg(test)]
mod tests {
    use super::{MODULES, exported, has};

    #[test]
    fn every_public_module_of_the_package_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/python");
        let mut found = Vec::new();
        let mut dirs = vec![root.join("prebake")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if path.is_dir() && !name.starts_with('_') {
                    dirs.push(path);
                } else if let Some(stem) = name.strip_suffix(".py")
                    && (stem == "__init__" || !stem.starts_with('_'))
                {
                    let rel = path.parent().unwrap().strip_prefix(&root).unwrap();
                    let mut module = rel.to_string_lossy().replace('/', ".");
                    if stem != "__init__" {
                        module = format!("{module}.{stem}");
                    }
                    found.push(module);
                }
            }
        }
        found.sort();
        let mut listed: Vec<String> = MODULES.iter().map(|(m, _)| m.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
        for (m, source) in MODULES {
            assert!(!exported(source).is_empty(), "{m} has no `__all__` list");
        }
    }

    #[test]
    fn names_and_submodules() {
        assert!(has("prebake", "App"));
        assert!(has("prebake", "status"));
        assert!(has("prebake", "middleware"));
        assert!(has("prebake.status", "HTTP_201_CREATED"));
        assert!(has("prebake.middleware", "cors"));
        assert!(!has("prebake", "FastAPI"));
        assert!(has("prebake.responses", "ORJSONResponse"));
        assert!(!has("prebake.responses", "Jinja2Templates"));
    }
}
