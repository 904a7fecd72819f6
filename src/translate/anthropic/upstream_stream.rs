//! Anthropic Messages stream events -> OpenAI `chat.completion.chunk`s, for
//! native Anthropic upstreams.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{finish_reason_for, now_unix};
use crate::sse::SseEvent;
use crate::translate::{TranslateError, Usage};

/// Converts one Anthropic stream into chat chunks, event by event, keeping
/// what the chunks need across events: the message id, which content blocks
/// are tool calls (and their OpenAI index), and the running usage.
#[derive(Debug)]
pub struct MessagesStreamToChat {
    model: String,
    id: String,
    created: u64,
    role_sent: bool,
    /// Anthropic content block index -> OpenAI tool call index.
    tool_calls: HashMap<u64, u64>,
    input_tokens: u64,
    output_tokens: u64,
    cache_read_input_tokens: u64,
    cache_creation_input_tokens: u64,
}

impl MessagesStreamToChat {
    /// A converter whose chunks report `model` (the name the client asked for).
    pub fn new(model: &str) -> Self {
        Self::created_at(model, now_unix())
    }

    fn created_at(model: &str, created: u64) -> Self {
        Self {
            model: model.to_owned(),
            id: format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
            created,
            role_sent: false,
            tool_calls: HashMap::new(),
            input_tokens: 0,
            output_tokens: 0,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
        }
    }

    /// The chunks one upstream event becomes (often none). An `error` event
    /// mid-stream becomes `Err` carrying the upstream's message.
    pub fn push(&mut self, event: &SseEvent) -> Result<Vec<Value>, TranslateError> {
        if event.data.trim().is_empty() {
            return Ok(Vec::new());
        }
        let data: Value = serde_json::from_str(&event.data).map_err(|error| {
            TranslateError(format!(
                "upstream stream event `{}` is not JSON: {error}",
                event.event
            ))
        })?;
        let kind = data["type"].as_str().unwrap_or(&event.event);
        let chunks = match kind {
            "message_start" => {
                let message = &data["message"];
                if let Some(id) = message["id"].as_str() {
                    self.id = id.to_owned();
                }
                self.absorb_usage(&message["usage"]);
                vec![self.chunk(json!({ "content": "" }), Value::Null)]
            }
            "content_block_start" => self.block_start(&data),
            "content_block_delta" => self.block_delta(&data),
            "message_delta" => {
                self.absorb_usage(&data["usage"]);
                match data["delta"]["stop_reason"].as_str() {
                    Some(reason) => vec![self.chunk(json!({}), finish_reason_for(reason).into())],
                    None => Vec::new(),
                }
            }
            "error" => {
                let error = &data["error"];
                return Err(TranslateError(format!(
                    "upstream stream error ({}): {}",
                    error["type"].as_str().unwrap_or("unknown"),
                    error["message"].as_str().unwrap_or("no message"),
                )));
            }
            // ping, content_block_stop, message_stop, and event types added later.
            _ => Vec::new(),
        };
        Ok(chunks)
    }

