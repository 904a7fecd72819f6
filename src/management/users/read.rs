//! `/user/info` (a user with their keys and teams) and `/user/list` (a page
//! of users with their key counts).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::common::{LIST_LIMIT, forbidden, invalid};
use super::{TABLE, public};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::paging::PageQuery;
use crate::management::rows;
use crate::proxy::ApiError;

/// `?user_id=` (absent: the caller).
#[derive(Debug, Deserialize, IntoParams)]
pub struct InfoQuery {
    pub(crate) user_id: Option<String>,
}

/// A user's keys (UI session keys left out), each with its team's alias.
const USER_KEYS_SQL: &str = "
    SELECT to_jsonb(k.*) || jsonb_build_object('team_alias', t.team_alias)
      FROM \"LiteLLM_VerificationToken\" k
      LEFT JOIN \"LiteLLM_TeamTable\" t ON t.account_id = k.account_id AND t.team_id = k.team_id
     WHERE k.account_id = $1 AND k.user_id = $2 AND k.team_id IS DISTINCT FROM 'litellm-dashboard'
     ORDER BY k.created_at LIMIT $3";

/// The teams a user is in (by `teams` or `members_with_roles`), each with
/// the user's membership.
const USER_TEAMS_SQL: &str = "
    SELECT to_jsonb(t.*) || jsonb_build_object('team_memberships', coalesce((
             SELECT jsonb_agg(to_jsonb(m.*) || jsonb_build_object('litellm_budget_table', to_jsonb(b)))
               FROM \"LiteLLM_TeamMembership\" m
               LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = m.account_id AND b.budget_id = m.budget_id
              WHERE m.account_id = t.account_id AND m.team_id = t.team_id AND m.user_id = $2), '[]'::jsonb))
      FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1
       AND (t.team_id = ANY($3)
            OR t.members_with_roles @> jsonb_build_array(jsonb_build_object('user_id', $2::text)))
     ORDER BY coalesce(t.team_alias, ''), t.team_id LIMIT $4";

/// The account admin's overview: every key and team (bounded).
const ALL_KEYS_SQL: &str = "
    SELECT to_jsonb(k.*) || jsonb_build_object('team_alias', t.team_alias)
      FROM \"LiteLLM_VerificationToken\" k
      LEFT JOIN \"LiteLLM_TeamTable\" t ON t.account_id = k.account_id AND t.team_id = k.team_id
     WHERE k.account_id = $1 AND k.team_id IS DISTINCT FROM 'litellm-dashboard'
     ORDER BY k.created_at LIMIT $2";
const ALL_TEAMS_SQL: &str = "
    SELECT to_jsonb(t.*) FROM \"LiteLLM_TeamTable\" t
     WHERE t.account_id = $1 ORDER BY coalesce(t.team_alias, ''), t.team_id LIMIT $2";

fn values(rows: Vec<tokio_postgres::Row>) -> Value {
    Value::Array(rows.iter().map(|row| row.get(0)).collect())
}

/// A user with their keys and teams. Without `user_id` it is the caller;
/// the master key (no user) gets every key and team of the account. Only
/// admins and viewers may read another user.
#[utoipa::path(get, path = "/user/info", operation_id = "user_info", tag = "users", params(InfoQuery),
    responses((status = 200, description = "`{user_id, user_info, keys, teams}`"),
              (status = 403, description = "Another user's info"), (status = 404, description = "No such user")))]
pub async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    let account = actor.account.uuid();
    let Some(user_id) = query.user_id.or_else(|| actor.user_id.clone()) else {
        actor.require_viewer("/user/info")?;
        let tx = state.db().tenant(actor.account).await?;
        let keys = tx.query(ALL_KEYS_SQL, &[&account, &LIST_LIMIT]).await?;
        let teams = tx.query(ALL_TEAMS_SQL, &[&account, &LIST_LIMIT]).await?;
        tx.commit().await?;
        return Ok(Json(json!({
            "user_id": null, "user_info": null, "keys": values(keys), "teams": values(teams),
        })));
    };
    if !actor.sees_everything() && actor.user_id.as_deref() != Some(user_id.as_str()) {
        return Err(forbidden(format!(
            "key not allowed to access this user's info. user_id={user_id}, key's user_id={}",
            actor.user_id.as_deref().unwrap_or("None")
        )));
    }
    let tx = state.db().tenant(actor.account).await?;
    let Some(user) = rows::get(&tx, TABLE, &[("user_id", &user_id)]).await? else {
        return Err(rows::not_found("User", &user_id));
    };
    let teams: Vec<String> = serde_json::from_value(user["teams"].clone()).unwrap_or_default();
    let keys = tx
        .query(USER_KEYS_SQL, &[&account, &user_id, &LIST_LIMIT])
        .await?;
    let team_rows = tx
        .query(USER_TEAMS_SQL, &[&account, &user_id, &teams, &LIST_LIMIT])
        .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "user_id": user_id,
        "user_info": public(user),
        "keys": values(keys),
        "teams": values(team_rows),
    })))
}

