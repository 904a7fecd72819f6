//! The account pages over plain HTTP (models, budgets, guardrails, audit
//! log, settings): each renders, creates, edits and deletes through its
//! forms; viewers read without forms and their POSTs are refused; another
//! account's objects answer exactly like missing ones; the connection test
//! reaches a mock provider and never shows its key.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::visitor::Visitor;
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

const PROVIDER_KEY: &str = "sk-provider-secret-7f3a";

fn model_form<'a>(name: &'a str, model: &'a str, base: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("model_name", name),
        ("provider", "openai"),
        ("model", model),
        ("api_base", base),
        ("api_version", ""),
    ]
}

#[tokio::test]
async fn models_are_added_tested_edited_and_deleted_without_showing_the_key() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("acme").await;
    let admin = Visitor::new(&app, account, "proxy_admin-user", "proxy_admin");
    let base = mock.api_base();

    let (status, html) = admin.get("/ui/models/new").await;
    assert_eq!(status, 200);
    for field in ["model_name", "provider", "model", "api_base", "api_key"] {
        assert!(html.contains(&format!("<label for=\"{field}\"")), "{field}");
    }

    // A form without its token changes nothing.
    let mut form = model_form("chat", "gpt-4o-mini", &base);
    form.push(("api_key", PROVIDER_KEY));
    let (status, _, _) = admin.post_raw("/ui/models/new", &form).await;
    assert_eq!(status, 403);
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_ProxyModelTable\"")
            .await
            .is_empty()
    );

    let (status, location, _) = admin.post("/ui/models/new", &form).await;
    assert_eq!(status, 303);
    let id = location.strip_prefix("/ui/models/").unwrap().to_owned();
    let stored = app
        .rows("SELECT litellm_params->>'api_key' AS key FROM \"LiteLLM_ProxyModelTable\"")
        .await;
    assert!(stored[0]["key"].as_str().unwrap().starts_with("enc:v1:"));
    let audit = app
        .rows("SELECT updated_values::text AS v FROM \"LiteLLM_AuditLog\" WHERE table_name = 'LiteLLM_ProxyModelTable' AND action = 'created'")
        .await;
    assert_eq!(audit.len(), 1);
    assert!(!audit[0]["v"].as_str().unwrap().contains(PROVIDER_KEY));

    let (status, html) = admin.get(&location).await;
    assert_eq!(status, 200);
    assert!(html.contains("stored (hidden)"));
    assert!(html.contains("Test connection"));
    assert!(!html.contains(PROVIDER_KEY));

    // The connection test reaches the provider with the stored key.
    let (status, _, html) = admin.post(&format!("{location}/test"), &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Connection works"), "{html}");
    let received = mock.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body["max_tokens"], 1);
    assert_eq!(
        received[0].headers[header::AUTHORIZATION],
        format!("Bearer {PROVIDER_KEY}")
    );

    // An edit without a key keeps the stored one; the test now shows the
    // provider's refusal, never the key.
    let (status, to, _) = admin
        .post(&location, &model_form("chat-renamed", "fail-401", &base))
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, location.as_str())
    );
    let (_, _, html) = admin.post(&format!("{location}/test"), &[]).await;
    assert!(html.contains("Connection failed"), "{html}");
    assert!(html.contains("bad provider key"));
    assert!(!html.contains(PROVIDER_KEY));
    assert_eq!(
        mock.received()[1].headers[header::AUTHORIZATION],
        format!("Bearer {PROVIDER_KEY}")
    );

    // An unreachable provider fails within the page too.
    admin
        .post(
            &location,
            &model_form("chat-renamed", "gpt-4o", "http://127.0.0.1:9/v1"),
        )
        .await;
    let (_, _, html) = admin.post(&format!("{location}/test"), &[]).await;
    assert!(html.contains("Connection failed"), "{html}");

    let (_, html) = admin.get("/ui/models?search=renamed").await;
    assert!(html.contains(&format!("/ui/models/{id}")));
    let (_, html) = admin.get("/ui/models?search=nothing-like-it").await;
    assert!(html.contains("No models match"));

    let (status, to, _) = admin.post(&format!("{location}/delete"), &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/ui/models"));
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_ProxyModelTable\"")
            .await
            .is_empty()
    );
    assert_eq!(admin.get(&location).await.0, 404);
}

