//! `/user/update` and `/user/delete`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::common::{self, KeyOwner, audited, forbidden, invalid};
use super::{
    FIELDS, TABLE, check_email_free, check_role, fold_metadata, hash_password, public,
    schedule_reset,
};
use crate::AppState;
use crate::management::body::Body;
use crate::management::rows;
use crate::management::{Actor, Role};
use crate::proxy::ApiError;

/// What users may change on themselves; everything else is the admin's.
const SELF_FIELDS: [&str; 3] = ["user_alias", "user_email", "password"];

/// `user_id` or `user_email`, plus the fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct UpdateUserRequest {
    user_id: Option<String>,
    user_email: Option<String>,
    user_alias: Option<String>,
    user_role: Option<String>,
    /// Stored argon2-hashed.
    password: Option<String>,
    max_budget: Option<f64>,
    spend: Option<f64>,
    models: Option<Vec<String>>,
    metadata: Option<Value>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
}

/// `{"user_ids": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteUsersRequest {
    pub(crate) user_ids: Vec<String>,
}

/// The user a `/user/update` names, by id or else by email.
async fn target(tx: &crate::db::TenantTx, body: &Map<String, Value>) -> Result<Value, ApiError> {
    match (body.get("user_id"), body.get("user_email")) {
        (Some(Value::String(id)), _) => rows::get(tx, TABLE, &[("user_id", id)])
            .await?
            .ok_or_else(|| rows::not_found("User", id)),
        (_, Some(Value::String(email))) => common::user_by_email(tx, email)
            .await?
            .ok_or_else(|| rows::not_found("User", email)),
        _ => Err(invalid(
            "user_id",
            "Either user_id or user_email must be provided",
        )),
    }
}

/// Change a user's fields (`null` clears). Users may change their own alias,
/// email and password; everything else, and other users, is the admin's.
#[utoipa::path(post, path = "/user/update", operation_id = "user_update", tag = "users", request_body = UpdateUserRequest,
    responses((status = 200, description = "The updated user row"), (status = 404, description = "No such user")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_writer("/user/update")?;
    update_one(&state, &actor, &body).await.map(Json)
}

/// One `/user/update`, in its own transaction with its audit row; returns
/// the public row (shared with `/user/bulk_update`).
pub(super) async fn update_one(
    state: &AppState,
    actor: &Actor,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut changes = rows::pick(body, &FIELDS)?;
    changes.remove("user_id");
    if body.get("user_id").is_none_or(Value::is_null) {
        // The email named the user; it is not a change.
        changes.remove("user_email");
    }
    check_role(&changes)?;
    common::check_not_negative(&changes, &["max_budget"])?;
    let tx = state.db().tenant(actor.account).await?;
    let before = target(&tx, body).await?;
    let user_id = before["user_id"].as_str().unwrap_or_default().to_owned();
    if actor.role != Role::ProxyAdmin {
        if actor.user_id.as_deref() != Some(user_id.as_str()) {
            return Err(forbidden(
                "User does not have permission to update this user. Only PROXY_ADMIN can update other users.",
            ));
        }
        if changes.contains_key("user_role") {
            return Err(forbidden("Only proxy admins can modify user roles."));
        }
        if let Some(field) = changes.keys().find(|f| !SELF_FIELDS.contains(&f.as_str())) {
            return Err(forbidden(format!("Only proxy admins can change {field}.")));
        }
    }
    check_email_free(&tx, &changes, Some(&user_id)).await?;
    schedule_reset(&mut changes)?;
    hash_password(&mut changes)?;
    fold_metadata(body, &mut changes, before.get("metadata"))?;
    common::clear_nulls(
        &mut changes,
        &["models", "allowed_cache_controls", "policies"],
        &["metadata", "model_max_budget"],
    );
    if changes.get("spend").is_some_and(Value::is_null) {
        changes.insert("spend".into(), json!(0));
    }
    let Some((before, after)) = rows::update(&tx, TABLE, &[("user_id", &user_id)], changes).await?
    else {
        return Err(rows::not_found("User", &user_id));
    };
    audited(
        &tx,
        actor,
        "updated",
        TABLE,
        &user_id,
        Some(before),
        Some(after.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(public(after))
}

const DELETE_ORG_MEMBERSHIPS_SQL: &str = "
    DELETE FROM \"LiteLLM_OrganizationMembership\" m
     WHERE m.account_id = $1 AND m.user_id = $2 RETURNING to_jsonb(m.*)";

/// Delete users with their keys, team and organization memberships and
/// invitation links. Every id must exist, or nothing is deleted.
#[utoipa::path(post, path = "/user/delete", operation_id = "user_delete", tag = "users", request_body = DeleteUsersRequest,
    responses((status = 200, description = "`{deleted_users: [ids]}`"), (status = 404, description = "No such user")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<DeleteUsersRequest>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/user/delete")?;
    let tx = state.db().tenant(actor.account).await?;
    let account = actor.account.uuid();
    for user_id in &body.user_ids {
        if rows::get(&tx, TABLE, &[("user_id", user_id)])
            .await?
            .is_none()
        {
            return Err(rows::not_found("User", user_id));
        }
        crate::management::teams::forget_user(&tx, &actor, user_id).await?;
        common::delete_keys(&tx, &actor, KeyOwner::User(user_id)).await?;
        common::delete_invitations(&tx, &actor, user_id).await?;
        for row in tx
            .query(DELETE_ORG_MEMBERSHIPS_SQL, &[&account, user_id])
            .await?
        {
            let membership: Value = row.get(0);
            let id = format!(
                "{}:{user_id}",
                membership["organization_id"].as_str().unwrap_or_default()
            );
            audited(
                &tx,
                &actor,
                "deleted",
                "LiteLLM_OrganizationMembership",
                &id,
                Some(membership),
                None,
            )
            .await?;
        }
        if let Some(deleted) = rows::delete(&tx, TABLE, &[("user_id", user_id)]).await? {
            audited(&tx, &actor, "deleted", TABLE, user_id, Some(deleted), None).await?;
        }
    }
    tx.commit().await?;
    Ok(Json(json!({"deleted_users": body.user_ids})))
}
