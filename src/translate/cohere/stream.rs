//! Cohere v2 chat stream events (`message-start`, `content-delta`,
//! `tool-plan-delta`, `tool-call-start/delta/end`, `message-end`) to OpenAI
//! `chat.completion.chunk`s.

use serde_json::{Map, Value, json};

use super::chat::{failure, finish_reason, usage};
use crate::sse::SseEvent;
use crate::translate::{TranslateError, Usage};

/// Per-stream state: the id comes with `message-start` and must stay on
/// every chunk; tool-call deltas only make sense against the call started
/// last; usage arrives once, with `message-end`.
#[derive(Debug)]
pub struct CohereStreamToChat {
    model: String,
    id: Option<String>,
    created: i64,
    sent_role: bool,
    tool_calls: usize,
    usage: Usage,
}

impl CohereStreamToChat {
    /// A translator for one stream; `model` is the name the client asked for.
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            id: None,
            created: chrono::Utc::now().timestamp(),
            sent_role: false,
            tool_calls: 0,
            usage: Usage::default(),
        }
    }

    /// Translates one upstream event into the chunks it yields (none for
    /// bookkeeping events such as `content-start` or citations).
    pub fn push(&mut self, event: &SseEvent) -> Result<Vec<Value>, TranslateError> {
        let data = event.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(Vec::new());
        }
        let value: Value = serde_json::from_str(data)
            .map_err(|error| TranslateError(format!("Cohere stream event is not JSON: {error}")))?;
        let kind = value["type"].as_str().unwrap_or(event.event.as_str());
        let message = &value["delta"]["message"];
        let mut delta = Map::new();
        let mut finish = None;
        match kind {
            "message-start" => {
                if let Some(id) = value["id"].as_str() {
                    self.id = Some(id.to_owned());
                }
                delta.insert("content".into(), "".into());
            }
            "content-start" | "content-delta" => {
                let content = &message["content"];
                if let Some(text) = content["text"].as_str().filter(|t| !t.is_empty()) {
                    delta.insert("content".into(), text.into());
                }
                if let Some(thinking) = content["thinking"].as_str().filter(|t| !t.is_empty()) {
                    delta.insert("reasoning_content".into(), thinking.into());
                }
            }
            "tool-plan-delta" => {
                if let Some(plan) = message["tool_plan"].as_str().filter(|t| !t.is_empty()) {
                    delta.insert("content".into(), plan.into());
                }
            }
            "tool-call-start" => {
                let call = single_call(&message["tool_calls"]);
                let arguments = call["function"]["arguments"].as_str().unwrap_or_default();
                delta.insert(
                    "tool_calls".into(),
                    json!([{
                        "index": self.tool_calls,
                        "id": call["id"],
                        "type": "function",
                        "function": { "name": call["function"]["name"], "arguments": arguments },
                    }]),
                );
                self.tool_calls += 1;
            }
            "tool-call-delta" => {
                let index = self.tool_calls.checked_sub(1).ok_or_else(|| {
                    TranslateError(
                        "Cohere stream sent a tool-call delta before any tool-call start".into(),
                    )
                })?;
                let arguments = single_call(&message["tool_calls"])["function"]["arguments"]
                    .as_str()
                    .unwrap_or_default();
                if !arguments.is_empty() {
                    delta.insert(
                        "tool_calls".into(),
                        json!([{ "index": index, "function": { "arguments": arguments } }]),
                    );
                }
            }
            "message-end" => {
                let end = &value["delta"];
                let reason = end["finish_reason"].as_str();
                failure(reason, &end["error"])?;
                if end["usage"].is_object() {
                    self.usage = usage(&end["usage"]);
                }
                finish = Some(finish_reason(reason, self.tool_calls > 0).unwrap_or("stop"));
            }
            _ => {}
        }
        if delta.is_empty() && finish.is_none() {
            return Ok(Vec::new());
        }
        if !self.sent_role {
            self.sent_role = true;
            delta.insert("role".into(), "assistant".into());
        }
        Ok(vec![json!({
            "id": self.id(),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
        })])
    }

    /// Usage of the call, known once `message-end` has been pushed.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The trailing chunk OpenAI sends under `stream_options.include_usage`.
    pub fn usage_chunk(&self) -> Value {
        json!({
            "id": self.id.clone().unwrap_or_else(generated_id),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": self.usage.to_openai(),
        })
    }

    fn id(&mut self) -> String {
        self.id.get_or_insert_with(generated_id).clone()
    }
}

fn generated_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4())
}

/// Cohere sends the call being streamed as an object; tolerate a one-item array.
fn single_call(calls: &Value) -> &Value {
    match calls {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        other => other,
    }
}

#[cfg(test)]
mod tests;
