//! Budgets, rate limits and model access, over HTTP against the mock
//! provider: every level refuses in LiteLLM's words, concurrency cannot
//! overspend, resets follow a clock the test controls, and two replicas
//! sharing Redis count one limit together.

use std::time::Duration;

use alchemi::db::AccountId;
use chrono::{Duration as Span, Utc};
use futures::future::join_all;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::common::app::{TestApp, redis_url, serve_with};
use crate::common::mock_llm::MockLlm;

/// What one call of `priced` costs: 12 output tokens at 0.001, input free.
const CALL_COST: f64 = 0.012;

async fn setup() -> (TestApp, MockLlm, AccountId) {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("governance").await;
    add_models(&app, &mock, account).await;
    (app, mock, account)
}

async fn add_models(app: &TestApp, mock: &MockLlm, account: AccountId) {
    let priced = json!({
        "model": "openai/priced-model", "api_base": mock.api_base(),
        "input_cost_per_token": 0.0, "output_cost_per_token": 0.001,
    });
    app.add_model(account, "priced", priced).await;
    for (name, model) in [
        ("free", "openai/free-model"),
        ("gated", "openai/gated-stream"),
    ] {
        app.add_model(
            account,
            name,
            json!({"model": model, "api_base": mock.api_base()}),
        )
        .await;
    }
}

fn chat(model: &str) -> Value {
    json!({"model": model, "max_tokens": 12, "messages": [{"role": "user", "content": "Say hello"}]})
}

async fn call_at(app: &TestApp, url: &str, key: &str, body: &Value) -> (u16, Value, HeaderMap) {
    let response = app
        .http
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, headers)
}

async fn call(app: &TestApp, key: &str, body: &Value) -> (u16, Value, HeaderMap) {
    call_at(app, &app.url("/v1/chat/completions"), key, body).await
}

async fn add_budget(app: &TestApp, account: AccountId, id: &str, fields: Value) {
    let mut row = json!({"account_id": account.uuid(), "budget_id": id, "created_by": "t", "updated_by": "t"});
    for (name, value) in fields.as_object().unwrap() {
        row[name] = value.clone();
    }
    app.insert("LiteLLM_BudgetTable", &row).await;
}

/// Inserts rows of `account`, each `(table, fields)`.
async fn add_rows<const N: usize>(app: &TestApp, account: AccountId, rows: [(&str, Value); N]) {
    for (table, fields) in rows {
        let mut row = json!({"account_id": account.uuid()});
        for (name, value) in fields.as_object().unwrap() {
            row[name] = value.clone();
        }
        app.insert(table, &row).await;
    }
}

