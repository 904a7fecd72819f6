//! `/model/*` and `/model_group/info`: deployments added through the API
//! route at once, their provider keys are sealed at rest and never shown,
//! the info routes show a key exactly what it may use, and nothing crosses
//! accounts.

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    actions, admin_get, admin_patch, admin_post, audit_rows, call_as, get_as, key_with_role,
    post_as, two_accounts,
};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

const SECRET: &str = "sk-provider-secret-4321";

async fn chat(app: &TestApp, key: &str, model: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn add(app: &TestApp, account: AccountId, body: Value) -> Value {
    let (status, created) = admin_post(app, account, "/model/new", body).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn mock_model(app: &TestApp, account: AccountId, mock: &MockLlm, name: &str) -> String {
    let created = add(
        app,
        account,
        json!({"model_name": name, "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base(), "api_key": SECRET}}),
    )
    .await;
    created["model_id"].as_str().unwrap().to_owned()
}

async fn stored_params(app: &TestApp, model_id: &str) -> Value {
    app.rows(&format!(
        "SELECT litellm_params FROM \"LiteLLM_ProxyModelTable\" WHERE model_id = '{model_id}'"
    ))
    .await[0]["litellm_params"]
        .clone()
}

#[tokio::test]
async fn a_model_added_through_the_api_routes_at_once_with_its_key_sealed() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("models").await;
    let key = app.add_key(account, json!({})).await;
    // The account's models are cached before the new one exists.
    let (status, _) = chat(&app, &key, "my-gpt").await;
    assert_eq!(status, 400);

    let created = add(
        &app,
        account,
        json!({
            "model_name": "my-gpt",
            "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base(), "api_key": SECRET},
            "model_info": {"base_model": "gpt-4o"},
        }),
    )
    .await;
    let model_id = created["model_id"].as_str().unwrap().to_owned();
    assert_eq!(created["model_info"]["id"], model_id.as_str());
    assert!(created["litellm_params"].get("api_key").is_none());
    assert!(!created.to_string().contains(SECRET));

    let (status, answer) = chat(&app, &key, "my-gpt").await;
    assert_eq!(status, 200, "{answer}");
    let received = mock.received();
    let auth = received.last().unwrap().headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(auth, format!("Bearer {SECRET}"));

    let stored = stored_params(&app, &model_id).await;
    let sealed = stored["api_key"].as_str().unwrap();
    assert!(sealed.starts_with("enc:v1:"), "{sealed}");
    assert!(!stored.to_string().contains(SECRET));

    let (status, info) = admin_get(&app, account, "/model/info").await;
    assert_eq!(status, 200, "{info}");
    let text = info.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains("enc:v1:"),
        "{text}"
    );
    let entry = &info["data"][0];
    assert_eq!(entry["model_name"], "my-gpt");
    assert!(entry["litellm_params"].get("api_key").is_none());
    assert_eq!(entry["litellm_params"]["api_base"], mock.api_base());
    assert_eq!(entry["model_info"]["id"], model_id.as_str());
    assert_eq!(entry["model_info"]["db_model"], true);
    assert_eq!(entry["model_info"]["input_cost_per_token"], 2.5e-6);
    assert_eq!(entry["model_info"]["max_input_tokens"], 128_000);
    assert_eq!(entry["model_info"]["mode"], "chat");
    assert_eq!(entry["model_info"]["created_by"], "master_key");

    let audit = audit_rows(&app, account, "LiteLLM_ProxyModelTable").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["action"], "created");
    assert_eq!(audit[0]["object_id"], model_id.as_str());
    assert_eq!(
        audit[0]["updated_values"]["litellm_params"]["api_key"],
        "<redacted>"
    );
}

#[tokio::test]
async fn models_are_updated_and_deleted_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("models").await;
    let key = app.add_key(account, json!({})).await;
    let id = mock_model(&app, account, &mock, "gpt").await;
    let sealed = stored_params(&app, &id).await["api_key"].clone();

    let (status, updated) = admin_post(
        &app,
        account,
        "/model/update",
        json!({"model_info": {"id": id, "access_groups": ["beta"]}, "litellm_params": {"rpm": 10}}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["litellm_params"]["rpm"], 10);
    assert_eq!(updated["model_info"]["access_groups"], json!(["beta"]));
    assert_eq!(
        stored_params(&app, &id).await["api_key"],
        sealed,
        "an untouched key stays as stored"
    );

    let (status, patched) = admin_patch(&app, account, &format!("/model/{id}/update"), json!({"model_name": "renamed", "litellm_params": {"api_key": "sk-rotated-provider-key", "rpm": null}}))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["model_name"], "renamed");
    assert!(patched["litellm_params"].get("rpm").is_none());
    assert!(!patched.to_string().contains("sk-rotated"));
    let stored = stored_params(&app, &id).await;
    assert_ne!(stored["api_key"], sealed);
    assert!(stored["api_key"].as_str().unwrap().starts_with("enc:v1:"));
    let (status, _) = chat(&app, &key, "renamed").await;
    assert_eq!(status, 200);
    let auth = mock.received().last().unwrap().headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(auth, "Bearer sk-rotated-provider-key");

    let (status, deleted) = admin_post(&app, account, "/model/delete", json!({"id": id})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        deleted["message"],
        format!("Model: {id} deleted successfully")
    );
    let (status, _) = chat(&app, &key, "renamed").await;
    assert_eq!(status, 400, "a deleted model stops routing");

    let audit = audit_rows(&app, account, "LiteLLM_ProxyModelTable").await;
    assert_eq!(
        actions(&audit),
        ["created", "updated", "updated", "deleted"]
    );
    assert!(audit.iter().all(|row| row["object_id"] == id.as_str()));
    assert_eq!(audit[1]["before_value"]["litellm_params"].get("rpm"), None);
    assert_eq!(audit[1]["updated_values"]["litellm_params"]["rpm"], 10);
    assert_eq!(audit[2]["updated_values"]["model_name"], "renamed");
    assert_eq!(audit[3]["before_value"]["model_name"], "renamed");
    assert!(!json!(audit).to_string().contains("enc:v1:"));
}

