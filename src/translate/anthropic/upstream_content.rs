//! OpenAI chat messages -> Anthropic system blocks and turns, content part by
//! content part.

use serde_json::{Value, json};

use super::{copy_cache_control, parse_data_url};
use crate::translate::TranslateError;

/// The system blocks (hoisted from wherever they appear) and the turns, with
/// consecutive same-role turns merged: Anthropic wants turns to alternate,
/// and every OpenAI `tool` message becomes a user turn of its own.
pub(super) fn system_and_turns(
    messages: &[Value],
) -> Result<(Vec<Value>, Vec<Value>), TranslateError> {
    let mut system = Vec::new();
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let path = format!("messages[{i}]");
        let Some(role) = message.get("role").and_then(Value::as_str) else {
            return Err(TranslateError::field(
                &format!("{path}.role"),
                "must be a string",
            ));
        };
        let (role, mut blocks) = match role {
            "system" | "developer" => ("system", text_blocks(&message["content"], &path)?),
            "user" => ("user", user_blocks(&message["content"], &path)?),
            "assistant" => ("assistant", assistant_blocks(message, &path)?),
            "tool" => ("user", vec![tool_result(message, &path)?]),
            other => {
                return Err(TranslateError::field(
                    &format!("{path}.role"),
                    &format!("unsupported role `{other}`"),
                ));
            }
        };
        if let Some(last) = blocks
            .last_mut()
            .filter(|last| last.get("cache_control").is_none())
        {
            copy_cache_control(message, last);
        }
        if role == "system" {
            system.extend(blocks);
            continue;
        }
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last_role, existing)) if *last_role == role => existing.append(&mut blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let turns = turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();
    Ok((system, turns))
}

/// Text blocks of a system or assistant `content` (a string or text parts).
fn text_blocks(content: &Value, path: &str) -> Result<Vec<Value>, TranslateError> {
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(text_block(text).into_iter().collect()),
        Value::Array(parts) => {
            let mut blocks = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                let text = match part["type"].as_str() {
                    Some("text") => part["text"].as_str(),
                    Some("refusal") => part["refusal"].as_str(),
                    _ => None,
                };
                let Some(text) = text else {
                    return Err(TranslateError::field(
                        &format!("{path}.content[{j}]"),
                        "only text parts are allowed here",
                    ));
                };
                if let Some(mut block) = text_block(text) {
                    copy_cache_control(part, &mut block);
                    blocks.push(block);
                }
            }
            Ok(blocks)
        }
        _ => Err(TranslateError::field(
            &format!("{path}.content"),
            "must be a string or an array of parts",
        )),
    }
}

/// Anthropic rejects empty text blocks, so empty text yields none.
fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({ "type": "text", "text": text }))
}

fn user_blocks(content: &Value, path: &str) -> Result<Vec<Value>, TranslateError> {
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(text_block(text).into_iter().collect()),
        Value::Array(parts) => {
            let mut blocks = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                blocks.extend(content_part(part, &format!("{path}.content[{j}]"))?);
            }
            Ok(blocks)
        }
        _ => Err(TranslateError::field(
            &format!("{path}.content"),
            "must be a string or an array of parts",
        )),
    }
}

/// One OpenAI content part as an Anthropic block (none for empty text).
fn content_part(part: &Value, path: &str) -> Result<Option<Value>, TranslateError> {
    let mut block = match part["type"].as_str() {
        Some("text") => {
            let Some(text) = part["text"].as_str() else {
                return Err(TranslateError::field(
                    &format!("{path}.text"),
                    "must be a string",
                ));
            };
            match text_block(text) {
                Some(block) => block,
                None => return Ok(None),
            }
        }
        Some("image_url") => {
            let url = part["image_url"]["url"]
                .as_str()
                .or(part["image_url"].as_str());
            let Some(url) = url else {
                return Err(TranslateError::field(
                    &format!("{path}.image_url.url"),
                    "must be a string",
                ));
            };
            json!({ "type": "image", "source": image_source(url, &format!("{path}.image_url.url"))? })
        }
        Some("file") => {
            let data_url = part["file"]["file_data"].as_str();
            let Some((media_type, data)) = data_url.and_then(parse_data_url) else {
                return Err(TranslateError::field(
                    &format!("{path}.file.file_data"),
                    "must be a base64 data URL (file ids cannot be sent to Anthropic)",
                ));
            };
            json!({
                "type": "document",
                "source": { "type": "base64", "media_type": media_type, "data": data },
            })
        }
        other => {
            return Err(TranslateError::field(
                &format!("{path}.type"),
                &format!(
                    "unsupported content part type {}",
                    other.unwrap_or("(missing)")
                ),
            ));
        }
    };
    copy_cache_control(part, &mut block);
    Ok(Some(block))
}

