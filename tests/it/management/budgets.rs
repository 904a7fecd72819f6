//! `/budget/*`: create, read, change and delete shared budgets, each change
//! audited, and nothing reachable from another account.

use serde_json::json;

use super::{actions, admin_get, admin_post, audit_rows, key_with_role, two_accounts};
use crate::common::app::TestApp;

#[tokio::test]
async fn budgets_are_managed_and_audited() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("budgets").await;
    let (status, created) = admin_post(
        &app,
        account,
        "/budget/new",
        json!({"budget_id": "b-1", "max_budget": 5.0, "budget_duration": "1d"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["max_budget"], 5.0);
    // Not aligned to midnight: now + 1 day.
    let reset: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(created["budget_reset_at"].clone()).unwrap();
    let expected = chrono::Utc::now() + chrono::Duration::days(1);
    assert!((reset - expected).num_seconds().abs() <= 3);

    let (status, updated) = admin_post(
        &app,
        account,
        "/budget/update",
        json!({"budget_id": "b-1", "max_budget": null, "rpm_limit": 7}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert!(updated["max_budget"].is_null());
    assert_eq!(updated["rpm_limit"], 7);

    let (status, info) =
        admin_post(&app, account, "/budget/info", json!({"budgets": ["b-1"]})).await;
    assert_eq!(status, 200);
    assert_eq!(info.as_array().unwrap().len(), 1);

    let (status, deleted) = admin_post(&app, account, "/budget/delete", json!({"id": "b-1"})).await;
    assert_eq!(status, 200, "{deleted}");
    let actions = actions(&audit_rows(&app, account, "LiteLLM_BudgetTable").await);
    assert_eq!(actions, ["created", "updated", "deleted"]);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("budgets").await;
    let (status, answer) =
        admin_post(&app, account, "/budget/new", json!({"max_budget": "lots"})).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["param"], "max_budget");
    let (status, answer) = admin_post(
        &app,
        account,
        "/budget/new",
        json!({"budget_duration": "fortnight"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) =
        admin_post(&app, account, "/budget/info", json!({"budgets": "b-1"})).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("budgets")
    );
}

#[tokio::test]
async fn another_accounts_budget_is_not_found_and_viewers_cannot_write() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    admin_post(&app, b, "/budget/new", json!({"budget_id": "theirs"})).await;
    let (status, _) = admin_get(&app, a, "/budget/settings?budget_id=theirs").await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(
        &app,
        a,
        "/budget/update",
        json!({"budget_id": "theirs", "max_budget": 1.0}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(&app, a, "/budget/delete", json!({"id": "theirs"})).await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/budget/list").await;
    assert!(listed.as_array().unwrap().is_empty());

    let viewer = key_with_role(&app, a, "viewer", "proxy_admin_viewer").await;
    let (status, _) = super::get_as(&app, &viewer, "/budget/list").await;
    assert_eq!(status, 200);
    let (status, answer) = super::post_as(&app, &viewer, "/budget/new", json!({})).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication Error, Only proxy admin")
    );
}
