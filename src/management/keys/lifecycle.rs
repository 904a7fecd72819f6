//! A key's life after creation: delete (kept in
//! `LiteLLM_DeletedVerificationToken`), block and unblock, regenerate (with
//! an optional grace period for the old key) and spend resets.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::access::{self, token_of};
use super::fields::{self, KEYS, TABLE, public_row};
use crate::AppState;
use crate::management::body::Body;
use crate::management::{Actor, audited, rows};
use crate::proxy::ApiError;

/// `{"keys": [...]}` or `{"key_aliases": [...]}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DeleteKeysRequest {
    keys: Vec<String>,
    key_aliases: Vec<String>,
}

/// `{"key": raw or hash}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyRequest {
    key: String,
}

/// `{"reset_to": amount}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetSpendRequest {
    reset_to: f64,
}

/// LiteLLM's `RegenerateKeyRequest`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct RegenerateKeyRequest {
    key: Option<String>,
    new_key: Option<String>,
    /// How long the old key keeps working (`24h`); none by default.
    grace_period: Option<String>,
    duration: Option<String>,
    max_budget: Option<f64>,
    metadata: Option<Value>,
}

/// Delete keys by key or alias.
#[utoipa::path(post, path = "/key/delete", tag = "keys", request_body = DeleteKeysRequest,
    responses((status = 200, description = "`{\"deleted_keys\": [...]}`"), (status = 403, description = "Not the key's owner"), (status = 404, description = "No such key")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<DeleteKeysRequest>,
) -> Result<Json<Value>, ApiError> {
    delete_keys(&state, &actor, &body.keys, &body.key_aliases)
        .await
        .map(Json)
}

/// Deletes keys (given raw or hashed) and keys by alias, keeping each in the
/// deleted-keys table (shared with the console).
pub(crate) async fn delete_keys(
    state: &AppState,
    actor: &Actor,
    keys: &[String],
    key_aliases: &[String],
) -> Result<Value, ApiError> {
    actor.require_writer("/key/delete")?;
    if keys.len() + key_aliases.len() > 1000 {
        return Err(ApiError::bad_request("keys: at most 1000 keys per request").with_param("keys"));
    }
    let tx = state.db().tenant(actor.account).await?;
    let mut targets = Vec::new();
    for given in keys {
        let row = rows::get(&tx, TABLE, &[("token", &token_of(given))]).await?;
        targets.push((
            given.clone(),
            row.ok_or_else(|| rows::not_found("Key", given))?,
        ));
    }
    for alias in key_aliases {
        let row = rows::get(&tx, TABLE, &[("key_alias", alias)]).await?;
        targets.push((
            alias.clone(),
            row.ok_or_else(|| rows::not_found("Key", alias))?,
        ));
    }
    let mut deleted = Vec::new();
    for (given, row) in targets {
        access::may_change(&tx, actor, &row, "/key/delete").await?;
        let token = row["token"].as_str().unwrap_or_default().to_owned();
        let mut kept = row.as_object().cloned().unwrap_or_default();
        kept.remove("account_id");
        kept.insert("deleted_at".into(), json!(Utc::now()));
        kept.insert("deleted_by".into(), json!(actor.label()));
        kept.insert("deleted_by_api_key".into(), json!(actor.key_hash));
        rows::insert(&tx, "LiteLLM_DeletedVerificationToken", kept).await?;
        KEYS.delete(&tx, actor, &token).await?;
        deleted.push(given);
    }
    tx.commit().await?;
    Ok(json!({"deleted_keys": deleted}))
}

/// Blocks or unblocks one key (shared with the console).
pub(crate) async fn set_blocked(
    state: &AppState,
    actor: &Actor,
    given: &str,
    blocked: bool,
) -> Result<Value, ApiError> {
    let route = if blocked {
        "/key/block"
    } else {
        "/key/unblock"
    };
    actor.require_admin(route)?;
    let token = token_of(given);
    let tx = state.db().tenant(actor.account).await?;
    let changes = Map::from_iter([
        ("blocked".to_owned(), json!(blocked)),
        ("updated_by".to_owned(), json!(actor.label())),
    ]);
    let action = if blocked { "blocked" } else { "unblocked" };
    let Some(after) = KEYS.change(&tx, actor, action, &token, changes).await? else {
        return Err(rows::not_found("Key", given));
    };
    tx.commit().await?;
    Ok(public_row(after))
}

/// Block a key: calls with it are refused at once on every instance.
#[utoipa::path(post, path = "/key/block", tag = "keys", request_body = KeyRequest,
    responses((status = 200, description = "The updated key"), (status = 404, description = "No such key")))]
pub async fn block(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<KeyRequest>,
) -> Result<Json<Value>, ApiError> {
    set_blocked(&state, &actor, &body.key, true).await.map(Json)
}

/// Unblock a key.
#[utoipa::path(post, path = "/key/unblock", tag = "keys", request_body = KeyRequest,
    responses((status = 200, description = "The updated key"), (status = 404, description = "No such key")))]
pub async fn unblock(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<KeyRequest>,
) -> Result<Json<Value>, ApiError> {
    set_blocked(&state, &actor, &body.key, false)
        .await
        .map(Json)
}

/// Replace a key's secret; the old one stops working (after `grace_period`).
#[utoipa::path(post, path = "/key/regenerate", tag = "keys", request_body = RegenerateKeyRequest,
    responses((status = 200, description = "GenerateKeyResponse with the new `key`"), (status = 404, description = "No such key")))]
