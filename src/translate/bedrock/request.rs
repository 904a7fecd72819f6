//! OpenAI chat completion requests as Bedrock Converse request bodies.

use serde_json::{Map, Value, json};

use super::content::{self, Allowed};
use crate::translate::TranslateError;

/// The Converse body for an OpenAI chat request. The model id goes in the
/// URL (see `converse_url`), streaming is chosen by the operation, and
/// parameters Converse has no place for are left out.
pub fn chat_to_converse(chat: &Value) -> Result<Value, TranslateError> {
    let messages = chat["messages"]
        .as_array()
        .ok_or_else(|| TranslateError::field("messages", "must be an array"))?;
    if chat["n"].as_u64().is_some_and(|n| n > 1) {
        return Err(TranslateError::field(
            "n",
            "Bedrock Converse returns a single choice",
        ));
    }
    let mut system = Vec::new();
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let at = format!("messages[{index}]");
        let role = message["role"].as_str().unwrap_or_default();
        let (role, blocks) = match role {
            "system" | "developer" => {
                system.extend(content::blocks(
                    &message["content"],
                    &format!("{at}.content"),
                    Allowed::Text,
                )?);
                continue;
            }
            "user" => (
                "user",
                content::blocks(
                    &message["content"],
                    &format!("{at}.content"),
                    Allowed::Media,
                )?,
            ),
            "assistant" => ("assistant", assistant_blocks(message, &at)?),
            "tool" => ("user", tool_result_blocks(message, &at)?),
            _ => {
                return Err(TranslateError::field(
                    &format!("{at}.role"),
                    &format!("role `{role}` is not supported by Bedrock Converse"),
                ));
            }
        };
        if blocks.is_empty() {
            continue;
        }
        // Converse wants user and assistant turns to alternate.
        match turns.last_mut() {
            Some((last, content)) if *last == role => content.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }

    let mut body = Map::new();
    let uses_tools = turns
        .iter()
        .flat_map(|(_, blocks)| blocks)
        .any(|block| block.get("toolUse").is_some() || block.get("toolResult").is_some());
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();
    body.insert("messages".into(), messages.into());
    if !system.is_empty() {
        body.insert("system".into(), system.into());
    }
    let inference = inference_config(chat)?;
    if !inference.is_empty() {
        body.insert("inferenceConfig".into(), inference.into());
    }
    if let Some(tool_config) = tool_config(chat, uses_tools)? {
        body.insert("toolConfig".into(), tool_config);
    }
    Ok(body.into())
}

fn assistant_blocks(message: &Value, at: &str) -> Result<Vec<Value>, TranslateError> {
    let mut blocks = content::blocks(&message["content"], &format!("{at}.content"), Allowed::Text)?;
    let calls = match &message["tool_calls"] {
        Value::Null => return Ok(blocks),
        Value::Array(calls) => calls,
        _ => {
            return Err(TranslateError::field(
                &format!("{at}.tool_calls"),
                "must be an array",
            ));
        }
    };
    for (index, call) in calls.iter().enumerate() {
        let at = format!("{at}.tool_calls[{index}]");
        let id = required_str(&call["id"], &format!("{at}.id"))?;
        let name = required_str(&call["function"]["name"], &format!("{at}.function.name"))?;
        let input = match &call["function"]["arguments"] {
            Value::Null => json!({}),
            Value::String(arguments) if arguments.trim().is_empty() => json!({}),
            Value::String(arguments) => serde_json::from_str(arguments).map_err(|error| {
                TranslateError::field(
                    &format!("{at}.function.arguments"),
                    &format!("must be a JSON string: {error}"),
                )
            })?,
            arguments => arguments.clone(),
        };
        blocks.push(json!({ "toolUse": { "toolUseId": id, "name": name, "input": input } }));
    }
    Ok(blocks)
}

/// A tool message as a `toolResult` block of the next user turn (and a cache
/// point after it when any of its parts was marked for caching).
fn tool_result_blocks(message: &Value, at: &str) -> Result<Vec<Value>, TranslateError> {
    let id = required_str(&message["tool_call_id"], &format!("{at}.tool_call_id"))?;
    let content_at = format!("{at}.content");
    let mut result = match &message["content"] {
        Value::String(text) => vec![json!({ "text": text })],
        Value::Null => Vec::new(),
        other => content::blocks(other, &content_at, Allowed::Media)?,
    };
    let cached = result.iter().any(|block| block.get("cachePoint").is_some());
    result.retain(|block| block.get("cachePoint").is_none());
    if result.is_empty() {
        result.push(json!({ "text": "" }));
    }
    let mut blocks = vec![json!({ "toolResult": { "toolUseId": id, "content": result } })];
    if cached {
        blocks.push(content::cache_point());
    }
    Ok(blocks)
}

