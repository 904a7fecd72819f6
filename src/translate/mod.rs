//! Translations between OpenAI's chat format, which the gateway speaks
//! internally, and the native formats of other providers (and Anthropic's
//! Messages format and OpenAI's Responses format, which clients may speak
//! to us). Pure functions over
//! `serde_json::Value`: no I/O, so every mapping is unit-tested.

pub mod anthropic;
pub mod bedrock;
pub mod cohere;
pub mod gemini;
pub mod responses;

use serde_json::Value;

/// Token usage of one call, in OpenAI's terms. `prompt_tokens` includes
/// cached tokens (`cache_read_input_tokens`), as OpenAI reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens served from the provider's prompt cache.
    pub cache_read_input_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache.
    pub cache_creation_input_tokens: u64,
    /// Completion tokens spent on reasoning (already part of `completion_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Reads an OpenAI `usage` object (chat, completions, embeddings), or
    /// the Responses API's, which says `input`/`output` for prompt/completion.
    pub fn from_openai(usage: &serde_json::Value) -> Self {
        let count = |value: &serde_json::Value| value.as_u64().unwrap_or(0);
        let either =
            |chat: &str, responses: &str| count(&usage[chat]).max(count(&usage[responses]));
        Self {
            prompt_tokens: either("prompt_tokens", "input_tokens"),
            completion_tokens: either("completion_tokens", "output_tokens"),
            cache_read_input_tokens: count(&usage["prompt_tokens_details"]["cached_tokens"])
                .max(count(&usage["input_tokens_details"]["cached_tokens"]))
                .max(count(&usage["cache_read_input_tokens"])),
            cache_creation_input_tokens: count(&usage["cache_creation_input_tokens"]),
            reasoning_tokens: count(&usage["completion_tokens_details"]["reasoning_tokens"])
                .max(count(&usage["output_tokens_details"]["reasoning_tokens"])),
        }
    }

    /// The OpenAI `usage` object for this usage.
    pub fn to_openai(&self) -> serde_json::Value {
        let mut usage = serde_json::json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens(),
        });
        if self.cache_read_input_tokens > 0 || self.cache_creation_input_tokens > 0 {
            usage["prompt_tokens_details"] =
                serde_json::json!({ "cached_tokens": self.cache_read_input_tokens });
            usage["cache_read_input_tokens"] = self.cache_read_input_tokens.into();
            usage["cache_creation_input_tokens"] = self.cache_creation_input_tokens.into();
        }
        if self.reasoning_tokens > 0 {
            usage["completion_tokens_details"] =
                serde_json::json!({ "reasoning_tokens": self.reasoning_tokens });
        }
        usage
    }
}

/// A request or response that cannot be expressed in the other format; the
/// message names the offending field and becomes a 400 for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TranslateError(pub String);

impl TranslateError {
    /// An error naming the field and what is wrong with it.
    pub fn field(field: &str, problem: &str) -> Self {
        Self(format!("`{field}`: {problem}"))
    }
}

/// The text of a string content or of the text parts of an array content.
pub(crate) fn content_text(content: &Value, field: &str) -> Result<String, TranslateError> {
    match content {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text.clone()),
        Value::Array(parts) => {
            let mut text = String::new();
            for (index, part) in parts.iter().enumerate() {
                match part["type"].as_str() {
                    Some("text") => text.push_str(part["text"].as_str().unwrap_or_default()),
                    Some("refusal") => {}
                    _ => {
                        return Err(TranslateError::field(
                            &format!("{field}[{index}]"),
                            "only text parts are allowed here",
                        ));
                    }
                }
            }
            Ok(text)
        }
        _ => Err(TranslateError::field(
            field,
            "must be a string or an array of parts",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_is_read_in_chat_and_responses_spelling() {
        let chat = Usage::from_openai(&json!({
            "prompt_tokens": 15, "completion_tokens": 7, "total_tokens": 22,
            "prompt_tokens_details": {"cached_tokens": 4},
        }));
        let responses = Usage::from_openai(&json!({
            "input_tokens": 15, "input_tokens_details": {"cached_tokens": 4},
            "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 22,
        }));
        assert_eq!(chat, responses);
        assert_eq!(responses.prompt_tokens, 15);
        assert_eq!(responses.cache_read_input_tokens, 4);
    }
}
