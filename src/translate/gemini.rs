//! Google Gemini API (generativelanguage v1beta): OpenAI chat requests to
//! `generateContent` bodies and back, the `streamGenerateContent?alt=sse`
//! stream to OpenAI chunks, and OpenAI embeddings over `batchEmbedContents`.

mod embed;
mod request;
mod response;
mod schema;
mod stream;

pub use embed::{batch_embed_to_embeddings, embeddings_to_batch_embed};
pub use request::chat_to_generate_content;
pub use response::generate_content_to_chat;
pub use stream::GeminiStreamToChat;

use serde_json::Value;

/// Gemini needs the thought signature of a function call sent back with it;
/// OpenAI clients only echo the tool-call id, so the signature rides in the id
/// after this separator.
const THOUGHT_SIGNATURE_SEPARATOR: &str = "__thought__";

/// The message of a Gemini error body (`{"error":{"message"}}`), so upstream
/// failures reach the client in words; streamed errors may come wrapped in an
/// array.
pub fn error_message(body: &Value) -> Option<String> {
    let body = match body {
        Value::Array(items) => items.first()?,
        other => other,
    };
    body["error"]["message"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_message_is_read_from_plain_and_wrapped_bodies() {
        let body = json!({"error": {"code": 400, "message": "API key not valid", "status": "INVALID_ARGUMENT"}});
        assert_eq!(error_message(&body).as_deref(), Some("API key not valid"));
        assert_eq!(
            error_message(&json!([body])).as_deref(),
            Some("API key not valid")
        );
        assert_eq!(error_message(&json!({"candidates": []})), None);
        assert_eq!(error_message(&json!([])), None);
    }
}
