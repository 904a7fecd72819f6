//! A local Bedrock Runtime, faithful to its wire format: `POST
//! /model/{modelId}/converse` (JSON), `/converse-stream` (binary AWS
//! event-stream frames with prelude and message CRCs) and `/invoke` (the
//! model family's own body: Titan and Cohere embeddings, with the token
//! count in `x-amzn-bedrock-input-token-count`), every request
//! authenticated by a SigV4 `Authorization` header that is checked for
//! form and recomputed here independently; errors as `{"message"}` with the
//! exception named in `x-amzn-ErrorType`. By model id:
//! - `bedrock-invalid-model`: 400 `ValidationException`;
//! - `throttled-stream`: a stream whose first message is a `throttlingException`;
//! - `amazon.titan-embed-text-*`: one `inputText` (a token per word), a
//!   vector of `dimensions` (256, 512 or 1024) floats whose first is the
//!   text's length in hundredths;
//! - `cohere.embed-*`: `texts` (1 to 96) with a valid `input_type`, one
//!   1024-float vector each, built the same way;
//! - with a `toolConfig` and no `toolResult` yet: a `toolUse` answer;
//! - otherwise text, usage 10 input / 6 output.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::mock_native::{AFTER_TOOL, Log, Received, serve, streamed};

/// The access key the mock accepts.
pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLEBEDROCK";
/// Its secret, from which the mock recomputes signatures.
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The region signatures must be scoped to.
pub const REGION: &str = "us-west-2";

/// A running mock.
pub struct MockBedrock {
    pub base: String,
    log: Log,
}

impl MockBedrock {
    /// Starts the mock on a free port.
    pub async fn start() -> Self {
        let log = Log::default();
        let router = Router::new()
            .route("/model/{model}/{operation}", post(converse))
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

fn error(status: StatusCode, exception: &str, message: &str) -> Response {
    let kind = format!("{exception}:http://internal.amazon.com/coral/com.amazon.bedrock/");
    (
        status,
        [("x-amzn-errortype", kind)],
        Json(json!({"message": message})),
    )
        .into_response()
}

async fn converse(
    State(log): State<Log>,
    Path((model, operation)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    log.push(uri.path(), &headers, &body);
    if let Err(problem) = verify_signature(uri.path(), &headers, &bytes) {
        return error(StatusCode::FORBIDDEN, "InvalidSignatureException", &problem);
    }
    if model == "bedrock-invalid-model" {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The provided model identifier is invalid.",
        );
    }
    if operation == "invoke" {
        return invoke(&model, &body);
    }
    if body["messages"].as_array().is_none_or(Vec::is_empty) {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "Malformed input request: messages required",
        );
    }
    match operation.as_str() {
        "converse" => Json(answer(&body)).into_response(),
        "converse-stream" => stream(&model),
        _ => error(StatusCode::NOT_FOUND, "UnknownOperationException", ""),
    }
}

/// InvokeModel for the embedding models: validates the family's body as
/// Bedrock does (required fields, allowed values, no extraneous keys).
fn invoke(model: &str, body: &Value) -> Response {
    let invalid = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!(
                "Malformed input request: {message}, please reformat your input and try again."
            ),
        )
    };
    let Some(fields) = body.as_object() else {
        return invalid("expected a JSON object");
    };
    if model.starts_with("amazon.titan-embed-text") {
        if let Some(key) = fields.keys().find(|k| {
            !["inputText", "dimensions", "normalize", "embeddingTypes"].contains(&k.as_str())
        }) {
            return invalid(&format!("extraneous key [{key}] is not permitted"));
        }
        let Some(text) = body["inputText"].as_str().filter(|t| !t.is_empty()) else {
            return invalid("#/inputText: expected minLength: 1");
        };
        let dimensions = body["dimensions"].as_u64().unwrap_or(1024);
        if ![256, 512, 1024].contains(&dimensions) {
            return invalid("#/dimensions: 256, 512 or 1024 expected");
        }
        let tokens = words(text);
        return embedded(
            json!({"embedding": vector(text, dimensions), "inputTextTokenCount": tokens}),
            tokens,
        );
    }
    if model.starts_with("cohere.embed") {
        if let Some(key) = fields.keys().find(|k| {
            ![
                "texts",
                "input_type",
                "truncate",
                "embedding_types",
                "images",
            ]
            .contains(&k.as_str())
        }) {
            return invalid(&format!("extraneous key [{key}] is not permitted"));
        }
        let texts: Vec<&str> = body["texts"]
            .as_array()
            .map(|texts| texts.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if texts.is_empty()
            || texts.len() > 96
            || Some(texts.len()) != body["texts"].as_array().map(Vec::len)
        {
            return invalid("#/texts: expected 1 to 96 strings");
        }
        let kinds = [
            "search_document",
            "search_query",
            "classification",
            "clustering",
        ];
        if !body["input_type"]
            .as_str()
            .is_some_and(|kind| kinds.contains(&kind))
        {
            return invalid(
                "#/input_type: search_document, search_query, classification or clustering expected",
            );
        }
        let tokens = texts.iter().map(|text| words(text)).sum();
        let embeddings: Vec<Vec<f64>> = texts.iter().map(|text| vector(text, 1024)).collect();
        return embedded(
            json!({"id": "emb-3f6c1b2a", "embeddings": embeddings, "texts": texts, "response_type": "embeddings_floats"}),
            tokens,
        );
    }
    error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "The provided model identifier is invalid.",
    )
}

