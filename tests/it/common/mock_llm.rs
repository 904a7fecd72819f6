//! A local OpenAI-compatible provider, faithful to OpenAI's wire format, on a
//! loopback port. It records every request it receives. Behaviour is chosen
//! by the requested model name:
//! - `fail-500`, `fail-429`, `fail-401`: that error status in OpenAI's envelope;
//! - `too-long`: 400 `context_length_exceeded`;
//! - `redirect`: 307 to the same path on another port (a moved provider);
//! - `gated-stream`: streams, holding the last content chunk until released;
//! - `no-usage-stream`: streams without a usage chunk even when asked;
//! - anything else: a normal answer with usage 9 prompt / 12 completion.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone, Default)]
struct MockState {
    received: Arc<Mutex<Vec<Received>>>,
    gate: Arc<Notify>,
    closed: Arc<Notify>,
}

/// A running mock provider.
pub struct MockLlm {
    pub base: String,
    state: MockState,
}

impl MockLlm {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let state = MockState::default();
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .route("/v1/audio/transcriptions", post(transcription))
            .route("/v1/completions", post(canned))
            .route("/v1/images/generations", post(canned))
            .route("/v1/moderations", post(canned))
            .route("/v1/responses", post(canned))
            .route("/v1/rerank", post(canned))
            .route("/v1/audio/speech", post(speech))
            .route(
                "/openai/deployments/{deployment}/chat/completions",
                post(azure_chat),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{address}"),
            state,
        }
    }

    /// `http://127.0.0.1:port/v1`, the `api_base` deployments use.
    pub fn api_base(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Lets a `gated-stream` send its last chunk.
    pub fn release(&self) {
        self.state.gate.notify_one();
    }

    /// Waits until a stream's client connection has gone away.
    pub async fn stream_closed(&self) {
        self.state.closed.notified().await;
    }
}

fn record(state: &MockState, path: String, headers: HeaderMap, body: &Value) {
    state.received.lock().unwrap().push(Received {
        path,
        headers,
        body: body.clone(),
    });
}

fn error(status: StatusCode, message: &str, code: &str) -> Response {
    (status, Json(json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})))
        .into_response()
}

async fn azure_chat(
    State(state): State<MockState>,
    Path(deployment): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(
        &state,
        format!("/openai/deployments/{deployment}/chat/completions"),
        headers,
        &body,
    );
    completion(&body)
}

async fn chat(
    State(state): State<MockState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(&state, "/v1/chat/completions".into(), headers, &body);
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if model == "slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    match model.as_str() {
        "fail-500" => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "upstream exploded",
                "server_error",
            );
        }
        "fail-429" => {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "slow down",
                "rate_limit_exceeded",
            );
        }
        "fail-401" => {
            return error(
                StatusCode::UNAUTHORIZED,
                "bad provider key",
                "invalid_api_key",
            );
        }
        "redirect" => {
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [("location", "http://127.0.0.1:1/v1/chat/completions")],
            )
                .into_response();
        }
        "too-long" => {
            return error(
                StatusCode::BAD_REQUEST,
                "This model's maximum context length is 8 tokens",
                "context_length_exceeded",
            );
        }
        _ => {}
    }
    if body["stream"].as_bool() == Some(true) {
        return stream(state, &body);
    }
    completion(&body)
}

fn completion(body: &Value) -> Response {
    Json(json!({
        "id": "chatcmpl-mock123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from the mock"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }))
    .into_response()
}

fn chunk(model: &str, delta: Value, finish: Value) -> String {
    let chunk = json!({
        "id": "chatcmpl-stream1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {chunk}\n\n")
}

fn stream(state: MockState, body: &Value) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    let with_usage = body["stream_options"]["include_usage"].as_bool() == Some(true)
        && model != "no-usage-stream";
    let gated = model == "gated-stream";
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(8);
    tokio::spawn(async move {
        let frames = vec![
            chunk(
                &model,
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            ),
            chunk(&model, json!({"content": "Hello"}), Value::Null),
            chunk(&model, json!({"content": " world"}), Value::Null),
        ];
        for frame in frames {
            if sender.send(Ok(frame)).await.is_err() {
                state.closed.notify_one();
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if gated {
            tokio::select! {
                () = state.gate.notified() => {}
                () = sender.closed() => {
                    state.closed.notify_one();
                    return;
                }
            }
        }
        let mut tail = vec![
            chunk(&model, json!({"content": "!"}), Value::Null),
            chunk(&model, json!({}), json!("stop")),
        ];
        if with_usage {
            let usage = json!({
                "id": "chatcmpl-stream1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
            });
            tail.push(format!("data: {usage}\n\n"));
        }
        tail.push("data: [DONE]\n\n".to_owned());
        for frame in tail {
            if sender.send(Ok(frame)).await.is_err() {
                state.closed.notify_one();
                return;
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn embeddings(
    State(state): State<MockState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(&state, "/v1/embeddings".into(), headers, &body);
    Json(json!({
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "model": body["model"],
        "usage": {"prompt_tokens": 5, "total_tokens": 5},
    }))
    .into_response()
}

async fn transcription(
    State(state): State<MockState>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let mut fields = serde_json::Map::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.unwrap();
        let value = match file_name {
            Some(file_name) => json!({"file_name": file_name, "size": bytes.len()}),
            None => json!(String::from_utf8_lossy(&bytes)),
        };
        fields.insert(name, value);
    }
    let body = Value::Object(fields);
    record(&state, "/v1/audio/transcriptions".into(), headers, &body);
    Json(json!({"text": format!("{} bytes heard", body["file"]["size"])})).into_response()
}

/// Answers for the other OpenAI operations, in their response shapes.
async fn canned(
    State(state): State<MockState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let path = uri.path().to_owned();
    record(&state, path.clone(), headers, &body);
    let answer = match path.as_str() {
        "/v1/completions" => json!({
            "id": "cmpl-mock", "object": "text_completion", "created": 1, "model": body["model"],
            "choices": [{"text": "done", "index": 0, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }),
        "/v1/images/generations" => {
            json!({"created": 1, "data": [{"url": "https://images.example/1.png"}]})
        }
        "/v1/moderations" => {
            json!({"id": "modr-1", "model": body["model"], "results": [{"flagged": false}]})
        }
        "/v1/responses" => json!({
            "id": "resp_1", "object": "response", "model": body["model"], "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}],
            "usage": {"input_tokens": 4, "output_tokens": 2, "total_tokens": 6},
        }),
        _ => {
            json!({"id": "rerank-1", "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}]})
        }
    };
    Json(answer).into_response()
}

async fn speech(
    State(state): State<MockState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(&state, "/v1/audio/speech".into(), headers, &body);
    ([("content-type", "audio/mpeg")], vec![1u8, 2, 3, 4]).into_response()
}
