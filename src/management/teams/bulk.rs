//! `/team/bulk_member_add`: `/team/member_add` for many members at once, or
//! for every user of the account (`all_users`, the account admin only), in
//! one transaction through the same enrolment, answered per member as
//! LiteLLM does. Members already in the team are reported, not re-added.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::members::{Joiner, Member, add_members, fresh, parse_members};
use super::{lock_or_404, require_team_admin};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows::{self, Kind};
use crate::management::users::common::invalid;
use crate::proxy::ApiError;

/// Members one request may add (LiteLLM's bound).
const MAX_BATCH: usize = 500;

const ALL_USERS_SQL: &str = "
    SELECT user_id, user_email FROM \"LiteLLM_UserTable\"
     WHERE account_id = $1 ORDER BY created_at DESC, user_id LIMIT $2";

/// `{"team_id", "members": [Member], "all_users", "max_budget_in_team"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct BulkMemberAddRequest {
    team_id: String,
    members: Option<Vec<Member>>,
    /// Add every user of the account (as `user`).
    all_users: Option<bool>,
    max_budget_in_team: Option<f64>,
}

/// Every user of the account, as members with the `user` role.
async fn everyone(tx: &TenantTx) -> Result<Vec<Joiner>, ApiError> {
    let bound = i64::try_from(MAX_BATCH + 1).unwrap_or(i64::MAX);
    Ok(tx
        .query(ALL_USERS_SQL, &[&tx.account_id().uuid(), &bound])
        .await?
        .iter()
        .map(|row| Joiner {
            role: "user".to_owned(),
            user_id: row.get(0),
            user_email: row.get(1),
        })
        .collect())
}

/// Add many members to a team (unknown users are created), each reported:
/// `{team_id, results: [{user_id, user_email, success, updated_user,
/// updated_team_membership | error}], total_requested,
/// successful_additions, failed_additions, updated_team}`. The account
/// admin or a team admin may call it; `all_users` is the account admin's.
#[utoipa::path(post, path = "/team/bulk_member_add", operation_id = "team_bulk_member_add", tag = "teams", request_body = BulkMemberAddRequest,
    responses((status = 200, description = "Per-member results and the updated team"),
              (status = 400, description = "No members, or more than 500"),
              (status = 404, description = "No such team")))]
pub async fn bulk_member_add(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let team_id = rows::required_text(&body, "team_id")?;
    let options = rows::pick(
        &body,
        &[
            ("all_users", Kind::Bool),
            ("max_budget_in_team", Kind::Number),
        ],
    )?;
    let all_users = options.get("all_users").and_then(Value::as_bool) == Some(true);
    let max_budget = options.get("max_budget_in_team").and_then(Value::as_f64);
    let mut joiners = parse_members(body.get("members"), "members")?;
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &team_id).await?;
    require_team_admin(&team, &actor, "/team/bulk_member_add")?;
    if all_users {
        actor.require_admin("/team/bulk_member_add (all_users)")?;
        joiners = everyone(&tx).await?;
    }
    if joiners.is_empty() {
        return Err(invalid("members", "At least one member is required"));
    }
    if joiners.len() > MAX_BATCH {
        return Err(invalid(
            "members",
            format!("Maximum {MAX_BATCH} members can be added at once"),
        ));
    }
    let fresh = fresh(&team, &joiners);
    let (updated_team, users, memberships) = if fresh.is_empty() {
        (Value::Null, Vec::new(), Vec::new())
    } else {
        let (after, enrolled) = add_members(&tx, &actor, team, &fresh, max_budget).await?;
        (after, enrolled.users, enrolled.memberships)
    };
    tx.commit().await?;

    let results: Vec<Value> = joiners
        .iter()
        .map(|joiner| {
            let added = fresh
                .iter()
                .any(|f| f.user_id == joiner.user_id && f.user_email == joiner.user_email);
            let user = users.iter().find(|u| joiner.is(u));
            let user_id = user
                .map(|u| u["user_id"].clone())
                .unwrap_or_else(|| json!(joiner.user_id));
            if !added {
                return json!({
                    "user_id": user_id, "user_email": joiner.user_email, "success": false,
                    "error": "User already in team",
                });
            }
            let membership = memberships
                .iter()
                .find(|m| m["user_id"] == user_id)
                .cloned();
            json!({
                "user_id": user_id, "user_email": joiner.user_email, "success": true,
                "updated_user": user, "updated_team_membership": membership,
            })
        })
        .collect();
    let succeeded = results.iter().filter(|r| r["success"] == true).count();
    let mut updated_team = updated_team;
    if updated_team.is_object() {
        updated_team["updated_users"] = Value::Array(users);
        updated_team["updated_team_memberships"] = Value::Array(memberships);
    }
    Ok(Json(json!({
        "team_id": team_id,
        "results": results,
        "total_requested": joiners.len(),
        "successful_additions": succeeded,
        "failed_additions": joiners.len() - succeeded,
        "updated_team": updated_team,
    })))
}