fn image_source(url: &str, path: &str) -> Result<Value, TranslateError> {
    if url.starts_with("data:") {
        let Some((media_type, data)) = parse_data_url(url) else {
            return Err(TranslateError::field(path, "must be a base64 data URL"));
        };
        return Ok(json!({ "type": "base64", "media_type": media_type, "data": data }));
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(json!({ "type": "url", "url": url }));
    }
    Err(TranslateError::field(
        path,
        "must be a data: or http(s) URL",
    ))
}

fn assistant_blocks(message: &Value, path: &str) -> Result<Vec<Value>, TranslateError> {
    let mut blocks = text_blocks(&message["content"], path)?;
    let calls = match &message["tool_calls"] {
        Value::Null => return Ok(blocks),
        Value::Array(calls) => calls,
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.tool_calls"),
                "must be an array",
            ));
        }
    };
    for (j, call) in calls.iter().enumerate() {
        let call_path = format!("{path}.tool_calls[{j}]");
        let Some(id) = call["id"].as_str() else {
            return Err(TranslateError::field(
                &format!("{call_path}.id"),
                "must be a string",
            ));
        };
        let Some(name) = call["function"]["name"].as_str() else {
            return Err(TranslateError::field(
                &format!("{call_path}.function.name"),
                "must be a string",
            ));
        };
        let input = arguments(
            &call["function"]["arguments"],
            &format!("{call_path}.function.arguments"),
        )?;
        blocks.push(json!({ "type": "tool_use", "id": id, "name": name, "input": input }));
    }
    Ok(blocks)
}

/// Parses a tool call's JSON-string `arguments` into the object Anthropic
/// takes as `input`; empty arguments mean no arguments.
fn arguments(arguments: &Value, path: &str) -> Result<Value, TranslateError> {
    let parsed = match arguments {
        Value::Null => json!({}),
        Value::String(text) if text.trim().is_empty() => json!({}),
        Value::String(text) => serde_json::from_str(text)
            .map_err(|error| TranslateError::field(path, &format!("is not valid JSON: {error}")))?,
        Value::Object(_) => arguments.clone(),
        _ => return Err(TranslateError::field(path, "must be a JSON string")),
    };
    if !parsed.is_object() {
        return Err(TranslateError::field(path, "must encode a JSON object"));
    }
    Ok(parsed)
}

