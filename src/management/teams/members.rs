//! Team membership: `/team/member_add`, `/team/member_delete`,
//! `/team/member_update`, and the enrolment other families reuse
//! (`/team/new`, `/user/new`, `/user/delete`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{MEMBERSHIP_TABLE, audit_team, lock, lock_or_404, members, require_team_admin};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::members::{Membership, Roles, names, own_budget, parse_list, parse_member};
use crate::management::rows::{self, Kind};
use crate::management::users::common::{self, invalid};
use crate::management::users::public;
use crate::proxy::ApiError;

pub(super) use crate::management::members::Joiner;

/// How a team checks a member's role (`user` when none is given).
const ROLES: Roles = Roles {
    allowed: &["admin", "user"],
    default: "user",
    expected: "expected admin or user",
};

/// The team's membership row of `user_id`.
fn membership_of<'a>(team_id: &'a str, user_id: &'a str) -> Membership<'a> {
    Membership {
        table: MEMBERSHIP_TABLE,
        owner: team_id,
        user: user_id,
    }
}

/// A member as `/team/member_add` and `members_with_roles` take it.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct Member {
    /// `admin` or `user`.
    role: String,
    user_id: Option<String>,
    user_email: Option<String>,
}

/// One member or a list of them.
pub(super) fn parse_members(value: Option<&Value>, path: &str) -> Result<Vec<Joiner>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => parse_list(items, path, &ROLES),
        Some(item) => Ok(vec![parse_member(item, path, &ROLES)?]),
    }
}

/// What enrolling members changed.
pub(super) struct Enrolled {
    /// The team's `members_with_roles` to store.
    pub members: Vec<Value>,
    pub users: Vec<Value>,
    pub memberships: Vec<Value>,
}

const UPSERT_MEMBERSHIP_SQL: &str = "
    INSERT INTO \"LiteLLM_TeamMembership\" AS m (account_id, user_id, team_id, budget_id)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (account_id, user_id, team_id)
    DO UPDATE SET budget_id = coalesce(EXCLUDED.budget_id, m.budget_id)
    RETURNING to_jsonb(m.*)";

/// Writes a membership row (keeping a stored budget unless one is given).
async fn upsert_membership(
    tx: &TenantTx,
    actor: &Actor,
    team_id: &str,
    user_id: &str,
    budget_id: Option<&str>,
) -> Result<Value, ApiError> {
    let before = rows::get(
        tx,
        MEMBERSHIP_TABLE,
        &[("team_id", team_id), ("user_id", user_id)],
    )
    .await?;
    let after: Value = tx
        .query_one(
            UPSERT_MEMBERSHIP_SQL,
            &[&tx.account_id().uuid(), &user_id, &team_id, &budget_id],
        )
        .await?
        .get(0);
    let action = if before.is_some() {
        "updated"
    } else {
        "created"
    };
    let audit = membership_of(team_id, user_id);
    audit
        .record(tx, actor, action, before, Some(after.clone()))
        .await?;
    Ok(after)
}

/// Adds members to `team` (users are found or created, the team joins their
/// `teams`, each gets a membership row with their budget); members already
/// in the team are skipped. The caller stores the returned
/// `members_with_roles`.
pub(super) async fn enroll(
    tx: &TenantTx,
    actor: &Actor,
    team: &Value,
    joiners: &[Joiner],
    max_budget_in_team: Option<f64>,
) -> Result<Enrolled, ApiError> {
    let team_id = team["team_id"].as_str().unwrap_or_default();
    let default_budget = team["metadata"]["team_member_budget_id"].as_str();
    let mut enrolled = Enrolled {
        members: members(team),
        users: Vec::new(),
        memberships: Vec::new(),
    };
    for joiner in joiners {
        let (user, _) = common::ensure_user(
            tx,
            actor,
            joiner.user_id.as_deref(),
            joiner.user_email.as_deref(),
        )
        .await?;
        let user_id = user["user_id"].as_str().unwrap_or_default().to_owned();
        if enrolled
            .members
            .iter()
            .any(|m| m["user_id"] == user_id.as_str())
        {
            continue;
        }
        let user = common::join_team(tx, actor, &user_id, team_id)
            .await?
            .unwrap_or(user);
        let budget = match max_budget_in_team {
            Some(max) => Some(own_budget(tx, actor, max).await?),
            None => None,
        };
        let budget_id = budget
            .as_ref()
            .and_then(|b| b["budget_id"].as_str())
            .or(default_budget);
        let membership = upsert_membership(tx, actor, team_id, &user_id, budget_id).await?;
        enrolled.members.push(json!({
            "role": joiner.role,
            "user_id": user_id,
            "user_email": joiner.user_email.clone().or_else(|| user["user_email"].as_str().map(str::to_owned)),
        }));
        enrolled.users.push(public(user));
        enrolled.memberships.push(membership);
    }
    Ok(enrolled)
}

