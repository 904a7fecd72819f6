//! Anthropic's Messages API (`anthropic/<model>`): chat requests translated
//! to `POST /v1/messages`, replies and SSE streams translated back.

use serde_json::Value;

use super::native::{self, ErrorReply};
use super::stream::{ChunkStream, StreamFormat};
use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::crypto::Vault;
use crate::translate::anthropic::{
    MessagesStreamToChat, chat_to_messages_request, messages_to_chat_response,
};

/// The API version this gateway's translation speaks.
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// `{base}/v1/messages`; a base that already names the route is used as is.
fn endpoint(base: &str) -> String {
    if base.ends_with("/v1/messages") {
        return base.to_owned();
    }
    format!("{}/v1/messages", base.trim_end_matches("/v1"))
}

/// Sends a chat request to an Anthropic deployment.
pub(super) async fn send(
    http: &reqwest::Client,
    vault: &Vault,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    if !native::is_chat(request.operation) {
        return Err(native::unsupported(&request));
    }
    let url = endpoint(&native::base(&request)?);
    let mut body =
        chat_to_messages_request(&request.body, &request.model).map_err(native::request_error)?;
    if request.stream {
        body["stream"] = Value::Bool(true);
    }
    let mut builder = http
        .post(url)
        .timeout(request.timeout)
        .header("anthropic-version", ANTHROPIC_VERSION)
        .json(&body);
    if let Some(key) = native::api_key(vault, &request)? {
        builder = builder.header("x-api-key", key);
    }
    let builder = native::with_extra_headers(builder, &request);
    let response = native::send(builder, status_error).await?;
    if request.stream {
        let translator = MessagesStreamToChat::new(&request.model);
        return Ok(UpstreamReply::Stream(ChunkStream::new(
            response,
            StreamFormat::Anthropic(Box::new(translator)),
        )));
    }
    let message = native::read_json(response).await?;
    messages_to_chat_response(&message, &request.model)
        .map(UpstreamReply::Json)
        .map_err(native::response_error)
}

/// Reads Anthropic's error envelope, `{"type":"error","error":{"type","message"}}`.
async fn status_error(response: reqwest::Response) -> UpstreamError {
    let reply = ErrorReply::read(response).await;
    let error = reply.json.as_ref().map(|body| &body["error"]);
    let message = error.and_then(|e| e["message"].as_str().map(str::to_owned));
    let kind = error.and_then(|e| e["type"].as_str().map(str::to_owned));
    reply.into_error(message, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_route_is_added_once() {
        assert_eq!(
            endpoint("https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            endpoint("http://proxy/anthropic/v1"),
            "http://proxy/anthropic/v1/messages"
        );
        assert_eq!(
            endpoint("http://proxy/v1/messages"),
            "http://proxy/v1/messages"
        );
    }
}
