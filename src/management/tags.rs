//! Request tags (`LiteLLM_TagTable`): a name with the models it may route
//! to, its spend and an optional budget (`LiteLLM_BudgetTable`, created
//! from the budget fields when no `budget_id` is given). The list also names
//! tags that were only ever sent with requests (they appear in the daily
//! tag spend).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Actor;
use super::audited;
use super::body::Body;
use super::budgets::{BUDGETS, check_duration};
use super::rows::{self, Field, Kind};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::users::common;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_TagTable";
/// Tag rows, written with their audit rows.
const TAGS: audited::Table = audited::Table::plain(TABLE, "tag_name");
const VIEW_SQL: &str = "
    SELECT to_jsonb(t.*), CASE WHEN b.budget_id IS NULL THEN NULL ELSE to_jsonb(b.*) END
      FROM \"LiteLLM_TagTable\" t
      LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = t.account_id AND b.budget_id = t.budget_id
     WHERE t.account_id = $1 AND ($2::text[] IS NULL OR t.tag_name = ANY($2))
     ORDER BY t.tag_name LIMIT 1000";
const DYNAMIC_SQL: &str = "
    SELECT jsonb_build_object('name', tag, 'created_at', min(created_at), 'updated_at', max(updated_at))
      FROM \"LiteLLM_DailyTagSpend\"
     WHERE account_id = $1 AND tag IS NOT NULL AND NOT (tag = ANY($2))
     GROUP BY tag ORDER BY tag LIMIT 1000";
const MODEL_NAMES_SQL: &str = "
    SELECT coalesce(model_info ->> 'id', model_id), model_name FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id = $1 AND coalesce(model_info ->> 'id', model_id) = ANY($2)";
const DYNAMIC_DESCRIPTION: &str = "This is just a spend tag that was passed dynamically in a request. It does not control any LLM models.";

/// Tag columns clients may set.
const FIELDS: [Field; 3] = [
    ("description", Kind::Text),
    ("models", Kind::TextList),
    ("budget_id", Kind::Text),
];

/// Budget fields that create (or change) the tag's budget.
const BUDGET_FIELDS: [Field; 7] = [
    ("max_budget", Kind::Number),
    ("soft_budget", Kind::Number),
    ("max_parallel_requests", Kind::Integer),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("budget_duration", Kind::Text),
    ("model_max_budget", Kind::Object),
];

/// A tag: `name`, `description`, `models` (model names or ids), and either
/// a `budget_id` or the fields of a new budget.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct TagRequest {
    name: String,
    description: Option<String>,
    models: Option<Vec<String>>,
    budget_id: Option<String>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    budget_duration: Option<String>,
    model_max_budget: Option<Value>,
}

/// `{"names": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TagNames {
    names: Vec<String>,
}

/// `{"name": tag}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TagName {
    name: String,
}

/// A tag as LiteLLM shows it.
fn view(tag: &Value, budget: Option<Value>) -> Value {
    let mut out = json!({
        "name": tag["tag_name"],
        "description": tag["description"],
        "models": tag["models"],
        "model_info": if tag["model_info"].is_null() { json!({}) } else { tag["model_info"].clone() },
        "spend": tag["spend"],
        "budget_id": tag["budget_id"],
        "created_at": tag["created_at"],
        "updated_at": tag["updated_at"],
        "created_by": tag["created_by"],
    });
    if let Some(budget) = budget {
        out["litellm_budget_table"] = budget;
    }
    out
}

async fn views(tx: &TenantTx, names: Option<&[String]>) -> Result<Vec<(String, Value)>, ApiError> {
    let names: Option<Vec<String>> = names.map(<[String]>::to_vec);
    let rows = tx
        .query(VIEW_SQL, &[&tx.account_id().uuid(), &names])
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let tag: Value = row.get(0);
            let name = tag["tag_name"].as_str().unwrap_or_default().to_owned();
            (name, view(&tag, row.get(1)))
        })
        .collect())
}

/// `{model_id: model_name}` for the entries of `models` that are model ids.
async fn model_names(tx: &TenantTx, models: &Value) -> Result<Value, ApiError> {
    let ids: Vec<String> = models
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let rows = tx
        .query(MODEL_NAMES_SQL, &[&tx.account_id().uuid(), &ids])
        .await?;
    let map: Map<String, Value> = rows
        .iter()
        .map(|row| (row.get(0), Value::String(row.get(1))))
        .collect();
    Ok(Value::Object(map))
}

/// Changes the tag's budget, or creates one; returns its id.
async fn set_budget(
    tx: &TenantTx,
    actor: &Actor,
    current: Option<&str>,
    mut fields: Map<String, Value>,
) -> Result<String, ApiError> {
    let Some(id) = current else {
        return new_budget(tx, actor, fields).await;
    };
    check_duration(&fields)?;
    fields.insert("updated_by".into(), json!(actor.label()));
    if BUDGETS.update(tx, actor, id, fields).await?.is_none() {
        return Err(rows::not_found("Budget", id));
    }
    Ok(id.to_owned())
}

