//! Single sign-on over plain HTTP against the local OpenID provider: the
//! whole redirect dance followed by hand (cookies kept per path, as a
//! browser keeps them), first-login creation, role mapping, tampered
//! answers, and accounts that must not reach one another through SSO.

use std::collections::HashMap;

use alchemi::db::AccountId;
use reqwest::{Method, header};
use serde_json::{Value, json};

use super::http::{
    csrf_of, get_with, no_redirects, page_with, password_cookie, post_with, set_cookie,
    super_admin_cookie,
};
use crate::common::app::{MASTER_KEY, TestApp};
use crate::common::mock_oidc::{MockOidc, MockUser, Tampering};
use crate::management::call_as;

/// A client that keeps the console's cookies and follows redirects by hand.
struct Agent {
    http: reqwest::Client,
    /// name → (value, path).
    cookies: HashMap<String, (String, String)>,
}

/// Where a journey ended.
struct Landing {
    status: u16,
    url: String,
    body: String,
    /// True when a session cookie was set on the way.
    signed_in: bool,
}

impl Agent {
    fn new() -> Self {
        Self {
            http: no_redirects(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self, app: &TestApp, url: &str) -> Option<String> {
        let path = url.strip_prefix(&app.url(""))?;
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(_, (_, scope))| path.starts_with(scope.as_str()))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps the response's cookies; true when it set a session.
    fn keep(&mut self, response: &reqwest::Response) -> bool {
        let mut session = false;
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            let path = parts
                .find_map(|part| part.strip_prefix("Path="))
                .unwrap_or("/")
                .to_owned();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                session |= name == "token";
                self.cookies
                    .insert(name.to_owned(), (value.to_owned(), path));
            }
        }
        session
    }

    async fn get(&mut self, app: &TestApp, url: &str) -> reqwest::Response {
        let mut request = self.http.get(url);
        if let Some(cookies) = self.cookie_header(app, url) {
            request = request.header(header::COOKIE, cookies);
        }
        request.send().await.unwrap()
    }

    /// GETs `url` and follows redirects (relative ones against the app).
    async fn follow(&mut self, app: &TestApp, url: &str) -> Landing {
        let mut url = url.to_owned();
        let mut signed_in = false;
        for _ in 0..10 {
            let response = self.get(app, &url).await;
            signed_in |= self.keep(&response);
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|value| value.to_str().unwrap().to_owned());
            match location {
                Some(next) if (300..400).contains(&status) => {
                    url = if next.starts_with('/') {
                        app.url(&next)
                    } else {
                        next
                    };
                }
                _ => {
                    return Landing {
                        status,
                        url,
                        body: response.text().await.unwrap(),
                        signed_in,
                    };
                }
            }
        }
        panic!("too many redirects from {url}");
    }

    /// Starts a sign-in and stops at the callback URL the provider sends
    /// the browser to.
    async fn until_callback(&mut self, app: &TestApp, email: &str) -> String {
        let start = self
            .get(app, &app.url(&format!("/ui/sso/start?email={email}")))
            .await;
        self.keep(&start);
        assert_eq!(start.status(), 303, "{}", start.text().await.unwrap());
        let authorize = start.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let back = self.get(app, &authorize).await;
        assert_eq!(back.status(), 303);
        back.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A whole sign-in, from the start URL to wherever it lands.
    async fn sign_in(&mut self, app: &TestApp, email: &str) -> Landing {
        let callback = self.until_callback(app, email).await;
        self.follow(app, &callback).await
    }
}

/// A super admin's management call.
async fn super_call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_as(app, MASTER_KEY, None, method, path, body).await
}

