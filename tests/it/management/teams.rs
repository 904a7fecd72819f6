//! `/team/*`: teams with members, member budgets, metadata-held limits and
//! model aliases; membership changes; blocking; models and permissions;
//! team admins versus members versus outsiders; deletion; the proxy obeying
//! per-member limits; audit rows; and nothing reachable across accounts.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    actions, admin_call, admin_get, admin_post, audit_rows, call_as, get_as, key_with_role,
    post_as, two_accounts,
};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

async fn one(app: &TestApp, sql: &str) -> Value {
    let rows = app.rows(sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0].clone()
}

#[tokio::test]
async fn teams_carry_members_budgets_and_limits() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    let acct = account.uuid();
    let (status, team) = admin_post(&app, account, "/team/new", json!({
            "team_id": "t-1", "team_alias": "Alpha", "max_budget": 100.0, "budget_duration": "30d",
            "members_with_roles": [{"role": "admin", "user_id": "alice"}, {"role": "user", "user_email": "bob@x.io"}],
            "team_member_budget": 5.0, "team_member_rpm_limit": 7, "team_member_tpm_limit": 700,
            "model_rpm_limit": {"gpt-4o": 3}, "model_tpm_limit": {"gpt-4o": 300}, "tags": ["prod"],
            "model_aliases": {"fast": "gpt-4o-mini"}, "metadata": {"owner": "infra"},
            "object_permission": {"vector_stores": ["vs-1"]}
        }))
    .await;
    assert_eq!(status, 200, "{team}");
    assert_eq!(team["team_id"], "t-1");
    assert!(team["budget_reset_at"].is_string());
    let metadata = &team["metadata"];
    assert_eq!(metadata["owner"], "infra");
    assert_eq!(metadata["team_member_rpm_limit"], 7);
    assert_eq!(metadata["team_member_tpm_limit"], 700);
    assert_eq!(metadata["model_rpm_limit"]["gpt-4o"], 3);
    assert_eq!(metadata["model_tpm_limit"]["gpt-4o"], 300);
    assert_eq!(metadata["tags"], json!(["prod"]));
    let member_budget = metadata["team_member_budget_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(team["model_id"].is_i64());
    assert!(team["object_permission_id"].is_string());
    let members = team["members_with_roles"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(
        members[0],
        json!({"role": "admin", "user_id": "alice", "user_email": null})
    );
    assert_eq!(members[1]["user_email"], "bob@x.io");
    let bob = members[1]["user_id"].as_str().unwrap().to_owned();

    let budget = one(
        &app,
        &format!("SELECT max_budget, rpm_limit, tpm_limit, budget_duration FROM \"LiteLLM_BudgetTable\" WHERE account_id = '{acct}' AND budget_id = '{member_budget}'"),
    )
    .await;
    assert_eq!(budget["max_budget"], 5.0);
    assert_eq!(budget["rpm_limit"], 7);
    assert_eq!(budget["tpm_limit"], 700);
    assert_eq!(budget["budget_duration"], "30d");
    let users = app
        .rows(&format!(
            "SELECT user_id, user_email, user_role, teams FROM \"LiteLLM_UserTable\" WHERE account_id = '{acct}' ORDER BY user_email NULLS FIRST"
        ))
        .await;
    assert_eq!(users.len(), 2, "unknown members are created");
    assert_eq!(
        users[0],
        json!({"user_id": "alice", "user_email": null, "user_role": "internal_user", "teams": ["t-1"]})
    );
    assert_eq!(users[1]["teams"], json!(["t-1"]));
    let memberships = app
        .rows(&format!(
            "SELECT user_id, budget_id FROM \"LiteLLM_TeamMembership\" WHERE account_id = '{acct}' AND team_id = 't-1'"
        ))
        .await;
    assert_eq!(memberships.len(), 2);
    assert!(
        memberships
            .iter()
            .all(|m| m["budget_id"] == member_budget.as_str())
    );

    let (status, info) = admin_get(&app, account, "/team/info?team_id=t-1").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        info["team_info"]["team_member_budget_table"]["max_budget"],
        5.0
    );
    assert_eq!(
        info["team_info"]["litellm_model_table"]["aliases"]["fast"],
        "gpt-4o-mini"
    );
    assert_eq!(
        info["team_info"]["object_permission"]["vector_stores"],
        json!(["vs-1"])
    );
    assert_eq!(info["team_memberships"].as_array().unwrap().len(), 2);
    assert_eq!(
        info["team_memberships"][0]["litellm_budget_table"]["max_budget"],
        5.0
    );
    assert_eq!(info["keys"], json!([]));

    // Members: an existing one is refused, a new one gets a budget of their own.
    let (status, answer) = admin_post(
        &app,
        account,
        "/team/member_add",
        json!({"team_id": "t-1", "member": {"role": "user", "user_id": "alice"}}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["type"], "team_member_already_in_team");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("User already in team.")
    );
    let (status, added) = admin_post(&app, account, "/team/member_add", json!({"team_id": "t-1", "member": [{"role": "user", "user_id": "carol"}], "max_budget_in_team": 2.0}))
    .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["members_with_roles"].as_array().unwrap().len(), 3);
    assert_eq!(added["updated_users"][0]["user_id"], "carol");
    let carol_budget = added["updated_team_memberships"][0]["budget_id"]
        .as_str()
        .unwrap();
    assert_ne!(carol_budget, member_budget);

    let (status, changed) = admin_post(&app, account, "/team/member_update", json!({"team_id": "t-1", "user_id": bob, "max_budget_in_team": 3.0, "rpm_limit": 2, "role": "admin"}))
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["max_budget_in_team"], 3.0);
    let bob_membership = one(
        &app,
        &format!("SELECT m.budget_id, b.max_budget, b.rpm_limit FROM \"LiteLLM_TeamMembership\" m JOIN \"LiteLLM_BudgetTable\" b USING (account_id, budget_id) WHERE m.account_id = '{acct}' AND m.user_id = '{bob}'"),
    )
    .await;
    assert_ne!(
        bob_membership["budget_id"],
        member_budget.as_str(),
        "a budget row of bob's own"
    );
    assert_eq!(bob_membership["max_budget"], 3.0);
    assert_eq!(bob_membership["rpm_limit"], 2);
    let shared = one(
        &app,
        &format!("SELECT max_budget FROM \"LiteLLM_BudgetTable\" WHERE account_id = '{acct}' AND budget_id = '{member_budget}'"),
    )
    .await;
    assert_eq!(
        shared["max_budget"], 5.0,
        "the shared member budget is untouched"
    );

    let (status, after) = admin_post(
        &app,
        account,
        "/team/member_delete",
        json!({"team_id": "t-1", "user_id": "carol"}),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["members_with_roles"].as_array().unwrap().len(), 2);
    let carol = one(&app, &format!("SELECT teams FROM \"LiteLLM_UserTable\" WHERE account_id = '{acct}' AND user_id = 'carol'")).await;
    assert_eq!(carol["teams"], json!([]));
    let (status, answer) = admin_post(
        &app,
        account,
        "/team/member_delete",
        json!({"team_id": "t-1", "user_id": "carol"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    let (status, updated) = admin_post(&app, account, "/team/update", json!({"team_id": "t-1", "max_budget": null, "team_member_budget": 6.0, "team_member_rpm_limit": 9}))
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["team_id"], "t-1");
    assert!(updated["data"]["max_budget"].is_null());
    assert_eq!(updated["data"]["metadata"]["team_member_rpm_limit"], 9);
    assert_eq!(
        updated["data"]["metadata"]["team_member_budget_id"],
        member_budget.as_str()
    );
    assert_eq!(updated["data"]["metadata"]["owner"], "infra");
    let shared = one(
        &app,
        &format!("SELECT max_budget, rpm_limit FROM \"LiteLLM_BudgetTable\" WHERE account_id = '{acct}' AND budget_id = '{member_budget}'"),
    )
    .await;
    assert_eq!(shared["max_budget"], 6.0);
    assert_eq!(shared["rpm_limit"], 9);

    let (status, blocked) =
        admin_post(&app, account, "/team/block", json!({"team_id": "t-1"})).await;
    assert_eq!(status, 200);
    assert_eq!(blocked["blocked"], true);
    let (_, unblocked) =
        admin_post(&app, account, "/team/unblock", json!({"team_id": "t-1"})).await;
    assert_eq!(unblocked["blocked"], false);

    let (_, with_models) = admin_post(
        &app,
        account,
        "/team/model/add",
        json!({"team_id": "t-1", "models": ["gpt-4o"]}),
    )
    .await;
    assert_eq!(with_models["models"], json!(["all-proxy-models", "gpt-4o"]));
    let (_, fewer) = admin_post(
        &app,
        account,
        "/team/model/delete",
        json!({"team_id": "t-1", "models": ["all-proxy-models"]}),
    )
    .await;
    assert_eq!(fewer["models"], json!(["gpt-4o"]));

    let (_, permissions) = admin_get(&app, account, "/team/permissions_list?team_id=t-1").await;
    assert_eq!(
        permissions["team_member_permissions"],
        json!(["/key/info", "/key/health"])
    );
    assert!(
        permissions["all_available_permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("/key/generate"))
    );
    let (status, granted) = admin_post(
        &app,
        account,
        "/team/permissions_update",
        json!({"team_id": "t-1", "team_member_permissions": ["/key/generate", "/key/info"]}),
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(
        granted["team_member_permissions"],
        json!(["/key/generate", "/key/info"])
    );

    let team_audit = audit_rows(&app, account, "LiteLLM_TeamTable").await;
    assert_eq!(
        actions(&team_audit),
        [
            "created",
            "updated",
            "updated",
            "updated",
            "updated",
            "blocked",
            "unblocked",
            "updated",
            "updated",
            "updated"
        ]
    );
    assert_eq!(team_audit[0]["object_id"], "t-1");
    assert!(team_audit[0]["before_value"].is_null());
    assert_eq!(team_audit[4]["before_value"]["max_budget"], 100.0);
    assert!(team_audit[4]["updated_values"]["max_budget"].is_null());
    let membership_audit = audit_rows(&app, account, "LiteLLM_TeamMembership").await;
    assert_eq!(
        actions(&membership_audit),
        ["created", "created", "created", "updated", "deleted"]
    );
    assert_eq!(membership_audit[4]["object_id"], "t-1:carol");
}

#[tokio::test]
async fn lists_show_teams_with_keys_and_memberships() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    for (id, alias, org) in [
        ("t-a", "Zulu", None),
        ("t-b", "Alpha", None),
        ("t-c", "Mike", Some("o-1")),
    ] {
        if let Some(org) = org {
            admin_post(
                &app,
                account,
                "/organization/new",
                json!({"organization_id": org, "organization_alias": org}),
            )
            .await;
        }
        let (status, answer) = admin_post(
            &app,
            account,
            "/team/new",
            json!({"team_id": id, "team_alias": alias, "organization_id": org,
                        "members_with_roles": [{"role": "user", "user_id": "dana"}]}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    app.add_key(account, json!({"team_id": "t-a", "user_id": "dana"}))
        .await;

    let (status, teams) = admin_get(&app, account, "/team/list").await;
    assert_eq!(status, 200, "{teams}");
    let aliases: Vec<&str> = teams
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team_alias"].as_str().unwrap())
        .collect();
    assert_eq!(aliases, ["Alpha", "Mike", "Zulu"]);
    assert_eq!(teams[2]["keys"].as_array().unwrap().len(), 1);
    assert_eq!(teams[2]["team_memberships"][0]["user_id"], "dana");
    let (_, in_org) = admin_get(&app, account, "/team/list?organization_id=o-1").await;
    assert_eq!(in_org.as_array().unwrap().len(), 1);
    let (_, no_org) = admin_get(
        &app,
        account,
        "/team/list?organization_id=default_organization",
    )
    .await;
    assert_eq!(no_org.as_array().unwrap().len(), 2);

    let (status, page) = admin_get(
        &app,
        account,
        "/v2/team/list?page=2&page_size=2&sort_by=team_alias",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 3);
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["teams"][0]["team_alias"], "Zulu");
    let (_, search) = admin_get(&app, account, "/v2/team/list?team_alias=LPH").await;
    assert_eq!(search["teams"][0]["team_id"], "t-b");
    let (_, of_user) = admin_get(&app, account, "/v2/team/list?user_id=dana").await;
    assert_eq!(of_user["total"], 3);

    // Teams open to join come from `litellm_settings`.
    let (status, _) = admin_get(&app, account, "/team/available").await;
    assert_eq!(status, 400);
    app.insert(
        "LiteLLM_Config",
        &json!({"account_id": account.uuid(), "param_name": "litellm_settings",
                "param_value": {"default_internal_user_params": {"available_teams": ["t-a", "t-b"]}}}),
    )
    .await;
    let (status, open) = admin_get(&app, account, "/team/available").await;
    assert_eq!(status, 200, "{open}");
    assert_eq!(open.as_array().unwrap().len(), 2);
    let erin = key_with_role(&app, account, "erin", "internal_user").await;
    app.test
        .superuser()
        .await
        .execute(
            &format!(
                "UPDATE \"LiteLLM_UserTable\" SET teams = ARRAY['t-a'] WHERE account_id = '{}' AND user_id = 'erin'",
                account.uuid()
            ),
            &[],
        )
        .await
        .unwrap();
    let (_, for_erin) = get_as(&app, &erin, "/team/available").await;
    assert_eq!(for_erin.as_array().unwrap().len(), 1);
    assert_eq!(for_erin[0]["team_id"], "t-b");
    let (status, own) = get_as(&app, &erin, "/team/list").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own, json!([]), "erin is in no team's members_with_roles");
    let (status, _) = get_as(&app, &erin, "/team/list?user_id=dana").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn deleting_a_team_takes_its_keys_and_memberships() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    let acct = account.uuid();
    admin_post(&app, account, "/team/new", json!({"team_id": "t-1", "members_with_roles": [{"role": "user", "user_id": "dana"}], "model_aliases": {"a": "b"}}))
    .await;
    let key = app
        .add_key(account, json!({"team_id": "t-1", "user_id": "dana"}))
        .await;
    let (status, deleted) =
        admin_post(&app, account, "/team/delete", json!({"team_ids": ["t-1"]})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted_teams"], json!(["t-1"]));
    let (status, _) = admin_get(&app, account, "/team/info?team_id=t-1").await;
    assert_eq!(status, 404);
    assert!(
        app.rows(&format!(
            "SELECT 1 FROM \"LiteLLM_VerificationToken\" WHERE account_id = '{acct}'"
        ))
        .await
        .is_empty()
    );
    assert!(
        app.rows(&format!(
            "SELECT 1 FROM \"LiteLLM_TeamMembership\" WHERE account_id = '{acct}'"
        ))
        .await
        .is_empty()
    );
    assert!(
        app.rows(&format!(
            "SELECT 1 FROM \"LiteLLM_ModelTable\" WHERE account_id = '{acct}'"
        ))
        .await
        .is_empty()
    );
    let dana = one(&app, &format!("SELECT teams FROM \"LiteLLM_UserTable\" WHERE account_id = '{acct}' AND user_id = 'dana'")).await;
    assert_eq!(dana["teams"], json!([]));
    one(&app, &format!("SELECT 1 FROM \"LiteLLM_DeletedTeamTable\" WHERE account_id = '{acct}' AND team_id = 't-1' AND deleted_by = 'master_key'")).await;
    one(&app, &format!("SELECT 1 FROM \"LiteLLM_DeletedVerificationToken\" WHERE account_id = '{acct}' AND token = '{}'", alchemi::secret::hash_api_key(&key))).await;
    let team_audit = audit_rows(&app, account, "LiteLLM_TeamTable").await;
    assert_eq!(actions(&team_audit), ["created", "deleted"]);
    assert_eq!(team_audit[1]["before_value"]["team_id"], "t-1");
    assert!(team_audit[1]["updated_values"].is_null());
    let (status, _) = admin_post(&app, account, "/team/delete", json!({"team_ids": ["t-1"]})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_team_in_an_organization_uses_only_its_models() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    let (status, _) = admin_post(&app, account, "/organization/new", json!({"organization_id": "o-1", "organization_alias": "Org", "models": ["gpt-4o", "anthropic/*"]}))
    .await;
    assert_eq!(status, 200);
    for (models, expected) in [
        (json!(["gpt-4o", "anthropic/claude-3"]), 200),
        (json!(["gpt-4o", "o1"]), 400),
        (json!([]), 400),
    ] {
        let (status, answer) = admin_post(
            &app,
            account,
            "/team/new",
            json!({"organization_id": "o-1", "models": models}),
        )
        .await;
        assert_eq!(status, expected, "{models}: {answer}");
        if expected == 400 {
            assert_eq!(answer["error"]["param"], "models");
        }
    }
    let (status, answer) = admin_post(
        &app,
        account,
        "/team/new",
        json!({"organization_id": "nope"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    // Moving a team in checks its models too.
    admin_post(
        &app,
        account,
        "/team/new",
        json!({"team_id": "free", "models": ["o1"]}),
    )
    .await;
    let (status, _) = admin_post(
        &app,
        account,
        "/team/update",
        json!({"team_id": "free", "organization_id": "o-1"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = admin_post(
        &app,
        account,
        "/team/update",
        json!({"team_id": "free", "organization_id": "o-1", "models": ["gpt-4o"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin_post(
        &app,
        account,
        "/team/model/add",
        json!({"team_id": "free", "models": ["o1"]}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn team_admins_manage_members_and_members_read() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    let alice = key_with_role(&app, account, "alice", "internal_user").await;
    let bob = key_with_role(&app, account, "bob", "internal_user").await;
    let eve = key_with_role(&app, account, "eve", "internal_user").await;
    admin_post(&app, account, "/team/new", json!({"team_id": "t-1", "members_with_roles": [{"role": "admin", "user_id": "alice"}, {"role": "user", "user_id": "bob"}]}))
    .await;
    let team_key = app.add_key(account, json!({"team_id": "t-1"})).await;

    let (status, answer) = post_as(
        &app,
        &alice,
        "/team/member_add",
        json!({"team_id": "t-1", "member": {"role": "user", "user_id": "carol"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = post_as(
        &app,
        &alice,
        "/team/member_update",
        json!({"team_id": "t-1", "user_id": "carol", "max_budget_in_team": 1.0}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post_as(
        &app,
        &alice,
        "/team/permissions_update",
        json!({"team_id": "t-1", "team_member_permissions": ["/key/generate"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = post_as(
        &app,
        &alice,
        "/team/update",
        json!({"team_id": "t-1", "max_budget": 1000.0}),
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = post_as(
        &app,
        &alice,
        "/team/model/add",
        json!({"team_id": "t-1", "models": ["x"]}),
    )
    .await;
    assert_eq!(status, 401);

    let (status, answer) = post_as(
        &app,
        &bob,
        "/team/member_add",
        json!({"team_id": "t-1", "member": {"role": "admin", "user_id": "bob2"}}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Call not allowed. User not proxy admin OR team admin.")
    );
    let (status, _) = post_as(
        &app,
        &bob,
        "/team/member_delete",
        json!({"team_id": "t-1", "user_id": "alice"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get_as(&app, &bob, "/team/permissions_list?team_id=t-1").await;
    assert_eq!(status, 403);
    let (status, info) = get_as(&app, &bob, "/team/info?team_id=t-1").await;
    assert_eq!(status, 200, "{info}");
    let (status, info) = get_as(&app, &team_key, "/team/info?team_id=t-1").await;
    assert_eq!(status, 200, "a key of the team reads it: {info}");
    let (status, answer) = get_as(&app, &eve, "/team/info?team_id=t-1").await;
    assert_eq!(status, 403, "{answer}");
    for (method, path, body) in [
        (Method::POST, "/team/new", Some(json!({}))),
        (
            Method::POST,
            "/team/delete",
            Some(json!({"team_ids": ["t-1"]})),
        ),
        (Method::POST, "/team/block", Some(json!({"team_id": "t-1"}))),
    ] {
        let (status, _) = call_as(&app, &alice, None, method, path, body).await;
        assert_eq!(status, 401, "{path}");
    }
    let viewer = key_with_role(&app, account, "viewer", "proxy_admin_viewer").await;
    let (status, _) = get_as(&app, &viewer, "/team/list").await;
    assert_eq!(status, 200);
    let (status, _) = post_as(&app, &viewer, "/team/unblock", json!({"team_id": "t-1"})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("teams").await;
    admin_post(&app, account, "/team/new", json!({"team_id": "t-1"})).await;
    for (path, body, status, param) in [
        (
            "/team/new",
            json!({"max_budget": "lots"}),
            422,
            "max_budget",
        ),
        ("/team/new", json!({"team_id": "t-1"}), 400, "team_id"),
        (
            "/team/new",
            json!({"members_with_roles": [{"role": "boss", "user_id": "x"}]}),
            422,
            "members_with_roles[0].role",
        ),
        (
            "/team/new",
            json!({"members_with_roles": [{"role": "user"}]}),
            422,
            "members_with_roles[0]",
        ),
        (
            "/team/new",
            json!({"model_rpm_limit": {"gpt-4o": "many"}}),
            422,
            "model_rpm_limit",
        ),
        (
            "/team/new",
            json!({"object_permission": {"vector_stores": "vs"}}),
            422,
            "object_permission.vector_stores",
        ),
        (
            "/team/new",
            json!({"budget_duration": "fortnight"}),
            400,
            "budget_duration",
        ),
        ("/team/update", json!({"max_budget": 1.0}), 422, "team_id"),
        (
            "/team/new",
            json!({"team_member_permissions": ["/team/delete"]}),
            400,
            "team_member_permissions",
        ),
        (
            "/team/member_add",
            json!({"team_id": "t-1", "member": {"role": "user", "user_id": 7}}),
            422,
            "member.user_id",
        ),
        (
            "/team/member_update",
            json!({"team_id": "t-1", "user_id": "x", "role": "boss"}),
            400,
            "role",
        ),
        (
            "/team/model/add",
            json!({"team_id": "t-1", "models": "gpt-4o"}),
            422,
            "models",
        ),
        (
            "/team/permissions_update",
            json!({"team_id": "t-1", "team_member_permissions": ["/team/delete"]}),
            400,
            "team_member_permissions",
        ),
    ] {
        let (got, answer) = admin_post(&app, account, path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{path} {body}: {answer}");
    }
    let (status, _) = admin_get(&app, account, "/team/info").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn another_accounts_teams_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (status, _) = admin_post(&app, b, "/team/new", json!({"team_id": "theirs"})).await;
    assert_eq!(status, 200);
    for (method, path, body) in [
        (Method::GET, "/team/info?team_id=theirs", None),
        (Method::GET, "/team/permissions_list?team_id=theirs", None),
        (
            Method::POST,
            "/team/update",
            Some(json!({"team_id": "theirs", "max_budget": 1.0})),
        ),
        (
            Method::POST,
            "/team/delete",
            Some(json!({"team_ids": ["theirs"]})),
        ),
        (
            Method::POST,
            "/team/block",
            Some(json!({"team_id": "theirs"})),
        ),
        (
            Method::POST,
            "/team/member_add",
            Some(json!({"team_id": "theirs", "member": {"role": "user", "user_id": "x"}})),
        ),
        (
            Method::POST,
            "/team/member_delete",
            Some(json!({"team_id": "theirs", "user_id": "x"})),
        ),
        (
            Method::POST,
            "/team/member_update",
            Some(json!({"team_id": "theirs", "user_id": "x", "role": "user"})),
        ),
        (
            Method::POST,
            "/team/model/add",
            Some(json!({"team_id": "theirs", "models": ["x"]})),
        ),
        (
            Method::POST,
            "/team/permissions_update",
            Some(json!({"team_id": "theirs", "team_member_permissions": []})),
        ),
    ] {
        let (status, answer) = admin_call(&app, a, method, path, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (_, listed) = admin_get(&app, a, "/team/list").await;
    assert_eq!(listed, json!([]));
    let (_, page) = admin_get(&app, a, "/v2/team/list").await;
    assert_eq!(page["total"], 0);
    let (_, theirs) = admin_get(&app, b, "/team/info?team_id=theirs").await;
    assert_eq!(theirs["team_info"]["blocked"], false);
}

#[tokio::test]
async fn the_proxy_applies_the_per_member_rate_limit() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("teams").await;
    app.add_model(
        account,
        "free",
        json!({"model": "openai/free-model", "api_base": mock.api_base()}),
    )
    .await;
    let (status, answer) = admin_post(&app, account, "/team/new", json!({"team_id": "t-1", "members_with_roles": [{"role": "user", "user_id": "dana"}], "team_member_rpm_limit": 1}))
    .await;
    assert_eq!(status, 200, "{answer}");
    let key = app
        .add_key(account, json!({"team_id": "t-1", "user_id": "dana"}))
        .await;
    let body = json!({"model": "free", "messages": [{"role": "user", "content": "hi"}]});
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = app
            .http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 429]);
}
