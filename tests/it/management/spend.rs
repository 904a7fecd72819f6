//! `/spend/*` and `/global/*` over real calls through the proxy to the mock
//! provider: each figure checked exactly, internal users limited to their
//! own spend, and nothing of another account in sight.

use alchemi::db::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::{admin_call, admin_get, get_as, key_with_role};
use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

/// One call of `priced`: 9 prompt tokens at 2^-10 plus 12 completion tokens
/// at 2^-8, exact in binary so sums compare exactly.
pub const CALL: f64 = 57.0 / 1024.0;

/// Two accounts with spend: in A, alice (internal user, team `team-1`
/// "alpha", organization `org-1`) made two calls tagged `t1` for customer
/// `cust-1`; bob (internal user, no team) one call for `cust-2` and one
/// that failed upstream. In B, one key made two calls.
pub struct World {
    pub app: TestApp,
    pub _mock: MockLlm,
    pub a: AccountId,
    pub b: AccountId,
    pub alice: String,
    pub bob: String,
    pub viewer: String,
    pub b_key: String,
    /// The UTC day the calls count towards.
    pub day: String,
}

impl World {
    /// A range around the calls' day.
    pub fn range(&self) -> String {
        let day = chrono::NaiveDate::parse_from_str(&self.day, "%Y-%m-%d").unwrap();
        format!(
            "start_date={}&end_date={}",
            day.pred_opt().unwrap(),
            day.succ_opt().unwrap()
        )
    }

    /// A management call as the master key in A.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        admin_call(&self.app, self.a, method, path, body).await
    }

    /// A GET with a virtual key.
    pub async fn get_as(&self, key: &str, path: &str) -> (u16, Value) {
        get_as(&self.app, key, path).await
    }
}

pub fn hash(key: &str) -> String {
    alchemi::secret::hash_api_key(key)
}

async fn chat(app: &TestApp, key: &str, model: &str, customer: &str, tags: &[&str]) -> u16 {
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello"}],
        "user": customer,
        "metadata": {"tags": tags},
    });
    let response = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn add_models(app: &TestApp, mock: &MockLlm, account: AccountId) {
    let priced = json!({
        "model": "openai/priced-model", "api_base": mock.api_base(),
        "input_cost_per_token": 1.0 / 1024.0, "output_cost_per_token": 1.0 / 256.0,
    });
    app.add_model(account, "priced", priced).await;
    app.add_model(
        account,
        "broken",
        json!({"model": "openai/fail-500", "api_base": mock.api_base()}),
    )
    .await;
}

/// Builds the world and waits until the spend writer has logged every call.
pub async fn world() -> World {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let a = app.test.create_account("spend-a").await;
    let b = app.test.create_account("spend-b").await;
    add_models(&app, &mock, a).await;
    add_models(&app, &mock, b).await;
    let uuid = a.uuid();
    app.insert(
        "LiteLLM_TeamTable",
        &json!({"account_id": uuid, "team_id": "team-1", "team_alias": "alpha"}),
    )
    .await;
    app.insert(
        "LiteLLM_BudgetTable",
        &json!({"account_id": uuid, "budget_id": "b-org", "created_by": "t", "updated_by": "t"}),
    )
    .await;
    app.insert(
        "LiteLLM_OrganizationTable",
        &json!({"account_id": uuid, "organization_id": "org-1", "organization_alias": "Org One",
                "budget_id": "b-org", "created_by": "t", "updated_by": "t"}),
    )
    .await;
    app.insert(
        "LiteLLM_UserTable",
        &json!({"account_id": uuid, "user_id": "alice", "user_role": "internal_user", "teams": ["team-1"],
                "organization_id": "org-1", "max_budget": 10.0, "password": "secret-hash"}),
    )
    .await;
    let alice = app
        .add_key(
            a,
            json!({"user_id": "alice", "team_id": "team-1", "organization_id": "org-1", "key_alias": "alice-key"}),
        )
        .await;
    let bob = key_with_role(&app, a, "bob", "internal_user").await;
    let viewer = key_with_role(&app, a, "vic", "proxy_admin_viewer").await;
    let b_key = app.add_key(b, json!({"key_alias": "b-key"})).await;

    assert_eq!(chat(&app, &alice, "priced", "cust-1", &["t1"]).await, 200);
    assert_eq!(chat(&app, &alice, "priced", "cust-1", &["t1"]).await, 200);
    assert_eq!(chat(&app, &bob, "priced", "cust-2", &[]).await, 200);
    assert_eq!(chat(&app, &bob, "broken", "cust-2", &[]).await, 500);
    assert_eq!(chat(&app, &b_key, "priced", "cust-b", &["t1"]).await, 200);
    assert_eq!(chat(&app, &b_key, "priced", "cust-b", &["t1"]).await, 200);

    let logged = |account: AccountId| {
        format!(
            "SELECT to_char((\"startTime\" AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day
               FROM \"LiteLLM_SpendLogs\" WHERE account_id = '{}'",
            account.uuid()
        )
    };
    let rows = app.wait_rows(&logged(a), 4).await;
    app.wait_rows(&logged(b), 2).await;
    let day = rows[0]["day"].as_str().unwrap().to_owned();
    World {
        app,
        _mock: mock,
        a,
        b,
        alice,
        bob,
        viewer,
        b_key,
        day,
    }
}

