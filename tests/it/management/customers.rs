//! `/customer/*` and `/end_user/*`: end users with budgets, regions and
//! default models; blocking that the proxy obeys; audit rows; and nothing
//! reachable across accounts.

use serde_json::{Value, json};

use super::{
    actions, admin_get, admin_post, audit_rows, get_as, key_with_role, post_as, two_accounts,
};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

#[tokio::test]
async fn customers_are_managed_under_both_prefixes() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("customers").await;
    app.add_model(account, "gpt-4o-eu", json!({"model": "openai/gpt-4o"}))
        .await;
    let (status, created) = admin_post(&app, account, "/customer/new", json!({"user_id": "c-1", "alias": "Shop", "max_budget": 3.0, "rpm_limit": 10, "budget_duration": "1d",
                    "allowed_model_region": "eu", "default_model": "gpt-4o-eu"}))
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["litellm_budget_table"]["max_budget"], 3.0);
    assert_eq!(created["litellm_budget_table"]["rpm_limit"], 10);
    assert!(created["litellm_budget_table"]["budget_reset_at"].is_string());
    assert_eq!(created["blocked"], false);
    let (status, answer) =
        admin_post(&app, account, "/end_user/new", json!({"user_id": "c-1"})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Customer already exists")
    );
    let (status, bare) =
        admin_post(&app, account, "/end_user/new", json!({"user_id": "c-2"})).await;
    assert_eq!(status, 200, "{bare}");
    assert!(bare["litellm_budget_table"].is_null());

    let (status, info) = admin_get(&app, account, "/end_user/info?end_user_id=c-1").await;
    assert_eq!(status, 200);
    assert_eq!(info["alias"], "Shop");
    let (status, answer) = admin_get(&app, account, "/customer/info?end_user_id=nobody").await;
    assert_eq!(status, 404);
    assert_eq!(
        answer["error"]["message"],
        "End User Id=nobody does not exist in db"
    );

    let (status, updated) = admin_post(
        &app,
        account,
        "/customer/update",
        json!({"user_id": "c-1", "max_budget": 4.0, "alias": null}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["litellm_budget_table"]["max_budget"], 4.0);
    assert_eq!(updated["budget_id"], created["budget_id"]);
    assert!(updated["alias"].is_null());
    // A budget given to c-2 by id is shared: changing c-2's budget copies it.
    let shared = created["budget_id"].as_str().unwrap();
    admin_post(
        &app,
        account,
        "/end_user/update",
        json!({"user_id": "c-2", "budget_id": shared}),
    )
    .await;
    let (_, c2) = admin_post(
        &app,
        account,
        "/end_user/update",
        json!({"user_id": "c-2", "max_budget": 9.0}),
    )
    .await;
    assert_ne!(c2["budget_id"], shared);
    assert_eq!(c2["litellm_budget_table"]["max_budget"], 9.0);
    assert_eq!(
        c2["litellm_budget_table"]["rpm_limit"], 10,
        "the copy keeps the other limits"
    );
    let (_, c1) = admin_get(&app, account, "/customer/info?end_user_id=c-1").await;
    assert_eq!(c1["litellm_budget_table"]["max_budget"], 4.0);

    let (status, blocked) = admin_post(
        &app,
        account,
        "/customer/block",
        json!({"user_ids": ["c-1", "c-new"]}),
    )
    .await;
    assert_eq!(status, 200, "{blocked}");
    assert_eq!(blocked["blocked_users"].as_array().unwrap().len(), 2);
    let (_, listed) = admin_get(&app, account, "/customer/list").await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().filter(|c| c["blocked"] == true).count() == 2);
    let (status, unblocked) = admin_post(
        &app,
        account,
        "/end_user/unblock",
        json!({"user_ids": ["c-1"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(unblocked["unblocked_users"][0]["blocked"], false);

    let (status, answer) = admin_post(
        &app,
        account,
        "/customer/delete",
        json!({"user_ids": ["c-1", "ghost"]}),
    )
    .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "End User Id(s)=ghost do not exist in db"
    );
    let (status, deleted) = admin_post(
        &app,
        account,
        "/customer/delete",
        json!({"user_ids": ["c-1", "c-2"]}),
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted_customers"], 2);
    assert_eq!(
        deleted["message"],
        "Successfully deleted customers with ids: ['c-1', 'c-2']"
    );
    let (status, _) = admin_get(&app, account, "/customer/info?end_user_id=c-1").await;
    assert_eq!(status, 404);

    let audit = audit_rows(&app, account, "LiteLLM_EndUserTable").await;
    assert_eq!(
        actions(&audit),
        [
            "created",
            "created",
            "updated",
            "updated",
            "updated",
            "blocked",
            "blocked",
            "unblocked",
            "deleted",
            "deleted"
        ]
    );
    assert!(audit.iter().any(|row| row["action"] == "blocked"
        && row["object_id"] == "c-new"
        && row["before_value"].is_null()));
    assert!(audit.iter().any(|row| row["action"] == "updated"
        && row["object_id"] == "c-1"
        && row["before_value"]["alias"] == "Shop"
        && row["updated_values"]["alias"].is_null()));
}

#[tokio::test]
async fn the_proxy_refuses_blocked_end_users() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("customers").await;
    app.add_model(
        account,
        "free",
        json!({"model": "openai/free-model", "api_base": mock.api_base()}),
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    let body = json!({"model": "free", "user": "shopper", "messages": [{"role": "user", "content": "hi"}]});
    let call = || async {
        let response = app
            .http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let (status, _) = admin_post(
        &app,
        account,
        "/customer/block",
        json!({"user_ids": ["shopper"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = call().await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is blocked")
    );
    admin_post(
        &app,
        account,
        "/customer/unblock",
        json!({"user_ids": ["shopper"]}),
    )
    .await;
    let mut status = 0;
    for _ in 0..40 {
        (status, _) = call().await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "unblocking lets the calls through again");
}

#[tokio::test]
async fn bad_input_and_roles() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("customers").await;
    for (path, body, status, param) in [
        ("/customer/new", json!({}), 422, "user_id"),
        (
            "/customer/new",
            json!({"user_id": "c", "max_budget": "lots"}),
            422,
            "max_budget",
        ),
        (
            "/customer/new",
            json!({"user_id": "c", "allowed_model_region": "mars"}),
            400,
            "allowed_model_region",
        ),
        (
            "/customer/new",
            json!({"user_id": "c", "default_model": "no-such-model"}),
            422,
            "default_model",
        ),
        (
            "/customer/new",
            json!({"user_id": "c", "budget_id": "b", "max_budget": 1.0}),
            400,
            "budget_id",
        ),
        (
            "/customer/update",
            json!({"user_id": "nobody", "alias": "x"}),
            404,
            "user_id",
        ),
        ("/customer/block", json!({"user_ids": "c"}), 422, "user_ids"),
    ] {
        let (got, answer) = admin_post(&app, account, path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{path} {body}: {answer}");
    }
    let viewer = key_with_role(&app, account, "viewer", "proxy_admin_viewer").await;
    let user = key_with_role(&app, account, "user", "internal_user").await;
    let (status, _) = get_as(&app, &viewer, "/customer/list").await;
    assert_eq!(status, 200);
    let (status, _) = post_as(&app, &viewer, "/customer/new", json!({"user_id": "c"})).await;
    assert_eq!(status, 401);
    let (status, _) = get_as(&app, &user, "/end_user/list").await;
    assert_eq!(status, 401);
    let (status, _) = post_as(&app, &user, "/end_user/block", json!({"user_ids": ["c"]})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn another_accounts_customers_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (status, _) = admin_post(
        &app,
        b,
        "/customer/new",
        json!({"user_id": "theirs", "max_budget": 1.0}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin_get(&app, a, "/customer/info?end_user_id=theirs").await;
    assert_eq!(status, 404);
    let (status, _) = admin_post(
        &app,
        a,
        "/customer/update",
        json!({"user_id": "theirs", "blocked": true}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) =
        admin_post(&app, a, "/customer/delete", json!({"user_ids": ["theirs"]})).await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/customer/list").await;
    assert_eq!(listed, json!([]));
    // Blocking an id in A creates A's own end user; B's stays unblocked.
    admin_post(&app, a, "/customer/block", json!({"user_ids": ["theirs"]})).await;
    let (_, theirs) = admin_get(&app, b, "/customer/info?end_user_id=theirs").await;
    assert_eq!(theirs["blocked"], false);
    assert_eq!(theirs["litellm_budget_table"]["max_budget"], 1.0);
}
