//! Anthropic deployments: Messages API requests, SSE streams, tool use and
//! error envelopes, through the gateway in OpenAI's format.

use serde_json::json;

use super::{
    app_with, assert_error, call, hello, logged_tokens, responses, stream, streamed_text,
    tool_round,
};
use crate::common::app::TestApp;
use crate::common::mock_anthropic::MockAnthropic;

async fn setup() -> (TestApp, String, MockAnthropic) {
    let mock = MockAnthropic::start().await;
    let params =
        |model: &str| json!({"model": model, "api_base": mock.base, "api_key": "sk-ant-test"});
    let (app, key) = app_with(&[
        ("claude", params("anthropic/claude-3-5-haiku-20241022")),
        ("claude-limited", params("anthropic/claude-rate-limited")),
    ])
    .await;
    (app, key, mock)
}

#[tokio::test]
async fn chat_and_a_tool_round() {
    let (app, key, mock) = setup().await;
    let (status, answer) = call(&app, &key, "/v1/chat/completions", &hello("claude")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "claude");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from Claude"
    );
    assert_eq!(
        answer["usage"]["prompt_tokens"], 15,
        "cache reads count as prompt"
    );
    assert_eq!(answer["usage"]["completion_tokens"], 7);
    assert_eq!(logged_tokens(&app).await, (15, 7));

    let sent = &mock.received()[0];
    assert_eq!(sent.headers["x-api-key"], "sk-ant-test");
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.body["model"], "claude-3-5-haiku-20241022");
    assert_eq!(sent.body["system"], "Be brief.");
    assert_eq!(sent.body["max_tokens"], 4096);

    let id = tool_round(&app, &key, "claude").await;
    let received = mock.received();
    assert_eq!(received[1].body["tools"][0]["name"], "get_weather");
    assert_eq!(
        received[1].body["tools"][0]["input_schema"]["required"],
        json!(["city"])
    );
    let turns = received[2].body["messages"].as_array().unwrap();
    assert_eq!(turns[1]["content"][1]["type"], "tool_use");
    assert_eq!(turns[2]["content"][0]["type"], "tool_result");
    assert_eq!(turns[2]["content"][0]["tool_use_id"], id.as_str());
}

#[tokio::test]
async fn streams_are_translated_and_billed_from_provider_usage() {
    let (app, key, mock) = setup().await;
    let (_, chunks) = stream(&app, &key, hello("claude"), true).await;
    assert_eq!(mock.received()[0].body["stream"], true);
    assert_eq!(
        streamed_text(&chunks),
        ("Hello from Claude".to_owned(), Some("stop".to_owned()))
    );
    assert!(chunks.iter().all(|c| c["model"] == "claude"));
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 15);
    assert_eq!(last["usage"]["completion_tokens"], 7);
    assert_eq!(logged_tokens(&app).await, (15, 7));
}

#[tokio::test]
async fn errors_keep_the_provider_status_and_kind() {
    let (app, key, _mock) = setup().await;
    let error = assert_error(&app, &key, "claude-limited", 429, "per-minute rate limit").await;
    assert_eq!(error["error"]["type"], "rate_limit_error");

    let body = json!({"model": "claude", "input": "hi"});
    let (status, error) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 500, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("/embeddings") && message.contains("anthropic"),
        "{error}"
    );
}

#[tokio::test]
async fn legacy_completions_are_served_as_chat() {
    let (app, key, mock) = setup().await;
    let (status, answer) = call(
        &app,
        &key,
        "/v1/completions",
        &json!({"model": "claude", "prompt": "Say hello"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "text_completion");
    assert_eq!(answer["choices"][0]["text"], "Hello from Claude");
    assert_eq!(answer["model"], "claude");
    let sent = mock.received().last().cloned().unwrap();
    assert_eq!(sent.body["messages"][0]["content"][0]["text"], "Say hello");
}

#[tokio::test]
async fn responses_are_served_as_chat() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::plain(&app, &key, "claude").await;
    assert_eq!(text, "Hello from Claude");
    assert_eq!(usage, (15, 7));
    let sent = &mock.received()[0];
    assert_eq!(sent.body["system"], "Be brief.");
    assert_eq!(sent.body["max_tokens"], 64);
    assert_eq!(sent.body["temperature"], 0.5);
    assert_eq!(sent.body["messages"][0]["content"][0]["text"], "Say hello");

    let call_id = responses::tool_round(&app, &key, "claude").await;
    let received = mock.received();
    assert_eq!(received[1].body["tools"][0]["name"], "get_weather");
    let turns = received[2].body["messages"].as_array().unwrap();
    assert_eq!(turns[1]["content"][0]["text"], "Let me check.");
    assert_eq!(turns[1]["content"][1]["type"], "tool_use");
    assert_eq!(turns[2]["content"][0]["tool_use_id"], call_id.as_str());
}

#[tokio::test]
async fn responses_stream_as_events_and_are_billed() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::streamed(&app, &key, "claude").await;
    assert_eq!(mock.received()[0].body["stream"], true);
    assert_eq!(text, "Hello from Claude");
    assert_eq!(usage, (15, 7));
}
