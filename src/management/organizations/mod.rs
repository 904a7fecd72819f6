//! Organizations (`LiteLLM_OrganizationTable`): budget, models and spend
//! above teams. Every organization points to a `LiteLLM_BudgetTable` row
//! (one is created when none is named); members are
//! `LiteLLM_OrganizationMembership` rows with an org role and an optional
//! budget of their own.

pub(crate) mod members;
pub(crate) mod read;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows::{self, Field, Kind};
use crate::management::users::common::{
    self, BUDGET_FIELDS, BUDGET_TABLE, KeyOwner, audited, invalid,
};
use crate::proxy::ApiError;

pub(in crate::management) use members::enroll_user;

const TABLE: &str = "LiteLLM_OrganizationTable";
const MEMBERSHIP_TABLE: &str = "LiteLLM_OrganizationMembership";

/// Organization columns clients may set.
const FIELDS: [Field; 4] = [
    ("organization_alias", Kind::Text),
    ("models", Kind::TextList),
    ("metadata", Kind::Object),
    ("budget_id", Kind::Text),
];

/// Request fields LiteLLM keeps in the organization's `metadata`.
const META_FIELDS: [Field; 5] = [
    ("tags", Kind::TextList),
    ("guardrails", Kind::TextList),
    ("prompts", Kind::TextList),
    ("model_rpm_limit", Kind::Object),
    ("model_tpm_limit", Kind::Object),
];

/// An organization as the API shows it: with its budget row, members,
/// teams and object permissions.
macro_rules! org_view {
    () => {
        "to_jsonb(o.*) || jsonb_build_object(
           'litellm_budget_table', (SELECT to_jsonb(b) FROM \"LiteLLM_BudgetTable\" b
                                     WHERE b.account_id = o.account_id AND b.budget_id = o.budget_id),
           'members', coalesce((SELECT jsonb_agg(to_jsonb(m.*) || jsonb_build_object('litellm_budget_table', to_jsonb(mb))
                                                 ORDER BY m.created_at, m.user_id)
                                  FROM (SELECT * FROM \"LiteLLM_OrganizationMembership\" m0
                                         WHERE m0.account_id = o.account_id AND m0.organization_id = o.organization_id
                                         ORDER BY m0.created_at, m0.user_id LIMIT 1000) m
                                  LEFT JOIN \"LiteLLM_BudgetTable\" mb
                                         ON mb.account_id = m.account_id AND mb.budget_id = m.budget_id),
                               '[]'::jsonb),
           'teams', coalesce((SELECT jsonb_agg(to_jsonb(t.*) ORDER BY t.created_at, t.team_id)
                                FROM (SELECT * FROM \"LiteLLM_TeamTable\" t0
                                       WHERE t0.account_id = o.account_id AND t0.organization_id = o.organization_id
                                       ORDER BY t0.created_at, t0.team_id LIMIT 1000) t), '[]'::jsonb),
           'object_permission', (SELECT to_jsonb(p) FROM \"LiteLLM_ObjectPermissionTable\" p
                                  WHERE p.account_id = o.account_id
                                    AND p.object_permission_id = o.object_permission_id))"
    };
}

const VIEW_SQL: &str = concat!(
    "SELECT ",
    org_view!(),
    " FROM \"LiteLLM_OrganizationTable\" o WHERE o.account_id = $1 AND o.organization_id = $2"
);
const LIST_SQL: &str = concat!(
    "SELECT ",
    org_view!(),
    " FROM \"LiteLLM_OrganizationTable\" o
     WHERE o.account_id = $1
       AND ($2::text IS NULL OR o.organization_id = $2)
       AND ($3::text IS NULL OR strpos(lower(o.organization_alias), lower($3)) > 0)
       AND ($4::bool OR EXISTS (SELECT 1 FROM \"LiteLLM_OrganizationMembership\" m
                                 WHERE m.account_id = o.account_id AND m.organization_id = o.organization_id
                                   AND m.user_id = $5))
     ORDER BY o.created_at, o.organization_id
     LIMIT $6"
);

/// The API view of one organization.
async fn view(tx: &TenantTx, org_id: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_opt(VIEW_SQL, &[&tx.account_id().uuid(), &org_id])
        .await?
        .map(|row| row.get(0)))
}

/// The organization's `metadata`: the given object (or the stored one) with
/// the metadata-held request fields on top.
fn build_metadata(
    body: &Map<String, Value>,
    stored: Option<&Value>,
    given: Option<&Value>,
) -> Result<Map<String, Value>, ApiError> {
    let extra = rows::pick(body, &META_FIELDS)?;
    common::check_model_limits(&extra, "model_rpm_limit")?;
    common::check_model_limits(&extra, "model_tpm_limit")?;
    let mut metadata = match (given, stored) {
        (Some(Value::Object(given)), _) => given.clone(),
        (_, Some(Value::Object(stored))) => stored.clone(),
        _ => Map::new(),
    };
    for (name, value) in extra {
        if value.is_null() {
            metadata.remove(&name);
        } else {
            metadata.insert(name, value);
        }
    }
    Ok(metadata)
}