pub async fn regenerate(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let given = rows::required_text(&body, "key")?;
    rotate(&state, &actor, &given, body).await.map(Json)
}

/// `/key/{key}/regenerate`: the same, with the key in the path.
#[utoipa::path(post, path = "/key/{key}/regenerate", tag = "keys", request_body = RegenerateKeyRequest,
    params(("key" = String, Path, description = "The key, raw or hashed")),
    responses((status = 200, description = "GenerateKeyResponse with the new `key`"), (status = 404, description = "No such key")))]
pub async fn regenerate_path(
    State(state): State<AppState>,
    actor: Actor,
    Path(key): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    rotate(&state, &actor, &key, body).await.map(Json)
}

/// Gives a key a new secret; the answer carries the raw key once (shared
/// with the console).
pub(crate) async fn rotate(
    state: &AppState,
    actor: &Actor,
    given: &str,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    let old = token_of(given);
    let raw = match body.get("new_key") {
        None | Some(Value::Null) => crate::secret::new_api_key(),
        Some(Value::String(key)) if key.starts_with("sk-") && key.len() > 3 => key.clone(),
        Some(_) => {
            return Err(
                ApiError::bad_request("new_key: must be a string starting with `sk-`")
                    .with_param("new_key"),
            );
        }
    };
    let grace = match body.get("grace_period") {
        Some(Value::String(text)) => Some(fields::span(text, "grace_period")?),
        _ => None,
    };
    let now = Utc::now();
    let mut options = body.clone();
    options.retain(|name, _| {
        [
            "duration",
            "max_budget",
            "metadata",
            "budget_duration",
            "models",
            "key_alias",
        ]
        .contains(&name.as_str())
    });
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = rows::get(&tx, TABLE, &[("token", &old)]).await? else {
        return Err(rows::not_found("Key", given));
    };
    access::may_change(&tx, actor, &existing, "/key/regenerate").await?;
    let mut changes = fields::columns(&options, Some(&existing["metadata"]), now)?.columns;
    let new = crate::secret::hash_api_key(&raw);
    let rotations = existing["rotation_count"].as_i64().unwrap_or(0) + 1;
    changes.insert("token".into(), json!(new));
    changes.insert("key_name".into(), json!(crate::proxy::abbreviate(&raw)));
    changes.insert("rotation_count".into(), json!(rotations));
    changes.insert("last_rotation_at".into(), json!(now));
    changes.insert("updated_by".into(), json!(actor.label()));
    // Earlier rotations' grace ends now: they point at the hash being replaced.
    tx.execute(
        "DELETE FROM \"LiteLLM_DeprecatedVerificationToken\" WHERE account_id = $1 AND active_token_id = $2",
        &[&actor.account.uuid(), &old],
    )
    .await?;
    let Some((before, after)) = rows::update(&tx, TABLE, &[("token", &old)], changes).await? else {
        return Err(rows::not_found("Key", given));
    };
    if let Some(grace) = grace {
        let row = Map::from_iter([
            ("token".to_owned(), json!(old)),
            ("active_token_id".to_owned(), json!(new)),
            ("revoke_at".to_owned(), json!(now + grace)),
        ]);
        rows::insert(&tx, "LiteLLM_DeprecatedVerificationToken", row).await?;
    }
    let views = (public_row(before), public_row(after.clone()));
    audited::record(
        &tx,
        actor,
        "rotated",
        TABLE,
        &new,
        Some(views.0),
        Some(views.1),
    )
    .await?;
    let budget = super::write::budget_table(&tx, &after).await?;
    tx.commit().await?;
    Ok(fields::answer(
        after,
        [
            ("key", json!(raw)),
            ("token_id", json!(new)),
            ("litellm_budget_table", budget),
        ],
    ))
}

/// Set a key's spend back (not above what it has spent); its budget
/// counters start again from the new figure.
#[utoipa::path(post, path = "/key/{key}/reset_spend", tag = "keys", request_body = ResetSpendRequest,
    params(("key" = String, Path, description = "The key, raw or hashed")),
    responses((status = 200, description = "The updated key"), (status = 404, description = "No such key")))]
pub async fn reset_spend(
    State(state): State<AppState>,
    actor: Actor,
    Path(key): Path<String>,
    Body(body): Body<ResetSpendRequest>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/key/reset_spend")?;
    let token = token_of(&key);
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = rows::get(&tx, TABLE, &[("token", &token)]).await? else {
        return Err(rows::not_found("Key", &key));
    };
    let spend = existing["spend"].as_f64().unwrap_or(0.0);
    if !(0.0..=spend).contains(&body.reset_to) {
        return Err(ApiError::bad_request(format!(
            "reset_to: must be between 0 and the current spend ({spend})"
        ))
        .with_param("reset_to"));
    }
    let mut metadata = existing["metadata"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let epoch = metadata
        .get("spend_epoch")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        + 1;
    metadata.insert("spend_epoch".into(), json!(epoch));
    let changes = Map::from_iter([
        ("spend".to_owned(), json!(body.reset_to)),
        ("metadata".to_owned(), Value::Object(metadata)),
        ("updated_by".to_owned(), json!(actor.label())),
    ]);
    let Some(after) = KEYS.update(&tx, &actor, &token, changes).await? else {
        return Err(rows::not_found("Key", &key));
    };
    tx.commit().await?;
    Ok(Json(public_row(after)))
}
