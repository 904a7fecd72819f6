//! A chat completion as a Responses `response` object: the assistant's
//! text as one message item, each tool call as a `function_call` item.

use serde_json::Value;

use super::{Echo, Snapshot, function_call_item, message_item, new_id, status_for};
use crate::translate::{TranslateError, Usage, content_text};

/// Translates a chat completion into the `response` object answering the
/// Responses request that `echo` was taken from.
pub fn chat_to_response(chat: &Value, echo: &Echo) -> Result<Value, TranslateError> {
    let choice = chat["choices"]
        .get(0)
        .ok_or_else(|| TranslateError::field("choices", "the provider answered no choice"))?;
    let message = &choice["message"];
    let text = content_text(&message["content"], "choices[0].message.content")?;
    let calls = message["tool_calls"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut output = Vec::new();
    if !text.is_empty() || calls.is_empty() {
        output.push(message_item(&new_id("msg"), &text));
    }
    for call in calls {
        let function = &call["function"];
        let call_id = call["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| new_id("call"));
        output.push(function_call_item(
            &new_id("fc"),
            &call_id,
            function["name"].as_str().unwrap_or_default(),
            function["arguments"].as_str().unwrap_or("{}"),
            "completed",
        ));
    }
    let (status, incomplete_reason) = status_for(choice["finish_reason"].as_str());
    let usage = chat
        .get("usage")
        .filter(|usage| usage.is_object())
        .map(Usage::from_openai);
    Ok(Snapshot {
        id: &new_id("resp"),
        created_at: chat["created"]
            .as_i64()
            .unwrap_or_else(|| chrono::Utc::now().timestamp()),
        model: chat["model"].as_str().unwrap_or_default(),
        status,
        incomplete_reason,
        output,
        usage,
    }
    .render(echo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(message: Value, finish: &str) -> Value {
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "claude-3-5-haiku",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 15, "completion_tokens": 7, "total_tokens": 22,
                "prompt_tokens_details": {"cached_tokens": 4}},
        })
    }

    #[test]
    fn text_answers_become_one_message_item() {
        let echo = Echo::of(&json!({"instructions": "Be brief.", "max_output_tokens": 64}));
        let response = chat_to_response(
            &chat(json!({"role": "assistant", "content": "Hello"}), "stop"),
            &echo,
        )
        .unwrap();
        assert!(response["id"].as_str().unwrap().starts_with("resp_"));
        assert_eq!(response["object"], "response");
        assert_eq!(response["created_at"], 1700000000);
        assert_eq!(response["status"], "completed");
        assert_eq!(response["model"], "claude-3-5-haiku");
        assert_eq!(response["instructions"], "Be brief.");
        assert_eq!(response["max_output_tokens"], 64);
        let item = &response["output"][0];
        assert!(item["id"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(item["type"], "message");
        assert_eq!(item["status"], "completed");
        assert_eq!(item["role"], "assistant");
        assert_eq!(
            item["content"],
            json!([{"type": "output_text", "text": "Hello", "annotations": []}])
        );
        assert_eq!(
            response["usage"],
            json!({"input_tokens": 15, "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 22})
        );
        assert!(response.get("output_text").is_none());
    }

    #[test]
    fn tool_calls_become_function_call_items_after_the_text() {
        let message = json!({"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
        ]});
        let response = chat_to_response(&chat(message, "tool_calls"), &Echo::default()).unwrap();
        let output = response["output"].as_array().unwrap();
        assert_eq!(output.len(), 2);
        assert_eq!(output[0]["content"][0]["text"], "Let me check.");
        let call = &output[1];
        assert_eq!(call["type"], "function_call");
        assert!(call["id"].as_str().unwrap().starts_with("fc_"));
        assert_eq!(call["call_id"], "toolu_1");
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(call["status"], "completed");
        assert_eq!(response["status"], "completed");
    }

    #[test]
    fn a_call_alone_has_no_empty_message() {
        let message = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        ]});
        let response = chat_to_response(&chat(message, "tool_calls"), &Echo::default()).unwrap();
        assert_eq!(response["output"].as_array().unwrap().len(), 1);
        assert_eq!(response["output"][0]["type"], "function_call");
    }

    #[test]
    fn a_length_cut_is_incomplete() {
        let response = chat_to_response(
            &chat(json!({"role": "assistant", "content": "Hel"}), "length"),
            &Echo::default(),
        )
        .unwrap();
        assert_eq!(response["status"], "incomplete");
        assert_eq!(
            response["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert!(chat_to_response(&json!({"choices": []}), &Echo::default()).is_err());
    }
}
