//! Creating and changing keys: `/key/generate`, the service-account variant,
//! `/key/update` and `/key/bulk_update`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::access::{self, token_of};
use super::fields::{self, KEYS, TABLE, public_row};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::body::Body;
use crate::management::{Actor, rows};
use crate::proxy::ApiError;
use crate::routing::pattern_matches;

/// LiteLLM's `GenerateKeyRequest` (every field optional).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct GenerateKeyRequest {
    /// A custom key; must start with `sk-`.
    key: Option<String>,
    key_alias: Option<String>,
    user_id: Option<String>,
    team_id: Option<String>,
    organization_id: Option<String>,
    budget_id: Option<String>,
    models: Option<Vec<String>>,
    aliases: Option<Value>,
    metadata: Option<Value>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    model_max_budget: Option<Value>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    model_rpm_limit: Option<Value>,
    model_tpm_limit: Option<Value>,
    /// `30s`, `10m`, `2h`, `7d`, `1w`, `1mo`; `null` never expires.
    duration: Option<String>,
    blocked: Option<bool>,
    tags: Option<Vec<String>>,
}

/// `{"key": raw or hash, ...fields}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct UpdateKeyRequest {
    key: String,
    temp_budget_increase: Option<f64>,
    temp_budget_expiry: Option<String>,
}

/// `{"keys": [UpdateKeyRequest...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkUpdateRequest {
    keys: Vec<Map<String, Value>>,
}

/// Fields only the account admin may set.
const ADMIN_ONLY: [&str; 12] = [
    "user_id",
    "team_id",
    "organization_id",
    "budget_id",
    "max_budget",
    "soft_budget",
    "spend",
    "tpm_limit",
    "rpm_limit",
    "max_parallel_requests",
    "model_max_budget",
    "temp_budget_increase",
];

/// Create a key; the raw key is in the answer once.
#[utoipa::path(post, path = "/key/generate", tag = "keys", request_body = GenerateKeyRequest,
    responses((status = 200, description = "GenerateKeyResponse: the request's fields plus `key`, `token`, `key_name`, `expires`...")))]
pub async fn generate(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    create(&state, &actor, body).await.map(Json)
}

/// Create a key owned by a team rather than a user (`team_id` required).
#[utoipa::path(post, path = "/key/service-account/generate", tag = "keys", request_body = GenerateKeyRequest,
    responses((status = 200, description = "GenerateKeyResponse")))]
pub async fn service_account(
    State(state): State<AppState>,
    actor: Actor,
    Body(mut body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    rows::required_text(&body, "team_id")?;
    body.remove("user_id");
    create(&state, &actor, body).await.map(Json)
}

/// Creates a key from LiteLLM's request fields; the answer carries the raw
/// key once (shared with the console).
pub(crate) async fn create(
    state: &AppState,
    actor: &Actor,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    let now = Utc::now();
    let parsed = fields::columns(&body, None, now)?;
    let mut columns = parsed.columns;
    let raw = match body.get("key") {
        None | Some(Value::Null) => crate::secret::new_api_key(),
        Some(Value::String(key)) if key.starts_with("sk-") && key.len() > 3 => key.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "key: a custom key must be a string starting with `sk-`",
            )
            .with_param("key"));
        }
    };
    if !actor.is_admin()
        && !columns.contains_key("user_id")
        && !columns.contains_key("team_id")
        && let Some(user) = &actor.user_id
    {
        columns.insert("user_id".into(), json!(user));
    }
    let tx = state.db().tenant(actor.account).await?;
    access::may_create(
        &tx,
        actor,
        columns.get("user_id").and_then(Value::as_str),
        columns.get("team_id").and_then(Value::as_str),
    )
    .await?;
    let token = crate::secret::hash_api_key(&raw);
    check_team_models(&tx, &columns).await?;
    check_alias(&tx, columns.get("key_alias"), &token).await?;
    if let Some(soft) = parsed.soft_budget {
        let budget_id = soft_budget_row(&tx, actor, None, soft).await?;
        columns.insert("budget_id".into(), json!(budget_id));
    }
    columns.insert("token".into(), json!(token));
    columns.insert("key_name".into(), json!(crate::proxy::abbreviate(&raw)));
    columns.insert("created_by".into(), json!(actor.label()));
    columns.insert("updated_by".into(), json!(actor.label()));
    let stored = KEYS.create(&tx, actor, columns).await?;
    let budget = budget_table(&tx, &stored).await?;
    tx.commit().await?;
    let mut answer = body;
    if let Value::Object(row) = public_row(stored) {
        answer.extend(row);
    }
    answer.insert("key".into(), json!(raw));
    answer.insert("token_id".into(), json!(token));
    answer.insert("litellm_budget_table".into(), budget);
    Ok(Value::Object(answer))
}

/// Change a key; `null` clears a limit.
#[utoipa::path(post, path = "/key/update", tag = "keys", request_body = UpdateKeyRequest,
    responses((status = 200, description = "`{\"key\": key, ...updated row}`"), (status = 404, description = "No such key")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    update_one(&state, &actor, body).await.map(Json)
}

/// Change several keys; each succeeds or fails on its own.
#[utoipa::path(post, path = "/key/bulk_update", tag = "keys", request_body = BulkUpdateRequest,
    responses((status = 200, description = "`{total_requested, successful_updates, failed_updates}`")))]
