//! Reading the audit trail (`LiteLLM_AuditLog`): `/audit/logs` with limit
//! and offset, LiteLLM's paged `/audit`, and one entry by id. Admins and
//! viewers only; another account's entries are never listed and read as
//! missing.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Actor;
use super::body::Query;
use super::paging::{PageInfo, PageQuery as Paging};
use super::spend::query::{self, Where, invalid};
use crate::AppState;
use crate::proxy::ApiError;

/// The largest `/audit/logs` window.
const MAX_LIMIT: i64 = 500;
/// The largest `/audit` page.
const MAX_PAGE_SIZE: i64 = 100;

const ENTRY: &str = "jsonb_build_object('id', a.id, 'updated_at', a.updated_at, 'changed_by', a.changed_by,
        'changed_by_api_key', a.changed_by_api_key, 'action', a.action, 'table_name', a.table_name,
        'object_id', a.object_id, 'before_value', a.before_value, 'updated_values', a.updated_values)";
const ROWS_SQL: &str = "
    SELECT {entry} FROM \"LiteLLM_AuditLog\" a
     WHERE {where} ORDER BY {order} LIMIT {limit} OFFSET {offset}";
const COUNT_SQL: &str = "SELECT count(*) FROM \"LiteLLM_AuditLog\" a WHERE {where}";
const ONE_SQL: &str =
    "SELECT {entry} FROM \"LiteLLM_AuditLog\" a WHERE a.account_id = $1 AND a.id = $2";

/// Filters the listings share (the console's too).
#[derive(Debug, Default)]
pub(crate) struct Filters<'a> {
    pub changed_by: Option<&'a str>,
    pub changed_by_api_key: Option<&'a str>,
    pub action: Option<&'a str>,
    pub table_name: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub start_date: Option<&'a str>,
    pub end_date: Option<&'a str>,
}

fn filter(actor: &Actor, filters: &Filters<'_>) -> Result<Where, ApiError> {
    let mut filter = Where::new(actor.account, "a.account_id");
    let text = |value: Option<&str>| value.map(str::to_owned);
    filter.push_some("a.changed_by = {}", text(filters.changed_by));
    filter.push_some(
        "a.changed_by_api_key = {}",
        text(filters.changed_by_api_key),
    );
    filter.push_some("a.action = {}", text(filters.action));
    filter.push_some("a.table_name = {}", text(filters.table_name));
    filter.push_some("a.object_id = {}", text(filters.object_id));
    if let Some(start) = filters.start_date {
        filter.push("a.updated_at >= {}", query::start_of("start_date", start)?);
    }
    if let Some(end) = filters.end_date {
        filter.push("a.updated_at < {}", query::end_of("end_date", end)?);
    }
    Ok(filter)
}

/// Counts the matching entries and reads one window of them.
async fn read(
    state: &AppState,
    actor: &Actor,
    mut filter: Where,
    order: &str,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Value>), ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let total: i64 = tx
        .query_one(
            &COUNT_SQL.replace("{where}", &filter.sql()),
            &filter.params(),
        )
        .await?
        .get(0);
    let limit = filter.param(limit);
    let offset = filter.param(offset);
    let sql = ROWS_SQL
        .replace("{entry}", ENTRY)
        .replace("{where}", &filter.sql())
        .replace("{order}", order)
        .replace("{limit}", &limit)
        .replace("{offset}", &offset);
    let rows = tx.query(&sql, &filter.params()).await?;
    tx.commit().await?;
    Ok((total, rows.iter().map(|row| row.get(0)).collect()))
}

/// `/audit/logs` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LogsQuery {
    /// Entries to return (default 100, at most 500).
    limit: Option<i64>,
    /// Entries to skip (default 0).
    offset: Option<i64>,
    table_name: Option<String>,
    /// `created`, `updated`, `deleted`, `blocked`, `unblocked`, `rotated`.
    action: Option<String>,
    changed_by: Option<String>,
    /// `YYYY-MM-DD` or a timestamp, inclusive.
    start_date: Option<String>,
    /// `YYYY-MM-DD` (the whole day) or a timestamp, inclusive.
    end_date: Option<String>,
}

/// Audit entries, newest first: `{logs, total, limit, offset}`.
#[utoipa::path(get, path = "/audit/logs", tag = "audit", params(LogsQuery),
    responses((status = 200, description = "{logs, total, limit, offset}")))]
