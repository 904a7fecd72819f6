//! Teams (`LiteLLM_TeamTable`) and their members: `members_with_roles` on
//! the team, a `LiteLLM_TeamMembership` row per member (spend and budget in
//! the team) and the team id in each member's `teams`. Writes are the
//! account admin's; a team's admins (`members_with_roles` role `admin`) may
//! manage its members and their permissions.

mod bulk;
mod callbacks;
pub(crate) mod create;
pub(crate) mod members;
pub(crate) mod read;
pub(crate) mod write;

use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::crypto::Vault;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::models::secrets;
use crate::management::rows::{self, Field, Kind};
use crate::management::users::common::{self, audited, forbidden, invalid};
use crate::proxy::ApiError;

pub(in crate::management) use members::{enroll_user, forget_user};
pub(in crate::management) use write::delete_team;

const TABLE: &str = "LiteLLM_TeamTable";
const MEMBERSHIP_TABLE: &str = "LiteLLM_TeamMembership";
const MODEL_TABLE: &str = "LiteLLM_ModelTable";

/// Team columns clients may set.
const FIELDS: [Field; 17] = [
    ("team_alias", Kind::Text),
    ("organization_id", Kind::Text),
    ("models", Kind::TextList),
    ("max_budget", Kind::Number),
    ("soft_budget", Kind::Number),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("max_parallel_requests", Kind::Integer),
    ("budget_duration", Kind::Text),
    ("blocked", Kind::Bool),
    ("metadata", Kind::Object),
    ("model_max_budget", Kind::Object),
    ("router_settings", Kind::Object),
    ("team_member_permissions", Kind::TextList),
    ("access_group_ids", Kind::TextList),
    ("policies", Kind::TextList),
    ("allow_team_guardrail_config", Kind::Bool),
];

/// Request fields LiteLLM keeps in the team's `metadata`, where the
/// governance layer reads them (`model_rpm_limit`, `team_member_rpm_limit`...).
const META_FIELDS: [Field; 11] = [
    ("tags", Kind::TextList),
    ("guardrails", Kind::TextList),
    ("prompts", Kind::TextList),
    ("model_rpm_limit", Kind::Object),
    ("model_tpm_limit", Kind::Object),
    ("team_member_rpm_limit", Kind::Integer),
    ("team_member_tpm_limit", Kind::Integer),
    ("team_member_key_duration", Kind::Text),
    ("allowed_passthrough_routes", Kind::TextList),
    ("rpm_limit_type", Kind::Text),
    ("tpm_limit_type", Kind::Text),
];

/// The per-member limits every member's budget row starts from.
const MEMBER_BUDGET_FIELDS: [Field; 4] = [
    ("team_member_budget", Kind::Number),
    ("team_member_budget_duration", Kind::Text),
    ("team_member_rpm_limit", Kind::Integer),
    ("team_member_tpm_limit", Kind::Integer),
];

/// What team members may be allowed to call (`team_member_permissions`).
const MEMBER_PERMISSIONS: [&str; 12] = [
    "/key/generate",
    "/key/update",
    "/key/delete",
    "/key/regenerate",
    "/key/{key_id}/regenerate",
    "/key/block",
    "/key/unblock",
    "/key/bulk_update",
    "/key/info",
    "/key/health",
    "/key/list",
    "/team/daily/activity",
];

/// Members' permissions when the team names none.
const DEFAULT_MEMBER_PERMISSIONS: [&str; 2] = ["/key/info", "/key/health"];

