//! Anthropic system prompt and turns -> OpenAI chat messages, content block
//! by content block.

use serde_json::{Value, json};

use super::copy_cache_control;
use crate::translate::TranslateError;

/// The chat messages for Anthropic's `system` and turns. Tool results travel
/// in user turns in Anthropic's format but as `tool` messages in OpenAI's, so
/// a user turn may become several messages.
pub(super) fn chat_messages(
    system: Option<&Value>,
    turns: &[Value],
) -> Result<Vec<Value>, TranslateError> {
    let mut messages = Vec::new();
    if let Some(system) = system {
        messages.push(json!({ "role": "system", "content": system_content(system)? }));
    }
    for (i, turn) in turns.iter().enumerate() {
        let path = format!("messages[{i}]");
        match turn["role"].as_str() {
            Some("user") => user_messages(&turn["content"], &path, &mut messages)?,
            Some("assistant") => messages.push(assistant_message(&turn["content"], &path)?),
            _ => {
                return Err(TranslateError::field(
                    &format!("{path}.role"),
                    "must be `user` or `assistant`",
                ));
            }
        }
    }

    Ok(messages)
}

fn system_content(system: &Value) -> Result<Value, TranslateError> {
    match system {
        Value::String(text) => Ok(text.as_str().into()),
        Value::Array(blocks) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (i, block) in blocks.iter().enumerate() {
                let text = block["text"].as_str().filter(|_| block["type"] == "text");
                let Some(text) = text else {
                    return Err(TranslateError::field(
                        &format!("system[{i}]"),
                        "must be a text block",
                    ));
                };
                let mut part = json!({ "type": "text", "text": text });
                copy_cache_control(block, &mut part);
                parts.push(part);
            }
            Ok(collapse(parts))
        }
        _ => Err(TranslateError::field(
            "system",
            "must be a string or an array of text blocks",
        )),
    }
}

/// A lone plain text part is sent as a string, the form every provider takes.
fn collapse(parts: Vec<Value>) -> Value {
    match parts.as_slice() {
        [only] if only["type"] == "text" && only.get("cache_control").is_none() => {
            only["text"].clone()
        }
        _ => Value::Array(parts),
    }
}

/// A user turn: its tool results first, as `tool` messages (OpenAI wants them
/// right after the assistant's calls), then the rest as one user message.
fn user_messages(content: &Value, path: &str, out: &mut Vec<Value>) -> Result<(), TranslateError> {
    let blocks = match content {
        Value::String(text) => {
            out.push(json!({ "role": "user", "content": text }));
            return Ok(());
        }
        Value::Array(blocks) => blocks,
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.content"),
                "must be a string or an array of blocks",
            ));
        }
    };
    let mut parts = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let block_path = format!("{path}.content[{j}]");
        if block["type"] == "tool_result" {
            out.push(tool_message(block, &block_path)?);
        } else {
            parts.push(content_part(block, &block_path)?);
        }
    }
    if !parts.is_empty() {
        out.push(json!({ "role": "user", "content": collapse(parts) }));
    }
    Ok(())
}

fn tool_message(block: &Value, path: &str) -> Result<Value, TranslateError> {
    let Some(id) = block["tool_use_id"].as_str() else {
        return Err(TranslateError::field(
            &format!("{path}.tool_use_id"),
            "must be a string",
        ));
    };
    let content = match &block["content"] {
        Value::Null => Value::String(String::new()),
        Value::String(text) => text.as_str().into(),
        Value::Array(blocks) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (k, inner) in blocks.iter().enumerate() {
                parts.push(content_part(inner, &format!("{path}.content[{k}]"))?);
            }
            collapse(parts)
        }
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.content"),
                "must be a string or an array of blocks",
            ));
        }
    };
    Ok(json!({ "role": "tool", "tool_call_id": id, "content": content }))
}

/// One Anthropic content block as an OpenAI content part.
fn content_part(block: &Value, path: &str) -> Result<Value, TranslateError> {
    let source = &block["source"];
    let mut part = match (block["type"].as_str(), source["type"].as_str()) {
        (Some("text"), _) => {
            let Some(text) = block["text"].as_str() else {
                return Err(TranslateError::field(
                    &format!("{path}.text"),
                    "must be a string",
                ));
            };
            json!({ "type": "text", "text": text })
        }
        (Some("image"), Some("base64")) => {
            json!({ "type": "image_url", "image_url": { "url": data_url(source, path)? } })
        }
        (Some("image"), Some("url")) => {
            let Some(url) = source["url"].as_str() else {
                return Err(TranslateError::field(
                    &format!("{path}.source.url"),
                    "must be a string",
                ));
            };
            json!({ "type": "image_url", "image_url": { "url": url } })
        }
        (Some("document"), Some("base64")) => {
            json!({ "type": "file", "file": { "file_data": data_url(source, path)? } })
        }
        (Some("document"), Some("text")) => {
            let Some(text) = source["data"].as_str() else {
                return Err(TranslateError::field(
                    &format!("{path}.source.data"),
                    "must be a string",
                ));
            };
            json!({ "type": "text", "text": text })
        }
        (Some("image" | "document"), _) => {
            return Err(TranslateError::field(
                &format!("{path}.source.type"),
                "only base64 and url image sources, base64 and text document sources, are supported",
            ));
        }
        (other, _) => {
            return Err(TranslateError::field(
                &format!("{path}.type"),
                &format!(
                    "unsupported content block type {}",
                    other.unwrap_or("(missing)")
                ),
            ));
        }
    };
    copy_cache_control(block, &mut part);
    Ok(part)
}

