//! OpenAI `chat.completion` -> Anthropic message, for clients calling
//! `POST /v1/messages`.

use serde_json::{Value, json};

use super::{message_id, stop_reason_for, usage_to_messages};
use crate::translate::{TranslateError, Usage};

/// Builds the Anthropic message a `/v1/messages` client expects from the
/// first choice of a chat completion, reporting `model`.
pub fn chat_to_messages_response(chat: &Value, model: &str) -> Result<Value, TranslateError> {
    let Some(choice) = chat["choices"].get(0) else {
        return Err(TranslateError::field(
            "choices",
            "must hold at least one choice",
        ));
    };
    let reply = &choice["message"];
    let mut content = Vec::new();
    match &reply["content"] {
        Value::String(text) if !text.is_empty() => {
            content.push(json!({ "type": "text", "text": text }))
        }
        Value::Array(parts) => content.extend(
            parts
                .iter()
                .filter_map(|part| part["text"].as_str().filter(|text| !text.is_empty()))
                .map(|text| json!({ "type": "text", "text": text })),
        ),
        _ => {}
    }
    if content.is_empty()
        && let Some(refusal) = reply["refusal"].as_str().filter(|text| !text.is_empty())
    {
        content.push(json!({ "type": "text", "text": refusal }));
    }
    let calls = reply["tool_calls"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (j, call) in calls.iter().enumerate() {
        let path = format!("choices[0].message.tool_calls[{j}]");
        let (Some(id), Some(name)) = (call["id"].as_str(), call["function"]["name"].as_str())
        else {
            return Err(TranslateError::field(
                &path,
                "needs a string `id` and `function.name`",
            ));
        };
        let input = match &call["function"]["arguments"] {
            Value::String(text) if !text.trim().is_empty() => {
                serde_json::from_str(text).map_err(|error| {
                    TranslateError::field(
                        &format!("{path}.function.arguments"),
                        &format!("is not valid JSON: {error}"),
                    )
                })?
            }
            _ => json!({}),
        };
        content.push(json!({ "type": "tool_use", "id": id, "name": name, "input": input }));
    }
    // Some providers report tool calls with finish_reason "stop"; the client
    // must still learn it is expected to run them.
    let stop_reason = match choice["finish_reason"].as_str().map(stop_reason_for) {
        Some("end_turn") | None if !calls.is_empty() => "tool_use",
        Some(reason) => reason,
        None => "end_turn",
    };
    Ok(json!({
        "id": message_id(chat["id"].as_str()),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage_to_messages(&Usage::from_openai(&chat["usage"])),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn completion(message: Value, finish_reason: &str, usage: Value) -> Value {
        json!({
            "id": "chatcmpl-abc",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-2024-08-06",
            "choices": [{ "index": 0, "message": message, "finish_reason": finish_reason, "logprobs": null }],
            "usage": usage,
        })
    }

    #[test]
    fn a_text_completion_becomes_a_message() {
        let chat = completion(
            json!({ "role": "assistant", "content": "Hello!", "refusal": null }),
            "stop",
            json!({ "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15 }),
        );
        assert_eq!(
            chat_to_messages_response(&chat, "gpt-alias").unwrap(),
            json!({
                "id": "msg_abc",
                "type": "message",
                "role": "assistant",
                "model": "gpt-alias",
                "content": [{ "type": "text", "text": "Hello!" }],
                "stop_reason": "end_turn",
                "stop_sequence": null,
                "usage": { "input_tokens": 12, "output_tokens": 3 },
            })
        );
    }

    #[test]
    fn tool_calls_become_tool_use_blocks() {
        let chat = completion(
            json!({ "role": "assistant", "content": "Checking.", "tool_calls": [
                { "id": "call_1", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Paris\"}" } },
                { "id": "call_2", "type": "function", "function": { "name": "time", "arguments": "" } },
            ] }),
            "tool_calls",
            json!({ "prompt_tokens": 1, "completion_tokens": 2 }),
        );
        let out = chat_to_messages_response(&chat, "m").unwrap();
        assert_eq!(
            out["content"],
            json!([
                { "type": "text", "text": "Checking." },
                { "type": "tool_use", "id": "call_1", "name": "weather", "input": { "city": "Paris" } },
                { "type": "tool_use", "id": "call_2", "name": "time", "input": {} },
            ])
        );
        assert_eq!(out["stop_reason"], json!("tool_use"));
    }

    #[test]
    fn finish_reasons_map_to_stop_reasons() {
        let text = json!({ "role": "assistant", "content": "x" });
        for (finish, stop) in [
            ("stop", "end_turn"),
            ("length", "max_tokens"),
            ("tool_calls", "tool_use"),
            ("content_filter", "refusal"),
        ] {
            let out = chat_to_messages_response(&completion(text.clone(), finish, json!({})), "m");
            assert_eq!(out.unwrap()["stop_reason"], json!(stop), "{finish}");
        }
        let call = json!({ "role": "assistant", "content": null, "tool_calls": [
            { "id": "c", "type": "function", "function": { "name": "f", "arguments": "{}" } },
        ] });
        let out = chat_to_messages_response(&completion(call, "stop", json!({})), "m").unwrap();
        assert_eq!(out["stop_reason"], json!("tool_use"));
    }

    #[test]
    fn cached_prompt_tokens_are_split_out_of_input_tokens() {
        let chat = completion(
            json!({ "role": "assistant", "content": "ok" }),
            "stop",
            json!({
                "prompt_tokens": 1210,
                "completion_tokens": 4,
                "total_tokens": 1214,
                "prompt_tokens_details": { "cached_tokens": 1000 },
                "cache_creation_input_tokens": 200,
            }),
        );
        assert_eq!(
            chat_to_messages_response(&chat, "m").unwrap()["usage"],
            json!({
                "input_tokens": 10,
                "output_tokens": 4,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 200,
            })
        );
    }

    #[test]
    fn a_refusal_becomes_text_and_empty_content_no_blocks() {
        let chat = completion(
            json!({ "role": "assistant", "content": null, "refusal": "I can't help with that." }),
            "content_filter",
            json!({}),
        );
        let out = chat_to_messages_response(&chat, "m").unwrap();
        assert_eq!(
            out["content"],
            json!([{ "type": "text", "text": "I can't help with that." }])
        );
        assert_eq!(out["stop_reason"], json!("refusal"));
        let chat = completion(
            json!({ "role": "assistant", "content": "" }),
            "length",
            json!({}),
        );
        assert_eq!(
            chat_to_messages_response(&chat, "m").unwrap()["content"],
            json!([])
        );
    }

    #[test]
    fn ids_are_derived_or_generated() {
        let mut chat = completion(json!({ "content": "x" }), "stop", json!({}));
        chat["id"] = Value::Null;
        let id = chat_to_messages_response(&chat, "m").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(id.starts_with("msg_") && id.len() > 20, "{id}");
        chat["id"] = json!("msg_01XYZ");
        assert_eq!(
            chat_to_messages_response(&chat, "m").unwrap()["id"],
            json!("msg_01XYZ")
        );
    }

    #[test]
    fn malformed_completions_name_the_field() {
        let err = chat_to_messages_response(&json!({ "choices": [] }), "m")
            .unwrap_err()
            .0;
        assert!(err.contains("`choices`"), "{err}");
        let chat = completion(
            json!({ "tool_calls": [{ "id": "c", "function": { "name": "f", "arguments": "{oops" } }] }),
            "tool_calls",
            json!({}),
        );
        let err = chat_to_messages_response(&chat, "m").unwrap_err().0;
        assert!(
            err.contains("`choices[0].message.tool_calls[0].function.arguments`"),
            "{err}"
        );
    }
}
