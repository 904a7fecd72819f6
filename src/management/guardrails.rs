//! Guardrail definitions (`LiteLLM_GuardrailsTable`): stored and listed in
//! LiteLLM's shape, secrets in their settings sealed and shown masked. The
//! gateway does not run them: this is their catalog only.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Actor;
use super::audited;
use super::body::Body;
use super::models::{invalid, merge, object, secrets};
use super::paging::{PageInfo, PageQuery, read_page};
use super::rows;
use crate::AppState;
use crate::crypto::Vault;
use crate::db::TenantTx;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_GuardrailsTable";
/// Guardrail rows, written with their audit rows (params redacted).
const GUARDRAILS: audited::Table = audited::Table {
    name: TABLE,
    key: "guardrail_id",
    audit_view: audited,
};
const LOCK_SQL: &str = "
    SELECT to_jsonb(g.*) FROM \"LiteLLM_GuardrailsTable\" g
     WHERE g.account_id = $1 AND g.guardrail_id = $2 FOR UPDATE";
const LIST_SQL: &str = "
    SELECT to_jsonb(g.*) FROM \"LiteLLM_GuardrailsTable\" g
     WHERE g.account_id = $1 ORDER BY g.guardrail_name LIMIT 1000";

/// When a guardrail runs, as LiteLLM names it.
pub const MODES: [&str; 4] = ["pre_call", "during_call", "post_call", "logging_only"];

/// `{"guardrail": {guardrail_name, litellm_params: {guardrail, mode,
/// default_on, ...}, guardrail_info}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct GuardrailRequest {
    guardrail: Value,
}

/// A partial change: `guardrail_name`, `litellm_params` (merged),
/// `guardrail_info`, `default_on`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct GuardrailPatch {
    guardrail_name: Option<String>,
    litellm_params: Option<Value>,
    guardrail_info: Option<Value>,
    default_on: Option<bool>,
}

/// A stored guardrail as clients see it.
fn view(vault: &Vault, row: &Value) -> Value {
    json!({
        "guardrail_id": row["guardrail_id"],
        "guardrail_name": row["guardrail_name"],
        "litellm_params": secrets::mask(vault, &row["litellm_params"]),
        "guardrail_info": if row["guardrail_info"].is_null() { json!({}) } else { row["guardrail_info"].clone() },
        "team_id": row["team_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "guardrail_definition_location": "db",
    })
}

fn audited(row: &Value) -> Value {
    let mut row = row.clone();
    row["litellm_params"] = secrets::redact(&row["litellm_params"]);
    row
}

/// `guardrail` (`litellm_params.guardrail`) must name an integration and
/// `mode` be one of LiteLLM's modes (or a list of them).
fn check_params(params: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    match params.get("guardrail") {
        Some(Value::String(kind)) if !kind.trim().is_empty() => {}
        _ => return Err(invalid(&format!("{path}.guardrail"), "a non-empty string")),
    }
    let known = |mode: &Value| mode.as_str().is_some_and(|mode| MODES.contains(&mode));
    let fits = match params.get("mode") {
        None | Some(Value::Null) => true,
        Some(Value::Array(modes)) => modes.iter().all(known),
        Some(mode) => known(mode),
    };
    if fits {
        return Ok(());
    }
    let field = format!("{path}.mode");
    Err(
        ApiError::bad_request(format!("{field}: must be one of {}", MODES.join(", ")))
            .with_param(&field),
    )
}

/// The row a `{"guardrail": {...}}` body describes, secrets sealed.
fn read(vault: &Vault, body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let guardrail = object(body, "guardrail")?.ok_or_else(|| invalid("guardrail", "an object"))?;
    let name = match guardrail.get("guardrail_name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        _ => return Err(invalid("guardrail.guardrail_name", "a non-empty string")),
    };
    let mut params = object(&guardrail, "litellm_params")
        .map_err(|_| invalid("guardrail.litellm_params", "an object"))?
        .ok_or_else(|| invalid("guardrail.litellm_params", "an object"))?;
    check_params(&params, "guardrail.litellm_params")?;
    secrets::seal(vault, &mut params, "guardrail.litellm_params")?;
    let info = object(&guardrail, "guardrail_info")
        .map_err(|_| invalid("guardrail.guardrail_info", "an object"))?
        .unwrap_or_default();
    let mut row = Map::new();
    row.insert("guardrail_name".into(), json!(name));
    row.insert("litellm_params".into(), Value::Object(params));
    row.insert("guardrail_info".into(), Value::Object(info));
    match guardrail.get("team_id") {
        None | Some(Value::Null) => {}
        Some(Value::String(team)) => {
            row.insert("team_id".into(), json!(team));
        }
        Some(_) => return Err(invalid("guardrail.team_id", "a string")),
    }
    Ok(row)
}

async fn list_all(state: &AppState, actor: &Actor) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx.query(LIST_SQL, &[&actor.account.uuid()]).await?;
    tx.commit().await?;
    let vault = state.upstream().vault();
    let guardrails: Vec<Value> = rows.iter().map(|row| view(vault, &row.get(0))).collect();
    Ok(Json(json!({"guardrails": guardrails})))
}