/// Creates the budget the budget fields describe; returns its id.
async fn new_budget(
    tx: &TenantTx,
    actor: &Actor,
    fields: Map<String, Value>,
) -> Result<String, ApiError> {
    let stored = common::create_budget(tx, actor, fields).await?;
    Ok(stored["budget_id"].as_str().unwrap_or_default().to_owned())
}

/// Create a tag.
#[utoipa::path(post, path = "/tag/new", tag = "tags", request_body = TagRequest,
    responses((status = 200, description = "`{\"message\", \"tag\"}`")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/tag/new")?;
    let name = rows::required_text(&body, "name")?;
    let mut row = rows::pick(&body, &FIELDS)?;
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    check_duration(&budget)?;
    let tx = state.db().tenant(actor.account).await?;
    if rows::get(&tx, TABLE, &[("tag_name", &name)])
        .await?
        .is_some()
    {
        return Err(ApiError::bad_request(format!("Tag {name} already exists")).with_param("name"));
    }
    if !budget.is_empty() && !row.get("budget_id").is_some_and(Value::is_string) {
        let id = new_budget(&tx, &actor, budget).await?;
        row.insert("budget_id".into(), json!(id));
    }
    let models = row.get("models").cloned().unwrap_or(json!([]));
    row.insert("model_info".into(), model_names(&tx, &models).await?);
    row.insert("tag_name".into(), json!(name));
    row.insert("created_by".into(), json!(actor.label()));
    let stored = TAGS.create(&tx, &actor, row).await?;
    tx.commit().await?;
    Ok(Json(
        json!({"message": format!("Tag {name} created successfully"), "tag": view(&stored, None)}),
    ))
}

/// Change a tag's description, models or budget.
#[utoipa::path(post, path = "/tag/update", tag = "tags", request_body = TagRequest,
    responses((status = 200, description = "`{\"message\", \"tag\"}`"), (status = 404, description = "No such tag")))]
async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/tag/update")?;
    let name = rows::required_text(&body, "name")?;
    let mut changes = rows::pick(&body, &FIELDS)?;
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    check_duration(&budget)?;
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = rows::get(&tx, TABLE, &[("tag_name", &name)]).await? else {
        return Err(rows::not_found("Tag", &name));
    };
    if !budget.is_empty() {
        let current = changes
            .get("budget_id")
            .and_then(Value::as_str)
            .or_else(|| existing["budget_id"].as_str())
            .map(str::to_owned);
        let id = set_budget(&tx, &actor, current.as_deref(), budget).await?;
        changes.insert("budget_id".into(), json!(id));
    }
    if let Some(models) = changes.get("models").cloned() {
        changes.insert("model_info".into(), model_names(&tx, &models).await?);
    }
    let after = TAGS
        .update(&tx, &actor, &name, changes)
        .await?
        .ok_or_else(|| rows::not_found("Tag", &name))?;
    tx.commit().await?;
    Ok(Json(
        json!({"message": format!("Tag {name} updated successfully"), "tag": view(&after, None)}),
    ))
}

/// The named tags, by name (404 naming any that is missing).
#[utoipa::path(post, path = "/tag/info", tag = "tags", request_body = TagNames,
    responses((status = 200, description = "`{name: tag}`"), (status = 404, description = "A tag is missing")))]
async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TagNames>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/tag/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let found = views(&tx, Some(&body.names)).await?;
    tx.commit().await?;
    let missing: Vec<&String> = body
        .names
        .iter()
        .filter(|name| !found.iter().any(|(found, _)| found == *name))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            format!("Tags not found: {missing:?}"),
        ));
    }
    Ok(Json(Value::Object(found.into_iter().collect())))
}

/// Every tag of the account, then tags only seen on requests.
#[utoipa::path(get, path = "/tag/list", tag = "tags",
    responses((status = 200, description = "A list of tags")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/tag/list")?;
    let tx = state.db().tenant(actor.account).await?;
    let stored = views(&tx, None).await?;
    let names: Vec<String> = stored.iter().map(|(name, _)| name.clone()).collect();
    let dynamic = tx
        .query(DYNAMIC_SQL, &[&actor.account.uuid(), &names])
        .await?;
    tx.commit().await?;
    let mut tags: Vec<Value> = stored.into_iter().map(|(_, tag)| tag).collect();
    for row in dynamic {
        let mut tag: Value = row.get(0);
        tag["description"] = json!(DYNAMIC_DESCRIPTION);
        tag["models"] = Value::Null;
        tags.push(tag);
    }
    Ok(Json(Value::Array(tags)))
}

/// Delete a tag (its budget stays, as others may share it).
#[utoipa::path(post, path = "/tag/delete", tag = "tags", request_body = TagName,
    responses((status = 200, description = "`{\"message\"}`"), (status = 404, description = "No such tag")))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TagName>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/tag/delete")?;
    let tx = state.db().tenant(actor.account).await?;
    if TAGS.delete(&tx, &actor, &body.name).await?.is_none() {
        return Err(rows::not_found("Tag", &body.name));
    }
    tx.commit().await?;
    Ok(Json(
        json!({"message": format!("Tag {} deleted successfully", body.name)}),
    ))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(update))
        .routes(routes!(info))
        .routes(routes!(list))
        .routes(routes!(delete))
}
