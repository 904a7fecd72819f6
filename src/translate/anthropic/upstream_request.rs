//! OpenAI chat request -> Anthropic Messages request, for native Anthropic
//! upstreams.

use serde_json::{Map, Value, json};

use super::copy_cache_control;
use super::upstream_content::system_and_turns;
use crate::translate::TranslateError;

/// Anthropic requires `max_tokens`; OpenAI clients usually leave it out.
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Builds the Anthropic request for a chat request, addressed to
/// `upstream_model`. Fields Anthropic has no counterpart for (`seed`,
/// `logprobs`, ...) are dropped; ones whose meaning would change are refused.
pub fn chat_to_messages_request(
    chat: &Value,
    upstream_model: &str,
) -> Result<Value, TranslateError> {
    let Some(chat) = chat.as_object() else {
        return Err(TranslateError::field("body", "must be a JSON object"));
    };
    let Some(messages) = chat.get("messages").and_then(Value::as_array) else {
        return Err(TranslateError::field("messages", "must be an array"));
    };
    let (system, turns) = system_and_turns(messages)?;
    let mut out = Map::new();
    out.insert("model".into(), upstream_model.into());
    out.insert("max_tokens".into(), max_tokens(chat)?.into());
    match system.as_slice() {
        [] => {}
        [only] if only.get("cache_control").is_none() => {
            out.insert("system".into(), only["text"].clone());
        }
        _ => {
            out.insert("system".into(), Value::Array(system));
        }
    }
    out.insert("messages".into(), Value::Array(turns));
    if let Some(tools) = present(chat, "tools") {
        out.insert("tools".into(), tools_to_messages(tools)?);
    }
    if let Some(choice) = tool_choice(chat)? {
        out.insert("tool_choice".into(), choice);
    }
    for key in ["temperature", "top_p"] {
        if let Some(value) = present(chat, key) {
            if !value.is_number() {
                return Err(TranslateError::field(key, "must be a number"));
            }
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(stop) = stop_sequences(chat)? {
        out.insert("stop_sequences".into(), stop);
    }
    if let Some(stream) = present(chat, "stream") {
        if !stream.is_boolean() {
            return Err(TranslateError::field("stream", "must be a boolean"));
        }
        out.insert("stream".into(), stream.clone());
    }
    if let Some(user) = present(chat, "user") {
        let Some(user) = user.as_str() else {
            return Err(TranslateError::field("user", "must be a string"));
        };
        out.insert("metadata".into(), json!({ "user_id": user }));
    }
    if let Some(n) = present(chat, "n").filter(|n| n.as_u64() != Some(1)) {
        return Err(TranslateError::field(
            "n",
            &format!("Anthropic returns one choice; got {n}"),
        ));
    }
    Ok(Value::Object(out))
}

/// The field's value unless it is absent or null.
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn max_tokens(chat: &Map<String, Value>) -> Result<u64, TranslateError> {
    for key in ["max_completion_tokens", "max_tokens"] {
        if let Some(value) = present(chat, key) {
            return value
                .as_u64()
                .filter(|&tokens| tokens > 0)
                .ok_or_else(|| TranslateError::field(key, "must be a positive integer"));
        }
    }
    Ok(DEFAULT_MAX_TOKENS)
}

fn tools_to_messages(tools: &Value) -> Result<Value, TranslateError> {
    let Some(tools) = tools.as_array() else {
        return Err(TranslateError::field("tools", "must be an array"));
    };
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if tool["type"].as_str() != Some("function") {
            return Err(TranslateError::field(
                &format!("tools[{i}].type"),
                "only function tools are supported",
            ));
        }
        let function = &tool["function"];
        let Some(name) = function["name"].as_str() else {
            return Err(TranslateError::field(
                &format!("tools[{i}].function.name"),
                "must be a string",
            ));
        };
        let schema = match &function["parameters"] {
            Value::Null => json!({ "type": "object", "properties": {} }),
            schema => schema.clone(),
        };
        let mut converted = json!({ "name": name, "input_schema": schema });
        if let Some(description) = function["description"].as_str() {
            converted["description"] = description.into();
        }
        copy_cache_control(tool, &mut converted);
        out.push(converted);
    }
    Ok(Value::Array(out))
}

/// `tool_choice`, with `parallel_tool_calls: false` folded in as Anthropic's
/// `disable_parallel_tool_use` (which `none` does not accept).
fn tool_choice(chat: &Map<String, Value>) -> Result<Option<Value>, TranslateError> {
    let serial = present(chat, "parallel_tool_calls").and_then(Value::as_bool) == Some(false);
    let mut choice = match present(chat, "tool_choice") {
        None if serial => json!({ "type": "auto" }),
        None => return Ok(None),
        Some(Value::String(mode)) => match mode.as_str() {
            "auto" => json!({ "type": "auto" }),
            "none" => return Ok(Some(json!({ "type": "none" }))),
            "required" => json!({ "type": "any" }),
            other => {
                return Err(TranslateError::field(
                    "tool_choice",
                    &format!("unsupported value `{other}`"),
                ));
            }
        },
        Some(object) => {
            let Some(name) = object["function"]["name"].as_str() else {
                return Err(TranslateError::field(
                    "tool_choice.function.name",
                    "must be a string",
                ));
            };
            json!({ "type": "tool", "name": name })
        }
    };
    if serial {
        choice["disable_parallel_tool_use"] = true.into();
    }
    Ok(Some(choice))
}

fn stop_sequences(chat: &Map<String, Value>) -> Result<Option<Value>, TranslateError> {
    let sequences = match present(chat, "stop") {
        None => return Ok(None),
        Some(Value::String(stop)) => vec![Value::String(stop.clone())],
        Some(Value::Array(stops)) if stops.iter().all(Value::is_string) => stops.clone(),
        Some(_) => {
            return Err(TranslateError::field(
                "stop",
                "must be a string or an array of strings",
            ));
        }
    };
    Ok((!sequences.is_empty()).then_some(Value::Array(sequences)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn convert(chat: Value) -> Value {
        chat_to_messages_request(&chat, "claude-sonnet-4-5").unwrap()
    }

    fn error(chat: Value) -> String {
        chat_to_messages_request(&chat, "claude-sonnet-4-5")
            .unwrap_err()
            .0
    }

    #[test]
    fn a_plain_chat_becomes_a_messages_request_with_defaults() {
        let out = convert(json!({
            "model": "my-alias",
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "user", "content": "Hi" },
            ],
        }));
        assert_eq!(
            out,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 4096,
                "system": "Be brief.",
                "messages": [{ "role": "user", "content": [{ "type": "text", "text": "Hi" }] }],
            })
        );
    }

    #[test]
    fn sampling_limits_stop_stream_and_user_are_mapped() {
        let out = convert(json!({
            "messages": [{ "role": "user", "content": "Hi" }],
            "max_tokens": 100,
            "max_completion_tokens": 200,
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "stream": true,
            "user": "alice",
            "n": 1,
            "seed": 7,
        }));
        assert_eq!(
            out,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 200,
                "messages": [{ "role": "user", "content": [{ "type": "text", "text": "Hi" }] }],
                "temperature": 0.5,
                "top_p": 0.9,
                "stop_sequences": ["END"],
                "stream": true,
                "metadata": { "user_id": "alice" },
            })
        );
        let out = convert(json!({
            "messages": [{ "role": "user", "content": "Hi" }],
            "max_tokens": 50,
            "stop": ["a", "b"],
        }));
        assert_eq!(out["max_tokens"], json!(50));
        assert_eq!(out["stop_sequences"], json!(["a", "b"]));
    }

    #[test]
    fn tools_and_tool_choice_are_mapped() {
        let tools = json!([
            { "type": "function", "function": {
                "name": "weather",
                "description": "Current weather",
                "parameters": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] },
            } },
            { "type": "function", "function": { "name": "now" } },
        ]);
        let out = convert(json!({
            "messages": [{ "role": "user", "content": "x" }],
            "tools": tools,
            "tool_choice": "required",
        }));
        assert_eq!(
            out["tools"],
            json!([
                {
                    "name": "weather",
                    "description": "Current weather",
                    "input_schema": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] },
                },
                { "name": "now", "input_schema": { "type": "object", "properties": {} } },
            ])
        );
        assert_eq!(out["tool_choice"], json!({ "type": "any" }));
        let choice = |choice: Value, parallel: Value| {
            convert(json!({
                "messages": [{ "role": "user", "content": "x" }],
                "tools": tools,
                "tool_choice": choice,
                "parallel_tool_calls": parallel,
            }))["tool_choice"]
                .clone()
        };
        assert_eq!(
            choice(json!("auto"), Value::Null),
            json!({ "type": "auto" })
        );
        assert_eq!(
            choice(json!("none"), json!(false)),
            json!({ "type": "none" })
        );
        assert_eq!(
            choice(
                json!({ "type": "function", "function": { "name": "now" } }),
                json!(true)
            ),
            json!({ "type": "tool", "name": "now" })
        );
        assert_eq!(
            choice(Value::Null, json!(false)),
            json!({ "type": "auto", "disable_parallel_tool_use": true })
        );
        assert_eq!(
            choice(json!("required"), json!(false)),
            json!({ "type": "any", "disable_parallel_tool_use": true })
        );
    }

    #[test]
    fn invalid_fields_are_named() {
        let base = || json!({ "messages": [{ "role": "user", "content": "x" }] });
        let with = |key: &str, value: Value| {
            let mut chat = base();
            chat[key] = value;
            error(chat)
        };
        assert!(with("max_tokens", json!(0)).contains("`max_tokens`"));
        assert!(with("max_completion_tokens", json!("many")).contains("`max_completion_tokens`"));
        assert!(with("temperature", json!("hot")).contains("`temperature`"));
        assert!(with("stop", json!([1])).contains("`stop`"));
        assert!(with("stream", json!("yes")).contains("`stream`"));
        assert!(with("user", json!(5)).contains("`user`"));
        assert!(with("n", json!(2)).contains("`n`"));
        assert!(with("tool_choice", json!("sometimes")).contains("`tool_choice`"));
        assert!(with("tools", json!([{ "type": "web_search" }])).contains("`tools[0].type`"));
        assert!(error(json!({ "messages": "hi" })).contains("`messages`"));
        assert!(
            error(json!({ "messages": [{ "role": "function", "content": "x" }] }))
                .contains("`messages[0].role`")
        );
        assert!(error(json!([])).contains("`body`"));
    }
}