/// The account's guardrails.
#[utoipa::path(get, path = "/guardrails/list", tag = "guardrails",
    responses((status = 200, description = "`{\"guardrails\": [...]}`")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    list_all(&state, &actor).await
}

/// The same as `/guardrails/list`.
#[utoipa::path(get, path = "/v2/guardrails/list", tag = "guardrails",
    responses((status = 200, description = "`{\"guardrails\": [...]}`")))]
async fn list_v2(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    list_all(&state, &actor).await
}

/// Store a guardrail.
#[utoipa::path(post, path = "/guardrails", tag = "guardrails", request_body = GuardrailRequest,
    responses((status = 200, description = "The stored guardrail")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    create_guardrail(&state, &actor, &body).await.map(Json)
}

/// Stores a guardrail as `POST /guardrails` does (also for the console).
pub(crate) async fn create_guardrail(
    state: &AppState,
    actor: &Actor,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    actor.require_admin("/guardrails")?;
    let vault = state.upstream().vault();
    let row = read(vault, body)?;
    let tx = state.db().tenant(actor.account).await?;
    let stored = GUARDRAILS.create(&tx, actor, row).await?;
    tx.commit().await?;
    Ok(view(vault, &stored))
}

async fn one(state: &AppState, actor: &Actor, id: &str) -> Result<Json<Value>, ApiError> {
    guardrail(state, actor, id).await.map(Json)
}

/// One guardrail of the caller's account, secrets masked; another
/// account's is missing.
pub(crate) async fn guardrail(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let row = rows::get(&tx, TABLE, &[("guardrail_id", id)]).await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| rows::not_found("Guardrail", id))?;
    Ok(view(state.upstream().vault(), &row))
}

/// One guardrail.
#[utoipa::path(get, path = "/guardrails/{guardrail_id}", tag = "guardrails",
    params(("guardrail_id" = String, Path, description = "The guardrail's id")),
    responses((status = 200, description = "The guardrail"), (status = 404, description = "No such guardrail")))]
async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    one(&state, &actor, &id).await
}

/// The same as `GET /guardrails/{guardrail_id}`.
#[utoipa::path(get, path = "/guardrails/{guardrail_id}/info", tag = "guardrails",
    params(("guardrail_id" = String, Path, description = "The guardrail's id")),
    responses((status = 200, description = "The guardrail"), (status = 404, description = "No such guardrail")))]
async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    one(&state, &actor, &id).await
}

async fn apply(
    state: &AppState,
    actor: &Actor,
    tx: TenantTx,
    id: &str,
    changes: Map<String, Value>,
) -> Result<Json<Value>, ApiError> {
    let after = GUARDRAILS
        .update(&tx, actor, id, changes)
        .await?
        .ok_or_else(|| rows::not_found("Guardrail", id))?;
    tx.commit().await?;
    Ok(Json(view(state.upstream().vault(), &after)))
}

/// Replace a guardrail's definition.
#[utoipa::path(put, path = "/guardrails/{guardrail_id}", tag = "guardrails", request_body = GuardrailRequest,
    params(("guardrail_id" = String, Path, description = "The guardrail's id")),
    responses((status = 200, description = "The updated guardrail"), (status = 404, description = "No such guardrail")))]
async fn replace(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/guardrails/{guardrail_id}")?;
    let row = read(state.upstream().vault(), &body)?;
    let tx = state.db().tenant(actor.account).await?;
    apply(&state, &actor, tx, &id, row).await
}

