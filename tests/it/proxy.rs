//! The proxy over real HTTP: auth and its errors, routing to a local
//! OpenAI-compatible provider, streaming relayed as it arrives, exact cost
//! and spend bookkeeping, access checks and cache invalidation.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::common::app::{MASTER_KEY, TestApp};
use crate::common::mock_llm::MockLlm;

const SPEND_LOGS: &str = "SELECT * FROM \"LiteLLM_SpendLogs\" ORDER BY \"startTime\"";

/// An app with one account, a mock provider and a model `gpt-3.5` priced as
/// LiteLLM prices `gpt-3.5-turbo-0301` (1.5e-6 in, 2e-6 out).
async fn setup() -> (TestApp, MockLlm, alchemi::db::AccountId) {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("proxy").await;
    for (name, model) in [
        ("gpt-3.5", "openai/gpt-3.5-turbo-0301"),
        ("gated", "openai/gated-stream"),
        ("plain-stream", "openai/no-usage-stream"),
        ("broken", "openai/fail-500"),
        ("too-long", "openai/too-long"),
        ("moved", "openai/redirect"),
        ("text-embedding", "openai/text-embedding-3-small"),
    ] {
        app.add_model(
            account,
            name,
            json!({"model": model, "api_base": mock.api_base(), "api_key": "sk-provider"}),
        )
        .await;
    }
    (app, mock, account)
}

/// Adds a deployment of `model` on the mock provider, with no provider key.
async fn add_mock_model(
    app: &TestApp,
    mock: &MockLlm,
    account: alchemi::db::AccountId,
    name: &str,
    model: &str,
) {
    app.add_model(
        account,
        name,
        json!({"model": model, "api_base": mock.api_base()}),
    )
    .await;
}

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Say hello"}]})
}

async fn post(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_virtual_key_calls_the_provider_and_every_cent_is_recorded() {
    let (app, mock, account) = setup().await;
    let key = app
        .add_key(account, json!({"key_alias": "team-key", "user_id": "u1"}))
        .await;

    let response = post(&app, &key, &chat_body("gpt-3.5")).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model"], "gpt-3.5", "the requested name is re-stamped");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from the mock"
    );
    let cost: f64 = headers["x-litellm-response-cost"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((cost - 3.75e-5).abs() < 1e-10, "cost {cost}");
    assert!(headers.contains_key("x-litellm-call-id"));
    assert_eq!(headers["x-litellm-model-group"], "gpt-3.5");
    assert_eq!(headers["x-litellm-attempted-retries"], "0");

    // The provider got the upstream model and the provider key, not the virtual key.
    let received = mock.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body["model"], "gpt-3.5-turbo-0301");
    assert_eq!(received[0].headers["authorization"], "Bearer sk-provider");

    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    let log = &logs[0];
    assert_eq!(log["request_id"], "chatcmpl-mock123");
    assert_eq!(log["api_key"], alchemi::secret::hash_api_key(&key));
    assert!((log["spend"].as_f64().unwrap() - 3.75e-5).abs() < 1e-10);
    assert_eq!(
        (
            log["prompt_tokens"].as_i64(),
            log["completion_tokens"].as_i64()
        ),
        (Some(9), Some(12))
    );
    assert_eq!(log["model_group"], "gpt-3.5");
    assert_eq!(log["status"], "success");
    assert_eq!(log["user"], "u1");
    let keys = app
        .wait_rows(
            "SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE spend > 0",
            1,
        )
        .await;
    assert!((keys[0]["spend"].as_f64().unwrap() - 3.75e-5).abs() < 1e-10);
    let accounts = app
        .rows(&format!(
            "SELECT spend FROM \"Alchemi_AccountTable\" WHERE account_id = '{account}'"
        ))
        .await;
    assert!((accounts[0]["spend"].as_f64().unwrap() - 3.75e-5).abs() < 1e-10);
    let daily = app
        .wait_rows("SELECT * FROM \"LiteLLM_DailyUserSpend\"", 1)
        .await;
    assert_eq!(daily[0]["user_id"], "u1");
    assert_eq!(daily[0]["api_requests"], 1);
    assert_eq!(daily[0]["successful_requests"], 1);
}

