//! OpenAI embeddings over Bedrock's `InvokeModel`, whose body is the model
//! family's own: Amazon Titan embeds one text per call
//! (`{"inputText"}` → `{"embedding", "inputTextTokenCount"}`), Cohere Embed
//! a batch (`{"texts", "input_type"}` → `{"embeddings"}`).

use serde_json::{Value, json};

use crate::translate::TranslateError;
use crate::translate::cohere::cohere_to_embeddings;

/// The embedding model families Bedrock serves with different bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedFamily {
    /// `amazon.titan-embed-text-v1`, `-v2:0`, `amazon.titan-embed-image-v1`.
    Titan,
    /// `cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`.
    Cohere,
}

impl EmbedFamily {
    /// The family of a model id (or of a cross-region profile such as
    /// `us.cohere.embed-v4:0`); `None` for a model Bedrock does not embed with.
    pub fn of(model_id: &str) -> Option<Self> {
        if model_id.contains("amazon.titan-embed") {
            Some(Self::Titan)
        } else if model_id.contains("cohere.embed") {
            Some(Self::Cohere)
        } else {
            None
        }
    }
}

/// The texts of an OpenAI embeddings request's `input`.
pub fn embedding_texts(request: &Value) -> Result<Vec<String>, TranslateError> {
    match &request["input"] {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    TranslateError::field(
                        &format!("input[{index}]"),
                        "Bedrock embeds text only, not token arrays",
                    )
                })
            })
            .collect(),
        _ => Err(TranslateError::field(
            "input",
            "must be a string or a non-empty array of strings",
        )),
    }
}

/// The Titan body embedding one text: OpenAI's `dimensions` is Titan's
/// own, and Titan's `normalize` is passed on when the client sets it.
pub fn titan_request(text: &str, request: &Value) -> Value {
    let mut body = json!({ "inputText": text });
    for field in ["dimensions", "normalize"] {
        if !request[field].is_null() {
            body[field] = request[field].clone();
        }
    }
    body
}

/// The OpenAI list of Titan's answers, one per input in order, with their
/// token counts added up.
pub fn titan_to_embeddings(replies: &[Value], model: &str) -> Result<Value, TranslateError> {
    let mut data = Vec::with_capacity(replies.len());
    let mut tokens = 0;
    for (index, reply) in replies.iter().enumerate() {
        let embedding = reply
            .get("embedding")
            .filter(|e| e.is_array())
            .ok_or_else(|| {
                TranslateError::field("embedding", "the Titan answer holds no embedding")
            })?;
        tokens += reply["inputTextTokenCount"].as_u64().unwrap_or(0);
        data.push(json!({ "object": "embedding", "index": index, "embedding": embedding }));
    }
    Ok(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens },
    }))
}

/// The Cohere Embed body for all the texts. Cohere needs an `input_type`;
/// documents are assumed unless the request names one.
pub fn cohere_request(texts: &[String], request: &Value) -> Value {
    let mut body = json!({
        "texts": texts,
        "input_type": request["input_type"].as_str().unwrap_or("search_document"),
    });
    if let Some(truncate) = request["truncate"].as_str() {
        body["truncate"] = truncate.into();
    }
    if !request["dimensions"].is_null() {
        body["output_dimension"] = request["dimensions"].clone();
    }
    body
}

/// The OpenAI list of Cohere's answer. Bedrock counts its tokens in the
/// `x-amzn-bedrock-input-token-count` header rather than the body.
pub fn cohere_reply_to_embeddings(reply: &Value, model: &str, input_tokens: u64) -> Value {
    let mut list = cohere_to_embeddings(reply, model);
    list["usage"] = json!({ "prompt_tokens": input_tokens, "total_tokens": input_tokens });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_told_by_model_id() {
        assert_eq!(
            EmbedFamily::of("amazon.titan-embed-text-v2:0"),
            Some(EmbedFamily::Titan)
        );
        assert_eq!(
            EmbedFamily::of("cohere.embed-english-v3"),
            Some(EmbedFamily::Cohere)
        );
        assert_eq!(
            EmbedFamily::of("us.cohere.embed-v4:0"),
            Some(EmbedFamily::Cohere)
        );
        assert_eq!(EmbedFamily::of("anthropic.claude-3-haiku"), None);
    }

    #[test]
    fn inputs_are_texts() {
        assert_eq!(
            embedding_texts(&json!({"input": "a"})).unwrap(),
            vec!["a".to_owned()]
        );
        assert_eq!(
            embedding_texts(&json!({"input": ["a", [1]]}))
                .unwrap_err()
                .0,
            "`input[1]`: Bedrock embeds text only, not token arrays"
        );
        assert!(embedding_texts(&json!({"input": []})).is_err());
    }

    #[test]
    fn titan_embeds_one_text_per_call() {
        assert_eq!(
            titan_request("hello", &json!({"dimensions": 256, "normalize": true})),
            json!({"inputText": "hello", "dimensions": 256, "normalize": true})
        );
        assert_eq!(titan_request("hi", &json!({})), json!({"inputText": "hi"}));
        let list = titan_to_embeddings(
            &[
                json!({"embedding": [0.1, 0.2], "inputTextTokenCount": 3}),
                json!({"embedding": [0.3, 0.4], "inputTextTokenCount": 2}),
            ],
            "titan",
        )
        .unwrap();
        assert_eq!(
            list,
            json!({
                "object": "list",
                "data": [
                    {"object": "embedding", "index": 0, "embedding": [0.1, 0.2]},
                    {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]},
                ],
                "model": "titan",
                "usage": {"prompt_tokens": 5, "total_tokens": 5},
            })
        );
        assert!(titan_to_embeddings(&[json!({"message": "x"})], "titan").is_err());
    }

    #[test]
    fn cohere_embeds_a_batch() {
        let texts = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            cohere_request(&texts, &json!({})),
            json!({"texts": ["a", "b"], "input_type": "search_document"})
        );
        assert_eq!(
            cohere_request(
                &texts,
                &json!({"input_type": "search_query", "truncate": "END"})
            )["input_type"],
            "search_query"
        );
        let reply = json!({"id": "e1", "embeddings": [[0.5], [0.25]], "texts": ["a", "b"],
            "response_type": "embeddings_floats"});
        let list = cohere_reply_to_embeddings(&reply, "cohere", 4);
        assert_eq!(list["data"][1]["embedding"], json!([0.25]));
        assert_eq!(
            list["usage"],
            json!({"prompt_tokens": 4, "total_tokens": 4})
        );
    }
}