fn spend_of(rows: &Value) -> f64 {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row["spend"].as_f64().unwrap())
        .sum()
}

fn request_ids(rows: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["request_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn spend_logs_are_listed_filtered_paged_and_scoped() {
    let w = world().await;

    let (status, all) = w.admin(Method::GET, "/spend/logs", None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all.as_array().unwrap().len(), 4, "{all}");
    assert_eq!(spend_of(&all), 3.0 * CALL);
    let row = all
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["api_key"] == hash(&w.alice))
        .unwrap();
    for field in [
        "startTime",
        "endTime",
        "completionStartTime",
        "model_group",
        "custom_llm_provider",
        "metadata",
    ] {
        assert!(row.get(field).is_some(), "{field} missing from {row}");
    }
    assert_eq!(row["model_group"], "priced");
    assert_eq!(row["prompt_tokens"], 9);
    assert_eq!(row["completion_tokens"], 12);
    assert_eq!(row["total_tokens"], 21);
    assert_eq!(row["spend"], CALL);
    assert_eq!(row["user"], "alice");
    assert_eq!(row["team_id"], "team-1");
    assert_eq!(row["end_user"], "cust-1");
    assert_eq!(row["request_tags"], json!(["t1"]));
    let failed = all
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["metadata"]["status"] == "failure")
        .unwrap();
    assert_eq!(failed["spend"], 0.0);

    // By raw key, by hash, by user, by request id, and a page of one.
    let (_, by_key) = w
        .admin(
            Method::GET,
            &format!("/spend/logs?api_key={}", w.alice),
            None,
        )
        .await;
    assert_eq!(by_key.as_array().unwrap().len(), 2);
    let (_, by_hash) = w
        .admin(
            Method::GET,
            &format!("/spend/logs?api_key={}", hash(&w.alice)),
            None,
        )
        .await;
    assert_eq!(request_ids(&by_hash), request_ids(&by_key));
    let (_, by_user) = w.admin(Method::GET, "/spend/logs?user_id=bob", None).await;
    assert_eq!(by_user.as_array().unwrap().len(), 2);
    let id = row["request_id"].as_str().unwrap();
    let (_, one) = w
        .admin(Method::GET, &format!("/spend/logs?request_id={id}"), None)
        .await;
    assert_eq!(request_ids(&one), [id]);
    let (_, first) = w.admin(Method::GET, "/spend/logs?page_size=3", None).await;
    let (_, second) = w
        .admin(Method::GET, "/spend/logs?page_size=3&page=2", None)
        .await;
    assert_eq!(first.as_array().unwrap().len(), 3);
    assert_eq!(second.as_array().unwrap().len(), 1);

    // Per-day totals by default with a range; the rows with summarize=false.
    let (status, summary) = w
        .admin(Method::GET, &format!("/spend/logs?{}", w.range()), None)
        .await;
    assert_eq!(status, 200, "{summary}");
    let today = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|day| day["startTime"] == w.day)
        .unwrap();
    assert_eq!(today["spend"], 3.0 * CALL);
    assert_eq!(today["users"]["alice"], 2.0 * CALL);
    assert_eq!(today["users"]["bob"], CALL);
    assert_eq!(today[hash(&w.alice)], 2.0 * CALL);
    assert_eq!(today["models"]["priced-model"], 3.0 * CALL, "{today}");
    let (_, rows) = w
        .admin(
            Method::GET,
            &format!("/spend/logs?{}&summarize=false&user_id=alice", w.range()),
            None,
        )
        .await;
    assert_eq!(rows.as_array().unwrap().len(), 2);

    // An internal user sees their own rows only, whatever they ask for.
    let (status, mine) = w.get_as(&w.alice, "/spend/logs?user_id=bob").await;
    assert_eq!(status, 200);
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|row| row["user"] == "alice")
    );
    let (_, none) = w
        .get_as(&w.alice, &format!("/spend/logs?api_key={}", hash(&w.bob)))
        .await;
    assert_eq!(none, json!([]));

    // Another account's admin sees none of A's rows; A's admin none of B's.
    let (_, theirs) = admin_get(&w.app, w.b, "/spend/logs").await;
    assert_eq!(theirs.as_array().unwrap().len(), 2);
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["api_key"] == hash(&w.b_key))
    );
    let (_, mine) = w
        .admin(
            Method::GET,
            &format!("/spend/logs?api_key={}", w.b_key),
            None,
        )
        .await;
    assert_eq!(mine, json!([]));

    // Bad input names the parameter.
    let (status, answer) = w
        .admin(Method::GET, "/spend/logs?page_size=5000", None)
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["param"], "page_size");
    let (status, answer) = w
        .admin(Method::GET, "/spend/logs?start_date=yesterday", None)
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["param"], "start_date");
    let (status, answer) = w
        .admin(Method::GET, "/spend/logs?summarize=maybe", None)
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("summarize")
    );
}

