//! A local Anthropic Messages API (`POST /v1/messages`), faithful to its wire
//! format: `x-api-key` and `anthropic-version` required, `max_tokens`
//! required, error envelopes `{"type":"error","error":{"type","message"}}`,
//! and named SSE events for streams. Behaviour by requested model:
//! - `claude-rate-limited`: 429 `rate_limit_error`;
//! - otherwise, with tools and no tool result yet: a `tool_use` answer;
//! - otherwise text, usage 11 input (+4 cache read) / 7 output.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::mock_native::{AFTER_TOOL, Log, Received, serve, sse_pieces, streamed};

/// A running mock.
pub struct MockAnthropic {
    pub base: String,
    log: Log,
}

impl MockAnthropic {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let log = Log::default();
        let router = Router::new()
            .route("/v1/messages", post(messages))
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

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response()
}

async fn messages(State(log): State<Log>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    log.push("/v1/messages", &headers, &body);
    if !headers.contains_key("x-api-key") {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key header is required",
        );
    }
    if headers
        .get("anthropic-version")
        .is_none_or(|v| v != "2023-06-01")
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        );
    }
    if !body["max_tokens"].is_u64() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "max_tokens: Field required",
        );
    }
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if model == "claude-rate-limited" {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
        );
    }
    let has_result = body["messages"].as_array().unwrap().iter().any(|m| {
        m["content"]
            .as_array()
            .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_result"))
    });
    let wants_tool = body["tools"].as_array().is_some_and(|t| !t.is_empty()) && !has_result;
    if body["stream"] == true {
        return stream(&model);
    }
    let (content, stop) = if wants_tool {
        (
            json!([
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"city": "Paris"}}
            ]),
            "tool_use",
        )
    } else if has_result {
        (json!([{"type": "text", "text": AFTER_TOOL}]), "end_turn")
    } else {
        (
            json!([{"type": "text", "text": "Hello from Claude"}]),
            "end_turn",
        )
    };
    Json(json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": 11, "output_tokens": 7, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 4},
    }))
    .into_response()
}

fn stream(model: &str) -> Response {
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_stream01", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 11, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 4}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " from Claude"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 7}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    streamed("text/event-stream", sse_pieces(&events))
}
