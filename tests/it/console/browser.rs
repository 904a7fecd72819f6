//! Journeys through the console in headless Chromium, driven over WebDriver
//! by chromedriver on a free port. `scripts/test.sh` installs Debian's
//! `chromium` and `chromium-driver`; without them these tests fail rather
//! than skip. Screenshots land in `target/screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::app::{MASTER_KEY, TestApp};
use crate::common::mock_llm::MockLlm;
use crate::common::mock_oidc::{MockOidc, MockUser};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session and the chromedriver behind it (killed on drop).
struct Browser {
    client: Client,
    _driver: tokio::process::Child,
}

impl Browser {
    async fn start() -> Self {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(binary).exists(),
                "{binary} is missing: scripts/test.sh installs chromium and chromium-driver"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            }
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            // Plain HTTP to chromedriver on loopback: no TLS stack needed.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        _driver: driver,
                    };
                }
                Err(err) => last = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    async fn fill(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks what `selector` finds and waits until the browser has left
    /// the page (a click may return before the next page is loaded).
    async fn click_and_leave(&self, selector: &str) {
        let page = self.client.find(Locator::Css("html")).await.unwrap();
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_to_leave(page, selector).await;
    }

    /// Types `keys` into the focused element (WebDriver key codes such as
    /// `ENTER` included) and waits until the browser has left the page.
    async fn type_and_leave(&self, keys: &str) {
        let page = self.client.find(Locator::Css("html")).await.unwrap();
        self.press(keys).await;
        self.wait_to_leave(page, keys).await;
    }

    /// Types `keys` as a keyboard would, into whatever has the focus
    /// (sending keys to an element would first click it, moving the place
    /// Tab starts from).
    async fn press(&self, keys: &str) {
        let mut typing = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            typing = typing
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(typing).await.unwrap();
    }

    /// The focused element, as `tag#id.class` text.
    async fn focused(&self) -> String {
        let described = self
            .client
            .execute(
                "const e = document.activeElement; \
                 return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                        (e.className ? '.' + e.className : '');",
                vec![],
            )
            .await
            .unwrap();
        described.as_str().unwrap_or_default().to_owned()
    }

    async fn wait_to_leave(&self, page: fantoccini::elements::Element, action: &str) {
        for _ in 0..400 {
            if page.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{action:?} never left the page");
    }

    /// Submits the form posting to `action`.
    async fn submit(&self, action: &str) {
        self.click_and_leave(&format!("main form[action='{action}'] button[type=submit]"))
            .await;
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn main_text(&self) -> String {
        self.client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// True when the page is no wider than the window.
    async fn fits_width(&self) -> bool {
        let fits = self
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        fits == Value::Bool(true)
    }

    /// Signs in through the two-step login page.
    async fn login(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(&app.url("/ui/login")).await;
        self.fill("email", email).await;
        self.submit("/ui/login").await;
        self.fill("password", password).await;
        self.submit("/ui/login").await;
    }

    async fn logout(&self) {
        self.click_and_leave("form[action='/ui/logout'] button")
            .await;
    }
}

#[tokio::test]
async fn an_account_is_created_and_its_admin_makes_a_key_that_shows_its_spend() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let browser = Browser::start().await;

    // Without a session, the console asks to sign in.
    browser.goto(&app.url("/ui")).await;
    assert_eq!(browser.path().await, "/ui/login");
    browser.screenshot("login").await;

    // The super admin creates an account and its administrator.
    browser.login(&app, "admin", MASTER_KEY).await;
    assert_eq!(browser.path().await, "/ui/accounts");
    browser.goto(&app.url("/ui/accounts/new")).await;
    browser.fill("account_name", "Acme Research").await;
    browser.fill("domain", "acme.test").await;
    browser.submit("/ui/accounts/new").await;
    let path = browser.path().await;
    let account_id = path.strip_prefix("/ui/accounts/").unwrap().to_owned();
    let account: alchemi::db::AccountId = account_id.parse().unwrap();
    browser.fill("admin_email", "ada@acme.test").await;
    browser
        .fill("admin_password", "correct horse battery")
        .await;
    browser
        .submit(&format!("/ui/accounts/{account_id}/admins"))
        .await;
    assert!(browser.main_text().await.contains("ada@acme.test"));
    browser.goto(&app.url("/ui/accounts?search=acme")).await;
    assert!(browser.main_text().await.contains("Acme Research"));
    browser.screenshot("accounts").await;
    browser.logout().await;
    assert_eq!(browser.path().await, "/ui/login");

    // The account's admin signs in and creates a key.
    app.add_model(
        account,
        "gpt-3.5",
        json!({"model": "openai/gpt-3.5-turbo-0301", "api_base": mock.api_base(), "api_key": "sk-provider"}),
    )
    .await;
    browser
        .login(&app, "ada@acme.test", "correct horse battery")
        .await;
    assert_eq!(browser.path().await, "/ui/dashboard");
    assert!(
        browser
            .client
            .find(Locator::Css("header .account-name"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Acme Research")
    );
    browser.goto(&app.url("/ui/keys/new")).await;
    browser.fill("key_alias", "ci-key").await;
    browser.fill("models", "gpt-3.5").await;
    browser.fill("max_budget", "10").await;
    browser.fill("rpm_limit", "100").await;
    browser.fill("duration", "30d").await;
    browser.submit("/ui/keys/new").await;
    let secret = browser
        .client
        .find(Locator::Id("secret"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(secret.starts_with("sk-"), "{secret}");
    // The copy button appears once its script has run.
    let copy = browser
        .client
        .find(Locator::Css("button[data-copy]"))
        .await
        .unwrap();
    assert!(copy.is_displayed().await.unwrap());

    browser.goto(&app.url("/ui/keys?search=ci")).await;
    assert!(browser.main_text().await.contains("ci-key"));
    browser.screenshot("keys").await;

    // A call with the key goes through the proxy and shows in the console.
    let answer = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&secret)
        .json(&json!({"model": "gpt-3.5", "messages": [{"role": "user", "content": "Say hello"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    app.wait_rows("SELECT 1 FROM \"LiteLLM_DailyUserSpend\"", 1)
        .await;
    browser.goto(&app.url("/ui/dashboard")).await;
    let requests = browser
        .client
        .find(Locator::Id("total-requests"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(requests, "1");
    let dashboard = browser.main_text().await;
    assert!(dashboard.contains("ci-key"), "{dashboard}");
    assert!(
        browser
            .client
            .find_all(Locator::Css(".chart rect"))
            .await
            .unwrap()
            .len()
            >= 30
    );
    browser.screenshot("dashboard").await;

    browser.goto(&app.url("/ui/spend?key=ci-key")).await;
    assert!(browser.main_text().await.contains("ci-key"));
    browser.click_and_leave("main table tbody a").await;
    assert!(browser.path().await.starts_with("/ui/spend/"));
    assert!(browser.main_text().await.contains("Total tokens"));

    // Another account's key answers exactly like a missing one.
    let other = app.test.create_account("other").await;
    let foreign = app.add_key(other, json!({"key_alias": "theirs"})).await;
    let foreign_hash = alchemi::secret::hash_api_key(&foreign);
    browser
        .goto(&app.url(&format!("/ui/keys/{foreign_hash}")))
        .await;
    let foreign_page = browser.main_text().await;
    assert!(foreign_page.contains("Not found"));
    browser
        .goto(&app.url(&format!("/ui/keys/{}", "ab".repeat(32))))
        .await;
    assert_eq!(browser.main_text().await, foreign_page);

    // The admin makes a team, adds a member, and moves the key into it
    // with new limits; then creates a viewer with a password.
    browser.goto(&app.url("/ui/teams/new")).await;
    browser.fill("team_alias", "Platform team").await;
    browser.fill("max_budget", "100").await;
    browser.submit("/ui/teams/new").await;
    let team_page = browser.path().await;
    let team_id = team_page.strip_prefix("/ui/teams/").unwrap().to_owned();
    browser.fill("member_user", "grace@acme.test").await;
    browser.submit(&format!("{team_page}/members")).await;
    assert!(browser.main_text().await.contains("grace@acme.test"));
    browser.screenshot("teams").await;
    let key_page = format!("/ui/keys/{}", alchemi::secret::hash_api_key(&secret));
    browser.goto(&app.url(&key_page)).await;
    browser.fill("rpm_limit", "42").await;
    browser.fill("max_parallel_requests", "3").await;
    browser.fill("team_id", &team_id).await;
    browser.submit(&key_page).await;
    let key_text = browser.main_text().await;
    assert!(
        key_text.contains("42") && key_text.contains(&team_id),
        "{key_text}"
    );
    browser.goto(&app.url("/ui/users/new")).await;
    browser.fill("user_email", "vera@acme.test").await;
    browser
        .client
        .find(Locator::Css(
            "#user_role option[value='proxy_admin_viewer']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.fill("password", "viewer password").await;
    browser.submit("/ui/users/new").await;
    assert!(browser.main_text().await.contains("proxy_admin_viewer"));
    browser.goto(&app.url("/ui/users?search=acme")).await;
    assert!(browser.main_text().await.contains("vera@acme.test"));
    browser.screenshot("users").await;

    // The viewer reads the same pages and is offered no change.
    browser.logout().await;
    browser
        .login(&app, "vera@acme.test", "viewer password")
        .await;
    for path in [
        "/ui/teams",
        team_page.as_str(),
        "/ui/users",
        key_page.as_str(),
    ] {
        browser.goto(&app.url(path)).await;
        let forms = browser
            .client
            .find_all(Locator::Css("main form[method=post]"))
            .await
            .unwrap();
        assert!(forms.is_empty(), "{path} offers a viewer a change form");
    }
    assert!(browser.main_text().await.contains("42"));

    // Narrow screens: no horizontal overflow.
    browser.client.set_window_size(390, 844).await.unwrap();
    for path in [
        "/ui/dashboard",
        "/ui/keys",
        "/ui/spend",
        "/ui/teams",
        team_page.as_str(),
        "/ui/users",
        "/ui/organizations",
    ] {
        browser.goto(&app.url(path)).await;
        assert!(browser.fits_width().await, "{path} overflows at 390 px");
    }
    browser.goto(&app.url(&team_page)).await;
    browser.screenshot("teams-390").await;
    browser.goto(&app.url("/ui/keys")).await;
    browser.screenshot("keys-390").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn an_account_set_up_for_sso_signs_in_through_its_identity_provider() {
    let app = TestApp::spawn().await;
    let mut grace = MockUser::new("sub-grace", "grace@hopper.test");
    grace.extra = json!({"groups": ["admins"]});
    let provider = MockOidc::start(grace).await;
    let account = app.test.create_account("Hopper").await;
    app.test
        .superuser()
        .await
        .execute(
            "UPDATE \"Alchemi_AccountTable\" SET domain = 'hopper.test' WHERE account_id = $1",
            &[&account.uuid()],
        )
        .await
        .unwrap();
    let browser = Browser::start().await;

    // The super admin sets up the account's SSO in the console.
    browser.login(&app, "admin", MASTER_KEY).await;
    browser
        .goto(&app.url(&format!("/ui/accounts/{account}")))
        .await;
    browser
        .click_and_leave(&format!("a[href='/ui/accounts/{account}/sso']"))
        .await;
    let action = format!("/ui/accounts/{account}/sso");
    browser
        .client
        .find(Locator::Id("enabled"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.fill("issuer", &provider.issuer).await;
    browser.fill("client_id", &provider.client_id).await;
    browser.fill("client_secret", &provider.client_secret).await;
    browser
        .client
        .find(Locator::Id("allow_signup"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.fill("role_claim", "groups").await;
    browser.fill("role_map", "admins = proxy_admin").await;
    browser.submit(&action).await;
    assert!(browser.main_text().await.contains("Saved."));
    browser.screenshot("sso-settings").await;
    browser.logout().await;

    // Grace signs in with her email: the provider answers, the console opens.
    browser.goto(&app.url("/ui/login")).await;
    browser.fill("email", "grace@hopper.test").await;
    // The email step sends her on to the provider by itself (a refresh,
    // no script) and the provider sends her back signed in.
    browser.submit("/ui/login").await;
    for _ in 0..200 {
        if browser.path().await == "/ui/dashboard" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(browser.path().await, "/ui/dashboard");
    let who = browser
        .client
        .find(Locator::Css("header .who"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        who.contains("Hopper") && who.contains("grace@hopper.test"),
        "{who}"
    );
    // The mapped role is the account's admin: the SSO page opens for her.
    browser.goto(&app.url("/ui/sso")).await;
    assert!(browser.main_text().await.contains(&provider.issuer));
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn an_admin_tests_a_new_model_and_finds_the_change_and_suspension_signs_them_out() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let browser = Browser::start().await;

    // The super admin creates the account and its administrator.
    browser.login(&app, "admin", MASTER_KEY).await;
    browser.goto(&app.url("/ui/accounts/new")).await;
    browser.fill("account_name", "Beta Labs").await;
    browser.submit("/ui/accounts/new").await;
    let account_page = browser.path().await;
    browser.fill("admin_email", "bo@beta.test").await;
    browser
        .fill("admin_password", "purple monkey dishwasher")
        .await;
    browser.submit(&format!("{account_page}/admins")).await;
    browser.logout().await;

    // The admin adds a model and tests its connection.
    browser
        .login(&app, "bo@beta.test", "purple monkey dishwasher")
        .await;
    browser.goto(&app.url("/ui/models")).await;
    browser.click_and_leave("a[href='/ui/models/new']").await;
    browser.fill("model_name", "chat").await;
    browser.fill("model", "gpt-4o-mini").await;
    browser.fill("api_base", &mock.api_base()).await;
    browser.fill("api_key", "sk-provider-browser").await;
    browser.submit("/ui/models/new").await;
    let model_page = browser.path().await;
    assert!(model_page.starts_with("/ui/models/"), "{model_page}");
    browser.click_and_leave("#test-connection").await;
    let result = browser
        .client
        .find(Locator::Id("test-result"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(result.contains("Connection works"), "{result}");
    assert_eq!(mock.received().len(), 1);
    assert!(!browser.main_text().await.contains("sk-provider-browser"));
    browser.screenshot("models").await;

    // The change is in the audit log, its key redacted.
    browser.click_and_leave("main a[href^='/ui/audit?']").await;
    assert_eq!(browser.path().await, "/ui/audit");
    browser.click_and_leave("main table tbody a").await;
    assert!(browser.path().await.starts_with("/ui/audit/"));
    let entry = browser.main_text().await;
    assert!(
        entry.contains("created") && entry.contains("<redacted>"),
        "{entry}"
    );
    assert!(!entry.contains("sk-provider-browser"));
    browser.screenshot("audit").await;

    browser.client.set_window_size(390, 844).await.unwrap();
    for path in [
        model_page.as_str(),
        "/ui/models",
        "/ui/audit",
        "/ui/settings",
    ] {
        browser.goto(&app.url(path)).await;
        assert!(browser.fits_width().await, "{path} overflows at 390 px");
    }
    browser.screenshot("models-390").await;
    browser.client.set_window_size(1280, 900).await.unwrap();

    // The super admin suspends the account: the admin's session stops.
    let session = browser.client.get_named_cookie("token").await.unwrap();
    browser.logout().await;
    browser.login(&app, "admin", MASTER_KEY).await;
    browser.goto(&app.url(&account_page)).await;
    browser.submit(&format!("{account_page}/suspend")).await;
    assert!(browser.main_text().await.contains("suspended"));
    browser.logout().await;
    browser.client.add_cookie(session).await.unwrap();
    browser.goto(&app.url("/ui/models")).await;
    assert!(browser.main_text().await.contains("not available"));
    browser.goto(&app.url("/ui/dashboard")).await;
    assert_eq!(browser.path().await, "/ui/login");
    browser
        .login(&app, "bo@beta.test", "purple monkey dishwasher")
        .await;
    assert_eq!(browser.path().await, "/ui/login");
    browser.client.close().await.unwrap();
}

/// WebDriver's key codes.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn the_console_is_usable_from_the_keyboard_alone_and_refuses_a_form_without_its_token() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;

    // Sign-in: the email field has the focus, Enter moves on, the password
    // field then has it, Enter signs in.
    browser.goto(&app.url("/ui/login")).await;
    assert_eq!(browser.focused().await, "input#email");
    browser.type_and_leave(&format!("admin{ENTER}")).await;
    assert_eq!(browser.focused().await, "input#password");
    browser
        .type_and_leave(&format!("{MASTER_KEY}{ENTER}"))
        .await;
    assert_eq!(browser.path().await, "/ui/accounts");

    // Tab walks every control of the page and wraps around to its top,
    // where the skip link comes first; from there Tabs follow the page in
    // order, each stop with a visible focus style.
    for _ in 0..30 {
        browser.press(TAB).await;
        if browser.focused().await == "a.skip" {
            break;
        }
    }
    assert_eq!(browser.focused().await, "a.skip");
    browser.press(TAB).await;
    assert_eq!(browser.focused().await, "a.brand");
    browser.press(TAB).await;
    assert_eq!(browser.focused().await, "a");
    let outline = browser
        .client
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle;",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(outline, json!("none"), "focused links must show it");

    // A form filled and sent from the keyboard: a new account.
    browser.goto(&app.url("/ui/accounts/new")).await;
    browser
        .client
        .find(Locator::Id("account_name"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.type_and_leave(&format!("Keyboard Co{ENTER}")).await;
    assert!(browser.path().await.starts_with("/ui/accounts/"));
    assert!(browser.main_text().await.contains("Keyboard Co"));

    // The same form without its CSRF token is refused, and nothing is made.
    browser.goto(&app.url("/ui/accounts/new")).await;
    browser
        .client
        .execute(
            "document.querySelector('main form input[name=csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
    browser.fill("account_name", "Forged Co").await;
    browser.submit("/ui/accounts/new").await;
    assert!(browser.main_text().await.contains("Form expired"));
    browser.goto(&app.url("/ui/accounts?search=Forged")).await;
    assert!(!browser.main_text().await.contains("Forged Co"));
    browser.client.close().await.unwrap();
}