#[tokio::test]
async fn spend_log_pages_and_details() {
    let w = world().await;
    let path = format!("/spend/logs/v2?{}&page_size=3", w.range());
    let (status, page) = w.admin(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 4);
    assert_eq!(page["page"], 1);
    assert_eq!(page["page_size"], 3);
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let (_, second) = w.admin(Method::GET, &format!("{path}&page=2"), None).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);

    let filtered = |query: &str| format!("/spend/logs/v2?{}&{query}", w.range());
    let (_, failures) = w
        .admin(Method::GET, &filtered("status_filter=failure"), None)
        .await;
    assert_eq!(failures["total"], 1);
    let (_, successes) = w
        .admin(Method::GET, &filtered("status_filter=success"), None)
        .await;
    assert_eq!(successes["total"], 3);
    let (_, team) = w
        .admin(Method::GET, &filtered("team_id=team-1"), None)
        .await;
    assert_eq!(team["total"], 2);
    let (_, alias) = w
        .admin(Method::GET, &filtered("key_alias=alice"), None)
        .await;
    assert_eq!(alias["total"], 2);
    let (_, customer) = w
        .admin(
            Method::GET,
            &filtered("end_user=cust-2&min_spend=0.01"),
            None,
        )
        .await;
    assert_eq!(customer["total"], 1);
    let (_, cheap) = w
        .admin(
            Method::GET,
            &filtered("sort_by=spend&sort_order=asc&page_size=1"),
            None,
        )
        .await;
    assert_eq!(cheap["data"][0]["spend"], 0.0);
    let (_, ui) = w
        .admin(Method::GET, &format!("/spend/logs/ui?{}", w.range()), None)
        .await;
    assert_eq!(ui["total"], 4);

    // Internal users page through their own rows.
    let (_, mine) = w
        .get_as(&w.bob, &format!("/spend/logs/v2?{}", w.range()))
        .await;
    assert_eq!(mine["total"], 2);

    // Bad input.
    let (status, answer) = w.admin(Method::GET, "/spend/logs/v2", None).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "Start date and end date are required"
    );
    let (status, answer) = w.admin(Method::GET, &filtered("page_size=101"), None).await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "page_size");
    let (status, answer) = w.admin(Method::GET, &filtered("sort_by=drop"), None).await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "sort_by");
    let (status, answer) = w
        .admin(Method::GET, &filtered("min_spend=lots"), None)
        .await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("min_spend")
    );

    // One request: its owner and the admin read it; others get 404.
    let (_, alice_rows) = w.get_as(&w.alice, "/spend/logs").await;
    let id = alice_rows[0]["request_id"].as_str().unwrap().to_owned();
    let (status, detail) = w
        .admin(Method::GET, &format!("/spend/logs/ui/{id}"), None)
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["request_id"], id.as_str());
    assert_eq!(detail["api_key"], hash(&w.alice));
    let (status, _) = w.get_as(&w.alice, &format!("/spend/logs/ui/{id}")).await;
    assert_eq!(status, 200);
    let (status, answer) = w.get_as(&w.bob, &format!("/spend/logs/ui/{id}")).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["type"], "not_found_error");
    let (_, b_rows) = admin_get(&w.app, w.b, "/spend/logs").await;
    let (_, a_rows) = w.admin(Method::GET, "/spend/logs", None).await;
    let a_ids = request_ids(&a_rows);
    let b_only = request_ids(&b_rows)
        .into_iter()
        .find(|id| !a_ids.contains(id))
        .unwrap();
    let (status, _) = w
        .admin(Method::GET, &format!("/spend/logs/ui/{b_only}"), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = admin_get(&w.app, w.b, &format!("/spend/logs/ui/{b_only}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn spend_per_key_user_and_tag_and_the_cost_of_a_call() {
    let w = world().await;

    let (status, keys) = w.admin(Method::GET, "/spend/keys", None).await;
    assert_eq!(status, 200, "{keys}");
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 3, "alice, bob and the viewer");
    assert_eq!(keys[0]["token"], hash(&w.alice));
    assert_eq!(keys[0]["spend"], 2.0 * CALL);
    assert_eq!(keys[1]["spend"], CALL);
    let (_, mine) = w.get_as(&w.bob, "/spend/keys").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["token"], hash(&w.bob));

    let (status, users) = w.admin(Method::GET, "/spend/users", None).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users[0]["user_id"], "alice");
    assert_eq!(users[0]["spend"], 2.0 * CALL);
    assert!(
        users[0].get("password").is_none(),
        "passwords never leave: {}",
        users[0]
    );
    let (_, bob) = w.admin(Method::GET, "/spend/users?user_id=bob", None).await;
    assert_eq!(bob.as_array().unwrap().len(), 1);
    assert_eq!(bob[0]["spend"], CALL);
    let (_, mine) = w.get_as(&w.alice, "/spend/users").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["user_id"], "alice");
    let (_, other) = w.get_as(&w.alice, "/spend/users?user_id=bob").await;
    assert_eq!(other, json!([]));

    let (status, tags) = w.admin(Method::GET, "/spend/tags", None).await;
    assert_eq!(status, 200, "{tags}");
    assert_eq!(
        tags,
        json!([{"individual_request_tag": "t1", "log_count": 2, "total_spend": 2.0 * CALL}])
    );
    let (_, ranged) = w
        .admin(Method::GET, &format!("/spend/tags?{}", w.range()), None)
        .await;
    assert_eq!(ranged, tags);
    let (_, bobs) = w.get_as(&w.bob, "/spend/tags").await;
    assert_eq!(bobs, json!([]));
    let (_, b_tags) = admin_get(&w.app, w.b, "/spend/tags").await;
    assert_eq!(b_tags[0]["log_count"], 2);
    assert_eq!(b_tags[0]["total_spend"], 2.0 * CALL);

    // The cost of a call: a deployment's own prices, the table's, a response.
    let ask = |body: Value| async { w.admin(Method::POST, "/spend/calculate", Some(body)).await };
    let (status, cost) =
        ask(json!({"model": "priced", "messages": [{"role": "user", "content": "12345678"}]}))
            .await;
    assert_eq!(status, 200, "{cost}");
    assert_eq!(cost, json!({"cost": 2.0 / 1024.0}));
    let (_, cost) = ask(
        json!({"model": "gpt-3.5-turbo-0301", "messages": [{"role": "user", "content": "1234"}]}),
    )
    .await;
    assert_eq!(cost["cost"], 1.5e-6);
    let response = json!({"model": "gpt-3.5-turbo-0301", "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}});
    let (_, cost) = ask(json!({"completion_response": response})).await;
    assert!(
        (cost["cost"].as_f64().unwrap() - 3.75e-5).abs() < 1e-15,
        "{cost}"
    );
    let (status, answer) = ask(json!({"model": "priced"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Bad Request - messages must be provided if 'model' is provided"
    );
    let (status, answer) = ask(json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Bad Request - Either 'model' or 'completion_response' must be provided"
    );
    let (status, answer) = ask(json!({"model": 7, "messages": []})).await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "model");
}

#[tokio::test]
async fn global_spend_views() {
    let w = world().await;

    let (status, total) = w.admin(Method::GET, "/global/spend", None).await;
    assert_eq!(status, 200, "{total}");
    assert_eq!(total, json!({"spend": 3.0 * CALL, "max_budget": 0.0}));
    let (_, alice) = w.get_as(&w.alice, "/global/spend").await;
    assert_eq!(alice, json!({"spend": 2.0 * CALL, "max_budget": 10.0}));
    let (_, b) = admin_get(&w.app, w.b, "/global/spend").await;
    assert_eq!(b["spend"], 2.0 * CALL);

    let (_, days) = w.admin(Method::GET, "/global/spend/logs", None).await;
    assert_eq!(days, json!([{"date": w.day, "spend": 3.0 * CALL}]));
    let (_, key_days) = w
        .admin(
            Method::GET,
            &format!("/global/spend/logs?api_key={}", w.bob),
            None,
        )
        .await;
    assert_eq!(
        key_days,
        json!([{"date": w.day, "spend": CALL, "api_key": hash(&w.bob)}])
    );
    let (_, own) = w.get_as(&w.alice, "/global/spend/logs").await;
    assert_eq!(
        own,
        json!([{"date": w.day, "spend": 2.0 * CALL, "api_key": hash(&w.alice), "user": "alice"}])
    );

    let (_, keys) = w.admin(Method::GET, "/global/spend/keys", None).await;
    assert_eq!(
        keys,
        json!([
            {"api_key": hash(&w.alice), "key_alias": "alice-key", "key_name": keys[0]["key_name"], "total_spend": 2.0 * CALL},
            {"api_key": hash(&w.bob), "key_alias": null, "key_name": keys[1]["key_name"], "total_spend": CALL},
        ])
    );
    assert!(keys[0]["key_name"].as_str().unwrap().starts_with("sk-..."));
    let (_, top) = w
        .admin(Method::GET, "/global/spend/keys?limit=1", None)
        .await;
    assert_eq!(top.as_array().unwrap().len(), 1);
    let (status, answer) = w
        .admin(Method::GET, "/global/spend/keys?limit=0", None)
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "limit");
    let (_, own) = w.get_as(&w.bob, "/global/spend/keys").await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["api_key"], hash(&w.bob));

    let cents = |value: f64| (value * 100.0).round() / 100.0;
    let (_, teams) = w.admin(Method::GET, "/global/spend/teams", None).await;
    assert_eq!(
        teams,
        json!({
            "daily_spend": [{"date": w.day, "alpha": cents(2.0 * CALL), "Unassigned": cents(CALL)}],
            "teams": ["Unassigned", "alpha"],
            "total_spend_per_team": [
                {"team_id": "alpha", "total_spend": cents(2.0 * CALL)},
                {"team_id": "Unassigned", "total_spend": cents(CALL)},
            ],
        })
    );
    let (_, bobs) = w.get_as(&w.bob, "/global/spend/teams").await;
    assert_eq!(bobs["teams"], json!(["Unassigned"]));

    let (_, models) = w.admin(Method::GET, "/global/spend/models", None).await;
    assert_eq!(
        models[0],
        json!({"model": "priced-model", "total_spend": 3.0 * CALL, "total_tokens": 63})
    );
    let (_, models) = w
        .admin(Method::GET, "/global/spend/models?limit=1", None)
        .await;
    assert_eq!(models.as_array().unwrap().len(), 1);

    let range = w.range();
    let (status, tags) = w
        .admin(Method::GET, &format!("/global/spend/tags?{range}"), None)
        .await;
    assert_eq!(status, 200, "{tags}");
    let rounded = (2.0 * CALL * 10_000.0).round() / 10_000.0;
    assert_eq!(
        tags,
        json!({"spend_per_tag": [{"name": "t1", "spend": rounded, "log_count": 2}]})
    );
    let (_, none) = w
        .admin(
            Method::GET,
            &format!("/global/spend/tags?{range}&tags=other"),
            None,
        )
        .await;
    assert_eq!(none, json!({"spend_per_tag": []}));
    let (status, answer) = w.admin(Method::GET, "/global/spend/tags", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Please provide start_date and end_date"
    );

    let (_, providers) = w
        .admin(
            Method::GET,
            &format!("/global/spend/provider?{range}"),
            None,
        )
        .await;
    assert_eq!(
        providers,
        json!([{"provider": "openai", "spend": 3.0 * CALL}])
    );

    let (status, customers) = w.admin(Method::POST, "/global/spend/end_users", None).await;
    assert_eq!(status, 200, "{customers}");
    assert_eq!(
        customers,
        json!([
            {"end_user": "cust-1", "total_count": 2, "total_spend": 2.0 * CALL},
            {"end_user": "cust-2", "total_count": 2, "total_spend": CALL},
        ])
    );
    let (_, by_key) = w
        .admin(
            Method::POST,
            "/global/spend/end_users",
            Some(json!({"api_key": w.bob})),
        )
        .await;
    assert_eq!(by_key.as_array().unwrap().len(), 1);
    let (status, answer) = w
        .admin(
            Method::POST,
            "/global/spend/end_users",
            Some(json!({"startTime": "soon"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "startTime");

    let label = chrono::NaiveDate::parse_from_str(&w.day, "%Y-%m-%d")
        .unwrap()
        .format("%b %d")
        .to_string();
    let (_, activity) = w
        .admin(Method::GET, &format!("/global/activity?{range}"), None)
        .await;
    assert_eq!(
        activity,
        json!({"daily_data": [{"date": label, "api_requests": 4, "total_tokens": 63}],
               "sum_api_requests": 4, "sum_total_tokens": 63})
    );
    let (_, own) = w
        .get_as(&w.alice, &format!("/global/activity?{range}"))
        .await;
    assert_eq!(own["sum_api_requests"], 2);
    let (_, by_model) = w
        .admin(
            Method::GET,
            &format!("/global/activity/model?{range}"),
            None,
        )
        .await;
    let groups: Vec<(&str, i64)> = by_model
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["model"].as_str().unwrap(),
                g["sum_api_requests"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, [("priced", 3), ("broken", 1)]);
    assert_eq!(by_model[0]["sum_total_tokens"], 63);
    assert_eq!(by_model[0]["daily_data"][0]["date"], label.as_str());
    let (status, _) = w.admin(Method::GET, "/global/activity", None).await;
    assert_eq!(status, 400);

    // B sees only its own.
    let (_, b_keys) = admin_get(&w.app, w.b, "/global/spend/keys").await;
    assert_eq!(b_keys.as_array().unwrap().len(), 1);
    assert_eq!(b_keys[0]["api_key"], hash(&w.b_key));
    let (_, b_customers) =
        admin_call(&w.app, w.b, Method::POST, "/global/spend/end_users", None).await;
    assert_eq!(
        b_customers,
        json!([{"end_user": "cust-b", "total_count": 2, "total_spend": 2.0 * CALL}])
    );
    let (_, viewer) = w.get_as(&w.viewer, "/global/spend").await;
    assert_eq!(viewer["spend"], 3.0 * CALL);
}

#[tokio::test]
async fn the_spend_report_groups_by_team_customer_and_key() {
    let w = world().await;
    let range = w.range();
    let (status, report) = w
        .admin(Method::GET, &format!("/global/spend/report?{range}"), None)
        .await;
    assert_eq!(status, 200, "{report}");
    let day = format!("{}T00:00:00+00:00", w.day);
    let alice = hash(&w.alice);
    let bob = hash(&w.bob);
    assert_eq!(
        report,
        json!([{
            "group_by_day": day,
            "teams": [
                {"team_name": "alpha", "total_spend": 2.0 * CALL, "metadata": [
                    {"model": "priced-model", "api_key": alice, "spend": 2.0 * CALL, "total_tokens": 42},
                ]},
                {"team_name": "Unassigned Team", "total_spend": CALL, "metadata": [
                    {"model": "priced-model", "api_key": bob, "spend": CALL, "total_tokens": 21},
                    // PostgreSQL writes a float zero as `0`.
                    {"model": "fail-500", "api_key": bob, "spend": 0, "total_tokens": 0},
                ]},
            ],
        }])
    );

    let (_, customers) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&group_by=customer"),
            None,
        )
        .await;
    let names: Vec<&str> = customers[0]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cust-1", "cust-2"]);
    assert_eq!(customers[0]["customers"][0]["total_spend"], 2.0 * CALL);

    let (_, keys) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&group_by=api_key"),
            None,
        )
        .await;
    assert_eq!(keys[0]["api_key"], alice.as_str());
    assert_eq!(keys[0]["total_cost"], 2.0 * CALL);
    assert_eq!(keys[0]["total_input_tokens"], 18);
    assert_eq!(keys[0]["total_output_tokens"], 24);
    assert_eq!(
        keys[0]["model_details"],
        json!([{"model": "priced-model", "total_cost": 2.0 * CALL, "total_input_tokens": 18, "total_output_tokens": 24}])
    );
    let (_, one_key) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&api_key={}", w.bob),
            None,
        )
        .await;
    assert_eq!(one_key.as_array().unwrap().len(), 1);
    assert_eq!(one_key[0]["total_cost"], CALL);
    let (_, one_user) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&internal_user_id=alice"),
            None,
        )
        .await;
    assert_eq!(one_user[0]["api_key"], alice.as_str());
    let (_, team) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&team_id=team-1&customer_id=cust-1"),
            None,
        )
        .await;
    assert_eq!(team[0]["teams"].as_array().unwrap().len(), 1);

    // An internal user's report holds their spend only; B's admin sees B's.
    let (_, own) = w
        .get_as(&w.bob, &format!("/global/spend/report?{range}"))
        .await;
    assert_eq!(own[0]["teams"].as_array().unwrap().len(), 1);
    assert_eq!(own[0]["teams"][0]["team_name"], "Unassigned Team");
    let (_, b) = admin_get(
        &w.app,
        w.b,
        &format!("/global/spend/report?{range}&group_by=api_key"),
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 1);
    assert_eq!(b[0]["api_key"], hash(&w.b_key));

    let (status, answer) = w.admin(Method::GET, "/global/spend/report", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Please provide start_date and end_date"
    );
    let (status, answer) = w
        .admin(
            Method::GET,
            &format!("/global/spend/report?{range}&group_by=planet"),
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["param"], "group_by");
}
