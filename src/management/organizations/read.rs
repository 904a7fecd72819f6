//! `/organization/info` and `/organization/list`, and the console's paged
//! list.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::{LIST_SQL, MEMBERSHIP_TABLE, view};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::paging::{PageInfo, PageQuery, read_page};
use crate::management::rows;
use crate::management::users::common::{LIST_LIMIT, forbidden};
use crate::proxy::ApiError;

/// `?organization_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InfoQuery {
    pub(crate) organization_id: String,
}

/// An organization with its members, teams and budget. Admins, viewers and
/// the organization's members may read it.
#[utoipa::path(get, path = "/organization/info", operation_id = "organization_info", tag = "organizations", params(InfoQuery),
    responses((status = 200, description = "The organization with `members`, `teams`, `litellm_budget_table`"),
              (status = 403, description = "Not a member"), (status = 404, description = "No such organization")))]
pub async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    let org_id = query.organization_id;
    let tx = state.db().tenant(actor.account).await?;
    let Some(org) = view(&tx, &org_id).await? else {
        return Err(rows::not_found("Organization", &org_id));
    };
    let member = match &actor.user_id {
        Some(user_id) => rows::get(
            &tx,
            MEMBERSHIP_TABLE,
            &[("organization_id", &org_id), ("user_id", user_id)],
        )
        .await?
        .is_some(),
        None => false,
    };
    tx.commit().await?;
    if !actor.sees_everything() && !member {
        return Err(forbidden(format!(
            "User={} is not a member of organization={org_id}",
            actor.user_id.as_deref().unwrap_or("None")
        )));
    }
    Ok(Json(org))
}

/// `/organization/list` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListQuery {
    /// Exact `organization_id`.
    org_id: Option<String>,
    /// Partial, case-insensitive `organization_alias`.
    org_alias: Option<String>,
}

/// The account's organizations (a plain list, bounded), each with its
/// budget row, members and teams. Non-admins see those they belong to.
#[utoipa::path(get, path = "/organization/list", operation_id = "organization_list", tag = "organizations", params(ListQuery),
    responses((status = 200, description = "A list of organizations")))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(
            LIST_SQL,
            &[
                &actor.account.uuid(),
                &query.org_id,
                &query.org_alias,
                &actor.sees_everything(),
                &actor.user_id,
                &LIST_LIMIT,
            ],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| row.get(0)).collect(),
    )))
}

/// The console list's filter: part of the alias or id, and membership for
/// those who do not see the whole account.
macro_rules! page_filter {
    () => {
        "
      FROM \"LiteLLM_OrganizationTable\" o
     WHERE o.account_id = $1
       AND ($2::text IS NULL OR strpos(lower(o.organization_alias), lower($2)) > 0
            OR strpos(lower(o.organization_id), lower($2)) > 0)
       AND ($3::bool OR EXISTS (SELECT 1 FROM \"LiteLLM_OrganizationMembership\" m
                                 WHERE m.account_id = o.account_id AND m.organization_id = o.organization_id
                                   AND m.user_id = $4))"
    };
}

const PAGE_COUNT_SQL: &str = concat!("SELECT count(*)", page_filter!());
/// A page of organizations as a list shows them: the row with its budget
/// and member count.
const PAGE_SQL: &str = concat!(
    "SELECT to_jsonb(o.*) || jsonb_build_object(
             'litellm_budget_table', (SELECT to_jsonb(b) FROM \"LiteLLM_BudgetTable\" b
                                       WHERE b.account_id = o.account_id AND b.budget_id = o.budget_id),
             'member_count', (SELECT count(*) FROM \"LiteLLM_OrganizationMembership\" m
                               WHERE m.account_id = o.account_id AND m.organization_id = o.organization_id))",
    page_filter!(),
    " ORDER BY o.created_at DESC, o.organization_id LIMIT $5 OFFSET $6"
);

/// A page of the organizations the actor may see, searched by part of the
/// alias or id (the console's list; `/organization/list` is LiteLLM's
/// unpaged shape).
pub(crate) async fn list_page(
    state: &AppState,
    actor: &Actor,
    search: Option<&str>,
    page: PageQuery,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    let search = search.map(str::trim).filter(|text| !text.is_empty());
    let tx = state.db().tenant(actor.account).await?;
    let found = read_page(
        &tx,
        PAGE_COUNT_SQL,
        PAGE_SQL,
        &[
            &actor.account.uuid(),
            &search,
            &actor.sees_everything(),
            &actor.user_id,
        ],
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}
