//! `/spend/logs*`: rows of `LiteLLM_SpendLogs` under LiteLLM's field names
//! (`startTime`, `endTime`, `completionStartTime`...), as a bounded list, a
//! page, per-day totals, or one request.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use super::query::{self, MAX_LIST_ROWS, Scope, Where, end_of, invalid, key_hash, start_of};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::rows;
use crate::proxy::ApiError;

/// Rows `/spend/logs` returns when no `page_size` is given.
const DEFAULT_LIST_ROWS: i64 = 100;
/// The largest page of `/spend/logs/v2` (LiteLLM refuses more).
const MAX_PAGE_ROWS: i64 = 100;

const ROWS_SQL: &str = "
    SELECT to_jsonb(sl.*) FROM \"LiteLLM_SpendLogs\" sl
     WHERE {where}
     ORDER BY {order}
     LIMIT {limit} OFFSET {offset}";
const COUNT_SQL: &str = "SELECT count(*) FROM \"LiteLLM_SpendLogs\" sl WHERE {where}";

/// [`ROWS_SQL`] over `filter` in `order`: `size` rows from row `skip`.
fn rows_sql(filter: &mut Where, order: &str, size: i64, skip: i64) -> String {
    let limit = filter.param(size);
    let offset = filter.param(skip);
    ROWS_SQL
        .replace("{where}", &filter.sql())
        .replace("{order}", order)
        .replace("{limit}", &limit)
        .replace("{offset}", &offset)
}

/// One page of the spend logs matching `filter`, in `order`, in the shape
/// of LiteLLM's UI log pages: `{data, total, page, page_size, total_pages}`.
pub(super) async fn log_page(
    state: &AppState,
    actor: &Actor,
    mut filter: Where,
    order: &str,
    page: i64,
    size: i64,
) -> Result<Value, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let total: i64 = tx
        .query_one(
            &COUNT_SQL.replace("{where}", &filter.sql()),
            &filter.params(),
        )
        .await?
        .get(0);
    let sql = rows_sql(&mut filter, order, size, (page - 1) * size);
    let rows = tx.query(&sql, &filter.params()).await?;
    tx.commit().await?;
    let data: Vec<Value> = rows.iter().map(|row| row.get(0)).collect();
    Ok(json!({
        "data": data,
        "total": total,
        "page": page,
        "page_size": size,
        "total_pages": query::pages(total, size),
    }))
}
const SUMMARY_SQL: &str = "
    SELECT to_char((sl.\"startTime\" AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), sl.api_key,
           coalesce(sl.\"user\", ''), sl.model, sum(sl.spend)::float8
      FROM \"LiteLLM_SpendLogs\" sl
     WHERE {where}
     GROUP BY 1, 2, 3, 4";

/// `/spend/logs` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LogsQuery {
    /// A raw key (`sk-...`) or its hash.
    api_key: Option<String>,
    user_id: Option<String>,
    request_id: Option<String>,
    /// `YYYY-MM-DD` (or a timestamp), inclusive.
    start_date: Option<String>,
    /// `YYYY-MM-DD` (the whole day counts) or a timestamp, inclusive.
    end_date: Option<String>,
    /// With both dates: per-day totals (the default) or the rows themselves.
    #[serde(default, deserialize_with = "query::flag")]
    summarize: Option<bool>,
    /// Page of rows, from 1.
    page: Option<i64>,
    /// Rows per page (default 100, at most 1000).
    page_size: Option<i64>,
}

/// `/spend/logs/v2` and `/spend/logs/ui` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    api_key: Option<String>,
    user_id: Option<String>,
    request_id: Option<String>,
    session_id: Option<String>,
    team_id: Option<String>,
    end_user: Option<String>,
    model: Option<String>,
    model_id: Option<String>,
    /// Part of the key alias.
    key_alias: Option<String>,
    /// `success` or `failure`.
    status_filter: Option<String>,
    min_spend: Option<f64>,
    max_spend: Option<f64>,
    /// Required: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`.
    start_date: Option<String>,
    /// Required: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD` (the whole day).
    end_date: Option<String>,
    page: Option<i64>,
    /// At most 100 (default 50).
    page_size: Option<i64>,
    /// `startTime` (default), `endTime`, `spend`, `total_tokens`...
    sort_by: Option<String>,
    /// `desc` (default) or `asc`.
    sort_order: Option<String>,
}

/// Optional range of `/spend/logs/ui/{request_id}`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DetailQuery {
    start_date: Option<String>,
    end_date: Option<String>,
}

fn range(filter: &mut Where, start: Option<&str>, end: Option<&str>) -> Result<(), ApiError> {
    if let Some(start) = start {
        filter.push("sl.\"startTime\" >= {}", start_of("start_date", start)?);
    }
    if let Some(end) = end {
        filter.push("sl.\"startTime\" < {}", end_of("end_date", end)?);
    }
    Ok(())
}