pub async fn bulk_update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<BulkUpdateRequest>,
) -> Result<Json<Value>, ApiError> {
    if body.keys.len() > 500 {
        return Err(ApiError::bad_request("keys: at most 500 keys per request").with_param("keys"));
    }
    let total = body.keys.len();
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for item in body.keys {
        let key = item.get("key").cloned().unwrap_or(Value::Null);
        match update_one(&state, &actor, item).await {
            Ok(updated) => done.push(updated),
            Err(err) => failed.push(json!({"key": key, "failed_reason": err.message})),
        }
    }
    Ok(Json(
        json!({"total_requested": total, "successful_updates": done, "failed_updates": failed}),
    ))
}

/// Changes one key from LiteLLM's request fields (shared with the console).
pub(crate) async fn update_one(
    state: &AppState,
    actor: &Actor,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    let given = rows::required_text(&body, "key")?;
    let token = token_of(&given);
    if !actor.is_admin()
        && let Some(field) = ADMIN_ONLY.iter().find(|field| body.contains_key(**field))
    {
        actor.require_admin(&format!("/key/update ({field})"))?;
    }
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = rows::get(&tx, TABLE, &[("token", &token)]).await? else {
        return Err(rows::not_found("Key", &given));
    };
    access::may_change(&tx, actor, &existing, "/key/update").await?;
    let parsed = fields::columns(&body, Some(&existing["metadata"]), Utc::now())?;
    let mut changes = parsed.columns;
    check_team_models(&tx, &merged(&existing, &changes)).await?;
    check_alias(&tx, changes.get("key_alias"), &token).await?;
    if let Some(soft) = parsed.soft_budget {
        let budget_id = soft_budget_row(&tx, actor, existing["budget_id"].as_str(), soft).await?;
        changes.insert("budget_id".into(), json!(budget_id));
    }
    changes.insert("updated_by".into(), json!(actor.label()));
    let Some(after) = KEYS.update(&tx, actor, &token, changes).await? else {
        return Err(rows::not_found("Key", &given));
    };
    tx.commit().await?;
    Ok(fields::answer(after, [("key", json!(given))]))
}

/// The row as it will be after `changes`, for checks across fields.
fn merged(existing: &Value, changes: &Map<String, Value>) -> Map<String, Value> {
    let mut row = existing.as_object().cloned().unwrap_or_default();
    row.extend(changes.clone());
    row
}

/// A team key's models must be within the team's.
async fn check_team_models(tx: &TenantTx, columns: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(team_id) = columns.get("team_id").and_then(Value::as_str) else {
        return Ok(());
    };
    let Some(team) = rows::get(tx, "LiteLLM_TeamTable", &[("team_id", team_id)]).await? else {
        return Err(
            ApiError::bad_request(format!("team_id: team not found: {team_id}"))
                .with_param("team_id"),
        );
    };
    let allowed: Vec<&str> = team["models"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if allowed.is_empty()
        || allowed
            .iter()
            .any(|m| *m == "*" || *m == "all-proxy-models")
    {
        return Ok(());
    }
    let wanted = columns
        .get("models")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for model in wanted {
        let fits =
            model == "all-team-models" || allowed.iter().any(|entry| pattern_matches(entry, model));
        if !fits {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "team_model_access_denied",
                format!("Team doesn't have access to model={model}. This team can only access models={allowed:?}"),
            )
            .with_param("models"));
        }
    }
    Ok(())
}

/// Aliases are unique within the account.
async fn check_alias(tx: &TenantTx, alias: Option<&Value>, token: &str) -> Result<(), ApiError> {
    let Some(Value::String(alias)) = alias else {
        return Ok(());
    };
    let taken = tx
        .query_opt(
            "SELECT 1 FROM \"LiteLLM_VerificationToken\" WHERE account_id = $1 AND key_alias = $2 AND token <> $3",
            &[&tx.account_id().uuid(), alias, &token],
        )
        .await?
        .is_some();
    if taken {
        return Err(
            ApiError::bad_request(format!("Key with alias '{alias}' already exists."))
                .with_param("key_alias"),
        );
    }
    Ok(())
}

/// A soft budget lives on a budget row: the key's own, or a new one.
async fn soft_budget_row(
    tx: &TenantTx,
    actor: &Actor,
    existing: Option<&str>,
    soft: f64,
) -> Result<String, ApiError> {
    if let Some(budget_id) = existing {
        let changes = Map::from_iter([
            ("soft_budget".to_owned(), json!(soft)),
            ("updated_by".to_owned(), json!(actor.label())),
        ]);
        if rows::update(
            tx,
            "LiteLLM_BudgetTable",
            &[("budget_id", budget_id)],
            changes,
        )
        .await?
        .is_some()
        {
            return Ok(budget_id.to_owned());
        }
    }
    let row = Map::from_iter([
        ("soft_budget".to_owned(), json!(soft)),
        ("created_by".to_owned(), json!(actor.label())),
        ("updated_by".to_owned(), json!(actor.label())),
    ]);
    let stored = rows::insert(tx, "LiteLLM_BudgetTable", row).await?;
    Ok(stored["budget_id"].as_str().unwrap_or_default().to_owned())
}

/// The key's budget row, or `null`.
pub async fn budget_table(tx: &TenantTx, key: &Value) -> Result<Value, ApiError> {
    let Some(budget_id) = key["budget_id"].as_str() else {
        return Ok(Value::Null);
    };
    Ok(
        rows::get(tx, "LiteLLM_BudgetTable", &[("budget_id", budget_id)])
            .await?
            .unwrap_or(Value::Null),
    )
}
