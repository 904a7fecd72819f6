//! Reading teams: `/team/info`, `/team/list`, `/v2/team/list`,
//! `/team/available`, `/team/permissions_list`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::{
    DEFAULT_MEMBER_PERMISSIONS, MEMBER_PERMISSIONS, TABLE, is_member, is_team_admin, strings,
};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::paging::PageQuery;
use crate::management::rows;
use crate::management::users::common::{LIST_LIMIT, USER_TABLE, forbidden, invalid};
use crate::proxy::ApiError;

/// `?team_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TeamQuery {
    pub(crate) team_id: String,
}

const INFO_SQL: &str = "
    SELECT to_jsonb(t.*) || jsonb_build_object(
             'team_member_budget_table', (SELECT to_jsonb(b) FROM \"LiteLLM_BudgetTable\" b
                                           WHERE b.account_id = t.account_id
                                             AND b.budget_id = t.metadata->>'team_member_budget_id'),
             'litellm_model_table', (SELECT to_jsonb(m) FROM \"LiteLLM_ModelTable\" m
                                      WHERE m.account_id = t.account_id AND m.id = t.model_id),
             'object_permission', (SELECT to_jsonb(p) FROM \"LiteLLM_ObjectPermissionTable\" p
                                    WHERE p.account_id = t.account_id
                                      AND p.object_permission_id = t.object_permission_id))
      FROM \"LiteLLM_TeamTable\" t WHERE t.account_id = $1 AND t.team_id = $2";
const TEAM_KEYS_SQL: &str = "
    SELECT to_jsonb(k.*) FROM \"LiteLLM_VerificationToken\" k
     WHERE k.account_id = $1 AND k.team_id = $2 ORDER BY k.created_at LIMIT $3";
const TEAM_MEMBERSHIPS_SQL: &str = "
    SELECT to_jsonb(m.*) || jsonb_build_object('litellm_budget_table', to_jsonb(b))
      FROM \"LiteLLM_TeamMembership\" m
      LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = m.account_id AND b.budget_id = m.budget_id
     WHERE m.account_id = $1 AND m.team_id = $2 ORDER BY m.user_id LIMIT $3";

fn values(rows: Vec<tokio_postgres::Row>) -> Value {
    Value::Array(rows.iter().map(|row| row.get(0)).collect())
}

/// A team with its keys and memberships. Admins and viewers, the team's
/// members and the team's keys may read it.
#[utoipa::path(get, path = "/team/info", operation_id = "team_info", tag = "teams", params(TeamQuery),
    responses((status = 200, description = "`{team_id, team_info, keys, team_memberships}`"),
              (status = 403, description = "Not a member"), (status = 404, description = "No such team")))]
pub async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<TeamQuery>,
) -> Result<Json<Value>, ApiError> {
    let account = actor.account.uuid();
    let team_id = query.team_id;
    let tx = state.db().tenant(actor.account).await?;
    let Some(row) = tx.query_opt(INFO_SQL, &[&account, &team_id]).await? else {
        return Err(rows::not_found("Team", &team_id));
    };
    let team: Value = row.get(0);
    let allowed = actor.sees_everything()
        || actor.team_id.as_deref() == Some(team_id.as_str())
        || is_member(&team, actor.user_id.as_deref());
    if !allowed {
        return Err(forbidden(format!(
            "User={} not authorized to access this team={team_id}",
            actor.user_id.as_deref().unwrap_or("None")
        )));
    }
    let keys = tx
        .query(TEAM_KEYS_SQL, &[&account, &team_id, &LIST_LIMIT])
        .await?;
    let memberships = tx
        .query(TEAM_MEMBERSHIPS_SQL, &[&account, &team_id, &LIST_LIMIT])
        .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "team_id": team_id,
        "team_info": team,
        "keys": values(keys),
        "team_memberships": values(memberships),
    })))
}

/// `/team/list` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListQuery {
    /// Only teams with this member.
    user_id: Option<String>,
    /// Only this organization's teams (`default_organization`: teams in none).
    organization_id: Option<String>,
}

const LIST_SQL: &str = "
    SELECT to_jsonb(t.*) || jsonb_build_object(
             'keys', coalesce((SELECT jsonb_agg(to_jsonb(k.*) ORDER BY k.created_at)
                                 FROM (SELECT * FROM \"LiteLLM_VerificationToken\" k0
                                        WHERE k0.account_id = t.account_id AND k0.team_id = t.team_id
                                        ORDER BY k0.created_at LIMIT $4) k), '[]'::jsonb),
             'team_memberships', coalesce((SELECT jsonb_agg(to_jsonb(m.*) || jsonb_build_object('litellm_budget_table', to_jsonb(b)))
                                             FROM (SELECT * FROM \"LiteLLM_TeamMembership\" m0
                                                    WHERE m0.account_id = t.account_id AND m0.team_id = t.team_id
                                                      AND ($2::text IS NULL OR m0.user_id = $2)
                                                    ORDER BY m0.user_id LIMIT $4) m
                                             LEFT JOIN \"LiteLLM_BudgetTable\" b
                                                    ON b.account_id = m.account_id AND b.budget_id = m.budget_id),
                                          '[]'::jsonb))
      FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1
       AND ($2::text IS NULL
            OR t.members_with_roles @> jsonb_build_array(jsonb_build_object('user_id', $2::text)))
       AND ($3::text IS NULL
            OR ($3 = 'default_organization' AND t.organization_id IS NULL)
            OR t.organization_id = $3)
     ORDER BY coalesce(t.team_alias, ''), t.team_id
     LIMIT $4";

