//! The Responses API (`/v1/responses`) for providers that only speak chat:
//! the request is asked as chat, and the chat answer (or stream) is
//! reshaped into a `response` object (or the Responses stream events).

use serde_json::Value;

use super::stream::Reshape;
use super::{UpstreamError, UpstreamReply, UpstreamRequest, native};
use crate::providers::Operation;
use crate::translate::responses::{
    ChatStreamToResponses, Echo, chat_to_response, responses_to_chat,
};

/// The chat request that asks the same as a Responses request, and what
/// the answer must echo from it.
pub(super) fn as_chat(
    mut request: UpstreamRequest<'_>,
) -> Result<(UpstreamRequest<'_>, Echo), UpstreamError> {
    let echo = Echo::of(&request.body);
    request.body = responses_to_chat(&request.body).map_err(native::request_error)?;
    request.operation = Operation::Chat;
    Ok((request, echo))
}

/// The chat reply in the Responses shape; `model` names the model until
/// the provider's stream does.
pub(super) fn reply(
    reply: UpstreamReply,
    echo: Echo,
    model: &str,
) -> Result<UpstreamReply, UpstreamError> {
    match reply {
        UpstreamReply::Json(chat) => chat_to_response(&chat, &echo)
            .map(UpstreamReply::Json)
            .map_err(native::response_error),
        UpstreamReply::Stream(stream) => {
            let translator = ChatStreamToResponses::new(echo, model);
            Ok(UpstreamReply::Stream(
                stream.reshaped_by(Box::new(StreamEvents(translator))),
            ))
        }
        other => Ok(other),
    }
}

/// Chat chunks into Responses events, closed by `response.completed`.
struct StreamEvents(ChatStreamToResponses);

impl Reshape for StreamEvents {
    fn chunk(&mut self, chunk: Value) -> Vec<Value> {
        self.0.push(&chunk)
    }

    fn end(&mut self) -> Vec<Value> {
        self.0.finish()
    }
}
