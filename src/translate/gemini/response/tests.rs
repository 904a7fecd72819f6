use super::*;
use serde_json::json;

/// The response with `created` removed, the one field that depends on the clock.
fn settled(mut response: Value) -> Value {
    let created = response["created"].take();
    assert!(created.as_i64().is_some_and(|t| t > 0));
    if let Some(object) = response.as_object_mut() {
        object.remove("created");
    }
    response
}

#[test]
fn text_candidate_with_usage() {
    let response = json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": "Hello"}, {"text": ", world"}]},
            "finishReason": "STOP",
            "index": 0,
            "safetyRatings": []
        }],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 5, "totalTokenCount": 17},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-1"
    });
    assert_eq!(
        settled(generate_content_to_chat(&response, "gemini-flash").unwrap()),
        json!({
            "id": "resp-1",
            "object": "chat.completion",
            "model": "gemini-flash",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "Hello, world"},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
        })
    );
}

#[test]
fn function_calls_become_tool_calls_with_generated_ids() {
    let response = json!({
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"text": "Let me check."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
                {"functionCall": {"name": "get_time"}}
            ]},
            "finishReason": "STOP"
        }],
        "responseId": "resp-2"
    });
    let chat = settled(generate_content_to_chat(&response, "g").unwrap());
    assert_eq!(
        chat["choices"],
        json!([{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {"id": "call_0__thought__c2ln", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                ]
            },
            "finish_reason": "tool_calls"
        }])
    );
    assert_eq!(
        chat["usage"],
        json!({"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
    );
}

#[test]
fn tool_calls_round_trip_into_the_next_request() {
    let response = json!({
        "candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}
        ]}, "finishReason": "STOP"}],
        "responseId": "r"
    });
    let chat = generate_content_to_chat(&response, "g").unwrap();
    let message = chat["choices"][0]["message"].clone();
    let call_id = message["tool_calls"][0]["id"].clone();
    let next = json!({"messages": [
        {"role": "user", "content": "Weather?"},
        message,
        {"role": "tool", "tool_call_id": call_id, "content": "sunny"}
    ]});
    assert_eq!(
        super::super::chat_to_generate_content(&next).unwrap()["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather?"}]},
            {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"content": {"result": "sunny"}}}}
            ]}
        ])
    );
}

#[test]
fn every_candidate_is_a_choice_and_thoughts_are_reasoning() {
    let response = json!({
        "candidates": [
            {"content": {"parts": [{"text": "Thinking...", "thought": true}, {"text": "A"}]}, "finishReason": "STOP", "index": 0},
            {"content": {"parts": [{"text": "B"}]}, "finishReason": "MAX_TOKENS", "index": 1}
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 4, "thoughtsTokenCount": 30,
            "cachedContentTokenCount": 6, "totalTokenCount": 44},
        "responseId": "r"
    });
    assert_eq!(
        settled(generate_content_to_chat(&response, "g").unwrap()),
        json!({
            "id": "r", "object": "chat.completion", "model": "g",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "A", "reasoning_content": "Thinking..."}, "finish_reason": "stop"},
                {"index": 1, "message": {"role": "assistant", "content": "B"}, "finish_reason": "length"}
            ],
            "usage": {
                "prompt_tokens": 10, "completion_tokens": 34, "total_tokens": 44,
                "prompt_tokens_details": {"cached_tokens": 6},
                "cache_read_input_tokens": 6, "cache_creation_input_tokens": 0,
                "completion_tokens_details": {"reasoning_tokens": 30}
            }
        })
    );
}

#[test]
fn finish_reasons_map_to_openai() {
    for (gemini, openai) in [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("OTHER", "stop"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
    ] {
        let response = json!({"candidates": [{"content": {"parts": []}, "finishReason": gemini}], "responseId": "r"});
        let chat = generate_content_to_chat(&response, "g").unwrap();
        assert_eq!(chat["choices"][0]["finish_reason"], openai, "{gemini}");
        assert_eq!(chat["choices"][0]["message"]["content"], Value::Null);
    }
    assert_eq!(finish_reason(None, true), None);
    assert_eq!(finish_reason(Some("MAX_TOKENS"), true), Some("tool_calls"));
}

#[test]
fn a_blocked_prompt_is_a_content_filter_choice() {
    let response = json!({
        "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "responseId": "blocked"
    });
    assert_eq!(
        settled(generate_content_to_chat(&response, "g").unwrap()),
        json!({
            "id": "blocked", "object": "chat.completion", "model": "g",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null}, "finish_reason": "content_filter"}],
            "usage": {"prompt_tokens": 8, "completion_tokens": 0, "total_tokens": 8}
        })
    );
}

#[test]
fn errors_and_empty_responses_are_reported() {
    let error = json!({"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}});
    assert_eq!(
        generate_content_to_chat(&error, "g").unwrap_err().0,
        "Gemini error: Resource has been exhausted"
    );
    assert!(generate_content_to_chat(&json!({"candidates": []}), "g").is_err());
}

#[test]
fn a_missing_response_id_is_generated() {
    let response =
        json!({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}]});
    let chat = generate_content_to_chat(&response, "g").unwrap();
    assert!(chat["id"].as_str().unwrap().starts_with("chatcmpl-"));
}

#[test]
fn tool_use_prompt_tokens_count_as_prompt() {
    let usage = usage_from_metadata(
        &json!({"promptTokenCount": 10, "toolUsePromptTokenCount": 3, "candidatesTokenCount": 2}),
    );
    assert_eq!(usage.prompt_tokens, 13);
    assert_eq!(usage.total_tokens(), 15);
}