/// The user whose teams a non-admin caller may list: themselves only.
fn own_user(actor: &Actor, requested: Option<String>) -> Result<Option<String>, ApiError> {
    if actor.sees_everything() {
        return Ok(requested);
    }
    match (requested, &actor.user_id) {
        (None, Some(own)) => Ok(Some(own.clone())),
        (Some(id), Some(own)) if &id == own => Ok(Some(id)),
        _ => Err(ApiError::auth(format!(
            "Only admin users can query all teams/other teams. Your user role={}",
            actor.role.name()
        ))),
    }
}

/// The account's teams (bounded), each with its keys and memberships.
/// Non-admins see the teams they are members of.
#[utoipa::path(get, path = "/team/list", operation_id = "team_list", tag = "teams", params(ListQuery),
    responses((status = 200, description = "A list of teams, each with `keys` and `team_memberships`")))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let user_id = own_user(&actor, query.user_id)?;
    let tx = state.db().tenant(actor.account).await?;
    let teams = tx
        .query(
            LIST_SQL,
            &[
                &actor.account.uuid(),
                &user_id,
                &query.organization_id,
                &LIST_LIMIT,
            ],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(values(teams)))
}

/// `/v2/team/list` filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListV2Query {
    /// Only the teams in this user's `teams`.
    pub(crate) user_id: Option<String>,
    pub(crate) organization_id: Option<String>,
    pub(crate) team_id: Option<String>,
    /// Partial, case-insensitive.
    pub(crate) team_alias: Option<String>,
    pub(crate) page: i64,
    #[serde(alias = "size")]
    pub(crate) page_size: i64,
    /// `team_id`, `team_alias` or `created_at` (default, newest first).
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    /// Part of the alias or of the id (the console's search box; not a
    /// LiteLLM parameter).
    #[serde(skip)]
    #[param(ignore)]
    pub(crate) search: Option<String>,
}

impl Default for ListV2Query {
    fn default() -> Self {
        Self {
            user_id: None,
            organization_id: None,
            team_id: None,
            team_alias: None,
            page: 1,
            page_size: 10,
            sort_by: None,
            sort_order: None,
            search: None,
        }
    }
}

const LIST_V2_FILTER: &str = "
      FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1
       AND ($2::text IS NULL OR t.team_id = $2)
       AND ($3::text[] IS NULL OR t.team_id = ANY($3))
       AND ($4::text IS NULL OR strpos(lower(coalesce(t.team_alias, '')), lower($4)) > 0)
       AND ($5::text IS NULL OR t.organization_id = $5)
       AND ($6::text IS NULL OR strpos(lower(coalesce(t.team_alias, '')), lower($6)) > 0
            OR strpos(lower(t.team_id), lower($6)) > 0)";

/// The ORDER BY clause: only whitelisted column names reach the SQL.
fn order_by(query: &ListV2Query) -> &'static str {
    let descending = query
        .sort_order
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("desc"));
    match (query.sort_by.as_deref(), descending) {
        (Some("team_id"), false) => "t.team_id ASC",
        (Some("team_id"), true) => "t.team_id DESC",
        (Some("team_alias"), false) => "t.team_alias ASC NULLS LAST, t.team_id",
        (Some("team_alias"), true) => "t.team_alias DESC NULLS LAST, t.team_id",
        (Some("created_at"), false) => "t.created_at ASC, t.team_id",
        _ => "t.created_at DESC, t.team_id",
    }
}

/// A page of teams. Non-admins see the teams they belong to.
#[utoipa::path(get, path = "/v2/team/list", operation_id = "v2_team_list", tag = "teams", params(ListV2Query),
    responses((status = 200, description = "`{teams, total, page, page_size, total_pages}`")))]
