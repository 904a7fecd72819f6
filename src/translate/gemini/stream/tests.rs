use super::*;
use crate::sse::SseParser;
use serde_json::json;

fn event(data: &Value) -> SseEvent {
    SseEvent {
        event: String::new(),
        data: data.to_string(),
    }
}

/// Chunks with `created` checked for agreement with the stream's and removed.
fn settled(stream: &GeminiStreamToChat, chunks: Vec<Value>) -> Vec<Value> {
    chunks
        .into_iter()
        .map(|mut chunk| {
            assert_eq!(chunk["created"], stream.created);
            if let Some(object) = chunk.as_object_mut() {
                object.remove("created");
            }
            chunk
        })
        .collect()
}

#[test]
fn text_stream_puts_role_first_and_finishes_with_usage() {
    let mut stream = GeminiStreamToChat::new("gemini-flash");
    let first = json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
        "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
        "responseId": "r1"
    });
    let second = json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 2, "thoughtsTokenCount": 3, "totalTokenCount": 12},
        "responseId": "r1"
    });
    let chunks = stream.push(&event(&first)).unwrap();
    assert_eq!(
        settled(&stream, chunks),
        vec![json!({
            "id": "r1", "object": "chat.completion.chunk", "model": "gemini-flash",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": null}]
        })]
    );
    let chunks = stream.push(&event(&second)).unwrap();
    assert_eq!(
        settled(&stream, chunks),
        vec![json!({
            "id": "r1", "object": "chat.completion.chunk", "model": "gemini-flash",
            "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]
        })]
    );
    assert_eq!(
        stream.usage(),
        Usage {
            prompt_tokens: 7,
            completion_tokens: 5,
            reasoning_tokens: 3,
            ..Usage::default()
        }
    );
    let usage_chunk = stream.usage_chunk();
    assert_eq!(
        settled(&stream, vec![usage_chunk]),
        vec![json!({
            "id": "r1", "object": "chat.completion.chunk", "model": "gemini-flash", "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12,
                "completion_tokens_details": {"reasoning_tokens": 3}}
        })]
    );
}

#[test]
fn function_calls_stream_as_indexed_tool_calls() {
    let mut stream = GeminiStreamToChat::new("g");
    let thinking = json!({"candidates": [{"content": {"parts": [{"text": "plan", "thought": true}]}}], "responseId": "r"});
    let calls = json!({"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "a", "args": {"x": 1}}, "thoughtSignature": "sig"},
        {"functionCall": {"name": "b", "args": {}}}
    ]}}], "responseId": "r"});
    let more = json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "c", "args": {"y": "z"}}}]},
        "finishReason": "STOP"}], "responseId": "r"});
    let chunks = stream.push(&event(&thinking)).unwrap();
    assert_eq!(
        settled(&stream, chunks)[0]["choices"],
        json!([{"index": 0, "delta": {"role": "assistant", "reasoning_content": "plan"}, "finish_reason": null}])
    );
    let chunks = stream.push(&event(&calls)).unwrap();
    assert_eq!(
        settled(&stream, chunks)[0]["choices"],
        json!([{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_0__thought__sig", "type": "function", "function": {"name": "a", "arguments": "{\"x\":1}"}},
            {"index": 1, "id": "call_1", "type": "function", "function": {"name": "b", "arguments": "{}"}}
        ]}, "finish_reason": null}])
    );
    let chunks = stream.push(&event(&more)).unwrap();
    assert_eq!(
        settled(&stream, chunks)[0]["choices"],
        json!([{"index": 0, "delta": {"tool_calls": [
            {"index": 2, "id": "call_2", "type": "function", "function": {"name": "c", "arguments": "{\"y\":\"z\"}"}}
        ]}, "finish_reason": "tool_calls"}])
    );
}

