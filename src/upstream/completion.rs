//! Legacy text completions (`/v1/completions`) for providers that only
//! speak chat: the prompt becomes one user message, and the chat answer (or
//! stream) is reshaped into `text_completion` objects.

use serde_json::{Value, json};

use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::providers::Operation;

/// The chat request that asks the same as a completion request.
pub(super) fn as_chat(
    mut request: UpstreamRequest<'_>,
) -> Result<UpstreamRequest<'_>, UpstreamError> {
    let prompt = match &request.body["prompt"] {
        Value::String(text) => text.clone(),
        Value::Array(items) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(UpstreamError::Status {
                status: 400,
                message: "`prompt` must be a string (or a list of one string) for this provider"
                    .into(),
                kind: Some("invalid_request_error".into()),
            });
        }
    };
    if let Some(body) = request.body.as_object_mut() {
        body.remove("prompt");
        body.insert(
            "messages".into(),
            json!([{"role": "user", "content": prompt}]),
        );
    }
    request.operation = Operation::Chat;
    Ok(request)
}

/// A chat answer (or chunk) as a text completion.
fn reshape(chat: Value) -> Value {
    let chunk = chat["object"] == "chat.completion.chunk";
    let choices: Vec<Value> = chat["choices"]
        .as_array()
        .map(|choices| {
            choices
                .iter()
                .map(|choice| {
                    let text = if chunk {
                        &choice["delta"]["content"]
                    } else {
                        &choice["message"]["content"]
                    };
                    json!({
                        "text": text.as_str().unwrap_or_default(),
                        "index": choice["index"],
                        "logprobs": null,
                        "finish_reason": choice["finish_reason"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut completion = json!({
        "id": chat["id"],
        "object": "text_completion",
        "created": chat["created"],
        "model": chat["model"],
        "choices": choices,
    });
    if let Some(usage) = chat.get("usage").filter(|usage| usage.is_object()) {
        completion["usage"] = usage.clone();
    }
    completion
}

/// The reply in the completion shape.
pub(super) fn reply(reply: UpstreamReply) -> UpstreamReply {
    match reply {
        UpstreamReply::Json(chat) => UpstreamReply::Json(reshape(chat)),
        UpstreamReply::Stream(stream) => UpstreamReply::Stream(stream.reshaped(reshape)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_chunks_become_text_completions() {
        let answer = reshape(json!({
            "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }));
        assert_eq!(answer["object"], "text_completion");
        assert_eq!(answer["choices"][0]["text"], "hi");
        assert_eq!(answer["usage"]["total_tokens"], 2);
        let chunk = reshape(json!({
            "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "h"}, "finish_reason": null}],
        }));
        assert_eq!(chunk["choices"][0]["text"], "h");
        assert!(chunk.get("usage").is_none());
    }
}
