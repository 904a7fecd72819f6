//! `/access_group/*`: groups of models that keys and teams are granted by
//! name; the proxy follows every change at once, each change is audited, and
//! nothing reaches another account.

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::json;

use super::{
    actions, admin_delete, admin_get, admin_post, admin_put, audit_rows, call_as, get_as,
    key_with_role, two_accounts,
};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

async fn chat(app: &TestApp, key: &str, model: &str) -> u16 {
    app.http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn models(app: &TestApp, account: AccountId, mock: &MockLlm, names: &[&str]) {
    for name in names {
        app.add_model(
            account,
            name,
            json!({"model": "openai/gpt-4o", "api_base": mock.api_base()}),
        )
        .await;
    }
}

#[tokio::test]
async fn access_groups_grant_their_models_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("groups").await;
    models(&app, account, &mock, &["m1", "m2"]).await;
    let key = app.add_key(account, json!({"models": ["beta"]})).await;
    assert_eq!(chat(&app, &key, "m1").await, 401);

    let (status, created) = admin_post(
        &app,
        account,
        "/access_group/new",
        json!({"access_group": "beta", "model_names": ["m1"], "description": "early access"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["access_group"], "beta");
    assert_eq!(created["model_names"], json!(["m1"]));
    assert_eq!(created["models_updated"], 1);
    let id = created["access_group_id"].as_str().unwrap().to_owned();
    assert_eq!(chat(&app, &key, "m1").await, 200);
    assert_eq!(chat(&app, &key, "m2").await, 401);

    let (status, listed) = admin_get(&app, account, "/access_group/list").await;
    assert_eq!(status, 200, "{listed}");
    let groups = listed["access_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["deployment_count"], 1);
    for path in [
        "/access_group/beta/info".to_owned(),
        format!("/access_group/{id}/info"),
    ] {
        let (status, info) = admin_get(&app, account, &path).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["description"], "early access");
    }

    let (status, updated) = admin_put(
        &app,
        account,
        "/access_group/beta/update",
        json!({"model_names": ["m1", "m2"]}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["models_updated"], 2);
    assert_eq!(
        chat(&app, &key, "m2").await,
        200,
        "the proxy sees the change at once"
    );

    let (status, deleted) = admin_delete(&app, account, "/access_group/beta/delete").await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["access_group"], "beta");
    assert_eq!(deleted["models_updated"], 2);
    assert_eq!(chat(&app, &key, "m1").await, 401);

    let audit = audit_rows(&app, account, "LiteLLM_AccessGroupTable").await;
    assert_eq!(actions(&audit), ["created", "updated", "deleted"]);
    assert!(audit.iter().all(|row| row["object_id"] == id.as_str()));
    assert_eq!(
        audit[1]["before_value"]["access_model_names"],
        json!(["m1"])
    );
    assert_eq!(
        audit[1]["updated_values"]["access_model_names"],
        json!(["m1", "m2"])
    );
}

#[tokio::test]
async fn groups_declared_by_deployments_are_listed_and_teams_can_be_assigned() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("groups").await;
    models(&app, account, &mock, &["m1"]).await;
    let (status, _) = admin_post(&app, account, "/model/new", json!({"model_name": "m3", "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base()}, "model_info": {"access_groups": ["declared"]}}))
    .await;
    assert_eq!(status, 200);
    let (_, listed) = admin_get(&app, account, "/access_group/list").await;
    let declared = &listed["access_groups"][0];
    assert_eq!(declared["access_group"], "declared");
    assert_eq!(declared["model_names"], json!(["m3"]));
    assert!(declared["access_group_id"].is_null());
    let (status, _) = admin_get(&app, account, "/access_group/declared/info").await;
    assert_eq!(status, 200);

    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": account.uuid(), "team_id": "t-1"}),
    )
    .await;
    let (status, created) = admin_post(
        &app,
        account,
        "/access_group/new",
        json!({"access_group": "team-only", "model_names": ["m1"], "assigned_team_ids": ["t-1"]}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let member = app
        .add_key(account, json!({"team_id": "t-1", "models": ["m3"]}))
        .await;
    assert_eq!(
        chat(&app, &member, "m1").await,
        401,
        "the key's own list still bounds it"
    );
    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": account.uuid(), "team_id": "t-2", "models": ["no-such-model"]}),
    )
    .await;
    let (status, _) = admin_put(
        &app,
        account,
        "/access_group/team-only/update",
        json!({"assigned_team_ids": ["t-1", "t-2"]}),
    )
    .await;
    assert_eq!(status, 200);
    let team_key = app.add_key(account, json!({"team_id": "t-2"})).await;
    assert_eq!(
        chat(&app, &team_key, "m1").await,
        200,
        "an assigned team may use the group's models"
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("groups").await;
    models(&app, account, &mock, &["m1"]).await;
    let cases = [
        (json!({"model_names": ["m1"]}), 422, "access_group"),
        (json!({"access_group": "g"}), 422, "model_names"),
        (
            json!({"access_group": "g", "model_names": "m1"}),
            422,
            "model_names",
        ),
        (
            json!({"access_group": "g", "model_names": ["nope"]}),
            400,
            "model_names",
        ),
        (
            json!({"access_group": "g", "model_names": ["m1"], "assigned_team_ids": ["ghost"]}),
            400,
            "assigned_team_ids",
        ),
        (
            json!({"access_group": "g", "model_names": ["m1"], "description": 4}),
            422,
            "description",
        ),
    ];
    for (body, expected, param) in cases {
        let (status, answer) = admin_post(&app, account, "/access_group/new", body).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let (_, answer) = admin_post(
        &app,
        account,
        "/access_group/new",
        json!({"access_group": "g", "model_names": ["nope", "m1"]}),
    )
    .await;
    assert_eq!(answer["error"]["message"], "Model(s) not found: nope");
    let body = json!({"access_group": "g", "model_names": ["m1", "openai/*"]});
    let (status, _) = admin_post(&app, account, "/access_group/new", body.clone()).await;
    assert_eq!(status, 200);
    let (status, _) = admin_post(&app, account, "/access_group/new", body).await;
    assert_eq!(status, 409);
    assert_eq!(
        audit_rows(&app, account, "LiteLLM_AccessGroupTable")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn another_accounts_groups_are_not_found_and_viewers_cannot_write() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let (a, b) = two_accounts(&app).await;
    models(&app, b, &mock, &["m1"]).await;
    let (status, _) = admin_post(
        &app,
        b,
        "/access_group/new",
        json!({"access_group": "theirs", "model_names": ["m1"]}),
    )
    .await;
    assert_eq!(status, 200);

    let (status, _) = admin_get(&app, a, "/access_group/theirs/info").await;
    assert_eq!(status, 404);
    let (status, _) = admin_put(
        &app,
        a,
        "/access_group/theirs/update",
        json!({"description": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_delete(&app, a, "/access_group/theirs/delete").await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/access_group/list").await;
    assert!(listed["access_groups"].as_array().unwrap().is_empty());
    let (status, _) = admin_post(
        &app,
        a,
        "/access_group/new",
        json!({"access_group": "g", "model_names": ["m1"]}),
    )
    .await;
    assert_eq!(status, 400, "B's models do not exist in A");

    let viewer = key_with_role(&app, b, "viewer", "proxy_admin_viewer").await;
    let (status, listed) = get_as(&app, &viewer, "/access_group/list").await;
    assert_eq!(status, 200);
    assert_eq!(listed["access_groups"].as_array().unwrap().len(), 1);
    let (status, _) = call_as(
        &app,
        &viewer,
        None,
        Method::DELETE,
        "/access_group/theirs/delete",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let user = key_with_role(&app, b, "user", "internal_user").await;
    let (status, _) = get_as(&app, &user, "/access_group/list").await;
    assert_eq!(status, 401);
}
