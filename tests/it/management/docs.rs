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
    let page = app.http.get(app.url("/api-docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/budget/new"), "{html}");
}
