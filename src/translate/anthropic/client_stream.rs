//! OpenAI `chat.completion.chunk`s -> Anthropic Messages stream events, for
//! clients calling `POST /v1/messages` with `stream: true`.

use serde_json::{Value, json};

use super::{message_id, stop_reason_for, usage_to_messages};
use crate::translate::Usage;

/// The content block currently open: Anthropic streams one block at a time,
/// each between a `content_block_start` and a `content_block_stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    /// A tool call, by its OpenAI `tool_calls[].index`.
    Tool(u64),
}

/// Converts one chat stream into Anthropic events, chunk by chunk, keeping
/// the open block, the finish reason and the usage, which OpenAI sends in
/// the last chunks but Anthropic reports in `message_delta`.
#[derive(Debug)]
pub struct ChatStreamToMessages {
    model: String,
    started: bool,
    finished: bool,
    open: Option<(u64, Block)>,
    next_index: u64,
    saw_tool: bool,
    /// The id of the last tool call opened: OpenAI repeats a call's id only
    /// on its first chunk, but some providers send every call at index 0, so
    /// a new id at the same index is a new call.
    tool_id: String,
    finish_reason: Option<String>,
    usage: Usage,
}

impl ChatStreamToMessages {
    /// A converter whose `message_start` reports `model`.
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            started: false,
            finished: false,
            open: None,
            next_index: 0,
            saw_tool: false,
            tool_id: String::new(),
            finish_reason: None,
            usage: Usage::default(),
        }
    }

    /// The `(event name, data)` pairs one chunk becomes, in Anthropic's
    /// order. The finish reason and usage are only remembered here; they go
    /// out from [`ChatStreamToMessages::finish`].
    pub fn push(&mut self, chunk: &Value) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Usage::from_openai(usage);
        }
        self.start(chunk["id"].as_str(), &mut events);
        let choices = chunk["choices"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for choice in choices
            .iter()
            .filter(|choice| choice["index"].as_u64().unwrap_or(0) == 0)
        {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str().filter(|text| !text.is_empty()) {
                self.text(text, &mut events);
            }
            for call in delta["tool_calls"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                self.tool_call(call, &mut events);
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.finish_reason = Some(reason.to_owned());
            }
        }
        events
    }

    /// Closes the stream: the open block's stop, then `message_delta` with
    /// the stop reason and usage, then `message_stop`. Nothing the second time.
    pub fn finish(&mut self) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        self.start(None, &mut events);
        self.close(&mut events);
        self.finished = true;
        let stop_reason = match self.finish_reason.as_deref().map(stop_reason_for) {
            Some("end_turn") | None if self.saw_tool => "tool_use",
            Some(reason) => reason,
            None => "end_turn",
        };
        events.push(event(
            "message_delta",
            json!({
                "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                "usage": usage_to_messages(&self.usage),
            }),
        ));
        events.push(event("message_stop", json!({})));
        events
    }

    /// Usage as last reported by the upstream (zero if it never was).
    pub fn usage(&self) -> Usage {
        self.usage
    }

    fn start(&mut self, chat_id: Option<&str>, events: &mut Vec<(String, Value)>) {
        if self.started {
            return;
        }
        self.started = true;
        let usage = usage_to_messages(&self.usage);
        events.push(event(
            "message_start",
            json!({ "message": {
                "id": message_id(chat_id),
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage,
            } }),
        ));
    }

    fn text(&mut self, text: &str, events: &mut Vec<(String, Value)>) {
        let index = match self.open {
            Some((index, Block::Text)) => index,
            _ => self.open_block(Block::Text, json!({ "type": "text", "text": "" }), events),
        };
        events.push(event(
            "content_block_delta",
            json!({ "index": index, "delta": { "type": "text_delta", "text": text } }),
        ));
    }

    fn tool_call(&mut self, call: &Value, events: &mut Vec<(String, Value)>) {
        let tool = call["index"].as_u64().unwrap_or(0);
        let same_call = call["id"].as_str().is_none_or(|id| id == self.tool_id);
        let index = match self.open {
            Some((index, Block::Tool(open))) if open == tool && same_call => index,
            _ => {
                self.saw_tool = true;
                let id = match call["id"].as_str() {
                    Some(id) => id.to_owned(),
                    None => format!("toolu_{}", uuid::Uuid::new_v4().simple()),
                };
                self.tool_id.clone_from(&id);
                let name = call["function"]["name"].as_str().unwrap_or_default();
                self.open_block(
                    Block::Tool(tool),
                    json!({ "type": "tool_use", "id": id, "name": name, "input": {} }),
                    events,
                )
            }
        };
        if let Some(partial) = call["function"]["arguments"]
            .as_str()
            .filter(|text| !text.is_empty())
        {
            events.push(event(
                "content_block_delta",
                json!({ "index": index, "delta": { "type": "input_json_delta", "partial_json": partial } }),
            ));
        }
    }

    /// Closes the open block and starts `block`, returning its index.
    fn open_block(&mut self, kind: Block, block: Value, events: &mut Vec<(String, Value)>) -> u64 {
        self.close(events);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((index, kind));
        events.push(event(
            "content_block_start",
            json!({ "index": index, "content_block": block }),
        ));
        index
    }

    fn close(&mut self, events: &mut Vec<(String, Value)>) {
        if let Some((index, _)) = self.open.take() {
            events.push(event("content_block_stop", json!({ "index": index })));
        }
    }
}