#[test]
fn a_finish_after_an_earlier_call_is_tool_calls() {
    let mut stream = GeminiStreamToChat::new("g");
    let call = json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "a", "args": {}}}]}}], "responseId": "r"});
    let end = json!({"candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}], "responseId": "r"});
    stream.push(&event(&call)).unwrap();
    let chunks = stream.push(&event(&end)).unwrap();
    assert_eq!(
        chunks[0]["choices"],
        json!([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])
    );
}

#[test]
fn candidates_get_their_own_chunks_and_roles() {
    let mut stream = GeminiStreamToChat::new("g");
    let both = json!({"candidates": [
        {"content": {"parts": [{"text": "A"}]}, "index": 0},
        {"content": {"parts": [{"text": "B"}]}, "index": 1}
    ], "responseId": "r"});
    let second = json!({"candidates": [{"content": {"parts": [{"text": "B2"}]}, "index": 1, "finishReason": "MAX_TOKENS"}], "responseId": "r"});
    let chunks = stream.push(&event(&both)).unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(
        chunks[1]["choices"],
        json!([{"index": 1, "delta": {"role": "assistant", "content": "B"}, "finish_reason": null}])
    );
    let chunks = stream.push(&event(&second)).unwrap();
    assert_eq!(
        chunks[0]["choices"],
        json!([{"index": 1, "delta": {"content": "B2"}, "finish_reason": "length"}])
    );
}

#[test]
fn a_blocked_prompt_ends_the_stream_with_content_filter() {
    let mut stream = GeminiStreamToChat::new("g");
    let blocked = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}, "responseId": "b"});
    let chunks = stream.push(&event(&blocked)).unwrap();
    assert_eq!(
        settled(&stream, chunks),
        vec![json!({
            "id": "b", "object": "chat.completion.chunk", "model": "g",
            "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": "content_filter"}]
        })]
    );
    assert_eq!(stream.usage().prompt_tokens, 4);
}

#[test]
fn usage_only_and_empty_events_yield_nothing_and_last_usage_wins() {
    let mut stream = GeminiStreamToChat::new("g");
    assert!(
        stream
            .push(&SseEvent {
                event: String::new(),
                data: String::new()
            })
            .unwrap()
            .is_empty()
    );
    let usage_only = json!({"usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "cachedContentTokenCount": 2}});
    assert!(stream.push(&event(&usage_only)).unwrap().is_empty());
    let later = json!({"usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9, "cachedContentTokenCount": 2}});
    stream.push(&event(&later)).unwrap();
    assert_eq!(
        stream.usage(),
        Usage {
            prompt_tokens: 3,
            completion_tokens: 9,
            cache_read_input_tokens: 2,
            ..Usage::default()
        }
    );
}

#[test]
fn errors_and_garbage_are_reported() {
    let mut stream = GeminiStreamToChat::new("g");
    let error = json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}});
    assert_eq!(
        stream.push(&event(&error)).unwrap_err().0,
        "Gemini error: The model is overloaded."
    );
    let garbage = SseEvent {
        event: String::new(),
        data: "{not json".into(),
    };
    assert!(
        stream
            .push(&garbage)
            .unwrap_err()
            .0
            .starts_with("Gemini stream event is not JSON")
    );
}

#[test]
fn a_raw_byte_stream_parses_into_chunks() {
    let body = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": \"model\"},\"index\": 0}],",
        "\"usageMetadata\": {\"promptTokenCount\": 2,\"totalTokenCount\": 2},\"responseId\": \"x\"}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"!\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],",
        "\"usageMetadata\": {\"promptTokenCount\": 2,\"candidatesTokenCount\": 2,\"totalTokenCount\": 4},\"responseId\": \"x\"}\r\n\r\n"
    );
    let mut parser = SseParser::new();
    let mut stream = GeminiStreamToChat::new("g");
    let mut text = String::new();
    let mut finish = Value::Null;
    for piece in body.as_bytes().chunks(17) {
        for event in parser.push(piece) {
            for chunk in stream.push(&event).unwrap() {
                text.push_str(
                    chunk["choices"][0]["delta"]["content"]
                        .as_str()
                        .unwrap_or_default(),
                );
                finish = chunk["choices"][0]["finish_reason"].clone();
            }
        }
    }
    assert_eq!(text, "Hi!");
    assert_eq!(finish, "stop");
    assert_eq!(stream.usage().total_tokens(), 4);
}
