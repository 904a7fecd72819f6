//! The API description is generated from the routes and served twice.

use crate::common::app::TestApp;

#[tokio::test]
async fn the_openapi_document_and_its_page_are_served() {
    let app = TestApp::spawn().await;
    let spec: serde_json::Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/budget/new"]["post"].is_object());
    // Operation ids are unique, as OpenAPI requires.
    let mut paths_of: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                paths_of
                    .entry(id.to_owned())
                    .or_default()
                    .push(path.clone());
            }
        }
    }
    let repeated: Vec<_> = paths_of
        .iter()
        .filter(|(_, paths)| paths.len() > 1)
        .collect();
    assert!(repeated.is_empty(), "repeated operation ids: {repeated:?}");
    let page = app.http.get(app.url("/api-docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/budget/new"), "{html}");
}
