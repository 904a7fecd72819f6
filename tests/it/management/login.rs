//! Console sign-in: email-first resolution that reveals nothing, `/login`
//! for the super admin, account admins and users with a password, the
//! session cookie on management routes (its own account only), logout and
//! the throttling of failed attempts.

use std::net::{IpAddr, Ipv4Addr};

use alchemi::db::AccountId;
use reqwest::Method;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use super::accounts::{new_account, super_call};
use super::admin_post;
use crate::common::app::{MASTER_KEY, TestApp};

/// What `/login` answered.
struct Login {
    status: u16,
    body: Value,
    cookie: Option<String>,
}

impl Login {
    /// `token=...` as a browser sends it back.
    fn cookie_pair(&self) -> String {
        let cookie = self.cookie.as_deref().expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }
}

fn client_from(address: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(address))
        .build()
        .unwrap()
}

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> Login {
    let response = client
        .post(app.url("/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    Login {
        status,
        body,
        cookie,
    }
}

async fn login(app: &TestApp, username: &str, password: &str) -> Login {
    login_from(app, &client_from(Ipv4Addr::LOCALHOST), username, password).await
}

/// Calls a route with only the session cookie.
async fn with_session(
    app: &TestApp,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, app.url(path))
        .header(COOKIE, cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn resolve(app: &TestApp, email: &str) -> Value {
    let response = app
        .http
        .post(app.url("/v2/login/resolve"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// An account with an administrator who has a password.
async fn account_with_admin(app: &TestApp, name: &str, email: &str, password: &str) -> AccountId {
    let account = new_account(app, json!({"account_name": name})).await;
    let (status, answer) = super_call(
        app,
        Method::POST,
        &format!("/account/{account}/admin"),
        Some(json!({"email": email, "password": password})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    account
}

#[tokio::test]
async fn the_super_admin_signs_in_and_manages_accounts_with_the_cookie() {
    let app = TestApp::spawn().await;
    let answer = login(&app, "admin", MASTER_KEY).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["user_id"], "admin");
    assert_eq!(answer.body["role"], "super_admin");
    assert!(answer.body["account_id"].is_null());
    let cookie = answer.cookie.clone().unwrap();
    let token = answer.body["token"].as_str().unwrap();
    assert!(cookie.starts_with(&format!("token={token};")), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no https base URL configured: {cookie}"
    );

    let (status, page) = with_session(
        &app,
        &answer.cookie_pair(),
        Method::GET,
        "/account/list",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (status, created) = with_session(
        &app,
        &answer.cookie_pair(),
        Method::POST,
        "/account/new",
        Some(json!({"account_name": "by-cookie"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");

    // A browser posting the form is sent on to the console.
    let response = client_from(Ipv4Addr::LOCALHOST)
        .post(app.url("/login"))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[("username", "admin"), ("password", MASTER_KEY)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/ui");
    assert!(
        response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("token=")
    );

    // JSON works too; a tampered token is no session.
    let response = app
        .http
        .post(app.url("/login"))
        .json(&json!({"username": "admin", "password": MASTER_KEY}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut forged = answer.cookie_pair();
    forged.push('x');
    let (status, _) = with_session(&app, &forged, Method::GET, "/account/list", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_account_admin_signs_in_to_their_own_account_only() {
    let app = TestApp::spawn().await;
    let account = account_with_admin(&app, "mine", "lead@mine.example", "lead password").await;
    let other = app.test.create_account("other").await;
    admin_post(&app, account, "/budget/new", json!({"budget_id": "ours"})).await;
    admin_post(&app, other, "/budget/new", json!({"budget_id": "theirs"})).await;

    let answer = login(&app, "Lead@Mine.example", "lead password").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["role"], "proxy_admin");
    assert_eq!(answer.body["account_id"], account.to_string());
    let cookie = answer.cookie_pair();

    let (status, budgets) = with_session(&app, &cookie, Method::GET, "/budget/list", None).await;
    assert_eq!(status, 200, "{budgets}");
    let ids: Vec<&str> = budgets
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["budget_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ours"]);
    // `x-account-id` does not move a session to another account.
    let response = app
        .http
        .get(app.url("/budget/list"))
        .header(COOKIE, &cookie)
        .header("x-account-id", other.to_string())
        .send()
        .await
        .unwrap();
    let budgets: Value = response.json().await.unwrap();
    assert_eq!(budgets[0]["budget_id"], "ours");
    let (status, _) = with_session(
        &app,
        &cookie,
        Method::GET,
        "/budget/settings?budget_id=theirs",
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Changes are recorded under the session's user.
    let (status, _) = with_session(
        &app,
        &cookie,
        Method::POST,
        "/budget/new",
        Some(json!({"budget_id": "b2"})),
    )
    .await;
    assert_eq!(status, 200);
    let audit = super::audit_rows(&app, account, "LiteLLM_BudgetTable").await;
    assert_eq!(audit.last().unwrap()["changed_by"], answer.body["user_id"]);

    // Not the super admin.
    let (status, _) = with_session(&app, &cookie, Method::GET, "/account/list", None).await;
    assert_eq!(status, 403);
    // A suspended account's sessions stop.
    super_call(&app, Method::DELETE, &format!("/account/{account}"), None).await;
    let mut status = 0;
    for _ in 0..50 {
        status = with_session(&app, &cookie, Method::GET, "/budget/list", None)
            .await
            .0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401);
    // And its admins cannot sign in.
    assert_eq!(
        login(&app, "lead@mine.example", "lead password")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_user_with_a_password_signs_in_with_their_role() {
    let app = TestApp::spawn().await;
    let account = new_account(&app, json!({"account_name": "users"})).await;
    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": account.uuid(), "user_id": "viewer-1", "user_email": "viewer@users.example",
                "user_role": "internal_user_viewer",
                "password": alchemi::secret::hash_password("viewer password").unwrap()}),
    )
    .await;
    let answer = login(&app, "viewer@users.example", "viewer password").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["user_id"], "viewer-1");
    assert_eq!(answer.body["role"], "internal_user_viewer");
    assert_eq!(answer.body["account_id"], account.to_string());
    let cookie = answer.cookie_pair();
    let (status, _) = with_session(
        &app,
        &cookie,
        Method::POST,
        "/budget/new",
        Some(json!({"budget_id": "no"})),
    )
    .await;
    assert_eq!(status, 401, "a viewer changes nothing");
}

#[tokio::test]
async fn wrong_credentials_are_refused_alike_and_logout_clears_the_cookie() {
    let app = TestApp::spawn().await;
    account_with_admin(&app, "refusals", "known@refusals.example", "known password").await;
    let wrong_password = login(&app, "known@refusals.example", "not it").await;
    let unknown_email = login(&app, "nobody@refusals.example", "not it").await;
    let wrong_admin = login(&app, "admin", "not it").await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.body, wrong_admin.body);
    assert!(wrong_password.cookie.is_none());

    let response = app
        .http
        .post(app.url("/login"))
        .form(&[("username", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["param"], "password");

    let response = app.http.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cleared = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cleared.starts_with("token=;")
            && cleared.contains("Max-Age=0")
            && cleared.contains("HttpOnly"),
        "{cleared}"
    );
}

#[tokio::test]
async fn resolve_never_reveals_whether_an_email_exists() {
    let app = TestApp::spawn().await;
    account_with_admin(&app, "plain", "someone@plain.example", "some password").await;
    let sso = new_account(
        &app,
        json!({"account_name": "sso", "domain": "sso.example"}),
    )
    .await;
    app.insert(
        "Alchemi_AccountSSOConfig",
        &json!({"account_id": sso.uuid(), "sso_provider": "oidc", "enabled": true}),
    )
    .await;
    let password = json!({"method": "password"});
    assert_eq!(resolve(&app, "admin").await, password);
    assert_eq!(resolve(&app, "someone@plain.example").await, password);
    assert_eq!(resolve(&app, "nobody@plain.example").await, password);
    assert_eq!(resolve(&app, "nobody@nowhere.example").await, password);
    assert_eq!(resolve(&app, "not an email").await, password);
    let answer = resolve(&app, "anyone@SSO.example").await;
    assert_eq!(answer["method"], "sso");
    assert_eq!(
        answer["redirect_url"],
        "/ui/sso/start?email=anyone%40sso.example"
    );
    // A suspended account's domain no longer routes anywhere.
    super_call(&app, Method::DELETE, &format!("/account/{sso}"), None).await;
    assert_eq!(resolve(&app, "anyone@sso.example").await, password);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_email_and_per_address() {
    let app = TestApp::spawn().await;
    account_with_admin(
        &app,
        "throttle",
        "target@throttle.example",
        "right password",
    )
    .await;
    let first = client_from(Ipv4Addr::new(127, 0, 0, 1));
    let second = client_from(Ipv4Addr::new(127, 0, 0, 2));
    for _ in 0..10 {
        assert_eq!(
            login_from(&app, &first, "target@throttle.example", "wrong")
                .await
                .status,
            401
        );
    }
    // The email is locked, even with the right password, from anywhere.
    let locked = login_from(&app, &second, "target@throttle.example", "right password").await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.cookie.is_none());
    // The first address is locked for every email; the second is not.
    assert_eq!(
        login_from(&app, &first, "admin", MASTER_KEY).await.status,
        429
    );
    assert_eq!(
        login_from(&app, &second, "admin", MASTER_KEY).await.status,
        200
    );
}
