//! `/account/*`: the super admin's account registry. Every change is
//! audited in the affected account, suspension stops the account's keys
//! within a second, and nobody but the super admin reaches these routes.

use std::time::{Duration, Instant};

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::{actions, audit_rows, call_as, get_as, key_with_role};
use crate::common::app::{MASTER_KEY, TestApp};

const ACCOUNTS: &str = "Alchemi_AccountTable";
const PLATFORM: &str = "00000000-0000-0000-0000-000000000000";

/// Calls an `/account/*` route with the master key and no `x-account-id`.
pub async fn super_call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_as(app, MASTER_KEY, None, method, path, body).await
}

/// Creates an account through the API and returns its id.
pub async fn new_account(app: &TestApp, body: Value) -> AccountId {
    let (status, row) = super_call(app, Method::POST, "/account/new", Some(body)).await;
    assert_eq!(status, 200, "{row}");
    row["account_id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn accounts_are_created_listed_changed_and_audited() {
    let app = TestApp::spawn().await;
    let (status, created) = super_call(
        &app,
        Method::POST,
        "/account/new",
        Some(
            json!({"account_name": "Acme", "account_alias": "Acme Corp", "domain": "@Acme.COM",
                    "max_budget": 50.0, "metadata": {"tier": "gold"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["account_name"], "Acme");
    assert_eq!(created["domain"], "acme.com");
    assert_eq!(created["status"], "active");
    assert_eq!(created["metadata"], json!({"tier": "gold"}));
    assert_eq!(created["created_by"], "super_admin");
    let id = created["account_id"].as_str().unwrap().to_owned();
    let account: AccountId = id.parse().unwrap();
    new_account(&app, json!({"account_name": "Globex"})).await;
    new_account(&app, json!({"account_name": "Initech"})).await;

    let (status, page) = super_call(&app, Method::GET, "/account/list?search=acm", None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_count"], 1);
    assert_eq!(page["accounts"][0]["account_id"], id.as_str());
    // The default account and three new ones; never the platform account.
    let (_, page) = super_call(&app, Method::GET, "/account/list?page=2&size=3", None).await;
    assert_eq!(page["total_count"], 4);
    assert_eq!(
        (page["current_page"].clone(), page["total_pages"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(page["accounts"].as_array().unwrap().len(), 1);
    let (_, page) = super_call(&app, Method::GET, "/account/list?size=100", None).await;
    assert!(
        page["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["account_id"] != PLATFORM)
    );

    let (status, updated) = super_call(
        &app,
        Method::PUT,
        &format!("/account/{id}"),
        Some(json!({"account_alias": null, "max_budget": 75.5})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert!(updated["account_alias"].is_null());
    assert_eq!(updated["max_budget"], 75.5);
    assert_eq!(updated["account_name"], "Acme");

    let (status, info) = super_call(&app, Method::GET, &format!("/account/{id}"), None).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["max_budget"], 75.5);
    assert_eq!(info["admins"], json!([]));

    let audit = audit_rows(&app, account, ACCOUNTS).await;
    assert_eq!(actions(&audit), ["created", "updated"]);
    assert!(
        audit
            .iter()
            .all(|row| row["changed_by"] == "super_admin" && row["object_id"] == id.as_str())
    );
    assert!(audit[0]["before_value"].is_null());
    assert_eq!(audit[1]["before_value"]["max_budget"], 50.0);
    assert_eq!(audit[1]["updated_values"]["max_budget"], 75.5);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    for (body, param) in [
        (json!({}), "account_name"),
        (json!({"account_name": "  "}), "account_name"),
        (
            json!({"account_name": "x", "domain": "not a domain"}),
            "domain",
        ),
        (
            json!({"account_name": "x", "max_budget": "lots"}),
            "max_budget",
        ),
        (json!({"account_name": "x", "max_budget": -1}), "max_budget"),
        (json!({"account_name": "x", "metadata": [1]}), "metadata"),
    ] {
        let (status, answer) =
            super_call(&app, Method::POST, "/account/new", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{body}");
    }
    new_account(&app, json!({"account_name": "taken", "domain": "taken.io"})).await;
    let (status, _) = super_call(
        &app,
        Method::POST,
        "/account/new",
        Some(json!({"account_name": "taken"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = super_call(
        &app,
        Method::POST,
        "/account/new",
        Some(json!({"account_name": "other", "domain": "taken.io"})),
    )
    .await;
    assert_eq!(status, 400);
    let id = new_account(&app, json!({"account_name": "renamed"})).await;
    let (status, answer) = super_call(
        &app,
        Method::PUT,
        &format!("/account/{id}"),
        Some(json!({"account_name": null})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["param"], "account_name");
}

#[tokio::test]
async fn only_the_super_admin_reaches_accounts() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("tenant").await;
    let tenant_admin = key_with_role(&app, account, "boss", "proxy_admin").await;
    let id = account.to_string();
    for (method, path, body) in [
        (Method::GET, "/account/list".to_owned(), None),
        (
            Method::POST,
            "/account/new".to_owned(),
            Some(json!({"account_name": "mine"})),
        ),
        (Method::GET, format!("/account/{id}"), None),
        (
            Method::PUT,
            format!("/account/{id}"),
            Some(json!({"max_budget": 1.0})),
        ),
        (Method::DELETE, format!("/account/{id}"), None),
        (Method::POST, format!("/account/{id}/reactivate"), None),
        (
            Method::POST,
            format!("/account/{id}/admin"),
            Some(json!({"email": "a@b.co"})),
        ),
        (Method::DELETE, format!("/account/{id}/admin/a@b.co"), None),
    ] {
        let (status, answer) = call_as(
            &app,
            &tenant_admin,
            None,
            method.clone(),
            &path,
            body.clone(),
        )
        .await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        let (status, _) = call_as(
            &app,
            "sk-unknown",
            None,
            method.clone(),
            &path,
            body.clone(),
        )
        .await;
        assert_eq!(status, 401, "{method} {path}");
        let mut request = app.http.request(method.clone(), app.url(&path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            401,
            "{method} {path}"
        );
    }
    assert!(audit_rows(&app, account, ACCOUNTS).await.is_empty());
}

#[tokio::test]
async fn the_platform_account_and_unknown_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [PLATFORM, unknown.as_str(), "not-a-uuid"] {
        for (method, path, body) in [
            (Method::GET, format!("/account/{id}"), None),
            (
                Method::PUT,
                format!("/account/{id}"),
                Some(json!({"max_budget": 1.0})),
            ),
            (Method::DELETE, format!("/account/{id}"), None),
            (Method::POST, format!("/account/{id}/reactivate"), None),
            (
                Method::POST,
                format!("/account/{id}/admin"),
                Some(json!({"email": "a@b.co"})),
            ),
        ] {
            let (status, answer) = super_call(&app, method.clone(), &path, body).await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
        }
    }
    let platform = app
        .rows(&format!(
            "SELECT status FROM \"Alchemi_AccountTable\" WHERE account_id = '{PLATFORM}'"
        ))
        .await;
    assert_eq!(platform[0]["status"], "platform");
}

/// Posts a mocked chat with `key` (and `x-account-id`) and returns the status.
async fn chat(app: &TestApp, key: &str, account: Option<AccountId>) -> u16 {
    let mut request = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": "gpt", "mock_response": "ok",
                      "messages": [{"role": "user", "content": "hi"}]}));
    if let Some(account) = account {
        request = request.header("x-account-id", account.to_string());
    }
    request.send().await.unwrap().status().as_u16()
}

/// Polls until `key` gets `status`, failing after one second.
async fn answers_within_a_second(
    app: &TestApp,
    key: &str,
    account: Option<AccountId>,
    status: u16,
) {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let got = chat(app, key, account).await;
        if got == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {got}, not {status}, after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_suspended_accounts_keys_stop_within_a_second_and_return_on_reactivation() {
    let app = TestApp::spawn().await;
    let account = new_account(&app, json!({"account_name": "suspended-soon"})).await;
    app.add_model(
        account,
        "gpt",
        json!({"model": "openai/gpt-4o", "api_base": "http://127.0.0.1:9/v1"}),
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    assert_eq!(chat(&app, &key, None).await, 200);
    assert_eq!(chat(&app, MASTER_KEY, Some(account)).await, 200);

    let (status, suspended) =
        super_call(&app, Method::DELETE, &format!("/account/{account}"), None).await;
    assert_eq!(status, 200, "{suspended}");
    assert_eq!(suspended["status"], "suspended");
    answers_within_a_second(&app, &key, None, 401).await;
    // The operator cannot act in it either, but still manages it.
    assert_eq!(chat(&app, MASTER_KEY, Some(account)).await, 401);
    let (status, info) = call_as(
        &app,
        MASTER_KEY,
        Some(account),
        Method::GET,
        &format!("/account/{account}"),
        None,
    )
    .await;
    assert_eq!((status, info["status"].clone()), (200, json!("suspended")));
    // Suspending twice changes nothing and records nothing more.
    let (status, _) = super_call(&app, Method::DELETE, &format!("/account/{account}"), None).await;
    assert_eq!(status, 200);
    // Nothing is deleted.
    assert_eq!(
        app.rows(&format!(
            "SELECT 1 FROM \"LiteLLM_VerificationToken\" WHERE account_id = '{account}'"
        ))
        .await
        .len(),
        1
    );

    let (status, active) = super_call(
        &app,
        Method::POST,
        &format!("/account/{account}/reactivate"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["status"], "active");
    answers_within_a_second(&app, &key, None, 200).await;
    answers_within_a_second(&app, MASTER_KEY, Some(account), 200).await;

    let audit = audit_rows(&app, account, ACCOUNTS).await;
    assert_eq!(actions(&audit), ["created", "blocked", "unblocked"]);
    assert_eq!(audit[1]["before_value"]["status"], "active");
    assert_eq!(audit[1]["updated_values"]["status"], "suspended");
}

#[tokio::test]
async fn the_master_key_cannot_act_in_an_unknown_account() {
    let app = TestApp::spawn().await;
    let unknown = AccountId::new(uuid::Uuid::new_v4()).unwrap();
    let (status, unknown_answer) = call_as(
        &app,
        MASTER_KEY,
        Some(unknown),
        Method::GET,
        "/budget/list",
        None,
    )
    .await;
    assert_eq!(status, 401, "{unknown_answer}");
    let account = new_account(&app, json!({"account_name": "gone"})).await;
    super_call(&app, Method::DELETE, &format!("/account/{account}"), None).await;
    let (status, suspended_answer) = call_as(
        &app,
        MASTER_KEY,
        Some(account),
        Method::GET,
        "/budget/list",
        None,
    )
    .await;
    assert_eq!(status, 401);
    // The same answer: nothing tells a missing account from a suspended one.
    assert_eq!(unknown_answer, suspended_answer);
    let (status, _) = get_as(&app, MASTER_KEY, "/budget/list").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn admins_are_added_and_removed_with_their_user_row() {
    let app = TestApp::spawn().await;
    let account = new_account(&app, json!({"account_name": "admins"})).await;
    let path = format!("/account/{account}/admin");
    let (status, added) = super_call(
        &app,
        Method::POST,
        &path,
        Some(json!({"email": "Ops@Example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["user_email"], "ops@example.com");
    assert_eq!(added["role"], "account_admin");
    assert_eq!(added["password_set"], true);
    let user_id = added["user_id"].as_str().unwrap().to_owned();
    let users = app
        .rows(&format!(
            "SELECT user_id, user_role, user_email, password FROM \"LiteLLM_UserTable\" WHERE account_id = '{account}'"
        ))
        .await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["user_id"], user_id.as_str());
    assert_eq!(users[0]["user_role"], "proxy_admin");
    let hash = users[0]["password"].as_str().unwrap();
    assert!(hash.starts_with("$argon2"));
    assert!(alchemi::secret::verify_password("correct horse", hash));

    let (_, info) = super_call(&app, Method::GET, &format!("/account/{account}"), None).await;
    assert_eq!(info["admins"][0]["user_email"], "ops@example.com");

    // A second admin without a password (SSO only), an existing user promoted.
    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": account.uuid(), "user_id": "dev-1", "user_email": "dev@example.com",
                "user_role": "internal_user"}),
    )
    .await;
    let (status, promoted) = super_call(
        &app,
        Method::POST,
        &path,
        Some(json!({"email": "dev@example.com"})),
    )
    .await;
    assert_eq!(status, 200, "{promoted}");
    assert_eq!(promoted["user_id"], "dev-1");
    assert_eq!(promoted["password_set"], false);

    for (body, status, param) in [
        (json!({"email": "ops@example.com"}), 400, None),
        (json!({"email": "nobody"}), 422, Some("email")),
        (
            json!({"email": "x@example.com", "password": "short"}),
            422,
            Some("password"),
        ),
        (json!({"password": "long enough"}), 422, Some("email")),
    ] {
        let (got, answer) = super_call(&app, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        if let Some(param) = param {
            assert!(
                answer["error"]["message"].as_str().unwrap().contains(param),
                "{answer}"
            );
        }
    }

    let (status, removed) = super_call(
        &app,
        Method::DELETE,
        &format!("{path}/ops@example.com"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["user_email"], "ops@example.com");
    let user = app
        .rows(&format!(
            "SELECT user_role, password FROM \"LiteLLM_UserTable\" WHERE account_id = '{account}' AND user_id = '{user_id}'"
        ))
        .await;
    assert_eq!(user[0]["user_role"], "internal_user_viewer");
    assert!(user[0]["password"].is_null());
    let (status, _) = super_call(
        &app,
        Method::DELETE,
        &format!("{path}/ops@example.com"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let admin_audit = audit_rows(&app, account, "Alchemi_AccountAdminTable").await;
    assert_eq!(actions(&admin_audit), ["created", "created", "deleted"]);
    assert_eq!(
        admin_audit[2]["before_value"]["user_email"],
        "ops@example.com"
    );
    let user_audit = audit_rows(&app, account, "LiteLLM_UserTable").await;
    assert_eq!(actions(&user_audit), ["created", "updated", "updated"]);
    assert_eq!(user_audit[0]["updated_values"]["password"], "<redacted>");
    assert!(
        user_audit
            .iter()
            .all(|row| row["changed_by"] == "super_admin")
    );
    let everything = app
        .rows("SELECT before_value, updated_values FROM \"LiteLLM_AuditLog\"")
        .await;
    assert!(
        !everything
            .iter()
            .any(|row| row.to_string().contains("$argon2"))
    );
}