#[tokio::test]
async fn auth_failures_answer_in_litellm_shapes() {
    let (app, _mock, account) = setup().await;
    let blocked = app.add_key(account, json!({"blocked": true})).await;
    let expired = app
        .add_key(account, json!({"expires": "2020-01-01T00:00:00Z"}))
        .await;
    let body = chat_body("gpt-3.5");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str, &str)> = vec![
        (
            app.http.post(app.url("/v1/chat/completions")),
            401,
            "auth_error",
            "No api key passed in.",
        ),
        (
            app.http
                .post(app.url("/v1/chat/completions"))
                .header("authorization", "sk-raw"),
            401,
            "auth_error",
            "Ensure Key has `Bearer ` prefix",
        ),
        (
            app.http
                .post(app.url("/v1/chat/completions"))
                .bearer_auth("abcd1234wxyz"),
            401,
            "auth_error",
            "Received=abcd****wxyz",
        ),
        (
            app.http
                .post(app.url("/v1/chat/completions"))
                .bearer_auth("sk-unknown-key"),
            401,
            "token_not_found_in_db",
            "Unable to find token",
        ),
        (
            app.http
                .post(app.url("/v1/chat/completions"))
                .bearer_auth(&blocked),
            401,
            "auth_error",
            "Key is blocked",
        ),
        (
            app.http
                .post(app.url("/v1/chat/completions"))
                .bearer_auth(&expired),
            400,
            "expired_key",
            "Expired Key",
        ),
    ];
    for (request, status, kind, message) in cases {
        let response = request.json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{message}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], kind, "{error}");
        assert_eq!(error["error"]["code"], status.to_string());
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{error}"
        );
    }
}

#[tokio::test]
async fn bad_input_gets_clear_openai_errors() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let raw = |body: &'static str| {
        app.http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
    };
    let response = raw("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid JSON"),
        "{error}"
    );

    let response = post(&app, &key, &json!({"messages": []})).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("litellm.BadRequestError"),
        "{error}"
    );
    assert_eq!(error["error"]["param"], "model");

    let response = post(&app, &key, &chat_body("no-such-model")).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid model name passed in model=no-such-model")
    );

    let huge =
        json!({"model": "gpt-3.5", "messages": [{"role": "user", "content": "x".repeat(100_000)}]});
    let response = post(&app, &key, &huge).await;
    assert_eq!(response.status(), 413);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "413");
}

#[tokio::test]
async fn streams_are_relayed_chunk_by_chunk_and_billed_from_usage() {
    let (app, mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gated");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();

    // The provider holds its last chunk back: the client must already have the first.
    let mut received = String::new();
    while !received.contains("Hello") {
        let bytes = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        received.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(!received.contains("[DONE]"));
    mock.release();
    while let Some(bytes) = stream.next().await {
        received.push_str(&String::from_utf8_lossy(&bytes.unwrap()));
    }
    assert!(received.ends_with("data: [DONE]\n\n"), "{received}");
    let chunks: Vec<Value> = received
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    assert!(
        chunks.iter().all(|c| c["model"] == "gated"),
        "chunks are re-stamped"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello world!");
    assert_eq!(
        chunks.last().unwrap()["usage"]["total_tokens"],
        21,
        "usage chunk forwarded when asked for"
    );

    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["total_tokens"], 21);
    assert!(logs[0]["completionStartTime"].is_string());
}

#[tokio::test]
async fn a_stream_without_provider_usage_is_estimated_and_usage_is_not_forced_on_clients() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("plain-stream");
    body["stream"] = json!(true);
    let text = post(&app, &key, &body).await.text().await.unwrap();
    assert!(!text.contains("\"usage\""), "{text}");
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert!(
        logs[0]["completion_tokens"].as_i64().unwrap() > 0,
        "estimated from streamed text"
    );
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_the_provider_and_is_still_recorded() {
    let (app, mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gated");
    body["stream"] = json!(true);
    let response = post(&app, &key, &body).await;
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), mock.stream_closed())
        .await
        .expect("the provider call is cancelled");
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["status"], "success");
}

#[tokio::test]
async fn a_provider_redirect_is_not_followed() {
    let (app, mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("moved");
    body["num_retries"] = json!(0);
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status(), 502);
    let error: Value = response.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("307") && message.contains("api_base"),
        "{error}"
    );
    assert_eq!(
        mock.received().len(),
        1,
        "one call, to the configured address"
    );
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["status"], "failure");
}

