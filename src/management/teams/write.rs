//! Changing and deleting teams: `/team/update`, `/team/delete`,
//! `/team/block`, `/team/unblock`, `/team/model/add`, `/team/model/delete`,
//! `/team/permissions_update`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{
    FIELDS, MEMBERSHIP_TABLE, MODEL_TABLE, TABLE, audit_team, build_metadata, check_org_models,
    check_permissions, clear_team_nulls, lock, lock_or_404, require_team_admin, set_member_budget,
    set_model_aliases, strings,
};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows::{self, Kind};
use crate::management::users::common::{self, KeyOwner, audited};
use crate::management::users::schedule_reset;
use crate::proxy::ApiError;

/// `team_id` plus the fields to change (`null` clears).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct UpdateTeamRequest {
    team_id: String,
    team_alias: Option<String>,
    /// `""` takes the team out of its organization.
    organization_id: Option<String>,
    models: Option<Vec<String>>,
    max_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    metadata: Option<Value>,
    model_aliases: Option<Value>,
    team_member_budget: Option<f64>,
    team_member_rpm_limit: Option<i64>,
    team_member_tpm_limit: Option<i64>,
    object_permission: Option<Value>,
}

/// Change a team. Moving it into an organization, or changing its models
/// there, keeps its models within the organization's.
#[utoipa::path(post, path = "/team/update", operation_id = "team_update", tag = "teams", request_body = UpdateTeamRequest,
    responses((status = 200, description = "`{team_id, data: team row}`"), (status = 404, description = "No such team")))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/team/update")?;
    let team_id = rows::required_text(&body, "team_id")?;
    let options = rows::pick(&body, &[("model_aliases", Kind::Object)])?;
    let mut changes = rows::pick(&body, &FIELDS)?;
    common::check_not_negative(&changes, &["max_budget", "soft_budget"])?;
    if changes.get("organization_id").and_then(Value::as_str) == Some("") {
        changes.insert("organization_id".into(), Value::Null);
    }
    schedule_reset(&mut changes)?;
    clear_team_nulls(&mut changes);
    check_permissions(changes.get("team_member_permissions"))?;
    let tx = state.db().tenant(actor.account).await?;
    let before = lock_or_404(&tx, &team_id).await?;
    let org = match changes.get("organization_id") {
        Some(value) => value.as_str(),
        None => before["organization_id"].as_str(),
    };
    if let Some(org) = org
        && (changes.contains_key("organization_id") || changes.contains_key("models"))
    {
        let models = strings(changes.get("models").unwrap_or(&before["models"]));
        check_org_models(&tx, org, &models).await?;
    }
    let mut metadata = build_metadata(
        state.upstream().vault(),
        &body,
        before.get("metadata"),
        changes.get("metadata"),
    )?;
    let duration = changes
        .get("budget_duration")
        .or(before.get("budget_duration"));
    set_member_budget(&tx, &actor, &body, &mut metadata, duration).await?;
    changes.insert("metadata".into(), Value::Object(metadata));
    if let Some(aliases) = options.get("model_aliases") {
        let current = before["model_id"]
            .as_i64()
            .and_then(|id| i32::try_from(id).ok());
        let model_id = set_model_aliases(&tx, &actor, current, aliases).await?;
        changes.insert("model_id".into(), json!(model_id));
    }
    if let Some(permission) = body.get("object_permission") {
        let current = before["object_permission_id"].as_str();
        let id = common::set_object_permission(&tx, &actor, current, permission).await?;
        changes.insert("object_permission_id".into(), json!(id));
    }
    let Some((before, after)) = rows::update(&tx, TABLE, &[("team_id", &team_id)], changes).await?
    else {
        return Err(rows::not_found("Team", &team_id));
    };
    audit_team(&tx, &actor, "updated", Some(before), Some(after.clone())).await?;
    tx.commit().await?;
    Ok(Json(json!({"team_id": team_id, "data": after})))
}

const ARCHIVE_TEAM_SQL: &str = "
    INSERT INTO \"LiteLLM_DeletedTeamTable\"
    SELECT (jsonb_populate_record(NULL::\"LiteLLM_DeletedTeamTable\",
             to_jsonb(t.*) || jsonb_build_object('id', gen_random_uuid()::text, 'deleted_at', now(),
                                                 'deleted_by', $3::text, 'deleted_by_api_key', $4::text))).*
      FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1 AND t.team_id = $2";
