//! `/customer/info` and `/customer/list`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::{missing, view};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::users::common::LIST_LIMIT;
use crate::proxy::ApiError;

/// `?end_user_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InfoQuery {
    end_user_id: String,
}

/// One end user with `litellm_budget_table`.
#[utoipa::path(get, path = "/customer/info", operation_id = "customer_info", tag = "customers", params(InfoQuery),
    responses((status = 200, description = "`{user_id, blocked, alias, spend, allowed_model_region, default_model, litellm_budget_table}`"),
              (status = 404, description = "No such end user")))]
pub async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/customer/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let found = view(&tx, &query.end_user_id).await?;
    tx.commit().await?;
    found
        .map(Json)
        .ok_or_else(|| missing(&query.end_user_id, "end_user_id"))
}

const LIST_SQL: &str = "
    SELECT to_jsonb(e.*) || jsonb_build_object('litellm_budget_table', to_jsonb(b))
      FROM \"LiteLLM_EndUserTable\" e
      LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = e.account_id AND b.budget_id = e.budget_id
     WHERE e.account_id = $1
     ORDER BY e.user_id LIMIT $2";

/// The account's end users (a plain list, bounded), each with its budget.
#[utoipa::path(get, path = "/customer/list", operation_id = "customer_list", tag = "customers",
    responses((status = 200, description = "A list of end users")))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/customer/list")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(LIST_SQL, &[&actor.account.uuid(), &LIST_LIMIT])
        .await?;
    tx.commit().await?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| row.get(0)).collect(),
    )))
}
