//! `/organization/info` and `/organization/list`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::{LIST_SQL, MEMBERSHIP_TABLE, view};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::rows;
use crate::management::users::common::{LIST_LIMIT, forbidden};
use crate::proxy::ApiError;

/// `?organization_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InfoQuery {
    organization_id: String,
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