fn tool_result(message: &Value, path: &str) -> Result<Value, TranslateError> {
    let Some(id) = message["tool_call_id"].as_str() else {
        return Err(TranslateError::field(
            &format!("{path}.tool_call_id"),
            "must be a string",
        ));
    };
    let mut block = json!({ "type": "tool_result", "tool_use_id": id });
    match &message["content"] {
        Value::Null => {}
        Value::String(text) if text.is_empty() => {}
        Value::String(text) => block["content"] = text.as_str().into(),
        Value::Array(_) => block["content"] = user_blocks(&message["content"], path)?.into(),
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.content"),
                "must be a string or an array of parts",
            ));
        }
    }
    Ok(block)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::translate::anthropic::chat_to_messages_request;

    fn convert(chat: Value) -> Value {
        chat_to_messages_request(&chat, "claude-sonnet-4-5").unwrap()
    }

    fn error(chat: Value) -> String {
        chat_to_messages_request(&chat, "claude-sonnet-4-5")
            .unwrap_err()
            .0
    }

    #[test]
    fn system_and_developer_messages_are_hoisted_and_keep_cache_markers() {
        let out = convert(json!({
            "messages": [
                { "role": "system", "content": [
                    { "type": "text", "text": "Long context", "cache_control": { "type": "ephemeral" } },
                ] },
                { "role": "user", "content": "Hi" },
                { "role": "developer", "content": "Answer in French." },
            ],
        }));
        assert_eq!(
            out["system"],
            json!([
                { "type": "text", "text": "Long context", "cache_control": { "type": "ephemeral" } },
                { "type": "text", "text": "Answer in French." },
            ])
        );
        assert_eq!(out["messages"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn consecutive_same_role_messages_are_merged() {
        let out = convert(json!({
            "messages": [
                { "role": "user", "content": "one" },
                { "role": "user", "content": [{ "type": "text", "text": "two" }] },
                { "role": "assistant", "content": "three" },
                { "role": "assistant", "content": "" },
                { "role": "user", "content": "four", "cache_control": { "type": "ephemeral" } },
            ],
        }));
        assert_eq!(
            out["messages"],
            json!([
                { "role": "user", "content": [
                    { "type": "text", "text": "one" },
                    { "type": "text", "text": "two" },
                ] },
                { "role": "assistant", "content": [{ "type": "text", "text": "three" }] },
                { "role": "user", "content": [
                    { "type": "text", "text": "four", "cache_control": { "type": "ephemeral" } },
                ] },
            ])
        );
    }

    #[test]
    fn images_become_base64_or_url_sources_and_pdfs_documents() {
        let out = convert(json!({
            "messages": [{ "role": "user", "content": [
                { "type": "text", "text": "What is this?" },
                { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high" } },
                { "type": "image_url", "image_url": { "url": "https://example.com/cat.jpg" } },
                { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf" } },
            ] }],
        }));
        assert_eq!(
            out["messages"][0]["content"],
            json!([
                { "type": "text", "text": "What is this?" },
                { "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo=" } },
                { "type": "image", "source": { "type": "url", "url": "https://example.com/cat.jpg" } },
                { "type": "document", "source": { "type": "base64", "media_type": "application/pdf", "data": "JVBERi0=" } },
            ])
        );
    }

    #[test]
    fn bad_images_and_parts_name_the_field() {
        let err = error(json!({ "messages": [{ "role": "user", "content": [
            { "type": "image_url", "image_url": { "url": "ftp://example.com/a.png" } },
        ] }] }));
        assert!(
            err.contains("messages[0].content[0].image_url.url"),
            "{err}"
        );
        let err = error(json!({ "messages": [{ "role": "user", "content": [
            { "type": "text", "text": "x" },
            { "type": "image_url", "image_url": { "url": "data:image/png,notbase64" } },
        ] }] }));
        assert!(
            err.contains("messages[0].content[1].image_url.url"),
            "{err}"
        );
        let err = error(json!({ "messages": [{ "role": "user", "content": [
            { "type": "input_audio", "input_audio": {} },
        ] }] }));
        assert!(err.contains("messages[0].content[0].type"), "{err}");
    }

    #[test]
    fn tool_calls_and_results_become_tool_use_and_merged_tool_results() {
        let out = convert(json!({
            "messages": [
                { "role": "user", "content": "Weather in Paris and Rome?" },
                { "role": "assistant", "content": "Checking.", "tool_calls": [
                    { "id": "call_1", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Paris\"}" } },
                    { "id": "call_2", "type": "function", "function": { "name": "weather", "arguments": "" } },
                ] },
                { "role": "tool", "tool_call_id": "call_1", "content": "18C" },
                { "role": "tool", "tool_call_id": "call_2", "content": [{ "type": "text", "text": "21C" }] },
                { "role": "user", "content": "Thanks" },
            ],
        }));
        assert_eq!(
            out["messages"],
            json!([
                { "role": "user", "content": [{ "type": "text", "text": "Weather in Paris and Rome?" }] },
                { "role": "assistant", "content": [
                    { "type": "text", "text": "Checking." },
                    { "type": "tool_use", "id": "call_1", "name": "weather", "input": { "city": "Paris" } },
                    { "type": "tool_use", "id": "call_2", "name": "weather", "input": {} },
                ] },
                { "role": "user", "content": [
                    { "type": "tool_result", "tool_use_id": "call_1", "content": "18C" },
                    { "type": "tool_result", "tool_use_id": "call_2", "content": [{ "type": "text", "text": "21C" }] },
                    { "type": "text", "text": "Thanks" },
                ] },
            ])
        );
    }

    #[test]
    fn bad_tool_call_arguments_name_the_field() {
        let err = error(json!({ "messages": [
            { "role": "user", "content": "x" },
            { "role": "assistant", "tool_calls": [
                { "id": "c", "type": "function", "function": { "name": "f", "arguments": "{not json" } },
            ] },
        ] }));
        assert!(
            err.contains("messages[1].tool_calls[0].function.arguments"),
            "{err}"
        );
        let err = error(json!({ "messages": [
            { "role": "assistant", "tool_calls": [
                { "id": "c", "type": "function", "function": { "name": "f", "arguments": "[1]" } },
            ] },
        ] }));
        assert!(err.contains("must encode a JSON object"), "{err}");
        let err = error(json!({ "messages": [{ "role": "tool", "content": "x" }] }));
        assert!(err.contains("messages[0].tool_call_id"), "{err}");
    }
}