#[tokio::test]
async fn model_info_shows_a_limited_key_exactly_its_model() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("models").await;
    let one = mock_model(&app, account, &mock, "gpt-3.5-turbo").await;
    let other = mock_model(&app, account, &mock, "gpt-4").await;
    let limited = app
        .add_key(account, json!({"models": ["gpt-3.5-turbo"]}))
        .await;
    let open = app.add_key(account, json!({})).await;

    for path in ["/model/info", "/v1/model/info"] {
        let (status, info) = get_as(&app, &limited, path).await;
        assert_eq!(status, 200, "{info}");
        let names: Vec<&str> = info["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["gpt-3.5-turbo"], "{path}");
    }
    let (_, info) = get_as(&app, &open, "/model/info").await;
    assert_eq!(info["data"].as_array().unwrap().len(), 2);
    let (status, info) = get_as(
        &app,
        &limited,
        &format!("/model/info?litellm_model_id={one}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(info["data"][0]["model_info"]["id"], one.as_str());
    let (status, _) = get_as(
        &app,
        &limited,
        &format!("/model/info?litellm_model_id={other}"),
    )
    .await;
    assert_eq!(status, 404);

    let (status, page) = get_as(&app, &open, "/v2/model/info?page=2&size=1").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["current_page"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let (_, page) = get_as(&app, &limited, "/v2/model/info").await;
    assert_eq!(page["total_count"], 1);
    let (_, page) = get_as(&app, &open, "/v2/model/info?search=GPT-4").await;
    assert_eq!(page["data"][0]["model_name"], "gpt-4");

    // A team's model is shown to that team only.
    for team in ["t-1", "t-2"] {
        app.insert(
            "LiteLLM_TeamTable",
            &json!({"account_id": account.uuid(), "team_id": team}),
        )
        .await;
    }
    add(
        &app,
        account,
        json!({"model_name": "team-model", "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base()}, "model_info": {"team_id": "t-1"}}),
    )
    .await;
    let member = app.add_key(account, json!({"team_id": "t-1"})).await;
    let outsider = app.add_key(account, json!({"team_id": "t-2"})).await;
    let names = |info: &Value| -> Vec<String> {
        info["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, info) = get_as(&app, &member, "/model/info").await;
    assert!(names(&info).contains(&"team-model".to_owned()));
    let (_, info) = get_as(&app, &outsider, "/model/info").await;
    assert!(!names(&info).contains(&"team-model".to_owned()));
    let (_, page) = admin_get(&app, account, "/v2/model/info?team_id=t-1").await;
    assert_eq!(names(&page), ["team-model"]);
}

#[tokio::test]
async fn model_group_info_sums_deployments_and_expands_wildcards() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("models").await;
    for rpm in [5, 7] {
        add(
            &app,
            account,
            json!({"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base(), "rpm": rpm}}),
        )
        .await;
    }
    let wildcard = add(
        &app,
        account,
        json!({"model_name": "anthropic/*", "litellm_params": {"model": "anthropic/*", "api_key": "os.environ/ANTHROPIC_API_KEY"}}),
    )
    .await;
    let stored = stored_params(&app, wildcard["model_id"].as_str().unwrap()).await;
    assert_eq!(
        stored["api_key"], "os.environ/ANTHROPIC_API_KEY",
        "references are stored as they are"
    );

    let (status, groups) = admin_get(&app, account, "/model_group/info").await;
    assert_eq!(status, 200, "{groups}");
    let data = groups["data"].as_array().unwrap();
    let group = |name: &str| data.iter().find(|g| g["model_group"] == name).cloned();
    let gpt = group("gpt-4o").unwrap();
    assert_eq!(gpt["providers"], json!(["openai"]));
    assert_eq!(gpt["rpm"], 12);
    assert_eq!(gpt["max_input_tokens"], 128_000);
    assert_eq!(gpt["mode"], "chat");
    let claude = group("anthropic/claude-3-5-sonnet-20241022").expect("wildcard expanded");
    assert_eq!(claude["providers"], json!(["anthropic"]));
    assert_eq!(claude["input_cost_per_token"], 3e-6);
    assert!(group("anthropic/*").is_none());
    assert!(data.len() > 10);

    let (_, one) = admin_get(&app, account, "/model_group/info?model_group=gpt-4o").await;
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    let limited = app
        .add_key(account, json!({"models": ["anthropic/*"]}))
        .await;
    let (_, mine) = get_as(&app, &limited, "/model_group/info").await;
    let mine = mine["data"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|g| g["model_group"].as_str().unwrap().starts_with("anthropic/"))
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("models").await;
    let cases = [
        (
            json!({"litellm_params": {"model": "openai/x"}}),
            422,
            "model_name",
        ),
        (
            json!({"model_name": "m", "litellm_params": "openai/x"}),
            422,
            "litellm_params",
        ),
        (
            json!({"model_name": "m", "litellm_params": {"api_base": "http://x"}}),
            422,
            "litellm_params.model",
        ),
        (
            json!({"model_name": "m", "litellm_params": {"model": "openai/x"}, "model_info": {"team_id": 7}}),
            422,
            "model_info.team_id",
        ),
        (
            json!({"model_name": "m", "litellm_params": {"model": "openai/x", "litellm_credential_name": "nope"}}),
            400,
            "litellm_params.litellm_credential_name",
        ),
        (
            json!({"model_name": "m", "litellm_params": {"model": "openai/x"}, "model_info": {"team_id": "no-team"}}),
            400,
            "model_info.team_id",
        ),
    ];
    for (body, expected, param) in cases {
        let (status, answer) = admin_post(&app, account, "/model/new", body).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let (status, answer) =
        admin_post(&app, account, "/model/update", json!({"model_info": {}})).await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "model_info.id");
    let (status, answer) = admin_post(&app, account, "/model/delete", json!({"id": 5})).await;
    assert_eq!(status, 422);
    assert!(answer["error"]["message"].as_str().unwrap().contains("id"));
    assert!(
        audit_rows(&app, account, "LiteLLM_ProxyModelTable")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn another_accounts_models_are_not_found_and_roles_are_enforced() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let (a, b) = two_accounts(&app).await;
    let theirs = mock_model(&app, b, &mock, "their-model").await;

    let (status, _) = admin_post(
        &app,
        a,
        "/model/update",
        json!({"model_info": {"id": theirs}, "model_name": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_patch(
        &app,
        a,
        &format!("/model/{theirs}/update"),
        json!({"model_name": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(&app, a, "/model/delete", json!({"id": theirs})).await;
    assert_eq!(status, 404);
    let (_, info) = admin_get(&app, a, "/model/info").await;
    assert!(info["data"].as_array().unwrap().is_empty());
    let (status, _) = admin_get(&app, a, &format!("/model/info?litellm_model_id={theirs}")).await;
    assert_eq!(status, 404);
    let (_, groups) = admin_get(&app, a, "/model_group/info").await;
    assert!(groups["data"].as_array().unwrap().is_empty());
    let a_key = app.add_key(a, json!({})).await;
    let (status, _) = chat(&app, &a_key, "their-model").await;
    assert_eq!(status, 400);
    let (_, rows) = admin_get(&app, b, "/model/info").await;
    assert_eq!(
        rows["data"][0]["model_name"], "their-model",
        "B's model is untouched"
    );

    let body = json!({"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_base": mock.api_base()}});
    let viewer = key_with_role(&app, a, "viewer", "proxy_admin_viewer").await;
    let (status, answer) = post_as(&app, &viewer, "/model/new", body.clone()).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication Error, Only proxy admin")
    );
    let user = key_with_role(&app, a, "someone", "internal_user").await;
    let (status, _) = post_as(&app, &user, "/model/new", body.clone()).await;
    assert_eq!(status, 401);

    // A team admin manages the team's models, and only those.
    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": a.uuid(), "team_id": "t-lead", "members_with_roles": [{"user_id": "lead", "role": "admin"}]}),
    )
    .await;
    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": a.uuid(), "team_id": "t-other"}),
    )
    .await;
    let lead = key_with_role(&app, a, "lead", "internal_user").await;
    let mut team_body = body.clone();
    team_body["model_info"] = json!({"team_id": "t-lead"});
    let (status, created) = post_as(&app, &lead, "/model/new", team_body).await;
    assert_eq!(status, 200, "{created}");
    let mut other_body = body.clone();
    other_body["model_info"] = json!({"team_id": "t-other"});
    let (status, _) = post_as(&app, &lead, "/model/new", other_body).await;
    assert_eq!(status, 401);
    let (status, _) = post_as(&app, &lead, "/model/new", body).await;
    assert_eq!(status, 401);
    let id = created["model_id"].as_str().unwrap();
    let (status, _) = call_as(
        &app,
        &lead,
        None,
        Method::PATCH,
        &format!("/model/{id}/update"),
        Some(json!({"model_info": {"team_id": "t-other"}})),
    )
    .await;
    assert_eq!(
        status, 401,
        "a team admin cannot give a model to another team"
    );
    let (status, _) = post_as(&app, &lead, "/model/delete", json!({"id": id})).await;
    assert_eq!(status, 200);
    let audit = audit_rows(&app, a, "LiteLLM_ProxyModelTable").await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["changed_by"], "lead");
}