#[tokio::test]
async fn concurrent_calls_cannot_overspend_a_budget() {
    let (app, mock, account) = setup().await;
    let key = app
        .add_key(account, json!({"max_budget": CALL_COST * 10.0}))
        .await;
    let body = chat("priced");
    let calls = (0..50).map(|_| call(&app, &key, &body));
    let outcomes = join_all(calls).await;
    let admitted = outcomes
        .iter()
        .filter(|(status, ..)| *status == 200)
        .count();
    let refused: Vec<&Value> = outcomes
        .iter()
        .filter(|(status, ..)| *status == 400)
        .map(|(_, body, _)| body)
        .collect();
    assert_eq!(admitted, 10, "{outcomes:?}");
    assert_eq!(refused.len(), 40);
    assert!(
        refused
            .iter()
            .all(|body| body["error"]["type"] == "budget_exceeded")
    );
    assert_eq!(mock.received().len(), 10);
    // The recorded spend is exactly the budget.
    let rows = app
        .wait_rows(
            &format!(
                "SELECT 1 FROM \"LiteLLM_SpendLogs\" WHERE account_id = '{}' AND spend > 0",
                account.uuid()
            ),
            10,
        )
        .await;
    assert_eq!(rows.len(), 10);
    for _ in 0..100 {
        let spend = app
            .rows(&format!(
                "SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE account_id = '{}'",
                account.uuid()
            ))
            .await;
        if (spend[0]["spend"].as_f64().unwrap() - CALL_COST * 10.0).abs() < 1e-9 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("key spend never reached the budget");
}

#[tokio::test]
async fn every_level_refuses_in_litellms_words() {
    let (app, _mock, account) = setup().await;
    let over = json!({"max_budget": 0.0});
    add_budget(&app, account, "b-zero", over.clone()).await;
    add_rows(
        &app,
        account,
        [
            ("LiteLLM_TeamTable", json!({"team_id": "t-over", "max_budget": 0.0})),
            ("LiteLLM_UserTable", json!({"user_id": "u-over", "max_budget": 0.0})),
            ("LiteLLM_TeamTable", json!({"team_id": "t-m"})),
            ("LiteLLM_TeamMembership", json!({"team_id": "t-m", "user_id": "u-m", "budget_id": "b-zero"})),
            ("LiteLLM_OrganizationTable", json!({"organization_id": "o-1", "organization_alias": "o", "budget_id": "b-zero", "created_by": "t", "updated_by": "t"})),
            ("LiteLLM_EndUserTable", json!({"user_id": "customer-1", "budget_id": "b-zero"})),
        ],
    )
    .await;

    let cases = [
        (
            json!({"max_budget": 0.0}),
            None,
            "Budget has been exceeded! Current cost: 0, Max budget: 0",
        ),
        (
            json!({"spend": 0.5, "max_budget": 0.5}),
            None,
            "Budget has been exceeded! Current cost: 0.5, Max budget: 0.5",
        ),
        (
            json!({"model_max_budget": {"priced": {"budget_limit": 0.0}}}),
            None,
            "exceeded budget for model=priced",
        ),
        (
            json!({"team_id": "t-over"}),
            None,
            "Budget has been exceeded! Team=t-over Current cost: 0",
        ),
        (
            json!({"user_id": "u-over"}),
            None,
            "ExceededBudget: User=u-over over budget. Spend=0, Budget=0",
        ),
        (
            json!({"user_id": "u-m", "team_id": "t-m"}),
            None,
            "Budget has been exceeded! User=u-m in Team=t-m",
        ),
        (
            json!({"organization_id": "o-1"}),
            None,
            "Budget has been exceeded! Organization=o-1",
        ),
        (
            json!({}),
            Some("customer-1"),
            "ExceededBudget: End User=customer-1 over budget",
        ),
    ];
    for (fields, end_user, message) in cases {
        let key = app.add_key(account, fields.clone()).await;
        let mut body = chat("priced");
        if let Some(user) = end_user {
            body["user"] = json!(user);
        }
        let (status, answer, _) = call(&app, &key, &body).await;
        assert_eq!(status, 400, "{fields}: {answer}");
        assert_eq!(answer["error"]["type"], "budget_exceeded", "{fields}");
        let text = answer["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{fields}: {text}");
        // A model nobody prices is exempt from budgets.
        let (status, answer, _) = call(&app, &key, &{
            let mut free = body.clone();
            free["model"] = json!("free");
            free
        })
        .await;
        assert_eq!(status, 200, "{fields}: {answer}");
    }

    // The account's own budget.
    let broke = app.test.create_account("broke").await;
    add_models(&app, &_mock, broke).await;
    app.test
        .superuser()
        .await
        .execute(
            "UPDATE \"Alchemi_AccountTable\" SET max_budget = 0 WHERE account_id = $1",
            &[&broke.uuid()],
        )
        .await
        .unwrap();
    let key = app.add_key(broke, json!({})).await;
    let (status, answer, _) = call(&app, &key, &chat("priced")).await;
    assert_eq!(status, 400, "{answer}");
    let text = answer["error"]["message"].as_str().unwrap();
    assert!(text.contains(&format!("Account={broke}")), "{text}");
}

#[tokio::test]
async fn a_soft_budget_alerts_without_blocking() {
    let (app, _mock, account) = setup().await;
    add_budget(&app, account, "b-soft", json!({"soft_budget": 0.02})).await;
    let key = app.add_key(account, json!({"budget_id": "b-soft"})).await;
    for _ in 0..3 {
        let (status, answer, _) = call(&app, &key, &chat("priced")).await;
        assert_eq!(status, 200, "{answer}");
    }
    let alerts = app
        .wait_rows(
            &format!(
                "SELECT title FROM \"Alchemi_NotificationTable\" WHERE account_id = '{}' AND type = 'soft_budget_crossed'",
                account.uuid()
            ),
            1,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(alerts.len(), 1, "crossed once, alerted once: {alerts:?}");
}

#[tokio::test]
async fn a_key_rpm_limit_answers_429_with_litellms_headers() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({"rpm_limit": 3})).await;
    let hash = alchemi::secret::hash_api_key(&key);
    let (status, _, headers) = call(&app, &key, &chat("free")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-ratelimit-api_key-remaining-requests"], "2");
    assert_eq!(headers["x-ratelimit-api_key-limit-requests"], "3");
    assert_eq!(headers["x-litellm-key-rpm-limit"], "3");
    for _ in 0..2 {
        assert_eq!(call(&app, &key, &chat("free")).await.0, 200);
    }
    let (status, answer, headers) = call(&app, &key, &chat("free")).await;
    assert_eq!(status, 429, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Rate limit exceeded for api_key: {hash}. Limit type: requests. Current limit: 3, Remaining: 0. Limit resets at: "
        )),
        "{message}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(headers["rate_limit_type"], "requests");
    assert!(headers.contains_key("reset_at"));
}

