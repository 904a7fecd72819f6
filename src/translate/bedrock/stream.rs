//! ConverseStream events as OpenAI `chat.completion.chunk`s, one event at a
//! time, keeping what later events need (tool call numbering, usage).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{completion_id, finish_reason, usage_from_converse};
use crate::translate::{TranslateError, Usage};

/// Feed it the decoded events of one ConverseStream response, in order; it
/// returns the chunks to send. One id and timestamp serve every chunk, as
/// OpenAI's do.
#[derive(Debug)]
pub struct ConverseStreamToChat {
    id: String,
    created: i64,
    model: String,
    /// OpenAI's tool call index for each Converse content block index that
    /// started a tool use: tool calls are numbered apart from text blocks.
    tool_calls: HashMap<u64, usize>,
    usage: Option<Usage>,
}

impl ConverseStreamToChat {
    /// A translator whose chunks report `model` (the name the client asked for).
    pub fn new(model: &str) -> Self {
        Self {
            id: completion_id(),
            created: chrono::Utc::now().timestamp(),
            model: model.to_owned(),
            tool_calls: HashMap::new(),
            usage: None,
        }
    }

    /// Translates one event, named by its `:event-type` (or `:exception-type`)
    /// header. An exception ends the stream as an error carrying Bedrock's
    /// message; events this gateway has no use for yield nothing.
    pub fn push(
        &mut self,
        event_type: &str,
        payload: &Value,
    ) -> Result<Vec<Value>, TranslateError> {
        let chunks = match event_type {
            "messageStart" => vec![self.chunk(json!({ "role": "assistant", "content": "" }), None)],
            "contentBlockStart" => self.block_start(payload),
            "contentBlockDelta" => self.block_delta(payload),
            "messageStop" => {
                let finish = finish_reason(payload["stopReason"].as_str().unwrap_or_default());
                vec![self.chunk(json!({}), Some(finish))]
            }
            "metadata" => {
                if payload.get("usage").is_some() {
                    self.usage = Some(usage_from_converse(&payload["usage"]));
                }
                Vec::new()
            }
            _ if event_type.ends_with("Exception") => {
                let message = payload["message"]
                    .as_str()
                    .or_else(|| payload["Message"].as_str())
                    .unwrap_or("no message");
                return Err(TranslateError(format!("Bedrock {event_type}: {message}")));
            }
            _ => Vec::new(),
        };
        Ok(chunks)
    }