/// An event whose data carries its own name as `type`, as Anthropic's do.
fn event(name: &str, mut data: Value) -> (String, Value) {
    data["type"] = name.into();
    (name.to_owned(), data)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chunk(delta: Value, finish_reason: Value) -> Value {
        json!({
            "id": "chatcmpl-9",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        })
    }

    fn usage_chunk(usage: Value) -> Value {
        json!({ "id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [], "usage": usage })
    }

    fn run(stream: &mut ChatStreamToMessages, chunks: &[Value]) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(stream.push(chunk));
        }
        events.extend(stream.finish());
        events
    }

    fn ev(name: &str, data: Value) -> (String, Value) {
        (name.to_owned(), data)
    }

    fn message_start(usage: Value) -> (String, Value) {
        ev(
            "message_start",
            json!({ "type": "message_start", "message": {
                "id": "msg_9", "type": "message", "role": "assistant", "model": "alias",
                "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
            } }),
        )
    }

    #[test]
    fn a_text_stream_becomes_anthropic_events() {
        let mut stream = ChatStreamToMessages::new("alias");
        let events = run(
            &mut stream,
            &[
                chunk(json!({ "role": "assistant", "content": "" }), Value::Null),
                chunk(json!({ "content": "Hel" }), Value::Null),
                chunk(json!({ "content": "lo" }), Value::Null),
                chunk(json!({}), json!("stop")),
                usage_chunk(
                    json!({ "prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22 }),
                ),
            ],
        );
        assert_eq!(
            events,
            vec![
                message_start(json!({ "input_tokens": 0, "output_tokens": 0 })),
                ev(
                    "content_block_start",
                    json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "Hel" } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "lo" } })
                ),
                ev(
                    "content_block_stop",
                    json!({ "type": "content_block_stop", "index": 0 })
                ),
                ev(
                    "message_delta",
                    json!({
                        "type": "message_delta",
                        "delta": { "stop_reason": "end_turn", "stop_sequence": null },
                        "usage": { "input_tokens": 20, "output_tokens": 2 },
                    })
                ),
                ev("message_stop", json!({ "type": "message_stop" })),
            ]
        );
        assert_eq!(
            stream.usage(),
            Usage {
                prompt_tokens: 20,
                completion_tokens: 2,
                ..Usage::default()
            }
        );
        assert!(stream.finish().is_empty());
        assert!(
            stream
                .push(&chunk(json!({ "content": "late" }), Value::Null))
                .is_empty()
        );
    }

    #[test]
    fn a_tool_call_stream_becomes_tool_use_blocks() {
        let mut stream = ChatStreamToMessages::new("alias");
        let call = |index: u64, id: Option<&str>, name: Option<&str>, arguments: &str| {
            let mut call = json!({ "index": index, "function": { "arguments": arguments } });
            if let (Some(id), Some(name)) = (id, name) {
                call["id"] = id.into();
                call["type"] = "function".into();
                call["function"]["name"] = name.into();
            }
            chunk(json!({ "tool_calls": [call] }), Value::Null)
        };
        let events = run(
            &mut stream,
            &[
                chunk(
                    json!({ "role": "assistant", "content": "Checking." }),
                    Value::Null,
                ),
                call(0, Some("call_a"), Some("weather"), ""),
                call(0, None, None, "{\"city\":"),
                call(0, None, None, "\"Paris\"}"),
                call(1, Some("call_b"), Some("time"), "{}"),
                chunk(json!({}), json!("tool_calls")),
                usage_chunk(json!({
                    "prompt_tokens": 300,
                    "completion_tokens": 30,
                    "prompt_tokens_details": { "cached_tokens": 256 },
                })),
            ],
        );
        assert_eq!(
            events,
            vec![
                message_start(json!({ "input_tokens": 0, "output_tokens": 0 })),
                ev(
                    "content_block_start",
                    json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "Checking." } })
                ),
                ev(
                    "content_block_stop",
                    json!({ "type": "content_block_stop", "index": 0 })
                ),
                ev(
                    "content_block_start",
                    json!({ "type": "content_block_start", "index": 1, "content_block": { "type": "tool_use", "id": "call_a", "name": "weather", "input": {} } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "{\"city\":" } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 1, "delta": { "type": "input_json_delta", "partial_json": "\"Paris\"}" } })
                ),
                ev(
                    "content_block_stop",
                    json!({ "type": "content_block_stop", "index": 1 })
                ),
                ev(
                    "content_block_start",
                    json!({ "type": "content_block_start", "index": 2, "content_block": { "type": "tool_use", "id": "call_b", "name": "time", "input": {} } })
                ),
                ev(
                    "content_block_delta",
                    json!({ "type": "content_block_delta", "index": 2, "delta": { "type": "input_json_delta", "partial_json": "{}" } })
                ),
                ev(
                    "content_block_stop",
                    json!({ "type": "content_block_stop", "index": 2 })
                ),
                ev(
                    "message_delta",
                    json!({
                        "type": "message_delta",
                        "delta": { "stop_reason": "tool_use", "stop_sequence": null },
                        "usage": { "input_tokens": 44, "output_tokens": 30, "cache_read_input_tokens": 256 },
                    })
                ),
                ev("message_stop", json!({ "type": "message_stop" })),
            ]
        );
    }

    #[test]
    fn finish_reasons_map_and_tool_calls_win_over_stop() {
        for (finish, stop) in [
            (json!("length"), "max_tokens"),
            (json!("content_filter"), "refusal"),
            (Value::Null, "end_turn"),
        ] {
            let mut stream = ChatStreamToMessages::new("m");
            let events = run(&mut stream, &[chunk(json!({ "content": "x" }), finish)]);
            let delta = &events[events.len() - 2].1;
            assert_eq!(delta["delta"]["stop_reason"], json!(stop));
        }
        let mut stream = ChatStreamToMessages::new("m");
        let tool = json!({ "tool_calls": [{ "index": 0, "id": "c", "type": "function", "function": { "name": "f", "arguments": "{}" } }] });
        let events = run(&mut stream, &[chunk(tool, json!("stop"))]);
        assert_eq!(
            events[events.len() - 2].1["delta"]["stop_reason"],
            json!("tool_use")
        );
    }

    #[test]
    fn calls_sharing_index_zero_but_not_ids_are_separate_blocks() {
        let mut stream = ChatStreamToMessages::new("alias");
        let call = |id: &str, name: &str| {
            let call = json!({ "index": 0, "id": id, "type": "function", "function": { "name": name, "arguments": "{}" } });
            chunk(json!({ "tool_calls": [call] }), Value::Null)
        };
        let events = run(&mut stream, &[call("call_a", "f"), call("call_b", "g")]);
        let starts: Vec<&Value> = events
            .iter()
            .filter(|(name, _)| name == "content_block_start")
            .map(|(_, data)| &data["content_block"])
            .collect();
        assert_eq!(
            starts,
            [
                &json!({ "type": "tool_use", "id": "call_a", "name": "f", "input": {} }),
                &json!({ "type": "tool_use", "id": "call_b", "name": "g", "input": {} }),
            ]
        );
        assert_eq!(
            events[events.len() - 2].1["delta"]["stop_reason"],
            json!("tool_use")
        );
    }

    #[test]
    fn an_empty_stream_still_starts_and_stops() {
        let mut stream = ChatStreamToMessages::new("alias");
        let events = stream.finish();
        let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["message_start", "message_delta", "message_stop"]);
        assert!(
            events[0].1["message"]["id"]
                .as_str()
                .unwrap()
                .starts_with("msg_")
        );
    }

    #[test]
    fn usage_in_the_first_chunk_reaches_message_start() {
        let mut stream = ChatStreamToMessages::new("alias");
        let mut first = chunk(json!({ "role": "assistant" }), Value::Null);
        first["usage"] = json!({ "prompt_tokens": 7, "completion_tokens": 0 });
        let events = stream.push(&first);
        assert_eq!(
            events,
            vec![message_start(
                json!({ "input_tokens": 7, "output_tokens": 0 })
            )]
        );
    }
}
