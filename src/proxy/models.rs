//! `GET /v1/models`: the model groups the caller may use, in OpenAI's list shape.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, access, auth};
use crate::AppState;

/// LiteLLM's listing options.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    return_wildcard_routes: bool,
    key: Option<String>,
}

fn entry(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1_677_610_602, "owned_by": "openai"})
}

async fn allowed_names(
    state: &AppState,
    headers: &HeaderMap,
    query: &ListQuery,
) -> Result<Vec<String>, ApiError> {
    let caller = auth::authenticate(state, headers, query.key.as_deref()).await?;
    let models = state
        .models()
        .get(state.db(), caller.account)
        .await
        .map_err(ApiError::internal)?;
    Ok(models
        .group_names()
        .into_iter()
        .filter(|name| query.return_wildcard_routes || !name.contains('*'))
        .filter(|name| access::allows(&caller, name, &models))
        .collect())
}

/// `GET /v1/models`.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    match allowed_names(&state, &headers, &query).await {
        Ok(names) => Json(
            json!({"object": "list", "data": names.iter().map(|n| entry(n)).collect::<Vec<_>>()}),
        )
        .into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /v1/models/{id}`.
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    match allowed_names(&state, &headers, &query).await {
        Ok(names) if names.contains(&id) => Json(entry(&id)).into_response(),
        Ok(_) => ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("The model `{id}` does not exist"),
        )
        .with_param("model")
        .into_response(),
        Err(error) => error.into_response(),
    }
}
