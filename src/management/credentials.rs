//! Named provider credentials (`LiteLLM_CredentialsTable`) that models use
//! through `litellm_params.litellm_credential_name`. Secret values are
//! encrypted at rest and only ever shown masked; the router merges a
//! credential's values into the deployments that name it.

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
use super::models::secrets;
use super::models::{invalid, object};
use super::rows;
use crate::AppState;
use crate::crypto::Vault;
use crate::db::TenantTx;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_CredentialsTable";
/// Credential rows, written with their audit rows (values redacted).
const CREDENTIALS: audited::Table = audited::Table {
    name: TABLE,
    key: "credential_name",
    audit_view: audited,
};
const LIST_SQL: &str = "
    SELECT to_jsonb(c.*) FROM \"LiteLLM_CredentialsTable\" c
     WHERE c.account_id = $1 ORDER BY c.credential_name LIMIT 1000";
const MODEL_SQL: &str = "
    SELECT model_name, litellm_params FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id = $1 AND coalesce(model_info ->> 'id', model_id) = $2";

/// `litellm_params` fields a credential taken from a model keeps.
const MODEL_CREDENTIAL_FIELDS: [&str; 7] = [
    "api_base",
    "api_version",
    "aws_region_name",
    "region_name",
    "vertex_project",
    "vertex_location",
    "organization",
];

/// `{credential_name, credential_info, credential_values}`, or `model_id`
/// instead of the values to copy a model's.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct CredentialRequest {
    credential_name: Option<String>,
    credential_info: Option<Value>,
    credential_values: Option<Value>,
    model_id: Option<String>,
}

/// A stored credential as clients see it.
fn view(vault: &Vault, row: &Value) -> Value {
    json!({
        "credential_name": row["credential_name"],
        "credential_values": secrets::mask(vault, &row["credential_values"]),
        "credential_info": if row["credential_info"].is_null() { json!({}) } else { row["credential_info"].clone() },
    })
}

fn audited(row: &Value) -> Value {
    let mut row = row.clone();
    row["credential_values"] = secrets::redact(&row["credential_values"]);
    row
}

fn done(message: &str) -> Json<Value> {
    Json(json!({"success": true, "message": message}))
}

/// The credential fields of a model of the account, as stored (secrets stay sealed).
async fn from_model(
    tx: &TenantTx,
    model_id: &str,
) -> Result<Option<(String, Map<String, Value>)>, ApiError> {
    let Some(row) = tx
        .query_opt(MODEL_SQL, &[&tx.account_id().uuid(), &model_id])
        .await?
    else {
        return Ok(None);
    };
    let params: Value = row.get(1);
    let values = params
        .as_object()
        .map(|params| {
            params
                .iter()
                .filter(|(name, _)| {
                    secrets::is_secret(name) || MODEL_CREDENTIAL_FIELDS.contains(&name.as_str())
                })
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some((row.get(0), values)))
}

/// Store a credential; its secret values are encrypted.
#[utoipa::path(post, path = "/credentials", tag = "credentials", request_body = CredentialRequest,
    responses((status = 200, description = "`{\"success\": true, \"message\"}`")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/credentials")?;
    let name = rows::required_text(&body, "credential_name")?;
    let info = object(&body, "credential_info")?.unwrap_or_default();
    let given = object(&body, "credential_values")?;
    let model_id = match body.get("model_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(invalid("model_id", "a string")),
    };
    let tx = state.db().tenant(actor.account).await?;
    let mut values = match (given, model_id) {
        (Some(values), _) => values,
        (None, Some(id)) => match from_model(&tx, &id).await? {
            Some((_, values)) => values,
            None => return Err(rows::not_found("Model", &id)),
        },
        (None, None) => return Err(invalid("credential_values", "an object")),
    };
    secrets::seal(state.upstream().vault(), &mut values, "credential_values")?;
    if rows::get(&tx, TABLE, &[("credential_name", &name)])
        .await?
        .is_some()
    {
        return Err(
            ApiError::bad_request(format!("Credential '{name}' already exists"))
                .with_param("credential_name"),
        );
    }
    let mut row = Map::new();
    row.insert("credential_name".into(), json!(name));
    row.insert("credential_values".into(), Value::Object(values));
    row.insert("credential_info".into(), Value::Object(info));
    row.insert("created_by".into(), json!(actor.label()));
    row.insert("updated_by".into(), json!(actor.label()));
    CREDENTIALS.create(&tx, &actor, row).await?;
    tx.commit().await?;
    Ok(done("Credential created successfully"))
}

/// Every credential of the account, values masked.
#[utoipa::path(get, path = "/credentials", tag = "credentials",
    responses((status = 200, description = "`{\"success\": true, \"credentials\": [...]}`")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/credentials")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx.query(LIST_SQL, &[&actor.account.uuid()]).await?;
    tx.commit().await?;
    let vault = state.upstream().vault();
    let credentials: Vec<Value> = rows.iter().map(|row| view(vault, &row.get(0))).collect();
    Ok(Json(json!({"success": true, "credentials": credentials})))
}

/// One credential, values masked.
#[utoipa::path(get, path = "/credentials/by_name/{credential_name}", tag = "credentials",
    params(("credential_name" = String, Path, description = "The credential's name")),
    responses((status = 200, description = "`{credential_name, credential_values, credential_info}`"), (status = 404, description = "No such credential")))]
