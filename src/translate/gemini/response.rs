//! Gemini `GenerateContentResponse` to OpenAI `chat.completion`, and the
//! pieces of that mapping the stream shares: parts, finish reasons, usage.

use serde_json::{Value, json};

use super::{THOUGHT_SIGNATURE_SEPARATOR, error_message};
use crate::translate::{TranslateError, Usage};

/// Translates a `generateContent` response into an OpenAI chat completion,
/// one choice per candidate; `model` is the name the client asked for.
pub fn generate_content_to_chat(response: &Value, model: &str) -> Result<Value, TranslateError> {
    if let Some(message) = error_message(response) {
        return Err(TranslateError(format!("Gemini error: {message}")));
    }
    let mut next_call = 0;
    let mut choices = Vec::new();
    for (position, candidate) in response["candidates"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let parts = Parts::read(&candidate["content"]["parts"], &mut next_call);
        let finish = finish_reason(
            candidate["finishReason"].as_str(),
            !parts.tool_calls.is_empty(),
        );
        let mut message = json!({
            "role": "assistant",
            "content": if parts.text.is_empty() { Value::Null } else { parts.text.into() },
        });
        if !parts.reasoning.is_empty() {
            message["reasoning_content"] = parts.reasoning.into();
        }
        if !parts.tool_calls.is_empty() {
            message["tool_calls"] = parts.tool_calls.into();
        }
        choices.push(json!({
            "index": candidate["index"].as_u64().unwrap_or(position as u64),
            "message": message,
            "finish_reason": finish.unwrap_or("stop"),
        }));
    }
    if choices.is_empty() {
        if response["promptFeedback"]["blockReason"].is_string() {
            choices.push(json!({
                "index": 0,
                "message": { "role": "assistant", "content": null },
                "finish_reason": "content_filter",
            }));
        } else {
            return Err(TranslateError::field(
                "candidates",
                "the Gemini response has none and gives no block reason",
            ));
        }
    }
    Ok(json!({
        "id": response_id(response),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": choices,
        "usage": usage_from_metadata(&response["usageMetadata"]).to_openai(),
    }))
}

/// Gemini's `responseId` when it sends one, so logs on both sides agree.
pub(super) fn response_id(response: &Value) -> String {
    response["responseId"].as_str().map_or_else(
        || format!("chatcmpl-{}", uuid::Uuid::new_v4()),
        str::to_owned,
    )
}

/// The OpenAI contents of one candidate's parts.
pub(super) struct Parts {
    pub text: String,
    /// Text of `thought` parts, which OpenAI-compatible clients read as reasoning.
    pub reasoning: String,
    /// OpenAI `tool_calls` entries (without the streaming `index`).
    pub tool_calls: Vec<Value>,
}

impl Parts {
    /// Reads `parts`, numbering generated call ids from `next_call` on.
    pub fn read(parts: &Value, next_call: &mut usize) -> Self {
        let mut read = Self {
            text: String::new(),
            reasoning: String::new(),
            tool_calls: Vec::new(),
        };
        for part in parts.as_array().into_iter().flatten() {
            if let Some(text) = part["text"].as_str() {
                if part["thought"].as_bool() == Some(true) {
                    read.reasoning.push_str(text);
                } else {
                    read.text.push_str(text);
                }
            }
            let call = &part["functionCall"];
            if let Some(name) = call["name"].as_str() {
                let mut id = call["id"]
                    .as_str()
                    .map_or_else(|| format!("call_{next_call}"), str::to_owned);
                *next_call += 1;
                if let Some(signature) = part["thoughtSignature"].as_str() {
                    id = format!("{id}{THOUGHT_SIGNATURE_SEPARATOR}{signature}");
                }
                let args = if call["args"].is_null() {
                    json!({})
                } else {
                    call["args"].clone()
                };
                read.tool_calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": { "name": name, "arguments": args.to_string() },
                }));
            }
        }
        read
    }
}

/// OpenAI's finish reason for a Gemini one; `None` while a candidate is
/// still streaming. A candidate that called a function finishes with
/// `tool_calls` so clients run the tools.
pub(super) fn finish_reason(reason: Option<&str>, called_function: bool) -> Option<&'static str> {
    let reason = reason?;
    if called_function {
        return Some("tool_calls");
    }
    Some(match reason {
        "MAX_TOKENS" => "length",
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            "content_filter"
        }
        _ => "stop",
    })
}

/// Gemini's `usageMetadata` in OpenAI terms: thinking tokens are billed as
/// output, so they count as completion (and reasoning) tokens; prompt tokens
/// already include cached content; tool-use prompt tokens are billed as input.
pub(super) fn usage_from_metadata(metadata: &Value) -> Usage {
    let count = |key: &str| metadata[key].as_u64().unwrap_or(0);
    let thoughts = count("thoughtsTokenCount");
    Usage {
        prompt_tokens: count("promptTokenCount") + count("toolUsePromptTokenCount"),
        completion_tokens: count("candidatesTokenCount") + thoughts,
        cache_read_input_tokens: count("cachedContentTokenCount"),
        cache_creation_input_tokens: 0,
        reasoning_tokens: thoughts,
    }
}

#[cfg(test)]
mod tests;