#[tokio::test]
async fn every_rate_limited_level_counts_its_own_requests() {
    let (app, _mock, account) = setup().await;
    add_budget(&app, account, "b-rpm", json!({"rpm_limit": 1})).await;
    add_rows(
        &app,
        account,
        [
            ("LiteLLM_TeamTable", json!({"team_id": "t-rpm", "rpm_limit": 1})),
            ("LiteLLM_TeamTable", json!({"team_id": "t-members", "metadata": {"team_member_rpm_limit": 1}})),
            ("LiteLLM_UserTable", json!({"user_id": "u-rpm", "rpm_limit": 1})),
            ("LiteLLM_OrganizationTable", json!({"organization_id": "o-rpm", "organization_alias": "o", "budget_id": "b-rpm", "created_by": "t", "updated_by": "t"})),
            ("LiteLLM_EndUserTable", json!({"user_id": "customer-rpm", "budget_id": "b-rpm"})),
        ],
    )
    .await;
    let cases = [
        (json!({"team_id": "t-rpm"}), None, "team: t-rpm"),
        (
            json!({"team_id": "t-members", "user_id": "u-x"}),
            None,
            "team_member: t-members:u-x",
        ),
        (json!({"user_id": "u-rpm"}), None, "user: u-rpm"),
        (
            json!({"organization_id": "o-rpm"}),
            None,
            "organization: o-rpm",
        ),
        (json!({}), Some("customer-rpm"), "end_user: customer-rpm"),
        (
            json!({"metadata": {"model_rpm_limit": {"free": 1}}}),
            None,
            "model_per_key: ",
        ),
    ];
    for (fields, end_user, descriptor) in cases {
        let mut body = chat("free");
        if let Some(user) = end_user {
            body["user"] = json!(user);
        }
        let first = app.add_key(account, fields.clone()).await;
        assert_eq!(call(&app, &first, &body).await.0, 200, "{fields}");
        // A second key of the same level shares the level's window.
        let second = app.add_key(account, fields.clone()).await;
        let (status, answer, _) = call(&app, &second, &body).await;
        let check = if descriptor.starts_with("model_per_key") {
            &first
        } else {
            &second
        };
        let (status, answer) = if descriptor.starts_with("model_per_key") {
            let (status, answer, _) = call(&app, check, &body).await;
            (status, answer)
        } else {
            (status, answer)
        };
        assert_eq!(status, 429, "{fields}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("Rate limit exceeded for {descriptor}")),
            "{message}"
        );
    }

    // The account's own limit, from its metadata.
    let busy = app.test.create_account("busy").await;
    add_models(&app, &_mock, busy).await;
    app.test
        .superuser()
        .await
        .execute(
            "UPDATE \"Alchemi_AccountTable\" SET metadata = '{\"rpm_limit\": 1}' WHERE account_id = $1",
            &[&busy.uuid()],
        )
        .await
        .unwrap();
    let key = app.add_key(busy, json!({})).await;
    assert_eq!(call(&app, &key, &chat("free")).await.0, 200);
    let (status, answer, _) = call(&app, &key, &chat("free")).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("account: ")
    );
}