fn data_url(source: &Value, path: &str) -> Result<String, TranslateError> {
    let (Some(media_type), Some(data)) = (source["media_type"].as_str(), source["data"].as_str())
    else {
        return Err(TranslateError::field(
            &format!("{path}.source"),
            "a base64 source needs string `media_type` and `data`",
        ));
    };
    Ok(format!("data:{media_type};base64,{data}"))
}

fn assistant_message(content: &Value, path: &str) -> Result<Value, TranslateError> {
    let blocks = match content {
        Value::String(text) => return Ok(json!({ "role": "assistant", "content": text })),
        Value::Array(blocks) => blocks,
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.content"),
                "must be a string or an array of blocks",
            ));
        }
    };
    let mut text = String::new();
    let mut calls = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        match block["type"].as_str() {
            Some("text") => text.push_str(block["text"].as_str().unwrap_or_default()),
            Some("tool_use") => {
                let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) else {
                    return Err(TranslateError::field(
                        &format!("{path}.content[{j}]"),
                        "a tool_use block needs a string `id` and `name`",
                    ));
                };
                let input = match &block["input"] {
                    Value::Null => json!({}),
                    input => input.clone(),
                };
                calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": { "name": name, "arguments": input.to_string() },
                }));
            }
            // Thinking is signed by Anthropic and meaningless to other providers.
            Some("thinking" | "redacted_thinking") => {}
            other => {
                return Err(TranslateError::field(
                    &format!("{path}.content[{j}].type"),
                    &format!(
                        "unsupported content block type {}",
                        other.unwrap_or("(missing)")
                    ),
                ));
            }
        }
    }
    if calls.is_empty() {
        return Ok(json!({ "role": "assistant", "content": text }));
    }
    let content = if text.is_empty() {
        Value::Null
    } else {
        text.into()
    };
    Ok(json!({ "role": "assistant", "content": content, "tool_calls": calls }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::translate::anthropic::messages_to_chat_request;

    fn convert(request: Value) -> Value {
        messages_to_chat_request(&request).unwrap()
    }

    #[test]
    fn system_blocks_keep_cache_markers() {
        let out = convert(json!({
            "model": "m", "max_tokens": 10,
            "system": [
                { "type": "text", "text": "Rules", "cache_control": { "type": "ephemeral" } },
                { "type": "text", "text": "More" },
            ],
            "messages": [{ "role": "user", "content": [{ "type": "text", "text": "Hi" }] }],
        }));
        assert_eq!(
            out["messages"],
            json!([
                { "role": "system", "content": [
                    { "type": "text", "text": "Rules", "cache_control": { "type": "ephemeral" } },
                    { "type": "text", "text": "More" },
                ] },
                { "role": "user", "content": "Hi" },
            ])
        );
    }

    #[test]
    fn images_and_documents_become_parts() {
        let out = convert(json!({
            "model": "m", "max_tokens": 10,
            "messages": [{ "role": "user", "content": [
                { "type": "image", "source": { "type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ" } },
                { "type": "image", "source": { "type": "url", "url": "https://example.com/a.png" } },
                { "type": "document", "source": { "type": "base64", "media_type": "application/pdf", "data": "JVBERi0=" } },
                { "type": "document", "source": { "type": "text", "media_type": "text/plain", "data": "notes" } },
                { "type": "text", "text": "Describe", "cache_control": { "type": "ephemeral" } },
            ] }],
        }));
        assert_eq!(
            out["messages"][0],
            json!({ "role": "user", "content": [
                { "type": "image_url", "image_url": { "url": "data:image/jpeg;base64,/9j/4AAQ" } },
                { "type": "image_url", "image_url": { "url": "https://example.com/a.png" } },
                { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0=" } },
                { "type": "text", "text": "notes" },
                { "type": "text", "text": "Describe", "cache_control": { "type": "ephemeral" } },
            ] })
        );
    }

    #[test]
    fn tool_use_and_results_become_tool_calls_and_tool_messages() {
        let out = convert(json!({
            "model": "m", "max_tokens": 10,
            "messages": [
                { "role": "user", "content": "Weather?" },
                { "role": "assistant", "content": [
                    { "type": "thinking", "thinking": "...", "signature": "s" },
                    { "type": "text", "text": "Checking." },
                    { "type": "tool_use", "id": "toolu_1", "name": "weather", "input": { "city": "Paris" } },
                    { "type": "tool_use", "id": "toolu_2", "name": "time", "input": {} },
                ] },
                { "role": "user", "content": [
                    { "type": "tool_result", "tool_use_id": "toolu_1", "content": "18C" },
                    { "type": "tool_result", "tool_use_id": "toolu_2", "content": [{ "type": "text", "text": "noon" }], "is_error": false },
                    { "type": "text", "text": "And tomorrow?" },
                ] },
                { "role": "assistant", "content": [
                    { "type": "tool_use", "id": "toolu_3", "name": "weather", "input": { "city": "Paris", "day": 1 } },
                ] },
                { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "toolu_3" }] },
            ],
        }));
        assert_eq!(
            out["messages"],
            json!([
                { "role": "user", "content": "Weather?" },
                { "role": "assistant", "content": "Checking.", "tool_calls": [
                    { "id": "toolu_1", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Paris\"}" } },
                    { "id": "toolu_2", "type": "function", "function": { "name": "time", "arguments": "{}" } },
                ] },
                { "role": "tool", "tool_call_id": "toolu_1", "content": "18C" },
                { "role": "tool", "tool_call_id": "toolu_2", "content": "noon" },
                { "role": "user", "content": "And tomorrow?" },
                { "role": "assistant", "content": null, "tool_calls": [
                    { "id": "toolu_3", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Paris\",\"day\":1}" } },
                ] },
                { "role": "tool", "tool_call_id": "toolu_3", "content": "" },
            ])
        );
    }
}