#[tokio::test]
async fn provider_errors_keep_their_status_and_are_logged_as_failures() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let response = post(
        &app,
        &key,
        &json!({"model": "broken", "messages": [], "num_retries": 0}),
    )
    .await;
    assert_eq!(response.status(), 500);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upstream exploded"),
        "{error}"
    );

    let mut body = chat_body("broken");
    body["stream"] = json!(true);
    body["num_retries"] = json!(0);
    let response = post(&app, &key, &body).await;
    assert_eq!(
        response.status(),
        500,
        "an error before the first chunk is a JSON error"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );

    let logs = app.wait_rows(SPEND_LOGS, 2).await;
    assert!(
        logs.iter()
            .all(|log| log["status"] == "failure" && log["spend"] == 0.0)
    );
    assert_eq!(
        logs[0]["metadata"]["error_information"]["error_code"],
        "500"
    );
}

#[tokio::test]
async fn mock_response_answers_without_a_provider_and_costs_nothing() {
    let (app, mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("canned");
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "canned");
    assert!(mock.received().is_empty());
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["spend"], 0.0);
}

#[tokio::test]
async fn keys_reach_only_their_models_and_list_only_those() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({"models": ["gpt-3.5"]})).await;
    let response = post(&app, &key, &chat_body("gated")).await;
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "key_model_access_denied");
    assert_eq!(error["error"]["param"], "model");

    let list: Value = app
        .http
        .get(app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt-3.5"]);
}