#[tokio::test]
async fn tokens_are_counted_from_real_usage() {
    let (app, _mock, account) = setup().await;
    add_budget(&app, account, "b-tpm", json!({"tpm_limit": 2})).await;
    add_rows(
        &app,
        account,
        [(
            "LiteLLM_EndUserTable",
            json!({"user_id": "customer-tpm", "budget_id": "b-tpm"}),
        )],
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat("free");
    body["user"] = json!("customer-tpm");
    let mut admitted = 0;
    for _ in 0..10 {
        if call(&app, &key, &body).await.0 == 200 {
            admitted += 1;
        }
    }
    // The first call uses 21 tokens of 2; everything after is refused.
    assert_eq!(admitted, 1);
    let (status, answer, _) = call(&app, &key, &body).await;
    assert_eq!(status, 429);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Limit type: tokens")
    );
}

#[tokio::test]
async fn parallel_limits_hold_while_a_call_is_running() {
    let (app, mock, account) = setup().await;
    let none = app
        .add_key(account, json!({"max_parallel_requests": 0}))
        .await;
    assert_eq!(call(&app, &none, &chat("free")).await.0, 429);

    let one = app
        .add_key(account, json!({"max_parallel_requests": 1}))
        .await;
    let mut stream_body = chat("gated");
    stream_body["stream"] = json!(true);
    let held = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&one)
        .json(&stream_body)
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 200);
    let (status, answer, _) = call(&app, &one, &chat("free")).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_parallel_requests")
    );
    mock.release();
    let _ = held.text().await.unwrap();
    let mut freed = false;
    for _ in 0..50 {
        if call(&app, &one, &chat("free")).await.0 == 200 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "the slot was never freed");
}

#[tokio::test]
async fn a_deployment_at_its_rpm_is_passed_over() {
    let (app, mock, account) = setup().await;
    for (id, rpm) in [("first", 1), ("second", 1)] {
        app.add_model(
            account,
            "limited",
            json!({"model": "openai/limited", "api_base": mock.api_base(), "rpm": rpm, "tags": [id]}),
        )
        .await;
    }
    let key = app.add_key(account, json!({})).await;
    assert_eq!(call(&app, &key, &chat("limited")).await.0, 200);
    assert_eq!(call(&app, &key, &chat("limited")).await.0, 200);
    let (status, answer, _) = call(&app, &key, &chat("limited")).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No deployments available")
    );
}

#[tokio::test]
async fn budgets_reset_on_the_clock_the_round_is_given() {
    let (app, _mock, account) = setup().await;
    let past = Utc::now() - Span::hours(2);
    let key = app
        .add_key(
            account,
            json!({"spend": 1.0, "max_budget": 1.0, "budget_duration": "1h", "budget_reset_at": past}),
        )
        .await;
    add_rows(
        &app,
        account,
        [(
            "LiteLLM_TeamTable",
            json!({"team_id": "t-later", "budget_duration": "1d"}),
        )],
    )
    .await;
    assert_eq!(call(&app, &key, &chat("priced")).await.0, 400);

    // Before the boundary nothing happens; the round runs as of a moment we choose.
    let report = alchemi::governance::reset_due(&app.test.db, past - Span::hours(1))
        .await
        .unwrap();
    assert!(report.ran);
    assert_eq!(report.reset, 0);
    assert_eq!(report.scheduled, 1, "the team gets its first boundary");
    let now = Utc::now();
    let report = alchemi::governance::reset_due(&app.test.db, now)
        .await
        .unwrap();
    assert_eq!(report.reset, 1);
    assert_eq!(report.scheduled, 0);
    let rows = app
        .rows(&format!(
            "SELECT spend, budget_reset_at FROM \"LiteLLM_VerificationToken\" WHERE account_id = '{}'",
            account.uuid()
        ))
        .await;
    assert_eq!(rows[0]["spend"], 0.0);
    let next = alchemi::governance::Period::Hours(1).next_reset(now);
    let stored: chrono::DateTime<Utc> =
        serde_json::from_value(rows[0]["budget_reset_at"].clone()).unwrap();
    assert_eq!(stored, next);
    // The reset reaches the running gateway through its change notification.
    let mut admitted = false;
    for _ in 0..100 {
        if call(&app, &key, &chat("priced")).await.0 == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted, "the reset budget never admitted a call");
}