const TEAM_USERS_SQL: &str = "
    SELECT u.user_id FROM \"LiteLLM_UserTable\" u WHERE u.account_id = $1 AND $2 = ANY(u.teams)";
const DELETE_MEMBERSHIPS_SQL: &str = "
    DELETE FROM \"LiteLLM_TeamMembership\" m
     WHERE m.account_id = $1 AND m.team_id = $2 RETURNING to_jsonb(m.*)";
const DELETE_MODEL_SQL: &str = "
    DELETE FROM \"LiteLLM_ModelTable\" m WHERE m.account_id = $1 AND m.id = $2 RETURNING to_jsonb(m.*)";

/// Deletes a team with its keys and memberships (archived in
/// `LiteLLM_DeletedTeamTable`); `None` when the account has no such team.
pub(in crate::management) async fn delete_team(
    tx: &TenantTx,
    actor: &Actor,
    team_id: &str,
) -> Result<Option<Value>, ApiError> {
    let Some(team) = lock(tx, team_id).await? else {
        return Ok(None);
    };
    let account = tx.account_id().uuid();
    common::delete_keys(tx, actor, KeyOwner::Team(team_id)).await?;
    for row in tx.query(TEAM_USERS_SQL, &[&account, &team_id]).await? {
        let user_id: String = row.get(0);
        common::leave_team(tx, actor, &user_id, team_id).await?;
    }
    for row in tx
        .query(DELETE_MEMBERSHIPS_SQL, &[&account, &team_id])
        .await?
    {
        let membership: Value = row.get(0);
        let id = format!(
            "{team_id}:{}",
            membership["user_id"].as_str().unwrap_or_default()
        );
        audited(
            tx,
            actor,
            "deleted",
            MEMBERSHIP_TABLE,
            &id,
            Some(membership),
            None,
        )
        .await?;
    }
    let api_key = actor.key_hash.clone().unwrap_or_default();
    tx.execute(
        ARCHIVE_TEAM_SQL,
        &[&account, &team_id, &actor.label(), &api_key],
    )
    .await?;
    let Some(deleted) = rows::delete(tx, TABLE, &[("team_id", team_id)]).await? else {
        return Ok(None);
    };
    audit_team(tx, actor, "deleted", Some(deleted.clone()), None).await?;
    if let Some(model_id) = team["model_id"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
        && let Some(row) = tx
            .query_opt(DELETE_MODEL_SQL, &[&account, &model_id])
            .await?
    {
        audited(
            tx,
            actor,
            "deleted",
            MODEL_TABLE,
            &model_id.to_string(),
            Some(row.get(0)),
            None,
        )
        .await?;
    }
    Ok(Some(deleted))
}

/// `{"team_ids": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteTeamsRequest {
    pub(crate) team_ids: Vec<String>,
}

/// Delete teams with their keys and memberships. Every id must exist, or
/// nothing is deleted.
#[utoipa::path(post, path = "/team/delete", operation_id = "team_delete", tag = "teams", request_body = DeleteTeamsRequest,
    responses((status = 200, description = "`{deleted_teams: [ids]}`"), (status = 404, description = "No such team")))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<DeleteTeamsRequest>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/team/delete")?;
    let tx = state.db().tenant(actor.account).await?;
    for team_id in &body.team_ids {
        if delete_team(&tx, &actor, team_id).await?.is_none() {
            return Err(rows::not_found("Team", team_id));
        }
    }
    tx.commit().await?;
    Ok(Json(json!({"deleted_teams": body.team_ids})))
}

/// `{"team_id"}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamRef {
    pub(crate) team_id: String,
}

async fn set_blocked(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    blocked: bool,
) -> Result<Value, ApiError> {
    let route = if blocked {
        "/team/block"
    } else {
        "/team/unblock"
    };
    actor.require_admin(route)?;
    let tx = state.db().tenant(actor.account).await?;
    let mut changes = Map::new();
    changes.insert("blocked".into(), json!(blocked));
    let Some((before, after)) = rows::update(&tx, TABLE, &[("team_id", team_id)], changes).await?
    else {
        return Err(rows::not_found("Team", team_id));
    };
    let action = if blocked { "blocked" } else { "unblocked" };
    audit_team(&tx, actor, action, Some(before), Some(after.clone())).await?;
    tx.commit().await?;
    Ok(after)
}

