//! Round trips through both directions, and the shared helpers.

use serde_json::{Value, json};

use super::*;
use crate::sse::SseEvent;

#[test]
fn error_envelopes_and_types_follow_anthropic() {
    assert_eq!(
        error_body("rate_limit_error", "Slow down"),
        json!({ "type": "error", "error": { "type": "rate_limit_error", "message": "Slow down" } })
    );
    for (status, kind) in [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (529, "overloaded_error"),
        (500, "api_error"),
        (502, "api_error"),
        (418, "api_error"),
    ] {
        assert_eq!(error_type_for_status(status), kind, "{status}");
    }
}

#[test]
fn data_urls_are_split_into_media_type_and_data() {
    assert_eq!(
        parse_data_url("data:image/png;base64,AAA="),
        Some(("image/png", "AAA="))
    );
    assert_eq!(
        parse_data_url("data:image/jpeg;name=a.jpg;base64,/9j/"),
        Some(("image/jpeg", "/9j/"))
    );
    assert_eq!(parse_data_url("data:image/png,AAA="), None);
    assert_eq!(parse_data_url("data:;base64,AAA="), None);
    assert_eq!(parse_data_url("https://example.com/a.png"), None);
}

#[test]
fn message_ids_keep_the_upstream_stem() {
    assert_eq!(message_id(Some("chatcmpl-abc")), "msg_abc");
    assert_eq!(message_id(Some("msg_01X")), "msg_01X");
    assert!(message_id(Some("")).starts_with("msg_"));
    assert_ne!(message_id(None), message_id(None));
}

/// A multi-turn tool conversation in the normal form both directions produce.
fn chat_conversation() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1000,
        "messages": [
            { "role": "system", "content": "You check the weather." },
            { "role": "user", "content": [
                { "type": "text", "text": "Here is a photo; what is the weather in Paris?" },
                { "type": "image_url", "image_url": { "url": "data:image/webp;base64,UklGRg==" } },
            ] },
            { "role": "assistant", "content": null, "tool_calls": [
                { "id": "toolu_1", "type": "function", "function": { "name": "weather", "arguments": "{\"city\":\"Paris\"}" } },
                { "id": "toolu_2", "type": "function", "function": { "name": "forecast", "arguments": "{\"city\":\"Paris\",\"days\":2}" } },
            ] },
            { "role": "tool", "tool_call_id": "toolu_1", "content": "18C, cloudy" },
            { "role": "tool", "tool_call_id": "toolu_2", "content": "rain tomorrow" },
            { "role": "assistant", "content": "18C and cloudy; rain tomorrow." },
            { "role": "user", "content": "Thanks!" },
        ],
        "tools": [
            { "type": "function", "function": {
                "name": "weather",
                "description": "Current weather",
                "parameters": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] },
            } },
            { "type": "function", "function": {
                "name": "forecast",
                "parameters": { "type": "object", "properties": { "city": { "type": "string" }, "days": { "type": "integer" } } },
            } },
        ],
        "tool_choice": "auto",
        "temperature": 0.3,
        "stop": ["\n\nHuman:"],
        "stream": true,
        "stream_options": { "include_usage": true },
        "user": "u-42",
    })
}

#[test]
fn a_tool_conversation_survives_chat_to_messages_and_back() {
    let chat = chat_conversation();
    let messages = chat_to_messages_request(&chat, "claude-sonnet-4-5").unwrap();
    assert_eq!(
        messages["messages"][2],
        json!({ "role": "user", "content": [
            { "type": "tool_result", "tool_use_id": "toolu_1", "content": "18C, cloudy" },
            { "type": "tool_result", "tool_use_id": "toolu_2", "content": "rain tomorrow" },
        ] })
    );
    let back = messages_to_chat_request(&messages).unwrap();
    assert_eq!(back, chat);
}

