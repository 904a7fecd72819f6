//! OpenAI embeddings over Cohere `/v2/embed`.

use serde_json::{Value, json};

use crate::translate::TranslateError;

/// Translates an OpenAI embeddings request into a `/v2/embed` body. Cohere
/// requires an `input_type`; OpenAI has none, so documents are assumed
/// unless the request names one (LiteLLM passes it through the same way).
/// `dimensions` becomes `output_dimension`.
pub fn embeddings_to_cohere(
    request: &Value,
    upstream_model: &str,
) -> Result<Value, TranslateError> {
    let texts: Vec<Value> = match &request["input"] {
        Value::String(text) => vec![text.as_str().into()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(Value::from).ok_or_else(|| {
                    TranslateError::field(
                        &format!("input[{index}]"),
                        "Cohere embeds text only, not token arrays",
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
    let mut body = json!({
        "model": upstream_model,
        "texts": texts,
        "input_type": request["input_type"].as_str().unwrap_or("search_document"),
        "embedding_types": ["float"],
    });
    if !request["dimensions"].is_null() {
        body["output_dimension"] = request["dimensions"].clone();
    }
    if let Some(truncate) = request["truncate"].as_str() {
        body["truncate"] = truncate.into();
    }
    Ok(body)
}

/// Translates a `/v2/embed` response into an OpenAI embeddings list, billed
/// input tokens as the usage. A v1-style bare list of vectors is read too.
pub fn cohere_to_embeddings(response: &Value, model: &str) -> Value {
    let vectors = match &response["embeddings"] {
        Value::Array(vectors) => vectors.as_slice(),
        by_type => by_type["float"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
    };
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(
            |(index, vector)| json!({ "object": "embedding", "index": index, "embedding": vector }),
        )
        .collect();
    let billed = &response["meta"]["billed_units"]["input_tokens"];
    let tokens = billed
        .as_u64()
        .or_else(|| billed.as_f64().map(|f| f as u64))
        .unwrap_or(0);
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_default_to_documents_and_carry_options() {
        assert_eq!(
            embeddings_to_cohere(&json!({"model": "e", "input": "hello"}), "embed-v4.0").unwrap(),
            json!({"model": "embed-v4.0", "texts": ["hello"], "input_type": "search_document", "embedding_types": ["float"]})
        );
        let request = json!({"input": ["a", "b"], "input_type": "search_query", "dimensions": 512, "truncate": "END"});
        assert_eq!(
            embeddings_to_cohere(&request, "embed-v4.0").unwrap(),
            json!({"model": "embed-v4.0", "texts": ["a", "b"], "input_type": "search_query",
                "embedding_types": ["float"], "output_dimension": 512, "truncate": "END"})
        );
    }

    #[test]
    fn token_arrays_and_missing_input_are_rejected() {
        assert_eq!(
            embeddings_to_cohere(&json!({"input": ["a", [1, 2]]}), "m")
                .unwrap_err()
                .0,
            "`input[1]`: Cohere embeds text only, not token arrays"
        );
        assert!(embeddings_to_cohere(&json!({"input": []}), "m").is_err());
        assert!(embeddings_to_cohere(&json!({"input": 3}), "m").is_err());
    }

    #[test]
    fn float_embeddings_become_an_openai_list() {
        let response = json!({
            "id": "e-1",
            "embeddings": {"float": [[0.5, -0.5], [0.25, 0.75]]},
            "texts": ["a", "b"],
            "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 4}},
            "response_type": "embeddings_by_type"
        });
        assert_eq!(
            cohere_to_embeddings(&response, "cohere-embed"),
            json!({
                "object": "list",
                "data": [
                    {"object": "embedding", "index": 0, "embedding": [0.5, -0.5]},
                    {"object": "embedding", "index": 1, "embedding": [0.25, 0.75]}
                ],
                "model": "cohere-embed",
                "usage": {"prompt_tokens": 4, "total_tokens": 4}
            })
        );
    }

    #[test]
    fn bare_vector_lists_are_read() {
        let response =
            json!({"embeddings": [[1.0]], "meta": {"billed_units": {"input_tokens": 1.0}}});
        assert_eq!(
            cohere_to_embeddings(&response, "m"),
            json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [1.0]}],
                "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        );
    }
}
