//! `/team/new`: the team row, its member budget, model aliases and object
//! permissions, and its first members, in one transaction.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::members::{Joiner, Member, enroll, parse_members, save_members};
use super::{
    FIELDS, TABLE, audit_team, build_metadata, check_org_models, check_permissions,
    clear_team_nulls, set_member_budget, set_model_aliases, strings,
};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows::{self, Kind};
use crate::management::users::common::{self, invalid};
use crate::management::users::schedule_reset;
use crate::proxy::ApiError;

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct NewTeamRequest {
    /// Generated when absent.
    team_id: Option<String>,
    team_alias: Option<String>,
    organization_id: Option<String>,
    members_with_roles: Option<Vec<Member>>,
    /// Empty: every model (within the organization's).
    models: Option<Vec<String>>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    blocked: Option<bool>,
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    model_aliases: Option<Value>,
    /// `{model: rpm}`, kept in `metadata`.
    model_rpm_limit: Option<Value>,
    /// `{model: tpm}`, kept in `metadata`.
    model_tpm_limit: Option<Value>,
    /// Each member's budget (a shared budget row).
    team_member_budget: Option<f64>,
    team_member_rpm_limit: Option<i64>,
    team_member_tpm_limit: Option<i64>,
    team_member_key_duration: Option<String>,
    team_member_permissions: Option<Vec<String>>,
    object_permission: Option<Value>,
    router_settings: Option<Value>,
    access_group_ids: Option<Vec<String>>,
}

/// Create a team. Members in `members_with_roles` get membership rows (and
/// are created as users when unknown); a team in an organization may only
/// use the organization's models.
#[utoipa::path(post, path = "/team/new", operation_id = "team_new", tag = "teams", request_body = NewTeamRequest,
    responses((status = 200, description = "The team row")))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/team/new")?;
    let ids = rows::pick(
        &body,
        &[("team_id", Kind::Text), ("model_aliases", Kind::Object)],
    )?;
    let team_id = ids
        .get("team_id")
        .and_then(Value::as_str)
        .map_or_else(common::new_id, str::to_owned);
    let mut row = rows::pick(&body, &FIELDS)?;
    common::check_not_negative(&row, &["max_budget", "soft_budget"])?;
    schedule_reset(&mut row)?;
    clear_team_nulls(&mut row);
    check_permissions(row.get("team_member_permissions"))?;
    let mut joiners = parse_members(body.get("members_with_roles"), "members_with_roles")?;
    if let Some(user_id) = &actor.user_id
        && !joiners.iter().any(|j| j.user_id.as_ref() == Some(user_id))
    {
        joiners.push(Joiner {
            role: "admin".into(),
            user_id: Some(user_id.clone()),
            user_email: None,
        });
    }
    let tx = state.db().tenant(actor.account).await?;
    if rows::get(&tx, TABLE, &[("team_id", &team_id)])
        .await?
        .is_some()
    {
        return Err(invalid(
            "team_id",
            format!("Team id = {team_id} already exists. Please use a different team id."),
        ));
    }
    if let Some(Value::String(org)) = row.get("organization_id") {
        let models = row.get("models").map(strings).unwrap_or_default();
        check_org_models(&tx, org, &models).await?;
    }
    let mut metadata = build_metadata(state.upstream().vault(), &body, None, row.get("metadata"))?;
    set_member_budget(
        &tx,
        &actor,
        &body,
        &mut metadata,
        row.get("budget_duration"),
    )
    .await?;
    row.insert("metadata".into(), Value::Object(metadata));
    if let Some(aliases) = ids.get("model_aliases") {
        let model_id = set_model_aliases(&tx, &actor, None, aliases).await?;
        row.insert("model_id".into(), json!(model_id));
    }
    if let Some(permission) = body.get("object_permission") {
        let id = common::set_object_permission(&tx, &actor, None, permission).await?;
        row.insert("object_permission_id".into(), json!(id));
    }
    row.insert("team_id".into(), json!(team_id));
    row.insert("members_with_roles".into(), json!([]));
    let inserted = rows::insert(&tx, TABLE, row).await?;
    let enrolled = enroll(&tx, &actor, &inserted, &joiners, None).await?;
    let team = save_members(&tx, &team_id, enrolled.members).await?;
    audit_team(&tx, &actor, "created", None, Some(team.clone())).await?;
    tx.commit().await?;
    Ok(Json(team))
}