pub async fn list_v2(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListV2Query>,
) -> Result<Json<Value>, ApiError> {
    let user_id = own_user(&actor, query.user_id.clone())?;
    let page = PageQuery {
        page: query.page,
        size: query.page_size,
    }
    .clamped();
    let account = actor.account.uuid();
    let tx = state.db().tenant(actor.account).await?;
    let mut in_teams: Option<Vec<String>> = None;
    if let Some(user_id) = &user_id {
        let Some(user) = rows::get(&tx, USER_TABLE, &[("user_id", user_id)]).await? else {
            return Err(rows::not_found("User", user_id));
        };
        let teams = strings(&user["teams"]);
        if let Some(team_id) = &query.team_id
            && !teams.contains(team_id)
        {
            return Err(rows::not_found("Team", team_id));
        }
        in_teams = Some(teams);
    }
    // Only the whitelisted ORDER BY text is spliced in; every value is bound.
    let select = format!(
        "SELECT to_jsonb(t.*){LIST_V2_FILTER} ORDER BY {} LIMIT $7 OFFSET $8",
        order_by(&query)
    );
    let count = format!("SELECT count(*){LIST_V2_FILTER}");
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let filters: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
        &account,
        &query.team_id,
        &in_teams,
        &query.team_alias,
        &query.organization_id,
        &search,
    ];
    let (limit, offset) = (page.limit(), page.offset());
    let mut params = filters.to_vec();
    params.push(&limit);
    params.push(&offset);
    let teams = tx.query(&select, &params).await?;
    let total: i64 = tx.query_one(&count, &filters).await?.get(0);
    tx.commit().await?;
    Ok(Json(json!({
        "teams": values(teams),
        "total": total,
        "page": page.page,
        "page_size": page.size,
        "total_pages": page.total_pages(total),
    })))
}

const SETTINGS_SQL: &str = "
    SELECT param_value FROM \"LiteLLM_Config\"
     WHERE param_name = 'litellm_settings' AND account_id IN ($1, alchemi.platform_account_id())
     ORDER BY account_id = alchemi.platform_account_id()
     LIMIT 1";
const TEAMS_BY_ID_SQL: &str = "
    SELECT to_jsonb(t.*) FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1 AND t.team_id = ANY($2)
     ORDER BY coalesce(t.team_alias, ''), t.team_id LIMIT $3";

/// The teams users may join by themselves
/// (`litellm_settings.default_internal_user_params.available_teams`), less
/// those the caller is already in.
#[utoipa::path(get, path = "/team/available", operation_id = "team_available", tag = "teams",
    responses((status = 200, description = "A list of teams"), (status = 400, description = "No teams are open to join")))]
pub async fn available(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Value>, ApiError> {
    let account = actor.account.uuid();
    let tx = state.db().tenant(actor.account).await?;
    let settings: Option<Value> = tx
        .query_opt(SETTINGS_SQL, &[&account])
        .await?
        .and_then(|row| row.get(0));
    let Some(open) = settings
        .as_ref()
        .and_then(|s| s["default_internal_user_params"]["available_teams"].as_array())
        .map(|teams| strings(&Value::Array(teams.clone())))
    else {
        return Err(invalid(
            "available_teams",
            "No available teams for user to join. See how to set available teams here: https://docs.litellm.ai/docs/proxy/self_serve#all-settings-for-self-serve--sso-flow",
        ));
    };
    let mut joined = Vec::new();
    if let Some(user_id) = &actor.user_id {
        let Some(user) = rows::get(&tx, USER_TABLE, &[("user_id", user_id)]).await? else {
            return Err(rows::not_found("User", user_id));
        };
        joined = strings(&user["teams"]);
    }
    let open: Vec<String> = open.into_iter().filter(|t| !joined.contains(t)).collect();
    let teams = tx
        .query(TEAMS_BY_ID_SQL, &[&account, &open, &LIST_LIMIT])
        .await?;
    tx.commit().await?;
    Ok(Json(values(teams)))
}

/// The routes a team's members may call, and every route that can be
/// granted. Admins, viewers and the team's admins may read it.
#[utoipa::path(get, path = "/team/permissions_list", operation_id = "team_permissions_list", tag = "teams", params(TeamQuery),
    responses((status = 200, description = "`{team_id, team_member_permissions, all_available_permissions}`")))]
pub async fn permissions_list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<TeamQuery>,
) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let Some(team) = rows::get(&tx, TABLE, &[("team_id", &query.team_id)]).await? else {
        return Err(rows::not_found("Team", &query.team_id));
    };
    tx.commit().await?;
    if !actor.sees_everything() && !is_team_admin(&team, &actor) {
        return Err(forbidden(format!(
            "Call not allowed. User not proxy admin OR team admin. route=/team/permissions_list, team_id={}",
            query.team_id
        )));
    }
    let mut granted = strings(&team["team_member_permissions"]);
    if granted.is_empty() {
        granted = DEFAULT_MEMBER_PERMISSIONS
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
    }
    Ok(Json(json!({
        "team_id": query.team_id,
        "team_member_permissions": granted,
        "all_available_permissions": MEMBER_PERMISSIONS,
    })))
}