/// Block every call of the team's keys.
#[utoipa::path(post, path = "/team/block", operation_id = "team_block", tag = "teams", request_body = TeamRef,
    responses((status = 200, description = "The team row"), (status = 404, description = "No such team")))]
pub async fn block(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TeamRef>,
) -> Result<Json<Value>, ApiError> {
    set_blocked(&state, &actor, &body.team_id, true)
        .await
        .map(Json)
}

/// Let the team's keys call again.
#[utoipa::path(post, path = "/team/unblock", operation_id = "team_unblock", tag = "teams", request_body = TeamRef,
    responses((status = 200, description = "The team row"), (status = 404, description = "No such team")))]
pub async fn unblock(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TeamRef>,
) -> Result<Json<Value>, ApiError> {
    set_blocked(&state, &actor, &body.team_id, false)
        .await
        .map(Json)
}

/// `{"team_id", "models": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamModels {
    team_id: String,
    models: Vec<String>,
}

async fn set_models(
    state: &AppState,
    actor: &Actor,
    team_id: &str,
    route: &str,
    edit: impl FnOnce(Vec<String>) -> Vec<String>,
) -> Result<Value, ApiError> {
    actor.require_admin(route)?;
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, team_id).await?;
    let models = edit(strings(&team["models"]));
    if let Some(org) = team["organization_id"].as_str() {
        check_org_models(&tx, org, &models).await?;
    }
    let mut changes = Map::new();
    changes.insert("models".into(), json!(models));
    let Some((before, after)) = rows::update(&tx, TABLE, &[("team_id", team_id)], changes).await?
    else {
        return Err(rows::not_found("Team", team_id));
    };
    audit_team(&tx, actor, "updated", Some(before), Some(after.clone())).await?;
    tx.commit().await?;
    Ok(after)
}

/// Add models to the team's list (an empty list, all models, becomes
/// `all-proxy-models` plus the new ones).
#[utoipa::path(post, path = "/team/model/add", operation_id = "team_model_add", tag = "teams", request_body = TeamModels,
    responses((status = 200, description = "The team row"), (status = 404, description = "No such team")))]
pub async fn model_add(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TeamModels>,
) -> Result<Json<Value>, ApiError> {
    let added = body.models;
    set_models(
        &state,
        &actor,
        &body.team_id,
        "/team/model/add",
        |mut models| {
            if models.is_empty() {
                models.push("all-proxy-models".into());
            }
            for model in added {
                if !models.contains(&model) {
                    models.push(model);
                }
            }
            models
        },
    )
    .await
    .map(Json)
}

/// Remove models from the team's list.
#[utoipa::path(post, path = "/team/model/delete", operation_id = "team_model_delete", tag = "teams", request_body = TeamModels,
    responses((status = 200, description = "The team row"), (status = 404, description = "No such team")))]
pub async fn model_delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<TeamModels>,
) -> Result<Json<Value>, ApiError> {
    let removed = body.models;
    set_models(
        &state,
        &actor,
        &body.team_id,
        "/team/model/delete",
        |models| {
            models
                .into_iter()
                .filter(|m| !removed.contains(m))
                .collect()
        },
    )
    .await
    .map(Json)
}

/// `{"team_id", "team_member_permissions": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PermissionsRequest {
    team_id: String,
    team_member_permissions: Vec<String>,
}

/// Set the routes the team's members may call; the account admin or a
/// team admin may call it.
#[utoipa::path(post, path = "/team/permissions_update", operation_id = "team_permissions_update", tag = "teams", request_body = PermissionsRequest,
    responses((status = 200, description = "The team row"), (status = 404, description = "No such team")))]
pub async fn permissions_update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<PermissionsRequest>,
) -> Result<Json<Value>, ApiError> {
    check_permissions(Some(&json!(body.team_member_permissions)))?;
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &body.team_id).await?;
    require_team_admin(&team, &actor, "/team/permissions_update")?;
    let mut changes = Map::new();
    changes.insert(
        "team_member_permissions".into(),
        json!(body.team_member_permissions),
    );
    let Some((before, after)) =
        rows::update(&tx, TABLE, &[("team_id", &body.team_id)], changes).await?
    else {
        return Err(rows::not_found("Team", &body.team_id));
    };
    audit_team(&tx, &actor, "updated", Some(before), Some(after.clone())).await?;
    tx.commit().await?;
    Ok(Json(after))
}
