//! A local Gemini API (generativelanguage v1beta), faithful to its wire
//! format: `POST /v1beta/models/{model}:{method}` with `x-goog-api-key`,
//! `generateContent`, `streamGenerateContent?alt=sse` (each event a whole
//! `GenerateContentResponse`, CRLF-separated) and `batchEmbedContents`;
//! errors as `{"error":{"code","message","status"}}`. By requested model:
//! - `gemini-quota`: 429 `RESOURCE_EXHAUSTED`;
//! - with tools and no function response yet: a `functionCall`;
//! - otherwise text, usage 8 prompt / 5 candidates.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::mock_native::{AFTER_TOOL, Log, Received, serve, streamed};

/// A running mock.
pub struct MockGemini {
    pub base: String,
    log: Log,
}

impl MockGemini {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let log = Log::default();
        let router = Router::new()
            .route("/v1beta/models/{call}", post(call))
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

fn error(status: StatusCode, message: &str, kind: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message, "status": kind}})),
    )
        .into_response()
}

async fn call(
    State(log): State<Log>,
    Path(call): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let path = match &query {
        Some(query) => format!("/v1beta/models/{call}?{query}"),
        None => format!("/v1beta/models/{call}"),
    };
    log.push(&path, &headers, &body);
    if !headers.contains_key("x-goog-api-key") {
        return error(
            StatusCode::FORBIDDEN,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            "PERMISSION_DENIED",
        );
    }
    let Some((model, method)) = call.split_once(':') else {
        return error(StatusCode::NOT_FOUND, "Not found", "NOT_FOUND");
    };
    match method {
        "batchEmbedContents" => embed(model, &body),
        "generateContent" | "streamGenerateContent" => {
            if model == "gemini-quota" {
                return error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Resource has been exhausted (e.g. check quota).",
                    "RESOURCE_EXHAUSTED",
                );
            }
            if body["contents"].as_array().is_none_or(Vec::is_empty) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "* GenerateContentRequest.contents: contents is not specified",
                    "INVALID_ARGUMENT",
                );
            }
            if method == "generateContent" {
                return Json(answer(model, &body)).into_response();
            }
            if query.as_deref() != Some("alt=sse") {
                return error(
                    StatusCode::BAD_REQUEST,
                    "expected alt=sse",
                    "INVALID_ARGUMENT",
                );
            }
            stream(model)
        }
        _ => error(StatusCode::NOT_FOUND, "Not found", "NOT_FOUND"),
    }
}

fn answer(model: &str, body: &Value) -> Value {
    let has_result = body["contents"].as_array().unwrap().iter().any(|content| {
        content["parts"]
            .as_array()
            .is_some_and(|parts| parts.iter().any(|p| p.get("functionResponse").is_some()))
    });
    let wants_tool = body["tools"][0]["functionDeclarations"]
        .as_array()
        .is_some_and(|d| !d.is_empty())
        && !has_result;
    let parts = if wants_tool {
        json!([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}])
    } else if has_result {
        json!([{"text": AFTER_TOOL}])
    } else {
        json!([{"text": "Hello from Gemini"}])
    };
    json!({
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 5, "totalTokenCount": 13},
        "modelVersion": model,
        "responseId": "gemini-resp-1",
    })
}

fn stream(model: &str) -> Response {
    let events = [
        json!({
            "candidates": [{"content": {"parts": [{"text": "Hello"}], "role": "model"}, "index": 0}],
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
            "modelVersion": model, "responseId": "gemini-stream-1",
        }),
        json!({
            "candidates": [{"content": {"parts": [{"text": " from Gemini"}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 5, "totalTokenCount": 13},
            "modelVersion": model, "responseId": "gemini-stream-1",
        }),
    ];
    let pieces = events
        .iter()
        .map(|event| format!("data: {event}\r\n\r\n").into_bytes())
        .collect();
    streamed("text/event-stream", pieces)
}

fn embed(model: &str, body: &Value) -> Response {
    let requests = body["requests"].as_array().cloned().unwrap_or_default();
    let expected = format!("models/{model}");
    if requests.is_empty() || requests.iter().any(|r| r["model"] != expected.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "Model names in the batch must match the model in the URL",
            "INVALID_ARGUMENT",
        );
    }
    let embeddings: Vec<Value> = (0..requests.len())
        .map(|i| json!({"values": [0.5, -0.25, i as f64]}))
        .collect();
    Json(json!({"embeddings": embeddings})).into_response()
}
