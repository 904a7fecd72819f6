//! `/audit/logs`, `/audit` and `/audit/{id}`: the audit trail that changes
//! made through the management API leave, filtered and paged, for admins
//! and viewers only, and never another account's.

use serde_json::{Value, json};

use super::{admin_get, admin_post, get_as, key_with_role, post_as};
use crate::common::app::TestApp;

fn actions(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_audit_trail_is_filtered_paged_and_kept_to_its_account() {
    let app = TestApp::spawn().await;
    let a = app.test.create_account("audit-a").await;
    let b = app.test.create_account("audit-b").await;
    let ann = key_with_role(&app, a, "ann", "proxy_admin").await;
    let viewer = key_with_role(&app, a, "vic", "proxy_admin_viewer").await;
    let user = key_with_role(&app, a, "ivy", "internal_user").await;

    // Four changes in A (three by the master key, one by ann), one in B.
    let budget = |id: &str| json!({"budget_id": id, "max_budget": 1.0});
    let (status, _) = admin_post(&app, a, "/budget/new", budget("b-1")).await;
    assert_eq!(status, 200);
    admin_post(
        &app,
        a,
        "/budget/update",
        json!({"budget_id": "b-1", "max_budget": 2.0}),
    )
    .await;
    admin_post(&app, a, "/budget/delete", json!({"id": "b-1"})).await;
    let (status, _) = post_as(&app, &ann, "/budget/new", budget("b-2")).await;
    assert_eq!(status, 200);
    admin_post(&app, b, "/budget/new", budget("b-theirs")).await;

    let (status, body) = admin_get(&app, a, "/audit/logs").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 4);
    assert_eq!(body["limit"], 100);
    assert_eq!(body["offset"], 0);
    assert_eq!(
        actions(&body["logs"]),
        ["created", "deleted", "updated", "created"],
        "newest first"
    );
    let newest = &body["logs"][0];
    assert_eq!(newest["changed_by"], "ann");
    assert_eq!(
        newest["changed_by_api_key"],
        alchemi::secret::hash_api_key(&ann)
    );
    assert_eq!(newest["table_name"], "LiteLLM_BudgetTable");
    assert_eq!(newest["object_id"], "b-2");
    assert_eq!(newest["updated_values"]["max_budget"], 1.0);
    assert!(newest["before_value"].is_null());
    for field in ["id", "updated_at"] {
        assert!(newest[field].is_string(), "{field}: {newest}");
    }

    let logs = |query: &str| {
        let path = format!("/audit/logs?{query}");
        let app = &app;
        async move { admin_get(app, a, &path).await }
    };
    let (_, created) = logs("action=created").await;
    assert_eq!(created["total"], 2);
    let (_, by_ann) = logs("changed_by=ann").await;
    assert_eq!(by_ann["total"], 1);
    let (_, by_table) = logs("table_name=LiteLLM_TeamTable").await;
    assert_eq!(by_table["total"], 0);
    let (_, window) = logs("limit=2&offset=1").await;
    assert_eq!(actions(&window["logs"]), ["deleted", "updated"]);
    assert_eq!(window["total"], 4);
    let (_, since) = logs("start_date=2000-01-01").await;
    assert_eq!(since["total"], 4);
    let (_, before) = logs("end_date=2000-01-01").await;
    assert_eq!(before["total"], 0);
    let (status, answer) = logs("limit=501").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["param"], "limit");
    let (status, answer) = logs("offset=-1").await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "offset");
    let (status, answer) = logs("start_date=last-week").await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "start_date");

    // LiteLLM's paged listing.
    let page = |query: &str| {
        let path = format!("/audit?{query}");
        let app = &app;
        async move { admin_get(app, a, &path).await }
    };
    let (status, first) = page("page_size=3").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 4);
    assert_eq!(first["page"], 1);
    assert_eq!(first["page_size"], 3);
    assert_eq!(first["total_pages"], 2);
    assert_eq!(first["audit_logs"].as_array().unwrap().len(), 3);
    let (_, second) = page("page_size=3&page=2").await;
    assert_eq!(actions(&second["audit_logs"]), ["created"]);
    let (_, sorted) = page("sort_by=action&sort_order=asc").await;
    assert_eq!(
        actions(&sorted["audit_logs"]),
        ["created", "created", "deleted", "updated"]
    );
    let (_, object) = page("object_id=b-1&action=updated").await;
    assert_eq!(object["total"], 1);
    assert_eq!(object["audit_logs"][0]["before_value"]["max_budget"], 1.0);
    assert_eq!(object["audit_logs"][0]["updated_values"]["max_budget"], 2.0);
    let (_, by_key) = page(&format!(
        "changed_by_api_key={}",
        alchemi::secret::hash_api_key(&ann)
    ))
    .await;
    assert_eq!(by_key["total"], 1);
    let (status, answer) = page("page_size=101").await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "page_size");
    let (status, answer) = page("sort_by=password").await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "sort_by");
    let (status, answer) = page("sort_order=sideways").await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "sort_order");

    // One entry; another account's reads as missing.
    let id = newest["id"].as_str().unwrap();
    let (status, entry) = admin_get(&app, a, &format!("/audit/{id}")).await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(&entry, newest);
    let (_, theirs) = admin_get(&app, b, "/audit/logs").await;
    assert_eq!(theirs["total"], 1);
    assert_eq!(theirs["logs"][0]["object_id"], "b-theirs");
    let their_id = theirs["logs"][0]["id"].as_str().unwrap();
    let (status, answer) = admin_get(&app, a, &format!("/audit/{their_id}")).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        format!("Audit log with ID {their_id} not found")
    );
    let (_, missing) = admin_get(&app, a, "/audit?object_id=b-theirs").await;
    assert_eq!(missing["total"], 0);

    // Viewers read the trail; internal users do not.
    let (status, _) = get_as(&app, &viewer, "/audit/logs").await;
    assert_eq!(status, 200);
    let (status, _) = get_as(&app, &viewer, &format!("/audit/{id}")).await;
    assert_eq!(status, 200);
    for path in [
        "/audit/logs".to_owned(),
        "/audit".to_owned(),
        format!("/audit/{id}"),
    ] {
        let (status, answer) = get_as(&app, &user, &path).await;
        assert_eq!(status, 401, "{path}: {answer}");
        assert_eq!(answer["error"]["type"], "auth_error");
    }
}

#[tokio::test]
async fn spend_activity_and_audit_routes_are_described() {
    let app = TestApp::spawn().await;
    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/audit/logs",
        "/audit",
        "/audit/{id}",
        "/spend/logs",
        "/spend/logs/v2",
        "/spend/logs/ui/{request_id}",
        "/spend/calculate",
        "/global/spend/report",
        "/global/activity/model",
        "/user/daily/activity",
        "/user/daily/activity/aggregated",
        "/team/daily/activity",
        "/tag/daily/activity",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is not described");
    }
}