    /// Usage so far; complete once `message_delta` has arrived.
    pub fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.input_tokens
                + self.cache_read_input_tokens
                + self.cache_creation_input_tokens,
            completion_tokens: self.output_tokens,
            cache_read_input_tokens: self.cache_read_input_tokens,
            cache_creation_input_tokens: self.cache_creation_input_tokens,
            reasoning_tokens: 0,
        }
    }

    /// The closing chunk with empty `choices` and the usage, sent when the
    /// client asked for `stream_options.include_usage`.
    pub fn usage_chunk(&self) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": self.usage().to_openai(),
        })
    }

    fn block_start(&mut self, data: &Value) -> Vec<Value> {
        let block = &data["content_block"];
        match block["type"].as_str() {
            Some("text") => self.text_chunk("content", &block["text"]),
            Some("thinking") => self.text_chunk("reasoning_content", &block["thinking"]),
            Some("tool_use") => {
                let tool_index = self.tool_calls.len() as u64;
                self.tool_calls
                    .insert(data["index"].as_u64().unwrap_or(0), tool_index);
                let call = json!({
                    "index": tool_index,
                    "id": block["id"],
                    "type": "function",
                    "function": { "name": block["name"], "arguments": "" },
                });
                vec![self.chunk(json!({ "tool_calls": [call] }), Value::Null)]
            }
            _ => Vec::new(),
        }
    }

    fn block_delta(&mut self, data: &Value) -> Vec<Value> {
        let delta = &data["delta"];
        match delta["type"].as_str() {
            Some("text_delta") => self.text_chunk("content", &delta["text"]),
            Some("thinking_delta") => self.text_chunk("reasoning_content", &delta["thinking"]),
            Some("input_json_delta") => {
                let partial = delta["partial_json"].as_str().unwrap_or_default();
                // Server-side tool blocks stream input too; only client tools map.
                let tool = self
                    .tool_calls
                    .get(&data["index"].as_u64().unwrap_or(0))
                    .copied();
                match tool {
                    Some(index) if !partial.is_empty() => {
                        let call = json!({ "index": index, "function": { "arguments": partial } });
                        vec![self.chunk(json!({ "tool_calls": [call] }), Value::Null)]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// A chunk setting `key` to `text`, or none when the text is empty.
    fn text_chunk(&mut self, key: &str, text: &Value) -> Vec<Value> {
        match text.as_str().filter(|text| !text.is_empty()) {
            Some(text) => vec![self.chunk(json!({ key: text }), Value::Null)],
            None => Vec::new(),
        }
    }

    fn chunk(&mut self, mut delta: Value, finish_reason: Value) -> Value {
        if !self.role_sent {
            self.role_sent = true;
            delta["role"] = "assistant".into();
        }
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        })
    }

    /// Anthropic's usage counts are cumulative: a later value replaces an earlier one.
    fn absorb_usage(&mut self, usage: &Value) {
        let fields = [
            ("input_tokens", &mut self.input_tokens),
            ("output_tokens", &mut self.output_tokens),
            ("cache_read_input_tokens", &mut self.cache_read_input_tokens),
            (
                "cache_creation_input_tokens",
                &mut self.cache_creation_input_tokens,
            ),
        ];
        for (key, slot) in fields {
            if let Some(count) = usage[key].as_u64() {
                *slot = count;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sse::SseParser;

    fn event(name: &str, data: Value) -> SseEvent {
        SseEvent {
            event: name.into(),
            data: data.to_string(),
        }
    }

    fn message_start(usage: Value) -> SseEvent {
        event(
            "message_start",
            json!({ "type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
                "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
            } }),
        )
    }

    fn chunk(delta: Value, finish_reason: Value) -> Value {
        json!({
            "id": "msg_1",
            "object": "chat.completion.chunk",
            "created": 42,
            "model": "alias",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        })
    }

    fn feed(stream: &mut MessagesStreamToChat, events: &[SseEvent]) -> Vec<Value> {
        let mut chunks = Vec::new();
        for event in events {
            chunks.extend(stream.push(event).unwrap());
        }
        chunks
    }

    #[test]
    fn a_text_stream_becomes_chunks_and_usage() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        let raw = concat!(
            "event: message_start\n",
            "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-x\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\n",
            "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: ping\ndata: {\"type\": \"ping\"}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: message_delta\n",
            "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let events = SseParser::new().push(raw.as_bytes());
        assert_eq!(events.len(), 8);
        assert_eq!(
            feed(&mut stream, &events),
            vec![
                chunk(json!({ "role": "assistant", "content": "" }), Value::Null),
                chunk(json!({ "content": "Hello" }), Value::Null),
                chunk(json!({ "content": "!" }), Value::Null),
                chunk(json!({}), json!("stop")),
            ]
        );
        assert_eq!(
            stream.usage(),
            Usage {
                prompt_tokens: 125,
                completion_tokens: 15,
                cache_read_input_tokens: 100,
                ..Usage::default()
            }
        );
        assert_eq!(
            stream.usage_chunk(),
            json!({
                "id": "msg_1",
                "object": "chat.completion.chunk",
                "created": 42,
                "model": "alias",
                "choices": [],
                "usage": {
                    "prompt_tokens": 125,
                    "completion_tokens": 15,
                    "total_tokens": 140,
                    "prompt_tokens_details": { "cached_tokens": 100 },
                    "cache_read_input_tokens": 100,
                    "cache_creation_input_tokens": 0,
                },
            })
        );
    }

    #[test]
    fn a_tool_call_stream_becomes_indexed_tool_call_deltas() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        let events = [
            message_start(json!({ "input_tokens": 50, "output_tokens": 1 })),
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "Let me check." } }),
            ),
            event(
                "content_block_stop",
                json!({ "type": "content_block_stop", "index": 0 }),
            ),
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 1, "content_block": { "type": "tool_use", "id": "toolu_a", "name": "weather", "input": {} } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "" } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "{\"city\": " } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "\"Paris\"}" } }),
            ),
            event(
                "content_block_stop",
                json!({ "type": "content_block_stop", "index": 1 }),
            ),
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 2, "content_block": { "type": "tool_use", "id": "toolu_b", "name": "time", "input": {} } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 2, "delta": { "type": "input_json_delta", "partial_json": "{}" } }),
            ),
            event(
                "content_block_stop",
                json!({ "type": "content_block_stop", "index": 2 }),
            ),
            event(
                "message_delta",
                json!({ "type": "message_delta", "delta": { "stop_reason": "tool_use", "stop_sequence": null }, "usage": { "output_tokens": 40 } }),
            ),
            event("message_stop", json!({ "type": "message_stop" })),
        ];
        assert_eq!(
            feed(&mut stream, &events),
            vec![
                chunk(json!({ "role": "assistant", "content": "" }), Value::Null),
                chunk(json!({ "content": "Let me check." }), Value::Null),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "id": "toolu_a", "type": "function", "function": { "name": "weather", "arguments": "" } }] }),
                    Value::Null
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "{\"city\": " } }] }),
                    Value::Null
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "\"Paris\"}" } }] }),
                    Value::Null
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 1, "id": "toolu_b", "type": "function", "function": { "name": "time", "arguments": "" } }] }),
                    Value::Null
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 1, "function": { "arguments": "{}" } }] }),
                    Value::Null
                ),
                chunk(json!({}), json!("tool_calls")),
            ]
        );
        assert_eq!(
            stream.usage(),
            Usage {
                prompt_tokens: 50,
                completion_tokens: 40,
                ..Usage::default()
            }
        );
    }

    #[test]
    fn the_first_chunk_carries_the_role_even_without_message_start() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        let out = stream
            .push(&event("content_block_delta", json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "Hi" } })))
            .unwrap();
        assert_eq!(
            out[0]["choices"][0]["delta"],
            json!({ "role": "assistant", "content": "Hi" })
        );
    }

    #[test]
    fn thinking_streams_as_reasoning_content() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        let events = [
            message_start(json!({ "input_tokens": 1, "output_tokens": 1 })),
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "thinking", "thinking": "" } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "thinking_delta", "thinking": "Hmm" } }),
            ),
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "signature_delta", "signature": "abc" } }),
            ),
        ];
        assert_eq!(
            feed(&mut stream, &events)[1],
            chunk(json!({ "reasoning_content": "Hmm" }), Value::Null)
        );
    }

    #[test]
    fn an_error_event_fails_with_the_upstream_message() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        stream
            .push(&message_start(json!({ "input_tokens": 1 })))
            .unwrap();
        let err = stream
            .push(&event("error", json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } })))
            .unwrap_err();
        assert_eq!(
            err.0,
            "upstream stream error (overloaded_error): Overloaded"
        );
    }

    #[test]
    fn non_json_data_is_an_error_and_empty_data_is_ignored() {
        let mut stream = MessagesStreamToChat::created_at("alias", 42);
        assert!(
            stream
                .push(&SseEvent {
                    event: "ping".into(),
                    data: String::new()
                })
                .unwrap()
                .is_empty()
        );
        let err = stream
            .push(&SseEvent {
                event: "message_start".into(),
                data: "{oops".into(),
            })
            .unwrap_err();
        assert!(err.0.contains("message_start"), "{err}");
    }

    #[test]
    fn the_public_constructor_stamps_the_current_time() {
        let stream = MessagesStreamToChat::new("alias");
        assert!(stream.usage_chunk()["created"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(stream.usage(), Usage::default());
    }
}