#[tokio::test]
async fn another_accounts_models_are_invisible() {
    let (app, _mock, _account) = setup().await;
    let other = app.test.create_account("other").await;
    let key = app.add_key(other, json!({})).await;
    let response = post(&app, &key, &chat_body("gpt-3.5")).await;
    assert_eq!(
        response.status(),
        400,
        "a model of another account does not exist for this key"
    );
    let list: Value = app
        .http
        .get(app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn a_blocked_key_stops_working_within_a_second() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("ok");
    assert_eq!(post(&app, &key, &body).await.status(), 200);
    let hash = alchemi::secret::hash_api_key(&key);
    app.test
        .superuser()
        .await
        .execute(
            "UPDATE \"LiteLLM_VerificationToken\" SET blocked = true WHERE token = $1",
            &[&hash],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    let url = app.url("/v1/chat/completions");
    answers_before(&app, &url, &key, &body, 401, deadline).await;
}

/// Polls `url` with `key` until it answers `status`, failing past `deadline`.
async fn answers_before(
    app: &TestApp,
    url: &str,
    key: &str,
    body: &Value,
    status: u16,
    deadline: Instant,
) {
    loop {
        let response = app
            .http
            .post(url)
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        if response.status() == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not answer {status} in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_master_key_acts_in_the_default_account_or_the_named_one() {
    let (app, _mock, account) = setup().await;
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("ok");
    let default = post(&app, MASTER_KEY, &body).await;
    assert_eq!(
        default.status(),
        400,
        "the default account has no such model"
    );
    let named = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-account-id", account.to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(named.status(), 200);
}

#[tokio::test]
async fn retries_move_to_a_healthy_deployment_and_fallbacks_to_another_group() {
    let (app, mock, account) = setup().await;
    // Two deployments in one group: one always fails, one works.
    add_mock_model(&app, &mock, account, "mixed", "openai/fail-500").await;
    add_mock_model(&app, &mock, account, "mixed", "openai/gpt-3.5-turbo-0301").await;
    app.insert(
        "LiteLLM_Config",
        &json!({"account_id": account.uuid(), "param_name": "router_settings",
                "param_value": {"fallbacks": [{"broken": ["gpt-3.5"]}], "num_retries": 3, "routing_strategy": "least-busy"}}),
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    for _ in 0..3 {
        let response = post(&app, &key, &chat_body("mixed")).await;
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        assert_eq!(status, 200, "{} {headers}", response.text().await.unwrap());
    }

    let response = post(&app, &key, &chat_body("broken")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-litellm-attempted-fallbacks"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["model"], "gpt-3.5-turbo-0301",
        "after a fallback the served model is kept"
    );
}

#[tokio::test]
async fn context_window_errors_fall_back_only_where_configured() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let response = post(&app, &key, &chat_body("too-long")).await;
    assert_eq!(response.status(), 400);
    app.insert(
        "LiteLLM_Config",
        &json!({"account_id": account.uuid(), "param_name": "router_settings",
                "param_value": {"context_window_fallbacks": [{"too-long": ["gpt-3.5"]}]}}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let url = app.url("/v1/chat/completions");
    answers_before(&app, &url, &key, &chat_body("too-long"), 200, deadline).await;
}

#[tokio::test]
async fn azure_style_paths_and_embeddings_work() {
    let (app, mock, account) = setup().await;
    app.add_model(
        account,
        "azure-gpt",
        json!({"model": "azure/my-deployment", "api_base": mock.base, "api_key": "azure-secret", "api_version": "2024-06-01"}),
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    let response = app
        .http
        .post(app.url("/openai/deployments/azure-gpt/chat/completions?api-version=2024-06-01"))
        .header("api-key", &key)
        .json(&json!({"messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let azure = mock
        .received()
        .into_iter()
        .find(|r| r.path.contains("my-deployment"))
        .unwrap();
    assert_eq!(azure.headers["api-key"], "azure-secret");

    let response = app
        .http
        .post(app.url("/embeddings"))
        .bearer_auth(&key)
        .json(&json!({"model": "text-embedding", "input": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"][0]["embedding"], json!([0.1, 0.2, 0.3]));
}

#[tokio::test]
async fn queued_spend_is_written_on_shutdown() {
    let (mut app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("ok");
    for _ in 0..5 {
        assert_eq!(post(&app, &key, &body).await.status(), 200);
    }
    app.shutdown().await;
    assert_eq!(app.rows(SPEND_LOGS).await.len(), 5);
}

#[tokio::test]
async fn anthropic_clients_are_served_from_an_openai_provider() {
    let (app, mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let request = json!({
        "model": "gpt-3.5",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Say hello"}],
    });
    let response = app
        .http
        .post(app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(
        message["content"][0],
        json!({"type": "text", "text": "Hello from the mock"})
    );
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["usage"]["input_tokens"], 9);
    assert_eq!(message["usage"]["output_tokens"], 12);

    let mut streamed = request.clone();
    streamed["model"] = json!("gated");
    streamed["stream"] = json!(true);
    let response = app
        .http
        .post(app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&streamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    mock.release();
    let text = response.text().await.unwrap();
    let events: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("event: "))
        .collect();
    assert_eq!(events.first(), Some(&"message_start"));
    assert_eq!(events.last(), Some(&"message_stop"));
    assert!(events.contains(&"content_block_delta"), "{text}");
    assert!(text.contains("\"text\":\"Hello\""), "{text}");

    let mut unknown = request.clone();
    unknown["model"] = json!("nope");
    let response = app
        .http
        .post(app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "invalid_request_error");

    let count: Value = app
        .http
        .post(app.url("/v1/messages/count_tokens"))
        .header("x-api-key", &key)
        .json(&request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(count["input_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_provider_repeating_response_ids_loses_no_spend() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    for _ in 0..3 {
        assert_eq!(post(&app, &key, &chat_body("gpt-3.5")).await.status(), 200);
    }
    let logs = app.wait_rows(SPEND_LOGS, 3).await;
    assert_eq!(logs.len(), 3);
    assert!(
        logs.iter()
            .any(|log| log["request_id"] == "chatcmpl-mock123")
    );
    let keys = app
        .wait_rows(
            "SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE spend > 0.0001",
            1,
        )
        .await;
    assert!((keys[0]["spend"].as_f64().unwrap() - 3.0 * 3.75e-5).abs() < 1e-10);
}

#[tokio::test]
async fn audio_is_transcribed_through_multipart() {
    let (app, mock, account) = setup().await;
    add_mock_model(&app, &mock, account, "whisper", "openai/whisper-1").await;
    let key = app.add_key(account, json!({})).await;
    let form = reqwest::multipart::Form::new()
        .text("model", "whisper")
        .text("language", "en")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![7u8; 1234])
                .file_name("clip.wav")
                .mime_str("audio/wav")
                .unwrap(),
        );
    let response = app
        .http
        .post(app.url("/v1/audio/transcriptions"))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["text"], "1234 bytes heard");
    let received = mock
        .received()
        .into_iter()
        .find(|r| r.path.contains("transcriptions"))
        .unwrap();
    assert_eq!(received.body["model"], "whisper-1");
    assert_eq!(received.body["language"], "en");
    assert_eq!(received.body["file"]["file_name"], "clip.wav");
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["call_type"], "atranscription");
}

#[tokio::test]
async fn every_openai_operation_reaches_its_provider_path() {
    let (app, mock, account) = setup().await;
    add_mock_model(&app, &mock, account, "any", "openai/any-model").await;
    let key = app.add_key(account, json!({})).await;
    let cases = [
        (
            "/v1/completions",
            json!({"model": "any", "prompt": "hi"}),
            "atext_completion",
        ),
        (
            "/images/generations",
            json!({"model": "any", "prompt": "a cat"}),
            "aimage_generation",
        ),
        (
            "/v1/moderations",
            json!({"model": "any", "input": "hello"}),
            "amoderation",
        ),
        (
            "/v1/responses",
            json!({"model": "any", "input": "hello"}),
            "aresponses",
        ),
        (
            "/v1/rerank",
            json!({"model": "any", "query": "q", "documents": ["a", "b"]}),
            "arerank",
        ),
        (
            "/v1/audio/speech",
            json!({"model": "any", "input": "hello", "voice": "alloy"}),
            "aspeech",
        ),
    ];
    for (path, body, _) in &cases {
        let response = app
            .http
            .post(app.url(path))
            .bearer_auth(&key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        if *path == "/v1/audio/speech" {
            assert_eq!(response.headers()["content-type"], "audio/mpeg");
            assert_eq!(response.bytes().await.unwrap().as_ref(), &[1, 2, 3, 4]);
        } else {
            let answer: Value = response.json().await.unwrap();
            assert!(answer.is_object(), "{path}: {answer}");
        }
    }
    let paths: Vec<String> = mock.received().into_iter().map(|r| r.path).collect();
    for expected in [
        "/v1/completions",
        "/v1/images/generations",
        "/v1/moderations",
        "/v1/responses",
        "/v1/rerank",
        "/v1/audio/speech",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} not reached: {paths:?}"
        );
    }
    let logs = app.wait_rows(SPEND_LOGS, cases.len()).await;
    for (_, _, call_type) in cases {
        assert!(
            logs.iter().any(|log| log["call_type"] == call_type),
            "{call_type}"
        );
    }
}

#[tokio::test]
async fn slow_deployments_time_out_and_rate_limited_ones_cool_down() {
    let (app, mock, account) = setup().await;
    app.add_model(
        account,
        "slow",
        json!({"model": "openai/slow", "api_base": mock.api_base(), "timeout": 0.2}),
    )
    .await;
    add_mock_model(&app, &mock, account, "pair", "openai/fail-429").await;
    add_mock_model(&app, &mock, account, "pair", "openai/gpt-3.5-turbo-0301").await;
    let key = app.add_key(account, json!({})).await;

    let mut body = chat_body("slow");
    body["num_retries"] = json!(0);
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status(), 408);
    assert_eq!(response.headers()["x-litellm-timeout"], "0.2");

    for _ in 0..6 {
        assert_eq!(post(&app, &key, &chat_body("pair")).await.status(), 200);
    }
    let rate_limited = mock
        .received()
        .iter()
        .filter(|r| r.body["model"] == "fail-429")
        .count();
    assert!(
        rate_limited <= 1,
        "a deployment answering 429 is cooled down, not called again: {rate_limited}"
    );
}

#[tokio::test]
async fn key_aliases_route_to_their_target_and_keep_the_asked_name() {
    let (app, _mock, account) = setup().await;
    let key = app
        .add_key(account, json!({"aliases": {"my-model": "gpt-3.5"}}))
        .await;
    let response = post(&app, &key, &chat_body("my-model")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model"], "my-model");
}

#[tokio::test]
async fn a_change_reaches_every_running_instance() {
    let (app, _mock, account) = setup().await;
    let (second, _runtime, _server) = crate::common::app::serve(
        app.test.db.clone(),
        app.test.app_config(),
        app.default_account,
        app.spool_dir.join("second"),
    )
    .await;
    let key = app.add_key(account, json!({})).await;
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("ok");
    let second_url = format!("http://{second}/v1/chat/completions");
    for url in [app.url("/v1/chat/completions"), second_url.clone()] {
        let status = app
            .http
            .post(&url)
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    let hash = alchemi::secret::hash_api_key(&key);
    app.test
        .superuser()
        .await
        .execute(
            "DELETE FROM \"LiteLLM_VerificationToken\" WHERE token = $1",
            &[&hash],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    for url in [app.url("/v1/chat/completions"), second_url] {
        answers_before(&app, &url, &key, &body, 401, deadline).await;
    }
}

#[tokio::test]
async fn comma_separated_models_answer_as_a_list() {
    let (app, _mock, account) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let response = post(&app, &key, &chat_body("gpt-3.5, text-embedding")).await;
    assert_eq!(response.status(), 200);
    let answers: Value = response.json().await.unwrap();
    let models: Vec<&str> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["gpt-3.5", "text-embedding"]);
    app.wait_rows(SPEND_LOGS, 2).await;

    let response = post(&app, &key, &chat_body("gpt-3.5,no-such-model")).await;
    assert_eq!(response.status(), 400);
}
