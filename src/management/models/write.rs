//! `/model/new`, `/model/update`, `PATCH /model/{id}/update` and
//! `/model/delete`. The account admin manages every model; a team admin
//! manages the models of their team (`model_info.team_id`).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{TABLE, audited, invalid, merge, object, public, secrets};

use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::audited::Table;
use crate::management::body::Body;
use crate::management::rows;
use crate::proxy::ApiError;

/// Deployment rows, written with their audit rows (secrets redacted).
const MODELS: Table = Table {
    name: TABLE,
    key: "model_id",
    audit_view: audited,
};

const LOCK_SQL: &str = "
    SELECT to_jsonb(t.*) FROM \"LiteLLM_ProxyModelTable\" t
     WHERE t.account_id = $1 AND t.model_id = $2 FOR UPDATE";
/// One row when the team exists: whether the user is one of its admins.
const TEAM_ADMIN_SQL: &str = "
    SELECT coalesce(members_with_roles @> jsonb_build_array(
               jsonb_build_object('user_id', $3::text, 'role', 'admin')), false)
      FROM \"LiteLLM_TeamTable\" WHERE account_id = $1 AND team_id = $2";
const CREDENTIAL_SQL: &str = "
    SELECT 1 FROM \"LiteLLM_CredentialsTable\" WHERE account_id = $1 AND credential_name = $2";

/// A deployment: `model_name`, `litellm_params` (`model` required; secrets
/// such as `api_key` are stored encrypted), `model_info` (`id`, `team_id`,
/// `base_model`, `access_groups`, `mode`...).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct ModelRequest {
    model_name: Option<String>,
    litellm_params: Option<Value>,
    model_info: Option<Value>,
}

/// `{"id": model_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ModelId {
    id: String,
}

/// Checks what routing needs of `litellm_params`.
fn check_params(params: &Map<String, Value>) -> Result<(), ApiError> {
    match params.get("model") {
        Some(Value::String(model)) if !model.trim().is_empty() => {}
        _ => return Err(invalid("litellm_params.model", "a non-empty string")),
    }
    match params.get("litellm_credential_name") {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(_) => Err(invalid(
            "litellm_params.litellm_credential_name",
            "a string",
        )),
    }
}

/// `model_info.team_id`, when set.
fn team_of(info: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match info.get("team_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(team)) => Ok(Some(team.clone())),
        Some(_) => Err(invalid("model_info.team_id", "a string")),
    }
}

/// The account admin may write any model; a team's model also its admins.
async fn check_team(
    tx: &TenantTx,
    actor: &Actor,
    team: Option<&str>,
    route: &str,
) -> Result<(), ApiError> {
    let Some(team) = team else {
        return actor.require_admin(route);
    };
    let row = tx
        .query_opt(
            TEAM_ADMIN_SQL,
            &[&actor.account.uuid(), &team, &actor.user_id],
        )
        .await?;
    let Some(row) = row else {
        return Err(ApiError::bad_request(format!(
            "model_info.team_id: team {team} does not exist"
        ))
        .with_param("model_info.team_id"));
    };
    if actor.is_admin() || row.get::<_, bool>(0) {
        return Ok(());
    }
    actor.require_admin(route)
}

/// A named credential must exist in the account.
async fn check_credential(tx: &TenantTx, params: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(Value::String(name)) = params.get("litellm_credential_name") else {
        return Ok(());
    };
    let found = tx
        .query_opt(CREDENTIAL_SQL, &[&tx.account_id().uuid(), name])
        .await?;
    if found.is_some() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "Credential '{name}' not found. Create it via /credentials before attaching it to a model."
    ))
    .with_param("litellm_params.litellm_credential_name"))
}

/// Add a deployment. Secrets in `litellm_params` are encrypted at rest;
/// `model_info.id` becomes the `model_id` (generated when absent).
#[utoipa::path(post, path = "/model/new", tag = "models", request_body = ModelRequest,
    responses((status = 200, description = "The stored row, without secrets")))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    create_model(&state, &actor, &body).await.map(Json)
}

/// Adds a deployment as `/model/new` does (also for the console); returns
/// the stored row without secrets.
pub(crate) async fn create_model(
    state: &AppState,
    actor: &Actor,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    const ROUTE: &str = "/model/new";
    actor.require_writer(ROUTE)?;
    let model_name = rows::required_text(body, "model_name")?;
    let mut params =
        object(body, "litellm_params")?.ok_or_else(|| invalid("litellm_params", "an object"))?;
    check_params(&params)?;
    let mut info = object(body, "model_info")?.unwrap_or_default();
    let model_id = match info.get("id") {
        None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        Some(_) => return Err(invalid("model_info.id", "a non-empty string")),
    };
    info.insert("id".into(), json!(model_id));
    let team = team_of(&info)?;
    secrets::seal(state.upstream().vault(), &mut params, "litellm_params")?;

    let tx = state.db().tenant(actor.account).await?;
    check_team(&tx, actor, team.as_deref(), ROUTE).await?;
    check_credential(&tx, &params).await?;
    let mut row = Map::new();
    row.insert("model_id".into(), json!(model_id));
    row.insert("model_name".into(), json!(model_name));
    row.insert("litellm_params".into(), Value::Object(params));
    row.insert("model_info".into(), Value::Object(info));
    row.insert("created_by".into(), json!(actor.label()));
    row.insert("updated_by".into(), json!(actor.label()));
    let stored = MODELS.create(&tx, actor, row).await?;
    tx.commit().await?;
    state.models().evict(actor.account).await;
    Ok(public(&stored))
}