fn inference_config(chat: &Value) -> Result<Map<String, Value>, TranslateError> {
    let mut config = Map::new();
    for field in ["max_completion_tokens", "max_tokens"] {
        match &chat[field] {
            Value::Null => {}
            value => {
                let tokens = value
                    .as_u64()
                    .ok_or_else(|| TranslateError::field(field, "must be a positive integer"))?;
                config.insert("maxTokens".into(), tokens.into());
                break;
            }
        }
    }
    for (field, name) in [("temperature", "temperature"), ("top_p", "topP")] {
        match &chat[field] {
            Value::Null => {}
            Value::Number(number) => {
                config.insert(name.into(), Value::Number(number.clone()));
            }
            _ => return Err(TranslateError::field(field, "must be a number")),
        }
    }
    let stop = match &chat["stop"] {
        Value::Null => Vec::new(),
        Value::String(stop) => vec![Value::String(stop.clone())],
        Value::Array(stops) if stops.iter().all(Value::is_string) => stops.clone(),
        _ => {
            return Err(TranslateError::field(
                "stop",
                "must be a string or an array of strings",
            ));
        }
    };
    if !stop.is_empty() {
        config.insert("stopSequences".into(), stop.into());
    }
    Ok(config)
}

/// Converse has no way to forbid tool calls: `tool_choice: "none"` leaves the
/// tools out, unless the conversation already holds tool calls or results,
/// which Converse accepts only with a `toolConfig` present.
fn tool_config(chat: &Value, uses_tools: bool) -> Result<Option<Value>, TranslateError> {
    let tools = match &chat["tools"] {
        Value::Null => return Ok(None),
        Value::Array(tools) if tools.is_empty() => return Ok(None),
        Value::Array(tools) => tools,
        _ => return Err(TranslateError::field("tools", "must be an array")),
    };
    let choice = match &chat["tool_choice"] {
        Value::Null => None,
        Value::String(choice) => match choice.as_str() {
            "auto" => Some(json!({ "auto": {} })),
            "required" => Some(json!({ "any": {} })),
            "none" if uses_tools => None,
            "none" => return Ok(None),
            _ => {
                return Err(TranslateError::field(
                    "tool_choice",
                    &format!("`{choice}` is not one of auto, required, none"),
                ));
            }
        },
        choice => {
            let name = required_str(&choice["function"]["name"], "tool_choice.function.name")?;
            Some(json!({ "tool": { "name": name } }))
        }
    };
    let mut specs = Vec::with_capacity(tools.len());
    for (index, tool) in tools.iter().enumerate() {
        let at = format!("tools[{index}]");
        if tool["type"].as_str() != Some("function") {
            return Err(TranslateError::field(
                &format!("{at}.type"),
                "only function tools are supported by Bedrock Converse",
            ));
        }
        let function = &tool["function"];
        let name = required_str(&function["name"], &format!("{at}.function.name"))?;
        let mut spec = json!({ "name": name });
        if let Some(description) = function["description"]
            .as_str()
            .filter(|text| !text.is_empty())
        {
            spec["description"] = description.into();
        }
        let schema = match &function["parameters"] {
            Value::Null => json!({ "type": "object", "properties": {} }),
            parameters => parameters.clone(),
        };
        spec["inputSchema"] = json!({ "json": schema });
        specs.push(json!({ "toolSpec": spec }));
    }
    let mut config = json!({ "tools": specs });
    if let Some(choice) = choice {
        config["toolChoice"] = choice;
    }
    Ok(Some(config))
}

