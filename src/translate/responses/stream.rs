//! Chat completion chunks as the Responses API's stream events: the
//! response is announced, each output item (the assistant's text, each
//! tool call) is opened, filled by deltas and closed in turn, and the
//! final `response.completed` carries the whole response with its usage.
//! Events are returned as JSON objects whose `type` names the SSE event.

use serde_json::{Value, json};

use super::{Echo, Snapshot, function_call_item, message_item, new_id, output_text, status_for};
use crate::translate::Usage;

/// The output item being streamed.
#[derive(Debug)]
enum Open {
    Message {
        id: String,
        text: String,
    },
    Call {
        /// The chat tool call's `index`, which its later deltas repeat.
        index: u64,
        id: String,
        call_id: String,
        name: String,
        arguments: String,
    },
}

/// Per-stream state: the response's identity, the next sequence number,
/// the items finished so far and the one being streamed.
#[derive(Debug)]
pub struct ChatStreamToResponses {
    echo: Echo,
    id: String,
    model: String,
    created_at: i64,
    sequence: u64,
    started: bool,
    done: Vec<Value>,
    open: Option<Open>,
    usage: Option<Usage>,
    finish_reason: Option<String>,
}

impl ChatStreamToResponses {
    /// A translator for one stream answering the request `echo` was taken
    /// from; `model` names the model until a chunk does.
    pub fn new(echo: Echo, model: &str) -> Self {
        Self {
            echo,
            id: new_id("resp"),
            model: model.to_owned(),
            created_at: chrono::Utc::now().timestamp(),
            sequence: 0,
            started: false,
            done: Vec::new(),
            open: None,
            usage: None,
            finish_reason: None,
        }
    }

