//! The management API over HTTP: each family's endpoints, roles, audit rows
//! and cross-account attempts.

mod access_groups;
mod accounts;
mod activity;
mod audit_logs;
mod budgets;
mod bulk;
mod credentials;
mod customers;
mod docs;
mod guardrails;
mod keys;
mod login;
mod models;
mod organizations;
mod spend;
mod spend_admin;
mod tags;
mod teams;
mod users;

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::Value;

use crate::common::app::{MASTER_KEY, TestApp};

/// Calls a management route with the master key acting in `account`.
pub async fn admin_call(
    app: &TestApp,
    account: AccountId,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_as(app, MASTER_KEY, Some(account), method, path, body).await
}

/// GETs `path` as the master key acting in `account`.
pub async fn admin_get(app: &TestApp, account: AccountId, path: &str) -> (u16, Value) {
    admin_call(app, account, Method::GET, path, None).await
}

/// POSTs `body` to `path` as the master key acting in `account`.
pub async fn admin_post(
    app: &TestApp,
    account: AccountId,
    path: &str,
    body: Value,
) -> (u16, Value) {
    admin_call(app, account, Method::POST, path, Some(body)).await
}

/// PUTs `body` to `path` as the master key acting in `account`.
pub async fn admin_put(app: &TestApp, account: AccountId, path: &str, body: Value) -> (u16, Value) {
    admin_call(app, account, Method::PUT, path, Some(body)).await
}

/// PATCHes `path` with `body` as the master key acting in `account`.
pub async fn admin_patch(
    app: &TestApp,
    account: AccountId,
    path: &str,
    body: Value,
) -> (u16, Value) {
    admin_call(app, account, Method::PATCH, path, Some(body)).await
}

/// DELETEs `path` as the master key acting in `account`.
pub async fn admin_delete(app: &TestApp, account: AccountId, path: &str) -> (u16, Value) {
    admin_call(app, account, Method::DELETE, path, None).await
}

/// GETs `path` with `key` (its own account).
pub async fn get_as(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    call_as(app, key, None, Method::GET, path, None).await
}

/// POSTs `body` to `path` with `key` (its own account).
pub async fn post_as(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    call_as(app, key, None, Method::POST, path, Some(body)).await
}

/// Calls a management route with `key` (and `x-account-id` when given).
pub async fn call_as(
    app: &TestApp,
    key: &str,
    account: Option<AccountId>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.http.request(method, app.url(path)).bearer_auth(key);
    if let Some(account) = account {
        request = request.header("x-account-id", account.to_string());
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// The audit rows of `account` for `table`, oldest first.
pub async fn audit_rows(app: &TestApp, account: AccountId, table: &str) -> Vec<Value> {
    app.rows(&format!(
        "SELECT action, object_id, changed_by, before_value, updated_values FROM \"LiteLLM_AuditLog\"
          WHERE account_id = '{}' AND table_name = '{table}' ORDER BY updated_at, id",
        account.uuid()
    ))
    .await
}

/// A key of `account` whose user has `role`.
pub async fn key_with_role(app: &TestApp, account: AccountId, user_id: &str, role: &str) -> String {
    app.insert(
        "LiteLLM_UserTable",
        &serde_json::json!({"account_id": account.uuid(), "user_id": user_id, "user_role": role}),
    )
    .await;
    app.add_key(account, serde_json::json!({"user_id": user_id}))
        .await
}

/// The actions of audit rows, in order: what most audit checks compare.
pub fn actions(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["action"].as_str().unwrap().to_owned())
        .collect()
}

/// Two fresh accounts, `a` and `b`, for the cross-account checks.
pub async fn two_accounts(app: &TestApp) -> (AccountId, AccountId) {
    (
        app.test.create_account("a").await,
        app.test.create_account("b").await,
    )
}
