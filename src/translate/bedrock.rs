//! AWS Bedrock Runtime: OpenAI chat requests as Converse bodies, Converse
//! responses and stream events as OpenAI completions and chunks, the binary
//! event-stream framing of `ConverseStream`, OpenAI embeddings over
//! `InvokeModel` (Titan and Cohere bodies), SigV4 request signing and the
//! operation URLs. No I/O: the caller sends.

mod content;
mod embed;
pub mod eventstream;
mod request;
mod response;
pub mod sigv4;
mod stream;

pub use embed::{
    EmbedFamily, cohere_reply_to_embeddings, cohere_request, embedding_texts, titan_request,
    titan_to_embeddings,
};
pub use eventstream::EventStreamDecoder;
pub use request::chat_to_converse;
pub use response::converse_to_chat;
pub use sigv4::{AwsCredentials, sign};
pub use stream::ConverseStreamToChat;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::Usage;

/// Everything but RFC 3986's unreserved characters: a model id or ARN
/// (`anthropic.claude-3-haiku-20240307-v1:0`, `arn:aws:bedrock:...:inference-profile/...`)
/// must stay one path segment, so `:` and `/` are encoded too.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The Converse (or ConverseStream) operation URL for a model under `base`,
/// normally `https://bedrock-runtime.{region}.amazonaws.com`; a path on
/// `base` (a proxy's prefix) is kept.
pub fn converse_url(base: &url::Url, model_id: &str, stream: bool) -> url::Url {
    let operation = if stream {
        "converse-stream"
    } else {
        "converse"
    };
    operation_url(base, model_id, operation)
}

/// The `InvokeModel` URL for a model under `base`: the model's own body
/// format, used for embeddings.
pub fn invoke_url(base: &url::Url, model_id: &str) -> url::Url {
    operation_url(base, model_id, "invoke")
}

fn operation_url(base: &url::Url, model_id: &str, operation: &str) -> url::Url {
    let prefix = base.path().trim_end_matches('/');
    let model = utf8_percent_encode(model_id, PATH_SEGMENT);
    let mut url = base.clone();
    url.set_path(&format!("{prefix}/model/{model}/{operation}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// OpenAI's `finish_reason` for a Converse `stopReason`.
fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        _ => "stop",
    }
}

/// Reads a Converse `usage` object. Bedrock's `inputTokens` leaves out the
/// tokens read from or written to the prompt cache; OpenAI's `prompt_tokens`
/// counts them all.
fn usage_from_converse(usage: &Value) -> Usage {
    let count = |field: &str| usage[field].as_u64().unwrap_or(0);
    let cache_read = count("cacheReadInputTokens");
    let cache_write = count("cacheWriteInputTokens");
    Usage {
        prompt_tokens: count("inputTokens") + cache_read + cache_write,
        completion_tokens: count("outputTokens"),
        cache_read_input_tokens: cache_read,
        cache_creation_input_tokens: cache_write,
        reasoning_tokens: 0,
    }
}

/// A fresh OpenAI-style completion id: Converse responses carry none in
/// their body.
fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converse_url_encodes_the_model_id_as_one_segment() {
        let base = url::Url::parse("https://bedrock-runtime.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            converse_url(&base, "anthropic.claude-3-haiku-20240307-v1:0", false).as_str(),
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
        );
        assert_eq!(
            converse_url(&base, "us.meta.llama3-2-1b-instruct-v1:0", true).as_str(),
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.meta.llama3-2-1b-instruct-v1%3A0/converse-stream"
        );
        assert_eq!(
            converse_url(
                &base,
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet",
                false
            )
            .path(),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet/converse"
        );
    }

    #[test]
    fn invoke_url_names_the_model_once() {
        let base = url::Url::parse("https://bedrock-runtime.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            invoke_url(&base, "amazon.titan-embed-text-v2:0").as_str(),
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke"
        );
    }

    #[test]
    fn converse_url_keeps_a_base_path_and_drops_its_query() {
        let base = url::Url::parse("http://127.0.0.1:8080/bedrock/?x=1").unwrap();
        assert_eq!(
            converse_url(&base, "amazon.nova-lite-v1:0", true).as_str(),
            "http://127.0.0.1:8080/bedrock/model/amazon.nova-lite-v1%3A0/converse-stream"
        );
    }

    #[test]
    fn stop_reasons_map_to_finish_reasons() {
        let cases = [
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("max_tokens", "length"),
            ("model_context_window_exceeded", "length"),
            ("tool_use", "tool_calls"),
            ("guardrail_intervened", "content_filter"),
            ("content_filtered", "content_filter"),
        ];
        for (stop_reason, expected) in cases {
            assert_eq!(finish_reason(stop_reason), expected, "{stop_reason}");
        }
    }

    #[test]
    fn cached_tokens_count_as_prompt_tokens() {
        let usage = usage_from_converse(&json!({
            "inputTokens": 10, "outputTokens": 5, "totalTokens": 115,
            "cacheReadInputTokens": 80, "cacheWriteInputTokens": 20
        }));
        assert_eq!(
            usage,
            Usage {
                prompt_tokens: 110,
                completion_tokens: 5,
                cache_read_input_tokens: 80,
                cache_creation_input_tokens: 20,
                reasoning_tokens: 0,
            }
        );
    }
}
