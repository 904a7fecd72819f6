//! `/organization/*`: organizations always backed by a budget row, members
//! with org roles and budgets of their own, org admins versus members,
//! deletion taking teams along, audit rows, and nothing reachable across
//! accounts.

use reqwest::Method;
use serde_json::json;

use super::{
    actions, admin_call, admin_get, admin_patch, admin_post, audit_rows, call_as, get_as,
    key_with_role, post_as, two_accounts,
};
use crate::common::app::TestApp;

#[tokio::test]
async fn organizations_are_managed_with_their_budgets_and_members() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("orgs").await;
    let acct = account.uuid();
    let (status, plain) = admin_post(
        &app,
        account,
        "/organization/new",
        json!({"organization_alias": "Plain"}),
    )
    .await;
    assert_eq!(status, 200, "{plain}");
    assert!(
        plain["budget_id"].is_string(),
        "a budget row is always created"
    );
    assert!(plain["litellm_budget_table"]["max_budget"].is_null());
    let (status, org) = admin_post(
        &app,
        account,
        "/organization/new",
        json!({
            "organization_id": "o-1", "organization_alias": "Acme", "models": ["gpt-4o"],
            "max_budget": 50.0, "tpm_limit": 1000, "budget_duration": "1mo",
            "model_rpm_limit": {"gpt-4o": 4}, "metadata": {"region": "eu"}
        }),
    )
    .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["litellm_budget_table"]["max_budget"], 50.0);
    assert_eq!(org["litellm_budget_table"]["tpm_limit"], 1000);
    assert_eq!(
        org["metadata"],
        json!({"region": "eu", "model_rpm_limit": {"gpt-4o": 4}})
    );
    assert_eq!(org["created_by"], "master_key");
    let budget_id = org["budget_id"].as_str().unwrap().to_owned();

    let (status, added) = admin_post(
        &app,
        account,
        "/organization/member_add",
        json!({"organization_id": "o-1", "member": [
            {"role": "org_admin", "user_id": "olga"},
            {"role": "internal_user", "user_email": "ivan@x.io"}
        ], "max_budget_in_organization": 5.0}),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["updated_users"].as_array().unwrap().len(), 2);
    assert_eq!(added["updated_users"][1]["user_email"], "ivan@x.io");
    assert!(added["updated_organization_memberships"][0]["budget_id"].is_string());
    let (status, answer) = admin_post(
        &app,
        account,
        "/organization/member_add",
        json!({"organization_id": "o-1", "member": {"role": "internal_user", "user_id": "olga"}}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    let (status, changed) = admin_patch(&app, account, "/organization/member_update", json!({"organization_id": "o-1", "user_email": "ivan@x.io", "role": "internal_user_viewer", "max_budget_in_organization": 7.0}))
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["user_role"], "internal_user_viewer");
    assert_eq!(changed["litellm_budget_table"]["max_budget"], 7.0);

    let (status, listed) = admin_get(&app, account, "/organization/list").await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|o| o["litellm_budget_table"].is_object()));
    let acme = listed
        .iter()
        .find(|o| o["organization_id"] == "o-1")
        .unwrap();
    assert_eq!(acme["members"].as_array().unwrap().len(), 2);
    assert!(acme["members"][0]["user_role"].is_string());
    let (_, filtered) = admin_get(&app, account, "/organization/list?org_alias=acm").await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);

    let (status, updated) = admin_patch(
        &app,
        account,
        "/organization/update",
        json!({"organization_id": "o-1", "organization_alias": "Acme Corp",
                    "litellm_budget_table": {"max_budget": 80.0}, "rpm_limit": 30}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["organization_alias"], "Acme Corp");
    assert_eq!(
        updated["budget_id"],
        budget_id.as_str(),
        "the organization's own budget is changed in place"
    );
    assert_eq!(updated["litellm_budget_table"]["max_budget"], 80.0);
    assert_eq!(updated["litellm_budget_table"]["rpm_limit"], 30);
    assert_eq!(updated["members"].as_array().unwrap().len(), 2);

    let (status, removed) = admin_call(
        &app,
        account,
        Method::DELETE,
        "/organization/member_delete",
        Some(json!({"organization_id": "o-1", "user_id": "olga"})),
    )
    .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["user_id"], "olga");
    let (status, _) = admin_call(
        &app,
        account,
        Method::DELETE,
        "/organization/member_delete",
        Some(json!({"organization_id": "o-1", "user_id": "olga"})),
    )
    .await;
    assert_eq!(status, 404);

    admin_post(
        &app,
        account,
        "/team/new",
        json!({"team_id": "t-1", "organization_id": "o-1", "models": ["gpt-4o"]}),
    )
    .await;
    let (_, info) = admin_get(&app, account, "/organization/info?organization_id=o-1").await;
    assert_eq!(info["teams"][0]["team_id"], "t-1");
    let (status, deleted) = admin_call(
        &app,
        account,
        Method::DELETE,
        "/organization/delete",
        Some(json!({"organization_ids": ["o-1"]})),
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted[0]["organization_id"], "o-1");
    let (status, _) = admin_get(&app, account, "/organization/info?organization_id=o-1").await;
    assert_eq!(status, 404);
    let (status, _) = admin_get(&app, account, "/team/info?team_id=t-1").await;
    assert_eq!(status, 404, "the organization's teams go with it");
    let left = app
        .rows(&format!(
            "SELECT 1 FROM \"LiteLLM_BudgetTable\" WHERE account_id = '{acct}' AND budget_id = '{budget_id}'"
        ))
        .await;
    assert!(left.is_empty(), "its unshared budget row goes too");

    let org_audit = audit_rows(&app, account, "LiteLLM_OrganizationTable").await;
    assert_eq!(
        actions(&org_audit),
        ["created", "created", "updated", "deleted"]
    );
    assert_eq!(org_audit[2]["object_id"], "o-1");
    assert_eq!(org_audit[2]["before_value"]["organization_alias"], "Acme");
    assert_eq!(
        org_audit[2]["updated_values"]["organization_alias"],
        "Acme Corp"
    );
    let member_audit = audit_rows(&app, account, "LiteLLM_OrganizationMembership").await;
    assert_eq!(
        actions(&member_audit),
        ["created", "created", "updated", "deleted", "deleted"]
    );
    let budget_audit = audit_rows(&app, account, "LiteLLM_BudgetTable").await;
    assert!(actions(&budget_audit).contains(&"updated".to_owned()));
}

