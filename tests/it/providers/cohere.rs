//! Cohere deployments: v2 chat and its event stream, tool calls, embed and
//! rerank, through the gateway in OpenAI's (and LiteLLM's rerank) format.

use serde_json::json;

use super::{
    app_with, assert_error, call, hello, logged_tokens, responses, stream, streamed_text,
    tool_round,
};
use crate::common::app::TestApp;
use crate::common::mock_cohere::MockCohere;

async fn setup() -> (TestApp, String, MockCohere) {
    let mock = MockCohere::start().await;
    let params = |model: &str| json!({"model": model, "api_base": mock.base, "api_key": "co-key"});
    let (app, key) = app_with(&[
        ("command", params("cohere_chat/command-r-plus")),
        ("command-missing", params("cohere/command-missing")),
        ("cohere-embed", params("cohere/embed-english-v3.0")),
        ("cohere-rerank", params("cohere/rerank-english-v3.0")),
    ])
    .await;
    (app, key, mock)
}

#[tokio::test]
async fn chat_and_a_tool_round() {
    let (app, key, mock) = setup().await;
    let (status, answer) = call(&app, &key, "/v1/chat/completions", &hello("command")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "command");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from Cohere"
    );
    assert_eq!(logged_tokens(&app).await, (71, 4));

    let sent = &mock.received()[0];
    assert_eq!(sent.path, "/v2/chat");
    assert_eq!(sent.headers["authorization"], "Bearer co-key");
    assert_eq!(sent.body["model"], "command-r-plus");

    let id = tool_round(&app, &key, "command").await;
    let received = mock.received();
    assert_eq!(
        received[1].body["tools"][0]["function"]["name"],
        "get_weather"
    );
    let messages = received[2].body["messages"].as_array().unwrap();
    let result = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(result["tool_call_id"], id.as_str());
}

#[tokio::test]
async fn streams_are_translated_and_billed_from_provider_usage() {
    let (app, key, mock) = setup().await;
    let (_, chunks) = stream(&app, &key, hello("command"), true).await;
    assert_eq!(mock.received()[0].body["stream"], true);
    assert_eq!(
        streamed_text(&chunks),
        ("Hello from Cohere".to_owned(), Some("stop".to_owned()))
    );
    assert_eq!(chunks.last().unwrap()["usage"]["total_tokens"], 75);
    assert_eq!(logged_tokens(&app).await, (71, 4));
}

#[tokio::test]
async fn errors_keep_the_provider_status() {
    let (app, key, _mock) = setup().await;
    assert_error(
        &app,
        &key,
        "command-missing",
        404,
        "model 'command-missing' not found",
    )
    .await;
}

#[tokio::test]
async fn embeddings_and_rerank() {
    let (app, key, mock) = setup().await;
    let body = json!({"model": "cohere-embed", "input": "hello"});
    let (status, answer) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"][0]["embedding"], json!([0.25, 0.5, 0.0]));
    assert_eq!(answer["usage"]["prompt_tokens"], 3);
    let sent = &mock.received()[0];
    assert_eq!(sent.path, "/v2/embed");
    assert_eq!(sent.body["texts"], json!(["hello"]));
    assert_eq!(sent.body["input_type"], "search_document");

    let body = json!({
        "model": "cohere-rerank",
        "query": "What is the capital of France?",
        "documents": ["Berlin is in Germany", {"text": "Paris is the capital of France"}],
        "top_n": 1,
        "return_documents": true,
    });
    let (status, answer) = call(&app, &key, "/v1/rerank", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"].as_array().unwrap().len(), 1);
    assert_eq!(answer["results"][0]["index"], 1);
    assert_eq!(answer["results"][0]["relevance_score"], 0.98);
    assert_eq!(
        answer["results"][0]["document"]["text"], "Paris is the capital of France",
        "documents are restored from the request"
    );
    let sent = &mock.received()[1];
    assert_eq!(sent.path, "/v2/rerank");
    assert_eq!(sent.body["model"], "rerank-english-v3.0");
    assert_eq!(
        sent.body["documents"],
        json!(["Berlin is in Germany", "Paris is the capital of France"])
    );
}

#[tokio::test]
async fn responses_are_served_as_chat() {
    let (app, key, _mock) = setup().await;
    let (text, usage) = responses::plain(&app, &key, "command").await;
    assert_eq!(text, "Hello from Cohere");
    assert_eq!(usage, (71, 4));
}
