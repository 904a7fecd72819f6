//! Organization membership: `/organization/member_add`,
//! `/organization/member_update`, `/organization/member_delete`. The
//! account admin and the organization's `org_admin`s manage members.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{MEMBERSHIP_TABLE, TABLE};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::members::{Membership, Roles, bad, own_budget, parse_list, parse_member};
use crate::management::rows::{self, Kind};
use crate::management::users::common::{self, forbidden, invalid};
use crate::management::users::public;
use crate::proxy::ApiError;

/// The roles a member may have in an organization.
const ORG_ROLES: [&str; 3] = ["org_admin", "internal_user", "internal_user_viewer"];

/// A member as `/organization/member_add` takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct OrgMember {
    /// `org_admin`, `internal_user` or `internal_user_viewer`.
    role: String,
    user_id: Option<String>,
    user_email: Option<String>,
}

/// How `/organization/member_add` checks a member's role.
const ROLES: Roles = Roles {
    allowed: &ORG_ROLES,
    default: "",
    expected: "expected org_admin, internal_user or internal_user_viewer",
};

/// The organization's membership row of `user_id`.
fn membership_of<'a>(org_id: &'a str, user_id: &'a str) -> Membership<'a> {
    Membership {
        table: MEMBERSHIP_TABLE,
        owner: org_id,
        user: user_id,
    }
}

/// 404 unless the organization exists; then 403 unless the actor may
/// manage its members.
async fn open_org(tx: &TenantTx, actor: &Actor, org_id: &str) -> Result<(), ApiError> {
    if rows::get(tx, TABLE, &[("organization_id", org_id)])
        .await?
        .is_none()
    {
        return Err(rows::not_found("Organization", org_id));
    }
    require_org_admin(tx, actor, org_id).await
}

/// Refuses anyone but the account admin and the organization's admins.
async fn require_org_admin(tx: &TenantTx, actor: &Actor, org_id: &str) -> Result<(), ApiError> {
    if actor.is_admin() {
        return Ok(());
    }
    if let Some(user_id) = &actor.user_id
        && let Some(membership) = rows::get(
            tx,
            MEMBERSHIP_TABLE,
            &[("organization_id", org_id), ("user_id", user_id)],
        )
        .await?
        && membership["user_role"] == "org_admin"
    {
        return Ok(());
    }
    Err(forbidden(format!(
        "Only proxy admins and the organization's org_admins may manage its members. organization_id={org_id}"
    )))
}

/// Adds a user to an organization, with a budget of their own when
/// `max_budget` is given; an existing membership is returned as is.
async fn add_membership(
    tx: &TenantTx,
    actor: &Actor,
    org_id: &str,
    user_id: &str,
    role: &str,
    max_budget: Option<f64>,
) -> Result<(Value, bool), ApiError> {
    let keys = [("organization_id", org_id), ("user_id", user_id)];
    if let Some(existing) = rows::get(tx, MEMBERSHIP_TABLE, &keys).await? {
        return Ok((existing, false));
    }
    let mut row = Map::new();
    row.insert("organization_id".into(), json!(org_id));
    row.insert("user_id".into(), json!(user_id));
    row.insert("user_role".into(), json!(role));
    if let Some(max) = max_budget {
        let budget = own_budget(tx, actor, max).await?;
        row.insert("budget_id".into(), budget["budget_id"].clone());
    }
    let stored = rows::insert(tx, MEMBERSHIP_TABLE, row).await?;
    let audit = membership_of(org_id, user_id);
    audit
        .record(tx, actor, "created", None, Some(stored.clone()))
        .await?;
    Ok((stored, true))
}

/// Makes an existing user a member (for `/user/new`'s `organizations`); an
/// organization that does not exist is the request's mistake.
pub(in crate::management) async fn enroll_user(
    tx: &TenantTx,
    actor: &Actor,
    org_id: &str,
    user_id: &str,
    role: &str,
    max_budget: Option<f64>,
) -> Result<Value, ApiError> {
    if rows::get(tx, TABLE, &[("organization_id", org_id)])
        .await?
        .is_none()
    {
        return Err(invalid(
            "organizations",
            format!("Organization not found: {org_id}"),
        ));
    }
    add_membership(tx, actor, org_id, user_id, role, max_budget)
        .await
        .map(|(membership, _)| membership)
}

/// `{"organization_id", "member": OrgMember or [OrgMember], "max_budget_in_organization"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct MemberAddRequest {
    organization_id: String,
    /// One member or a list.
    member: Vec<OrgMember>,
    max_budget_in_organization: Option<f64>,
}

/// Add members by `user_id` or `user_email`; unknown users are created.
#[utoipa::path(post, path = "/organization/member_add", operation_id = "organization_member_add", tag = "organizations", request_body = MemberAddRequest,
    responses((status = 200, description = "`{organization_id, updated_users, updated_organization_memberships}`"),
              (status = 400, description = "Already a member")))]