#[tokio::test]
async fn one_instance_runs_each_reset_round() {
    let (app, _mock, account) = setup().await;
    app.add_key(
        account,
        json!({"spend": 1.0, "budget_duration": "1d", "budget_reset_at": Utc::now() - Span::hours(1)}),
    )
    .await;
    // Another instance is in the middle of its round.
    let other = app.test.superuser().await;
    other
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&alchemi::governance::RESET_LOCK],
        )
        .await
        .unwrap();
    let report = alchemi::governance::reset_due(&app.test.db, Utc::now())
        .await
        .unwrap();
    assert!(!report.ran);
    other
        .execute(
            "SELECT pg_advisory_unlock($1)",
            &[&alchemi::governance::RESET_LOCK],
        )
        .await
        .unwrap();
    let report = alchemi::governance::reset_due(&app.test.db, Utc::now())
        .await
        .unwrap();
    assert!(report.ran);
    assert_eq!(report.reset, 1);
}

#[tokio::test]
async fn model_access_follows_every_list() {
    let (app, mock, account) = setup().await;
    for (name, model) in [
        ("openai/*", "openai/*"),
        ("anthropic/claude-2", "openai/claude"),
        ("bedrock/anthropic.claude-3", "openai/claude-3"),
        ("bedrock/amazon.titan", "openai/titan"),
        ("gpt-4", "openai/gpt-4"),
        ("good-model", "openai/good"),
    ] {
        app.add_model(
            account,
            name,
            json!({"model": model, "api_base": mock.api_base()}),
        )
        .await;
    }
    add_rows(
        &app,
        account,
        [
            (
                "LiteLLM_TeamTable",
                json!({"team_id": "t-narrow", "models": ["gpt-4"]}),
            ),
            (
                "LiteLLM_UserTable",
                json!({"user_id": "u-lists", "models": ["good-model", "anthropic/*"]}),
            ),
        ],
    )
    .await;
    add_budget(&app, account, "b-org", json!({})).await;
    add_rows(
        &app,
        account,
        [
            ("LiteLLM_OrganizationTable", json!({"organization_id": "o-narrow", "organization_alias": "o", "budget_id": "b-org", "created_by": "t", "updated_by": "t", "models": ["free"]})),
            ("LiteLLM_AccessGroupTable", json!({"access_group_id": "g-1", "access_group_name": "reviewers", "access_model_names": ["good-model"]})),
        ],
    )
    .await;
    let cases = [
        (
            json!({"models": ["openai/*"]}),
            "anthropic/claude-2",
            Some("key_model_access_denied"),
        ),
        (json!({"models": ["gpt-4"]}), "gpt-4", None),
        (
            json!({"models": ["bedrock/*"]}),
            "bedrock/anthropic.claude-3",
            None,
        ),
        (
            json!({"models": ["bedrock/anthropic.*"]}),
            "bedrock/amazon.titan",
            Some("key_model_access_denied"),
        ),
        (json!({"models": []}), "gpt-4", None),
        (json!({"models": ["*"]}), "gpt-4", None),
        (json!({"models": ["all-proxy-models"]}), "good-model", None),
        (json!({"team_id": "t-narrow"}), "gpt-4", None),
        (
            json!({"team_id": "t-narrow"}),
            "good-model",
            Some("team_model_access_denied"),
        ),
        (
            json!({"team_id": "t-narrow", "models": ["good-model"]}),
            "good-model",
            Some("team_model_access_denied"),
        ),
        (
            json!({"team_id": "t-narrow", "models": ["all-team-models"]}),
            "gpt-4",
            None,
        ),
        (json!({"user_id": "u-lists"}), "anthropic/claude-2", None),
        (json!({"user_id": "u-lists"}), "good-model", None),
        (
            json!({"user_id": "u-lists"}),
            "bedrock/amazon.titan",
            Some("user_model_access_denied"),
        ),
        (
            json!({"organization_id": "o-narrow"}),
            "gpt-4",
            Some("org_model_access_denied"),
        ),
        (json!({"models": ["reviewers"]}), "good-model", None),
        (
            json!({"models": ["reviewers"]}),
            "gpt-4",
            Some("key_model_access_denied"),
        ),
        (json!({"access_group_ids": ["g-1"]}), "good-model", None),
        (
            json!({"access_group_ids": ["g-1"]}),
            "gpt-4",
            Some("key_model_access_denied"),
        ),
    ];
    for (fields, model, refusal) in cases {
        let key = app.add_key(account, fields.clone()).await;
        let (status, answer, _) = call(&app, &key, &chat(model)).await;
        match refusal {
            None => assert_eq!(status, 200, "{fields} {model}: {answer}"),
            Some(kind) => {
                assert_eq!(status, 401, "{fields} {model}: {answer}");
                assert_eq!(answer["error"]["type"], kind, "{fields} {model}");
                assert_eq!(answer["error"]["param"], "model");
            }
        }
    }
}

