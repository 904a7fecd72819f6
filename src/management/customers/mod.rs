//! End users, called customers (`LiteLLM_EndUserTable`): the ids callers
//! send as `user`, with an optional budget row, a region, a default model
//! and a `blocked` flag the proxy refuses calls on. Every route answers as
//! both `/customer/*` and `/end_user/*` (the latter undocumented, as in
//! LiteLLM).

mod read;
mod write;

use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::TenantTx;
use crate::management::rows::{Field, Kind};
use crate::management::users::common::invalid;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_EndUserTable";

/// End-user columns clients may set.
const FIELDS: [Field; 7] = [
    ("user_id", Kind::Text),
    ("alias", Kind::Text),
    ("blocked", Kind::Bool),
    ("allowed_model_region", Kind::Text),
    ("default_model", Kind::Text),
    ("spend", Kind::Number),
    ("budget_id", Kind::Text),
];

const VIEW_SQL: &str = "
    SELECT to_jsonb(e.*) || jsonb_build_object('litellm_budget_table', to_jsonb(b))
      FROM \"LiteLLM_EndUserTable\" e
      LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = e.account_id AND b.budget_id = e.budget_id
     WHERE e.account_id = $1 AND e.user_id = $2";

/// An end user with `litellm_budget_table`.
async fn view(tx: &TenantTx, user_id: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_opt(VIEW_SQL, &[&tx.account_id().uuid(), &user_id])
        .await?
        .map(|row| row.get(0)))
}

/// LiteLLM's 404 for an end user.
fn missing(user_id: &str, param: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("End User Id={user_id} does not exist in db"),
    )
    .with_param(param)
}

/// Checks `allowed_model_region` and fills NOT NULL columns sent as `null`.
fn normalize(fields: &mut Map<String, Value>) -> Result<(), ApiError> {
    if let Some(Value::String(region)) = fields.get("allowed_model_region")
        && region != "eu"
        && region != "us"
    {
        return Err(invalid(
            "allowed_model_region",
            format!("allowed_model_region: `{region}` is not one of eu, us"),
        ));
    }
    if fields.get("blocked").is_some_and(Value::is_null) {
        fields.insert("blocked".into(), Value::Bool(false));
    }
    if fields.get("spend").is_some_and(Value::is_null) {
        fields.insert("spend".into(), serde_json::json!(0));
    }
    Ok(())
}

const MODEL_NAMES_SQL: &str = "
    SELECT DISTINCT model_name FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id IN ($1, alchemi.platform_account_id()) LIMIT 10000";

/// A `default_model` must be a model the account serves (a name or a
/// wildcard deployment that covers it), as LiteLLM requires.
async fn check_default_model(tx: &TenantTx, fields: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(Value::String(model)) = fields.get("default_model") else {
        return Ok(());
    };
    let names: Vec<String> = tx
        .query(MODEL_NAMES_SQL, &[&tx.account_id().uuid()])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if names
        .iter()
        .any(|name| crate::routing::pattern_matches(name, model))
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!(
            "Default Model not on proxy. Configure via `/model/new` or config.yaml. Default_model={model}, proxy_model_names={names:?}"
        ),
    )
    .with_param("default_model"))
}

/// This family's routes, under both prefixes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write::create))
        .routes(routes!(read::info))
        .routes(routes!(write::update))
        .routes(routes!(write::delete))
        .routes(routes!(read::list))
        .routes(routes!(write::block))
        .routes(routes!(write::unblock))
        .route("/end_user/new", post(write::create))
        .route("/end_user/info", get(read::info))
        .route("/end_user/update", post(write::update))
        .route("/end_user/delete", post(write::delete))
        .route("/end_user/list", get(read::list))
        .route("/end_user/block", post(write::block))
        .route("/end_user/unblock", post(write::unblock))
}