/// A new organization.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct NewOrganizationRequest {
    organization_alias: String,
    /// Generated when absent.
    organization_id: Option<String>,
    models: Option<Vec<String>>,
    /// An existing budget; else one is created from the fields below.
    budget_id: Option<String>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    budget_duration: Option<String>,
    model_max_budget: Option<Value>,
    metadata: Option<Value>,
    model_rpm_limit: Option<Value>,
    model_tpm_limit: Option<Value>,
    object_permission: Option<Value>,
}

/// Create an organization. Without `budget_id` a budget row is created from
/// the inline budget fields (even when there are none).
#[utoipa::path(post, path = "/organization/new", operation_id = "organization_new", tag = "organizations", request_body = NewOrganizationRequest,
    responses((status = 200, description = "The organization with `litellm_budget_table`")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/organization/new")?;
    rows::required_text(&body, "organization_alias")?;
    let ids = rows::pick(&body, &[("organization_id", Kind::Text)])?;
    let org_id = ids
        .get("organization_id")
        .and_then(Value::as_str)
        .map_or_else(common::new_id, str::to_owned);
    let mut row = rows::pick(&body, &FIELDS)?;
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    common::check_not_negative(&budget, &["max_budget", "soft_budget"])?;
    let metadata = build_metadata(&body, None, row.get("metadata"))?;
    row.insert("metadata".into(), Value::Object(metadata));
    common::clear_nulls(&mut row, &["models"], &[]);
    let tx = state.db().tenant(actor.account).await?;
    if rows::get(&tx, TABLE, &[("organization_id", &org_id)])
        .await?
        .is_some()
    {
        return Err(invalid(
            "organization_id",
            format!(
                "Organization id = {org_id} already exists. Please use a different organization id."
            ),
        ));
    }
    match row.get("budget_id").and_then(Value::as_str) {
        Some(id) => {
            if rows::get(&tx, BUDGET_TABLE, &[("budget_id", id)])
                .await?
                .is_none()
            {
                return Err(invalid("budget_id", format!("Budget not found: {id}")));
            }
        }
        None => {
            let created = common::create_budget(&tx, &actor, budget).await?;
            row.insert("budget_id".into(), created["budget_id"].clone());
        }
    }
    if let Some(permission) = body.get("object_permission") {
        let id = common::set_object_permission(&tx, &actor, None, permission).await?;
        row.insert("object_permission_id".into(), json!(id));
    }
    row.insert("organization_id".into(), json!(org_id));
    row.insert("created_by".into(), common::by(&actor));
    row.insert("updated_by".into(), common::by(&actor));
    let stored = rows::insert(&tx, TABLE, row).await?;
    audited(&tx, &actor, "created", TABLE, &org_id, None, Some(stored)).await?;
    let shown = view(&tx, &org_id).await?;
    tx.commit().await?;
    shown
        .map(Json)
        .ok_or_else(|| rows::not_found("Organization", &org_id))
}

/// `organization_id` plus the fields to change; budget fields change the
/// organization's budget row (flat, or nested in `litellm_budget_table`).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct UpdateOrganizationRequest {
    organization_id: String,
    organization_alias: Option<String>,
    models: Option<Vec<String>>,
    budget_id: Option<String>,
    max_budget: Option<f64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    budget_duration: Option<String>,
    metadata: Option<Value>,
    litellm_budget_table: Option<Value>,
    object_permission: Option<Value>,
}

const LOCK_SQL: &str = "
    SELECT to_jsonb(o.*) FROM \"LiteLLM_OrganizationTable\" o
     WHERE o.account_id = $1 AND o.organization_id = $2 FOR UPDATE";

/// Change an organization and its budget.
#[utoipa::path(patch, path = "/organization/update", operation_id = "organization_update", tag = "organizations", request_body = UpdateOrganizationRequest,
    responses((status = 200, description = "The organization with members, teams and budget"),
              (status = 404, description = "No such organization")))]
