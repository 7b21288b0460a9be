//! The OpenAPI 3 document of exactly the routes served, and the interactive docs page over it.

use salvo::oapi::swagger_ui::SwaggerUi;
use salvo::prelude::*;

use super::state::AppState;

fn state(depot: &Depot) -> Option<std::sync::Arc<AppState>> {
    depot.get_typed::<std::sync::Arc<AppState>>().ok().cloned()
}

/// The OpenAPI 3 document.
#[endpoint(tags("operations"), responses((status_code = 200, description = "OpenAPI 3 document (JSON)")))]
pub async fn openapi(depot: &mut Depot, res: &mut Response) {
    match state(depot).and_then(|state| state.openapi.get().cloned()) {
        Some(doc) => res.render(Json(doc)),
        None => {
            res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
}

// Every request and response schema shown and every operation callable ("Try it out"). Its
// scripts and styles are the Swagger UI build compiled into the binary and served under the
// page's own path (`assets`), so it works offline and without a CDN. (The doc comment below is
// the operation's summary in the OpenAPI document.)
/// The interactive API reference: Swagger UI over the OpenAPI document, served by the service.
#[endpoint(tags("operations"), responses((status_code = 200, description = "HTML page (Swagger UI)")))]
pub async fn docs(depot: &mut Depot, res: &mut Response) {
    let Some(state) = state(depot) else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    let path_of = |handler| {
        state
            .settings
            .routes
            .iter()
            .find(|r| r.handler == handler)
            .map(|r| r.path.clone())
    };
    let page_path = path_of(generator::spec::Handler::Docs).unwrap_or_default();
    let document_path = path_of(generator::spec::Handler::Openapi);
    res.render(Text::Html(page(
        &format!("{} API", state.settings.service_name),
        &page_path,
        document_path.as_deref(),
    )));
}

/// Where the page's scripts and styles are served: beneath the page's own path.
pub(crate) fn assets_path(page: &str) -> String {
    format!("{}/assets", page.trim_end_matches('/'))
}

/// Serves the Swagger UI files (`swagger-ui.css`, `swagger-ui-bundle.js`, ...) built into salvo,
/// by the rest of the path (`{**}`) under [`assets_path`].
pub(crate) fn assets(document: &str) -> SwaggerUi {
    SwaggerUi::new(document.to_owned())
}

fn page(title: &str, page_path: &str, document: Option<&str>) -> String {
    let title = escape(title);
    let assets = escape(&assets_path(page_path));
    let Some(document) = document else {
        return format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
<body><h1>{title}</h1><p>This service publishes no OpenAPI document: the spec routes no \
<code>openapi</code> handler.</p></body></html>\n"
        );
    };
    // The document's URL goes into a script: as a JSON string, with `<` escaped so no value can
    // close the script element.
    let url = serde_json::to_string(document)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<title>{title}</title>
<link rel=\"stylesheet\" href=\"{assets}/swagger-ui.css\">
</head>
<body>
<div id=\"swagger-ui\"></div>
<script src=\"{assets}/swagger-ui-bundle.js\"></script>
<script>
window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: {url},
    dom_id: \"#swagger-ui\",
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: \"BaseLayout\"
  }});
}};
</script>
</body>
</html>
"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
