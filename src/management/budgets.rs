//! Shared budgets (`LiteLLM_BudgetTable`): limits that organizations, end
//! users, team memberships and keys point to with `budget_id`.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Actor;
use super::audited;
use super::body::{Body, Query};
use super::paging::{PageInfo, PageQuery, read_page};
use super::rows::{self, Field, Kind};
use crate::AppState;
use crate::governance::Period;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_BudgetTable";
/// Budget rows, written with their audit rows (also by the families that
/// create budgets from inline fields).
pub const BUDGETS: audited::Table = audited::Table::plain(TABLE, "budget_id");

/// Columns clients may set.
const FIELDS: [Field; 9] = [
    ("budget_id", Kind::Text),
    ("max_budget", Kind::Number),
    ("soft_budget", Kind::Number),
    ("max_parallel_requests", Kind::Integer),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("budget_duration", Kind::Text),
    ("model_max_budget", Kind::Object),
    ("budget_reset_at", Kind::Time),
];

/// A budget's fields (all optional; `budget_id` is generated when absent).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct BudgetRequest {
    budget_id: Option<String>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    max_parallel_requests: Option<i64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    /// `30s`, `1h`, `1d`, `7d`, `1mo`...
    budget_duration: Option<String>,
    model_max_budget: Option<Value>,
    budget_reset_at: Option<String>,
}

/// `{"budgets": [ids]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BudgetIds {
    budgets: Vec<String>,
}

/// `{"id": budget_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BudgetId {
    id: String,
}

/// `?budget_id=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BudgetQuery {
    budget_id: String,
}

/// Rejects a `budget_duration` the reset schedule cannot read.
pub fn check_duration(fields: &Map<String, Value>) -> Result<Option<Period>, ApiError> {
    match fields.get("budget_duration") {
        Some(Value::String(text)) => Period::parse(text).map(Some).ok_or_else(|| {
            ApiError::bad_request(format!(
                "budget_duration: `{text}` is not a duration such as 30s, 10m, 1h, 1d, 7d or 1mo"
            ))
            .with_param("budget_duration")
        }),
        _ => Ok(None),
    }
}

/// Create a budget. `budget_reset_at` is `now + budget_duration` unless given.
#[utoipa::path(post, path = "/budget/new", tag = "budgets", request_body = BudgetRequest,
    responses((status = 200, description = "The stored budget row")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    create_budget(&state, &actor, &body).await.map(Json)
}

/// Stores a budget as `/budget/new` does (also for the console).
pub(crate) async fn create_budget(
    state: &AppState,
    actor: &Actor,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    actor.require_admin("/budget/new")?;
    let mut row = rows::pick(body, &FIELDS)?;
    if let Some(period) = check_duration(&row)?
        && !row.contains_key("budget_reset_at")
    {
        let length = chrono::Duration::from_std(period.length()).unwrap_or_default();
        row.insert("budget_reset_at".into(), json!(Utc::now() + length));
    }
    if !row.get("budget_id").is_some_and(Value::is_string) {
        row.insert("budget_id".into(), json!(uuid::Uuid::new_v4().to_string()));
    }
    row.insert("created_by".into(), json!(actor.label()));
    row.insert("updated_by".into(), json!(actor.label()));
    let tx = state.db().tenant(actor.account).await?;
    let stored = BUDGETS.create(&tx, actor, row).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Change a budget's fields; `null` clears one.
#[utoipa::path(post, path = "/budget/update", tag = "budgets", request_body = BudgetRequest,
    responses((status = 200, description = "The updated budget row"), (status = 404, description = "No such budget")))]
async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    update_budget(&state, &actor, &body).await.map(Json)
}

/// Changes the budget named by `budget_id` as `/budget/update` does.
pub(crate) async fn update_budget(
    state: &AppState,
    actor: &Actor,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    actor.require_admin("/budget/update")?;
    let id = rows::required_text(body, "budget_id")?;
    let mut changes = rows::pick(body, &FIELDS)?;
    changes.remove("budget_id");
    check_duration(&changes)?;
    changes.insert("updated_by".into(), json!(actor.label()));
    let tx = state.db().tenant(actor.account).await?;
    let after = BUDGETS
        .update(&tx, actor, &id, changes)
        .await?
        .ok_or_else(|| rows::not_found("Budget", &id))?;
    tx.commit().await?;
    Ok(after)
}

