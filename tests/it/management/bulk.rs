//! `/user/bulk_update`, `/team/bulk_member_add` and a team's logging
//! callbacks (`/team/{team_id}/callback`, `/team/{team_id}/disable_logging`):
//! per-item results, the roles of the single routes, audit rows with
//! secrets redacted, and nothing reachable in another account.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    admin_call, admin_get, admin_post, audit_rows, call_as, get_as, key_with_role, post_as,
    two_accounts,
};
use crate::common::app::TestApp;

async fn one(app: &TestApp, sql: &str) -> Value {
    let rows = app.rows(sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0].clone()
}

#[tokio::test]
async fn users_are_updated_in_bulk_each_on_its_own() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    for (account, user) in [(a, "u1"), (a, "u2"), (b, "theirs")] {
        let (status, body) = admin_post(&app, account, "/user/new", json!({"user_id": user, "user_email": format!("{user}@x.io"), "auto_create_key": false}))
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let viewer = key_with_role(&app, a, "viv", "proxy_admin_viewer").await;
    let ivy = key_with_role(&app, a, "ivy", "internal_user").await;

    // By id and by email; an unknown user and another account's fail alone.
    let (status, body) = admin_post(
        &app,
        a,
        "/user/bulk_update",
        json!({"users": [
            {"user_id": "u1", "max_budget": 10.0},
            {"user_email": "u2@x.io", "user_role": "internal_user_viewer"},
            {"user_id": "theirs", "max_budget": 99.0},
            {"user_id": "u1", "user_role": "emperor"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_requested"], 4);
    assert_eq!(body["successful_updates"], 2);
    assert_eq!(body["failed_updates"], 2);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["updated_user"]["max_budget"], 10.0);
    assert!(results[0]["updated_user"].get("password").is_none());
    assert_eq!(results[1]["user_id"], "u2");
    assert_eq!(
        results[1]["updated_user"]["user_role"],
        "internal_user_viewer"
    );
    assert_eq!(results[2]["success"], false);
    assert!(results[2]["error"].as_str().unwrap().contains("theirs"));
    assert_eq!(results[3]["success"], false);
    let theirs = one(
        &app,
        &format!(
            "SELECT max_budget FROM \"LiteLLM_UserTable\" WHERE account_id = '{}' AND user_id = 'theirs'",
            b.uuid()
        ),
    )
    .await;
    assert_eq!(theirs["max_budget"], Value::Null);

    // Every user of the account, one audit row each; B untouched.
    let (status, body) = admin_post(
        &app,
        a,
        "/user/bulk_update",
        json!({"all_users": true, "user_updates": {"tpm_limit": 77, "user_id": "ignored"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_requested"], 4, "{body}");
    assert_eq!(body["successful_updates"], 4);
    let limited = app
        .rows(&format!(
            "SELECT user_id FROM \"LiteLLM_UserTable\" WHERE account_id = '{}' AND tpm_limit = 77",
            a.uuid()
        ))
        .await;
    assert_eq!(limited.len(), 4);
    let theirs = one(
        &app,
        &format!(
            "SELECT tpm_limit FROM \"LiteLLM_UserTable\" WHERE account_id = '{}'",
            b.uuid()
        ),
    )
    .await;
    assert_eq!(theirs["tpm_limit"], Value::Null);
    let audits = audit_rows(&app, a, "LiteLLM_UserTable").await;
    let updates = audits
        .iter()
        .filter(|row| row["action"] == "updated")
        .count();
    assert_eq!(updates, 2 + 4);
    assert!(
        audit_rows(&app, b, "LiteLLM_UserTable")
            .await
            .iter()
            .all(|row| row["action"] == "created")
    );

    // Viewers change nothing; an internal user only themselves.
    let (status, _) = post_as(
        &app,
        &viewer,
        "/user/bulk_update",
        json!({"users": [{"user_id": "viv", "user_alias": "v"}]}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = post_as(&app, &ivy, "/user/bulk_update", json!({"users": [{"user_id": "ivy", "user_alias": "me"}, {"user_id": "u1", "user_alias": "not me"}]}))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["success"], true);
    assert_eq!(body["results"][1]["success"], false);
    let (status, _) = post_as(
        &app,
        &ivy,
        "/user/bulk_update",
        json!({"all_users": true, "user_updates": {"user_alias": "all"}}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = admin_post(&app, a, "/user/bulk_update", json!({})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn members_are_added_to_a_team_in_bulk() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    for account in [a, b] {
        let (status, body) = admin_post(&app, account, "/team/new", json!({"team_id": "crew", "members_with_roles": [{"role": "admin", "user_id": "lead"}]}))
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let lead = app.add_key(a, json!({"user_id": "lead"})).await;
    let viewer = key_with_role(&app, a, "viv", "proxy_admin_viewer").await;

    // The team admin adds a new user, an email and an existing member.
    let (status, body) = post_as(
        &app,
        &lead,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "max_budget_in_team": 5.0, "members": [
            {"role": "user", "user_id": "new-1"},
            {"role": "admin", "user_email": "two@x.io"},
            {"role": "user", "user_id": "lead"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["team_id"], "crew");
    assert_eq!(body["total_requested"], 3);
    assert_eq!(body["successful_additions"], 2);
    assert_eq!(body["failed_additions"], 1);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["updated_user"]["user_id"], "new-1");
    assert_eq!(results[0]["updated_team_membership"]["team_id"], "crew");
    assert!(results[0]["updated_team_membership"]["budget_id"].is_string());
    assert_eq!(results[1]["updated_user"]["user_email"], "two@x.io");
    assert_eq!(results[2]["success"], false);
    assert_eq!(
        body["updated_team"]["members_with_roles"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let members = one(
        &app,
        &format!(
            "SELECT count(*) AS n FROM \"LiteLLM_TeamMembership\" WHERE account_id = '{}' AND team_id = 'crew'",
            a.uuid()
        ),
    )
    .await;
    // The lead's membership from `/team/new`, and the two new ones.
    assert_eq!(members["n"], 3);

    // all_users is the account admin's; it adds every user not yet in.
    let (status, _) = post_as(
        &app,
        &lead,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "all_users": true}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = admin_post(
        &app,
        a,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "all_users": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let added: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["success"] == true)
        .map(|r| &r["user_id"])
        .collect();
    assert_eq!(added, [&json!("viv")], "{body}");
    let audits = audit_rows(&app, a, "LiteLLM_TeamTable").await;
    assert_eq!(
        audits
            .iter()
            .filter(|row| row["action"] == "updated")
            .count(),
        2
    );

    // Viewers and other accounts' teams are refused; B's team is intact.
    let (status, _) = post_as(
        &app,
        &viewer,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "members": [{"role": "user", "user_id": "x"}]}),
    )
    .await;
    assert_eq!(status, 403);
    let (_, b_team) = admin_get(&app, b, "/team/info?team_id=crew").await;
    assert_eq!(
        b_team["team_info"]["members_with_roles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let c = app.test.create_account("c").await;
    let (status, _) = admin_post(
        &app,
        c,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "members": [{"role": "user", "user_id": "x"}]}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(
        &app,
        a,
        "/team/bulk_member_add",
        json!({"team_id": "crew", "members": []}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn team_logging_callbacks_keep_their_secrets_sealed() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    for account in [a, b] {
        let (status, _) = admin_post(
            &app,
            account,
            "/team/new",
            json!({"team_id": "obs", "members_with_roles": [{"role": "user", "user_id": "mem"}]}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let member = app.add_key(a, json!({"user_id": "mem"})).await;
    let viewer = key_with_role(&app, a, "viv", "proxy_admin_viewer").await;
    let outsider = key_with_role(&app, a, "out", "internal_user").await;

    let add = json!({
        "callback_name": "langfuse",
        "callback_type": "success",
        "callback_vars": {"langfuse_public_key": "pk-lf-1", "langfuse_secret_key": "sk-lf-secret",
                          "langfuse_host": "https://lf.example"},
    });
    let (status, body) = admin_post(&app, a, "/team/obs/callback", add.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success");
    let settings = &body["data"]["metadata"]["callback_settings"];
    assert_eq!(settings["success_callback"], json!(["langfuse"]));
    assert_eq!(settings["failure_callback"], json!([]));
    assert_eq!(
        settings["callback_vars"]["langfuse_secret_key"],
        "<redacted>"
    );
    assert!(!body.to_string().contains("sk-lf-secret"));

    // Stored sealed; audited redacted.
    let stored = one(
        &app,
        &format!(
            "SELECT metadata -> 'callback_settings' -> 'callback_vars' AS vars FROM \"LiteLLM_TeamTable\"
              WHERE account_id = '{}' AND team_id = 'obs'",
            a.uuid()
        ),
    )
    .await;
    assert!(
        stored["vars"]["langfuse_secret_key"]
            .as_str()
            .unwrap()
            .starts_with("enc:v1:")
    );
    assert_eq!(stored["vars"]["langfuse_host"], "https://lf.example");
    let audits = audit_rows(&app, a, "LiteLLM_TeamTable").await;
    let last = audits.last().unwrap();
    assert_eq!(last["action"], "updated");
    assert!(!last.to_string().contains("sk-lf-secret"));
    assert!(!last.to_string().contains("enc:v1:"));

    // Written by hand through `/team/update`, a logging secret is sealed too.
    let (status, _) = admin_post(&app, a, "/team/new", json!({"team_id": "by-hand"})).await;
    assert_eq!(status, 200);
    let (status, body) = admin_post(
        &app,
        a,
        "/team/update",
        json!({"team_id": "by-hand", "metadata": {"callback_settings": {
            "success_callback": ["langfuse"],
            "callback_vars": {"langfuse_secret_key": "sk-lf-by-hand", "langfuse_host": "https://lf.example"},
        }}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stored = one(
        &app,
        &format!(
            "SELECT metadata -> 'callback_settings' -> 'callback_vars' AS vars FROM \"LiteLLM_TeamTable\"
              WHERE account_id = '{}' AND team_id = 'by-hand'",
            a.uuid()
        ),
    )
    .await;
    let sealed = stored["vars"]["langfuse_secret_key"].as_str().unwrap();
    assert!(sealed.starts_with("enc:v1:"), "{sealed}");
    assert_eq!(stored["vars"]["langfuse_host"], "https://lf.example");

    // Adding it again is refused; a failure callback of the same name is not.
    let (status, body) = admin_post(&app, a, "/team/obs/callback", add).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = admin_post(
        &app,
        a,
        "/team/obs/callback",
        json!({"callback_name": "langfuse", "callback_type": "failure", "callback_vars": {}}),
    )
    .await;
    assert_eq!(status, 200);

    // Members and viewers read (secrets redacted); outsiders do not.
    for key in [&member, &viewer] {
        let (status, body) = get_as(&app, key, "/team/obs/callback").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["success_callbacks"], json!(["langfuse"]));
        assert_eq!(body["data"]["failure_callbacks"], json!(["langfuse"]));
        assert_eq!(
            body["data"]["callback_vars"]["langfuse_public_key"],
            "pk-lf-1"
        );
        assert_eq!(
            body["data"]["callback_vars"]["langfuse_secret_key"],
            "<redacted>"
        );
    }
    let (status, _) = get_as(&app, &outsider, "/team/obs/callback").await;
    assert_eq!(status, 403);

    // Only admins change them; disabling clears both lists.
    for key in [&member, &viewer] {
        let (status, _) = call_as(
            &app,
            key,
            None,
            Method::POST,
            "/team/obs/disable_logging",
            None,
        )
        .await;
        assert_eq!(status, 403);
    }
    let (status, body) = admin_call(&app, a, Method::POST, "/team/obs/disable_logging", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Logging disabled for team obs");
    let (_, read) = admin_get(&app, a, "/team/obs/callback").await;
    assert_eq!(read["data"]["success_callbacks"], json!([]));
    assert_eq!(read["data"]["failure_callbacks"], json!([]));

    // Account B's team of the same id is another team.
    let (_, theirs) = admin_get(&app, b, "/team/obs/callback").await;
    assert_eq!(theirs["data"]["success_callbacks"], json!([]));
    let c = app.test.create_account("c").await;
    for (method, path) in [
        (Method::GET, "/team/obs/callback"),
        (Method::POST, "/team/obs/disable_logging"),
    ] {
        let (status, _) = admin_call(&app, c, method, path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = admin_post(
        &app,
        c,
        "/team/obs/callback",
        json!({"callback_name": "langsmith", "callback_vars": {}}),
    )
    .await;
    assert_eq!(status, 404);
}