/// An account for `domain` whose SSO goes to `mock`, with `settings` over
/// the defaults (enabled, first login creates users).
async fn sso_account(app: &TestApp, mock: &MockOidc, domain: &str, settings: Value) -> AccountId {
    let (status, row) = super_call(
        app,
        Method::POST,
        "/account/new",
        Some(json!({"account_name": domain, "domain": domain})),
    )
    .await;
    assert_eq!(status, 200, "{row}");
    let account: AccountId = row["account_id"].as_str().unwrap().parse().unwrap();
    let mut body = json!({
        "enabled": true,
        "issuer": mock.issuer,
        "client_id": mock.client_id,
        "client_secret": mock.client_secret,
        "allow_signup": true,
    });
    for (name, value) in settings.as_object().unwrap() {
        body[name] = value.clone();
    }
    let (status, answer) = super_call(
        app,
        Method::PUT,
        &format!("/account/{account}/sso"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    account
}

async fn users(app: &TestApp, account: AccountId) -> Vec<Value> {
    app.rows(&format!(
        "SELECT user_id, user_email, user_role, sso_user_id FROM \"LiteLLM_UserTable\"
          WHERE account_id = '{}' ORDER BY created_at",
        account.uuid()
    ))
    .await
}

#[tokio::test]
async fn a_first_sso_login_creates_the_user_with_the_mapped_role_and_opens_the_console() {
    let app = TestApp::spawn().await;
    let mut ada = MockUser::new("sub-ada", "ada@acme.test");
    ada.extra = json!({"groups": ["staff", "admins"]});
    let mock = MockOidc::start(ada).await;
    let account = sso_account(
        &app,
        &mock,
        "acme.test",
        json!({"role_claim": "groups", "role_map": {"admins": "proxy_admin", "staff": "internal_user"}}),
    )
    .await;

    // The secret is stored sealed and never answered back.
    let stored = app
        .rows(&format!(
            "SELECT sso_settings->>'client_secret' AS secret FROM \"Alchemi_AccountSSOConfig\"
              WHERE account_id = '{}'",
            account.uuid()
        ))
        .await;
    let sealed = stored[0]["secret"].as_str().unwrap();
    assert!(sealed.starts_with("enc:v1:") && !sealed.contains("console-secret"));
    let (status, shown) =
        super_call(&app, Method::GET, &format!("/account/{account}/sso"), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["client_secret_set"], true);
    assert!(!shown.to_string().contains("console-secret"));
    assert!(!shown.to_string().contains("enc:v1:"));

    // The login page sends the email to the SSO start.
    let http = no_redirects();
    let page = http.get(app.url("/ui/login")).send().await.unwrap();
    let nonce = set_cookie(&page);
    let csrf = csrf_of(&page.text().await.unwrap());
    let form = [
        ("csrf", csrf.as_str()),
        ("step", "email"),
        ("email", "Ada@acme.test"),
    ];
    let resolved = post_with(&app, &http, "/ui/login", &nonce, &form).await;
    assert_eq!(resolved.status(), 200);
    let resolved = resolved.text().await.unwrap();
    // A link, and a refresh that follows it without a click or script.
    assert!(resolved.contains("href=\"/ui/sso/start?email=ada%40acme.test\""));
    assert!(resolved.contains(
        "<meta http-equiv=\"refresh\" content=\"0; url=/ui/sso/start?email=ada%40acme.test\">"
    ));

    let mut agent = Agent::new();
    let landing = agent.sign_in(&app, "ada%40acme.test").await;
    assert_eq!(landing.status, 200, "{}", landing.body);
    assert!(landing.signed_in);
    assert_eq!(landing.url, app.url("/ui/dashboard"));
    assert!(
        !agent.cookies.contains_key("alchemi_sso"),
        "the flow cookie is used once"
    );

    let created = users(&app, account).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["user_email"], "ada@acme.test");
    assert_eq!(created[0]["user_role"], "proxy_admin");
    assert_eq!(created[0]["sso_user_id"], "sub-ada");
    let audit = app
        .rows(&format!(
            "SELECT action FROM \"LiteLLM_AuditLog\" WHERE account_id = '{}' AND table_name = 'LiteLLM_UserTable'",
            account.uuid()
        ))
        .await;
    assert_eq!(audit, vec![json!({"action": "created"})]);

    // The session is the console's own: an admin page opens.
    let keys = agent.follow(&app, &app.url("/ui/keys/new")).await;
    assert_eq!(keys.status, 200);

    // The next login maps the new groups (and reuses the cached discovery).
    let mut staff = MockUser::new("sub-ada", "ada@acme.test");
    staff.extra = json!({"groups": "staff"});
    mock.set_user(staff);
    let landing = Agent::new().sign_in(&app, "ada%40acme.test").await;
    assert_eq!(landing.status, 200);
    let again = users(&app, account).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["user_role"], "internal_user");
    assert_eq!(mock.discoveries(), 1);
    assert_eq!(mock.tokens(), 2);
}