async fn by_name(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/credentials/by_name")?;
    let tx = state.db().tenant(actor.account).await?;
    let row = rows::get(&tx, TABLE, &[("credential_name", &name)]).await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| rows::not_found("Credential", &name))?;
    Ok(Json(view(state.upstream().vault(), &row)))
}

/// The credential a model uses: the one it names, else its own fields.
#[utoipa::path(get, path = "/credentials/by_model/{model_id}", tag = "credentials",
    params(("model_id" = String, Path, description = "The model's id")),
    responses((status = 200, description = "`{credential_name, credential_values, credential_info}`"), (status = 404, description = "No such model")))]
async fn by_model(
    State(state): State<AppState>,
    actor: Actor,
    Path(model_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/credentials/by_model")?;
    let tx = state.db().tenant(actor.account).await?;
    let params = tx
        .query_opt(MODEL_SQL, &[&actor.account.uuid(), &model_id])
        .await?
        .map(|row| row.get::<_, Value>(1));
    let Some(params) = params else {
        return Err(rows::not_found("Model", &model_id));
    };
    let vault = state.upstream().vault();
    if let Some(name) = params
        .get("litellm_credential_name")
        .and_then(Value::as_str)
        && let Some(row) = rows::get(&tx, TABLE, &[("credential_name", name)]).await?
    {
        tx.commit().await?;
        return Ok(Json(view(vault, &row)));
    }
    let Some((model_name, values)) = from_model(&tx, &model_id).await? else {
        return Err(rows::not_found("Model", &model_id));
    };
    tx.commit().await?;
    Ok(Json(json!({
        "credential_name": format!("{model_name}-credential-{model_id}"),
        "credential_values": secrets::mask(vault, &Value::Object(values)),
        "credential_info": {},
    })))
}

/// Change a credential: given values and info replace the stored ones, a
/// new `credential_name` renames it.
#[utoipa::path(patch, path = "/credentials/{credential_name}", tag = "credentials", request_body = CredentialRequest,
    params(("credential_name" = String, Path, description = "The credential's name")),
    responses((status = 200, description = "`{\"success\": true, \"message\"}`"), (status = 404, description = "No such credential")))]
async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/credentials/{credential_name}")?;
    let mut changes = Map::new();
    match body.get("credential_name") {
        None | Some(Value::Null) => {}
        Some(Value::String(new)) if !new.trim().is_empty() => {
            changes.insert("credential_name".into(), json!(new));
        }
        Some(_) => return Err(invalid("credential_name", "a non-empty string")),
    }
    if let Some(mut values) = object(&body, "credential_values")? {
        secrets::seal(state.upstream().vault(), &mut values, "credential_values")?;
        changes.insert("credential_values".into(), Value::Object(values));
    }
    if let Some(info) = object(&body, "credential_info")? {
        changes.insert("credential_info".into(), Value::Object(info));
    }
    changes.insert("updated_by".into(), json!(actor.label()));
    let tx = state.db().tenant(actor.account).await?;
    if CREDENTIALS
        .update(&tx, &actor, &name, changes)
        .await?
        .is_none()
    {
        return Err(rows::not_found("Credential", &name));
    }
    tx.commit().await?;
    state.models().evict(actor.account).await;
    Ok(done("Credential updated successfully"))
}

/// Delete a credential; models naming it lose its values.
#[utoipa::path(delete, path = "/credentials/{credential_name}", tag = "credentials",
    params(("credential_name" = String, Path, description = "The credential's name")),
    responses((status = 200, description = "`{\"success\": true, \"message\"}`"), (status = 404, description = "No such credential")))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/credentials/{credential_name}")?;
    let tx = state.db().tenant(actor.account).await?;
    if CREDENTIALS.delete(&tx, &actor, &name).await?.is_none() {
        return Err(rows::not_found("Credential", &name));
    }
    tx.commit().await?;
    state.models().evict(actor.account).await;
    Ok(done("Credential deleted successfully"))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(by_name))
        .routes(routes!(by_model))
        .routes(routes!(update, delete))
}