const SET_MEMBERS_SQL: &str = "
    UPDATE \"LiteLLM_TeamTable\" t SET members_with_roles = $3
     WHERE t.account_id = $1 AND t.team_id = $2 RETURNING to_jsonb(t.*)";

/// Stores a team's `members_with_roles`; returns the team row.
pub(super) async fn save_members(
    tx: &TenantTx,
    team_id: &str,
    members: Vec<Value>,
) -> Result<Value, ApiError> {
    Ok(tx
        .query_one(
            SET_MEMBERS_SQL,
            &[&tx.account_id().uuid(), &team_id, &Value::Array(members)],
        )
        .await?
        .get(0))
}

/// Makes an existing user a member of a team (for `/user/new`); a team
/// that does not exist is the request's mistake.
pub(in crate::management) async fn enroll_user(
    tx: &TenantTx,
    actor: &Actor,
    team_id: &str,
    user: &Value,
    role: &str,
    max_budget_in_team: Option<f64>,
) -> Result<(), ApiError> {
    let Some(team) = lock(tx, team_id).await? else {
        return Err(invalid("teams", format!("Team not found: {team_id}")));
    };
    let joiner = Joiner {
        role: role.to_owned(),
        user_id: user["user_id"].as_str().map(str::to_owned),
        user_email: None,
    };
    let enrolled = enroll(tx, actor, &team, &[joiner], max_budget_in_team).await?;
    if enrolled.memberships.is_empty() {
        return Ok(());
    }
    let after = save_members(tx, team_id, enrolled.members).await?;
    audit_team(tx, actor, "updated", Some(team), Some(after)).await
}

const TEAMS_OF_MEMBER_SQL: &str = "
    SELECT to_jsonb(t.*) FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1
       AND t.members_with_roles @> jsonb_build_array(jsonb_build_object('user_id', $2::text))
     FOR UPDATE";
const DELETE_MEMBERSHIPS_SQL: &str = "
    DELETE FROM \"LiteLLM_TeamMembership\" m
     WHERE m.account_id = $1 AND m.user_id = $2 AND ($3::text IS NULL OR m.team_id = $3)
    RETURNING to_jsonb(m.*)";

/// Deletes a user's membership rows (of one team, or of all), audited.
async fn drop_memberships(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
    team_id: Option<&str>,
) -> Result<(), ApiError> {
    let deleted = tx
        .query(
            DELETE_MEMBERSHIPS_SQL,
            &[&tx.account_id().uuid(), &user_id, &team_id],
        )
        .await?;
    for row in deleted {
        let membership: Value = row.get(0);
        let team_id = membership["team_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let audit = membership_of(&team_id, user_id);
        audit
            .record(tx, actor, "deleted", Some(membership), None)
            .await?;
    }
    Ok(())
}

/// Takes a user being deleted out of every team's `members_with_roles` and
/// deletes their membership rows.
pub(in crate::management) async fn forget_user(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
) -> Result<(), ApiError> {
    let teams = tx
        .query(TEAMS_OF_MEMBER_SQL, &[&tx.account_id().uuid(), &user_id])
        .await?;
    for row in teams {
        let team: Value = row.get(0);
        let team_id = team["team_id"].as_str().unwrap_or_default().to_owned();
        let remaining: Vec<Value> = members(&team)
            .into_iter()
            .filter(|m| m["user_id"] != user_id)
            .collect();
        let after = save_members(tx, &team_id, remaining).await?;
        audit_team(tx, actor, "updated", Some(team), Some(after)).await?;
    }
    drop_memberships(tx, actor, user_id, None).await
}

/// `{"team_id", "member": Member or [Member], "max_budget_in_team"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct MemberAddRequest {
    team_id: String,
    /// One member or a list.
    member: Vec<Member>,
    max_budget_in_team: Option<f64>,
}