#[tokio::test]
async fn tampered_or_unverifiable_answers_are_refused() {
    let app = TestApp::spawn().await;
    let mock = MockOidc::start(MockUser::new("sub-1", "sam@acme.test")).await;
    let account = sso_account(&app, &mock, "acme.test", json!({})).await;

    let cases = [
        Tampering {
            nonce: Some("another-nonce".into()),
            ..Tampering::default()
        },
        Tampering {
            audience: Some("another-client".into()),
            ..Tampering::default()
        },
        Tampering {
            issuer: Some("http://127.0.0.1:1/evil".into()),
            ..Tampering::default()
        },
        Tampering {
            foreign_key: true,
            ..Tampering::default()
        },
    ];
    for tampering in cases {
        mock.tamper(tampering.clone());
        let landing = Agent::new().sign_in(&app, "sam%40acme.test").await;
        assert_eq!(landing.status, 403, "{tampering:?}");
        assert!(
            landing.body.contains("could not be verified"),
            "{tampering:?}"
        );
        assert!(!landing.signed_in, "{tampering:?}");
    }
    mock.tamper(Tampering::default());

    let mut unverified = MockUser::new("sub-1", "sam@acme.test");
    unverified.email_verified = Some(false);
    mock.set_user(unverified);
    let landing = Agent::new().sign_in(&app, "sam%40acme.test").await;
    assert_eq!(landing.status, 403);
    assert!(landing.body.contains("verified email"));
    mock.set_user(MockUser::new("sub-1", "sam@acme.test"));

    // A state that is not this browser's own.
    let mut agent = Agent::new();
    let callback = agent.until_callback(&app, "sam%40acme.test").await;
    let forged = reqwest::Url::parse(&callback).unwrap();
    let code = forged
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let landing = agent
        .follow(
            &app,
            &app.url(&format!("/ui/sso/callback?code={code}&state=forged")),
        )
        .await;
    assert_eq!(landing.status, 400);
    assert!(landing.body.contains("does not belong to this sign-in"));
    // The flow cookie is gone after a failure, so the real answer is refused too.
    let landing = agent.follow(&app, &callback).await;
    assert_eq!(landing.status, 400);
    assert!(!landing.signed_in);

    // Another browser (no flow cookie) cannot use the answer.
    let callback = Agent::new().until_callback(&app, "sam%40acme.test").await;
    let landing = Agent::new().follow(&app, &callback).await;
    assert_eq!(landing.status, 400);
    assert!(landing.body.contains("another browser"));

    // The provider declining: a readable page.
    let mut agent = Agent::new();
    let callback = agent.until_callback(&app, "sam%40acme.test").await;
    let state = reqwest::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let landing = agent
        .follow(
            &app,
            &app.url(&format!(
                "/ui/sso/callback?error=access_denied&state={state}"
            )),
        )
        .await;
    assert_eq!(landing.status, 403);
    assert!(landing.body.contains("did not sign you in"));

    assert!(users(&app, account).await.is_empty());
    // A well-behaved answer still works.
    assert!(
        Agent::new()
            .sign_in(&app, "sam%40acme.test")
            .await
            .signed_in
    );
}