    /// The events one chat chunk yields.
    pub fn push(&mut self, chunk: &Value) -> Vec<Value> {
        let mut events = Vec::new();
        if !self.started {
            if let Some(model) = chunk["model"].as_str() {
                self.model = model.to_owned();
            }
            if let Some(created) = chunk["created"].as_i64() {
                self.created_at = created;
            }
            self.start(&mut events);
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(Usage::from_openai(usage));
        }
        let Some(choice) = chunk["choices"].get(0) else {
            return events;
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str().filter(|text| !text.is_empty()) {
            self.text(text, &mut events);
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            self.tool_call(call, &mut events);
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
        events
    }

    /// The events that end the stream: the open item closed, then the
    /// whole response.
    pub fn finish(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        if !self.started {
            self.start(&mut events);
        }
        self.close(&mut events);
        let (status, incomplete_reason) = status_for(self.finish_reason.as_deref());
        let response = self.snapshot(status, incomplete_reason, self.usage);
        let kind = if status == "completed" {
            "response.completed"
        } else {
            "response.incomplete"
        };
        self.emit(&mut events, kind, json!({"response": response}));
        events
    }

    fn start(&mut self, events: &mut Vec<Value>) {
        self.started = true;
        let response = self.snapshot("in_progress", None, None);
        self.emit(events, "response.created", json!({"response": response}));
        let response = self.snapshot("in_progress", None, None);
        self.emit(
            events,
            "response.in_progress",
            json!({"response": response}),
        );
    }

    fn snapshot(&self, status: &str, incomplete: Option<&str>, usage: Option<Usage>) -> Value {
        Snapshot {
            id: &self.id,
            created_at: self.created_at,
            model: &self.model,
            status,
            incomplete_reason: incomplete,
            output: self.done.clone(),
            usage,
        }
        .render(&self.echo)
    }

    /// Appends an event with the next sequence number.
    fn emit(&mut self, events: &mut Vec<Value>, kind: &str, fields: Value) {
        let mut event = json!({"type": kind, "sequence_number": self.sequence});
        self.sequence += 1;
        if let (Some(event), Value::Object(fields)) = (event.as_object_mut(), fields) {
            event.extend(fields);
        }
        events.push(event);
    }

    /// The index the open item has (or the next item will have) in `output`.
    fn output_index(&self) -> usize {
        self.done.len()
    }

    fn text(&mut self, text: &str, events: &mut Vec<Value>) {
        if !matches!(self.open, Some(Open::Message { .. })) {
            self.close(events);
            let id = new_id("msg");
            let index = self.output_index();
            let item = json!({"type": "message", "id": id, "status": "in_progress", "role": "assistant", "content": []});
            self.emit(
                events,
                "response.output_item.added",
                json!({"output_index": index, "item": item}),
            );
            self.emit(
                events,
                "response.content_part.added",
                json!({"item_id": id, "output_index": index, "content_index": 0, "part": output_text("")}),
            );
            self.open = Some(Open::Message {
                id,
                text: String::new(),
            });
        }
        let index = self.output_index();
        if let Some(Open::Message { id, text: all }) = &mut self.open {
            all.push_str(text);
            let id = id.clone();
            self.emit(
                events,
                "response.output_text.delta",
                json!({"item_id": id, "output_index": index, "content_index": 0, "delta": text, "logprobs": []}),
            );
        }
    }

    fn tool_call(&mut self, call: &Value, events: &mut Vec<Value>) {
        let call_index = call["index"].as_u64().unwrap_or(0);
        let function = &call["function"];
        let continues =
            matches!(&self.open, Some(Open::Call { index, .. }) if *index == call_index);
        if !continues {
            self.close(events);
            let id = new_id("fc");
            let call_id = call["id"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| new_id("call"));
            let name = function["name"].as_str().unwrap_or_default().to_owned();
            let item = function_call_item(&id, &call_id, &name, "", "in_progress");
            let index = self.output_index();
            self.emit(
                events,
                "response.output_item.added",
                json!({"output_index": index, "item": item}),
            );
            self.open = Some(Open::Call {
                index: call_index,
                id,
                call_id,
                name,
                arguments: String::new(),
            });
        }
        let Some(part) = function["arguments"]
            .as_str()
            .filter(|part| !part.is_empty())
        else {
            return;
        };
        let index = self.output_index();
        if let Some(Open::Call { id, arguments, .. }) = &mut self.open {
            arguments.push_str(part);
            let id = id.clone();
            self.emit(
                events,
                "response.function_call_arguments.delta",
                json!({"item_id": id, "output_index": index, "delta": part}),
            );
        }
    }

    /// Closes the open item, if any, and keeps it for the final response.
    fn close(&mut self, events: &mut Vec<Value>) {
        let index = self.output_index();
        let item = match self.open.take() {
            None => return,
            Some(Open::Message { id, text }) => {
                let fields = json!({"item_id": id, "output_index": index, "content_index": 0});
                let mut done = fields.clone();
                done["text"] = text.as_str().into();
                done["logprobs"] = json!([]);
                self.emit(events, "response.output_text.done", done);
                let mut part = fields;
                part["part"] = output_text(&text);
                self.emit(events, "response.content_part.done", part);
                message_item(&id, &text)
            }
            Some(Open::Call {
                id,
                call_id,
                name,
                arguments,
                ..
            }) => {
                self.emit(
                    events,
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": index, "arguments": arguments}),
                );
                function_call_item(&id, &call_id, &name, &arguments, "completed")
            }
        };
        self.emit(
            events,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        self.done.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(delta: Value, finish: Option<&str>) -> Value {
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
            "model": "gemini-2.0-flash",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    }

    fn run(chunks: &[Value]) -> Vec<Value> {
        let mut translator =
            ChatStreamToResponses::new(Echo::of(&json!({"instructions": "Be brief."})), "m");
        let mut events: Vec<Value> = chunks.iter().flat_map(|c| translator.push(c)).collect();
        events.extend(translator.finish());
        events
    }

    fn kinds(events: &[Value]) -> Vec<&str> {
        events.iter().map(|e| e["type"].as_str().unwrap()).collect()
    }

    #[test]
    fn text_streams_as_one_message_item() {
        let events = run(&[
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({"content": "Hello"}), None),
            chunk(json!({"content": " there"}), Some("stop")),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
                "model": "gemini-2.0-flash", "choices": [],
                "usage": {"prompt_tokens": 8, "completion_tokens": 5, "total_tokens": 13}}),
        ]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let numbers: Vec<u64> = events
            .iter()
            .map(|e| e["sequence_number"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, (0..10).collect::<Vec<_>>());
        let created = &events[0]["response"];
        assert_eq!(created["status"], "in_progress");
        assert_eq!(created["model"], "gemini-2.0-flash");
        assert_eq!(created["created_at"], 1700000000);
        assert_eq!(created["instructions"], "Be brief.");
        assert_eq!(created["output"], json!([]));
        let item_id = events[2]["item"]["id"].as_str().unwrap();
        assert!(item_id.starts_with("msg_"));
        assert_eq!(events[4]["item_id"], item_id);
        assert_eq!(events[4]["delta"], "Hello");
        assert_eq!(events[6]["text"], "Hello there");
        assert_eq!(
            events[7]["part"],
            json!({"type": "output_text", "text": "Hello there", "annotations": []})
        );
        let done = &events[9]["response"];
        assert_eq!(done["id"], created["id"]);
        assert_eq!(done["status"], "completed");
        assert_eq!(done["output"][0], events[8]["item"]);
        assert_eq!(done["output"][0]["content"][0]["text"], "Hello there");
        assert_eq!(done["usage"]["input_tokens"], 8);
        assert_eq!(done["usage"]["output_tokens"], 5);
        assert_eq!(done["usage"]["total_tokens"], 13);
    }

    #[test]
    fn tool_calls_stream_as_function_call_items() {
        let events = run(&[
            chunk(json!({"content": "Let me check."}), None),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": ""}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
                Some("tool_calls"),
            ),
        ]);
        let added: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "response.output_item.added")
            .collect();
        assert_eq!(added.len(), 2);
        assert_eq!(added[1]["output_index"], 1);
        assert_eq!(added[1]["item"]["type"], "function_call");
        assert_eq!(added[1]["item"]["call_id"], "toolu_1");
        assert_eq!(added[1]["item"]["status"], "in_progress");
        let deltas: String = events
            .iter()
            .filter(|e| e["type"] == "response.function_call_arguments.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas, "{\"city\":\"Paris\"}");
        let done = events.last().unwrap();
        assert_eq!(done["type"], "response.completed");
        let call = &done["response"]["output"][1];
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(call["status"], "completed");
        assert_eq!(done["response"]["usage"], Value::Null);
    }

    #[test]
    fn a_cut_stream_ends_incomplete_and_an_empty_one_still_completes() {
        let events = run(&[chunk(json!({"content": "Hel"}), Some("length"))]);
        let last = events.last().unwrap();
        assert_eq!(last["type"], "response.incomplete");
        assert_eq!(
            last["response"]["incomplete_details"]["reason"],
            "max_output_tokens"
        );

        let events = run(&[]);
        assert_eq!(
            kinds(&events),
            [
                "response.created",
                "response.in_progress",
                "response.completed"
            ]
        );
        assert_eq!(events[2]["response"]["model"], "m");
    }
}
