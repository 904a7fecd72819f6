//! The account pages (teams, users, organizations, key settings) over plain
//! HTTP: each renders, creates, edits and deletes through its forms; forms
//! without their CSRF token are refused; viewers see no change forms and
//! their POSTs are refused; another account's objects are the same 404 as
//! missing ones.

use alchemi::db::AccountId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::visitor::Visitor;
use crate::common::app::{MASTER_KEY, TestApp};

fn admin(app: &TestApp) -> Visitor<'_> {
    Visitor::new(app, app.default_account, "ada", "proxy_admin")
}

/// Calls a management route with the master key in `account`.
async fn api(app: &TestApp, account: AccountId, path: &str, body: Value) -> Value {
    let answer = app
        .http
        .post(app.url(path))
        .bearer_auth(MASTER_KEY)
        .header("x-account-id", account.to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap()
}

async fn one(app: &TestApp, sql: &str) -> Value {
    let rows = app.rows(sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows.into_iter().next().unwrap()
}

/// Change forms on a page: every POST form but the logout button's.
fn change_forms(html: &str) -> usize {
    html.matches("method=\"post\"").count() - 1
}

#[tokio::test]
async fn teams_are_created_edited_staffed_blocked_and_deleted_through_their_pages() {
    let app = TestApp::spawn().await;
    let ada = admin(&app);
    let (status, html) = ada.get("/ui/teams").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/ui/teams/new\""));
    assert!(html.contains("aria-current=\"page\">Teams"));
    let (status, html) = ada.get("/ui/teams/new").await;
    assert_eq!(status, 200);
    for field in [
        "team_alias",
        "models",
        "max_budget",
        "budget_duration",
        "rpm_limit",
        "tpm_limit",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{field}\">")),
            "{field}"
        );
    }

    // Without its token the form changes nothing.
    let (status, _, body) = ada
        .post_raw("/ui/teams/new", &[("team_alias", "Forged")])
        .await;
    assert_eq!(status, 403);
    assert!(body.contains("Form expired"));
    let (status, location) = ada
        .submit(
            "/ui/teams/new",
            &[
                ("team_alias", "Research"),
                ("models", "gpt-4o, gpt-4o-mini"),
                ("max_budget", "50"),
                ("budget_duration", "30d"),
                ("rpm_limit", "100"),
                ("tpm_limit", "1000"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let team = one(&app, "SELECT team_id, models, max_budget, budget_duration, rpm_limit, tpm_limit FROM \"LiteLLM_TeamTable\"").await;
    let id = team["team_id"].as_str().unwrap().to_owned();
    let page = format!("/ui/teams/{id}");
    assert_eq!(location, page);
    assert_eq!(team["models"], json!(["gpt-4o", "gpt-4o-mini"]));
    assert_eq!(team["max_budget"], json!(50));
    assert_eq!(team["budget_duration"], "30d");
    assert_eq!(
        (team["rpm_limit"].clone(), team["tpm_limit"].clone()),
        (json!(100), json!(1000))
    );
    one(&app, "SELECT 1 FROM \"LiteLLM_AuditLog\" WHERE table_name = 'LiteLLM_TeamTable' AND action = 'created' AND changed_by = 'ada'").await;

    let (_, html) = ada.get("/ui/teams?search=resea").await;
    assert!(html.contains("Research"));
    let (_, html) = ada.get(&format!("/ui/teams?search={}", &id[..8])).await;
    assert!(html.contains("Research"));
    let (_, html) = ada.get("/ui/teams?search=nothing").await;
    assert!(html.contains("No teams match"));
    let (status, html) = ada.get(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("every 30d"));

    // Each form changes only what it carries.
    let (status, _) = ada.submit(&page, &[("models", "")]).await;
    assert_eq!(status, 303);
    let team = one(&app, "SELECT models, max_budget FROM \"LiteLLM_TeamTable\"").await;
    assert_eq!(team["models"], json!([]));
    assert_eq!(team["max_budget"], json!(50));
    let limits = [
        ("team_alias", "Research EU"),
        ("max_budget", ""),
        ("budget_duration", ""),
        ("rpm_limit", "5"),
        ("tpm_limit", ""),
    ];
    assert_eq!(ada.submit(&page, &limits).await.0, 303);
    let team = one(&app, "SELECT team_alias, max_budget, budget_duration, rpm_limit, tpm_limit FROM \"LiteLLM_TeamTable\"").await;
    assert_eq!(
        team,
        json!({"team_alias": "Research EU", "max_budget": null, "budget_duration": null, "rpm_limit": 5, "tpm_limit": null})
    );
    let (status, body) = ada.submit(&page, &[("rpm_limit", "lots")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("Requests per minute must be a whole number"));

    // Members: added by email (a new user), promoted, removed.
    let members = format!("{page}/members");
    let added = ada
        .submit(&members, &[("user", "bob@acme.test"), ("role", "user")])
        .await;
    assert_eq!(added, (StatusCode::SEE_OTHER, page.clone()));
    let bob = one(
        &app,
        "SELECT user_id FROM \"LiteLLM_UserTable\" WHERE user_email = 'bob@acme.test'",
    )
    .await;
    let bob = bob["user_id"].as_str().unwrap().to_owned();
    let (_, html) = ada.get(&page).await;
    assert!(html.contains("bob@acme.test"));
    assert!(html.contains("<label for=\"role-1\" class=\"visually-hidden\">"));
    let role = format!("{members}/role");
    assert_eq!(
        ada.submit(&role, &[("user", &bob), ("role", "admin")])
            .await
            .0,
        303
    );
    let bobs_role = format!(
        "SELECT m->>'role' AS role FROM \"LiteLLM_TeamTable\", jsonb_array_elements(members_with_roles) m WHERE m->>'user_id' = '{bob}'"
    );
    assert_eq!(one(&app, &bobs_role).await["role"], "admin");
    let (status, _) = ada
        .submit(&role, &[("user", &bob), ("role", "owner")])
        .await;
    assert_eq!(status, 422);
    let remove = format!("{members}/remove");
    assert_eq!(ada.submit(&remove, &[("user", &bob)]).await.0, 303);
    assert!(app.rows(&bobs_role).await.is_empty());

    assert_eq!(ada.submit(&format!("{page}/block"), &[]).await.0, 303);
    assert_eq!(
        one(&app, "SELECT blocked FROM \"LiteLLM_TeamTable\"").await["blocked"],
        true
    );
    assert_eq!(ada.submit(&format!("{page}/unblock"), &[]).await.0, 303);
    assert_eq!(
        one(&app, "SELECT blocked FROM \"LiteLLM_TeamTable\"").await["blocked"],
        false
    );
    let deleted = ada.submit(&format!("{page}/delete"), &[]).await;
    assert_eq!(deleted, (StatusCode::SEE_OTHER, "/ui/teams".to_owned()));
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_TeamTable\"")
            .await
            .is_empty()
    );
    assert_eq!(ada.get(&page).await.0, 404);
}

#[tokio::test]
async fn users_are_created_searched_edited_and_deleted_through_their_pages() {
    let app = TestApp::spawn().await;
    let ada = admin(&app);
    let team = api(
        &app,
        app.default_account,
        "/team/new",
        json!({"team_alias": "Ops"}),
    )
    .await;
    let team_id = team["team_id"].as_str().unwrap();

    let (status, html) = ada.get("/ui/users/new").await;
    assert_eq!(status, 200);
    for field in ["user_email", "user_role", "password", "teams"] {
        assert!(
            html.contains(&format!("<label for=\"{field}\">")),
            "{field}"
        );
    }
    let (status, location) = ada
        .submit(
            "/ui/users/new",
            &[
                ("user_email", "carol@acme.test"),
                ("user_role", "internal_user_viewer"),
                ("password", "a long password"),
                ("teams", team_id),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let carol = one(&app, "SELECT user_id, user_role, password IS NOT NULL AS has_password, teams FROM \"LiteLLM_UserTable\" WHERE user_email = 'carol@acme.test'").await;
    let id = carol["user_id"].as_str().unwrap().to_owned();
    let page = format!("/ui/users/{id}");
    assert_eq!(location, page);
    assert_eq!(carol["user_role"], "internal_user_viewer");
    assert_eq!(carol["has_password"], true);
    assert_eq!(carol["teams"], json!([team_id]));
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_VerificationToken\"")
            .await
            .is_empty()
    );
    let (status, _) = ada
        .submit(
            "/ui/users/new",
            &[("user_email", "x@acme.test"), ("user_role", "super")],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        ada.post_raw(
            "/ui/users/new",
            &[
                ("user_email", "forged@acme.test"),
                ("user_role", "proxy_admin")
            ]
        )
        .await
        .0,
        403
    );
    api(
        &app,
        app.default_account,
        "/user/new",
        json!({"user_email": "dan@acme.test", "auto_create_key": false}),
    )
    .await;

    let (_, html) = ada.get("/ui/users?search=CAROL").await;
    assert!(html.contains("carol@acme.test") && !html.contains("dan@acme.test"));
    let (_, html) = ada.get(&format!("/ui/users?search={}", &id[..8])).await;
    assert!(html.contains("carol@acme.test"));
    let (_, html) = ada.get("/ui/users?role=internal_user").await;
    assert!(html.contains("dan@acme.test") && !html.contains("carol@acme.test"));
    let (status, html) = ada.get(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Ops"));

    let edit = [
        ("user_role", "proxy_admin_viewer"),
        ("models", "gpt-4o"),
        ("max_budget", "12.5"),
        ("budget_duration", "1mo"),
        ("rpm_limit", ""),
        ("tpm_limit", ""),
    ];
    assert_eq!(
        ada.submit(&page, &edit).await,
        (StatusCode::SEE_OTHER, page.clone())
    );
    let carol = one(&app, "SELECT user_role, models, max_budget, budget_duration FROM \"LiteLLM_UserTable\" WHERE user_email = 'carol@acme.test'").await;
    assert_eq!(
        carol,
        json!({"user_role": "proxy_admin_viewer", "models": ["gpt-4o"], "max_budget": 12.5, "budget_duration": "1mo"})
    );
    let audited = "SELECT 1 FROM \"LiteLLM_AuditLog\" WHERE table_name = 'LiteLLM_UserTable' AND action = 'updated' AND changed_by = 'ada'";
    assert!(!app.rows(audited).await.is_empty());

    let deleted = ada.submit(&format!("{page}/delete"), &[]).await;
    assert_eq!(deleted, (StatusCode::SEE_OTHER, "/ui/users".to_owned()));
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_UserTable\" WHERE user_email = 'carol@acme.test'")
            .await
            .is_empty()
    );
    assert_eq!(ada.get(&page).await.0, 404);
}