/// Rejects `team_member_permissions` naming a route that cannot be granted.
fn check_permissions(permissions: Option<&Value>) -> Result<(), ApiError> {
    let Some(Value::Array(list)) = permissions else {
        return Ok(());
    };
    match list
        .iter()
        .filter_map(Value::as_str)
        .find(|p| !MEMBER_PERMISSIONS.contains(p))
    {
        Some(unknown) => Err(invalid(
            "team_member_permissions",
            format!(
                "Unknown team member permission: {unknown}. Allowed: {}",
                MEMBER_PERMISSIONS.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

const LOCK_SQL: &str = "
    SELECT to_jsonb(t.*) FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1 AND t.team_id = $2 FOR UPDATE";

/// Reads a team for changing it (locked until the transaction ends, so
/// concurrent member changes cannot overwrite each other).
async fn lock(tx: &TenantTx, team_id: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_opt(LOCK_SQL, &[&tx.account_id().uuid(), &team_id])
        .await?
        .map(|row| row.get(0)))
}

/// A team of the account, or 404.
async fn lock_or_404(tx: &TenantTx, team_id: &str) -> Result<Value, ApiError> {
    lock(tx, team_id)
        .await?
        .ok_or_else(|| rows::not_found("Team", team_id))
}

/// `members_with_roles` as a list.
fn members(team: &Value) -> Vec<Value> {
    team["members_with_roles"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn is_member(team: &Value, user_id: Option<&str>) -> bool {
    user_id.is_some_and(|id| members(team).iter().any(|m| m["user_id"] == id))
}

/// True for the account admin and the team's own admins.
fn is_team_admin(team: &Value, actor: &Actor) -> bool {
    actor.is_admin()
        || actor.user_id.as_deref().is_some_and(|id| {
            members(team)
                .iter()
                .any(|m| m["user_id"] == id && m["role"] == "admin")
        })
}

/// Refuses anyone but the account admin and the team's admins.
fn require_team_admin(team: &Value, actor: &Actor, route: &str) -> Result<(), ApiError> {
    if is_team_admin(team, actor) {
        return Ok(());
    }
    Err(forbidden(format!(
        "Call not allowed. User not proxy admin OR team admin. route={route}, team_id={}",
        team["team_id"].as_str().unwrap_or_default()
    )))
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// A team in an organization may only use models the organization allows.
async fn check_org_models(tx: &TenantTx, org_id: &str, models: &[String]) -> Result<(), ApiError> {
    let Some(org) = rows::get(
        tx,
        "LiteLLM_OrganizationTable",
        &[("organization_id", org_id)],
    )
    .await?
    else {
        return Err(invalid(
            "organization_id",
            format!("Organization not found for organization_id={org_id}"),
        ));
    };
    let allowed = strings(&org["models"]);
    if allowed.is_empty() || allowed.iter().any(|m| m == "*" || m == "all-proxy-models") {
        return Ok(());
    }
    if models.is_empty() {
        return Err(invalid(
            "models",
            format!(
                "Team models must be a subset of the organization's models. The team allows all models; organization {org_id} allows only {allowed:?}"
            ),
        ));
    }
    let outside: Vec<&String> = models
        .iter()
        .filter(|m| {
            !allowed
                .iter()
                .any(|entry| crate::routing::pattern_matches(entry, m))
        })
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    Err(invalid(
        "models",
        format!(
            "Team models must be a subset of the organization's models. Not allowed by organization {org_id}: {outside:?}"
        ),
    ))
}

/// The team's `metadata`: the given object (or the stored one), with the
/// metadata-held request fields on top; `null` removes one. The team's own
/// bookkeeping (`team_member_budget_id`) survives a replaced object.
fn build_metadata(
    vault: &Vault,
    body: &Map<String, Value>,
    stored: Option<&Value>,
    given: Option<&Value>,
) -> Result<Map<String, Value>, ApiError> {
    let extra = rows::pick(body, &META_FIELDS)?;
    common::check_model_limits(&extra, "model_rpm_limit")?;
    common::check_model_limits(&extra, "model_tpm_limit")?;
    let stored = stored.and_then(Value::as_object);
    let mut metadata = match given {
        Some(Value::Object(given)) => {
            let mut metadata = given.clone();
            if let Some(id) = stored.and_then(|m| m.get("team_member_budget_id")) {
                metadata.insert("team_member_budget_id".into(), id.clone());
            }
            metadata
        }
        _ => stored.cloned().unwrap_or_default(),
    };
    for (name, value) in extra {
        if value.is_null() {
            metadata.remove(&name);
        } else {
            metadata.insert(name, value);
        }
    }
    // Logging credentials are sealed however they arrive (`/team/new`,
    // `/team/update` or `/team/{id}/callback`); sealed values stay as they are.
    if let Some(Value::Object(vars)) = metadata
        .get_mut("callback_settings")
        .and_then(|settings| settings.get_mut("callback_vars"))
    {
        secrets::seal(vault, vars, "metadata.callback_settings.callback_vars")?;
    }
    Ok(metadata)
}

/// Creates or changes the budget row every member starts from
/// (`metadata.team_member_budget_id`): `team_member_budget`, its duration
/// (else the team's), and the per-member rpm/tpm.
async fn set_member_budget(
    tx: &TenantTx,
    actor: &Actor,
    body: &Map<String, Value>,
    metadata: &mut Map<String, Value>,
    team_duration: Option<&Value>,
) -> Result<(), ApiError> {
    let given = rows::pick(body, &MEMBER_BUDGET_FIELDS)?;
    if given.is_empty() {
        return Ok(());
    }
    let mut fields = Map::new();
    for (from, to) in [
        ("team_member_budget", "max_budget"),
        ("team_member_rpm_limit", "rpm_limit"),
        ("team_member_tpm_limit", "tpm_limit"),
        ("team_member_budget_duration", "budget_duration"),
    ] {
        if let Some(value) = given.get(from) {
            fields.insert(to.into(), value.clone());
        }
    }
    if let Some(id) = metadata
        .get("team_member_budget_id")
        .and_then(Value::as_str)
        && common::update_budget(tx, actor, id, fields.clone())
            .await?
            .is_some()
    {
        return Ok(());
    }
    if !fields.contains_key("budget_duration")
        && let Some(duration @ Value::String(_)) = team_duration
    {
        fields.insert("budget_duration".into(), duration.clone());
    }
    let budget = common::create_budget(tx, actor, fields).await?;
    metadata.insert("team_member_budget_id".into(), budget["budget_id"].clone());
    Ok(())
}

const INSERT_MODEL_SQL: &str = "
    INSERT INTO \"LiteLLM_ModelTable\" AS m (account_id, aliases, created_by, updated_by)
    VALUES ($1, $2, $3, $3) RETURNING m.id, to_jsonb(m.*)";
const LOCK_MODEL_SQL: &str = "
    SELECT to_jsonb(m.*) FROM \"LiteLLM_ModelTable\" m WHERE m.account_id = $1 AND m.id = $2 FOR UPDATE";
const UPDATE_MODEL_SQL: &str = "
    UPDATE \"LiteLLM_ModelTable\" m SET aliases = $3, updated_by = $4
     WHERE m.account_id = $1 AND m.id = $2 RETURNING to_jsonb(m.*)";

/// Stores the team's `model_aliases` in its `LiteLLM_ModelTable` row;
/// returns the row id (`None` unlinks for `null`).
async fn set_model_aliases(
    tx: &TenantTx,
    actor: &Actor,
    current: Option<i32>,
    aliases: &Value,
) -> Result<Option<i32>, ApiError> {
    if aliases.is_null() {
        return Ok(None);
    }
    let account = tx.account_id().uuid();
    let label = actor.label();
    if let Some(id) = current
        && let Some(row) = tx.query_opt(LOCK_MODEL_SQL, &[&account, &id]).await?
    {
        let before: Value = row.get(0);
        let after: Value = tx
            .query_one(UPDATE_MODEL_SQL, &[&account, &id, aliases, &label])
            .await?
            .get(0);
        audited(
            tx,
            actor,
            "updated",
            MODEL_TABLE,
            &id.to_string(),
            Some(before),
            Some(after),
        )
        .await?;
        return Ok(Some(id));
    }
    let row = tx
        .query_one(INSERT_MODEL_SQL, &[&account, aliases, &label])
        .await?;
    let id: i32 = row.get(0);
    audited(
        tx,
        actor,
        "created",
        MODEL_TABLE,
        &id.to_string(),
        None,
        Some(row.get(1)),
    )
    .await?;
    Ok(Some(id))
}

/// Columns that may not be NULL get their empty value for a `null`.
fn clear_team_nulls(fields: &mut Map<String, Value>) {
    common::clear_nulls(
        fields,
        &[
            "models",
            "team_member_permissions",
            "access_group_ids",
            "policies",
        ],
        &["metadata", "model_max_budget"],
    );
    for flag in ["blocked", "allow_team_guardrail_config"] {
        if fields.get(flag).is_some_and(Value::is_null) {
            fields.insert(flag.into(), json!(false));
        }
    }
}

/// Records a team change (the row before and after).
async fn audit_team(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    let id = after
        .as_ref()
        .or(before.as_ref())
        .and_then(|row| row["team_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    audited(tx, actor, action, TABLE, &id, before, after).await
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create::create))
        .routes(routes!(write::update))
        .routes(routes!(write::delete))
        .routes(routes!(read::info))
        .routes(routes!(read::list))
        .routes(routes!(read::list_v2))
        .routes(routes!(read::available))
        .routes(routes!(members::member_add))
        .routes(routes!(members::member_delete))
        .routes(routes!(members::member_update))
        .routes(routes!(write::block))
        .routes(routes!(write::unblock))
        .routes(routes!(write::model_add))
        .routes(routes!(write::model_delete))
        .routes(routes!(read::permissions_list))
        .routes(routes!(write::permissions_update))
        .routes(routes!(bulk::bulk_member_add))
        .routes(routes!(callbacks::add, callbacks::get))
        .routes(routes!(callbacks::disable_logging))
}
