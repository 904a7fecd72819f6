//! `/tag/*`: tags with their models and budgets, each change audited, tags
//! only seen on requests listed too, and nothing reachable from another
//! account.

use serde_json::json;

use super::{
    actions, admin_get, admin_post, audit_rows, get_as, key_with_role, post_as, two_accounts,
};
use crate::common::app::TestApp;

#[tokio::test]
async fn tags_are_managed_with_their_budgets_and_audited() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("tags").await;
    let (_, model) = admin_post(
        &app,
        account,
        "/model/new",
        json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o"}}),
    )
    .await;
    let model_id = model["model_id"].as_str().unwrap().to_owned();

    let (status, created) = admin_post(&app, account, "/tag/new", json!({"name": "prod", "description": "production", "models": [model_id], "max_budget": 10.0, "budget_duration": "1d"}))
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["message"], "Tag prod created successfully");
    assert_eq!(created["tag"]["name"], "prod");
    assert_eq!(created["tag"]["model_info"][&model_id], "gpt");
    let budget_id = created["tag"]["budget_id"].as_str().unwrap().to_owned();

    let (status, info) = admin_post(&app, account, "/tag/info", json!({"names": ["prod"]})).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["prod"]["description"], "production");
    assert_eq!(info["prod"]["litellm_budget_table"]["max_budget"], 10.0);
    assert!(info["prod"]["litellm_budget_table"]["budget_reset_at"].is_string());

    let (status, updated) = admin_post(
        &app,
        account,
        "/tag/update",
        json!({"name": "prod", "description": "live", "max_budget": 20.0}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["message"], "Tag prod updated successfully");
    assert_eq!(updated["tag"]["description"], "live");
    assert_eq!(updated["tag"]["budget_id"], budget_id.as_str());
    let (_, info) = admin_post(&app, account, "/tag/info", json!({"names": ["prod"]})).await;
    assert_eq!(info["prod"]["litellm_budget_table"]["max_budget"], 20.0);

    app.insert(
        "LiteLLM_DailyTagSpend",
        &json!({"account_id": account.uuid(), "tag": "adhoc", "date": "2025-01-01", "api_key": "k"}),
    )
    .await;
    let (status, listed) = admin_get(&app, account, "/tag/list").await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prod", "adhoc"]);
    assert!(listed[1]["models"].is_null());

    let (status, deleted) = admin_post(&app, account, "/tag/delete", json!({"name": "prod"})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["message"], "Tag prod deleted successfully");

    let audit = audit_rows(&app, account, "LiteLLM_TagTable").await;
    assert_eq!(actions(&audit), ["created", "updated", "deleted"]);
    assert!(audit.iter().all(|row| row["object_id"] == "prod"));
    assert_eq!(audit[1]["before_value"]["description"], "production");
    assert_eq!(audit[1]["updated_values"]["description"], "live");
    let budgets = audit_rows(&app, account, "LiteLLM_BudgetTable").await;
    assert_eq!(actions(&budgets), ["created", "updated"]);
    assert_eq!(budgets[1]["updated_values"]["max_budget"], 20.0);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("tags").await;
    let cases = [
        (json!({"description": "x"}), 422, "name"),
        (json!({"name": "t", "models": "gpt"}), 422, "models"),
        (
            json!({"name": "t", "max_budget": "lots"}),
            422,
            "max_budget",
        ),
        (
            json!({"name": "t", "budget_duration": "fortnight"}),
            400,
            "budget_duration",
        ),
        (
            json!({"name": "t", "budget_id": "no-such-budget"}),
            400,
            "None",
        ),
    ];
    for (body, expected, param) in cases {
        let (status, answer) = admin_post(&app, account, "/tag/new", body).await;
        assert_eq!(status, expected, "{answer}");
        if param != "None" {
            assert_eq!(answer["error"]["param"], param, "{answer}");
        }
    }
    let (status, _) = admin_post(&app, account, "/tag/new", json!({"name": "t"})).await;
    assert_eq!(status, 200);
    let (status, answer) = admin_post(&app, account, "/tag/new", json!({"name": "t"})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["message"], "Tag t already exists");
    let (status, answer) =
        admin_post(&app, account, "/tag/info", json!({"names": ["t", "ghost"]})).await;
    assert_eq!(status, 404, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ghost")
    );
    let (status, _) = admin_post(&app, account, "/tag/info", json!({"names": "t"})).await;
    assert_eq!(status, 422);
    assert_eq!(audit_rows(&app, account, "LiteLLM_TagTable").await.len(), 1);
}

#[tokio::test]
async fn another_accounts_tags_are_not_found_and_viewers_cannot_write() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (status, _) = admin_post(
        &app,
        b,
        "/tag/new",
        json!({"name": "theirs", "max_budget": 1.0}),
    )
    .await;
    assert_eq!(status, 200);

    let (status, _) = admin_post(&app, a, "/tag/info", json!({"names": ["theirs"]})).await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(
        &app,
        a,
        "/tag/update",
        json!({"name": "theirs", "description": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(&app, a, "/tag/delete", json!({"name": "theirs"})).await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/tag/list").await;
    assert!(listed.as_array().unwrap().is_empty());
    let their_budget =
        app.rows("SELECT budget_id FROM \"LiteLLM_TagTable\"").await[0]["budget_id"].clone();
    let (status, _) = admin_post(
        &app,
        a,
        "/tag/new",
        json!({"name": "mine", "budget_id": their_budget}),
    )
    .await;
    assert_eq!(status, 400, "another account's budget cannot be named");

    let viewer = key_with_role(&app, b, "viewer", "proxy_admin_viewer").await;
    let (status, listed) = get_as(&app, &viewer, "/tag/list").await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (status, answer) = post_as(&app, &viewer, "/tag/new", json!({"name": "v"})).await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = post_as(&app, &viewer, "/tag/delete", json!({"name": "theirs"})).await;
    assert_eq!(status, 401);
}
