//! Model deployments (`LiteLLM_ProxyModelTable`): adding, changing and
//! deleting them (provider secrets sealed before they are stored), and the
//! read-only views `/model/info` and `/model_group/info`, filtered to what
//! the calling key may use. The running gateways drop their cached
//! deployments on the table's change notification; this instance drops its
//! own as soon as the change commits, so a new model routes at once. The
//! console lists, writes and test-calls deployments through the functions
//! re-exported here.

mod describe;
mod groups;
mod info;
mod listing;
mod probe;
pub mod secrets;
mod write;

pub(crate) use listing::{model_row, search_models};
pub(crate) use probe::{Probe, test_connection};
pub(crate) use write::{change as update_model, create_model, delete_model};

use axum::http::StatusCode;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_ProxyModelTable";

/// A 422 naming the field, in the words `rows::pick` uses.
pub fn invalid(field: &str, expected: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!("invalid request body: {field}: expected {expected}"),
    )
    .with_param(field)
}

/// An optional object field of a request body (`null` counts as absent).
pub fn object(
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(invalid(name, "an object")),
    }
}

/// Applies a partial object: given keys replace, `null` removes.
pub fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (name, value) in patch {
        if value.is_null() {
            target.remove(&name);
        } else {
            target.insert(name, value);
        }
    }
}

/// A stored row as clients see it: `litellm_params` without secrets.
fn public(row: &Value) -> Value {
    let mut row = row.clone();
    if let Some(params) = row.get("litellm_params") {
        row["litellm_params"] = secrets::strip(params);
    }
    row
}

/// A stored row as audit rows keep it: secrets redacted.
fn audited(row: &Value) -> Value {
    let mut row = row.clone();
    if let Some(params) = row.get("litellm_params") {
        row["litellm_params"] = secrets::redact(params);
    }
    row
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write::create))
        .routes(routes!(write::update))
        .routes(routes!(write::patch))
        .routes(routes!(write::delete))
        .routes(routes!(info::model_info))
        .routes(routes!(info::model_info_v1))
        .routes(routes!(info::model_info_v2))
        .routes(routes!(groups::model_group_info))
}