pub async fn member_add(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let org_id = rows::required_text(&body, "organization_id")?;
    let joiners = match body.get("member") {
        Some(Value::Array(items)) => parse_list(items, "member", &ROLES)?,
        Some(item @ Value::Object(_)) => vec![parse_member(item, "member", &ROLES)?],
        _ => return Err(bad("member", "a member or a list of members is required")),
    };
    let options = rows::pick(&body, &[("max_budget_in_organization", Kind::Number)])?;
    let max_budget = options
        .get("max_budget_in_organization")
        .and_then(Value::as_f64);
    let tx = state.db().tenant(actor.account).await?;
    open_org(&tx, &actor, &org_id).await?;
    let (mut users, mut memberships) = (Vec::new(), Vec::new());
    for joiner in &joiners {
        let (user, _) = common::ensure_user(
            &tx,
            &actor,
            joiner.user_id.as_deref(),
            joiner.user_email.as_deref(),
        )
        .await?;
        let user_id = user["user_id"].as_str().unwrap_or_default().to_owned();
        let (membership, created) =
            add_membership(&tx, &actor, &org_id, &user_id, &joiner.role, max_budget).await?;
        if !created {
            return Err(invalid(
                "member",
                format!(
                    "User already in organization. user_id={user_id}, organization_id={org_id}"
                ),
            ));
        }
        users.push(public(user));
        memberships.push(membership);
    }
    tx.commit().await?;
    Ok(Json(json!({
        "organization_id": org_id,
        "updated_users": users,
        "updated_organization_memberships": memberships,
    })))
}

/// The member a request names, by `user_id` or else `user_email`.
async fn member_id(tx: &TenantTx, body: &Map<String, Value>) -> Result<String, ApiError> {
    match (body.get("user_id"), body.get("user_email")) {
        (Some(Value::String(id)), _) => Ok(id.clone()),
        (_, Some(Value::String(email))) => common::user_by_email(tx, email)
            .await?
            .and_then(|user| user["user_id"].as_str().map(str::to_owned))
            .ok_or_else(|| rows::not_found("User", email)),
        _ => Err(invalid(
            "user_id",
            "Either user_id or user_email must be provided",
        )),
    }
}

/// `{"organization_id", "user_id"|"user_email", "role", "max_budget_in_organization"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct MemberUpdateRequest {
    organization_id: String,
    user_id: Option<String>,
    user_email: Option<String>,
    role: Option<String>,
    max_budget_in_organization: Option<f64>,
}

/// Change a member's org role or their own budget in the organization.
#[utoipa::path(patch, path = "/organization/member_update", operation_id = "organization_member_update", tag = "organizations", request_body = MemberUpdateRequest,
    responses((status = 200, description = "The membership with `litellm_budget_table`"),
              (status = 404, description = "Not a member")))]
pub async fn member_update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let org_id = rows::required_text(&body, "organization_id")?;
    let given = rows::pick(
        &body,
        &[
            ("role", Kind::Text),
            ("max_budget_in_organization", Kind::Number),
        ],
    )?;
    if let Some(role) = given.get("role").and_then(Value::as_str)
        && !ORG_ROLES.contains(&role)
    {
        return Err(invalid(
            "role",
            "role must be org_admin, internal_user or internal_user_viewer",
        ));
    }
    let tx = state.db().tenant(actor.account).await?;
    open_org(&tx, &actor, &org_id).await?;
    let user_id = member_id(&tx, &body).await?;
    let keys = [
        ("organization_id", org_id.as_str()),
        ("user_id", user_id.as_str()),
    ];
    let Some(membership) = rows::get(&tx, MEMBERSHIP_TABLE, &keys).await? else {
        return Err(rows::not_found("Member of the organization", &user_id));
    };
    let mut changes = Map::new();
    if let Some(role) = given.get("role").filter(|r| r.is_string()) {
        changes.insert("user_role".into(), role.clone());
    }
    if let Some(max) = given.get("max_budget_in_organization") {
        let fields = Map::from_iter([("max_budget".to_owned(), max.clone())]);
        let current = membership["budget_id"].as_str();
        if let Some(budget) = common::change_own_budget(&tx, &actor, current, fields).await? {
            changes.insert("budget_id".into(), budget["budget_id"].clone());
        }
    }
    let after = match rows::update(&tx, MEMBERSHIP_TABLE, &keys, changes).await? {
        Some((before, after)) if before != after => {
            let audit = membership_of(&org_id, &user_id);
            audit
                .record(&tx, &actor, "updated", Some(before), Some(after.clone()))
                .await?;
            after
        }
        Some((_, after)) => after,
        None => membership,
    };
    let budget = match after["budget_id"].as_str() {
        Some(id) => rows::get(&tx, common::BUDGET_TABLE, &[("budget_id", id)]).await?,
        None => None,
    };
    tx.commit().await?;
    let mut shown = after;
    if let Value::Object(map) = &mut shown {
        map.insert("litellm_budget_table".into(), budget.unwrap_or(Value::Null));
    }
    Ok(Json(shown))
}

/// `{"organization_id", "user_id"|"user_email"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct MemberDeleteRequest {
    organization_id: String,
    user_id: Option<String>,
    user_email: Option<String>,
}

/// Remove a member from an organization.
#[utoipa::path(delete, path = "/organization/member_delete", operation_id = "organization_member_delete", tag = "organizations", request_body = MemberDeleteRequest,
    responses((status = 200, description = "The deleted membership"), (status = 404, description = "Not a member")))]
pub async fn member_delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let org_id = rows::required_text(&body, "organization_id")?;
    let tx = state.db().tenant(actor.account).await?;
    open_org(&tx, &actor, &org_id).await?;
    let user_id = member_id(&tx, &body).await?;
    let keys = [
        ("organization_id", org_id.as_str()),
        ("user_id", user_id.as_str()),
    ];
    let Some(deleted) = rows::delete(&tx, MEMBERSHIP_TABLE, &keys).await? else {
        return Err(rows::not_found("Member of the organization", &user_id));
    };
    let audit = membership_of(&org_id, &user_id);
    audit
        .record(&tx, &actor, "deleted", Some(deleted.clone()), None)
        .await?;
    tx.commit().await?;
    Ok(Json(deleted))
}