/// Spend logs: one request's row, the rows of a key or user, or with both
/// dates per-day totals (`summarize=true`, the default) or the rows
/// (`summarize=false`). Rows come newest first, paged and bounded.
#[utoipa::path(get, path = "/spend/logs", tag = "spend", params(LogsQuery),
    responses((status = 200, description = "LiteLLM_SpendLogs rows, or per-day totals")))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<LogsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (page, size) = query::paging(
        query.page,
        query.page_size,
        DEFAULT_LIST_ROWS,
        MAX_LIST_ROWS,
    )?;
    let scope = Scope::of(&actor);
    let mut filter = Where::new(actor.account, "sl.account_id");
    filter.push_some("sl.api_key = {}", query.api_key.as_deref().map(key_hash));
    filter.push_some("sl.request_id = {}", query.request_id.clone());
    if scope == Scope::Account {
        filter.push_some("sl.\"user\" = {}", query.user_id.clone());
    }
    scope.on_logs(&mut filter, "sl.");
    range(
        &mut filter,
        query.start_date.as_deref(),
        query.end_date.as_deref(),
    )?;

    let tx = state.db().tenant(actor.account).await?;
    let body = match (&query.start_date, &query.end_date, query.summarize) {
        (Some(start), Some(end), None | Some(true)) => {
            let first = query::day_of("start_date", start)?;
            let last = query::day_of("end_date", end)?;
            let rows = tx
                .query(
                    &SUMMARY_SQL.replace("{where}", &filter.sql()),
                    &filter.params(),
                )
                .await?;
            let totals = rows
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
                .collect::<Vec<_>>();
            summarize(&totals, first, last)
        }
        _ => {
            let order = "sl.\"startTime\" DESC, sl.request_id";
            let sql = rows_sql(&mut filter, order, size, (page - 1) * size);
            let rows = tx.query(&sql, &filter.params()).await?;
            Value::Array(rows.iter().map(|row| row.get(0)).collect())
        }
    };
    tx.commit().await?;
    Ok(Json(body))
}

#[derive(Default)]
struct Day {
    spend: f64,
    keys: BTreeMap<String, f64>,
    users: BTreeMap<String, f64>,
    models: BTreeMap<String, f64>,
}

/// LiteLLM's per-day summary: `{startTime, spend, users: {user: spend},
/// models: {model: spend}, <api_key>: spend}` for every day from the first
/// with spend to `last` (no later than today unless spend is dated later).
fn summarize(
    rows: &[(String, String, String, String, f64)],
    first: NaiveDate,
    last: NaiveDate,
) -> Value {
    let mut days: BTreeMap<String, Day> = BTreeMap::new();
    for (day, key, user, model, spend) in rows {
        let entry = days.entry(day.clone()).or_default();
        entry.spend += spend;
        *entry.keys.entry(key.clone()).or_default() += spend;
        *entry.users.entry(user.clone()).or_default() += spend;
        *entry.models.entry(model.clone()).or_default() += spend;
    }
    let Some(start) = days
        .keys()
        .next()
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
    else {
        return json!([]);
    };
    let latest = days
        .keys()
        .next_back()
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .unwrap_or(start);
    let stop = last.min(latest.max(Utc::now().date_naive()));
    let mut out = Vec::new();
    let mut day = start.max(first);
    while day <= stop {
        let key = query::day_key(day);
        let entry = days.remove(&key).unwrap_or_default();
        let mut object: Map<String, Value> =
            entry.keys.into_iter().map(|(k, v)| (k, json!(v))).collect();
        object.insert("startTime".into(), json!(key));
        object.insert("spend".into(), json!(entry.spend));
        object.insert("users".into(), json!(entry.users));
        object.insert("models".into(), json!(entry.models));
        out.push(Value::Object(object));
        let Some(next) = day.checked_add_days(Days::new(1)) else {
            break;
        };
        day = next;
    }
    Value::Array(out)
}

fn sort_column(name: &str) -> Result<&'static str, ApiError> {
    Ok(match name {
        "startTime" => "sl.\"startTime\"",
        "endTime" => "sl.\"endTime\"",
        "spend" => "sl.spend",
        "total_tokens" => "sl.total_tokens",
        "prompt_tokens" => "sl.prompt_tokens",
        "completion_tokens" => "sl.completion_tokens",
        "model" => "sl.model",
        "request_id" => "sl.request_id",
        _ => {
            return Err(invalid(
                "sort_by",
                "expected startTime, endTime, spend, total_tokens, prompt_tokens, completion_tokens, model or request_id",
            ));
        }
    })
}

fn direction(order: Option<&str>) -> Result<&'static str, ApiError> {
    match order.map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => Ok("DESC"),
        Some("asc") => Ok("ASC"),
        Some(_) => Err(invalid("sort_order", "expected asc or desc")),
    }
}

