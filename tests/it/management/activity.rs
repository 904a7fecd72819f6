//! Daily activity over real calls through the proxy: LiteLLM's shape with
//! exact figures, paging, internal users limited to their own spend, teams
//! and organizations, and nothing of another account.

use reqwest::Method;
use serde_json::{Value, json};

use super::admin_get;
use super::spend::{CALL, hash, world};

fn keys(object: &Value) -> Vec<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn metrics(spend: f64, requests: i64, failed: i64) -> Value {
    let succeeded = requests - failed;
    json!({
        "spend": spend,
        "prompt_tokens": 9 * succeeded,
        "completion_tokens": 12 * succeeded,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "total_tokens": 21 * succeeded,
        "successful_requests": succeeded,
        "failed_requests": failed,
        "api_requests": requests,
    })
}

#[tokio::test]
async fn user_activity_has_litellms_shape_figures_and_pages() {
    let w = world().await;
    let path = format!("/user/daily/activity?{}", w.range());
    let (status, body) = w.admin(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{body}");
    let day = &results[0];
    assert_eq!(day["date"], w.day.as_str());
    assert_eq!(day["metrics"], metrics(3.0 * CALL, 4, 1));

    let breakdown = &day["breakdown"];
    assert_eq!(
        keys(breakdown),
        [
            "api_keys",
            "endpoints",
            "entities",
            "mcp_servers",
            "model_groups",
            "models",
            "providers"
        ]
    );
    assert_eq!(
        breakdown["models"]["priced-model"]["metrics"],
        metrics(3.0 * CALL, 3, 0)
    );
    assert_eq!(
        breakdown["models"]["fail-500"]["metrics"],
        metrics(0.0, 1, 1)
    );
    let alice = hash(&w.alice);
    let bob = hash(&w.bob);
    assert_eq!(
        breakdown["models"]["priced-model"]["api_key_breakdown"][&alice],
        json!({"metrics": metrics(2.0 * CALL, 2, 0), "metadata": {"key_alias": "alice-key", "team_id": "team-1"}})
    );
    assert_eq!(keys(&breakdown["model_groups"]), ["broken", "priced"]);
    assert_eq!(
        breakdown["model_groups"]["priced"]["metrics"],
        metrics(3.0 * CALL, 3, 0)
    );
    assert_eq!(keys(&breakdown["providers"]), ["openai"]);
    assert_eq!(
        breakdown["providers"]["openai"]["metrics"],
        metrics(3.0 * CALL, 4, 1)
    );
    assert_eq!(keys(&breakdown["endpoints"]), ["/chat/completions"]);
    assert_eq!(breakdown["mcp_servers"], json!({}));
    assert_eq!(
        breakdown["api_keys"][&alice]["metrics"],
        metrics(2.0 * CALL, 2, 0)
    );
    assert_eq!(breakdown["api_keys"][&bob]["metrics"], metrics(CALL, 2, 1));
    assert_eq!(
        breakdown["api_keys"][&bob]["metadata"],
        json!({"key_alias": null, "team_id": null})
    );
    assert_eq!(keys(&breakdown["entities"]), ["alice", "bob"]);
    assert_eq!(breakdown["entities"]["bob"]["metrics"], metrics(CALL, 2, 1));

    assert_eq!(
        body["metadata"],
        json!({
            "total_spend": 3.0 * CALL, "total_prompt_tokens": 27, "total_completion_tokens": 36,
            "total_tokens": 63, "total_api_requests": 4, "total_successful_requests": 3,
            "total_failed_requests": 1, "total_cache_read_input_tokens": 0,
            "total_cache_creation_input_tokens": 0, "page": 1, "total_pages": 1, "has_more": false,
        })
    );

    // Pages cut the daily rows (alice's, bob's two); their totals add up.
    let mut spend = 0.0;
    let mut requests = 0;
    for page in 1..=3 {
        let (_, body) = w
            .admin(
                Method::GET,
                &format!("{path}&page_size=1&page={page}"),
                None,
            )
            .await;
        assert_eq!(body["metadata"]["page"], page);
        assert_eq!(body["metadata"]["total_pages"], 3);
        assert_eq!(body["metadata"]["has_more"], page < 3);
        spend += body["metadata"]["total_spend"].as_f64().unwrap();
        requests += body["metadata"]["total_api_requests"].as_i64().unwrap();
    }
    assert_eq!(spend, 3.0 * CALL);
    assert_eq!(requests, 4);

    // Filters: one user, one key, one model.
    let (_, bobs) = w
        .admin(Method::GET, &format!("{path}&user_id=bob"), None)
        .await;
    assert_eq!(bobs["metadata"]["total_api_requests"], 2);
    let (_, by_key) = w
        .admin(Method::GET, &format!("{path}&api_key={}", w.alice), None)
        .await;
    assert_eq!(by_key["metadata"]["total_spend"], 2.0 * CALL);
    let (_, by_model) = w
        .admin(Method::GET, &format!("{path}&model=fail-500"), None)
        .await;
    assert_eq!(by_model["metadata"]["total_failed_requests"], 1);
    assert_eq!(by_model["metadata"]["total_api_requests"], 1);

    // The unpaged view over the same range gives the same day.
    let aggregated = format!("/user/daily/activity/aggregated?{}", w.range());
    let (status, whole) = w.admin(Method::GET, &aggregated, None).await;
    assert_eq!(status, 200, "{whole}");
    assert_eq!(whole["results"], body["results"]);
    assert_eq!(whole["metadata"], body["metadata"]);

    // An internal user sees their own activity only, whatever they ask for.
    let (_, own) = w.get_as(&w.alice, &format!("{path}&user_id=bob")).await;
    assert_eq!(keys(&own["results"][0]["breakdown"]["entities"]), ["alice"]);
    assert_eq!(own["metadata"]["total_spend"], 2.0 * CALL);
    let (_, own) = w.get_as(&w.bob, &aggregated).await;
    assert_eq!(own["metadata"]["total_api_requests"], 2);

    // Another account sees its own calls only.
    let (_, theirs) = admin_get(&w.app, w.b, &path).await;
    assert_eq!(theirs["metadata"]["total_spend"], 2.0 * CALL);
    assert_eq!(
        keys(&theirs["results"][0]["breakdown"]["api_keys"]),
        [hash(&w.b_key).as_str()]
    );
    assert_eq!(
        keys(&theirs["results"][0]["breakdown"]["entities"]),
        ["Unassigned"]
    );

    // Bad input.
    let (status, answer) = w.admin(Method::GET, "/user/daily/activity", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Please provide start_date and end_date"
    );
    let (status, answer) = w
        .admin(Method::GET, &format!("{path}&page_size=1001"), None)
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "page_size");
    let (status, answer) = w
        .admin(
            Method::GET,
            "/user/daily/activity?start_date=May&end_date=2024-01-01",
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "start_date");
    let (status, answer) = w
        .admin(Method::GET, &format!("{path}&page=zero"), None)
        .await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("page")
    );
}