/// The `joiners` not yet in the team's `members_with_roles` (by id or
/// email).
pub(super) fn fresh(team: &Value, joiners: &[Joiner]) -> Vec<Joiner> {
    let existing = members(team);
    joiners
        .iter()
        .filter(|j| !existing.iter().any(|m| j.is(m)))
        .cloned()
        .collect()
}

/// Enrolls `joiners` (none of them in the team yet), stores the team's new
/// `members_with_roles` and audits the team; returns the team row after.
pub(super) async fn add_members(
    tx: &TenantTx,
    actor: &Actor,
    team: Value,
    joiners: &[Joiner],
    max_budget_in_team: Option<f64>,
) -> Result<(Value, Enrolled), ApiError> {
    let team_id = team["team_id"].as_str().unwrap_or_default().to_owned();
    let mut enrolled = enroll(tx, actor, &team, joiners, max_budget_in_team).await?;
    let roster = std::mem::take(&mut enrolled.members);
    let after = save_members(tx, &team_id, roster).await?;
    audit_team(tx, actor, "updated", Some(team), Some(after.clone())).await?;
    Ok((after, enrolled))
}

fn already_in_team(message: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "team_member_already_in_team",
        message,
    )
    .with_param("member")
}

/// Add members by `user_id` or `user_email`; unknown users are created.
/// The account admin or a team admin may call it.
#[utoipa::path(post, path = "/team/member_add", operation_id = "team_member_add", tag = "teams", request_body = MemberAddRequest,
    responses((status = 200, description = "The team row plus `updated_users` and `updated_team_memberships`"),
              (status = 400, description = "The user is already in the team")))]
pub async fn member_add(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let team_id = rows::required_text(&body, "team_id")?;
    let joiners = parse_members(body.get("member"), "member")?;
    if joiners.is_empty() {
        return Err(invalid("member", "No member/members passed in"));
    }
    let options = rows::pick(&body, &[("max_budget_in_team", Kind::Number)])?;
    let max_budget = options.get("max_budget_in_team").and_then(Value::as_f64);
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &team_id).await?;
    require_team_admin(&team, &actor, "/team/member_add")?;
    let fresh = fresh(&team, &joiners);
    if fresh.is_empty() {
        let existing = Value::Array(members(&team));
        return Err(already_in_team(
            match (body.get("member"), joiners.first()) {
                (Some(Value::Array(_)), _) | (_, None) => {
                    format!("All users are already in team. Existing members={existing}")
                }
                (_, Some(j)) => format!(
                    "User already in team. Member: user_id={}, user_email={}. Existing members={existing}",
                    j.user_id.as_deref().unwrap_or("None"),
                    j.user_email.as_deref().unwrap_or("None"),
                ),
            },
        ));
    }
    let (after, enrolled) = add_members(&tx, &actor, team, &fresh, max_budget).await?;
    tx.commit().await?;
    let mut response = after;
    response["updated_users"] = Value::Array(enrolled.users);
    response["updated_team_memberships"] = Value::Array(enrolled.memberships);
    Ok(Json(response))
}

/// `{"team_id", "user_id" or "user_email"}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberRef {
    pub(crate) team_id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) user_email: Option<String>,
}

fn require_member_ref(member: &MemberRef) -> Result<(), ApiError> {
    if member.user_id.is_none() && member.user_email.is_none() {
        return Err(invalid(
            "user_id",
            "Either user_id or user_email needs to be passed in",
        ));
    }
    Ok(())
}

/// Remove a member: from `members_with_roles`, their `teams` and the
/// membership rows. The account admin or a team admin may call it.
#[utoipa::path(post, path = "/team/member_delete", operation_id = "team_member_delete", tag = "teams", request_body = MemberRef,
    responses((status = 200, description = "The team row"), (status = 400, description = "The user is not in the team")))]
pub async fn member_delete(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<MemberRef>,
) -> Result<Json<Value>, ApiError> {
    require_member_ref(&body)?;
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &body.team_id).await?;
    require_team_admin(&team, &actor, "/team/member_delete")?;
    let matches = |m: &Value| names(m, body.user_id.as_deref(), body.user_email.as_deref());
    let (removed, remaining): (Vec<Value>, Vec<Value>) =
        members(&team).into_iter().partition(matches);
    if removed.is_empty() {
        return Err(invalid("user_id", "User not found in team"));
    }
    let after = save_members(&tx, &body.team_id, remaining).await?;
    audit_team(&tx, &actor, "updated", Some(team), Some(after.clone())).await?;
    let mut user_ids: Vec<String> = removed
        .iter()
        .filter_map(|m| m["user_id"].as_str().map(str::to_owned))
        .collect();
    user_ids.extend(body.user_id.clone());
    user_ids.sort();
    user_ids.dedup();
    for user_id in &user_ids {
        common::leave_team(&tx, &actor, user_id, &body.team_id).await?;
        drop_memberships(&tx, &actor, user_id, Some(&body.team_id)).await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}

