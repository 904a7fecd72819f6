//! `/user/bulk_update`: many `/user/update`s in one request, as LiteLLM
//! takes them: a list of updates (`users`), or one update for every user of
//! the account (`all_users` with `user_updates`, the account admin only).
//! Each user goes through the single update path in its own transaction,
//! with its own roles check and audit row, so one failure does not undo
//! the others; the answer says which succeeded.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::write::update_one;
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::proxy::ApiError;

/// Users one request may update (LiteLLM's bound).
const MAX_BATCH: usize = 500;

const ALL_USERS_SQL: &str = "
    SELECT user_id FROM \"LiteLLM_UserTable\"
     WHERE account_id = $1 ORDER BY created_at DESC, user_id LIMIT $2";

/// `{"users": [UpdateUserRequest...]}` or `{"all_users": true, "user_updates": {...}}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct BulkUpdateUsersRequest {
    /// One `/user/update` body per user (`user_id` or `user_email` each).
    users: Option<Vec<Map<String, Value>>>,
    /// Apply `user_updates` to every user of the account.
    all_users: bool,
    /// The update for `all_users` (`user_id` and `user_email` are ignored).
    user_updates: Option<Map<String, Value>>,
}

fn too_many(found: usize) -> ApiError {
    ApiError::bad_request(format!(
        "Maximum {MAX_BATCH} users can be updated at once. Found {found} users."
    ))
}

/// The update of every user of the account.
async fn for_everyone(
    tx: &TenantTx,
    updates: &Map<String, Value>,
) -> Result<Vec<Map<String, Value>>, ApiError> {
    let bound = i64::try_from(MAX_BATCH + 1).unwrap_or(i64::MAX);
    let ids: Vec<String> = tx
        .query(ALL_USERS_SQL, &[&tx.account_id().uuid(), &bound])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request("No users found to update"));
    }
    if ids.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "Maximum {MAX_BATCH} users can be updated at once."
        )));
    }
    let mut updates = updates.clone();
    updates.remove("user_email");
    Ok(ids
        .into_iter()
        .map(|id| {
            let mut body = updates.clone();
            body.insert("user_id".into(), json!(id));
            body
        })
        .collect())
}

/// Update several users at once; each succeeds or fails on its own:
/// `{results: [{user_id, user_email, success, updated_user | error}],
/// total_requested, successful_updates, failed_updates}`.
#[utoipa::path(post, path = "/user/bulk_update", operation_id = "user_bulk_update", tag = "users", request_body = BulkUpdateUsersRequest,
    responses((status = 200, description = "`{results, total_requested, successful_updates, failed_updates}`"),
              (status = 400, description = "Neither users nor all_users, or more than 500 users")))]
pub async fn bulk_update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<BulkUpdateUsersRequest>,
) -> Result<Json<Value>, ApiError> {
    actor.require_writer("/user/bulk_update")?;
    let requests = match (body.all_users, body.user_updates, body.users) {
        (true, Some(updates), _) => {
            actor.require_admin("/user/bulk_update (all_users)")?;
            let tx = state.db().tenant(actor.account).await?;
            let requests = for_everyone(&tx, &updates).await?;
            tx.commit().await?;
            requests
        }
        (_, _, Some(users)) if !users.is_empty() => users,
        _ => {
            return Err(ApiError::bad_request(
                "Must specify either 'users' for individual updates or 'all_users=True' with 'user_updates' for bulk updates",
            ));
        }
    };
    if requests.len() > MAX_BATCH {
        return Err(too_many(requests.len()));
    }
    let total = requests.len();
    let mut results = Vec::with_capacity(total);
    let mut succeeded = 0;
    for request in &requests {
        let user_email = request.get("user_email").cloned().unwrap_or(Value::Null);
        match update_one(&state, &actor, request).await {
            Ok(updated) => {
                succeeded += 1;
                results.push(json!({
                    "user_id": updated["user_id"], "user_email": user_email,
                    "success": true, "updated_user": updated,
                }));
            }
            Err(error) => results.push(json!({
                "user_id": request.get("user_id"), "user_email": user_email,
                "success": false, "error": error.message,
            })),
        }
    }
    Ok(Json(json!({
        "results": results,
        "total_requested": total,
        "successful_updates": succeeded,
        "failed_updates": total - succeeded,
    })))
}
