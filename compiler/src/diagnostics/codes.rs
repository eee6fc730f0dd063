//! The registry of diagnostic codes.
//!
//! Codes are stable: once released, a code keeps its number and meaning. Each
//! has a kebab-case name that reads as the pattern being flagged, a default
//! severity and a one-line summary; `docs/diagnostics.md` documents each with an
//! example and the fix.

use std::fmt;

macro_rules! declare_codes {
    ($( $(#[$doc:meta])* $id:ident = $name:literal, $sev:ident, $summary:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $id, )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$id),*];

            /// The code as written in output (`PB011`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$id => stringify!($id),)* }
            }

            /// The kebab-case name (`missing-path-parameter`).
            pub fn name(self) -> &'static str {
                match self { $(Code::$id => $name,)* }
            }

            /// The default severity.
            pub fn severity(self) -> super::Severity {
                match self { $(Code::$id => super::Severity::$sev,)* }
            }

            /// A one-line summary for tables and `--explain`.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$id => $summary,)* }
            }

            /// Looks a code up by `PB011` or by its name.
            pub fn parse(s: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(s) || c.name() == s)
            }
        }
    };
}

declare_codes! {
    // Modules and names (front end).
    PB001 = "syntax-error", Error, "a module of the app does not parse";
    PB002 = "module-not-found", Error, "a local import names a module that is not in the app's folder";
    PB003 = "unresolved-name", Error, "an annotation or model name is not defined or imported";
    PB004 = "app-not-found", Error, "the entry module creates no `prebake.App`";
    PB005 = "unsupported-syntax", Error, "a construct the compiler cannot read statically";
    // Routes.
    PB010 = "invalid-route-path", Error, "a route path is not a valid template";
    PB011 = "missing-path-parameter", Error, "a path placeholder has no handler parameter";
    PB012 = "marker-on-path-parameter", Error, "a parameter named after a path placeholder carries a `Query`/`Header`/`Cookie`/`Body` marker";
    PB013 = "duplicate-route", Error, "two handlers serve the same method and path";
    PB014 = "ambiguous-routes", Warning, "two dynamic routes match the same requests, each more specific somewhere";
    PB015 = "invalid-path-parameter-type", Error, "a path parameter's type cannot be read from a path segment";
    PB016 = "invalid-http-method", Error, "a route names an unknown HTTP method";
    PB017 = "invalid-status-code", Error, "a status code is not a valid HTTP status";
    PB018 = "dynamic-route-argument", Error, "a route decorator argument is not a literal";
    PB019 = "duplicate-handler-name", Error, "two routes use handlers with the same name";
    // Parameters.
    PB020 = "missing-annotation", Error, "a parameter or return type has no annotation";
    PB021 = "unsupported-annotation", Error, "an annotation names a type prebake cannot decode or encode";
    PB022 = "multiple-body-parameters", Error, "two body parameters, one of them not marked `Body()`, or two that read the same key of the JSON body";
    PB023 = "default-type-mismatch", Error, "a default value does not fit its annotation";
    PB024 = "constraint-type-mismatch", Error, "a constraint does not apply to the annotated type";
    PB025 = "contradictory-constraints", Error, "constraints that no value can satisfy";
    PB026 = "unsupported-parameter-kind", Error, "`*args`, `**kwargs` or positional-only parameters on a handler";
    PB027 = "invalid-parameter-source", Error, "a marker binds a type its source cannot carry";
    PB028 = "duplicate-wire-name", Error, "two parameters read the same name from the same source";
    PB029 = "invalid-constraint-value", Error, "a constraint's value has the wrong type or is out of range";
    // Responses.
    PB030 = "return-type-mismatch", Error, "a returned literal does not fit the declared return type";
    PB031 = "body-on-bodiless-status", Error, "a status code that forbids a body on a route that returns one";
    // The `Request` object.
    PB032 = "starlette-request-call", Error, "Starlette's awaitable `request.body()`, `json()` or `form()` on a `prebake.Request`, whose body is `bytes` and whose methods are plain calls";
    // Parameter models.
    PB033 = "parameter-model-key-clash", Error, "a parameter model's field reads a key another parameter of the handler reads";
    // Models.
    PB040 = "invalid-model-option", Error, "an unknown or ill-typed class option on a model";
    PB041 = "invalid-model-field", Error, "a model field prebake cannot use";
    PB042 = "required-field-after-optional", Error, "a required field follows one with a default";
    PB043 = "invalid-union", Error, "a union msgspec refuses to decode";
    PB044 = "invalid-dict-key", Error, "a dict key type JSON cannot carry";
    PB045 = "invalid-enum", Error, "an enum msgspec cannot encode";
    PB046 = "duplicate-field-name", Error, "two fields encode to the same JSON name";
    PB047 = "invalid-tagged-union", Error, "structs in a union that are not tagged or share a tag";
    PB048 = "invalid-literal", Error, "a `Literal` with values msgspec cannot use";
    PB049 = "mutable-default", Error, "a mutable default msgspec rejects at class creation";
    // Warnings: legal but suspicious.
    PB050 = "body-on-get", Warning, "a JSON body parameter on a method that has no body";
    PB051 = "blocking-call-in-async-handler", Warning, "a blocking call inside an `async def` handler";
    PB052 = "optional-without-default", Warning, "an optional type without a default is still required";
    PB053 = "async-without-await", Warning, "an `async def` handler that never awaits";
    PB054 = "unused-app", Warning, "an `App` with no routes";
    PB055 = "trailing-slash", Warning, "a route path ends with `/`: the path without it finds the route only after a miss";
    PB056 = "path-parameter-default", Warning, "a path parameter has a default, which is never used";
    PB057 = "unknown-prebake-name", Error, "an import from `prebake` of a name it does not have (FastAPI names prebake lacks among them)";
    PB058 = "default-in-annotated-marker", Error, "a `Query`/`Path`/`Header`/... marker inside `Annotated[...]` that sets a default";
    PB059 = "path-marker-without-placeholder", Error, "a `Path()` parameter whose name is not a placeholder of the route's path";
    // msgspec's limits on values (errors).
    PB060 = "integer-out-of-range", Error, "an integer msgspec limits to 64 bits (a bound, a length, a `Literal` or enum value, a tag) is outside them";
    PB061 = "generic-arity-mismatch", Error, "a generic class is given more or fewer type arguments than it has type variables";
    PB062 = "unparametrised-generic", Warning, "a generic class used without type arguments, so its type variables read as `Any`";
    PB063 = "unbound-type-variable", Warning, "a type variable outside a generic class that binds it reads as its bound or `Any`";
    // Dependencies and routers.
    PB070 = "dependency-cycle", Error, "dependencies that depend on each other in a cycle";
    PB071 = "unresolved-dependency", Error, "a dependency that is not a callable the compiler can see";
    PB072 = "multiple-yields", Error, "a `yield` dependency with more than one `yield`";
    PB073 = "conflicting-dependency-parameter", Error, "two parameters of one route's dependency graph read the same request value as different types";
    PB074 = "router-not-included", Warning, "an `APIRouter` with routes that no `include_router` call reaches";
    // Where handlers run.
    PB080 = "runs-on-thread-pool", Info, "a sync handler runs on the thread pool: it may block, or `sync_to_thread=True` says so";
    PB081 = "unknown-blocking-call", Warning, "a sync handler calls a third-party module not known to block or not to block";
    // The OpenAPI document.
    PB090 = "duplicate-operation-id", Error, "two operations of the OpenAPI document with one `operationId`";
    // Static files.
    PB110 = "static-directory-not-found", Error, "a `StaticFiles` directory that does not exist in the app's folder";
    PB111 = "unsupported-mount", Error, "an `app.mount(...)` the compiler cannot read: not a `StaticFiles`, or arguments computed at run time";
    // Forms and uploads.
    PB120 = "form-and-json-body", Error, "a handler reads both form fields (or files) and a JSON body";
    PB121 = "invalid-form-parameter", Error, "a `Form()` or `File()` parameter of a type its part of a form cannot give, or an `UploadFile` marked `Body()`";
    // Middleware.
    PB100 = "non-constant-middleware-argument", Error, "a built-in middleware's argument is not a constant the compiler can read";
    PB101 = "cors-credentials-with-wildcard", Error, "`CORSMiddleware` allows credentials from any origin (`allow_credentials=True` with `allow_origins=[\"*\"]`)";
    PB102 = "invalid-middleware-argument", Error, "a middleware argument that is unknown, of the wrong type or out of range";
    PB103 = "python-middleware-routes", Info, "Python middleware runs on these routes";
    PB104 = "unsupported-middleware", Error, "a middleware the compiler cannot run: neither built in nor a `BaseHTTPMiddleware`";
    // Templates (`template=` routes).
    PB130 = "template-not-found", Error, "a template, or a template it extends, includes or imports, is not in the templates folder";
    PB131 = "unknown-template-variable", Error, "a template uses a name that is not a field of the model nor bound in the template";
    PB132 = "unknown-template-field", Error, "a template reads a field the model does not have";
    PB133 = "loop-over-non-list", Error, "a template's `for` loops over a value that is not a list";
    PB134 = "unknown-template-filter", Error, "a template uses a filter askama does not have";
    PB135 = "template-syntax-error", Error, "a template does not parse";
    PB136 = "safe-filter", Warning, "`|safe` turns off escaping for a value";
    PB137 = "template-without-model", Error, "a `template=` route whose handler does not return a model, or whose template is not a string literal";
    PB138 = "unsupported-template-field", Error, "a template uses a field whose type templates cannot render (dict, Any, unions, bytes)";
    PB139 = "unrenderable-template-value", Error, "a template writes an optional value, a list or a model as text";
    PB140 = "unquoted-attribute-value", Warning, "a template writes a value as an unquoted HTML attribute value, which escaping does not protect";
    // The app's Python environment.
    PB150 = "module-not-installed", Error, "an imported module the app's Python environment cannot import";
    // Deploying.
    PB160 = "invalid-probe-path", Error, "`health_path` or `ready_path` is not a path starting with `/`";
    PB161 = "probe-path-hides-route", Warning, "a probe path is also a route's path: the server answers the probe, never the route";
    PB162 = "pydantic-method-call", Error, "a pydantic model method (`model_dump()`, `dict()`, `model_copy()`, ...) called on a msgspec Struct, dataclass or TypedDict parameter";
    PB163 = "unsupported-route-option", Error, "a route decorator keyword prebake does not take (FastAPI's `callbacks=`, `openapi_extra=`, `response_model_by_alias=False`, ...)";
    PB165 = "unsupported-response-class", Error, "`response_class=` names a class that is not one of prebake's response classes (an app's own subclass)";
}

/// The diagnostics index, `docs/diagnostics.md`: one row per code, linking to
/// its page. `cargo xtask codegen` writes it; a test fails when the committed
/// file differs.
pub fn index_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `cargo xtask codegen` from compiler/src/diagnostics/codes.rs. Do not edit by hand. -->\n\n\
         # Diagnostics\n\n\
         Every diagnostic `prebake check` reports has a stable code. Errors stop the build; \
         warnings flag code that is legal but probably not what was meant; \
         information says what the compiler decided (which routes run on the thread pool). \
         Each page shows an app that triggers the diagnostic and the fixed app.\n\n\
         | Code | Name | Severity | Summary |\n\
         |------|------|----------|---------|\n",
    );
    for code in Code::ALL {
        out.push_str(&format!(
            "| [{c}](diagnostics/{c}.md) | `{}` | {} | {} |\n",
            code.name(),
            code.severity().as_str(),
            code.summary().replace('|', "\\|"),
            c = code.as_str(),
        ));
    }
    out
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::parse("pb011"), Some(Code::PB011));
        assert_eq!(Code::parse("missing-path-parameter"), Some(Code::PB011));
    }
}