/// `{"team_id", "user_id"|"user_email", "role", "max_budget_in_team", "tpm_limit", "rpm_limit"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct MemberUpdateRequest {
    team_id: String,
    user_id: Option<String>,
    user_email: Option<String>,
    /// `admin` or `user`.
    role: Option<String>,
    max_budget_in_team: Option<f64>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
}

/// Change a member's role and their own budget in the team (a budget row
/// of their own is created; a shared one is never changed for them). The
/// account admin or a team admin may call it.
#[utoipa::path(post, path = "/team/member_update", operation_id = "team_member_update", tag = "teams", request_body = MemberUpdateRequest,
    responses((status = 200, description = "`{team_id, user_id, user_email, max_budget_in_team, tpm_limit, rpm_limit}`")))]
pub async fn member_update(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let team_id = rows::required_text(&body, "team_id")?;
    let given = rows::pick(
        &body,
        &[
            ("user_id", Kind::Text),
            ("user_email", Kind::Text),
            ("role", Kind::Text),
            ("max_budget_in_team", Kind::Number),
            ("tpm_limit", Kind::Integer),
            ("rpm_limit", Kind::Integer),
        ],
    )?;
    let role = given.get("role").and_then(Value::as_str);
    if role.is_some_and(|r| r != "admin" && r != "user") {
        return Err(invalid("role", "role must be admin or user"));
    }
    let user_email = given.get("user_email").and_then(Value::as_str);
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &team_id).await?;
    require_team_admin(&team, &actor, "/team/member_update")?;
    let mut roster = members(&team);
    let user_id = match (given.get("user_id").and_then(Value::as_str), user_email) {
        (Some(id), _) => id.to_owned(),
        (None, Some(email)) => roster
            .iter()
            .find(|m| m["user_email"] == email)
            .and_then(|m| m["user_id"].as_str())
            .unwrap_or_default()
            .to_owned(),
        (None, None) => {
            return Err(invalid(
                "user_id",
                "Either user_id or user_email needs to be passed in",
            ));
        }
    };
    let Some(entry) = roster.iter_mut().find(|m| m["user_id"] == user_id.as_str()) else {
        return Err(invalid(
            "user_id",
            format!("User id doesn't exist in team table. user_id={user_id}, team_id={team_id}"),
        ));
    };
    let mut budget = Map::new();
    for (from, to) in [
        ("max_budget_in_team", "max_budget"),
        ("tpm_limit", "tpm_limit"),
        ("rpm_limit", "rpm_limit"),
    ] {
        if let Some(value) = given.get(from) {
            budget.insert(to.into(), value.clone());
        }
    }
    if !budget.is_empty() {
        let membership = rows::get(
            &tx,
            MEMBERSHIP_TABLE,
            &[("team_id", &team_id), ("user_id", &user_id)],
        )
        .await?;
        let current = membership.as_ref().and_then(|m| m["budget_id"].as_str());
        let row = common::change_own_budget(&tx, &actor, current, budget).await?;
        let budget_id = row.as_ref().and_then(|b| b["budget_id"].as_str());
        upsert_membership(&tx, &actor, &team_id, &user_id, budget_id).await?;
    }
    if let Some(role) = role {
        entry["role"] = json!(role);
        if let Some(email) = user_email {
            entry["user_email"] = json!(email);
        }
        let after = save_members(&tx, &team_id, roster).await?;
        audit_team(&tx, &actor, "updated", Some(team), Some(after)).await?;
    }
    tx.commit().await?;
    Ok(Json(json!({
        "team_id": team_id,
        "user_id": user_id,
        "user_email": user_email,
        "max_budget_in_team": given.get("max_budget_in_team"),
        "tpm_limit": given.get("tpm_limit"),
        "rpm_limit": given.get("rpm_limit"),
    })))
}