fn required_str<'a>(value: &'a Value, field: &str) -> Result<&'a str, TranslateError> {
    value
        .as_str()
        .filter(|text| !text.is_empty())
        .ok_or_else(|| TranslateError::field(field, "must be a non-empty string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weather_tool() -> Value {
        json!({
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather",
                "parameters": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] }
            }
        })
    }

    #[test]
    fn a_plain_chat_becomes_system_messages_and_inference_config() {
        let chat = json!({
            "model": "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "developer", "content": [{ "type": "text", "text": "Answer in French." }] },
                { "role": "user", "content": "Hello" }
            ],
            "max_tokens": 256,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop": "END",
            "stream": true,
            "user": "someone"
        });
        assert_eq!(
            chat_to_converse(&chat).unwrap(),
            json!({
                "system": [{ "text": "Be brief." }, { "text": "Answer in French." }],
                "messages": [{ "role": "user", "content": [{ "text": "Hello" }] }],
                "inferenceConfig": { "maxTokens": 256, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"] }
            })
        );
    }

    #[test]
    fn max_completion_tokens_wins_and_stop_lists_pass_through() {
        let chat = json!({
            "messages": [{ "role": "user", "content": "Hi" }],
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "stop": ["a", "b"]
        });
        assert_eq!(
            chat_to_converse(&chat).unwrap()["inferenceConfig"],
            json!({ "maxTokens": 20, "stopSequences": ["a", "b"] })
        );
    }

    #[test]
    fn a_tool_round_trip_becomes_tool_use_and_merged_tool_results() {
        let chat = json!({
            "messages": [
                { "role": "user", "content": "Weather in Paris and Rome?" },
                { "role": "assistant", "content": "Checking.", "tool_calls": [
                    { "id": "tooluse_1", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } },
                    { "id": "tooluse_2", "type": "function", "function": { "name": "get_weather", "arguments": "" } }
                ] },
                { "role": "tool", "tool_call_id": "tooluse_1", "content": "18C, sunny" },
                { "role": "tool", "tool_call_id": "tooluse_2", "content": [{ "type": "text", "text": "22C" }] },
                { "role": "user", "content": "Thanks, and tomorrow?" }
            ],
            "tools": [weather_tool()],
            "tool_choice": "auto"
        });
        assert_eq!(
            chat_to_converse(&chat).unwrap(),
            json!({
                "messages": [
                    { "role": "user", "content": [{ "text": "Weather in Paris and Rome?" }] },
                    { "role": "assistant", "content": [
                        { "text": "Checking." },
                        { "toolUse": { "toolUseId": "tooluse_1", "name": "get_weather", "input": { "city": "Paris" } } },
                        { "toolUse": { "toolUseId": "tooluse_2", "name": "get_weather", "input": {} } }
                    ] },
                    { "role": "user", "content": [
                        { "toolResult": { "toolUseId": "tooluse_1", "content": [{ "text": "18C, sunny" }] } },
                        { "toolResult": { "toolUseId": "tooluse_2", "content": [{ "text": "22C" }] } },
                        { "text": "Thanks, and tomorrow?" }
                    ] }
                ],
                "toolConfig": {
                    "tools": [{ "toolSpec": {
                        "name": "get_weather",
                        "description": "Current weather",
                        "inputSchema": { "json": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] } }
                    } }],
                    "toolChoice": { "auto": {} }
                }
            })
        );
    }

    #[test]
    fn tool_choices_map_to_converse_choices() {
        let with_choice = |choice: Value| {
            chat_to_converse(&json!({
                "messages": [{ "role": "user", "content": "Hi" }],
                "tools": [{ "type": "function", "function": { "name": "lookup" } }],
                "tool_choice": choice
            }))
        };
        assert_eq!(
            with_choice(json!("required")).unwrap()["toolConfig"],
            json!({
                "tools": [{ "toolSpec": { "name": "lookup", "inputSchema": { "json": { "type": "object", "properties": {} } } } }],
                "toolChoice": { "any": {} }
            })
        );
        assert_eq!(
            with_choice(json!({ "type": "function", "function": { "name": "lookup" } })).unwrap()["toolConfig"]
                ["toolChoice"],
            json!({ "tool": { "name": "lookup" } })
        );
        assert_eq!(with_choice(json!("none")).unwrap().get("toolConfig"), None);
        assert_eq!(
            with_choice(Value::Null).unwrap()["toolConfig"].get("toolChoice"),
            None
        );
        assert_eq!(
            with_choice(json!("sometimes")).unwrap_err().0,
            "`tool_choice`: `sometimes` is not one of auto, required, none"
        );
    }

    #[test]
    fn tool_choice_none_keeps_the_tools_a_conversation_already_used() {
        let chat = json!({
            "messages": [
                { "role": "user", "content": "Weather?" },
                { "role": "assistant", "tool_calls": [{ "id": "t1", "type": "function", "function": { "name": "get_weather", "arguments": "{}" } }] },
                { "role": "tool", "tool_call_id": "t1", "content": "sunny" }
            ],
            "tools": [weather_tool()],
            "tool_choice": "none"
        });
        let body = chat_to_converse(&chat).unwrap();
        assert_eq!(
            body["toolConfig"]["tools"][0]["toolSpec"]["name"],
            "get_weather"
        );
        assert_eq!(body["toolConfig"].get("toolChoice"), None);
    }

    #[test]
    fn consecutive_turns_merge_and_empty_ones_vanish() {
        let chat = json!({
            "messages": [
                { "role": "user", "content": "one" },
                { "role": "user", "content": [
                    { "type": "text", "text": "two" },
                    { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } }
                ] },
                { "role": "assistant", "content": "" },
                { "role": "user", "content": "three", "name": "bob" }
            ]
        });
        assert_eq!(
            chat_to_converse(&chat).unwrap(),
            json!({ "messages": [{ "role": "user", "content": [
                { "text": "one" },
                { "text": "two" },
                { "image": { "format": "png", "source": { "bytes": "iVBORw0KGgo=" } } },
                { "text": "three" }
            ] }] })
        );
    }

    #[test]
    fn cache_marks_become_cache_points_in_system_messages_and_tool_results() {
        let chat = json!({
            "messages": [
                { "role": "system", "content": [{ "type": "text", "text": "Long rules", "cache_control": { "type": "ephemeral" } }] },
                { "role": "user", "content": "Go" },
                { "role": "assistant", "tool_calls": [{ "id": "t1", "type": "function", "function": { "name": "f", "arguments": "{}" } }] },
                { "role": "tool", "tool_call_id": "t1", "content": [{ "type": "text", "text": "big", "cache_control": { "type": "ephemeral" } }] }
            ],
            "tools": [{ "type": "function", "function": { "name": "f", "parameters": { "type": "object" } } }]
        });
        let body = chat_to_converse(&chat).unwrap();
        assert_eq!(
            body["system"],
            json!([{ "text": "Long rules" }, { "cachePoint": { "type": "default" } }])
        );
        assert_eq!(
            body["messages"][2],
            json!({ "role": "user", "content": [
                { "toolResult": { "toolUseId": "t1", "content": [{ "text": "big" }] } },
                { "cachePoint": { "type": "default" } }
            ] })
        );
    }

    #[test]
    fn invalid_requests_are_rejected_by_field() {
        let cases = [
            (json!({}), "`messages`: must be an array"),
            (
                json!({ "messages": [{ "role": "user", "content": "a" }], "n": 2 }),
                "`n`: Bedrock Converse returns a single choice",
            ),
            (
                json!({ "messages": [{ "role": "function", "content": "a" }] }),
                "`messages[0].role`: role `function` is not supported by Bedrock Converse",
            ),
            (
                json!({ "messages": [{ "role": "user", "content": [
                    { "type": "image_url", "image_url": { "url": "http://example.com/a.png" } }
                ] }] }),
                "`messages[0].content[0].image_url.url`: Bedrock Converse takes image bytes, not URLs: send a base64 `data:` URL",
            ),
            (
                json!({ "messages": [{ "role": "tool", "content": "x" }] }),
                "`messages[0].tool_call_id`: must be a non-empty string",
            ),
            (
                json!({ "messages": [{ "role": "user", "content": "a" }], "max_tokens": -1 }),
                "`max_tokens`: must be a positive integer",
            ),
            (
                json!({ "messages": [{ "role": "user", "content": "a" }], "temperature": "hot" }),
                "`temperature`: must be a number",
            ),
            (
                json!({ "messages": [{ "role": "user", "content": "a" }], "tools": [{ "type": "web_search" }] }),
                "`tools[0].type`: only function tools are supported by Bedrock Converse",
            ),
        ];
        for (chat, expected) in cases {
            assert_eq!(chat_to_converse(&chat).unwrap_err().0, expected);
        }
        let bad_arguments = json!({ "messages": [{ "role": "assistant", "tool_calls": [
            { "id": "t1", "type": "function", "function": { "name": "f", "arguments": "{not json" } }
        ] }] });
        assert!(
            chat_to_converse(&bad_arguments).unwrap_err().0.starts_with(
                "`messages[0].tool_calls[0].function.arguments`: must be a JSON string"
            )
        );
    }
}