#[tokio::test]
async fn without_first_login_creation_only_existing_users_sign_in() {
    let app = TestApp::spawn().await;
    let mock = MockOidc::start(MockUser::new("sub-new", "new@acme.test")).await;
    let account = sso_account(&app, &mock, "acme.test", json!({"allow_signup": false})).await;
    let landing = Agent::new().sign_in(&app, "new%40acme.test").await;
    assert_eq!(landing.status, 403);
    assert!(landing.body.contains("no user for this email"));
    assert!(users(&app, account).await.is_empty());

    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": account.uuid(), "user_id": "u-old", "user_email": "Old@acme.test",
                "user_role": "internal_user"}),
    )
    .await;
    mock.set_user(MockUser::new("sub-old", "old@acme.test"));
    let landing = Agent::new().sign_in(&app, "old%40acme.test").await;
    assert_eq!(landing.status, 200, "{}", landing.body);
    let linked = users(&app, account).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["sso_user_id"], "sub-old");
    assert_eq!(linked[0]["user_role"], "internal_user");

    // Another identity at the provider with the same email is not that user.
    mock.set_user(MockUser::new("sub-impostor", "old@acme.test"));
    let landing = Agent::new().sign_in(&app, "old%40acme.test").await;
    assert_eq!(landing.status, 403);
    assert!(landing.body.contains("linked to another identity"));
}

