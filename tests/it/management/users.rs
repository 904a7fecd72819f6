//! `/user/*`: users with their first key, teams and organizations; reading
//! oneself versus others; password hashing; paging; deletion taking keys and
//! memberships along; audit rows; and nothing reachable across accounts.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    actions, admin_get, admin_post, audit_rows, call_as, get_as, key_with_role, post_as,
    two_accounts,
};
use crate::common::app::TestApp;

#[tokio::test]
async fn users_are_created_with_a_key_changed_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("users").await;
    let (status, created) = admin_post(&app, account, "/user/new", json!({
            "user_id": "u-1", "user_email": "Ann@Example.io", "max_budget": 10.0, "models": ["gpt-4o"],
            "budget_duration": "1d", "key_alias": "ann-first", "duration": "7d",
            "model_rpm_limit": {"gpt-4o": 5}
        }))
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["user_id"], "u-1");
    assert_eq!(created["user_role"], "internal_user");
    assert!(created.get("password").is_none());
    assert_eq!(created["metadata"]["model_rpm_limit"]["gpt-4o"], 5);
    assert!(created["budget_reset_at"].is_string());
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-"));
    assert_eq!(created["token"], alchemi::secret::hash_api_key(&key));
    assert!(created["expires"].is_string());
    let stored = app
        .rows(&format!(
            "SELECT token, user_id, key_alias, models FROM \"LiteLLM_VerificationToken\" WHERE account_id = '{}'",
            account.uuid()
        ))
        .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["token"], alchemi::secret::hash_api_key(&key));
    assert_eq!(stored[0]["key_alias"], "ann-first");
    assert_eq!(stored[0]["models"], json!(["gpt-4o"]));

    // The new key works, and reads its own user.
    let (status, own) = get_as(&app, &key, "/user/info").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["user_id"], "u-1");
    assert_eq!(own["keys"].as_array().unwrap().len(), 1);

    let (status, answer) = admin_post(
        &app,
        account,
        "/user/new",
        json!({"user_email": "ann@example.io"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["param"], "user_email");

    let (status, second) = admin_post(
        &app,
        account,
        "/user/new",
        json!({"user_id": "u-2", "auto_create_key": false, "user_role": "proxy_admin_viewer"}),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert!(second["key"].is_null());

    let (status, updated) = admin_post(&app, account, "/user/update", json!({"user_id": "u-1", "password": "correct horse", "max_budget": null, "user_alias": "Ann"}))
    .await;
    assert_eq!(status, 200, "{updated}");
    assert!(updated["max_budget"].is_null());
    assert_eq!(updated["user_alias"], "Ann");
    assert!(updated.get("password").is_none());
    assert_eq!(updated["metadata"]["model_rpm_limit"]["gpt-4o"], 5);
    let (_, merged) = admin_post(
        &app,
        account,
        "/user/update",
        json!({"user_id": "u-1", "metadata": {"team": "core"}}),
    )
    .await;
    assert_eq!(merged["metadata"]["team"], "core");
    assert_eq!(merged["metadata"]["model_rpm_limit"]["gpt-4o"], 5);
    let (_, cleared) = admin_post(
        &app,
        account,
        "/user/update",
        json!({"user_id": "u-1", "metadata": null, "models": null}),
    )
    .await;
    assert_eq!(cleared["metadata"], json!({}));
    assert_eq!(cleared["models"], json!([]));
    let phc = app
        .rows(&format!(
            "SELECT password FROM \"LiteLLM_UserTable\" WHERE account_id = '{}' AND user_id = 'u-1'",
            account.uuid()
        ))
        .await;
    let phc = phc[0]["password"].as_str().unwrap();
    assert!(phc.starts_with("$argon2"), "{phc}");
    assert!(alchemi::secret::verify_password("correct horse", phc));

    let (status, page) = admin_get(&app, account, "/user/list?page_size=1&sort_by=user_id").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["users"][0]["user_id"], "u-1");
    assert_eq!(page["users"][0]["key_count"], 1);
    assert!(page["users"][0].get("password").is_none());
    let (_, filtered) = admin_get(&app, account, "/user/list?role=proxy_admin_viewer").await;
    assert_eq!(filtered["users"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["users"][0]["user_id"], "u-2");
    let (_, by_email) = admin_get(&app, account, "/user/list?user_email=EXAMPLE").await;
    assert_eq!(by_email["total"], 1);
    let (_, by_ids) = admin_get(&app, account, "/user/list?user_ids=u-1,u-2").await;
    assert_eq!(by_ids["total"], 2);

    let (status, deleted) =
        admin_post(&app, account, "/user/delete", json!({"user_ids": ["u-1"]})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted_users"], json!(["u-1"]));
    let (status, _) = admin_get(&app, account, "/user/info?user_id=u-1").await;
    assert_eq!(status, 404);
    let mut status = 0;
    for _ in 0..40 {
        (status, _) = get_as(&app, &key, "/user/info").await;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401, "the deleted user's key is gone");
    let archived = app
        .rows(&format!(
            "SELECT token FROM \"LiteLLM_DeletedVerificationToken\" WHERE account_id = '{}'",
            account.uuid()
        ))
        .await;
    assert_eq!(archived.len(), 1);

    let users = audit_rows(&app, account, "LiteLLM_UserTable").await;
    assert_eq!(
        actions(&users),
        [
            "created", "created", "updated", "updated", "updated", "deleted"
        ]
    );
    assert_eq!(users[2]["object_id"], "u-1");
    assert_eq!(users[2]["before_value"]["user_alias"], Value::Null);
    assert_eq!(users[2]["updated_values"]["user_alias"], "Ann");
    assert_eq!(users[2]["updated_values"]["password"], "<redacted>");
    let keys = audit_rows(&app, account, "LiteLLM_VerificationToken").await;
    assert_eq!(actions(&keys), ["created", "deleted"]);
    assert_eq!(keys[0]["object_id"], alchemi::secret::hash_api_key(&key));
}

#[tokio::test]
async fn new_users_join_the_teams_and_organizations_named() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("users").await;
    admin_post(&app, account, "/team/new", json!({"team_id": "t-1"})).await;
    admin_post(
        &app,
        account,
        "/organization/new",
        json!({"organization_id": "o-1", "organization_alias": "Org"}),
    )
    .await;
    let (status, created) = admin_post(&app, account, "/user/new", json!({
            "user_id": "u-1", "teams": [{"team_id": "t-1", "user_role": "admin", "max_budget_in_team": 3.0}],
            "organizations": ["o-1"], "auto_create_key": false
        }))
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["teams"], json!(["t-1"]));
    let (_, team) = admin_get(&app, account, "/team/info?team_id=t-1").await;
    assert_eq!(
        team["team_info"]["members_with_roles"],
        json!([{"role": "admin", "user_id": "u-1", "user_email": null}])
    );
    assert_eq!(
        team["team_memberships"][0]["litellm_budget_table"]["max_budget"],
        3.0
    );
    let (_, org) = admin_get(&app, account, "/organization/info?organization_id=o-1").await;
    assert_eq!(org["members"][0]["user_id"], "u-1");
    assert_eq!(org["members"][0]["user_role"], "internal_user");

    let (_, info) = admin_get(&app, account, "/user/info?user_id=u-1").await;
    assert_eq!(info["teams"][0]["team_id"], "t-1");
    assert_eq!(info["teams"][0]["team_memberships"][0]["user_id"], "u-1");

    let (status, answer) = admin_post(
        &app,
        account,
        "/user/new",
        json!({"user_id": "u-2", "teams": ["no-such-team"]}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["param"], "teams");
    let (status, _) = admin_get(&app, account, "/user/info?user_id=u-2").await;
    assert_eq!(status, 404, "a refused creation leaves nothing behind");

    // Deleting the user takes them out of the team and the organization.
    let (status, _) = admin_post(&app, account, "/user/delete", json!({"user_ids": ["u-1"]})).await;
    assert_eq!(status, 200);
    let (_, team) = admin_get(&app, account, "/team/info?team_id=t-1").await;
    assert_eq!(team["team_info"]["members_with_roles"], json!([]));
    assert_eq!(team["team_memberships"], json!([]));
    let (_, org) = admin_get(&app, account, "/organization/info?organization_id=o-1").await;
    assert_eq!(org["members"], json!([]));
}

#[tokio::test]
async fn users_read_and_change_only_themselves() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("users").await;
    let own = key_with_role(&app, account, "me", "internal_user").await;
    let viewer = key_with_role(&app, account, "viewer", "proxy_admin_viewer").await;
    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": account.uuid(), "user_id": "other", "user_role": "internal_user"}),
    )
    .await;

    let (status, info) = get_as(&app, &own, "/user/info").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["user_id"], "me");
    let (status, answer) = get_as(&app, &own, "/user/info?user_id=other").await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("key not allowed to access this user's info")
    );
    let (status, _) = get_as(&app, &viewer, "/user/info?user_id=other").await;
    assert_eq!(status, 200);

    let (status, changed) = post_as(
        &app,
        &own,
        "/user/update",
        json!({"user_id": "me", "user_alias": "Me", "password": "pw"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    let (status, answer) = post_as(
        &app,
        &own,
        "/user/update",
        json!({"user_id": "me", "max_budget": 1000.0}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = post_as(
        &app,
        &own,
        "/user/update",
        json!({"user_id": "me", "user_role": "proxy_admin"}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "Only proxy admins can modify user roles."
    );
    let (status, _) = post_as(
        &app,
        &own,
        "/user/update",
        json!({"user_id": "other", "user_alias": "x"}),
    )
    .await;
    assert_eq!(status, 403);

    for (method, path, body) in [
        (Method::POST, "/user/new", Some(json!({}))),
        (
            Method::POST,
            "/user/delete",
            Some(json!({"user_ids": ["other"]})),
        ),
        (Method::GET, "/user/list", None),
    ] {
        let (status, answer) = call_as(&app, &own, None, method, path, body).await;
        assert_eq!(status, 401, "{path}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Authentication Error, Only proxy admin")
        );
    }
    let (status, _) = get_as(&app, &viewer, "/user/list").await;
    assert_eq!(status, 200);
    let (status, _) = post_as(&app, &viewer, "/user/new", json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = post_as(
        &app,
        &viewer,
        "/user/update",
        json!({"user_id": "viewer", "user_alias": "x"}),
    )
    .await;
    assert_eq!(status, 401, "viewers change nothing");
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("users").await;
    for (path, body, status, param) in [
        (
            "/user/new",
            json!({"max_budget": "lots"}),
            422,
            "max_budget",
        ),
        (
            "/user/new",
            json!({"user_role": "wizard"}),
            400,
            "user_role",
        ),
        (
            "/user/new",
            json!({"budget_duration": "fortnight"}),
            400,
            "budget_duration",
        ),
        ("/user/new", json!({"duration": "soon"}), 400, "duration"),
        (
            "/user/new",
            json!({"teams": [{"user_role": "admin"}]}),
            422,
            "teams",
        ),
        (
            "/user/new",
            json!({"model_rpm_limit": {"gpt-4o": "many"}}),
            422,
            "model_rpm_limit",
        ),
        ("/user/update", json!({"user_alias": "x"}), 400, "user_id"),
        ("/user/delete", json!({"user_ids": "u-1"}), 422, "user_ids"),
    ] {
        let (got, answer) = admin_post(&app, account, path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{path} {body}: {answer}");
    }
    let (status, answer) = admin_get(&app, account, "/user/list?sort_by=password").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["param"], "sort_by");
    let (status, answer) = admin_get(&app, account, "/user/list?page=first").await;
    assert_eq!(status, 422, "{answer}");
}

#[tokio::test]
async fn another_accounts_users_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (status, _) = admin_post(&app, b, "/user/new", json!({"user_id": "theirs"})).await;
    assert_eq!(status, 200);
    let (status, _) = admin_get(&app, a, "/user/info?user_id=theirs").await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(
        &app,
        a,
        "/user/update",
        json!({"user_id": "theirs", "max_budget": 1.0}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(&app, a, "/user/delete", json!({"user_ids": ["theirs"]})).await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/user/list").await;
    assert_eq!(listed["total"], 0);
    // The same id is free in account A.
    let (status, _) = admin_post(&app, a, "/user/new", json!({"user_id": "theirs"})).await;
    assert_eq!(status, 200);
    let (_, theirs) = admin_get(&app, b, "/user/info?user_id=theirs").await;
    assert_eq!(theirs["keys"].as_array().unwrap().len(), 1);
}