/// An InvokeModel answer with the token count Bedrock reports in headers.
fn embedded(body: Value, input_tokens: u64) -> Response {
    (
        [
            ("x-amzn-bedrock-input-token-count", input_tokens.to_string()),
            ("x-amzn-bedrock-invocation-latency", "42".to_owned()),
        ],
        Json(body),
    )
        .into_response()
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A vector of `dimensions` floats whose first tells the text apart.
fn vector(text: &str, dimensions: u64) -> Vec<f64> {
    (0..dimensions)
        .map(|i| {
            if i == 0 {
                text.len() as f64 / 100.0
            } else {
                (i % 7) as f64 / 8.0
            }
        })
        .collect()
}

fn answer(body: &Value) -> Value {
    let has_result = body["messages"].as_array().unwrap().iter().any(|m| {
        m["content"]
            .as_array()
            .is_some_and(|blocks| blocks.iter().any(|b| b.get("toolResult").is_some()))
    });
    let wants_tool = body["toolConfig"]["tools"]
        .as_array()
        .is_some_and(|t| !t.is_empty())
        && !has_result;
    let (content, stop) = if wants_tool {
        (
            json!([{"toolUse": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "get_weather", "input": {"city": "Paris"}}}]),
            "tool_use",
        )
    } else if has_result {
        (json!([{"text": AFTER_TOOL}]), "end_turn")
    } else {
        (json!([{"text": "Hello from Bedrock"}]), "end_turn")
    };
    json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 10, "outputTokens": 6, "totalTokens": 16},
        "metrics": {"latencyMs": 321},
    })
}