#[tokio::test]
async fn an_accounts_provider_cannot_sign_in_another_accounts_people() {
    let app = TestApp::spawn().await;
    let mock = MockOidc::start(MockUser::new("sub-a", "ann@a.test")).await;
    let a = sso_account(&app, &mock, "a.test", json!({})).await;
    let (status, row) = super_call(
        &app,
        Method::POST,
        "/account/new",
        Some(json!({"account_name": "b", "domain": "b.test"})),
    )
    .await;
    assert_eq!(status, 200);
    let b: AccountId = row["account_id"].as_str().unwrap().parse().unwrap();
    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": b.uuid(), "user_id": "bob", "user_email": "bob@elsewhere.test",
                "user_role": "proxy_admin"}),
    )
    .await;

    // A's provider asserting B's people: B's domain, or a user B has.
    for (subject, email) in [("sub-b1", "boss@b.test"), ("sub-b2", "bob@elsewhere.test")] {
        mock.set_user(MockUser::new(subject, email));
        let landing = Agent::new().sign_in(&app, "ann%40a.test").await;
        assert_eq!(landing.status, 403, "{email}");
        assert!(
            landing.body.contains("may not sign in to this account"),
            "{email}"
        );
        assert!(!landing.signed_in);
    }
    assert!(users(&app, a).await.is_empty());
    assert_eq!(users(&app, b).await.len(), 1);

    // With a domain list, other domains stay out.
    let (status, _) = super_call(
        &app,
        Method::PUT,
        &format!("/account/{a}/sso"),
        Some(
            json!({"enabled": true, "issuer": mock.issuer, "client_id": mock.client_id,
                    "allow_signup": true, "allowed_domains": ["a.test"]}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    mock.set_user(MockUser::new("sub-c", "carol@c.test"));
    let landing = Agent::new().sign_in(&app, "ann%40a.test").await;
    assert_eq!(landing.status, 403);

    // A's own person signs in to A, and only A.
    mock.set_user(MockUser::new("sub-a", "ann@a.test"));
    let mut agent = Agent::new();
    let landing = agent.sign_in(&app, "ann%40a.test").await;
    assert_eq!(landing.status, 200, "{}", landing.body);
    let created = users(&app, a).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["user_role"], "internal_user_viewer");
    assert!(landing.body.contains("a.test"));
}

#[tokio::test]
async fn the_super_admin_sets_sso_in_the_console_and_account_admins_only_read_it() {
    let app = TestApp::spawn().await;
    let mock = MockOidc::start(MockUser::new("sub", "x@acme.test")).await;
    let http = no_redirects();
    let cookie = super_admin_cookie(&app, &http).await;
    let (_, row) = super_call(
        &app,
        Method::POST,
        "/account/new",
        Some(json!({"account_name": "Acme", "domain": "acme.test"})),
    )
    .await;
    let account = row["account_id"].as_str().unwrap().to_owned();
    let app_url = |path: &str| app.url(path);
    let detail = page_with(&app, &http, &format!("/ui/accounts/{account}"), &cookie).await;
    assert!(detail.contains(&format!("href=\"/ui/accounts/{account}/sso\"")));

    let form_page = get_with(&app, &http, &format!("/ui/accounts/{account}/sso"), &cookie).await;
    assert_eq!(form_page.status(), 200);
    let html = form_page.text().await.unwrap();
    assert!(html.contains("not set"));
    assert!(html.contains(&app.url("/ui/sso/callback")));
    let csrf = csrf_of(&html);
    let post = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf", csrf.clone()));
        http.post(app_url(&format!("/ui/accounts/{account}/sso")))
            .header(header::COOKIE, &cookie)
            .form(&fields)
            .send()
    };
    let fields = |secret: &str| {
        vec![
            ("enabled", "on".to_owned()),
            ("issuer", mock.issuer.clone()),
            ("client_id", "console".into()),
            ("client_secret", secret.to_owned()),
            ("allowed_domains", "acme.test, Acme.test".into()),
            ("allow_signup", "on".into()),
            ("default_role", "internal_user".into()),
            ("role_claim", "groups".into()),
            ("role_map", "admins = proxy_admin\n".into()),
        ]
    };
    let saved = post(fields("console-secret")).await.unwrap();
    assert_eq!(saved.status(), 303);
    let sealed = || async {
        app.rows(&format!(
            "SELECT sso_settings FROM \"Alchemi_AccountSSOConfig\" WHERE account_id = '{account}'"
        ))
        .await[0]["sso_settings"]
            .clone()
    };
    let first = sealed().await;
    assert!(
        first["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("enc:v1:")
    );
    assert_eq!(first["allowed_domains"], json!(["acme.test"]));
    assert_eq!(first["role_map"], json!({"admins": "proxy_admin"}));
    let shown = page_with(
        &app,
        &http,
        &format!("/ui/accounts/{account}/sso?saved=1"),
        &cookie,
    )
    .await;
    assert!(shown.contains("set; leave empty to keep it"));
    assert!(!shown.contains("console-secret") && !shown.contains("enc:v1:"));

    // Saving without a secret keeps the stored one; a bad issuer is refused
    // with the form shown again.
    let kept = post(fields("")).await.unwrap();
    assert_eq!(kept.status(), 303);
    assert_eq!(sealed().await["client_secret"], first["client_secret"]);
    let refused = post(vec![
        ("enabled", "on".into()),
        ("issuer", "ftp://idp.example.com".into()),
        ("client_id", "console".into()),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("https URL"));
    // The audit rows never hold the secret.
    let audit = app
        .rows(&format!(
            "SELECT updated_values::text AS v FROM \"LiteLLM_AuditLog\"
              WHERE account_id = '{account}' AND table_name = 'Alchemi_AccountSSOConfig'"
        ))
        .await;
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|row| !row["v"].as_str().unwrap().contains("enc:v1:"))
    );

    // The account's administrator reads the settings and cannot change them.
    let (status, _) = super_call(
        &app,
        Method::POST,
        &format!("/account/{account}/admin"),
        Some(json!({"email": "ada@acme.test", "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(status, 200);
    let admin = password_cookie(&app, &http, "ada@acme.test", "correct horse battery").await;
    let view = get_with(&app, &http, "/ui/sso", &admin).await;
    assert_eq!(view.status(), 200);
    let view = view.text().await.unwrap();
    assert!(view.contains(&mock.issuer) && view.contains("admins = proxy_admin"));
    assert!(view.contains("<dd id=\"sso-secret\">set</dd>"));
    assert!(!view.contains("console-secret") && !view.contains("enc:v1:"));
    let admin_csrf = csrf_of(&page_with(&app, &http, "/ui/dashboard", &admin).await);
    let form = [
        ("csrf", admin_csrf.as_str()),
        ("enabled", ""),
        ("issuer", "https://evil.test"),
    ];
    let attempt = post_with(
        &app,
        &http,
        &format!("/ui/accounts/{account}/sso"),
        &admin,
        &form,
    )
    .await;
    assert_eq!(attempt.status(), 404);
    let key = app
        .add_key(account.parse().unwrap(), json!({"user_id": null}))
        .await;
    let (status, _) = call_as(
        &app,
        &key,
        None,
        Method::PUT,
        &format!("/account/{account}/sso"),
        Some(json!({"enabled": false})),
    )
    .await;
    assert!(status == 401 || status == 403, "{status}");
    assert_eq!(sealed().await["issuer"], json!(mock.issuer));
}
