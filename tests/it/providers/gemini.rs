//! Gemini deployments: generateContent, its SSE stream, function calls,
//! batchEmbedContents and error bodies, through the gateway in OpenAI's format.

use serde_json::json;

use super::{
    app_with, assert_error, call, hello, logged_tokens, responses, stream, streamed_text,
    tool_round,
};
use crate::common::app::TestApp;
use crate::common::mock_gemini::MockGemini;

async fn setup() -> (TestApp, String, MockGemini) {
    let mock = MockGemini::start().await;
    let params =
        |model: &str| json!({"model": model, "api_base": mock.base, "api_key": "gemini-key"});
    let (app, key) = app_with(&[
        ("gemini", params("gemini/gemini-2.0-flash")),
        ("gemini-quota", params("gemini/gemini-quota")),
        ("gemini-embed", params("gemini/text-embedding-004")),
    ])
    .await;
    (app, key, mock)
}

#[tokio::test]
async fn chat_and_a_tool_round() {
    let (app, key, mock) = setup().await;
    let (status, answer) = call(&app, &key, "/v1/chat/completions", &hello("gemini")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "gemini");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from Gemini"
    );
    assert_eq!(logged_tokens(&app).await, (8, 5));

    let sent = &mock.received()[0];
    assert_eq!(sent.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(sent.headers["x-goog-api-key"], "gemini-key");
    assert_eq!(
        sent.body["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    assert_eq!(sent.body["contents"][0]["role"], "user");

    tool_round(&app, &key, "gemini").await;
    let received = mock.received();
    assert_eq!(
        received[1].body["tools"][0]["functionDeclarations"][0]["name"],
        "get_weather"
    );
    let contents = received[2].body["contents"].as_array().unwrap();
    assert_eq!(
        contents[1]["parts"][0]["functionCall"]["name"],
        "get_weather"
    );
    assert_eq!(
        contents[2]["parts"][0]["functionResponse"]["name"],
        "get_weather"
    );
}

#[tokio::test]
async fn streams_are_translated_and_billed_from_provider_usage() {
    let (app, key, mock) = setup().await;
    let (text, chunks) = stream(&app, &key, hello("gemini"), false).await;
    assert_eq!(
        mock.received()[0].path,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(
        streamed_text(&chunks),
        ("Hello from Gemini".to_owned(), Some("stop".to_owned()))
    );
    assert!(!text.contains("\"usage\""), "usage only when asked: {text}");
    assert_eq!(logged_tokens(&app).await, (8, 5));
}

#[tokio::test]
async fn errors_keep_the_provider_status() {
    let (app, key, _mock) = setup().await;
    assert_error(
        &app,
        &key,
        "gemini-quota",
        429,
        "Resource has been exhausted",
    )
    .await;
}

#[tokio::test]
async fn embeddings_go_through_batch_embed_contents() {
    let (app, key, mock) = setup().await;
    let body = json!({"model": "gemini-embed", "input": ["hello", "world"]});
    let (status, answer) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["data"][1]["embedding"], json!([0.5, -0.25, 1.0]));
    let sent = &mock.received()[0];
    assert_eq!(
        sent.path,
        "/v1beta/models/text-embedding-004:batchEmbedContents"
    );
    assert_eq!(
        sent.body["requests"][1]["content"]["parts"][0]["text"],
        "world"
    );
    let (prompt, _) = logged_tokens(&app).await;
    assert!(prompt > 0, "Gemini counts none, so tokens are estimated");
}

#[tokio::test]
async fn responses_are_served_as_chat() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::plain(&app, &key, "gemini").await;
    assert_eq!(text, "Hello from Gemini");
    assert_eq!(usage, (8, 5));
    let sent = &mock.received()[0];
    assert_eq!(sent.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(
        sent.body["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    assert_eq!(sent.body["generationConfig"]["maxOutputTokens"], 64);
    assert_eq!(sent.body["contents"][0]["parts"][0]["text"], "Say hello");

    responses::tool_round(&app, &key, "gemini").await;
    let received = mock.received();
    assert_eq!(
        received[1].body["tools"][0]["functionDeclarations"][0]["name"],
        "get_weather"
    );
    let contents = received[2].body["contents"].as_array().unwrap();
    assert_eq!(
        contents[1]["parts"][0]["functionCall"]["args"],
        json!({"city": "Paris"})
    );
    assert_eq!(
        contents[2]["parts"][0]["functionResponse"]["name"],
        "get_weather"
    );
}

#[tokio::test]
async fn responses_stream_as_events_and_are_billed() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::streamed(&app, &key, "gemini").await;
    assert_eq!(
        mock.received()[0].path,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(text, "Hello from Gemini");
    assert_eq!(usage, (8, 5));
}