#[tokio::test]
async fn organizations_and_key_settings_are_edited_through_their_pages() {
    let app = TestApp::spawn().await;
    let ada = admin(&app);
    let (status, html) = ada.get("/ui/organizations").await;
    assert_eq!(status, 200);
    assert!(html.contains("No organizations"));
    let (status, location) = ada
        .submit(
            "/ui/organizations/new",
            &[
                ("organization_alias", "Acme EU"),
                ("models", "gpt-4o"),
                ("max_budget", "500"),
                ("rpm_limit", "60"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let org = one(&app, "SELECT o.organization_id, o.models, b.max_budget, b.rpm_limit FROM \"LiteLLM_OrganizationTable\" o JOIN \"LiteLLM_BudgetTable\" b USING (account_id, budget_id)").await;
    let id = org["organization_id"].as_str().unwrap().to_owned();
    let page = format!("/ui/organizations/{id}");
    assert_eq!(location, page);
    assert_eq!(
        (
            org["models"].clone(),
            org["max_budget"].clone(),
            org["rpm_limit"].clone()
        ),
        (json!(["gpt-4o"]), json!(500), json!(60))
    );
    let (_, html) = ada.get("/ui/organizations?search=acme").await;
    assert!(html.contains("Acme EU"));

    let budget = [
        ("organization_alias", "Acme Europe"),
        ("max_budget", "750"),
        ("budget_duration", "1mo"),
        ("rpm_limit", ""),
        ("tpm_limit", ""),
    ];
    assert_eq!(ada.submit(&page, &budget).await.0, 303);
    assert_eq!(
        ada.submit(&page, &[("models", "gpt-4o, claude-3")]).await.0,
        303
    );
    let org = one(&app, "SELECT o.organization_alias, o.models, b.max_budget, b.budget_duration, b.rpm_limit FROM \"LiteLLM_OrganizationTable\" o JOIN \"LiteLLM_BudgetTable\" b USING (account_id, budget_id)").await;
    assert_eq!(
        org,
        json!({"organization_alias": "Acme Europe", "models": ["gpt-4o", "claude-3"], "max_budget": 750, "budget_duration": "1mo", "rpm_limit": null})
    );

    let members = format!("{page}/members");
    let added = ada
        .submit(
            &members,
            &[("user", "erin@acme.test"), ("role", "org_admin")],
        )
        .await;
    assert_eq!(added, (StatusCode::SEE_OTHER, page.clone()));
    let member = one(
        &app,
        "SELECT m.user_id, m.user_role FROM \"LiteLLM_OrganizationMembership\" m",
    )
    .await;
    assert_eq!(member["user_role"], "org_admin");
    let (_, html) = ada.get(&page).await;
    assert!(html.contains(member["user_id"].as_str().unwrap()));
    let user = member["user_id"].as_str().unwrap();
    assert_eq!(
        ada.submit(&format!("{members}/remove"), &[("user", user)])
            .await
            .0,
        303
    );
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_OrganizationMembership\"")
            .await
            .is_empty()
    );

    // A key's settings, team included; the expiry is kept unless given.
    let team = api(
        &app,
        app.default_account,
        "/team/new",
        json!({"team_alias": "Keys team"}),
    )
    .await;
    let team_id = team["team_id"].as_str().unwrap();
    let secret = app
        .add_key(app.default_account, json!({"key_alias": "old"}))
        .await;
    let hash = alchemi::secret::hash_api_key(&secret);
    let key_page = format!("/ui/keys/{hash}");
    let (_, html) = ada.get(&key_page).await;
    for field in [
        "key_alias",
        "models",
        "max_budget",
        "budget_duration",
        "rpm_limit",
        "tpm_limit",
        "max_parallel_requests",
        "team_id",
        "duration",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{field}\">")),
            "{field}"
        );
    }
    let edit = [
        ("key_alias", "renamed"),
        ("models", "gpt-4o"),
        ("max_budget", "9"),
        ("budget_duration", "7d"),
        ("rpm_limit", "30"),
        ("tpm_limit", "3000"),
        ("max_parallel_requests", "2"),
        ("team_id", team_id),
        ("duration", "7d"),
    ];
    assert_eq!(
        ada.submit(&key_page, &edit).await,
        (StatusCode::SEE_OTHER, key_page.clone())
    );
    let key = one(&app, "SELECT key_alias, models, max_budget, budget_duration, rpm_limit, tpm_limit, max_parallel_requests, team_id, expires IS NOT NULL AS expires FROM \"LiteLLM_VerificationToken\"").await;
    assert_eq!(
        key,
        json!({"key_alias": "renamed", "models": ["gpt-4o"], "max_budget": 9, "budget_duration": "7d", "rpm_limit": 30,
               "tpm_limit": 3000, "max_parallel_requests": 2, "team_id": team_id, "expires": true})
    );
    assert_eq!(
        ada.submit(&key_page, &[("rpm_limit", ""), ("duration", "")])
            .await
            .0,
        303
    );
    let key = one(
        &app,
        "SELECT rpm_limit, expires IS NOT NULL AS expires FROM \"LiteLLM_VerificationToken\"",
    )
    .await;
    assert_eq!(key, json!({"rpm_limit": null, "expires": true}));
    assert_eq!(ada.submit(&key_page, &[("duration", "never")]).await.0, 303);
    let key = one(&app, "SELECT expires FROM \"LiteLLM_VerificationToken\"").await;
    assert_eq!(key["expires"], Value::Null);
    one(&app, "SELECT 1 FROM \"LiteLLM_AuditLog\" WHERE table_name = 'LiteLLM_VerificationToken' AND action = 'updated' LIMIT 1").await;
    assert_eq!(
        ada.post_raw(&key_page, &[("key_alias", "forged")]).await.0,
        403
    );

    let deleted = ada.submit(&format!("{page}/delete"), &[]).await;
    assert_eq!(
        deleted,
        (StatusCode::SEE_OTHER, "/ui/organizations".to_owned())
    );
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_OrganizationTable\"")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn viewers_read_the_pages_without_change_forms_and_their_posts_are_refused() {
    let app = TestApp::spawn().await;
    let account = app.default_account;
    let team = api(&app, account, "/team/new", json!({"team_alias": "Viewed"})).await;
    let team = format!("/ui/teams/{}", team["team_id"].as_str().unwrap());
    let user = api(
        &app,
        account,
        "/user/new",
        json!({"user_email": "vic@acme.test", "auto_create_key": false}),
    )
    .await;
    let user = format!("/ui/users/{}", user["user_id"].as_str().unwrap());
    let org = api(
        &app,
        account,
        "/organization/new",
        json!({"organization_alias": "Viewed org"}),
    )
    .await;
    let org = format!(
        "/ui/organizations/{}",
        org["organization_id"].as_str().unwrap()
    );
    let secret = app.add_key(account, json!({"key_alias": "viewed"})).await;
    let key = format!("/ui/keys/{}", alchemi::secret::hash_api_key(&secret));

    let viewer = Visitor::new(&app, account, "val", "proxy_admin_viewer");
    for path in [
        "/ui/teams",
        "/ui/users",
        "/ui/organizations",
        team.as_str(),
        user.as_str(),
        org.as_str(),
        key.as_str(),
    ] {
        let (status, html) = viewer.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(change_forms(&html), 0, "{path} shows a change form");
        assert!(!html.contains("/new\""), "{path} links to a create form");
    }
    for path in ["/ui/teams/new", "/ui/users/new", "/ui/organizations/new"] {
        assert_eq!(viewer.get(path).await.0, 403, "{path}");
    }
    let member = format!("{team}/members");
    let org_member = format!("{org}/members");
    let posts: [(&str, &[(&str, &str)]); 9] = [
        ("/ui/teams/new", &[("team_alias", "Nope")]),
        (&team, &[("team_alias", "Nope")]),
        (&member, &[("user", "x@acme.test"), ("role", "user")]),
        (
            "/ui/users/new",
            &[
                ("user_email", "nope@acme.test"),
                ("user_role", "proxy_admin"),
            ],
        ),
        (&user, &[("user_role", "proxy_admin")]),
        ("/ui/organizations/new", &[("organization_alias", "Nope")]),
        (&org, &[("organization_alias", "Nope")]),
        (
            &org_member,
            &[("user", "x@acme.test"), ("role", "org_admin")],
        ),
        (&key, &[("key_alias", "nope")]),
    ];
    for (path, form) in posts {
        let (status, body) = viewer.submit(path, form).await;
        assert_eq!(status, 403, "{path}");
        assert!(body.contains("Not allowed"), "{path}");
    }
    assert!(app.rows("SELECT 1 FROM \"LiteLLM_TeamTable\" WHERE team_alias = 'Nope' OR members_with_roles <> '[]'").await.is_empty());
    assert!(app.rows("SELECT 1 FROM \"LiteLLM_UserTable\" WHERE user_email LIKE 'nope%' OR user_email = 'x@acme.test' OR user_role = 'proxy_admin'").await.is_empty());
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_OrganizationTable\" WHERE organization_alias = 'Nope'")
            .await
            .is_empty()
    );
    assert!(
        app.rows("SELECT 1 FROM \"LiteLLM_VerificationToken\" WHERE key_alias = 'nope'")
            .await
            .is_empty()
    );

    // An internal viewer sees no user list, in the navigation or at its address.
    api(
        &app,
        account,
        "/user/new",
        json!({"user_id": "ivy", "user_role": "internal_user_viewer", "auto_create_key": false}),
    )
    .await;
    let own = Visitor::new(&app, account, "ivy", "internal_user_viewer");
    let (status, html) = own.get("/ui/teams").await;
    assert_eq!(status, 200);
    assert!(!html.contains("href=\"/ui/users\""));
    assert_eq!(own.get("/ui/users").await.0, 403);
}

