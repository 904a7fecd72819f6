//! Bedrock Converse responses as OpenAI chat completions.

use serde_json::{Value, json};

use super::{completion_id, finish_reason, usage_from_converse};
use crate::translate::TranslateError;

/// The OpenAI `chat.completion` for a Converse response, reported as
/// `model` (the name the client asked for, not Bedrock's model id).
pub fn converse_to_chat(response: &Value, model: &str) -> Result<Value, TranslateError> {
    let Some(content) = response["output"]["message"]["content"].as_array() else {
        let problem = match response["message"].as_str() {
            Some(message) => format!("missing from the Bedrock response ({message})"),
            None => "missing from the Bedrock response".to_owned(),
        };
        return Err(TranslateError::field("output.message.content", &problem));
    };
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for block in content {
        if let Some(part) = block["text"].as_str() {
            text.push_str(part);
        } else if let Some(tool) = block.get("toolUse") {
            tool_calls.push(tool_call(tool)?);
        } else if let Some(part) = block["reasoningContent"]["reasoningText"]["text"].as_str() {
            reasoning.push_str(part);
        }
    }
    let mut message = json!({ "role": "assistant", "content": text });
    if !tool_calls.is_empty() {
        if text.is_empty() {
            message["content"] = Value::Null;
        }
        message["tool_calls"] = tool_calls.into();
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = reasoning.into();
    }
    let finish = finish_reason(response["stopReason"].as_str().unwrap_or_default());
    Ok(json!({
        "id": completion_id(),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
        "usage": usage_from_converse(&response["usage"]).to_openai(),
    }))
}

fn tool_call(tool: &Value) -> Result<Value, TranslateError> {
    let arguments = match &tool["input"] {
        Value::Null => "{}".to_owned(),
        input => serde_json::to_string(input).map_err(|error| {
            TranslateError::field("output.message.content.toolUse.input", &error.to_string())
        })?,
    };
    Ok(json!({
        "id": tool["toolUseId"],
        "type": "function",
        "function": { "name": tool["name"], "arguments": arguments },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The completion with its generated `id` and `created` checked and removed.
    fn translated(response: Value) -> Value {
        let mut chat = converse_to_chat(&response, "claude-haiku").unwrap();
        let object = chat.as_object_mut().unwrap();
        let id = object.remove("id").unwrap();
        assert!(id.as_str().unwrap().starts_with("chatcmpl-"));
        assert!(object.remove("created").unwrap().as_i64().unwrap() > 1_700_000_000);
        chat
    }

    #[test]
    fn text_blocks_are_joined_into_one_message() {
        let chat = translated(json!({
            "output": { "message": { "role": "assistant", "content": [{ "text": "Hello" }, { "text": ", world" }] } },
            "stopReason": "end_turn",
            "usage": { "inputTokens": 12, "outputTokens": 3, "totalTokens": 15 },
            "metrics": { "latencyMs": 321 }
        }));
        assert_eq!(
            chat,
            json!({
                "object": "chat.completion",
                "model": "claude-haiku",
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": "Hello, world" },
                    "finish_reason": "stop"
                }],
                "usage": { "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15 }
            })
        );
    }

    #[test]
    fn tool_uses_become_tool_calls_with_json_string_arguments() {
        let chat = translated(json!({
            "output": { "message": { "role": "assistant", "content": [
                { "toolUse": { "toolUseId": "tooluse_abc", "name": "get_weather", "input": { "city": "Paris" } } },
                { "toolUse": { "toolUseId": "tooluse_def", "name": "get_time", "input": {} } }
            ] } },
            "stopReason": "tool_use",
            "usage": { "inputTokens": 40, "outputTokens": 20, "totalTokens": 60 }
        }));
        assert_eq!(
            chat["choices"][0],
            json!({
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                        { "id": "tooluse_abc", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } },
                        { "id": "tooluse_def", "type": "function", "function": { "name": "get_time", "arguments": "{}" } }
                    ]
                },
                "finish_reason": "tool_calls"
            })
        );
    }

    #[test]
    fn reasoning_cache_usage_and_stop_reasons_are_reported() {
        let chat = translated(json!({
            "output": { "message": { "role": "assistant", "content": [
                { "reasoningContent": { "reasoningText": { "text": "Think.", "signature": "sig" } } },
                { "text": "Cut" }
            ] } },
            "stopReason": "max_tokens",
            "usage": {
                "inputTokens": 5, "outputTokens": 100, "totalTokens": 1105,
                "cacheReadInputTokens": 800, "cacheWriteInputTokens": 200
            }
        }));
        assert_eq!(
            chat["choices"][0],
            json!({
                "index": 0,
                "message": { "role": "assistant", "content": "Cut", "reasoning_content": "Think." },
                "finish_reason": "length"
            })
        );
        assert_eq!(
            chat["usage"],
            json!({
                "prompt_tokens": 1005,
                "completion_tokens": 100,
                "total_tokens": 1105,
                "prompt_tokens_details": { "cached_tokens": 800 },
                "cache_read_input_tokens": 800,
                "cache_creation_input_tokens": 200
            })
        );
        let filtered = translated(json!({
            "output": { "message": { "role": "assistant", "content": [{ "text": "Sorry." }] } },
            "stopReason": "guardrail_intervened",
            "usage": { "inputTokens": 1, "outputTokens": 1, "totalTokens": 2 }
        }));
        assert_eq!(filtered["choices"][0]["finish_reason"], "content_filter");
    }

    #[test]
    fn a_body_without_a_message_is_an_error() {
        assert_eq!(
            converse_to_chat(&json!({ "message": "Too many tokens" }), "m")
                .unwrap_err()
                .0,
            "`output.message.content`: missing from the Bedrock response (Too many tokens)"
        );
    }
}
