//! The API description: `/openapi.json` (OpenAPI 3, generated from the
//! route annotations) and a browsable page at `DOCS_URL` rendered on the
//! server, so it works without JavaScript or a CDN.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::OpenApi;

/// One operation, as the page lists it.
struct Operation {
    method: String,
    path: String,
    summary: String,
}

/// Operations grouped by tag.
struct Section {
    tag: String,
    operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    title: String,
    sections: Vec<Section>,
}

/// Names every operation after its method and path (`post_key_generate`),
/// so ids are unique across families, as OpenAPI requires.
pub fn name_operations(spec: &mut OpenApi) {
    for (path, item) in spec.paths.paths.iter_mut() {
        let slug: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let slug = slug.trim_matches('_').replace("__", "_");
        let methods = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                operation.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}

/// Serves the document.
pub async fn openapi_json(spec: Arc<OpenApi>) -> Response {
    Json(spec.as_ref().clone()).into_response()
}

/// Renders the browsable page.
pub async fn page(spec: Arc<OpenApi>) -> Response {
    let mut sections: Vec<Section> = Vec::new();
    for (path, item) in &spec.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            let Some(operation) = operation else {
                continue;
            };
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first().cloned())
                .unwrap_or_else(|| "other".to_owned());
            let summary = operation
                .summary
                .clone()
                .or_else(|| operation.description.clone())
                .unwrap_or_default();
            let entry = Operation {
                method: method.to_owned(),
                path: path.clone(),
                summary,
            };
            match sections.iter_mut().find(|section| section.tag == tag) {
                Some(section) => section.operations.push(entry),
                None => sections.push(Section {
                    tag,
                    operations: vec![entry],
                }),
            }
        }
    }
    sections.sort_by(|a, b| a.tag.cmp(&b.tag));
    let page = DocsPage {
        title: spec.info.title.clone(),
        sections,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => crate::proxy::ApiError::internal(err).into_response(),
    }
}
