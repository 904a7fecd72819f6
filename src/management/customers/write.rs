//! Creating, changing, blocking and deleting end users.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{FIELDS, TABLE, check_default_model, missing, normalize, view};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows;
use crate::management::users::common::{self, BUDGET_FIELDS, BUDGET_TABLE, audited, invalid};
use crate::proxy::ApiError;

/// A new end user.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct NewCustomerRequest {
    user_id: String,
    alias: Option<String>,
    blocked: Option<bool>,
    /// An existing budget, or the inline budget fields below (not both).
    budget_id: Option<String>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    budget_duration: Option<String>,
    model_max_budget: Option<Value>,
    /// `eu` or `us`.
    allowed_model_region: Option<String>,
    default_model: Option<String>,
    spend: Option<f64>,
}

/// Create an end user; inline budget fields create their budget row.
#[utoipa::path(post, path = "/customer/new", operation_id = "customer_new", tag = "customers", request_body = NewCustomerRequest,
    responses((status = 200, description = "The end user with `litellm_budget_table`"),
              (status = 400, description = "The end user exists")))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/customer/new")?;
    let user_id = rows::required_text(&body, "user_id")?;
    let mut row = rows::pick(&body, &FIELDS)?;
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    common::check_not_negative(&budget, &["max_budget", "soft_budget"])?;
    normalize(&mut row)?;
    let linked = row
        .get("budget_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if linked.is_some() && !budget.is_empty() {
        return Err(invalid(
            "budget_id",
            "Pass either budget_id or budget fields (max_budget, tpm_limit...), not both",
        ));
    }
    let tx = state.db().tenant(actor.account).await?;
    if rows::get(&tx, TABLE, &[("user_id", &user_id)])
        .await?
        .is_some()
    {
        return Err(invalid(
            "user_id",
            format!(
                "Customer already exists, passed user_id={user_id}. Please pass a new user_id."
            ),
        ));
    }
    check_default_model(&tx, &row).await?;
    if let Some(id) = &linked {
        if rows::get(&tx, BUDGET_TABLE, &[("budget_id", id)])
            .await?
            .is_none()
        {
            return Err(invalid("budget_id", format!("Budget not found: {id}")));
        }
    } else if !budget.is_empty() {
        let created = common::create_budget(&tx, &actor, budget).await?;
        row.insert("budget_id".into(), created["budget_id"].clone());
    }
    let stored = rows::insert(&tx, TABLE, row).await?;
    audited(&tx, &actor, "created", TABLE, &user_id, None, Some(stored)).await?;
    let shown = view(&tx, &user_id).await?;
    tx.commit().await?;
    shown.map(Json).ok_or_else(|| missing(&user_id, "user_id"))
}

/// Change an end user. Budget fields change its budget row (a budget other
/// holders share is copied first, so theirs stays as it was).
#[utoipa::path(post, path = "/customer/update", operation_id = "customer_update", tag = "customers", request_body = NewCustomerRequest,
    responses((status = 200, description = "The end user with `litellm_budget_table`"),
              (status = 404, description = "No such end user")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/customer/update")?;
    let user_id = rows::required_text(&body, "user_id")?;
    let mut changes = rows::pick(&body, &FIELDS)?;
    changes.remove("user_id");
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    common::check_not_negative(&budget, &["max_budget", "soft_budget"])?;
    normalize(&mut changes)?;
    let tx = state.db().tenant(actor.account).await?;
    let Some(before) = rows::get(&tx, TABLE, &[("user_id", &user_id)]).await? else {
        return Err(missing(&user_id, "user_id"));
    };
    check_default_model(&tx, &changes).await?;
    if !budget.is_empty() {
        let current = match changes.get("budget_id") {
            Some(given) => given.as_str(),
            None => before["budget_id"].as_str(),
        };
        if let Some(row) = common::change_own_budget(&tx, &actor, current, budget).await? {
            changes.insert("budget_id".into(), row["budget_id"].clone());
        }
    }
    let Some((before, after)) = rows::update(&tx, TABLE, &[("user_id", &user_id)], changes).await?
    else {
        return Err(missing(&user_id, "user_id"));
    };
    audited(
        &tx,
        &actor,
        "updated",
        TABLE,
        &user_id,
        Some(before),
        Some(after),
    )
    .await?;
    let shown = view(&tx, &user_id).await?;
    tx.commit().await?;
    shown.map(Json).ok_or_else(|| missing(&user_id, "user_id"))
}

