//! The interactive docs pages: Swagger UI (`/docs`) and ReDoc (`/redoc`),
//! each a small HTML page that loads the viewer from a CDN (as FastAPI's
//! defaults do) and points it at the document's URL.

/// The pinned Swagger UI release the page loads.
const SWAGGER_UI: &str = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14";
/// The pinned ReDoc release the page loads.
const REDOC: &str = "https://cdn.jsdelivr.net/npm/redoc@2.1.5/bundles/redoc.standalone.js";

/// Text safe inside an HTML element or a double-quoted attribute.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Swagger UI page for the document at `openapi_url`.
pub fn swagger_ui(title: &str, openapi_url: &str) -> String {
    let title = html(&format!("{title} - Swagger UI"));
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
<link type="text/css" rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
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
pub fn redoc(title: &str, openapi_url: &str) -> String {
    let title = html(&format!("{title} - ReDoc"));
    let url = html(openapi_url);
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
<script src="{REDOC}"></script>
</body>
</html>
"##
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_name_the_document() {
        let s = super::swagger_ui("A <b>", "/api/openapi.json");
        assert!(s.contains(r#"url: "/api/openapi.json""#));
        assert!(s.contains("A &lt;b&gt; - Swagger UI"));
        let r = super::redoc("t", "/o.json");
        assert!(r.contains(r#"spec-url="/o.json""#));
    }
}
