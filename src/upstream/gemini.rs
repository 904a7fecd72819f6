//! Google's Gemini API (`gemini/<model>`): chat over `generateContent` and
//! `streamGenerateContent?alt=sse`, embeddings over `batchEmbedContents`.

use serde_json::Value;

use super::native::{self, ErrorReply};
use super::stream::{ChunkStream, StreamFormat};
use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::crypto::Vault;
use crate::providers::Operation;
use crate::translate::gemini::{
    GeminiStreamToChat, batch_embed_to_embeddings, chat_to_generate_content,
    embeddings_to_batch_embed, error_message, generate_content_to_chat,
};

/// `{base}/v1beta/models/{model}:{method}`. A model named with its
/// collection (`tunedModels/...`) keeps it; a base that already ends with
/// the API version is not given it twice.
fn endpoint(base: &str, model: &str, method: &str) -> String {
    let base = base.trim_end_matches("/v1beta");
    let model = model.strip_prefix("models/").unwrap_or(model);
    if model.contains('/') {
        format!("{base}/v1beta/{model}:{method}")
    } else {
        format!("{base}/v1beta/models/{model}:{method}")
    }
}

/// Sends a chat or embeddings request to a Gemini deployment.
pub(super) async fn send(
    http: &reqwest::Client,
    vault: &Vault,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    let base = native::base(&request)?;
    let (url, body) = match request.operation {
        operation if native::is_chat(operation) => {
            let method = if request.stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            let body = chat_to_generate_content(&request.body).map_err(native::request_error)?;
            (endpoint(&base, &request.model, method), body)
        }
        Operation::Embedding => {
            let body = embeddings_to_batch_embed(&request.body, &request.model)
                .map_err(native::request_error)?;
            (endpoint(&base, &request.model, "batchEmbedContents"), body)
        }
        _ => return Err(native::unsupported(&request)),
    };
    let mut builder = http.post(url).timeout(request.timeout).json(&body);
    if let Some(key) = native::api_key(vault, &request)? {
        builder = builder.header("x-goog-api-key", key);
    }
    let builder = native::with_extra_headers(builder, &request);
    let response = native::send(builder, status_error).await?;
    if request.operation == Operation::Embedding {
        let reply = native::read_json(response).await?;
        let tokens = estimated_tokens(&request.body["input"]);
        return Ok(UpstreamReply::Json(batch_embed_to_embeddings(
            &reply,
            &request.model,
            tokens,
        )));
    }
    if request.stream {
        let translator = GeminiStreamToChat::new(&request.model);
        return Ok(UpstreamReply::Stream(ChunkStream::new(
            response,
            StreamFormat::Gemini(Box::new(translator)),
        )));
    }
    let reply = native::read_json(response).await?;
    generate_content_to_chat(&reply, &request.model)
        .map(UpstreamReply::Json)
        .map_err(native::response_error)
}

/// Gemini counts no embedding tokens; about four characters make one.
fn estimated_tokens(input: &Value) -> u64 {
    let chars: usize = match input {
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::len).sum(),
        _ => 0,
    };
    chars.div_ceil(4).max(1) as u64
}

/// Reads Gemini's `{"error":{"code","message","status"}}`.
async fn status_error(response: reqwest::Response) -> UpstreamError {
    let reply = ErrorReply::read(response).await;
    let message = reply.json.as_ref().and_then(error_message);
    reply.into_error(message, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_name_the_model_once() {
        let base = "https://generativelanguage.googleapis.com";
        assert_eq!(
            endpoint(base, "gemini-2.0-flash", "generateContent"),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
        );
        assert_eq!(
            endpoint(
                "http://mock/v1beta",
                "models/text-embedding-004",
                "batchEmbedContents"
            ),
            "http://mock/v1beta/models/text-embedding-004:batchEmbedContents"
        );
        assert_eq!(
            endpoint(base, "tunedModels/mine", "generateContent"),
            "https://generativelanguage.googleapis.com/v1beta/tunedModels/mine:generateContent"
        );
    }

    #[test]
    fn embedding_tokens_are_estimated_from_the_input() {
        assert_eq!(estimated_tokens(&json!("12345678")), 2);
        assert_eq!(estimated_tokens(&json!(["abc", "de"])), 2);
        assert_eq!(estimated_tokens(&json!([])), 1);
    }
}