#[tokio::test]
async fn team_organization_customer_and_tag_activity() {
    let w = world().await;
    let range = w.range();

    let (status, teams) = w
        .admin(Method::GET, &format!("/team/daily/activity?{range}"), None)
        .await;
    assert_eq!(status, 200, "{teams}");
    let entities = &teams["results"][0]["breakdown"]["entities"];
    assert_eq!(keys(entities), ["team-1"]);
    assert_eq!(
        entities["team-1"]["metadata"],
        json!({"team_alias": "alpha"})
    );
    assert_eq!(entities["team-1"]["metrics"], metrics(2.0 * CALL, 2, 0));
    assert_eq!(teams["metadata"]["total_spend"], 2.0 * CALL);
    let (_, excluded) = w
        .admin(
            Method::GET,
            &format!("/team/daily/activity?{range}&exclude_team_ids=team-1"),
            None,
        )
        .await;
    assert_eq!(excluded["results"], json!([]));
    assert_eq!(excluded["metadata"]["total_pages"], 0);
    // A member reads their team; not someone else's; bob has no team.
    let (status, own) = w
        .get_as(
            &w.alice,
            &format!("/team/daily/activity?{range}&team_ids=team-1"),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["metadata"]["total_spend"], 2.0 * CALL);
    let (status, answer) = w
        .get_as(
            &w.alice,
            &format!("/team/daily/activity?{range}&team_ids=team-1,team-9"),
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("User does not belong to Team= team-9")
    );
    let (_, none) = w
        .get_as(&w.bob, &format!("/team/daily/activity?{range}"))
        .await;
    assert_eq!(none["results"], json!([]));
    let (_, theirs) = admin_get(
        &w.app,
        w.b,
        &format!("/team/daily/activity?{range}&team_ids=team-1"),
    )
    .await;
    assert_eq!(theirs["results"], json!([]));

    let (status, orgs) = w
        .admin(
            Method::GET,
            &format!("/organization/daily/activity?{range}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{orgs}");
    let entities = &orgs["results"][0]["breakdown"]["entities"];
    assert_eq!(
        entities["org-1"]["metadata"],
        json!({"organization_alias": "Org One"})
    );
    assert_eq!(entities["org-1"]["metrics"], metrics(2.0 * CALL, 2, 0));
    let (_, own) = w
        .get_as(&w.alice, &format!("/organization/daily/activity?{range}"))
        .await;
    assert_eq!(own["metadata"]["total_spend"], 2.0 * CALL);
    let (status, _) = w
        .get_as(
            &w.bob,
            &format!("/organization/daily/activity?{range}&organization_ids=org-1"),
        )
        .await;
    assert_eq!(status, 404);

    let (status, customers) = w
        .admin(
            Method::GET,
            &format!("/customer/daily/activity?{range}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{customers}");
    let entities = &customers["results"][0]["breakdown"]["entities"];
    assert_eq!(keys(entities), ["cust-1", "cust-2"]);
    assert_eq!(entities["cust-2"]["metrics"], metrics(CALL, 2, 1));
    assert_eq!(entities["cust-2"]["metadata"], json!({"alias": null}));
    let (_, one) = w
        .admin(
            Method::GET,
            &format!("/customer/daily/activity?{range}&end_user_ids=cust-1"),
            None,
        )
        .await;
    assert_eq!(one["metadata"]["total_spend"], 2.0 * CALL);
    let (status, answer) = w
        .get_as(&w.bob, &format!("/customer/daily/activity?{range}"))
        .await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = w
        .get_as(&w.viewer, &format!("/customer/daily/activity?{range}"))
        .await;
    assert_eq!(status, 200);
    let (_, theirs) = admin_get(&w.app, w.b, &format!("/customer/daily/activity?{range}")).await;
    assert_eq!(
        keys(&theirs["results"][0]["breakdown"]["entities"]),
        ["cust-b"]
    );

    let (status, tags) = w
        .admin(Method::GET, &format!("/tag/daily/activity?{range}"), None)
        .await;
    assert_eq!(status, 200, "{tags}");
    let entities = &tags["results"][0]["breakdown"]["entities"];
    assert_eq!(keys(entities), ["t1"]);
    assert_eq!(entities["t1"]["metrics"], metrics(2.0 * CALL, 2, 0));
    let (_, other) = w
        .admin(
            Method::GET,
            &format!("/tag/daily/activity?{range}&tags=t2"),
            None,
        )
        .await;
    assert_eq!(other["results"], json!([]));
    let (status, _) = w
        .get_as(&w.alice, &format!("/tag/daily/activity?{range}"))
        .await;
    assert_eq!(status, 401);
}