async fn page(state: AppState, actor: Actor, query: PageQuery) -> Result<Json<Value>, ApiError> {
    let (Some(start), Some(end)) = (&query.start_date, &query.end_date) else {
        return Err(ApiError::bad_request(
            "Start date and end date are required",
        ));
    };
    let (page, size) = query::paging(query.page, query.page_size, 50, MAX_PAGE_ROWS)?;
    let column = sort_column(query.sort_by.as_deref().unwrap_or("startTime"))?;
    let direction = direction(query.sort_order.as_deref())?;

    let scope = Scope::of(&actor);
    let mut filter = Where::new(actor.account, "sl.account_id");
    range(&mut filter, Some(start), Some(end))?;
    filter.push_some("sl.api_key = {}", query.api_key.as_deref().map(key_hash));
    if scope == Scope::Account {
        filter.push_some("sl.\"user\" = {}", query.user_id.clone());
    }
    scope.on_logs(&mut filter, "sl.");
    filter.push_some("sl.request_id = {}", query.request_id.clone());
    filter.push_some("sl.session_id = {}", query.session_id.clone());
    filter.push_some("sl.team_id = {}", query.team_id.clone());
    filter.push_some("sl.end_user = {}", query.end_user.clone());
    filter.push_some("sl.model = {}", query.model.clone());
    filter.push_some("sl.model_id = {}", query.model_id.clone());
    filter.push_some("sl.spend >= {}", query.min_spend);
    filter.push_some("sl.spend <= {}", query.max_spend);
    filter.push_some(
        "strpos(sl.metadata ->> 'user_api_key_alias', {}) > 0",
        query.key_alias.clone(),
    );
    match query.status_filter.as_deref() {
        None | Some("") => {}
        Some("success") => filter.raw("coalesce(sl.status, 'success') = 'success'"),
        Some(other) => filter.push("sl.status = {}", other.to_owned()),
    }

    let order = format!("{column} {direction}, sl.request_id {direction}");
    log_page(&state, &actor, filter, &order, page, size)
        .await
        .map(Json)
}

/// A page of spend logs within a required time range, with LiteLLM's UI
/// filters: `{data, total, page, page_size, total_pages}`.
#[utoipa::path(get, path = "/spend/logs/v2", tag = "spend", params(PageQuery),
    responses((status = 200, description = "A page of LiteLLM_SpendLogs rows")))]
pub async fn page_v2(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    page(state, actor, query).await
}

/// The same page under the path LiteLLM's UI calls.
#[utoipa::path(get, path = "/spend/logs/ui", tag = "spend", params(PageQuery),
    responses((status = 200, description = "A page of LiteLLM_SpendLogs rows")))]
pub async fn page_ui(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    page(state, actor, query).await
}

/// One request's log row, with its messages and response.
#[utoipa::path(get, path = "/spend/logs/ui/{request_id}", tag = "spend", params(("request_id" = String, Path), DetailQuery),
    responses((status = 200, description = "The LiteLLM_SpendLogs row"), (status = 404, description = "No such request")))]
pub async fn detail(
    State(state): State<AppState>,
    actor: Actor,
    Path(request_id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut filter = Where::new(actor.account, "sl.account_id");
    filter.push("sl.request_id = {}", request_id.clone());
    Scope::of(&actor).on_logs(&mut filter, "sl.");
    range(
        &mut filter,
        query.start_date.as_deref(),
        query.end_date.as_deref(),
    )?;
    let sql = rows_sql(&mut filter, "sl.\"startTime\"", 1, 0);
    let tx = state.db().tenant(actor.account).await?;
    let row = tx.query_opt(&sql, &filter.params()).await?;
    tx.commit().await?;
    row.map(|row| Json(row.get(0)))
        .ok_or_else(|| rows::not_found("Spend log", &request_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_from_the_first_with_spend_is_listed() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let rows = vec![
            (
                "2024-01-02".to_owned(),
                "k1".to_owned(),
                "u1".to_owned(),
                "m".to_owned(),
                0.5,
            ),
            (
                "2024-01-02".to_owned(),
                "k2".to_owned(),
                "u1".to_owned(),
                "m".to_owned(),
                0.25,
            ),
            (
                "2024-01-04".to_owned(),
                "k1".to_owned(),
                "u2".to_owned(),
                "n".to_owned(),
                1.0,
            ),
        ];
        let summary = summarize(&rows, day("2024-01-01"), day("2024-01-05"));
        let days: Vec<&str> = summary
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["startTime"].as_str().unwrap())
            .collect();
        assert_eq!(
            days,
            ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
        );
        assert_eq!(summary[0]["spend"], 0.75);
        assert_eq!(summary[0]["k2"], 0.25);
        assert_eq!(summary[0]["users"]["u1"], 0.75);
        assert_eq!(summary[1]["spend"], 0.0);
        assert_eq!(summary[2]["models"]["n"], 1.0);
        assert_eq!(
            summarize(&[], day("2024-01-01"), day("2024-01-05")),
            json!([])
        );
    }
}