/// Two gateways on one database and one Redis.
async fn two_replicas(
    app: &TestApp,
    redis: &str,
) -> Vec<(
    std::net::SocketAddr,
    alchemi::server::Runtime,
    tokio::task::JoinHandle<()>,
)> {
    let mut replicas = Vec::new();
    for name in ["a", "b"] {
        let replica = serve_with(
            app.test.db.clone(),
            app.test.app_config(),
            app.default_account,
            app.spool_dir.join(name),
            Some(redis.to_owned()),
        )
        .await;
        replicas.push(replica);
    }
    replicas
}

#[tokio::test]
async fn two_replicas_sharing_redis_admit_one_limit() {
    let (app, _mock, account) = setup().await;
    let replicas = two_replicas(&app, &redis_url()).await;
    for (_, runtime, _) in &replicas {
        for _ in 0..100 {
            if runtime.state.counters().is_shared() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            runtime.state.counters().is_shared(),
            "redis never connected"
        );
    }
    let urls: Vec<String> = replicas
        .iter()
        .map(|(address, ..)| format!("http://{address}/v1/chat/completions"))
        .collect();
    let key = app.add_key(account, json!({"rpm_limit": 100})).await;
    let mut body = chat("free");
    body["mock_response"] = json!("ok");
    let mut admitted = 0;
    for round in 0..15 {
        let calls = (0..10).map(|i| call_at(&app, &urls[(round + i) % 2], &key, &body));
        admitted += join_all(calls)
            .await
            .iter()
            .filter(|(status, ..)| *status == 200)
            .count();
    }
    assert_eq!(admitted, 100, "150 calls over two replicas against rpm 100");

    // Budgets are shared too.
    let key = app
        .add_key(account, json!({"max_budget": CALL_COST * 4.0}))
        .await;
    let priced = chat("priced");
    let calls = (0..12).map(|i| call_at(&app, &urls[i % 2], &key, &priced));
    let admitted = join_all(calls)
        .await
        .iter()
        .filter(|(status, ..)| *status == 200)
        .count();
    assert_eq!(admitted, 4);
}

#[tokio::test]
async fn a_redis_outage_falls_back_to_local_counting() {
    let (app, _mock, account) = setup().await;
    // Nothing listens on port 1.
    let replicas = two_replicas(&app, "redis://127.0.0.1:1").await;
    let url = format!("http://{}/v1/chat/completions", replicas[0].0);
    let key = app.add_key(account, json!({"rpm_limit": 2})).await;
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(call_at(&app, &url, &key, &chat("free")).await.0);
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 429]);
}