pub(crate) async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Body(mut body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/organization/update")?;
    let org_id = rows::required_text(&body, "organization_id")?;
    if let Some(Value::Object(nested)) = body.remove("litellm_budget_table") {
        for (name, value) in nested {
            if BUDGET_FIELDS.iter().any(|(field, _)| *field == name) && !value.is_null() {
                body.entry(name).or_insert(value);
            }
        }
    }
    let mut changes = rows::pick(&body, &FIELDS)?;
    let budget = rows::pick(&body, &BUDGET_FIELDS)?;
    common::check_not_negative(&budget, &["max_budget", "soft_budget"])?;
    common::clear_nulls(&mut changes, &["models"], &["metadata"]);
    if changes.get("budget_id").is_some_and(Value::is_null) {
        return Err(invalid(
            "budget_id",
            "An organization always has a budget: budget_id cannot be null",
        ));
    }
    let tx = state.db().tenant(actor.account).await?;
    let Some(row) = tx
        .query_opt(LOCK_SQL, &[&actor.account.uuid(), &org_id])
        .await?
    else {
        return Err(rows::not_found("Organization", &org_id));
    };
    let before: Value = row.get(0);
    let metadata = build_metadata(&body, before.get("metadata"), changes.get("metadata"))?;
    changes.insert("metadata".into(), Value::Object(metadata));
    if !budget.is_empty() {
        let current = changes
            .get("budget_id")
            .and_then(Value::as_str)
            .or(before["budget_id"].as_str());
        if let Some(row) = common::change_own_budget(&tx, &actor, current, budget).await? {
            changes.insert("budget_id".into(), row["budget_id"].clone());
        }
    }
    if let Some(permission) = body.get("object_permission") {
        let current = before["object_permission_id"].as_str();
        let id = common::set_object_permission(&tx, &actor, current, permission).await?;
        changes.insert("object_permission_id".into(), json!(id));
    }
    changes.insert("updated_by".into(), common::by(&actor));
    let Some((before, after)) =
        rows::update(&tx, TABLE, &[("organization_id", &org_id)], changes).await?
    else {
        return Err(rows::not_found("Organization", &org_id));
    };
    audited(
        &tx,
        &actor,
        "updated",
        TABLE,
        &org_id,
        Some(before),
        Some(after),
    )
    .await?;
    let shown = view(&tx, &org_id).await?;
    tx.commit().await?;
    shown
        .map(Json)
        .ok_or_else(|| rows::not_found("Organization", &org_id))
}

/// `{"organization_ids": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteOrganizationsRequest {
    pub(crate) organization_ids: Vec<String>,
}

const ORG_TEAMS_SQL: &str = "
    SELECT t.team_id FROM \"LiteLLM_TeamTable\" t WHERE t.account_id = $1 AND t.organization_id = $2";
const DELETE_MEMBERSHIPS_SQL: &str = "
    DELETE FROM \"LiteLLM_OrganizationMembership\" m
     WHERE m.account_id = $1 AND m.organization_id = $2 RETURNING to_jsonb(m.*)";

/// Delete organizations with their teams, keys and memberships (as LiteLLM
/// does); the budget row goes too when nothing else uses it. Every id must
/// exist, or nothing is deleted.
#[utoipa::path(delete, path = "/organization/delete", operation_id = "organization_delete", tag = "organizations", request_body = DeleteOrganizationsRequest,
    responses((status = 200, description = "The deleted organizations"), (status = 404, description = "No such organization")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<DeleteOrganizationsRequest>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/organization/delete")?;
    let account = actor.account.uuid();
    let tx = state.db().tenant(actor.account).await?;
    let mut deleted = Vec::new();
    for org_id in &body.organization_ids {
        let Some(shown) = view(&tx, org_id).await? else {
            return Err(rows::not_found("Organization", org_id));
        };
        for row in tx.query(ORG_TEAMS_SQL, &[&account, org_id]).await? {
            let team_id: String = row.get(0);
            crate::management::teams::delete_team(&tx, &actor, &team_id).await?;
        }
        common::delete_keys(&tx, &actor, KeyOwner::Organization(org_id)).await?;
        for row in tx
            .query(DELETE_MEMBERSHIPS_SQL, &[&account, org_id])
            .await?
        {
            let membership: Value = row.get(0);
            let id = format!(
                "{org_id}:{}",
                membership["user_id"].as_str().unwrap_or_default()
            );
            audited(
                &tx,
                &actor,
                "deleted",
                MEMBERSHIP_TABLE,
                &id,
                Some(membership),
                None,
            )
            .await?;
        }
        let Some(row) = rows::delete(&tx, TABLE, &[("organization_id", org_id)]).await? else {
            return Err(rows::not_found("Organization", org_id));
        };
        audited(
            &tx,
            &actor,
            "deleted",
            TABLE,
            org_id,
            Some(row.clone()),
            None,
        )
        .await?;
        if let Some(budget_id) = row["budget_id"].as_str()
            && common::budget_references(&tx, budget_id).await? == 0
            && let Some(budget) =
                rows::delete(&tx, BUDGET_TABLE, &[("budget_id", budget_id)]).await?
        {
            audited(
                &tx,
                &actor,
                "deleted",
                BUDGET_TABLE,
                budget_id,
                Some(budget),
                None,
            )
            .await?;
        }
        deleted.push(shown);
    }
    tx.commit().await?;
    Ok(Json(Value::Array(deleted)))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(update))
        .routes(routes!(delete))
        .routes(routes!(read::info))
        .routes(routes!(read::list))
        .routes(routes!(members::member_add))
        .routes(routes!(members::member_update))
        .routes(routes!(members::member_delete))
}