#[tokio::test]
async fn budgets_and_guardrails_are_created_edited_and_deleted() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("acme").await;
    let admin = Visitor::new(&app, account, "proxy_admin-user", "proxy_admin");

    // Budgets: a user-chosen id travels in the URL encoded.
    assert_eq!(admin.get("/ui/budgets/new").await.0, 200);
    let (status, location, _) = admin
        .post(
            "/ui/budgets/new",
            &[
                ("budget_id", "team budget/1"),
                ("max_budget", "10"),
                ("rpm_limit", "60"),
                ("budget_duration", "1d"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/ui/budgets/team%20budget%2F1");
    let (status, html) = admin.get(&location).await;
    assert_eq!(status, 200);
    assert!(html.contains("$10.00") && html.contains("1d"));
    let (status, _, html) = admin
        .post(
            &location,
            &[("max_budget", "25"), ("budget_duration", "soon")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("budget_duration"));
    let (status, _, _) = admin
        .post(&location, &[("max_budget", "25"), ("rpm_limit", "")])
        .await;
    assert_eq!(status, 303);
    let budget = app
        .rows("SELECT max_budget, rpm_limit FROM \"LiteLLM_BudgetTable\"")
        .await;
    assert_eq!(budget[0], json!({"max_budget": 25, "rpm_limit": null}));
    let (_, html) = admin.get("/ui/budgets?search=TEAM").await;
    assert!(html.contains("team budget/1"));
    let (status, to, _) = admin.post(&format!("{location}/delete"), &[]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/ui/budgets")
    );
    assert_eq!(admin.get(&location).await.0, 404);

    // Guardrails: the key is sealed and kept across an edit without one.
    assert_eq!(admin.get("/ui/guardrails/new").await.0, 200);
    let (status, location, _) = admin
        .post(
            "/ui/guardrails/new",
            &[
                ("guardrail_name", "pii"),
                ("guardrail", "presidio"),
                ("mode", "pre_call"),
                ("default_on", "on"),
                ("api_key", PROVIDER_KEY),
            ],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = admin.get(&location).await;
    assert!(html.contains("presidio") && html.contains("stored (hidden)"));
    assert!(!html.contains(PROVIDER_KEY));
    let (status, _, _) = admin
        .post(
            &location,
            &[
                ("guardrail_name", "pii-strict"),
                ("guardrail", "presidio"),
                ("mode", "post_call"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let stored = app
        .rows("SELECT guardrail_name, litellm_params FROM \"LiteLLM_GuardrailsTable\"")
        .await;
    assert_eq!(stored[0]["guardrail_name"], "pii-strict");
    assert_eq!(stored[0]["litellm_params"]["mode"], "post_call");
    assert_eq!(stored[0]["litellm_params"]["default_on"], false);
    assert!(
        stored[0]["litellm_params"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("enc:v1:")
    );
    let (_, html) = admin.get("/ui/guardrails?search=strict").await;
    assert!(html.contains("pii-strict"));
    let (status, _, _) = admin
        .post(
            "/ui/guardrails/new",
            &[
                ("guardrail_name", "x"),
                ("guardrail", "y"),
                ("mode", "sometimes"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    let (status, _, _) = admin.post(&format!("{location}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_GuardrailsTable\"")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_audit_log_filters_and_shows_redacted_changes() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("acme").await;
    let admin = Visitor::new(&app, account, "proxy_admin-user", "proxy_admin");
    let base = mock.api_base();
    let mut form = model_form("chat", "gpt-4o-mini", &base);
    form.push(("api_key", PROVIDER_KEY));
    let (_, location, _) = admin.post("/ui/models/new", &form).await;
    let id = location.strip_prefix("/ui/models/").unwrap().to_owned();
    admin
        .post(
            "/ui/budgets/new",
            &[("budget_id", "b1"), ("max_budget", "5")],
        )
        .await;

    let (status, html) = admin.get("/ui/audit").await;
    assert_eq!(status, 200);
    assert!(html.contains("<td>LiteLLM_ProxyModelTable</td>"));
    assert!(html.contains("<td>LiteLLM_BudgetTable</td>"));
    let (_, html) = admin
        .get(&format!("/ui/audit?table=LiteLLM_ProxyModelTable&action=created&object={id}&actor=proxy_admin-user"))
        .await;
    assert_eq!(html.matches("href=\"/ui/audit/").count(), 1, "{html}");
    assert!(html.contains(&format!("<code>{id}</code>")));
    let entry = html
        .split("href=\"/ui/audit/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (_, html) = admin.get("/ui/audit?action=deleted").await;
    assert!(html.contains("No changes match"));
    let (_, html) = admin.get("/ui/audit?from=2999-01-01").await;
    assert!(html.contains("No changes match"));
    let (status, html) = admin.get("/ui/audit?from=yesterday").await;
    assert!(status.is_client_error(), "{status}");
    assert!(html.contains("start_date"));

    let (status, html) = admin.get(&format!("/ui/audit/{entry}")).await;
    assert_eq!(status, 200);
    // Askama escapes the JSON: `"api_key": "<redacted>"`.
    assert!(
        html.contains("api_key&#34;: &#34;&#60;redacted&#62;"),
        "{html}"
    );
    assert!(html.contains("gpt-4o-mini"));
    assert!(!html.contains(PROVIDER_KEY));
    assert!(html.contains("the object was created"));
}

#[tokio::test]
async fn branding_applies_to_the_accounts_own_pages_only() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("acme").await;
    let other = app.test.create_account("other").await;
    let admin = Visitor::new(&app, account, "proxy_admin-user", "proxy_admin");

    let (status, html) = admin.get("/ui/settings").await;
    assert_eq!(status, 200);
    for field in ["display_name", "logo_url", "accent-teal"] {
        assert!(html.contains(&format!("<label for=\"{field}\"")), "{field}");
    }
    for (logo, accent) in [("javascript:alert(1)", "teal"), ("", "#ff00ff")] {
        let (status, _, _) = admin
            .post(
                "/ui/settings",
                &[
                    ("display_name", "Acme AI"),
                    ("logo_url", logo),
                    ("accent", accent),
                ],
            )
            .await;
        assert_eq!(status, 400, "{logo} {accent}");
    }
    let (status, to, _) = admin
        .post(
            "/ui/settings",
            &[
                ("display_name", "Acme AI"),
                ("logo_url", "https://cdn.acme.test/logo.png"),
                ("accent", "teal"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/ui/settings")
    );
    let (_, html) = admin.get("/ui/dashboard").await;
    assert!(html.contains("<body class=\"accent-teal\">"));
    assert!(html.contains("Acme AI"));
    assert!(html.contains("src=\"https://cdn.acme.test/logo.png\""));
    assert!(!html.contains("style="));
    let audit = app
        .rows("SELECT action FROM \"LiteLLM_AuditLog\" WHERE table_name = 'LiteLLM_UISettings'")
        .await;
    assert_eq!(audit, vec![json!({"action": "created"})]);

    let (_, html) = Visitor::new(&app, other, "proxy_admin-user", "proxy_admin")
        .get("/ui/dashboard")
        .await;
    assert!(html.contains("<body>") && !html.contains("Acme AI"));
}

#[tokio::test]
async fn viewers_read_without_forms_and_their_posts_are_refused() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("acme").await;
    let admin = Visitor::new(&app, account, "proxy_admin-user", "proxy_admin");
    let (_, location, _) = admin
        .post(
            "/ui/models/new",
            &model_form("chat", "gpt-4o", "http://127.0.0.1:9/v1"),
        )
        .await;
    admin
        .post(
            "/ui/budgets/new",
            &[("budget_id", "b1"), ("max_budget", "5")],
        )
        .await;
    let (_, guardrail, _) = admin
        .post(
            "/ui/guardrails/new",
            &[
                ("guardrail_name", "g"),
                ("guardrail", "presidio"),
                ("mode", "pre_call"),
            ],
        )
        .await;

    let viewer = Visitor::new(
        &app,
        account,
        "proxy_admin_viewer-user",
        "proxy_admin_viewer",
    );
    for path in [
        "/ui/models",
        location.as_str(),
        "/ui/budgets",
        "/ui/budgets/b1",
        "/ui/guardrails",
        guardrail.as_str(),
        "/ui/audit",
        "/ui/settings",
    ] {
        let (status, html) = viewer.get(path).await;
        assert_eq!(status, 200, "{path}");
        // The only form a viewer gets is the logout button (and searches).
        assert_eq!(html.matches("method=\"post\"").count(), 1, "{path}");
    }
    for (path, form) in [
        ("/ui/models/new", model_form("x", "gpt-4o", "")),
        (format!("{location}/test").as_str(), vec![]),
        (format!("{location}/delete").as_str(), vec![]),
        ("/ui/budgets/new", vec![("max_budget", "1")]),
        ("/ui/budgets/b1/delete", vec![]),
        (format!("{guardrail}/delete").as_str(), vec![]),
        ("/ui/settings", vec![("display_name", "Viewer was here")]),
    ] {
        let (status, _, html) = viewer.post(path, &form).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("Not allowed"), "{path}");
    }
    assert_eq!(viewer.get("/ui/models/new").await.0, 403);
    let counts = app
        .rows("SELECT (SELECT count(*) FROM \"LiteLLM_ProxyModelTable\") AS m, (SELECT count(*) FROM \"LiteLLM_BudgetTable\") AS b, (SELECT count(*) FROM \"LiteLLM_GuardrailsTable\") AS g, (SELECT count(*) FROM \"LiteLLM_UISettings\") AS s")
        .await;
    assert_eq!(counts[0], json!({"m": 1, "b": 1, "g": 1, "s": 0}));

    // Internal users do not get the account-wide pages at all.
    let user = Visitor::new(&app, account, "internal_user-user", "internal_user");
    let (_, html) = user.get("/ui/dashboard").await;
    assert!(!html.contains("href=\"/ui/models\""));
    for path in [
        "/ui/models",
        "/ui/budgets",
        "/ui/guardrails",
        "/ui/audit",
        "/ui/settings",
    ] {
        assert_eq!(user.get(path).await.0, 403, "{path}");
    }
}

#[tokio::test]
async fn another_accounts_objects_read_as_missing() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let ours = app.test.create_account("ours").await;
    let theirs = app.test.create_account("theirs").await;
    let them = Visitor::new(&app, theirs, "proxy_admin-user", "proxy_admin");
    let base = mock.api_base();
    let mut form = model_form("their-chat", "gpt-4o", &base);
    form.push(("api_key", PROVIDER_KEY));
    let (_, model, _) = them.post("/ui/models/new", &form).await;
    let (_, budget, _) = them
        .post(
            "/ui/budgets/new",
            &[("budget_id", "their-budget"), ("max_budget", "5")],
        )
        .await;
    let (_, guardrail, _) = them
        .post(
            "/ui/guardrails/new",
            &[
                ("guardrail_name", "theirs"),
                ("guardrail", "presidio"),
                ("mode", "pre_call"),
            ],
        )
        .await;
    let entry = app
        .rows("SELECT id FROM \"LiteLLM_AuditLog\" LIMIT 1")
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let audit = format!("/ui/audit/{entry}");

    let us = Visitor::new(&app, ours, "proxy_admin-user", "proxy_admin");
    let (status, missing) = us.get("/ui/models/no-such-model").await;
    assert_eq!(status, 404);
    for path in [&model, &budget, &guardrail, &audit] {
        let (status, html) = us.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(html, missing, "{path}");
    }
    for path in [
        format!("{model}/test"),
        format!("{model}/delete"),
        format!("{budget}/delete"),
        format!("{guardrail}/delete"),
    ] {
        let (status, _, html) = us.post(&path, &[]).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(html, missing, "{path}");
    }
    let (status, _, _) = us.post(&model, &model_form("stolen", "gpt-4o", "")).await;
    assert_eq!(status, 404);
    let (status, _, _) = us.post(&budget, &[("max_budget", "999")]).await;
    assert_eq!(status, 404);
    assert!(mock.received().is_empty());
    let (_, html) = us.get("/ui/audit").await;
    assert!(html.contains("No changes match"));
    let rows = app
        .rows("SELECT (SELECT model_name FROM \"LiteLLM_ProxyModelTable\") AS m, (SELECT max_budget FROM \"LiteLLM_BudgetTable\") AS b, (SELECT count(*) FROM \"LiteLLM_GuardrailsTable\") AS g")
        .await;
    assert_eq!(rows[0], json!({"m": "their-chat", "b": 5, "g": 1}));
}
