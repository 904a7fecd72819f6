//! Anthropic Messages <-> OpenAI chat completions, both ways: `upstream_*`
//! for calling a native Anthropic upstream with a chat request, `client_*`
//! for serving `POST /v1/messages` clients from any chat-speaking provider.

mod client_content;
mod client_request;
mod client_response;
mod client_stream;
mod upstream_content;
mod upstream_request;
mod upstream_response;
mod upstream_stream;

pub use client_request::messages_to_chat_request;
pub use client_response::chat_to_messages_response;
pub use client_stream::ChatStreamToMessages;
pub use upstream_request::chat_to_messages_request;
pub use upstream_response::messages_to_chat_response;
pub use upstream_stream::MessagesStreamToChat;

use serde_json::{Value, json};

use super::Usage;

/// Anthropic's error envelope, so `/v1/messages` clients can parse our
/// failures the way they parse Anthropic's own.
pub fn error_body(kind: &str, message: &str) -> Value {
    json!({ "type": "error", "error": { "type": kind, "message": message } })
}

/// The Anthropic error `type` a client expects alongside an HTTP status.
pub fn error_type_for_status(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// OpenAI `finish_reason` for an Anthropic `stop_reason`.
fn finish_reason_for(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// Anthropic `stop_reason` for an OpenAI `finish_reason`.
fn stop_reason_for(finish_reason: &str) -> &'static str {
    match finish_reason {
        "length" => "max_tokens",
        "tool_calls" | "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    }
}

/// Reads an Anthropic `usage` object. Anthropic's `input_tokens` excludes
/// cache reads and writes; OpenAI's `prompt_tokens` counts all three.
fn usage_from_messages(usage: &Value) -> Usage {
    let count = |key: &str| usage[key].as_u64().unwrap_or(0);
    let cache_read = count("cache_read_input_tokens");
    let cache_creation = count("cache_creation_input_tokens");
    Usage {
        prompt_tokens: count("input_tokens") + cache_read + cache_creation,
        completion_tokens: count("output_tokens"),
        cache_read_input_tokens: cache_read,
        cache_creation_input_tokens: cache_creation,
        reasoning_tokens: 0,
    }
}

/// The Anthropic `usage` object for `usage`; cache counts only when non-zero.
fn usage_to_messages(usage: &Usage) -> Value {
    let input = usage
        .prompt_tokens
        .saturating_sub(usage.cache_read_input_tokens)
        .saturating_sub(usage.cache_creation_input_tokens);
    let mut out = json!({ "input_tokens": input, "output_tokens": usage.completion_tokens });
    if usage.cache_read_input_tokens > 0 {
        out["cache_read_input_tokens"] = usage.cache_read_input_tokens.into();
    }
    if usage.cache_creation_input_tokens > 0 {
        out["cache_creation_input_tokens"] = usage.cache_creation_input_tokens.into();
    }
    out
}

/// An Anthropic message id derived from the chat completion's, so logs on
/// both sides can be matched; a fresh one when the upstream sent none.
fn message_id(chat_id: Option<&str>) -> String {
    let stem = chat_id
        .map(|id| id.strip_prefix("chatcmpl-").unwrap_or(id))
        .map(|id| id.strip_prefix("msg_").unwrap_or(id))
        .filter(|id| !id.is_empty());
    match stem {
        Some(stem) => format!("msg_{stem}"),
        None => format!("msg_{}", uuid::Uuid::new_v4().simple()),
    }
}

/// Seconds since the Unix epoch, for OpenAI's `created`.
fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Splits `data:<media type>[;params];base64,<data>` into media type and data.
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let (meta, data) = url.strip_prefix("data:")?.split_once(',')?;
    let meta = meta.strip_suffix(";base64")?;
    let media_type = meta.split(';').next().filter(|kind| !kind.is_empty())?;
    Some((media_type, data))
}

/// Copies the `cache_control` marker, which both formats carry on content
/// parts (OpenAI's by LiteLLM convention), from `from` to `to`.
fn copy_cache_control(from: &Value, to: &mut Value) {
    if let Some(marker) = from.get("cache_control").filter(|marker| !marker.is_null()) {
        to["cache_control"] = marker.clone();
    }
}

#[cfg(test)]
mod tests;
