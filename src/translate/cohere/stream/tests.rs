use super::*;
use crate::sse::SseParser;
use serde_json::json;

fn event(data: &Value) -> SseEvent {
    SseEvent {
        event: data["type"].as_str().unwrap_or_default().to_owned(),
        data: data.to_string(),
    }
}

/// Feeds every event and returns all chunks, `created` checked and removed.
fn run(stream: &mut CohereStreamToChat, events: &[Value]) -> Vec<Value> {
    let mut chunks = Vec::new();
    for data in events {
        for mut chunk in stream.push(&event(data)).unwrap() {
            assert_eq!(chunk["created"], stream.created);
            if let Some(object) = chunk.as_object_mut() {
                object.remove("created");
            }
            chunks.push(chunk);
        }
    }
    chunks
}

fn chunk(id: &str, delta: Value, finish: Value) -> Value {
    json!({
        "id": id, "object": "chat.completion.chunk", "model": "cmd",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    })
}

#[test]
fn a_text_stream_becomes_chunks_with_usage() {
    let mut stream = CohereStreamToChat::new("cmd");
    let events = [
        json!({"type": "message-start", "id": "m-1", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
        json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hel"}}}}),
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "lo"}}}}),
        json!({"type": "content-end", "index": 0}),
        json!({"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": {
            "billed_units": {"input_tokens": 3, "output_tokens": 2}, "tokens": {"input_tokens": 60, "output_tokens": 2}}}}),
    ];
    assert_eq!(
        run(&mut stream, &events),
        vec![
            chunk(
                "m-1",
                json!({"role": "assistant", "content": ""}),
                Value::Null
            ),
            chunk("m-1", json!({"content": "Hel"}), Value::Null),
            chunk("m-1", json!({"content": "lo"}), Value::Null),
            chunk("m-1", json!({}), json!("stop")),
        ]
    );
    assert_eq!(
        stream.usage(),
        Usage {
            prompt_tokens: 60,
            completion_tokens: 2,
            ..Usage::default()
        }
    );
    let mut usage_chunk = stream.usage_chunk();
    if let Some(object) = usage_chunk.as_object_mut() {
        object.remove("created");
    }
    assert_eq!(
        usage_chunk,
        json!({"id": "m-1", "object": "chat.completion.chunk", "model": "cmd", "choices": [],
            "usage": {"prompt_tokens": 60, "completion_tokens": 2, "total_tokens": 62}})
    );
}

#[test]
fn tool_plans_and_parallel_calls_stream_as_indexed_tool_calls() {
    let mut stream = CohereStreamToChat::new("cmd");
    let events = [
        json!({"type": "message-start", "id": "m-2", "delta": {"message": {"role": "assistant"}}}),
        json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will"}}}),
        json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": " check."}}}),
        json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {
            "id": "get_weather_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}}}}),
        json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "{\"city\":"}}}}}),
        json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "\"Paris\"}"}}}}}),
        json!({"type": "tool-call-end", "index": 0}),
        json!({"type": "tool-call-start", "index": 1, "delta": {"message": {"tool_calls": {
            "id": "get_weather_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}}}}),
        json!({"type": "tool-call-end", "index": 1}),
        json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": {"billed_units": {"input_tokens": 20, "output_tokens": 9}}}}),
    ];
    assert_eq!(
        run(&mut stream, &events),
        vec![
            chunk(
                "m-2",
                json!({"role": "assistant", "content": ""}),
                Value::Null
            ),
            chunk("m-2", json!({"content": "I will"}), Value::Null),
            chunk("m-2", json!({"content": " check."}), Value::Null),
            chunk(
                "m-2",
                json!({"tool_calls": [{"index": 0, "id": "get_weather_1", "type": "function",
                "function": {"name": "get_weather", "arguments": ""}}]}),
                Value::Null
            ),
            chunk(
                "m-2",
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
                Value::Null
            ),
            chunk(
                "m-2",
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
                Value::Null
            ),
            chunk(
                "m-2",
                json!({"tool_calls": [{"index": 1, "id": "get_weather_2", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]}),
                Value::Null
            ),
            chunk("m-2", json!({}), json!("tool_calls")),
        ]
    );
    assert_eq!(stream.usage().total_tokens(), 29);
}

#[test]
fn finish_reasons_and_thinking_in_the_stream() {
    let mut stream = CohereStreamToChat::new("cmd");
    let events = [
        json!({"type": "content-delta", "delta": {"message": {"content": {"thinking": "hmm"}}}}),
        json!({"type": "citation-start", "index": 0, "delta": {"message": {"citations": {}}}}),
        json!({"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS"}}),
    ];
    let chunks = run(&mut stream, &events);
    assert_eq!(chunks.len(), 2);
    let id = chunks[0]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("chatcmpl-"));
    assert_eq!(
        chunks[0],
        chunk(
            &id,
            json!({"role": "assistant", "reasoning_content": "hmm"}),
            Value::Null
        )
    );
    assert_eq!(chunks[1], chunk(&id, json!({}), json!("length")));
    assert_eq!(stream.usage(), Usage::default());
}

#[test]
fn an_error_end_and_bad_events_are_errors() {
    let mut stream = CohereStreamToChat::new("cmd");
    let end = json!({"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "model crashed"}});
    assert_eq!(
        stream.push(&event(&end)).unwrap_err().0,
        "Cohere generation failed: model crashed"
    );
    let orphan = json!({"type": "tool-call-delta", "delta": {"message": {"tool_calls": {"function": {"arguments": "x"}}}}});
    assert!(stream.push(&event(&orphan)).is_err());
    let garbage = SseEvent {
        event: String::new(),
        data: "nope".into(),
    };
    assert!(
        stream
            .push(&garbage)
            .unwrap_err()
            .0
            .starts_with("Cohere stream event is not JSON")
    );
    assert!(
        stream
            .push(&SseEvent {
                event: String::new(),
                data: String::new()
            })
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_event_name_stands_in_for_a_missing_type() {
    let mut stream = CohereStreamToChat::new("cmd");
    let delta = SseEvent {
        event: "content-delta".into(),
        data: json!({"delta": {"message": {"content": {"text": "x"}}}}).to_string(),
    };
    let chunks = stream.push(&delta).unwrap();
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "x"})
    );
}

#[test]
fn a_raw_byte_stream_parses_into_chunks() {
    let body = concat!(
        "event: message-start\ndata: {\"id\":\"m\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hi\"}}}}\n\n",
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",",
        "\"usage\":{\"tokens\":{\"input_tokens\":4,\"output_tokens\":1}}}}\n\n"
    );
    let mut parser = SseParser::new();
    let mut stream = CohereStreamToChat::new("cmd");
    let mut text = String::new();
    let mut finish = Value::Null;
    for piece in body.as_bytes().chunks(11) {
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
    assert_eq!(text, "Hi");
    assert_eq!(finish, "stop");
    assert_eq!(stream.usage().total_tokens(), 5);
}