/// `{"user_ids": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserIds {
    user_ids: Vec<String>,
}

/// Delete end users; every id must exist, or nothing is deleted.
#[utoipa::path(post, path = "/customer/delete", operation_id = "customer_delete", tag = "customers", request_body = UserIds,
    responses((status = 200, description = "`{deleted_customers, message}`"), (status = 404, description = "No such end user")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<UserIds>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/customer/delete")?;
    if body.user_ids.is_empty() {
        return Err(invalid("user_ids", "user_ids is required"));
    }
    let tx = state.db().tenant(actor.account).await?;
    let mut deleted = Vec::new();
    let mut absent = Vec::new();
    for user_id in &body.user_ids {
        match rows::delete(&tx, TABLE, &[("user_id", user_id)]).await? {
            Some(row) => deleted.push((user_id, row)),
            None => absent.push(user_id.as_str()),
        }
    }
    if !absent.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("End User Id(s)={} do not exist in db", absent.join(", ")),
        )
        .with_param("user_ids"));
    }
    for (user_id, row) in &deleted {
        audited(
            &tx,
            &actor,
            "deleted",
            TABLE,
            user_id,
            Some(row.clone()),
            None,
        )
        .await?;
    }
    tx.commit().await?;
    let quoted: Vec<String> = body.user_ids.iter().map(|id| format!("'{id}'")).collect();
    Ok(Json(json!({
        "deleted_customers": deleted.len(),
        "message": format!("Successfully deleted customers with ids: [{}]", quoted.join(", ")),
    })))
}

const BLOCK_SQL: &str = "
    INSERT INTO \"LiteLLM_EndUserTable\" AS e (account_id, user_id, blocked) VALUES ($1, $2, true)
    ON CONFLICT (account_id, user_id) DO UPDATE SET blocked = true
    RETURNING to_jsonb(e.*)";

/// Refuse every call made for these end users (unknown ids are created
/// blocked).
#[utoipa::path(post, path = "/customer/block", operation_id = "customer_block", tag = "customers", request_body = UserIds,
    responses((status = 200, description = "`{blocked_users: [rows]}`")))]
pub async fn block(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<UserIds>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/customer/block")?;
    let tx = state.db().tenant(actor.account).await?;
    let mut blocked = Vec::new();
    for user_id in &body.user_ids {
        let before = rows::get(&tx, TABLE, &[("user_id", user_id)]).await?;
        let after: Value = tx
            .query_one(BLOCK_SQL, &[&actor.account.uuid(), user_id])
            .await?
            .get(0);
        audited(
            &tx,
            &actor,
            "blocked",
            TABLE,
            user_id,
            before,
            Some(after.clone()),
        )
        .await?;
        blocked.push(after);
    }
    tx.commit().await?;
    Ok(Json(json!({"blocked_users": blocked})))
}

/// Let these end users' calls through again (unknown ids are ignored).
#[utoipa::path(post, path = "/customer/unblock", operation_id = "customer_unblock", tag = "customers", request_body = UserIds,
    responses((status = 200, description = "`{unblocked_users: [rows]}`")))]
pub async fn unblock(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<UserIds>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/customer/unblock")?;
    let tx = state.db().tenant(actor.account).await?;
    let mut unblocked = Vec::new();
    for user_id in &body.user_ids {
        let mut changes = Map::new();
        changes.insert("blocked".into(), json!(false));
        if let Some((before, after)) =
            rows::update(&tx, TABLE, &[("user_id", user_id)], changes).await?
        {
            audited(
                &tx,
                &actor,
                "unblocked",
                TABLE,
                user_id,
                Some(before),
                Some(after.clone()),
            )
            .await?;
            unblocked.push(after);
        }
    }
    tx.commit().await?;
    Ok(Json(json!({"unblocked_users": unblocked})))
}
