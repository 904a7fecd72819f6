//! Gemini `streamGenerateContent?alt=sse` to OpenAI `chat.completion.chunk`s.
//! Each event carries a whole `GenerateContentResponse` holding the next
//! slice of every candidate; function calls arrive whole, never split.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::error_message;
use super::response::{Parts, finish_reason, response_id, usage_from_metadata};
use crate::sse::SseEvent;
use crate::translate::{TranslateError, Usage};

/// Per-stream state: chunks must share one id, the role goes on each
/// choice's first chunk, tool calls are numbered per choice, and usage
/// (cumulative in every event) is kept for the final usage chunk.
#[derive(Debug)]
pub struct GeminiStreamToChat {
    model: String,
    id: Option<String>,
    created: i64,
    started: BTreeSet<u64>,
    tool_calls: BTreeMap<u64, usize>,
    next_call: usize,
    usage: Usage,
}

impl GeminiStreamToChat {
    /// A translator for one stream; `model` is the name the client asked for.
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            id: None,
            created: chrono::Utc::now().timestamp(),
            started: BTreeSet::new(),
            tool_calls: BTreeMap::new(),
            next_call: 0,
            usage: Usage::default(),
        }
    }

    /// Translates one upstream event into the chunks it yields (often one,
    /// none for a usage-only event).
    pub fn push(&mut self, event: &SseEvent) -> Result<Vec<Value>, TranslateError> {
        let data = event.data.trim();
        if data.is_empty() || data == "[DONE]" {
            return Ok(Vec::new());
        }
        let response: Value = serde_json::from_str(data)
            .map_err(|error| TranslateError(format!("Gemini stream event is not JSON: {error}")))?;
        if let Some(message) = error_message(&response) {
            return Err(TranslateError(format!("Gemini error: {message}")));
        }
        if self.id.is_none() {
            self.id = Some(response_id(&response));
        }
        if response["usageMetadata"].is_object() {
            self.usage = usage_from_metadata(&response["usageMetadata"]);
        }

        let mut chunks = Vec::new();
        let candidates = response["candidates"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (position, candidate) in candidates.iter().enumerate() {
            let index = candidate["index"].as_u64().unwrap_or(position as u64);
            let parts = Parts::read(&candidate["content"]["parts"], &mut self.next_call);
            let mut delta = self.start_delta(index);
            if !parts.text.is_empty() {
                delta.insert("content".into(), parts.text.into());
            }
            if !parts.reasoning.is_empty() {
                delta.insert("reasoning_content".into(), parts.reasoning.into());
            }
            let called = self.tool_calls.entry(index).or_default();
            if !parts.tool_calls.is_empty() {
                let calls: Vec<Value> = parts
                    .tool_calls
                    .into_iter()
                    .map(|mut call| {
                        call["index"] = (*called).into();
                        *called += 1;
                        call
                    })
                    .collect();
                delta.insert("tool_calls".into(), calls.into());
            }
            let finish = finish_reason(candidate["finishReason"].as_str(), *called > 0);
            if !delta.is_empty() || finish.is_some() {
                chunks.push(self.chunk(index, delta, finish));
            }
        }
        if candidates.is_empty() && response["promptFeedback"]["blockReason"].is_string() {
            let delta = self.start_delta(0);
            chunks.push(self.chunk(0, delta, Some("content_filter")));
        }
        Ok(chunks)
    }

    /// Usage so far; Gemini repeats the running totals in every event, so the
    /// last one seen is the whole call's.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The trailing chunk OpenAI sends under `stream_options.include_usage`.
    pub fn usage_chunk(&self) -> Value {
        json!({
            "id": self.id.clone().unwrap_or_else(|| response_id(&Value::Null)),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": self.usage.to_openai(),
        })
    }

    fn id(&mut self) -> String {
        self.id
            .get_or_insert_with(|| response_id(&Value::Null))
            .clone()
    }

    /// An empty delta, carrying the role if this is the choice's first chunk.
    fn start_delta(&mut self, index: u64) -> Map<String, Value> {
        let mut delta = Map::new();
        if self.started.insert(index) {
            delta.insert("role".into(), "assistant".into());
        }
        delta
    }

    fn chunk(&mut self, index: u64, delta: Map<String, Value>, finish: Option<&str>) -> Value {
        json!({
            "id": self.id(),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": index, "delta": delta, "finish_reason": finish }],
        })
    }
}

#[cfg(test)]
mod tests;
