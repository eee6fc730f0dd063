//! The interactive docs pages: Swagger UI (`/docs`) and ReDoc (`/redoc`),
//! each a small HTML page that points the viewer at the document's URL.
//!
//! The viewers' scripts and styles are pinned npm releases. A build that
//! has them on disk ([`DocsAssets`], fetched by `cargo xtask build`) embeds
//! them in the binary and serves them beside the page, so the docs work
//! with no network; without them (the `prebake::app!` macro, an offline
//! build) the page loads the same releases from a CDN, as FastAPI's
//! defaults do.

use std::path::PathBuf;

/// The Swagger UI release the pages use (npm package `swagger-ui-dist`).
pub const SWAGGER_UI_VERSION: &str = "5.35.0";
/// Its tarball's integrity as the npm registry publishes it.
pub const SWAGGER_UI_INTEGRITY: &str = "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==";
/// The ReDoc release the pages use (npm package `redoc`).
pub const REDOC_VERSION: &str = "2.5.4";
/// Its tarball's integrity as the npm registry publishes it.
pub const REDOC_INTEGRITY: &str = "sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==";

/// The viewers' files on disk, unpacked from their npm packages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocsAssets {
    /// The `swagger-ui-dist` package folder (holds `swagger-ui-bundle.js`
    /// and `swagger-ui.css`).
    pub swagger_ui: PathBuf,
    /// The `redoc` package folder (holds `bundles/redoc.standalone.js`).
    pub redoc: PathBuf,
}

/// One file the server answers GET with, beside the pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The URL path (`/docs/swagger-ui-bundle.js`).
    pub path: String,
    pub content_type: &'static str,
    /// The file whose bytes are embedded.
    pub file: PathBuf,
}

/// Where a page loads the viewer from: the server itself or the CDN.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// Served by the app under this URL prefix (the page's own URL).
    Embedded(&'a str),
    Cdn,
}

const SWAGGER_JS: &str = "swagger-ui-bundle.js";
const SWAGGER_CSS: &str = "swagger-ui.css";
const REDOC_JS: &str = "redoc.standalone.js";

/// The files the Swagger UI page at `docs_url` loads, when embedded.
pub fn swagger_ui_assets(assets: &DocsAssets, docs_url: &str) -> Vec<Asset> {
    vec![
        Asset {
            path: format!("{docs_url}/{SWAGGER_JS}"),
            content_type: "text/javascript; charset=utf-8",
            file: assets.swagger_ui.join(SWAGGER_JS),
        },
        Asset {
            path: format!("{docs_url}/{SWAGGER_CSS}"),
            content_type: "text/css; charset=utf-8",
            file: assets.swagger_ui.join(SWAGGER_CSS),
        },
    ]
}

/// The file the ReDoc page at `redoc_url` loads, when embedded.
pub fn redoc_assets(assets: &DocsAssets, redoc_url: &str) -> Vec<Asset> {
    vec![Asset {
        path: format!("{redoc_url}/{REDOC_JS}"),
        content_type: "text/javascript; charset=utf-8",
        file: assets.redoc.join("bundles").join(REDOC_JS),
    }]
}

fn swagger_base(source: Source<'_>) -> String {
    match source {
        Source::Embedded(url) => url.to_string(),
        Source::Cdn => format!("https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"),
    }
}

fn redoc_script(source: Source<'_>) -> String {
    match source {
        Source::Embedded(url) => format!("{url}/{REDOC_JS}"),
        Source::Cdn => {
            format!("https://cdn.jsdelivr.net/npm/redoc@{REDOC_VERSION}/bundles/{REDOC_JS}")
        }
    }
}

/// Text safe inside an HTML element or a double-quoted attribute.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Swagger UI page for the document at `openapi_url`.
pub fn swagger_ui(title: &str, openapi_url: &str, source: Source<'_>) -> String {
    let title = html(&format!("{title} - Swagger UI"));
    let base = html(&swagger_base(source));
    // A JSON string is a JavaScript string literal; `<` is escaped so the
    // URL cannot end the script element.
    let url = serde_json::to_string(openapi_url)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    format!(
        r##"<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link type="text/css" rel="stylesheet" href="{base}/{SWAGGER_CSS}">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base}/{SWAGGER_JS}"></script>
<script>
const ui = SwaggerUIBundle({{
  url: {url},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}})
</script>
</body>
</html>
"##
    )
}

/// The ReDoc page for the document at `openapi_url`.
pub fn redoc(title: &str, openapi_url: &str, source: Source<'_>) -> String {
    let title = html(&format!("{title} - ReDoc"));
    let url = html(openapi_url);
    let script = html(&redoc_script(source));
    format!(
        r##"<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc requires JavaScript to run.</noscript>
<redoc spec-url="{url}"></redoc>
<script src="{script}"></script>
</body>
</html>
"##
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_name_the_document() {
        use super::Source;
        let s = super::swagger_ui("A <b>", "/api/openapi.json", Source::Cdn);
        assert!(s.contains(r#"url: "/api/openapi.json""#));
        assert!(s.contains("A &lt;b&gt; - Swagger UI"));
        assert!(s.contains("cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js"));
        let s = super::swagger_ui("t", "/o.json", Source::Embedded("/api/docs"));
        assert!(s.contains(r#"<script src="/api/docs/swagger-ui-bundle.js">"#));
        assert!(s.contains(r#"href="/api/docs/swagger-ui.css""#));
        let r = super::redoc("t", "/o.json", Source::Cdn);
        assert!(r.contains(r#"spec-url="/o.json""#));
        assert!(r.contains("redoc@2.5.4/bundles/redoc.standalone.js"));
        let r = super::redoc("t", "/o.json", Source::Embedded("/redoc"));
        assert!(r.contains(r#"<script src="/redoc/redoc.standalone.js">"#));
    }
}
