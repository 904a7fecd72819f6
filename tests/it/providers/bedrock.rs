//! Bedrock deployments: SigV4-signed Converse calls, ConverseStream's binary
//! event stream, tool use and AWS exceptions, through the gateway in OpenAI's format.

use serde_json::json;

use super::{
    SPEND_LOGS, app_with, assert_error, call, hello, logged_tokens, responses, stream,
    streamed_text, tool_round,
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
        (
            "titan-embed",
            params("bedrock/amazon.titan-embed-text-v2:0"),
        ),
        ("cohere-embed", params("bedrock/cohere.embed-english-v3")),
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

#[tokio::test]
async fn responses_are_served_over_converse() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::plain(&app, &key, "haiku").await;
    assert_eq!(text, "Hello from Bedrock");
    assert_eq!(usage, (10, 6));
    let sent = &mock.received()[0];
    assert_eq!(sent.body["system"][0]["text"], "Be brief.");
    assert_eq!(sent.body["inferenceConfig"]["maxTokens"], 64);
}

#[tokio::test]
async fn responses_stream_from_the_event_stream() {
    let (app, key, mock) = setup().await;
    let (text, usage) = responses::streamed(&app, &key, "haiku").await;
    assert!(mock.received()[0].path.ends_with("/converse-stream"));
    assert_eq!(text, "Hello from Bedrock");
    assert_eq!(usage, (10, 6));
}

#[tokio::test]
async fn titan_embeds_each_input_with_its_own_signed_call() {
    let (app, key, mock) = setup().await;
    let inputs = ["hello world", "good morning to you"];
    let body = json!({"model": "titan-embed", "input": inputs, "dimensions": 256});
    let (status, answer) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["model"], "titan-embed");
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (index, (item, input)) in data.iter().zip(inputs).enumerate() {
        assert_eq!(item["object"], "embedding");
        assert_eq!(item["index"], index);
        let vector = item["embedding"].as_array().unwrap();
        assert_eq!(vector.len(), 256);
        assert_eq!(vector[0], input.len() as f64 / 100.0, "in input order");
    }
    assert_eq!(
        answer["usage"],
        json!({"prompt_tokens": 6, "total_tokens": 6})
    );

    let received = mock.received();
    assert_eq!(received.len(), 2, "one call per input");
    let mut sent: Vec<&str> = received
        .iter()
        .map(|r| {
            assert_eq!(r.path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
            assert!(
                r.headers["authorization"]
                    .to_str()
                    .unwrap()
                    .contains("/us-west-2/bedrock/aws4_request")
            );
            assert_eq!(r.body["dimensions"], 256);
            r.body["inputText"].as_str().unwrap()
        })
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, ["good morning to you", "hello world"]);
    let logs = app.wait_rows(SPEND_LOGS, 1).await;
    assert_eq!(logs[0]["call_type"], "aembedding");
    assert_eq!(logs[0]["prompt_tokens"], 6);

    // Titan's own validation reaches the client with AWS's status.
    let body = json!({"model": "titan-embed", "input": "hi", "dimensions": 100, "num_retries": 0});
    let (status, error) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Malformed input request"),
        "{error}"
    );
}

#[tokio::test]
async fn cohere_embeds_the_batch_in_one_call() {
    let (app, key, mock) = setup().await;
    let body = json!({"model": "cohere-embed", "input": ["hello there", "bonjour"]});
    let (status, answer) = call(&app, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[1]["embedding"].as_array().unwrap().len(), 1024);
    assert_eq!(data[1]["embedding"][0], 0.07);
    assert_eq!(
        answer["usage"],
        json!({"prompt_tokens": 3, "total_tokens": 3}),
        "from Bedrock's token-count header"
    );
    let received = mock.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/model/cohere.embed-english-v3/invoke");
    assert_eq!(
        received[0].body,
        json!({"texts": ["hello there", "bonjour"], "input_type": "search_document"})
    );
    assert_eq!(logged_tokens(&app).await, (3, 0));
}
