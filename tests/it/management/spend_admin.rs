//! `/global/spend/reset`, `/global/activity/exceptions*` and
//! `/spend/logs/session/ui`: the reset zeroes one account's keys and teams
//! only and audits each, failed calls are counted per day and deployment,
//! and a session lists its own calls, never another account's.

use reqwest::Method;
use serde_json::{Value, json};

use super::spend::{hash, world};
use super::{admin_call, audit_rows, call_as, key_with_role, two_accounts};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

async fn chat(app: &TestApp, key: &str) -> u16 {
    app.http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": "priced", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn global_spend_reset_zeroes_one_accounts_keys_and_teams() {
    let app = TestApp::spawn().await;
    let (a, b) = two_accounts(&app).await;
    for account in [a, b] {
        app.insert(
            "LiteLLM_TeamTable",
            &json!({"account_id": account.uuid(), "team_id": "team-r", "spend": 7.5, "max_budget": 7.5}),
        )
        .await;
    }
    let mock = MockLlm::start().await;
    let priced = json!({"model": "openai/priced-model", "api_base": mock.api_base(),
                        "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6});
    app.add_model(a, "priced", priced).await;
    let a_key = app
        .add_key(
            a,
            json!({"spend": 2.5, "max_budget": 2.5, "team_id": "team-r"}),
        )
        .await;
    // Spent up: the key and its team refuse calls.
    assert_eq!(chat(&app, &a_key).await, 400);
    let idle = app.add_key(a, json!({"spend": 0.0})).await;
    app.add_key(b, json!({"spend": 4.0})).await;
    let viewer = key_with_role(&app, a, "viv", "proxy_admin_viewer").await;
    let internal = key_with_role(&app, a, "ivy", "internal_user").await;

    for key in [&viewer, &internal] {
        let (status, body) =
            call_as(&app, key, None, Method::POST, "/global/spend/reset", None).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body) = admin_call(&app, a, Method::POST, "/global/spend/reset", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "Spend for all API Keys and Teams reset successfully", "status": "success"})
    );

    let spend = |account: alchemi::db::AccountId, table: &str| {
        format!(
            "SELECT spend, metadata ->> 'spend_epoch' AS epoch FROM \"{table}\" WHERE account_id = '{}' ORDER BY spend",
            account.uuid()
        )
    };
    let figures = |rows: Vec<Value>| -> Vec<(f64, Option<String>)> {
        rows.iter()
            .map(|row| {
                (
                    row["spend"].as_f64().unwrap(),
                    row["epoch"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    let a_keys = figures(app.rows(&spend(a, "LiteLLM_VerificationToken")).await);
    assert!(a_keys.iter().all(|(spend, _)| *spend == 0.0), "{a_keys:?}");
    assert!(a_keys.contains(&(0.0, Some("1".to_owned()))));
    let a_teams = figures(app.rows(&spend(a, "LiteLLM_TeamTable")).await);
    assert_eq!(a_teams, [(0.0, Some("1".to_owned()))]);
    // The other account is untouched.
    let b_keys = figures(app.rows(&spend(b, "LiteLLM_VerificationToken")).await);
    assert_eq!(b_keys, [(4.0, None)]);
    let b_teams = figures(app.rows(&spend(b, "LiteLLM_TeamTable")).await);
    assert_eq!(b_teams, [(7.5, None)]);

    // One audit row per row that had spend, none for the idle key, none in B.
    let keys = audit_rows(&app, a, "LiteLLM_VerificationToken").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["object_id"], hash(&a_key));
    assert_eq!(keys[0]["changed_by"], "master_key");
    assert_eq!(keys[0]["before_value"]["spend"].as_f64(), Some(2.5));
    assert_eq!(keys[0]["updated_values"]["spend"].as_f64(), Some(0.0));
    assert!(keys.iter().all(|row| row["object_id"] != hash(&idle)));
    let teams = audit_rows(&app, a, "LiteLLM_TeamTable").await;
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0]["before_value"]["spend"].as_f64(), Some(7.5));
    assert!(
        audit_rows(&app, b, "LiteLLM_VerificationToken")
            .await
            .is_empty()
    );

    // Both budget counters start again: the key is served once the change
    // has reached the gateway's caches.
    let mut status = 0;
    for _ in 0..50 {
        status = chat(&app, &a_key).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

fn sum(body: &Value) -> i64 {
    body["sum_num_rate_limit_exceptions"].as_i64().unwrap()
}

#[tokio::test]
async fn failed_calls_per_day_and_deployment_and_session_logs() {
    let w = world().await;
    let range = w.range();

    // bob's call to `broken` is the only failure of account A.
    let (status, all) = w
        .admin(
            Method::GET,
            &format!("/global/activity/exceptions?{range}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(sum(&all), 1);
    let label = chrono::NaiveDate::parse_from_str(&w.day, "%Y-%m-%d")
        .unwrap()
        .format("%b %d")
        .to_string();
    assert_eq!(
        all["daily_data"],
        json!([{"date": label, "num_rate_limit_exceptions": 1}])
    );
    let (_, priced) = w
        .admin(
            Method::GET,
            &format!("/global/activity/exceptions?{range}&model_group=priced"),
            None,
        )
        .await;
    assert_eq!(sum(&priced), 0);
    let (status, missing) = w
        .admin(
            Method::GET,
            "/global/activity/exceptions?model_group=broken",
            None,
        )
        .await;
    assert_eq!(status, 400, "{missing}");

    let (status, per_deployment) = w
        .admin(
            Method::GET,
            &format!("/global/activity/exceptions/deployment?{range}&model_group=broken"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{per_deployment}");
    let deployments = per_deployment.as_array().unwrap();
    assert_eq!(deployments.len(), 1, "{per_deployment}");
    assert_eq!(deployments[0]["api_base"], w._mock.api_base());
    assert_eq!(deployments[0]["sum_num_rate_limit_exceptions"], 1);
    assert_eq!(
        deployments[0]["daily_data"][0]["num_rate_limit_exceptions"],
        1
    );

    // Internal users count their own; account B has no failure of its own.
    let path = format!("/global/activity/exceptions?{range}");
    assert_eq!(sum(&w.get_as(&w.alice, &path).await.1), 0);
    assert_eq!(sum(&w.get_as(&w.bob, &path).await.1), 1);
    assert_eq!(sum(&w.get_as(&w.b_key, &path).await.1), 0);
    let (_, b_deployments) = w
        .get_as(
            &w.b_key,
            &format!("/global/activity/exceptions/deployment?{range}"),
        )
        .await;
    assert_eq!(b_deployments, json!([]));

    // Calls carrying a session id are listed by session, oldest first;
    // account B's calls with the same id stay in B.
    for (key, text) in [(&w.alice, "one"), (&w.alice, "two"), (&w.b_key, "b")] {
        let response = w
            .app
            .http
            .post(w.app.url("/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({
                "model": "priced", "litellm_session_id": "sess-1",
                "messages": [{"role": "user", "content": text}],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    w.app
        .wait_rows(
            "SELECT 1 FROM \"LiteLLM_SpendLogs\" WHERE session_id = 'sess-1'",
            3,
        )
        .await;
    let (status, page) = w
        .admin(
            Method::GET,
            "/spend/logs/session/ui?session_id=sess-1",
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["page"], 1);
    assert_eq!(page["page_size"], 50);
    assert_eq!(page["total_pages"], 1);
    let rows = page["data"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|row| row["session_id"] == "sess-1" && row["api_key"] == hash(&w.alice))
    );
    assert!(rows[0]["startTime"].as_str() <= rows[1]["startTime"].as_str());
    let (_, second) = w
        .admin(
            Method::GET,
            "/spend/logs/session/ui?session_id=sess-1&page=2&page_size=1",
            None,
        )
        .await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["total_pages"], 2);
    assert_eq!(second["data"][0]["request_id"], rows[1]["request_id"]);
    let (_, in_b) = w
        .get_as(&w.b_key, "/spend/logs/session/ui?session_id=sess-1")
        .await;
    assert_eq!(in_b["total"], 1);
    assert_eq!(in_b["data"][0]["api_key"], hash(&w.b_key));
    // bob, an internal user, sees none of alice's session.
    let (_, bobs) = w
        .get_as(&w.bob, "/spend/logs/session/ui?session_id=sess-1")
        .await;
    assert_eq!(bobs["total"], 0);
    let (status, _) = w.admin(Method::GET, "/spend/logs/session/ui", None).await;
    assert_eq!(status, 422);
}
