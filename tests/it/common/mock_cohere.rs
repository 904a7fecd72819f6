//! A local Cohere API v2, faithful to its wire format: `Authorization:
//! Bearer`, `/v2/chat` (JSON or, with `stream`, named SSE events from
//! `message-start` to `message-end`), `/v2/embed` (vectors by type) and
//! `/v2/rerank` (string documents, no documents echoed); errors as
//! `{"id","message"}`. By requested model:
//! - `command-missing`: 404 model not found;
//! - with tools and no tool message yet: a `TOOL_CALL` answer;
//! - otherwise text, usage 71 input / 4 output tokens (billed 6 / 4).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::mock_native::{AFTER_TOOL, Log, Received, serve, sse_pieces, streamed};

/// A running mock.
pub struct MockCohere {
    pub base: String,
    log: Log,
}

impl MockCohere {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let log = Log::default();
        let router = Router::new()
            .route("/v2/chat", post(chat))
            .route("/v2/embed", post(embed))
            .route("/v2/rerank", post(rerank))
            .with_state(log.clone());
        Self {
            base: serve(router).await,
            log,
        }
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.log.all()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"id": "a1b2c3d4-0000-4000-8000-000000000000", "message": message})),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > 7)
}

const USAGE: &str = r#"{"billed_units": {"input_tokens": 6, "output_tokens": 4}, "tokens": {"input_tokens": 71, "output_tokens": 4}}"#;

async fn chat(State(log): State<Log>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    log.push("/v2/chat", &headers, &body);
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "no api key supplied");
    }
    let model = body["model"].as_str().unwrap_or_default();
    if model == "command-missing" {
        return error(
            StatusCode::NOT_FOUND,
            "model 'command-missing' not found, make sure the correct model ID was used and that you have access to the model.",
        );
    }
    let usage: Value = serde_json::from_str(USAGE).unwrap();
    if body["stream"] == true {
        return stream(usage);
    }
    let has_result = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["role"] == "tool");
    let wants_tool = body["tools"].as_array().is_some_and(|t| !t.is_empty()) && !has_result;
    let (message, finish) = if wants_tool {
        (
            json!({"role": "assistant", "tool_plan": "I will look up the weather in Paris.",
                   "tool_calls": [{"id": "get_weather_1byjy32y4hvq", "type": "function",
                                   "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}),
            "TOOL_CALL",
        )
    } else {
        let text = if has_result {
            AFTER_TOOL
        } else {
            "Hello from Cohere"
        };
        (
            json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
            "COMPLETE",
        )
    };
    Json(json!({
        "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
        "finish_reason": finish,
        "message": message,
        "usage": usage,
    }))
    .into_response()
}

fn stream(usage: Value) -> Response {
    let events = [
        (
            "message-start",
            json!({"id": "29f14a5a-11de-4cae-9800-25e4747408ea", "type": "message-start",
                   "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
        ),
        (
            "content-start",
            json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
        ),
        (
            "content-delta",
            json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hello"}}}}),
        ),
        (
            "content-delta",
            json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": " from Cohere"}}}}),
        ),
        ("content-end", json!({"type": "content-end", "index": 0})),
        (
            "message-end",
            json!({"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}}),
        ),
    ];
    streamed("text/event-stream", sse_pieces(&events))
}

async fn embed(State(log): State<Log>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    log.push("/v2/embed", &headers, &body);
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "no api key supplied");
    }
    if body["input_type"].as_str().is_none() || body["embedding_types"] != json!(["float"]) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid request: input_type and embedding_types are required",
        );
    }
    let texts = body["texts"].as_array().cloned().unwrap_or_default();
    let vectors: Vec<Value> = (0..texts.len())
        .map(|i| json!([0.25, 0.5, i as f64]))
        .collect();
    Json(json!({
        "id": "5807ee2e-0cda-445a-9ec8-864c60a06606",
        "embeddings": {"float": vectors},
        "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 3}},
    }))
    .into_response()
}

async fn rerank(State(log): State<Log>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    log.push("/v2/rerank", &headers, &body);
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "no api key supplied");
    }
    let Some(documents) = body["documents"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid request: documents required",
        );
    };
    if documents.iter().any(|d| !d.is_string()) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid request: documents must be strings",
        );
    }
    // The document mentioning Paris ranks first; v2 echoes no documents.
    let mut results: Vec<Value> = documents
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let score = if d.as_str().unwrap().contains("Paris") {
                0.98
            } else {
                0.12
            };
            json!({"index": index, "relevance_score": score})
        })
        .collect();
    results.sort_by(|a, b| {
        b["relevance_score"]
            .as_f64()
            .partial_cmp(&a["relevance_score"].as_f64())
            .unwrap()
    });
    if let Some(top) = body["top_n"].as_u64() {
        results.truncate(top as usize);
    }
    Json(json!({
        "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
        "results": results,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
    }))
    .into_response()
}