fn stream(model: &str) -> Response {
    let mut frames = Vec::new();
    if model == "throttled-stream" {
        frames.extend(frame(
            "exception",
            ":exception-type",
            "throttlingException",
            &json!({"message": "Too many requests, please wait before trying again."}),
        ));
    } else {
        for (event, payload) in [
            (
                "messageStart",
                json!({"role": "assistant", "p": "abcdefgh"}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcd"}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"text": " from Bedrock"}, "p": "ab"}),
            ),
            (
                "contentBlockStop",
                json!({"contentBlockIndex": 0, "p": "abc"}),
            ),
            ("messageStop", json!({"stopReason": "end_turn", "p": "a"})),
            (
                "metadata",
                json!({"usage": {"inputTokens": 10, "outputTokens": 6, "totalTokens": 16}, "metrics": {"latencyMs": 321}, "p": "abcdef"}),
            ),
        ] {
            frames.extend(frame("event", ":event-type", event, &payload));
        }
    }
    // Cut anywhere, as the transport may.
    let pieces = frames.chunks(37).map(<[u8]>::to_vec).collect();
    streamed("application/vnd.amazon.eventstream", pieces)
}

/// One event-stream message: prelude (total length, headers length, CRC),
/// string headers, JSON payload, CRC of everything before it.
fn frame(message_type: &str, type_header: &str, name: &str, payload: &Value) -> Vec<u8> {
    let mut headers = Vec::new();
    for (key, value) in [
        (type_header, name),
        (":content-type", "application/json"),
        (":message-type", message_type),
    ] {
        headers.push(u8::try_from(key.len()).unwrap());
        headers.extend_from_slice(key.as_bytes());
        headers.push(7);
        headers.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
        headers.extend_from_slice(value.as_bytes());
    }
    let payload = payload.to_string().into_bytes();
    let total = 12 + headers.len() + payload.len() + 4;
    let mut message = Vec::with_capacity(total);
    message.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes());
    message.extend_from_slice(&u32::try_from(headers.len()).unwrap().to_be_bytes());
    let prelude_crc = crc32fast::hash(&message);
    message.extend_from_slice(&prelude_crc.to_be_bytes());
    message.extend_from_slice(&headers);
    message.extend_from_slice(&payload);
    let crc = crc32fast::hash(&message);
    message.extend_from_slice(&crc.to_be_bytes());
    message
}

/// Checks the `Authorization` header's form, its scope, the signed
/// payload hash and time, then recomputes the signature from the request
/// as received.
fn verify_signature(path: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or("Missing Authentication Token")?;
    let rest = authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .ok_or("Authorization header is not AWS4-HMAC-SHA256")?;
    let mut fields = rest.split(", ");
    let (credential, signed, signature) = match (fields.next(), fields.next(), fields.next()) {
        (Some(c), Some(s), Some(sig)) => (c, s, sig),
        _ => return Err("Authorization header is incomplete".into()),
    };
    let signed = signed
        .strip_prefix("SignedHeaders=")
        .ok_or("no SignedHeaders")?;
    let signature = signature.strip_prefix("Signature=").ok_or("no Signature")?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("Signature is not 64 hex digits".into());
    }
    let scope: Vec<&str> = credential.split('/').collect();
    let amz_date = header("x-amz-date").ok_or("no x-amz-date")?;
    if scope.len() != 5
        || scope[0] != ACCESS_KEY_ID
        || scope[1] != &amz_date[..8]
        || scope[2] != REGION
        || scope[3] != "bedrock"
        || scope[4] != "aws4_request"
    {
        return Err(format!("bad credential scope {credential}"));
    }
    let signed_at = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| "bad x-amz-date")?
        .and_utc();
    if (chrono::Utc::now() - signed_at).num_seconds().abs() > 300 {
        return Err("Signature expired".into());
    }
    let payload_hash = hex::encode(Sha256::digest(body));
    if header("x-amz-content-sha256") != Some(payload_hash.as_str()) {
        return Err("x-amz-content-sha256 does not match the body".into());
    }
    let names: Vec<&str> = signed.split(';').collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    for required in ["host", "x-amz-date", "x-amz-content-sha256", "content-type"] {
        if !names.contains(&required) {
            return Err(format!("{required} is not signed"));
        }
    }
    if names != sorted
        || (headers.contains_key("x-amz-security-token")
            && !names.contains(&"x-amz-security-token"))
    {
        return Err("SignedHeaders are unsorted or incomplete".into());
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = header(name).ok_or(format!("signed header {name} was not sent"))?;
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let canonical = format!(
        "POST\n{}\n\n{canonical_headers}\n{signed}\n{payload_hash}",
        encode_path(path)
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
        scope[1..].join("/"),
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("AWS4{SECRET_ACCESS_KEY}").into_bytes();
    for part in [scope[1], REGION, "bedrock", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    if hex::encode(hmac(&key, to_sign.as_bytes())) != signature {
        return Err("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".into());
    }
    Ok(())
}

/// A path as SigV4 canonicalises it for services other than S3: each
/// segment, already encoded once on the wire, is encoded again.
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}
