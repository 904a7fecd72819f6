//! `/guardrails*`: definitions stored and listed in LiteLLM's shape, their
//! secrets sealed and masked, each change audited, and nothing reachable
//! from another account.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    actions, admin_delete, admin_get, admin_patch, admin_post, admin_put, audit_rows, call_as,
    get_as, key_with_role, post_as, two_accounts,
};
use crate::common::app::TestApp;

const SECRET: &str = "sk-guard-secret-1234";

fn guardrail(name: &str, mode: Value) -> Value {
    json!({"guardrail": {
        "guardrail_name": name,
        "litellm_params": {"guardrail": "lakera", "mode": mode, "default_on": true, "api_key": SECRET},
        "guardrail_info": {"description": "prompt injection"},
    }})
}

#[tokio::test]
async fn guardrails_are_stored_listed_changed_and_audited() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("guardrails").await;
    let (status, created) = admin_post(
        &app,
        account,
        "/guardrails",
        guardrail("injection", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["guardrail_id"].as_str().unwrap().to_owned();
    assert_eq!(created["guardrail_name"], "injection");
    assert_eq!(created["litellm_params"]["api_key"], "sk****34");
    assert_eq!(created["guardrail_definition_location"], "db");
    let stored = app
        .rows("SELECT litellm_params FROM \"LiteLLM_GuardrailsTable\"")
        .await;
    assert!(
        stored[0]["litellm_params"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("enc:v1:")
    );

    for path in ["/guardrails/list", "/v2/guardrails/list"] {
        let (status, listed) = admin_get(&app, account, path).await;
        assert_eq!(status, 200, "{listed}");
        let first = &listed["guardrails"][0];
        assert_eq!(first["guardrail_id"], id.as_str());
        assert_eq!(first["guardrail_name"], "injection");
        assert_eq!(first["litellm_params"]["mode"], "pre_call");
        assert_eq!(first["guardrail_info"]["description"], "prompt injection");
        assert_eq!(first["guardrail_definition_location"], "db");
        assert!(!listed.to_string().contains(SECRET));
    }
    for path in [
        format!("/guardrails/{id}"),
        format!("/guardrails/{id}/info"),
    ] {
        let (status, one) = admin_get(&app, account, &path).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one["guardrail_name"], "injection");
    }

    let (status, replaced) = admin_put(
        &app,
        account,
        &format!("/guardrails/{id}"),
        guardrail("injection-v2", json!(["pre_call", "post_call"])),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["guardrail_name"], "injection-v2");
    assert_eq!(
        replaced["litellm_params"]["mode"],
        json!(["pre_call", "post_call"])
    );
    let (status, patched) = admin_patch(
        &app,
        account,
        &format!("/guardrails/{id}"),
        json!({"default_on": false, "guardrail_info": {"description": "changed"}}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["litellm_params"]["default_on"], false);
    assert_eq!(
        patched["litellm_params"]["guardrail"], "lakera",
        "other params are kept"
    );
    assert_eq!(patched["litellm_params"]["api_key"], "sk****34");
    assert_eq!(patched["guardrail_info"]["description"], "changed");

    let (status, deleted) = admin_delete(&app, account, &format!("/guardrails/{id}")).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["guardrail_id"], id.as_str());
    let (status, _) = admin_get(&app, account, &format!("/guardrails/{id}")).await;
    assert_eq!(status, 404);

    let audit = audit_rows(&app, account, "LiteLLM_GuardrailsTable").await;
    assert_eq!(
        actions(&audit),
        ["created", "updated", "updated", "deleted"]
    );
    assert!(audit.iter().all(|row| row["object_id"] == id.as_str()));
    assert_eq!(audit[1]["before_value"]["guardrail_name"], "injection");
    assert_eq!(audit[1]["updated_values"]["guardrail_name"], "injection-v2");
    let text = json!(audit).to_string();
    assert!(!text.contains(SECRET) && !text.contains("enc:v1:"));
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("guardrails").await;
    let cases = [
        (json!({}), 422, "guardrail"),
        (
            json!({"guardrail": {"litellm_params": {"guardrail": "lakera"}}}),
            422,
            "guardrail.guardrail_name",
        ),
        (
            json!({"guardrail": {"guardrail_name": "g"}}),
            422,
            "guardrail.litellm_params",
        ),
        (
            json!({"guardrail": {"guardrail_name": "g", "litellm_params": {"mode": "pre_call"}}}),
            422,
            "guardrail.litellm_params.guardrail",
        ),
        (
            guardrail("g", json!("sometimes")),
            400,
            "guardrail.litellm_params.mode",
        ),
    ];
    for (body, expected, param) in cases {
        let (status, answer) = admin_post(&app, account, "/guardrails", body).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let (status, _) = admin_post(
        &app,
        account,
        "/guardrails",
        guardrail("g", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin_post(
        &app,
        account,
        "/guardrails",
        guardrail("g", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 400, "names are unique in an account");
    assert_eq!(
        audit_rows(&app, account, "LiteLLM_GuardrailsTable")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn another_accounts_guardrails_are_not_found_and_only_admins_write() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    let (_, theirs) = admin_post(
        &app,
        b,
        "/guardrails",
        guardrail("theirs", json!("pre_call")),
    )
    .await;
    let id = theirs["guardrail_id"].as_str().unwrap().to_owned();

    let (status, _) = admin_get(&app, a, &format!("/guardrails/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = admin_put(
        &app,
        a,
        &format!("/guardrails/{id}"),
        guardrail("x", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_patch(
        &app,
        a,
        &format!("/guardrails/{id}"),
        json!({"default_on": false}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin_delete(&app, a, &format!("/guardrails/{id}")).await;
    assert_eq!(status, 404);
    let (_, listed) = admin_get(&app, a, "/guardrails/list").await;
    assert!(listed["guardrails"].as_array().unwrap().is_empty());
    let (status, _) = admin_post(
        &app,
        a,
        "/guardrails",
        guardrail("theirs", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 200, "names are unique per account only");

    let user = key_with_role(&app, b, "user", "internal_user").await;
    let (status, listed) = get_as(&app, &user, "/guardrails/list").await;
    assert_eq!(
        status, 200,
        "any key may list the guardrails it can ask for"
    );
    assert_eq!(listed["guardrails"].as_array().unwrap().len(), 1);
    let (status, answer) = post_as(
        &app,
        &user,
        "/guardrails",
        guardrail("mine", json!("pre_call")),
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = call_as(
        &app,
        &user,
        None,
        Method::DELETE,
        &format!("/guardrails/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 401);
}