/// The budgets with these ids (missing ones are left out).
#[utoipa::path(post, path = "/budget/info", tag = "budgets", request_body = BudgetIds,
    responses((status = 200, description = "The budget rows")))]
async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<BudgetIds>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/budget/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(
            "SELECT to_jsonb(b.*) FROM \"LiteLLM_BudgetTable\" b
              WHERE b.account_id = $1 AND b.budget_id = ANY($2) ORDER BY b.created_at",
            &[&actor.account.uuid(), &body.budgets],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| row.get(0)).collect(),
    )))
}

/// Every budget of the account.
#[utoipa::path(get, path = "/budget/list", tag = "budgets",
    responses((status = 200, description = "The budget rows")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/budget/list")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(
            "SELECT to_jsonb(b.*) FROM \"LiteLLM_BudgetTable\" b
              WHERE b.account_id = $1 ORDER BY b.created_at LIMIT 1000",
            &[&actor.account.uuid()],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| row.get(0)).collect(),
    )))
}

/// One budget's settings.
#[utoipa::path(get, path = "/budget/settings", tag = "budgets", params(BudgetQuery),
    responses((status = 200, description = "The budget row"), (status = 404, description = "No such budget")))]
async fn settings(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<BudgetQuery>,
) -> Result<Json<Value>, ApiError> {
    budget_settings(&state, &actor, &query.budget_id)
        .await
        .map(Json)
}

/// One budget of the caller's account; another account's is missing.
pub(crate) async fn budget_settings(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    actor.require_viewer("/budget/settings")?;
    let tx = state.db().tenant(actor.account).await?;
    let row = rows::get(&tx, TABLE, &[("budget_id", id)]).await?;
    tx.commit().await?;
    row.ok_or_else(|| rows::not_found("Budget", id))
}

/// Delete a budget; what pointed to it keeps its own limits.
#[utoipa::path(post, path = "/budget/delete", tag = "budgets", request_body = BudgetId,
    responses((status = 200, description = "The deleted budget row"), (status = 404, description = "No such budget")))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<BudgetId>,
) -> Result<Json<Value>, ApiError> {
    delete_budget(&state, &actor, &body.id).await.map(Json)
}

/// Deletes a budget as `/budget/delete` does.
pub(crate) async fn delete_budget(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    actor.require_admin("/budget/delete")?;
    let tx = state.db().tenant(actor.account).await?;
    let deleted = BUDGETS
        .delete(&tx, actor, id)
        .await?
        .ok_or_else(|| rows::not_found("Budget", id))?;
    tx.commit().await?;
    Ok(deleted)
}

const SEARCH_COUNT_SQL: &str = "
    SELECT count(*) FROM \"LiteLLM_BudgetTable\" b
     WHERE b.account_id = $1 AND ($2::text IS NULL OR strpos(lower(b.budget_id), lower($2)) > 0)";
const SEARCH_PAGE_SQL: &str = "
    SELECT to_jsonb(b.*) FROM \"LiteLLM_BudgetTable\" b
     WHERE b.account_id = $1 AND ($2::text IS NULL OR strpos(lower(b.budget_id), lower($2)) > 0)
     ORDER BY b.created_at DESC, b.budget_id LIMIT $3 OFFSET $4";

/// A page of the account's budgets, newest first, whose id contains
/// `search` (for the console, where the list can grow past one page).
pub(crate) async fn search_budgets(
    state: &AppState,
    actor: &Actor,
    search: Option<&str>,
    page: PageQuery,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    actor.require_viewer("/budget/list")?;
    let tx = state.db().tenant(actor.account).await?;
    let found = read_page(
        &tx,
        SEARCH_COUNT_SQL,
        SEARCH_PAGE_SQL,
        &[&actor.account.uuid(), &search],
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(update))
        .routes(routes!(info))
        .routes(routes!(list))
        .routes(routes!(settings))
        .routes(routes!(delete))
}
