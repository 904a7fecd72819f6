//! Per-stream relay state: re-stamping the model, the client's usage
//! preference, the client's format (OpenAI chunks, Anthropic events or
//! Responses events), and what was produced (to estimate usage when the
//! provider reports none).

use bytes::Bytes;
use serde_json::{Value, json};

use super::ApiError;
use super::respond::{CallContext, prompt_chars};
use crate::providers::Operation;
use crate::translate::Usage;
use crate::translate::anthropic::ChatStreamToMessages;

/// One stream being relayed.
pub(super) struct Relay {
    model: String,
    include_usage: bool,
    usage: Option<Usage>,
    streamed_chars: usize,
    prompt_chars: usize,
    pub(super) response_id: Option<String>,
    /// Set when the client speaks Anthropic's Messages API.
    anthropic: Option<ChatStreamToMessages>,
    /// Set when the client asked the Responses API, whose stream is named
    /// events rather than chunks.
    responses: bool,
    /// The last Responses event's `sequence_number`, once one was relayed.
    sequence: Option<u64>,
}

impl Relay {
    pub(super) fn new(context: &CallContext) -> Self {
        let anthropic = (context.request.operation == Operation::Messages)
            .then(|| ChatStreamToMessages::new(&context.request.model));
        Self {
            anthropic,
            model: context.request.model.clone(),
            include_usage: context.request.include_usage,
            usage: None,
            streamed_chars: 0,
            prompt_chars: prompt_chars(&context.request.body),
            response_id: None,
            responses: context.request.operation == Operation::Responses,
            sequence: None,
        }
    }

    /// The SSE frame for a chunk, or `None` when it is not forwarded.
    pub(super) fn frame(&mut self, mut chunk: Value) -> Option<Bytes> {
        if self.responses
            && let Some(kind) = chunk["type"].as_str().map(str::to_owned)
        {
            return Some(self.responses_frame(&kind, chunk));
        }
        if self.response_id.is_none() {
            self.response_id = chunk.get("id").and_then(Value::as_str).map(str::to_owned);
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(Usage::from_openai(usage));
        }
        if let Some(choices) = chunk.get("choices").and_then(Value::as_array) {
            for choice in choices {
                for field in ["content", "reasoning_content"] {
                    if let Some(text) = choice["delta"][field].as_str() {
                        self.streamed_chars += text.len();
                    }
                }
                if let Some(text) = choice["text"].as_str() {
                    self.streamed_chars += text.len();
                }
            }
            let usage_only = choices.is_empty() && chunk.get("usage").is_some_and(Value::is_object);
            if usage_only && !self.include_usage {
                return None;
            }
        }
        if !self.include_usage
            && let Some(object) = chunk.as_object_mut()
        {
            object.remove("usage");
        }
        if chunk.get("model").is_some() {
            chunk["model"] = Value::String(self.model.clone());
        }
        if let Some(translator) = &mut self.anthropic {
            let events = translator.push(&chunk);
            return (!events.is_empty()).then(|| anthropic_frames(events));
        }
        Some(Bytes::from(format!("data: {chunk}\n\n")))
    }

    /// A Responses event as `event: <type>` and `data:` lines. The usage
    /// and id are in the `response` that some events carry.
    fn responses_frame(&mut self, kind: &str, mut event: Value) -> Bytes {
        let number = event["sequence_number"].as_u64();
        self.sequence = Some(number.or(self.sequence).unwrap_or(0));
        if kind.ends_with(".delta")
            && let Some(delta) = event["delta"].as_str()
        {
            self.streamed_chars += delta.len();
        }
        if let Some(response) = event.get_mut("response").filter(|r| r.is_object()) {
            if self.response_id.is_none() {
                self.response_id = response["id"].as_str().map(str::to_owned);
            }
            if let Some(usage) = response.get("usage").filter(|u| u.is_object()) {
                self.usage = Some(Usage::from_openai(usage));
            }
            if response.get("model").is_some() {
                response["model"] = Value::String(self.model.clone());
            }
        }
        Bytes::from(format!("event: {kind}\ndata: {event}\n\n"))
    }

    /// The frame reporting an error after the stream started.
    pub(super) fn error_frame(&self, error: &ApiError) -> Bytes {
        if let Some(last) = self.sequence {
            let event = json!({
                "type": "error",
                "sequence_number": last + 1,
                "code": error.kind,
                "message": error.message,
                "param": error.param,
            });
            return Bytes::from(format!("event: error\ndata: {event}\n\n"));
        }
        if self.anthropic.is_some() {
            let body = error.clone().for_anthropic().body();
            return Bytes::from(format!("event: error\ndata: {body}\n\n"));
        }
        Bytes::from(format!("data: {}\n\n", error.body()))
    }

    /// The frames that end the stream; a Responses stream ends with its
    /// `response.completed` event, and no `[DONE]` follows.
    pub(super) fn end_frame(&mut self) -> Bytes {
        if self.sequence.is_some() {
            return Bytes::new();
        }
        match &mut self.anthropic {
            Some(translator) => anthropic_frames(translator.finish()),
            None => Bytes::from_static(b"data: [DONE]\n\n"),
        }
    }

    /// Reported usage, else an estimate of ~4 characters per token.
    pub(super) fn usage_or_estimate(&self) -> Usage {
        self.usage.unwrap_or(Usage {
            prompt_tokens: (self.prompt_chars / 4).max(1) as u64,
            completion_tokens: self.streamed_chars.div_ceil(4) as u64,
            ..Usage::default()
        })
    }
}

/// Anthropic's SSE framing: an `event:` line before each `data:` line.
fn anthropic_frames(events: Vec<(String, Value)>) -> Bytes {
    let text: String = events
        .into_iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect();
    Bytes::from(text)
}