async fn logs(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<LogsQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/audit/logs")?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(
            "limit",
            &format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(invalid("offset", "must be 0 or more"));
    }
    let filters = Filters {
        changed_by: query.changed_by.as_deref(),
        changed_by_api_key: None,
        action: query.action.as_deref(),
        table_name: query.table_name.as_deref(),
        object_id: None,
        start_date: query.start_date.as_deref(),
        end_date: query.end_date.as_deref(),
    };
    let filter = filter(&actor, &filters)?;
    let (total, logs) = read(
        &state,
        &actor,
        filter,
        "a.updated_at DESC, a.id DESC",
        limit,
        offset,
    )
    .await?;
    Ok(Json(
        json!({"logs": logs, "total": total, "limit": limit, "offset": offset}),
    ))
}

/// `/audit` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    page: Option<i64>,
    /// Entries per page (default 10, at most 100).
    page_size: Option<i64>,
    changed_by: Option<String>,
    changed_by_api_key: Option<String>,
    action: Option<String>,
    table_name: Option<String>,
    object_id: Option<String>,
    /// `YYYY-MM-DD` or a timestamp, inclusive.
    start_date: Option<String>,
    /// `YYYY-MM-DD` (the whole day) or a timestamp, inclusive.
    end_date: Option<String>,
    /// `updated_at` (default), `changed_by`, `action`, `table_name` or `object_id`.
    sort_by: Option<String>,
    /// `desc` (default) or `asc`.
    sort_order: Option<String>,
}

fn order(sort_by: Option<&str>, sort_order: Option<&str>) -> Result<String, ApiError> {
    let column = match sort_by.unwrap_or("updated_at") {
        "updated_at" => "a.updated_at",
        "changed_by" => "a.changed_by",
        "changed_by_api_key" => "a.changed_by_api_key",
        "action" => "a.action",
        "table_name" => "a.table_name",
        "object_id" => "a.object_id",
        _ => {
            return Err(invalid(
                "sort_by",
                "expected updated_at, changed_by, changed_by_api_key, action, table_name or object_id",
            ));
        }
    };
    let direction = match sort_order.map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => "DESC",
        Some("asc") => "ASC",
        Some(_) => return Err(invalid("sort_order", "expected asc or desc")),
    };
    Ok(format!(
        "{column} {direction}, a.updated_at {direction}, a.id {direction}"
    ))
}

/// A page of audit entries: `{audit_logs, total, page, page_size, total_pages}`.
#[utoipa::path(get, path = "/audit", tag = "audit", params(PageQuery),
    responses((status = 200, description = "{audit_logs, total, page, page_size, total_pages}")))]
async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/audit")?;
    let (page, size) = query::paging(query.page, query.page_size, 10, MAX_PAGE_SIZE)?;
    let order = order(query.sort_by.as_deref(), query.sort_order.as_deref())?;
    let filters = Filters {
        changed_by: query.changed_by.as_deref(),
        changed_by_api_key: query.changed_by_api_key.as_deref(),
        action: query.action.as_deref(),
        table_name: query.table_name.as_deref(),
        object_id: query.object_id.as_deref(),
        start_date: query.start_date.as_deref(),
        end_date: query.end_date.as_deref(),
    };
    let filter = filter(&actor, &filters)?;
    let (total, entries) = read(&state, &actor, filter, &order, size, (page - 1) * size).await?;
    Ok(Json(json!({
        "audit_logs": entries,
        "total": total,
        "page": page,
        "page_size": size,
        "total_pages": query::pages(total, size),
    })))
}

/// One audit entry.
#[utoipa::path(get, path = "/audit/{id}", tag = "audit", params(("id" = String, Path)),
    responses((status = 200, description = "The entry"), (status = 404, description = "No such entry")))]
async fn entry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    audit_entry(&state, &actor, &id).await.map(Json)
}

/// One entry of the caller's account; another account's is missing.
pub(crate) async fn audit_entry(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    actor.require_viewer("/audit/{id}")?;
    let tx = state.db().tenant(actor.account).await?;
    let row = tx
        .query_opt(
            &ONE_SQL.replace("{entry}", ENTRY),
            &[&actor.account.uuid(), &id],
        )
        .await?;
    tx.commit().await?;
    row.map(|row| row.get(0)).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            format!("Audit log with ID {id} not found"),
        )
    })
}

/// A page of entries matching `filters`, newest first, as `/audit` reads
/// them (for the console).
pub(crate) async fn search_entries(
    state: &AppState,
    actor: &Actor,
    filters: &Filters<'_>,
    page: Paging,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    actor.require_viewer("/audit")?;
    let filter = filter(actor, filters)?;
    let (total, entries) = read(
        state,
        actor,
        filter,
        "a.updated_at DESC, a.id DESC",
        page.limit(),
        page.offset(),
    )
    .await?;
    Ok((entries, PageInfo::of(page, total)))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logs))
        .routes(routes!(page))
        .routes(routes!(entry))
}