/// Change a deployment named by `model_info.id`: given `litellm_params` and
/// `model_info` fields replace the stored ones, `null` removes one.
#[utoipa::path(post, path = "/model/update", tag = "models", request_body = ModelRequest,
    responses((status = 200, description = "The updated row, without secrets"), (status = 404, description = "No such model")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let id = match body.get("model_info").and_then(|info| info.get("id")) {
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        _ => return Err(invalid("model_info.id", "a non-empty string")),
    };
    change(&state, &actor, &id, &body, "/model/update")
        .await
        .map(Json)
}

/// Change a deployment's fields, as `/model/update` does.
#[utoipa::path(patch, path = "/model/{model_id}/update", tag = "models", request_body = ModelRequest,
    params(("model_id" = String, Path, description = "The model's id")),
    responses((status = 200, description = "The updated row, without secrets"), (status = 404, description = "No such model")))]
pub async fn patch(
    State(state): State<AppState>,
    actor: Actor,
    Path(model_id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    change(&state, &actor, &model_id, &body, "/model/{model_id}/update")
        .await
        .map(Json)
}

/// Changes the deployment `id` as `/model/update` does: given
/// `litellm_params` and `model_info` fields replace the stored ones, `null`
/// removes one. Returns the row without secrets.
pub(crate) async fn change(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &Map<String, Value>,
    route: &str,
) -> Result<Value, ApiError> {
    actor.require_writer(route)?;
    let model_name = match body.get("model_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.trim().is_empty() => Some(name.clone()),
        Some(_) => return Err(invalid("model_name", "a non-empty string")),
    };
    let params_patch = object(body, "litellm_params")?;
    let info_patch = object(body, "model_info")?;

    let tx = state.db().tenant(actor.account).await?;
    let Some(before) = tx
        .query_opt(LOCK_SQL, &[&actor.account.uuid(), &id])
        .await?
        .map(|row| row.get::<_, Value>(0))
    else {
        return Err(rows::not_found("Model", id));
    };
    let old_info = before["model_info"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let old_team = team_of(&old_info)?;
    check_team(&tx, actor, old_team.as_deref(), route).await?;

    let mut params = before["litellm_params"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let names_credential = params_patch
        .as_ref()
        .is_some_and(|patch| patch.contains_key("litellm_credential_name"));
    if let Some(mut patch) = params_patch {
        secrets::seal(state.upstream().vault(), &mut patch, "litellm_params")?;
        merge(&mut params, patch);
    }
    check_params(&params)?;
    if names_credential {
        check_credential(&tx, &params).await?;
    }
    let mut info = old_info;
    if let Some(patch) = info_patch {
        merge(&mut info, patch);
    }
    info.insert("id".into(), json!(id));
    let new_team = team_of(&info)?;
    if new_team != old_team {
        check_team(&tx, actor, new_team.as_deref(), route).await?;
    }

    let mut changes = Map::new();
    if let Some(name) = model_name {
        changes.insert("model_name".into(), json!(name));
    }
    changes.insert("litellm_params".into(), Value::Object(params));
    changes.insert("model_info".into(), Value::Object(info));
    changes.insert("updated_by".into(), json!(actor.label()));
    let after = MODELS
        .update(&tx, actor, id, changes)
        .await?
        .ok_or_else(|| rows::not_found("Model", id))?;
    tx.commit().await?;
    state.models().evict(actor.account).await;
    Ok(public(&after))
}

/// Delete a deployment; it stops routing as soon as the change is seen.
#[utoipa::path(post, path = "/model/delete", tag = "models", request_body = ModelId,
    responses((status = 200, description = "`{\"message\": \"Model: <id> deleted successfully\"}`"), (status = 404, description = "No such model")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<ModelId>,
) -> Result<Json<Value>, ApiError> {
    delete_model(&state, &actor, &body.id).await?;
    Ok(Json(
        json!({"message": format!("Model: {} deleted successfully", body.id)}),
    ))
}

/// Deletes a deployment as `/model/delete` does.
pub(crate) async fn delete_model(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<(), ApiError> {
    const ROUTE: &str = "/model/delete";
    actor.require_writer(ROUTE)?;
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = tx
        .query_opt(LOCK_SQL, &[&actor.account.uuid(), &id])
        .await?
        .map(|row| row.get::<_, Value>(0))
    else {
        return Err(rows::not_found("Model", id));
    };
    let team = existing["model_info"]["team_id"]
        .as_str()
        .map(str::to_owned);
    check_team(&tx, actor, team.as_deref(), ROUTE).await?;
    if MODELS.delete(&tx, actor, id).await?.is_none() {
        return Err(rows::not_found("Model", id));
    }
    tx.commit().await?;
    state.models().evict(actor.account).await;
    Ok(())
}