/// `/user/list` filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListQuery {
    /// Exact `user_role`.
    pub(crate) role: Option<String>,
    /// Comma-separated; a single id matches partially.
    pub(crate) user_ids: Option<String>,
    /// Comma-separated.
    pub(crate) sso_user_ids: Option<String>,
    /// Partial, case-insensitive.
    pub(crate) user_email: Option<String>,
    /// A team id in the user's `teams`.
    pub(crate) team: Option<String>,
    pub(crate) page: i64,
    #[serde(alias = "size")]
    pub(crate) page_size: i64,
    /// `user_id`, `user_email`, `created_at`, `spend`, `user_alias`, `user_role`.
    pub(crate) sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    pub(crate) sort_order: Option<String>,
    /// Part of the id or of the email (the console's search box; not a
    /// LiteLLM parameter).
    #[serde(skip)]
    #[param(ignore)]
    pub(crate) search: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            role: None,
            user_ids: None,
            sso_user_ids: None,
            user_email: None,
            team: None,
            page: 1,
            page_size: 25,
            sort_by: None,
            sort_order: None,
            search: None,
        }
    }
}

const LIST_FILTER: &str = "
      FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1
       AND ($2::text IS NULL OR u.user_role = $2)
       AND ($3::text[] IS NULL OR u.user_id = ANY($3))
       AND ($4::text IS NULL OR strpos(lower(u.user_id), lower($4)) > 0)
       AND ($5::text[] IS NULL OR u.sso_user_id = ANY($5))
       AND ($6::text IS NULL OR strpos(lower(coalesce(u.user_email, '')), lower($6)) > 0)
       AND ($7::text IS NULL OR $7 = ANY(u.teams))
       AND ($8::text IS NULL OR strpos(lower(u.user_id), lower($8)) > 0
            OR strpos(lower(coalesce(u.user_email, '')), lower($8)) > 0)";
const LIST_SELECT: &str = "
    SELECT (to_jsonb(u.*) - 'password') || jsonb_build_object('key_count', (
             SELECT count(*) FROM \"LiteLLM_VerificationToken\" k
              WHERE k.account_id = u.account_id AND k.user_id = u.user_id
                AND k.team_id IS DISTINCT FROM 'litellm-dashboard'))";

/// The ORDER BY clause: only whitelisted column names ever reach the SQL.
fn order_by(query: &ListQuery) -> Result<&'static str, ApiError> {
    let descending = match query
        .sort_order
        .as_deref()
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(invalid(
                "sort_order",
                "Invalid sort order. Must be 'asc' or 'desc'",
            ));
        }
    };
    Ok(match (query.sort_by.as_deref(), descending) {
        (None, _) => "u.created_at DESC, u.user_id",
        (Some("user_id"), false) => "u.user_id ASC",
        (Some("user_id"), true) => "u.user_id DESC",
        (Some("user_email"), false) => "u.user_email ASC NULLS LAST, u.user_id",
        (Some("user_email"), true) => "u.user_email DESC NULLS LAST, u.user_id",
        (Some("created_at"), false) => "u.created_at ASC, u.user_id",
        (Some("created_at"), true) => "u.created_at DESC, u.user_id",
        (Some("spend"), false) => "u.spend ASC, u.user_id",
        (Some("spend"), true) => "u.spend DESC, u.user_id",
        (Some("user_alias"), false) => "u.user_alias ASC NULLS LAST, u.user_id",
        (Some("user_alias"), true) => "u.user_alias DESC NULLS LAST, u.user_id",
        (Some("user_role"), false) => "u.user_role ASC NULLS LAST, u.user_id",
        (Some("user_role"), true) => "u.user_role DESC NULLS LAST, u.user_id",
        (Some(_), _) => {
            return Err(invalid(
                "sort_by",
                "Invalid sort column. Must be one of: user_id, user_email, created_at, spend, user_alias, user_role",
            ));
        }
    })
}

fn split(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A page of the account's users, each with `key_count`.
#[utoipa::path(get, path = "/user/list", operation_id = "user_list", tag = "users", params(ListQuery),
    responses((status = 200, description = "`{users, total, page, page_size, total_pages}`")))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/user/list")?;
    let order = order_by(&query)?;
    let page = PageQuery {
        page: query.page,
        size: query.page_size,
    }
    .clamped();
    let ids = split(query.user_ids.as_deref());
    let (exact, partial) = match ids.len() {
        0 => (None, None),
        1 => (None, ids.first().cloned()),
        _ => (Some(ids), None),
    };
    let sso = Some(split(query.sso_user_ids.as_deref())).filter(|ids| !ids.is_empty());
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let account = actor.account.uuid();
    // Only the whitelisted ORDER BY text is spliced in; every value is bound.
    let select = format!("{LIST_SELECT}{LIST_FILTER} ORDER BY {order} LIMIT $9 OFFSET $10");
    let count = format!("SELECT count(*){LIST_FILTER}");
    let tx = state.db().tenant(actor.account).await?;
    let users = tx
        .query(
            &select,
            &[
                &account,
                &query.role,
                &exact,
                &partial,
                &sso,
                &query.user_email,
                &query.team,
                &search,
                &page.limit(),
                &page.offset(),
            ],
        )
        .await?;
    let total: i64 = tx
        .query_one(
            &count,
            &[
                &account,
                &query.role,
                &exact,
                &partial,
                &sso,
                &query.user_email,
                &query.team,
                &search,
            ],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(Json(json!({
        "users": values(users),
        "total": total,
        "page": page.page,
        "page_size": page.size,
        "total_pages": page.total_pages(total),
    })))
}
