//! The OpenAPI 3 document of exactly the routes served, and a docs page rendering it.

use salvo::prelude::*;

use super::AppState;

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

/// A self-contained page listing every route of the OpenAPI document (no external assets).
#[endpoint(tags("operations"), responses((status_code = 200, description = "HTML page")))]
pub async fn docs(depot: &mut Depot, res: &mut Response) {
    let Some(state) = state(depot) else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    let Some(doc) = state.openapi.get() else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    let openapi_path = state
        .settings
        .routes
        .iter()
        .find(|r| r.handler == generator::spec::Handler::Openapi)
        .map(|r| r.path.clone());
    let value = serde_json::to_value(doc).unwrap_or_default();
    let mut rows = String::new();
    if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(operations) = item.as_object() else {
                continue;
            };
            for (method, operation) in operations {
                let summary = operation
                    .get("summary")
                    .and_then(|s| s.as_str())
                    .unwrap_or("");
                let responses = operation
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().cloned().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                    escape(&method.to_uppercase()),
                    escape(path),
                    escape(summary),
                    escape(&responses)
                ));
            }
        }
    }
    let title = escape(&format!("{} API", state.settings.service_name));
    let link = openapi_path
        .map(|p| {
            format!(
                "<p>Machine-readable: <a href=\"{0}\">{0}</a> (OpenAPI 3)</p>",
                escape(&p)
            )
        })
        .unwrap_or_default();
    res.render(Text::Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}}</style>\
</head><body><h1>{title}</h1>{link}<table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr>\n{rows}</table></body></html>\n"
    )));
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
