//! Anthropic Messages request -> OpenAI chat request, for clients calling
//! `POST /v1/messages` whatever the provider behind the model.

use serde_json::{Map, Value, json};

use super::client_content::chat_messages;
use super::copy_cache_control;
use crate::translate::TranslateError;

/// Builds the chat request for an Anthropic request, keeping its `model`.
/// Fields chat has no counterpart for (`top_k`, `thinking`, ...) are dropped.
pub fn messages_to_chat_request(request: &Value) -> Result<Value, TranslateError> {
    let Some(request) = request.as_object() else {
        return Err(TranslateError::field("body", "must be a JSON object"));
    };
    let Some(model) = request.get("model").and_then(Value::as_str) else {
        return Err(TranslateError::field("model", "must be a string"));
    };
    let Some(max_tokens) = present(request, "max_tokens")
        .and_then(Value::as_u64)
        .filter(|&tokens| tokens > 0)
    else {
        return Err(TranslateError::field(
            "max_tokens",
            "must be a positive integer",
        ));
    };
    let Some(turns) = request.get("messages").and_then(Value::as_array) else {
        return Err(TranslateError::field("messages", "must be an array"));
    };
    let messages = chat_messages(present(request, "system"), turns)?;

    let mut out = Map::new();
    out.insert("model".into(), model.into());
    out.insert("messages".into(), Value::Array(messages));
    out.insert("max_tokens".into(), max_tokens.into());
    if let Some(tools) = present(request, "tools") {
        out.insert("tools".into(), tools_to_chat(tools)?);
    }
    if let Some(choice) = present(request, "tool_choice") {
        let (choice, serial) = tool_choice(choice)?;
        out.insert("tool_choice".into(), choice);
        if serial {
            out.insert("parallel_tool_calls".into(), false.into());
        }
    }
    if let Some(stops) = present(request, "stop_sequences") {
        if !stops
            .as_array()
            .is_some_and(|stops| stops.iter().all(Value::is_string))
        {
            return Err(TranslateError::field(
                "stop_sequences",
                "must be an array of strings",
            ));
        }
        out.insert("stop".into(), stops.clone());
    }
    for key in ["temperature", "top_p"] {
        if let Some(value) = present(request, key) {
            if !value.is_number() {
                return Err(TranslateError::field(key, "must be a number"));
            }
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(stream) = present(request, "stream") {
        let Some(stream) = stream.as_bool() else {
            return Err(TranslateError::field("stream", "must be a boolean"));
        };
        out.insert("stream".into(), stream.into());
        if stream {
            // Anthropic streams always end with usage; OpenAI's only on request.
            out.insert("stream_options".into(), json!({ "include_usage": true }));
        }
    }
    // Indexing the map itself would panic on a missing key; `Value`'s does not.
    if let Some(user) = request
        .get("metadata")
        .and_then(|metadata| metadata["user_id"].as_str())
    {
        out.insert("user".into(), user.into());
    }
    Ok(Value::Object(out))
}

/// The field's value unless it is absent or null.
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn tools_to_chat(tools: &Value) -> Result<Value, TranslateError> {
    let Some(tools) = tools.as_array() else {
        return Err(TranslateError::field("tools", "must be an array"));
    };
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if !matches!(tool["type"].as_str(), None | Some("custom")) {
            return Err(TranslateError::field(
                &format!("tools[{i}].type"),
                "Anthropic server tools cannot be served by this model",
            ));
        }
        let Some(name) = tool["name"].as_str() else {
            return Err(TranslateError::field(
                &format!("tools[{i}].name"),
                "must be a string",
            ));
        };
        let mut function = json!({ "name": name });
        if !tool["input_schema"].is_null() {
            function["parameters"] = tool["input_schema"].clone();
        }
        if let Some(description) = tool["description"].as_str() {
            function["description"] = description.into();
        }
        let mut converted = json!({ "type": "function", "function": function });
        copy_cache_control(tool, &mut converted);
        out.push(converted);
    }
    Ok(Value::Array(out))
}

/// OpenAI's `tool_choice`, and whether parallel tool calls were disabled.
fn tool_choice(choice: &Value) -> Result<(Value, bool), TranslateError> {
    let serial = choice["disable_parallel_tool_use"].as_bool() == Some(true);
    let mapped = match choice["type"].as_str() {
        Some("auto") => json!("auto"),
        Some("any") => json!("required"),
        Some("none") => json!("none"),
        Some("tool") => {
            let Some(name) = choice["name"].as_str() else {
                return Err(TranslateError::field(
                    "tool_choice.name",
                    "must be a string",
                ));
            };
            json!({ "type": "function", "function": { "name": name } })
        }
        _ => {
            return Err(TranslateError::field(
                "tool_choice.type",
                "must be `auto`, `any`, `tool` or `none`",
            ));
        }
    };
    Ok((mapped, serial))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn convert(request: Value) -> Value {
        messages_to_chat_request(&request).unwrap()
    }

    fn error(request: Value) -> String {
        messages_to_chat_request(&request).unwrap_err().0
    }

    #[test]
    fn a_plain_request_becomes_a_chat_request() {
        let out = convert(json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "Be brief.",
            "messages": [{ "role": "user", "content": "Hi" }],
            "temperature": 0.2,
            "top_p": 0.8,
            "top_k": 40,
            "stop_sequences": ["END"],
            "metadata": { "user_id": "alice" },
        }));
        assert_eq!(
            out,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 1024,
                "messages": [
                    { "role": "system", "content": "Be brief." },
                    { "role": "user", "content": "Hi" },
                ],
                "temperature": 0.2,
                "top_p": 0.8,
                "stop": ["END"],
                "user": "alice",
            })
        );
    }

    #[test]
    fn streaming_asks_for_usage() {
        let out = convert(json!({
            "model": "m", "max_tokens": 10, "stream": true,
            "messages": [{ "role": "user", "content": "Hi" }],
        }));
        assert_eq!(out["stream"], json!(true));
        assert_eq!(out["stream_options"], json!({ "include_usage": true }));
        let out = convert(json!({
            "model": "m", "max_tokens": 10, "stream": false,
            "messages": [{ "role": "user", "content": "Hi" }],
        }));
        assert_eq!(out["stream"], json!(false));
        assert!(out.get("stream_options").is_none());
    }

    #[test]
    fn tools_and_tool_choice_are_mapped() {
        let out = convert(json!({
            "model": "m", "max_tokens": 10,
            "messages": [{ "role": "user", "content": "x" }],
            "tools": [
                { "name": "weather", "description": "Current weather", "input_schema": { "type": "object", "properties": { "city": { "type": "string" } } } },
                { "type": "custom", "name": "now", "input_schema": { "type": "object" }, "cache_control": { "type": "ephemeral" } },
            ],
            "tool_choice": { "type": "any", "disable_parallel_tool_use": true },
        }));
        assert_eq!(
            out["tools"],
            json!([
                { "type": "function", "function": {
                    "name": "weather",
                    "description": "Current weather",
                    "parameters": { "type": "object", "properties": { "city": { "type": "string" } } },
                } },
                { "type": "function", "function": { "name": "now", "parameters": { "type": "object" } }, "cache_control": { "type": "ephemeral" } },
            ])
        );
        assert_eq!(out["tool_choice"], json!("required"));
        assert_eq!(out["parallel_tool_calls"], json!(false));
        for (choice, expected) in [
            (json!({ "type": "auto" }), json!("auto")),
            (json!({ "type": "none" }), json!("none")),
            (
                json!({ "type": "tool", "name": "now" }),
                json!({ "type": "function", "function": { "name": "now" } }),
            ),
        ] {
            let out = convert(json!({
                "model": "m", "max_tokens": 10,
                "messages": [{ "role": "user", "content": "x" }],
                "tool_choice": choice,
            }));
            assert_eq!(out["tool_choice"], expected);
            assert!(out.get("parallel_tool_calls").is_none());
        }
    }

    #[test]
    fn invalid_fields_are_named() {
        let base = || json!({ "model": "m", "max_tokens": 10, "messages": [{ "role": "user", "content": "x" }] });
        let with = |key: &str, value: Value| {
            let mut request = base();
            request[key] = value;
            error(request)
        };
        assert!(with("model", Value::Null).contains("`model`"));
        assert!(with("max_tokens", Value::Null).contains("`max_tokens`"));
        assert!(with("stop_sequences", json!("END")).contains("`stop_sequences`"));
        assert!(with("temperature", json!("warm")).contains("`temperature`"));
        assert!(with("stream", json!(1)).contains("`stream`"));
        assert!(with("system", json!([{ "type": "image" }])).contains("`system[0]`"));
        assert!(with("tool_choice", json!({ "type": "maybe" })).contains("`tool_choice.type`"));
        assert!(
            with(
                "tools",
                json!([{ "type": "web_search_20250305", "name": "web_search" }])
            )
            .contains("`tools[0].type`")
        );
        assert!(
            with("messages", json!([{ "role": "system", "content": "x" }]))
                .contains("`messages[0].role`")
        );
        assert!(
            with("messages", json!([{ "role": "user", "content": [{ "type": "image", "source": { "type": "file", "file_id": "f" } }] }]))
                .contains("`messages[0].content[0].source.type`")
        );
        assert!(
            with(
                "messages",
                json!([{ "role": "assistant", "content": [{ "type": "server_tool_use" }] }])
            )
            .contains("`messages[0].content[0].type`")
        );
        assert!(
            with(
                "messages",
                json!([{ "role": "user", "content": [{ "type": "tool_result" }] }])
            )
            .contains("`messages[0].content[0].tool_use_id`")
        );
    }
}
