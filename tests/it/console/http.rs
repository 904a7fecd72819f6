//! Console guards checked over plain HTTP: headers, the login redirect,
//! hashed static files, and forms refused without their CSRF token.

use reqwest::header;

use crate::common::app::{MASTER_KEY, TestApp};

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Gets `path` with `cookie` (a session, or none when empty).
pub async fn get_with(
    app: &TestApp,
    http: &reqwest::Client,
    path: &str,
    cookie: &str,
) -> reqwest::Response {
    http.get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// The body of the page at `path`, fetched with `cookie`.
pub async fn page_with(app: &TestApp, http: &reqwest::Client, path: &str, cookie: &str) -> String {
    get_with(app, http, path, cookie)
        .await
        .text()
        .await
        .unwrap()
}

/// Posts `form` to `path` with `cookie` (a session or the login nonce).
pub async fn post_with(
    app: &TestApp,
    http: &reqwest::Client,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    http.post(app.url(path))
        .header(header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The `name=value` part of an answer's `Set-Cookie`.
pub fn set_cookie(answer: &reqwest::Response) -> String {
    answer.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Signs in as the super admin through the login form; returns the session
/// cookie (`token=...`).
pub async fn super_admin_cookie(app: &TestApp, http: &reqwest::Client) -> String {
    password_cookie(app, http, "admin", MASTER_KEY).await
}

/// Signs in with a password through the login form; returns the session
/// cookie (`token=...`).
pub async fn password_cookie(
    app: &TestApp,
    http: &reqwest::Client,
    email: &str,
    password: &str,
) -> String {
    let page = http.get(app.url("/ui/login")).send().await.unwrap();
    let nonce = set_cookie(&page);
    let csrf = csrf_of(&page.text().await.unwrap());
    let form = [
        ("csrf", csrf.as_str()),
        ("step", "password"),
        ("email", email),
        ("password", password),
    ];
    let answer = post_with(app, http, "/ui/login", &nonce, &form).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()[header::LOCATION], "/ui");
    set_cookie(&answer)
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_need_a_session() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let login = http.get(app.url("/ui/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let headers = login.headers();
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    let html = login.text().await.unwrap();
    assert!(html.contains("<label for=\"email\">"));

    // The stylesheet is served under its content hash, cached for good.
    let css = html
        .split("href=\"")
        .find_map(|part| part.split('"').next().filter(|url| url.ends_with(".css")))
        .unwrap()
        .to_owned();
    assert!(css.starts_with("/ui/static/"));
    let asset = http.get(app.url(&css)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        http.get(app.url("/ui/static/0000000000000000/console.css"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    for path in ["/ui/keys", "/ui/dashboard", "/ui/accounts", "/ui/spend"] {
        let answer = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 303, "{path}");
        assert_eq!(answer.headers()[header::LOCATION], "/ui/login", "{path}");
    }
    let missing = http.get(app.url("/ui/nowhere")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Not found"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let http = no_redirects();
    let cookie = super_admin_cookie(&app, &http).await;
    let page = http
        .get(app.url("/ui/accounts/new"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());

    for form in [
        vec![("account_name", "Forged")],
        vec![("account_name", "Forged"), ("csrf", "00ff")],
    ] {
        let refused = http
            .post(app.url("/ui/accounts/new"))
            .header(header::COOKIE, &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(refused.text().await.unwrap().contains("Form expired"));
    }
    let rows = app
        .rows("SELECT 1 FROM \"Alchemi_AccountTable\" WHERE account_name = 'Forged'")
        .await;
    assert!(rows.is_empty());

    let accepted = http
        .post(app.url("/ui/accounts/new"))
        .header(header::COOKIE, &cookie)
        .form(&[("account_name", "Real"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    assert!(
        accepted.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/ui/accounts/")
    );
}
