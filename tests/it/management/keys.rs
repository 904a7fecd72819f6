//! `/key/*`: LiteLLM's key lifecycle over HTTP, checked through the proxy
//! (a generated key works, a blocked, deleted or rotated one stops), with
//! audit rows, roles and cross-account attempts.

use std::time::Duration;

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    actions, admin_call, admin_get, admin_post, audit_rows, get_as, key_with_role, post_as,
    two_accounts,
};
use crate::common::app::TestApp;

async fn setup() -> (TestApp, AccountId) {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("keys").await;
    app.add_model(
        account,
        "m",
        json!({"model": "openai/m", "api_base": "http://127.0.0.1:9"}),
    )
    .await;
    (app, account)
}

/// A chat call answered by `mock_response` (no provider needed).
async fn proxy_status(app: &TestApp, key: &str) -> u16 {
    app.http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": "m", "mock_response": "hi", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits up to 2 s for the proxy to answer `status` for `key`.
async fn proxy_becomes(app: &TestApp, key: &str, status: u16) {
    for _ in 0..100 {
        if proxy_status(app, key).await == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the proxy never answered {status}");
}

async fn generate(app: &TestApp, account: AccountId, body: Value) -> Value {
    let (status, created) = admin_post(app, account, "/key/generate", body).await;
    assert_eq!(status, 200, "{created}");
    created
}

#[tokio::test]
async fn a_generated_key_works_and_its_lifecycle_is_audited() {
    let (app, account) = setup().await;
    let created = generate(
        &app,
        account,
        json!({"key_alias": "ci", "max_budget": 10.0, "duration": "7d", "budget_duration": "1mo",
               "model_rpm_limit": {"m": 5}, "metadata": {"owner": "ops"}}),
    )
    .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let token = alchemi::secret::hash_api_key(&key);
    assert!(key.starts_with("sk-"));
    assert_eq!(created["token"], token.as_str());
    assert_eq!(created["token_id"], token.as_str());
    assert_ne!(created["token"], created["key"]);
    assert_eq!(created["key_alias"], "ci");
    assert_eq!(created["max_budget"], 10.0);
    assert!(created["expires"].is_string());
    assert!(created["budget_reset_at"].is_string());
    assert_eq!(created["metadata"]["model_rpm_limit"]["m"], 5);
    assert_eq!(created["metadata"]["owner"], "ops");
    assert_eq!(proxy_status(&app, &key).await, 200);

    // The same alias twice is refused.
    let (status, answer) =
        admin_post(&app, account, "/key/generate", json!({"key_alias": "ci"})).await;
    assert_eq!(status, 400, "{answer}");

    let (status, updated) = admin_post(
        &app,
        account,
        "/key/update",
        json!({"key": key, "max_budget": null, "rpm_limit": 3}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["key"], key.as_str());
    assert!(updated["max_budget"].is_null());
    assert_eq!(updated["rpm_limit"], 3);

    let (status, _) = admin_post(&app, account, "/key/block", json!({"key": key})).await;
    assert_eq!(status, 200);
    proxy_becomes(&app, &key, 401).await;
    let (status, _) = admin_post(&app, account, "/key/unblock", json!({"key": token})).await;
    assert_eq!(status, 200);
    proxy_becomes(&app, &key, 200).await;

    let (status, deleted) = admin_post(&app, account, "/key/delete", json!({"keys": [key]})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted_keys"], json!([key]));
    proxy_becomes(&app, &key, 401).await;
    let (_, listed) = admin_get(&app, account, "/key/list?status=deleted").await;
    assert_eq!(listed["keys"], json!([token]));

    let actions = actions(&audit_rows(&app, account, "LiteLLM_VerificationToken").await);
    assert_eq!(
        actions,
        ["created", "updated", "blocked", "unblocked", "deleted"]
    );
    let rows = audit_rows(&app, account, "LiteLLM_VerificationToken").await;
    assert_eq!(rows[1]["object_id"], token.as_str());
    assert_eq!(rows[1]["before_value"]["max_budget"], 10.0);
    assert!(rows[1]["updated_values"]["max_budget"].is_null());
    assert_eq!(rows[0]["changed_by"], "master_key");
}

#[tokio::test]
async fn info_and_list_page_and_filter() {
    let (app, account) = setup().await;
    for i in 0..25 {
        let user = if i % 5 == 0 { "u-five" } else { "u-other" };
        generate(
            &app,
            account,
            json!({"user_id": user, "key_alias": format!("k{i}")}),
        )
        .await;
    }
    let (_, page) = admin_get(&app, account, "/key/list?page=3&size=10").await;
    assert_eq!(page["total_count"], 25);
    assert_eq!(page["total_pages"], 3);
    assert_eq!(page["current_page"], 3);
    assert_eq!(page["keys"].as_array().unwrap().len(), 5);
    assert!(page["keys"][0].is_string());
    let (_, filtered) = admin_get(
        &app,
        account,
        "/key/list?user_id=u-five&return_full_object=true&sort_by=key_alias&sort_order=asc",
    )
    .await;
    assert_eq!(filtered["total_count"], 5);
    assert_eq!(filtered["keys"][0]["key_alias"], "k0");
    let (status, answer) = admin_get(&app, account, "/key/list?size=ten").await;
    assert_eq!(status, 422, "{answer}");
    let (status, _) = admin_get(&app, account, "/key/list?sort_by=token;drop").await;
    assert_eq!(status, 400);

    let created = generate(&app, account, json!({"key_alias": "mine"})).await;
    let key = created["key"].as_str().unwrap();
    // A key reads itself without naming itself.
    let (status, own) = get_as(&app, key, "/key/info").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["info"]["key_alias"], "mine");
    let (status, missing) = admin_get(&app, account, "/key/info?key=sk-nope").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["type"], "not_found_error");
    let (_, many) = admin_post(
        &app,
        account,
        "/v2/key/info",
        json!({"keys": [key, "sk-nope"]}),
    )
    .await;
    assert_eq!(many["info"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn regeneration_replaces_the_secret_with_an_optional_grace_period() {
    let (app, account) = setup().await;
    let first = generate(&app, account, json!({})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, rotated) = admin_post(
        &app,
        account,
        &format!("/key/{first}/regenerate"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(rotated["rotation_count"], 1);
    proxy_becomes(&app, &first, 401).await;
    assert_eq!(proxy_status(&app, &second).await, 200);

    let (status, rotated) = admin_post(
        &app,
        account,
        "/key/regenerate",
        json!({"key": second, "grace_period": "1h"}),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let third = rotated["key"].as_str().unwrap().to_owned();
    assert_eq!(proxy_status(&app, &third).await, 200);
    // The old key keeps working during its grace period.
    assert_eq!(proxy_status(&app, &second).await, 200);
    let actions = actions(&audit_rows(&app, account, "LiteLLM_VerificationToken").await);
    assert_eq!(actions, ["created", "rotated", "rotated"]);
}

#[tokio::test]
async fn spend_resets_restart_the_budget() {
    let (app, account) = setup().await;
    app.add_model(account, "priced", json!({"model": "openai/p", "api_base": "http://127.0.0.1:9", "input_cost_per_token": 0.0, "output_cost_per_token": 1.0}))
        .await;
    let created = generate(&app, account, json!({"max_budget": 1.0, "spend": 1.0})).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let call = || async {
        app.http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&json!({"model": "priced", "mock_response": "hi", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(call().await, 400);
    let (status, answer) = admin_post(
        &app,
        account,
        &format!("/key/{key}/reset_spend"),
        json!({"reset_to": 2.0}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = admin_post(
        &app,
        account,
        &format!("/key/{key}/reset_spend"),
        json!({"reset_to": 0.0}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let mut admitted = false;
    for _ in 0..100 {
        if call().await == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted);
}

#[tokio::test]
async fn roles_bound_what_a_key_may_do() {
    let (app, account) = setup().await;
    let user_key = key_with_role(&app, account, "u-1", "internal_user").await;
    // An internal user creates keys for themselves only.
    let (status, own) = post_as(&app, &user_key, "/key/generate", json!({})).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["user_id"], "u-1");
    let (status, answer) =
        post_as(&app, &user_key, "/key/generate", json!({"user_id": "u-2"})).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only proxy admin")
    );
    let (status, _) = post_as(
        &app,
        &user_key,
        "/key/update",
        json!({"key": own["key"], "max_budget": 100.0}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post_as(
        &app,
        &user_key,
        "/key/update",
        json!({"key": own["key"], "key_alias": "renamed"}),
    )
    .await;
    assert_eq!(status, 200);
    // Someone else's key: not theirs to delete.
    let other = generate(&app, account, json!({"user_id": "u-2"})).await;
    let (status, _) = post_as(
        &app,
        &user_key,
        "/key/delete",
        json!({"keys": [other["key"]]}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get_as(
        &app,
        &user_key,
        &format!("/key/info?key={}", other["key"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 403);
    // Their list holds their own keys only.
    let (_, listed) = get_as(&app, &user_key, "/key/list").await;
    assert_eq!(listed["total_count"], 2, "{listed}");

    // Team members need the permission; team admins have it.
    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": account.uuid(), "team_id": "t-1", "models": ["m"],
                "members_with_roles": [{"user_id": "u-1", "role": "user"}, {"user_id": "u-admin", "role": "admin"}]}),
    )
    .await;
    let (status, answer) =
        post_as(&app, &user_key, "/key/generate", json!({"team_id": "t-1"})).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["type"], "team_member_permission_error");
    let team_admin = key_with_role(&app, account, "u-admin", "internal_user").await;
    let (status, answer) = post_as(
        &app,
        &team_admin,
        "/key/generate",
        json!({"team_id": "t-1", "models": ["m"]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    // A team key stays within the team's models.
    let (status, answer) = admin_post(
        &app,
        account,
        "/key/generate",
        json!({"team_id": "t-1", "models": ["gpt-4"]}),
    )
    .await;
    assert_eq!(status, 401, "{answer}");

    let viewer = key_with_role(&app, account, "v-1", "proxy_admin_viewer").await;
    let (status, _) = get_as(&app, &viewer, "/key/list").await;
    assert_eq!(status, 200);
    let (status, _) = post_as(&app, &viewer, "/key/generate", json!({})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn another_accounts_keys_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let theirs = generate(&app, b, json!({"key_alias": "shared-name"})).await;
    let key = theirs["key"].as_str().unwrap();
    // The same alias is free in another account: nothing leaks.
    generate(&app, a, json!({"key_alias": "shared-name"})).await;
    for (method, path, body) in [
        (Method::GET, format!("/key/info?key={key}"), None),
        (
            Method::POST,
            "/key/update".to_owned(),
            Some(json!({"key": key, "max_budget": 0.0})),
        ),
        (
            Method::POST,
            "/key/delete".to_owned(),
            Some(json!({"keys": [key]})),
        ),
        (
            Method::POST,
            "/key/block".to_owned(),
            Some(json!({"key": key})),
        ),
        (
            Method::POST,
            format!("/key/{key}/regenerate"),
            Some(json!({})),
        ),
    ] {
        let (status, answer) = admin_call(&app, a, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (_, listed) = admin_get(&app, a, "/key/list?return_full_object=true").await;
    assert_eq!(listed["total_count"], 1);
    let (_, listed) = admin_get(&app, a, &format!("/key/list?key_hash={key}")).await;
    assert_eq!(listed["total_count"], 0);
    assert_eq!(
        proxy_status(&app, key).await,
        400,
        "B's key still works in B (unknown model m there)"
    );
}
