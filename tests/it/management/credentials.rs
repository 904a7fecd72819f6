//! `/credentials`: values sealed at rest and shown masked, models that name
//! a credential route with its values, every change audited, and nothing
//! reachable from another account.

use reqwest::Method;
use serde_json::json;

use super::{
    actions, admin_delete, admin_get, admin_patch, admin_post, audit_rows, call_as, get_as,
    key_with_role, post_as, two_accounts,
};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

const SECRET: &str = "sk-cred-secret-9876";

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

fn last_auth(mock: &MockLlm) -> String {
    mock.received().last().unwrap().headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn credentials_are_sealed_masked_audited_and_used_by_the_models_naming_them() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("credentials").await;
    let (status, created) = admin_post(
        &app,
        account,
        "/credentials",
        json!({
            "credential_name": "shared-openai",
            "credential_values": {"api_key": SECRET, "api_base": mock.api_base()},
            "credential_info": {"custom_llm_provider": "openai"},
        }),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["success"], true);
    let rows = app
        .rows("SELECT credential_values FROM \"LiteLLM_CredentialsTable\"")
        .await;
    let stored = &rows[0]["credential_values"];
    assert!(stored["api_key"].as_str().unwrap().starts_with("enc:v1:"));
    assert!(!stored.to_string().contains(SECRET));

    let (status, listed) = admin_get(&app, account, "/credentials").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["success"], true);
    let first = &listed["credentials"][0];
    assert_eq!(first["credential_name"], "shared-openai");
    assert_eq!(first["credential_values"]["api_key"], "sk****76");
    assert_eq!(first["credential_values"]["api_base"], mock.api_base());
    assert_eq!(first["credential_info"]["custom_llm_provider"], "openai");
    let (status, one) = admin_get(&app, account, "/credentials/by_name/shared-openai").await;
    assert_eq!(status, 200);
    assert_eq!(one["credential_values"]["api_key"], "sk****76");
    assert!(!one.to_string().contains(SECRET));

    let (status, model) = admin_post(&app, account, "/model/new", json!({"model_name": "via-cred", "litellm_params": {"model": "openai/gpt-4o", "litellm_credential_name": "shared-openai"}}))
    .await;
    assert_eq!(status, 200, "{model}");
    let model_id = model["model_id"].as_str().unwrap().to_owned();
    let key = app.add_key(account, json!({})).await;
    assert_eq!(chat(&app, &key, "via-cred").await, 200);
    assert_eq!(last_auth(&mock), format!("Bearer {SECRET}"));
    let (_, info) = admin_get(&app, account, "/model/info").await;
    assert!(!info.to_string().contains(SECRET) && !info.to_string().contains("enc:v1:"));
    let (status, by_model) =
        admin_get(&app, account, &format!("/credentials/by_model/{model_id}")).await;
    assert_eq!(status, 200, "{by_model}");
    assert_eq!(by_model["credential_name"], "shared-openai");
    assert_eq!(by_model["credential_values"]["api_key"], "sk****76");

    let (status, updated) = admin_patch(&app, account, "/credentials/shared-openai", json!({"credential_values": {"api_key": "sk-rotated-cred-5555", "api_base": mock.api_base()}}))
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["success"], true);
    assert_eq!(chat(&app, &key, "via-cred").await, 200);
    assert_eq!(
        last_auth(&mock),
        "Bearer sk-rotated-cred-5555",
        "the router sees the new values at once"
    );

    let (status, deleted) = admin_delete(&app, account, "/credentials/shared-openai").await;
    assert_eq!(status, 200, "{deleted}");
    let (status, _) = admin_get(&app, account, "/credentials/by_name/shared-openai").await;
    assert_eq!(status, 404);

    let audit = audit_rows(&app, account, "LiteLLM_CredentialsTable").await;
    assert_eq!(actions(&audit), ["created", "updated", "deleted"]);
    assert!(audit.iter().all(|row| row["object_id"] == "shared-openai"));
    assert!(!json!(audit).to_string().contains("enc:v1:"));
    assert!(!json!(audit).to_string().contains(SECRET));
}

