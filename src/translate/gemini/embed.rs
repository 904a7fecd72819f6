//! OpenAI embeddings over Gemini's `batchEmbedContents`, which takes one
//! request per input and reports no token usage.

use serde_json::{Value, json};

use crate::translate::TranslateError;

/// Translates an OpenAI embeddings request into a `batchEmbedContents` body
/// for `upstream_model` (with or without the `models/` prefix). OpenAI's
/// `dimensions` becomes `outputDimensionality`; a `task_type` is passed on.
pub fn embeddings_to_batch_embed(
    request: &Value,
    upstream_model: &str,
) -> Result<Value, TranslateError> {
    let texts: Vec<&str> = match &request["input"] {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().ok_or_else(|| {
                    TranslateError::field(
                        &format!("input[{index}]"),
                        "Gemini embeds text only, not token arrays",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(TranslateError::field(
                "input",
                "must be a string or a non-empty array of strings",
            ));
        }
    };
    let model = if upstream_model.starts_with("models/") {
        upstream_model.to_owned()
    } else {
        format!("models/{upstream_model}")
    };
    let requests: Vec<Value> = texts
        .into_iter()
        .map(|text| {
            let mut one = json!({ "model": model, "content": { "parts": [{ "text": text }] } });
            if !request["dimensions"].is_null() {
                one["outputDimensionality"] = request["dimensions"].clone();
            }
            if let Some(task) = request["task_type"].as_str() {
                one["taskType"] = task.into();
            }
            one
        })
        .collect();
    Ok(json!({ "requests": requests }))
}

/// Translates a `batchEmbedContents` response into an OpenAI embeddings
/// list. Gemini does not count tokens here, so the caller supplies its own
/// estimate as `prompt_tokens`.
pub fn batch_embed_to_embeddings(response: &Value, model: &str, prompt_tokens: u64) -> Value {
    let data: Vec<Value> = response["embeddings"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, embedding)| {
            json!({ "object": "embedding", "index": index, "embedding": embedding["values"] })
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_single_string_becomes_one_request() {
        let request = json!({"model": "embed", "input": "hello"});
        assert_eq!(
            embeddings_to_batch_embed(&request, "text-embedding-004").unwrap(),
            json!({"requests": [{"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}}]})
        );
    }

    #[test]
    fn arrays_dimensions_and_task_type_are_carried() {
        let request =
            json!({"input": ["a", "b"], "dimensions": 256, "task_type": "RETRIEVAL_QUERY"});
        assert_eq!(
            embeddings_to_batch_embed(&request, "models/gemini-embedding-001").unwrap(),
            json!({"requests": [
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]},
                 "outputDimensionality": 256, "taskType": "RETRIEVAL_QUERY"},
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]},
                 "outputDimensionality": 256, "taskType": "RETRIEVAL_QUERY"}
            ]})
        );
    }

    #[test]
    fn token_arrays_and_empty_inputs_are_rejected() {
        assert_eq!(
            embeddings_to_batch_embed(&json!({"input": [[1, 2, 3]]}), "m")
                .unwrap_err()
                .0,
            "`input[0]`: Gemini embeds text only, not token arrays"
        );
        assert!(embeddings_to_batch_embed(&json!({"input": []}), "m").is_err());
        assert!(embeddings_to_batch_embed(&json!({}), "m").is_err());
    }

    #[test]
    fn the_response_becomes_an_openai_list() {
        let response = json!({"embeddings": [{"values": [0.1, -0.2]}, {"values": [0.3, 0.4]}]});
        assert_eq!(
            batch_embed_to_embeddings(&response, "gemini-embed", 9),
            json!({
                "object": "list",
                "data": [
                    {"object": "embedding", "index": 0, "embedding": [0.1, -0.2]},
                    {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]}
                ],
                "model": "gemini-embed",
                "usage": {"prompt_tokens": 9, "total_tokens": 9}
            })
        );
    }
}