    /// The usage Bedrock reported in the stream's `metadata` event, if it came.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// The final usage-only chunk sent when the client asked for
    /// `stream_options.include_usage`, once the usage is known.
    pub fn usage_chunk(&self) -> Option<Value> {
        let usage = self.usage?;
        Some(json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage.to_openai(),
        }))
    }

    fn block_start(&mut self, payload: &Value) -> Vec<Value> {
        let tool = &payload["start"]["toolUse"];
        if tool.is_null() {
            return Vec::new();
        }
        let index = self.tool_calls.len();
        let block = payload["contentBlockIndex"].as_u64().unwrap_or_default();
        self.tool_calls.insert(block, index);
        let call = json!({
            "index": index,
            "id": tool["toolUseId"],
            "type": "function",
            "function": { "name": tool["name"], "arguments": "" },
        });
        vec![self.chunk(json!({ "tool_calls": [call] }), None)]
    }

    fn block_delta(&self, payload: &Value) -> Vec<Value> {
        let delta = &payload["delta"];
        let delta = if let Some(text) = delta["text"].as_str() {
            json!({ "content": text })
        } else if let Some(input) = delta["toolUse"]["input"].as_str() {
            let block = payload["contentBlockIndex"].as_u64().unwrap_or_default();
            let Some(index) = self.tool_calls.get(&block) else {
                return Vec::new();
            };
            json!({ "tool_calls": [{ "index": index, "function": { "arguments": input } }] })
        } else if let Some(text) = delta["reasoningContent"]["text"].as_str() {
            json!({ "reasoning_content": text })
        } else {
            return Vec::new();
        };
        vec![self.chunk(delta, None)]
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the events through a translator; the chunks' shared id and
    /// timestamp are checked and removed, and only their `choices` kept.
    fn translate(events: &[(&str, Value)]) -> (ConverseStreamToChat, Vec<Value>) {
        let mut translator = ConverseStreamToChat::new("nova-lite");
        let mut choices = Vec::new();
        for (event_type, payload) in events {
            for chunk in translator.push(event_type, payload).unwrap() {
                assert_eq!(chunk["id"], translator.id.as_str());
                assert_eq!(chunk["created"], translator.created);
                assert_eq!(chunk["object"], "chat.completion.chunk");
                assert_eq!(chunk["model"], "nova-lite");
                choices.push(chunk["choices"].clone());
            }
        }
        (translator, choices)
    }

    #[test]
    fn a_text_stream_becomes_role_content_and_finish_chunks() {
        let (translator, choices) = translate(&[
            ("messageStart", json!({ "role": "assistant" })),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "text": "Hel" }, "p": "abcd" }),
            ),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "text": "lo" } }),
            ),
            ("contentBlockStop", json!({ "contentBlockIndex": 0 })),
            ("messageStop", json!({ "stopReason": "end_turn" })),
            (
                "metadata",
                json!({
                    "usage": { "inputTokens": 9, "outputTokens": 2, "totalTokens": 11 },
                    "metrics": { "latencyMs": 200 }
                }),
            ),
        ]);
        assert_eq!(
            choices,
            vec![
                json!([{ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "content": "Hel" }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "content": "lo" }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": {}, "finish_reason": "stop" }]),
            ]
        );
        assert_eq!(
            translator.usage(),
            Some(Usage {
                prompt_tokens: 9,
                completion_tokens: 2,
                ..Usage::default()
            })
        );
        assert_eq!(
            translator.usage_chunk().unwrap(),
            json!({
                "id": translator.id,
                "object": "chat.completion.chunk",
                "created": translator.created,
                "model": "nova-lite",
                "choices": [],
                "usage": { "prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11 }
            })
        );
    }

    #[test]
    fn tool_uses_stream_as_numbered_tool_call_deltas() {
        let (_, choices) = translate(&[
            ("messageStart", json!({ "role": "assistant" })),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "text": "Let me check." } }),
            ),
            ("contentBlockStop", json!({ "contentBlockIndex": 0 })),
            (
                "contentBlockStart",
                json!({ "contentBlockIndex": 1, "start": { "toolUse": { "toolUseId": "tooluse_a", "name": "get_weather" } } }),
            ),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 1, "delta": { "toolUse": { "input": "{\"city\":" } } }),
            ),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 1, "delta": { "toolUse": { "input": "\"Paris\"}" } } }),
            ),
            ("contentBlockStop", json!({ "contentBlockIndex": 1 })),
            (
                "contentBlockStart",
                json!({ "contentBlockIndex": 2, "start": { "toolUse": { "toolUseId": "tooluse_b", "name": "get_time" } } }),
            ),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 2, "delta": { "toolUse": { "input": "{}" } } }),
            ),
            ("messageStop", json!({ "stopReason": "tool_use" })),
        ]);
        assert_eq!(
            choices[2..],
            [
                json!([{ "index": 0, "delta": { "tool_calls": [{
                    "index": 0, "id": "tooluse_a", "type": "function",
                    "function": { "name": "get_weather", "arguments": "" }
                }] }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "tool_calls": [{ "index": 0, "function": { "arguments": "{\"city\":" } }] }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "tool_calls": [{ "index": 0, "function": { "arguments": "\"Paris\"}" } }] }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "tool_calls": [{
                    "index": 1, "id": "tooluse_b", "type": "function",
                    "function": { "name": "get_time", "arguments": "" }
                }] }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": { "tool_calls": [{ "index": 1, "function": { "arguments": "{}" } }] }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": {}, "finish_reason": "tool_calls" }]),
            ]
        );
    }

    #[test]
    fn reasoning_and_cached_usage_are_reported() {
        let (translator, choices) = translate(&[
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "text": "Hmm" } } }),
            ),
            (
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "signature": "sig" } } }),
            ),
            ("messageStop", json!({ "stopReason": "max_tokens" })),
            (
                "metadata",
                json!({ "usage": {
                "inputTokens": 3, "outputTokens": 7, "totalTokens": 60,
                "cacheReadInputTokens": 40, "cacheWriteInputTokens": 10
            } }),
            ),
        ]);
        assert_eq!(
            choices,
            vec![
                json!([{ "index": 0, "delta": { "reasoning_content": "Hmm" }, "finish_reason": null }]),
                json!([{ "index": 0, "delta": {}, "finish_reason": "length" }]),
            ]
        );
        assert_eq!(
            translator.usage_chunk().unwrap()["usage"],
            json!({
                "prompt_tokens": 53,
                "completion_tokens": 7,
                "total_tokens": 60,
                "prompt_tokens_details": { "cached_tokens": 40 },
                "cache_read_input_tokens": 40,
                "cache_creation_input_tokens": 10
            })
        );
    }

    #[test]
    fn exceptions_are_errors_and_usage_waits_for_metadata() {
        let mut translator = ConverseStreamToChat::new("m");
        assert_eq!(translator.usage(), None);
        assert_eq!(translator.usage_chunk(), None);
        assert_eq!(
            translator
                .push(
                    "throttlingException",
                    &json!({ "message": "Too many requests, please wait." })
                )
                .unwrap_err()
                .0,
            "Bedrock throttlingException: Too many requests, please wait."
        );
        assert_eq!(
            translator.push("somethingNew", &json!({})).unwrap(),
            Vec::<Value>::new()
        );
    }
}
