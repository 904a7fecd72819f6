//! Bedrock deployments: SigV4-signed Converse calls, ConverseStream's binary
//! event stream, tool use and AWS exceptions, through the gateway in OpenAI's format.

use serde_json::json;

use super::{
    app_with, assert_error, call, hello, logged_tokens, stream, streamed_text, tool_round,
};
use crate::common::app::TestApp;
use crate::common::mock_bedrock::{self, MockBedrock};

async fn setup() -> (TestApp, String, MockBedrock) {
    let mock = MockBedrock::start().await;
    // The secret is stored encrypted, as the admin API stores credentials.
    let secret = alchemi::crypto::Vault::new(Some("test-salt"))
        .encrypt(mock_bedrock::SECRET_ACCESS_KEY)
        .unwrap();
    let params = |model: &str| {
        json!({
            "model": model,
            "api_base": mock.base,
            "aws_access_key_id": mock_bedrock::ACCESS_KEY_ID,
            "aws_secret_access_key": secret,
            "aws_session_token": "session-token-example",
            "aws_region_name": mock_bedrock::REGION,
        })
    };
    let (app, key) = app_with(&[
        (
            "haiku",
            params("bedrock/anthropic.claude-3-haiku-20240307-v1:0"),
        ),
        ("bedrock-invalid", params("bedrock/bedrock-invalid-model")),
        ("bedrock-throttled", params("bedrock/throttled-stream")),
    ])
    .await;
    (app, key, mock)
}

#[tokio::test]
async fn chat_is_signed_and_a_tool_round_works() {
    let (app, key, mock) = setup().await;
    let (status, answer) = call(&app, &key, "/v1/chat/completions", &hello("haiku")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "haiku");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from Bedrock"
    );
    assert_eq!(logged_tokens(&app).await, (10, 6));

    let sent = &mock.received()[0];
    assert_eq!(
        sent.path,
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    );
    let authorization = sent.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential={}/",
            mock_bedrock::ACCESS_KEY_ID
        )),
        "{authorization}"
    );
    assert!(authorization.contains("/us-west-2/bedrock/aws4_request"));
    assert_eq!(
        sent.headers["x-amz-security-token"],
        "session-token-example"
    );
    assert_eq!(sent.body["system"][0]["text"], "Be brief.");

    let id = tool_round(&app, &key, "haiku").await;
    let received = mock.received();
    assert_eq!(
        received[1].body["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "get_weather"
    );
    let turns = received[2].body["messages"].as_array().unwrap();
    assert_eq!(turns[1]["content"][0]["toolUse"]["toolUseId"], id.as_str());
    assert_eq!(
        turns[2]["content"][0]["toolResult"]["toolUseId"],
        id.as_str()
    );
}

#[tokio::test]
async fn event_streams_are_decoded_and_billed_from_provider_usage() {
    let (app, key, mock) = setup().await;
    let (text, chunks) = stream(&app, &key, hello("haiku"), false).await;
    assert_eq!(
        mock.received()[0].path,
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
    );
    assert_eq!(
        streamed_text(&chunks),
        ("Hello from Bedrock".to_owned(), Some("stop".to_owned()))
    );
    assert!(!text.contains("\"usage\""), "usage only when asked: {text}");
    assert_eq!(logged_tokens(&app).await, (10, 6));
}

#[tokio::test]
async fn errors_keep_the_provider_status() {
    let (app, key, _mock) = setup().await;
    assert_error(
        &app,
        &key,
        "bedrock-invalid",
        400,
        "The provided model identifier is invalid.",
    )
    .await;

    // An exception as the stream's first message is an error response, with AWS's status.
    let mut body = hello("bedrock-throttled");
    body["stream"] = json!(true);
    body["num_retries"] = json!(0);
    let (status, error) = call(&app, &key, "/v1/chat/completions", &body).await;
    assert_eq!(status, 429, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Too many requests"),
        "{error}"
    );
}