#[tokio::test]
async fn org_admins_manage_members_and_members_read() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("orgs").await;
    let olga = key_with_role(&app, account, "olga", "internal_user").await;
    let ivan = key_with_role(&app, account, "ivan", "internal_user").await;
    let eve = key_with_role(&app, account, "eve", "internal_user").await;
    admin_post(
        &app,
        account,
        "/organization/new",
        json!({"organization_id": "o-1", "organization_alias": "Acme"}),
    )
    .await;
    admin_post(
        &app,
        account,
        "/organization/new",
        json!({"organization_id": "o-2", "organization_alias": "Other"}),
    )
    .await;
    admin_post(&app, account, "/organization/member_add", json!({"organization_id": "o-1", "member": [{"role": "org_admin", "user_id": "olga"}, {"role": "internal_user", "user_id": "ivan"}]}))
    .await;

    let (status, answer) = post_as(
        &app,
        &olga,
        "/organization/member_add",
        json!({"organization_id": "o-1", "member": {"role": "internal_user", "user_id": "nina"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = post_as(
        &app,
        &ivan,
        "/organization/member_add",
        json!({"organization_id": "o-1", "member": {"role": "org_admin", "user_id": "ivan2"}}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post_as(
        &app,
        &olga,
        "/organization/member_add",
        json!({"organization_id": "o-2", "member": {"role": "internal_user", "user_id": "x"}}),
    )
    .await;
    assert_eq!(status, 403, "an org admin of o-1 is nobody in o-2");
    let (status, _) = get_as(&app, &ivan, "/organization/info?organization_id=o-1").await;
    assert_eq!(status, 200);
    let (status, _) = get_as(&app, &eve, "/organization/info?organization_id=o-1").await;
    assert_eq!(status, 403);
    let (_, mine) = get_as(&app, &ivan, "/organization/list").await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let (_, none) = get_as(&app, &eve, "/organization/list").await;
    assert_eq!(none, json!([]));
    for (method, path, body) in [
        (
            Method::POST,
            "/organization/new",
            json!({"organization_alias": "x"}),
        ),
        (
            Method::PATCH,
            "/organization/update",
            json!({"organization_id": "o-1", "organization_alias": "x"}),
        ),
        (
            Method::DELETE,
            "/organization/delete",
            json!({"organization_ids": ["o-1"]}),
        ),
    ] {
        let (status, answer) = call_as(&app, &olga, None, method, path, Some(body)).await;
        assert_eq!(status, 401, "{path}: {answer}");
    }
    let viewer = key_with_role(&app, account, "viewer", "proxy_admin_viewer").await;
    let (_, all) = get_as(&app, &viewer, "/organization/list").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("orgs").await;
    admin_post(
        &app,
        account,
        "/organization/new",
        json!({"organization_id": "o-1", "organization_alias": "A"}),
    )
    .await;
    for (method, path, body, status, param) in [
        (
            Method::POST,
            "/organization/new",
            json!({}),
            422,
            "organization_alias",
        ),
        (
            Method::POST,
            "/organization/new",
            json!({"organization_alias": "A", "max_budget": -1.0}),
            400,
            "max_budget",
        ),
        (
            Method::POST,
            "/organization/new",
            json!({"organization_alias": "A", "models": "gpt-4o"}),
            422,
            "models",
        ),
        (
            Method::POST,
            "/organization/new",
            json!({"organization_alias": "A", "budget_id": "nope"}),
            400,
            "budget_id",
        ),
        (
            Method::POST,
            "/organization/new",
            json!({"organization_alias": "A", "organization_id": "o-1"}),
            400,
            "organization_id",
        ),
        (
            Method::PATCH,
            "/organization/update",
            json!({"organization_id": "o-1", "tpm_limit": 1.5}),
            422,
            "tpm_limit",
        ),
        (
            Method::POST,
            "/organization/member_add",
            json!({"organization_id": "o-1", "member": {"role": "king", "user_id": "x"}}),
            422,
            "member.role",
        ),
        (
            Method::PATCH,
            "/organization/member_update",
            json!({"organization_id": "o-1", "user_id": "x", "role": "king"}),
            400,
            "role",
        ),
        (
            Method::DELETE,
            "/organization/delete",
            json!({"organization_ids": "o-1"}),
            422,
            "organization_ids",
        ),
    ] {
        let (got, answer) = admin_call(&app, account, method, path, Some(body.clone())).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{path} {body}: {answer}");
    }
}

#[tokio::test]
async fn another_accounts_organizations_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (status, _) = admin_post(
        &app,
        b,
        "/organization/new",
        json!({"organization_id": "theirs", "organization_alias": "T"}),
    )
    .await;
    assert_eq!(status, 200);
    for (method, path, body) in [
        (
            Method::GET,
            "/organization/info?organization_id=theirs",
            None,
        ),
        (
            Method::PATCH,
            "/organization/update",
            Some(json!({"organization_id": "theirs", "organization_alias": "x"})),
        ),
        (
            Method::DELETE,
            "/organization/delete",
            Some(json!({"organization_ids": ["theirs"]})),
        ),
        (
            Method::POST,
            "/organization/member_add",
            Some(
                json!({"organization_id": "theirs", "member": {"role": "internal_user", "user_id": "x"}}),
            ),
        ),
        (
            Method::PATCH,
            "/organization/member_update",
            Some(json!({"organization_id": "theirs", "user_id": "x", "role": "internal_user"})),
        ),
        (
            Method::DELETE,
            "/organization/member_delete",
            Some(json!({"organization_id": "theirs", "user_id": "x"})),
        ),
    ] {
        let (status, answer) = admin_call(&app, a, method, path, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (_, listed) = admin_get(&app, a, "/organization/list").await;
    assert_eq!(listed, json!([]));
    let (status, answer) =
        admin_post(&app, a, "/team/new", json!({"organization_id": "theirs"})).await;
    assert_eq!(
        status, 400,
        "a team cannot join another account's organization: {answer}"
    );
}