#[test]
fn an_anthropic_request_survives_messages_to_chat_and_back() {
    let request = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 2048,
        "system": [{ "type": "text", "text": "Be precise.", "cache_control": { "type": "ephemeral" } }],
        "messages": [
            { "role": "user", "content": [
                { "type": "image", "source": { "type": "url", "url": "https://example.com/chart.png" } },
                { "type": "text", "text": "Sum the bars." },
            ] },
            { "role": "assistant", "content": [
                { "type": "text", "text": "Computing." },
                { "type": "tool_use", "id": "toolu_9", "name": "add", "input": { "values": [1, 2, 3] } },
            ] },
            { "role": "user", "content": [
                { "type": "tool_result", "tool_use_id": "toolu_9", "content": "6" },
            ] },
        ],
        "tools": [{ "name": "add", "input_schema": { "type": "object", "properties": { "values": { "type": "array" } } } }],
        "tool_choice": { "type": "tool", "name": "add", "disable_parallel_tool_use": true },
        "stop_sequences": ["STOP"],
        "top_p": 0.5,
        "stream": false,
        "metadata": { "user_id": "u-7" },
    });
    let chat = messages_to_chat_request(&request).unwrap();
    let back = chat_to_messages_request(&chat, "claude-sonnet-4-5").unwrap();
    assert_eq!(back, request);
}

#[test]
fn responses_survive_both_directions() {
    let message = json!({
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "alias",
        "content": [
            { "type": "text", "text": "Let me look." },
            { "type": "tool_use", "id": "toolu_1", "name": "search", "input": { "q": "rust" } },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {
            "input_tokens": 30,
            "output_tokens": 12,
            "cache_read_input_tokens": 500,
            "cache_creation_input_tokens": 70,
        },
    });
    let chat = messages_to_chat_response(&message, "alias").unwrap();
    assert_eq!(chat["choices"][0]["finish_reason"], json!("tool_calls"));
    assert_eq!(chat_to_messages_response(&chat, "alias").unwrap(), message);
}

fn sse(data: Value) -> SseEvent {
    SseEvent {
        event: data["type"].as_str().unwrap_or_default().to_owned(),
        data: data.to_string(),
    }
}

#[test]
fn an_anthropic_stream_survives_both_stream_converters() {
    let upstream = vec![
        json!({ "type": "message_start", "message": {
            "id": "msg_5", "type": "message", "role": "assistant", "model": "alias", "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": 9, "cache_read_input_tokens": 100, "output_tokens": 1 },
        } }),
        json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
        json!({ "type": "ping" }),
        json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "On it." } }),
        json!({ "type": "content_block_stop", "index": 0 }),
        json!({ "type": "content_block_start", "index": 1, "content_block": { "type": "tool_use", "id": "toolu_5", "name": "search", "input": {} } }),
        json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "{\"q\":" } }),
        json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "\"rust\"}" } }),
        json!({ "type": "content_block_stop", "index": 1 }),
        json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use", "stop_sequence": null }, "usage": { "output_tokens": 20 } }),
        json!({ "type": "message_stop" }),
    ];
    let mut to_chat = MessagesStreamToChat::new("alias");
    let mut to_messages = ChatStreamToMessages::new("alias");
    let mut events = Vec::new();
    for data in &upstream {
        for chunk in to_chat.push(&sse(data.clone())).unwrap() {
            events.extend(to_messages.push(&chunk));
        }
    }
    events.extend(to_messages.push(&to_chat.usage_chunk()));
    events.extend(to_messages.finish());
    assert_eq!(to_messages.usage(), to_chat.usage());

    let expected: Vec<(String, Value)> = upstream
        .iter()
        .filter(|data| data["type"] != "ping")
        .map(|data| {
            let mut data = data.clone();
            if data["type"] == "message_start" {
                // Chat streams report usage only at the end.
                data["message"]["usage"] = json!({ "input_tokens": 0, "output_tokens": 0 });
            }
            if data["type"] == "message_delta" {
                data["usage"] =
                    json!({ "input_tokens": 9, "output_tokens": 20, "cache_read_input_tokens": 100 });
            }
            (data["type"].as_str().unwrap_or_default().to_owned(), data)
        })
        .collect();
    assert_eq!(events, expected);
}

#[test]
fn a_mid_stream_error_surfaces_before_any_chunk_is_lost() {
    let mut to_chat = MessagesStreamToChat::new("alias");
    let start = json!({ "type": "message_start", "message": { "id": "msg_1", "usage": { "input_tokens": 3 } } });
    assert_eq!(to_chat.push(&sse(start)).unwrap().len(), 1);
    let delta = json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "par" } });
    assert_eq!(to_chat.push(&sse(delta)).unwrap().len(), 1);
    let error = json!({ "type": "error", "error": { "type": "api_error", "message": "Internal server error" } });
    let err = to_chat.push(&sse(error)).unwrap_err();
    assert!(err.0.contains("Internal server error"), "{err}");
    assert_eq!(to_chat.usage().prompt_tokens, 3);
}