#[tokio::test]
async fn a_credential_can_be_taken_from_a_model() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("credentials").await;
    let (_, model) = admin_post(&app, account, "/model/new", json!({"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_key": SECRET, "api_base": "http://up", "rpm": 3}}))
    .await;
    let model_id = model["model_id"].as_str().unwrap();
    let (status, answer) = admin_post(
        &app,
        account,
        "/credentials",
        json!({"credential_name": "copied", "model_id": model_id}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (_, one) = admin_get(&app, account, "/credentials/by_name/copied").await;
    assert_eq!(
        one["credential_values"],
        json!({"api_key": "sk****76", "api_base": "http://up"})
    );
    let (status, by_model) =
        admin_get(&app, account, &format!("/credentials/by_model/{model_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        by_model["credential_name"],
        format!("m-credential-{model_id}")
    );
    assert_eq!(by_model["credential_values"]["api_key"], "sk****76");
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("credentials").await;
    let cases = [
        (
            json!({"credential_values": {"api_key": "k"}}),
            422,
            "credential_name",
        ),
        (
            json!({"credential_name": "c", "credential_values": "k"}),
            422,
            "credential_values",
        ),
        (json!({"credential_name": "c"}), 422, "credential_values"),
        (
            json!({"credential_name": "c", "credential_values": {}, "credential_info": 3}),
            422,
            "credential_info",
        ),
    ];
    for (body, expected, param) in cases {
        let (status, answer) = admin_post(&app, account, "/credentials", body).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let body =
        json!({"credential_name": "dup", "credential_values": {"api_key": "sk-whatever-123"}});
    let (status, _) = admin_post(&app, account, "/credentials", body.clone()).await;
    assert_eq!(status, 200);
    let (status, answer) = admin_post(&app, account, "/credentials", body).await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = admin_post(
        &app,
        account,
        "/credentials",
        json!({"credential_name": "x", "model_id": "nope"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, answer) = admin_patch(
        &app,
        account,
        "/credentials/dup",
        json!({"credential_values": []}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "credential_values");
}

#[tokio::test]
async fn another_accounts_credentials_are_not_found_and_viewers_cannot_write() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let body =
        json!({"credential_name": "theirs", "credential_values": {"api_key": "sk-their-secret-1"}});
    let (status, _) = admin_post(&app, b, "/credentials", body).await;
    assert_eq!(status, 200);

    let (status, _) = admin_get(&app, a, "/credentials/by_name/theirs").await;
    assert_eq!(status, 404);
    let (status, _) = admin_patch(
        &app,
        a,
        "/credentials/theirs",
        json!({"credential_info": {}}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_delete(&app, a, "/credentials/theirs").await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/credentials").await;
    assert!(listed["credentials"].as_array().unwrap().is_empty());
    let (status, answer) = admin_post(&app, a, "/model/new", json!({"model_name": "m", "litellm_params": {"model": "openai/x", "litellm_credential_name": "theirs"}}))
    .await;
    assert_eq!(
        status, 400,
        "a model cannot name another account's credential: {answer}"
    );
    // The same name is free in A.
    let (status, _) = admin_post(
        &app,
        a,
        "/credentials",
        json!({"credential_name": "theirs", "credential_values": {}}),
    )
    .await;
    assert_eq!(status, 200);

    let viewer = key_with_role(&app, a, "viewer", "proxy_admin_viewer").await;
    let (status, listed) = get_as(&app, &viewer, "/credentials").await;
    assert_eq!(status, 200);
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    let (status, _) = post_as(
        &app,
        &viewer,
        "/credentials",
        json!({"credential_name": "v", "credential_values": {}}),
    )
    .await;
    assert_eq!(status, 401);
    let user = key_with_role(&app, a, "user", "internal_user").await;
    let (status, _) = get_as(&app, &user, "/credentials").await;
    assert_eq!(status, 401);
    let (status, _) = call_as(
        &app,
        &viewer,
        None,
        Method::DELETE,
        "/credentials/theirs",
        None,
    )
    .await;
    assert_eq!(status, 401);
}
