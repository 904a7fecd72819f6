//! Anthropic message -> OpenAI `chat.completion`, for native Anthropic
//! upstreams.

use serde_json::{Value, json};

use super::{finish_reason_for, now_unix, usage_from_messages};
use crate::translate::TranslateError;

/// Builds the chat completion a client expects from an Anthropic message,
/// reporting `model` (the name the client asked for, not the upstream's).
pub fn messages_to_chat_response(message: &Value, model: &str) -> Result<Value, TranslateError> {
    convert(message, model, now_unix())
}

fn convert(message: &Value, model: &str, created: u64) -> Result<Value, TranslateError> {
    let Some(blocks) = message["content"].as_array() else {
        return Err(TranslateError::field("content", "must be an array"));
    };
    let mut text: Option<String> = None;
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        match block["type"].as_str() {
            Some("text") => text
                .get_or_insert_default()
                .push_str(block["text"].as_str().unwrap_or_default()),
            Some("thinking") => reasoning.push_str(block["thinking"].as_str().unwrap_or_default()),
            Some("tool_use") => {
                let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) else {
                    return Err(TranslateError::field(
                        &format!("content[{i}]"),
                        "a tool_use block needs a string `id` and `name`",
                    ));
                };
                tool_calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": { "name": name, "arguments": block["input"].to_string() },
                }));
            }
            // Redacted thinking and server-side tool blocks have no chat form.
            _ => {}
        }
    }
    let mut reply = json!({ "role": "assistant", "content": text });
    if !reasoning.is_empty() {
        reply["reasoning_content"] = reasoning.into();
    }
    if !tool_calls.is_empty() {
        reply["tool_calls"] = tool_calls.into();
    }
    let finish_reason = message["stop_reason"].as_str().map(finish_reason_for);
    let id = match message["id"].as_str() {
        Some(id) => id.to_owned(),
        None => format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
    };
    Ok(json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{ "index": 0, "message": reply, "finish_reason": finish_reason, "logprobs": null }],
        "usage": usage_from_messages(&message["usage"]).to_openai(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(content: Value, stop_reason: &str, usage: Value) -> Value {
        json!({
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": usage,
        })
    }

    #[test]
    fn a_text_reply_becomes_a_chat_completion() {
        let input = message(
            json!([{ "type": "text", "text": "Hello" }, { "type": "text", "text": " there" }]),
            "end_turn",
            json!({ "input_tokens": 10, "output_tokens": 3 }),
        );
        assert_eq!(
            convert(&input, "claude-alias", 1_700_000_000).unwrap(),
            json!({
                "id": "msg_01",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "claude-alias",
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": "Hello there" },
                    "finish_reason": "stop",
                    "logprobs": null,
                }],
                "usage": { "prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13 },
            })
        );
    }

    #[test]
    fn tool_use_becomes_tool_calls_with_null_content() {
        let input = message(
            json!([
                { "type": "thinking", "thinking": "Need weather.", "signature": "sig" },
                { "type": "tool_use", "id": "toolu_1", "name": "weather", "input": { "city": "Paris" } },
            ]),
            "tool_use",
            json!({ "input_tokens": 5, "output_tokens": 7 }),
        );
        let out = convert(&input, "m", 1).unwrap();
        assert_eq!(
            out["choices"][0],
            json!({
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": null,
                    "reasoning_content": "Need weather.",
                    "tool_calls": [{
                        "id": "toolu_1",
                        "type": "function",
                        "function": { "name": "weather", "arguments": "{\"city\":\"Paris\"}" },
                    }],
                },
                "finish_reason": "tool_calls",
                "logprobs": null,
            })
        );
    }

    #[test]
    fn stop_reasons_map_to_finish_reasons() {
        for (stop, finish) in [
            ("end_turn", json!("stop")),
            ("stop_sequence", json!("stop")),
            ("max_tokens", json!("length")),
            ("tool_use", json!("tool_calls")),
            ("refusal", json!("content_filter")),
            ("pause_turn", json!("stop")),
        ] {
            let input = message(json!([]), stop, json!({}));
            let out = convert(&input, "m", 1).unwrap();
            assert_eq!(out["choices"][0]["finish_reason"], finish, "{stop}");
        }
    }

    #[test]
    fn cache_tokens_count_toward_prompt_tokens() {
        let input = message(
            json!([{ "type": "text", "text": "ok" }]),
            "end_turn",
            json!({
                "input_tokens": 10,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 200,
                "output_tokens": 4,
            }),
        );
        assert_eq!(
            convert(&input, "m", 1).unwrap()["usage"],
            json!({
                "prompt_tokens": 1210,
                "completion_tokens": 4,
                "total_tokens": 1214,
                "prompt_tokens_details": { "cached_tokens": 1000 },
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 200,
            })
        );
    }

    #[test]
    fn the_public_function_stamps_the_current_time() {
        let input = message(json!([]), "end_turn", json!({}));
        let out = messages_to_chat_response(&input, "m").unwrap();
        assert!(out["created"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(out["choices"][0]["message"]["content"], Value::Null);
    }

    #[test]
    fn malformed_messages_name_the_field() {
        let err = convert(&json!({ "content": "hi" }), "m", 1).unwrap_err().0;
        assert!(err.contains("`content`"), "{err}");
        let input = message(
            json!([{ "type": "tool_use", "input": {} }]),
            "tool_use",
            json!({}),
        );
        let err = convert(&input, "m", 1).unwrap_err().0;
        assert!(err.contains("`content[0]`"), "{err}");
    }
}