#[tokio::test]
async fn another_accounts_teams_users_and_organizations_are_not_found() {
    let app = TestApp::spawn().await;
    let other = app.test.create_account("other").await;
    let team = api(&app, other, "/team/new", json!({"team_alias": "Theirs"})).await;
    let team_id = team["team_id"].as_str().unwrap().to_owned();
    let user = api(
        &app,
        other,
        "/user/new",
        json!({"user_email": "them@other.test", "auto_create_key": false}),
    )
    .await;
    let user_id = user["user_id"].as_str().unwrap().to_owned();
    let org = api(
        &app,
        other,
        "/organization/new",
        json!({"organization_alias": "Their org"}),
    )
    .await;
    let org_id = org["organization_id"].as_str().unwrap().to_owned();

    let ada = admin(&app);
    let (status, missing) = ada.get("/ui/teams/no-such-team").await;
    assert_eq!(status, 404);
    for (kind, id) in [
        ("teams", &team_id),
        ("users", &user_id),
        ("organizations", &org_id),
    ] {
        let (status, html) = ada.get(&format!("/ui/{kind}/{id}")).await;
        assert_eq!(status, 404, "{kind}");
        assert_eq!(html, missing, "{kind}");
        let (_, list) = ada.get(&format!("/ui/{kind}?search={}", &id[..8])).await;
        assert!(
            !list.contains(id.as_str()),
            "{kind} list shows another account's"
        );
    }
    let changes: [(String, &[(&str, &str)]); 7] = [
        (format!("/ui/teams/{team_id}"), &[("team_alias", "Mine")]),
        (format!("/ui/teams/{team_id}/block"), &[]),
        (format!("/ui/teams/{team_id}/delete"), &[]),
        (
            format!("/ui/teams/{team_id}/members"),
            &[("user", "ada@acme.test"), ("role", "admin")],
        ),
        (
            format!("/ui/users/{user_id}"),
            &[("user_role", "proxy_admin")],
        ),
        (format!("/ui/users/{user_id}/delete"), &[]),
        (
            format!("/ui/organizations/{org_id}"),
            &[("organization_alias", "Mine")],
        ),
    ];
    for (path, form) in changes {
        let (status, body) = ada.submit(&path, form).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body, missing, "{path}");
    }
    let theirs = one(&app, "SELECT t.team_alias, t.blocked, t.members_with_roles, u.user_role, o.organization_alias FROM \"LiteLLM_TeamTable\" t, \"LiteLLM_UserTable\" u, \"LiteLLM_OrganizationTable\" o").await;
    assert_eq!(
        theirs,
        json!({"team_alias": "Theirs", "blocked": false, "members_with_roles": [], "user_role": "internal_user", "organization_alias": "Their org"})
    );
}
