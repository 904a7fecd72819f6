//! LiteLLM/Cohere rerank requests over Cohere `/v2/rerank`.

use serde_json::{Map, Value, json};

use crate::translate::TranslateError;

/// Translates a LiteLLM (Cohere-style) rerank request into a `/v2/rerank`
/// body for `upstream_model`. v2 ranks plain strings: `{text}` documents are
/// unwrapped and other objects sent as their JSON. v2 no longer echoes
/// documents, so `return_documents` is left for [`restore_documents`].
pub fn rerank_to_cohere(request: &Value, upstream_model: &str) -> Result<Value, TranslateError> {
    let query = request["query"]
        .as_str()
        .ok_or_else(|| TranslateError::field("query", "must be a string"))?;
    let documents = request["documents"]
        .as_array()
        .filter(|documents| !documents.is_empty())
        .ok_or_else(|| TranslateError::field("documents", "must be a non-empty array"))?;
    let documents = documents
        .iter()
        .enumerate()
        .map(|(index, document)| document_text(document, &format!("documents[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut body = json!({ "model": upstream_model, "query": query, "documents": documents });
    for key in ["top_n", "max_tokens_per_doc"] {
        if !request[key].is_null() {
            body[key] = request[key].clone();
        }
    }
    Ok(body)
}

fn document_text(document: &Value, field: &str) -> Result<String, TranslateError> {
    match document {
        Value::String(text) => Ok(text.clone()),
        Value::Object(object) => Ok(match object.get("text").and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => document.to_string(),
        }),
        _ => Err(TranslateError::field(
            field,
            "must be a string or an object",
        )),
    }
}

/// Translates a `/v2/rerank` response into the rerank response LiteLLM
/// returns: `{id, results:[{index, relevance_score, document?}], meta}`.
pub fn cohere_to_rerank(response: &Value) -> Value {
    let results: Vec<Value> = response["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|result| {
            let mut out =
                json!({ "index": result["index"], "relevance_score": result["relevance_score"] });
            match &result["document"] {
                Value::Null => {}
                Value::String(text) => out["document"] = json!({ "text": text }),
                document => out["document"] = document.clone(),
            }
            out
        })
        .collect();
    let meta = &response["meta"];
    let units = &meta["billed_units"]["search_units"];
    let mut out_meta = Map::new();
    out_meta.insert(
        "billed_units".into(),
        json!({ "search_units": if units.is_number() { units.clone() } else { 0.into() } }),
    );
    if meta["tokens"].is_object() {
        out_meta.insert("tokens".into(), meta["tokens"].clone());
    }
    json!({
        "id": response["id"].as_str().map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned),
        "results": results,
        "meta": out_meta,
    })
}

/// Adds each result's `document: {text}` from the original request when it
/// asked for `return_documents`, as Cohere v1 (and so LiteLLM) did.
pub fn restore_documents(mut rerank: Value, request: &Value) -> Value {
    if request["return_documents"].as_bool() != Some(true) {
        return rerank;
    }
    let documents = &request["documents"];
    for result in rerank["results"].as_array_mut().into_iter().flatten() {
        if !result["document"].is_null() {
            continue;
        }
        let Some(index) = result["index"]
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
        else {
            continue;
        };
        match &documents[index] {
            Value::String(text) => result["document"] = json!({ "text": text }),
            Value::Object(_) => result["document"] = documents[index].clone(),
            _ => {}
        }
    }
    rerank
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_unwrap_documents_and_keep_limits() {
        let request = json!({
            "model": "rerank",
            "query": "capital of France?",
            "documents": ["Paris is the capital.", {"text": "Berlin is in Germany."}, {"title": "Rome", "year": 753}],
            "top_n": 2,
            "return_documents": true,
            "max_tokens_per_doc": 512
        });
        assert_eq!(
            rerank_to_cohere(&request, "rerank-v3.5").unwrap(),
            json!({
                "model": "rerank-v3.5",
                "query": "capital of France?",
                "documents": ["Paris is the capital.", "Berlin is in Germany.", "{\"title\":\"Rome\",\"year\":753}"],
                "top_n": 2,
                "max_tokens_per_doc": 512
            })
        );
    }

    #[test]
    fn malformed_requests_are_rejected() {
        assert_eq!(
            rerank_to_cohere(&json!({"documents": ["a"]}), "m")
                .unwrap_err()
                .0,
            "`query`: must be a string"
        );
        assert!(rerank_to_cohere(&json!({"query": "q", "documents": []}), "m").is_err());
        assert_eq!(
            rerank_to_cohere(&json!({"query": "q", "documents": [1]}), "m")
                .unwrap_err()
                .0,
            "`documents[0]`: must be a string or an object"
        );
    }

    #[test]
    fn responses_become_litellm_rerank_results() {
        let response = json!({
            "results": [{"index": 2, "relevance_score": 0.99}, {"index": 0, "relevance_score": 0.3}],
            "id": "rr-1",
            "meta": {"api_version": {"version": "2", "is_experimental": false}, "billed_units": {"search_units": 1}}
        });
        assert_eq!(
            cohere_to_rerank(&response),
            json!({
                "id": "rr-1",
                "results": [{"index": 2, "relevance_score": 0.99}, {"index": 0, "relevance_score": 0.3}],
                "meta": {"billed_units": {"search_units": 1}}
            })
        );
    }

    #[test]
    fn returned_documents_and_tokens_are_kept() {
        let response = json!({
            "results": [{"index": 0, "relevance_score": 0.5, "document": {"text": "a"}}, {"index": 1, "relevance_score": 0.1, "document": "b"}],
            "id": "rr-2",
            "meta": {"billed_units": {"search_units": 2}, "tokens": {"input_tokens": 40, "output_tokens": 0}}
        });
        assert_eq!(
            cohere_to_rerank(&response),
            json!({
                "id": "rr-2",
                "results": [
                    {"index": 0, "relevance_score": 0.5, "document": {"text": "a"}},
                    {"index": 1, "relevance_score": 0.1, "document": {"text": "b"}}
                ],
                "meta": {"billed_units": {"search_units": 2}, "tokens": {"input_tokens": 40, "output_tokens": 0}}
            })
        );
        assert_eq!(
            cohere_to_rerank(&json!({}))["meta"],
            json!({"billed_units": {"search_units": 0}})
        );
    }

    #[test]
    fn documents_are_restored_only_when_asked_for() {
        let response = cohere_to_rerank(&json!({
            "id": "rr-3",
            "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.2}],
            "meta": {"billed_units": {"search_units": 1}}
        }));
        let request = json!({"query": "q", "documents": ["first", {"text": "second"}], "return_documents": true});
        assert_eq!(
            restore_documents(response.clone(), &request)["results"],
            json!([
                {"index": 1, "relevance_score": 0.9, "document": {"text": "second"}},
                {"index": 0, "relevance_score": 0.2, "document": {"text": "first"}}
            ])
        );
        let not_asked = json!({"query": "q", "documents": ["first", "second"]});
        assert_eq!(restore_documents(response.clone(), &not_asked), response);
    }
}
