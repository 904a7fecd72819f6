//! OpenAI's Responses API (`POST /v1/responses`) over chat completions, for
//! providers that only speak chat: a Responses request as a chat request,
//! a chat answer as a `response` object, and a chat stream as the
//! Responses SSE events. Stored state (`previous_response_id`) and hosted
//! tools (web search, file search...) have no chat equivalent and are
//! refused rather than silently dropped.

mod request;
mod response;
mod stream;

pub use request::responses_to_chat;
pub use response::chat_to_response;
pub use stream::ChatStreamToResponses;

use serde_json::{Map, Value, json};

use super::Usage;

/// The request fields a `response` object echoes.
const ECHOED: &[&str] = &[
    "instructions",
    "max_output_tokens",
    "parallel_tool_calls",
    "temperature",
    "tool_choice",
    "tools",
    "top_p",
    "user",
];

/// OpenAI's value for an echoed field the client left out.
fn default_of(field: &str) -> Value {
    match field {
        "parallel_tool_calls" => Value::Bool(true),
        "temperature" | "top_p" => json!(1.0),
        "tool_choice" => json!("auto"),
        "tools" => json!([]),
        _ => Value::Null,
    }
}

/// What a `response` object repeats from the request that asked for it.
#[derive(Debug, Clone, Default)]
pub struct Echo(Map<String, Value>);

impl Echo {
    /// Keeps the echoed fields of a Responses request.
    pub fn of(request: &Value) -> Self {
        let mut fields = Map::new();
        for name in ECHOED {
            let value = request
                .get(*name)
                .filter(|value| !value.is_null())
                .cloned()
                .unwrap_or_else(|| default_of(name));
            fields.insert((*name).to_owned(), value);
        }
        let text = request
            .get("text")
            .filter(|text| text.is_object())
            .cloned()
            .unwrap_or_else(|| json!({"format": {"type": "text"}}));
        fields.insert("text".to_owned(), text);
        Self(fields)
    }
}

/// A `response` object's parts that change while it is produced.
struct Snapshot<'a> {
    id: &'a str,
    created_at: i64,
    model: &'a str,
    status: &'a str,
    incomplete_reason: Option<&'a str>,
    output: Vec<Value>,
    usage: Option<Usage>,
}

impl Snapshot<'_> {
    /// The whole `response` object.
    fn render(self, echo: &Echo) -> Value {
        let mut response = json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": self.status,
            "error": null,
            "incomplete_details": self.incomplete_reason.map(|reason| json!({"reason": reason})),
            "model": self.model,
            "output": self.output,
            "usage": self.usage.as_ref().map(usage_object),
            "metadata": {},
        });
        if let Some(object) = response.as_object_mut() {
            for (name, value) in &echo.0 {
                object.insert(name.clone(), value.clone());
            }
        }
        response
    }
}

/// The Responses `usage` object: input and output tokens, with the cached
/// and reasoning shares in their `_details`.
pub fn usage_object(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cache_read_input_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens(),
    })
}

/// The response's `status` and, when it is cut short, the reason, for a
/// chat `finish_reason`.
fn status_for(finish_reason: Option<&str>) -> (&'static str, Option<&'static str>) {
    match finish_reason {
        Some("length") => ("incomplete", Some("max_output_tokens")),
        Some("content_filter") => ("incomplete", Some("content_filter")),
        _ => ("completed", None),
    }
}

/// A fresh id with OpenAI's prefix for its kind (`resp`, `msg`, `fc`).
fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// A finished assistant message item holding `text`.
fn message_item(id: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "id": id,
        "status": "completed",
        "role": "assistant",
        "content": [output_text(text)],
    })
}

/// An `output_text` content part.
fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": []})
}

/// A function call item; `status` is `in_progress` while its arguments stream.
fn function_call_item(id: &str, call_id: &str, name: &str, arguments: &str, status: &str) -> Value {
    json!({
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_fields_take_openai_defaults() {
        let echo = Echo::of(&json!({"instructions": "Be brief.", "temperature": 0.2}));
        let response = Snapshot {
            id: "resp_1",
            created_at: 7,
            model: "m",
            status: "completed",
            incomplete_reason: None,
            output: Vec::new(),
            usage: None,
        }
        .render(&echo);
        assert_eq!(response["instructions"], "Be brief.");
        assert_eq!(response["temperature"], 0.2);
        assert_eq!(response["top_p"], 1.0);
        assert_eq!(response["tools"], json!([]));
        assert_eq!(response["text"], json!({"format": {"type": "text"}}));
        assert_eq!(response["usage"], Value::Null);
        assert!(response.get("output_text").is_none());
    }

    #[test]
    fn usage_has_responses_names() {
        let usage = Usage {
            prompt_tokens: 15,
            completion_tokens: 7,
            cache_read_input_tokens: 4,
            ..Usage::default()
        };
        assert_eq!(
            usage_object(&usage),
            json!({
                "input_tokens": 15, "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 22,
            })
        );
    }

    #[test]
    fn cut_answers_are_incomplete() {
        assert_eq!(status_for(Some("stop")), ("completed", None));
        assert_eq!(status_for(Some("tool_calls")), ("completed", None));
        assert_eq!(
            status_for(Some("length")),
            ("incomplete", Some("max_output_tokens"))
        );
        assert_eq!(status_for(None), ("completed", None));
    }
}
