//! Cohere's API v2 (`cohere/<model>`, `cohere_chat/<model>`): chat and its
//! SSE stream over `/v2/chat`, embeddings over `/v2/embed`, rerank over
//! `/v2/rerank`.

use serde_json::Value;

use super::native::{self, ErrorReply};
use super::stream::{ChunkStream, StreamFormat};
use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::crypto::Vault;
use crate::providers::Operation;
use crate::translate::cohere::{
    CohereStreamToChat, chat_to_cohere, cohere_to_chat, cohere_to_embeddings, cohere_to_rerank,
    embeddings_to_cohere, rerank_to_cohere, restore_documents,
};

/// `{base}/v2/{route}`; a base that already ends with an API version loses it.
fn endpoint(base: &str, route: &str) -> String {
    let base = base.trim_end_matches("/v1").trim_end_matches("/v2");
    format!("{base}/v2/{route}")
}

/// Sends a chat, embeddings or rerank request to a Cohere deployment.
pub(super) async fn send(
    http: &reqwest::Client,
    vault: &Vault,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    let model = request.model.as_str();
    let (route, body) = match request.operation {
        operation if native::is_chat(operation) => {
            let mut body = chat_to_cohere(&request.body, model).map_err(native::request_error)?;
            if request.stream {
                body["stream"] = Value::Bool(true);
            }
            ("chat", body)
        }
        Operation::Embedding => (
            "embed",
            embeddings_to_cohere(&request.body, model).map_err(native::request_error)?,
        ),
        Operation::Rerank => (
            "rerank",
            rerank_to_cohere(&request.body, model).map_err(native::request_error)?,
        ),
        _ => return Err(native::unsupported(&request)),
    };
    let url = endpoint(&native::base(&request)?, route);
    let mut builder = http.post(url).timeout(request.timeout).json(&body);
    if let Some(key) = native::api_key(vault, &request)? {
        builder = builder.bearer_auth(key);
    }
    let builder = native::with_extra_headers(builder, &request);
    let response = native::send(builder, status_error).await?;
    if request.stream && native::is_chat(request.operation) {
        let translator = CohereStreamToChat::new(model);
        return Ok(UpstreamReply::Stream(ChunkStream::new(
            response,
            StreamFormat::Cohere(Box::new(translator)),
        )));
    }
    let reply = native::read_json(response).await?;
    match request.operation {
        Operation::Embedding => Ok(UpstreamReply::Json(cohere_to_embeddings(&reply, model))),
        Operation::Rerank => Ok(UpstreamReply::Json(restore_documents(
            cohere_to_rerank(&reply),
            &request.body,
        ))),
        _ => cohere_to_chat(&reply, model)
            .map(UpstreamReply::Json)
            .map_err(native::response_error),
    }
}

/// Reads Cohere's `{"message": ...}` error body.
async fn status_error(response: reqwest::Response) -> UpstreamError {
    let reply = ErrorReply::read(response).await;
    let message = reply
        .json
        .as_ref()
        .and_then(|body| body["message"].as_str())
        .map(str::to_owned);
    reply.into_error(message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_sit_under_v2_once() {
        assert_eq!(
            endpoint("https://api.cohere.com", "chat"),
            "https://api.cohere.com/v2/chat"
        );
        assert_eq!(
            endpoint("http://mock/v2", "rerank"),
            "http://mock/v2/rerank"
        );
        assert_eq!(endpoint("http://mock/v1", "embed"), "http://mock/v2/embed");
    }
}
