//! Native providers through the gateway over real HTTP: Anthropic, Gemini,
//! Cohere and Bedrock deployments called with a virtual key against local
//! mocks of each provider's wire format. Clients speak OpenAI's format
//! only; replies, streams, tool calls, errors and usage come back in it.

use serde_json::{Value, json};

use crate::common::app::TestApp;
use crate::common::mock_native::{AFTER_TOOL, WEATHER};

mod anthropic;
mod bedrock;
mod cohere;
mod gemini;
mod responses;

const SPEND_LOGS: &str = "SELECT * FROM \"LiteLLM_SpendLogs\" ORDER BY \"startTime\"";

/// An app whose account has `models` (group name, `litellm_params`), and a key for it.
async fn app_with(models: &[(&str, Value)]) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let account = app.test.create_account("providers").await;
    for (name, params) in models {
        app.add_model(account, name, params.clone()).await;
    }
    let key = app.add_key(account, json!({})).await;
    (app, key)
}

async fn post(app: &TestApp, key: &str, path: &str, body: &Value) -> (u16, reqwest::Response) {
    let response = app
        .http
        .post(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response)
}

/// A JSON call: its status and body.
async fn call(app: &TestApp, key: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, response) = post(app, key, path, body).await;
    (status, response.json().await.unwrap())
}

fn hello(model: &str) -> Value {
    json!({"model": model, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello"},
    ]})
}

/// A streamed chat: the raw text (checked to end with `[DONE]`) and its chunks.
async fn stream(
    app: &TestApp,
    key: &str,
    mut body: Value,
    include_usage: bool,
) -> (String, Vec<Value>) {
    body["stream"] = json!(true);
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    let (status, response) = post(app, key, "/v1/chat/completions", &body).await;
    assert_eq!(status, 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let chunks: Vec<Value> = text
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk"),
        "{text}"
    );
    (text, chunks)
}

/// The text content of a stream's chunks, and its finish reason.
fn streamed_text(chunks: &[Value]) -> (String, Option<String>) {
    let text = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    let finish = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str())
        .map(str::to_owned);
    (text, finish)
}

/// Waits for one spend row and returns its (prompt, completion) tokens.
async fn logged_tokens(app: &TestApp) -> (i64, i64) {
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    let log = &logs[0];
    assert_eq!(log["status"], "success", "{log}");
    (
        log["prompt_tokens"].as_i64().unwrap(),
        log["completion_tokens"].as_i64().unwrap(),
    )
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }}])
}

/// A tool-call round: tool definitions in, a `get_weather` call out, then
/// the tool's result in and the final answer out. Returns the call id.
async fn tool_round(app: &TestApp, key: &str, model: &str) -> String {
    let question = json!({"role": "user", "content": "What is the weather in Paris?"});
    let body = json!({"model": model, "messages": [question], "tools": weather_tool(), "tool_choice": "auto"});
    let (status, answer) = call(app, key, "/v1/chat/completions", &body).await;
    assert_eq!(status, 200, "{answer}");
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{answer}");
    let tool_call = &choice["message"]["tool_calls"][0];
    assert_eq!(tool_call["type"], "function");
    assert_eq!(tool_call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(tool_call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris"}));
    let id = tool_call["id"].as_str().unwrap().to_owned();
    assert!(!id.is_empty());

    let body = json!({"model": model, "tools": weather_tool(), "messages": [
        question,
        choice["message"],
        {"role": "tool", "tool_call_id": id, "content": WEATHER},
    ]});
    let (status, answer) = call(app, key, "/v1/chat/completions", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["choices"][0]["message"]["content"], AFTER_TOOL);
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    id
}

/// A provider error reaches the client with its status and words.
async fn assert_error(app: &TestApp, key: &str, model: &str, status: u16, words: &str) -> Value {
    let mut body = hello(model);
    body["num_retries"] = json!(0);
    let (got, error) = call(app, key, "/v1/chat/completions", &body).await;
    assert_eq!(got, status, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{error}");
    error
}
