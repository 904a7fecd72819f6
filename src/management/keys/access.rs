//! Who may act on which key: the account admin on any; viewers read any; a
//! user on their own keys; a team's admins on the team's keys, and its
//! members on the routes `team_member_permissions` grants (by default
//! `/key/info` and `/key/health`).

use axum::http::StatusCode;
use serde_json::Value;

use crate::db::TenantTx;
use crate::management::{Actor, Role};
use crate::proxy::ApiError;

/// Member routes a team grants when it names none.
const DEFAULT_MEMBER_ROUTES: [&str; 2] = ["/key/info", "/key/health"];

/// The hash of a key given raw (`sk-...`) or already hashed.
pub fn token_of(text: &str) -> String {
    if text.starts_with("sk-") {
        crate::secret::hash_api_key(text)
    } else {
        text.to_owned()
    }
}

/// The actor's standing in a team.
enum Standing {
    None,
    Member { routes: Vec<String> },
    Admin,
}

async fn standing(
    tx: &TenantTx,
    actor: &Actor,
    team_id: Option<&str>,
) -> Result<Standing, ApiError> {
    let (Some(team_id), Some(user_id)) = (team_id, actor.user_id.as_deref()) else {
        return Ok(Standing::None);
    };
    let row = tx
        .query_opt(
            "SELECT members_with_roles, team_member_permissions, admins, members
               FROM \"LiteLLM_TeamTable\" WHERE account_id = $1 AND team_id = $2",
            &[&actor.account.uuid(), &team_id],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Standing::None);
    };
    let roles: Value = row.get(0);
    let permissions: Vec<String> = row.get(1);
    let admins: Vec<String> = row.get(2);
    let members: Vec<String> = row.get(3);
    let role = roles
        .as_array()
        .into_iter()
        .flatten()
        .find(|member| member["user_id"].as_str() == Some(user_id))
        .and_then(|member| member["role"].as_str().map(str::to_owned));
    if role.as_deref() == Some("admin") || admins.iter().any(|a| a == user_id) {
        return Ok(Standing::Admin);
    }
    if role.is_some() || members.iter().any(|m| m == user_id) {
        let routes = if permissions.is_empty() {
            DEFAULT_MEMBER_ROUTES
                .iter()
                .map(|r| (*r).to_owned())
                .collect()
        } else {
            permissions
        };
        return Ok(Standing::Member { routes });
    }
    Ok(Standing::None)
}

/// May the actor read `row`?
pub async fn may_read(tx: &TenantTx, actor: &Actor, row: &Value) -> Result<bool, ApiError> {
    if actor.sees_everything()
        || actor.key_hash.as_deref() == row["token"].as_str()
        || (actor.user_id.is_some() && actor.user_id.as_deref() == row["user_id"].as_str())
    {
        return Ok(true);
    }
    Ok(match standing(tx, actor, row["team_id"].as_str()).await? {
        Standing::Admin => true,
        Standing::Member { routes } => routes.iter().any(|r| r == "/key/info"),
        Standing::None => false,
    })
}

/// Refuses a change to `row` the actor may not make, in LiteLLM's words.
pub async fn may_change(
    tx: &TenantTx,
    actor: &Actor,
    row: &Value,
    route: &str,
) -> Result<(), ApiError> {
    if actor.is_admin() {
        return Ok(());
    }
    let own = actor.user_id.is_some() && actor.user_id.as_deref() == row["user_id"].as_str();
    if own && actor.role == Role::InternalUser {
        return Ok(());
    }
    match standing(tx, actor, row["team_id"].as_str()).await? {
        Standing::Admin => Ok(()),
        Standing::Member { routes } if routes.iter().any(|r| r == route) => Ok(()),
        Standing::Member { .. } => Err(member_refused(route)),
        Standing::None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth_error",
            format!(
                "Only the key's owner, its team's admins or the proxy admin may call {route} for this key. Your role={}",
                actor.role.name()
            ),
        )),
    }
}

/// May the actor create a key for `user_id` in `team_id`?
pub async fn may_create(
    tx: &TenantTx,
    actor: &Actor,
    user_id: Option<&str>,
    team_id: Option<&str>,
) -> Result<(), ApiError> {
    if actor.is_admin() {
        return Ok(());
    }
    if let Some(team_id) = team_id {
        return match standing(tx, actor, Some(team_id)).await? {
            Standing::Admin => Ok(()),
            Standing::Member { routes } if routes.iter().any(|r| r == "/key/generate") => Ok(()),
            Standing::Member { .. } => Err(member_refused("/key/generate")),
            Standing::None => actor.require_admin("/key/generate"),
        };
    }
    let own = user_id.is_none_or(|user| actor.user_id.as_deref() == Some(user));
    if own && actor.role == Role::InternalUser && actor.user_id.is_some() {
        return Ok(());
    }
    actor.require_admin("/key/generate")
}

fn member_refused(route: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "team_member_permission_error",
        format!(
            "Team member does not have permission to call {route}. Ask a team admin to add it to team_member_permissions."
        ),
    )
}