/// Change some of a guardrail's fields; `litellm_params` are merged.
#[utoipa::path(patch, path = "/guardrails/{guardrail_id}", tag = "guardrails", request_body = GuardrailPatch,
    params(("guardrail_id" = String, Path, description = "The guardrail's id")),
    responses((status = 200, description = "The updated guardrail"), (status = 404, description = "No such guardrail")))]
async fn patch(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    patch_guardrail(&state, &actor, &id, &body).await.map(Json)
}

/// Changes some of a guardrail's fields as `PATCH /guardrails/{id}` does.
pub(crate) async fn patch_guardrail(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    actor.require_admin("/guardrails/{guardrail_id}")?;
    let vault = state.upstream().vault();
    let mut changes = Map::new();
    match body.get("guardrail_name") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) if !name.trim().is_empty() => {
            changes.insert("guardrail_name".into(), json!(name));
        }
        Some(_) => return Err(invalid("guardrail_name", "a non-empty string")),
    }
    if let Some(info) = object(body, "guardrail_info")? {
        changes.insert("guardrail_info".into(), Value::Object(info));
    }
    let mut patch = object(body, "litellm_params")?.unwrap_or_default();
    match body.get("default_on") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => {
            patch.insert("default_on".into(), json!(on));
        }
        Some(_) => return Err(invalid("default_on", "a boolean")),
    }
    secrets::seal(vault, &mut patch, "litellm_params")?;
    let tx = state.db().tenant(actor.account).await?;
    if !patch.is_empty() {
        let existing = tx
            .query_opt(LOCK_SQL, &[&actor.account.uuid(), &id])
            .await?
            .map(|row| row.get::<_, Value>(0))
            .ok_or_else(|| rows::not_found("Guardrail", id))?;
        let mut params = existing["litellm_params"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        merge(&mut params, patch);
        check_params(&params, "litellm_params")?;
        changes.insert("litellm_params".into(), Value::Object(params));
    }
    apply(state, actor, tx, id, changes)
        .await
        .map(|Json(row)| row)
}

/// Delete a guardrail.
#[utoipa::path(delete, path = "/guardrails/{guardrail_id}", tag = "guardrails",
    params(("guardrail_id" = String, Path, description = "The guardrail's id")),
    responses((status = 200, description = "The deleted guardrail"), (status = 404, description = "No such guardrail")))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    delete_guardrail(&state, &actor, &id).await.map(Json)
}

/// Deletes a guardrail as `DELETE /guardrails/{id}` does.
pub(crate) async fn delete_guardrail(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    actor.require_admin("/guardrails/{guardrail_id}")?;
    let tx = state.db().tenant(actor.account).await?;
    let deleted = GUARDRAILS
        .delete(&tx, actor, id)
        .await?
        .ok_or_else(|| rows::not_found("Guardrail", id))?;
    tx.commit().await?;
    Ok(view(state.upstream().vault(), &deleted))
}

const SEARCH_COUNT_SQL: &str = "
    SELECT count(*) FROM \"LiteLLM_GuardrailsTable\" g
     WHERE g.account_id = $1
       AND ($2::text IS NULL OR strpos(lower(g.guardrail_name), lower($2)) > 0)";
const SEARCH_PAGE_SQL: &str = "
    SELECT to_jsonb(g.*) FROM \"LiteLLM_GuardrailsTable\" g
     WHERE g.account_id = $1
       AND ($2::text IS NULL OR strpos(lower(g.guardrail_name), lower($2)) > 0)
     ORDER BY g.guardrail_name, g.guardrail_id LIMIT $3 OFFSET $4";

/// A page of the account's guardrails by name, secrets masked (for the
/// console, where the list can grow past one page).
pub(crate) async fn search_guardrails(
    state: &AppState,
    actor: &Actor,
    search: Option<&str>,
    page: PageQuery,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let (rows, info) = read_page(
        &tx,
        SEARCH_COUNT_SQL,
        SEARCH_PAGE_SQL,
        &[&actor.account.uuid(), &search],
        page,
    )
    .await?;
    tx.commit().await?;
    let vault = state.upstream().vault();
    Ok((rows.iter().map(|row| view(vault, row)).collect(), info))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(list_v2))
        .routes(routes!(create))
        .routes(routes!(get_one, replace, patch, delete))
        .routes(routes!(info))
}
