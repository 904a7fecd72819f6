//! `/global/spend/{tags,provider,end_users}` and `/global/activity*`: spend
//! and traffic broken down by tag, provider, end user, day and model group,
//! over a range, from the daily aggregate tables.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_postgres::Row;
use utoipa::{IntoParams, ToSchema};

use super::global::json_rows;
use super::query::{self, Scope, Where};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::{Body, Query};
use crate::proxy::ApiError;

const TAGS_SQL: &str = "
    SELECT d.tag, sum(d.spend)::float8, sum(d.api_requests)::bigint
      FROM \"LiteLLM_DailyTagSpend\" d WHERE {where}
     GROUP BY d.tag ORDER BY 2 DESC, 1 LIMIT 1000";
const PROVIDERS_SQL: &str = "
    SELECT jsonb_build_object('provider', d.custom_llm_provider, 'spend', sum(d.spend))
      FROM \"LiteLLM_DailyUserSpend\" d
     WHERE {where} AND coalesce(d.custom_llm_provider, '') <> ''
     GROUP BY d.custom_llm_provider ORDER BY sum(d.spend) DESC, d.custom_llm_provider";
const END_USERS_SQL: &str = "
    SELECT jsonb_build_object('end_user', d.end_user_id, 'total_count', sum(d.api_requests),
                              'total_spend', sum(d.spend))
      FROM \"LiteLLM_DailyEndUserSpend\" d WHERE {where}
     GROUP BY d.end_user_id ORDER BY sum(d.spend) DESC, d.end_user_id LIMIT 100";
const ACTIVITY_SQL: &str = "
    SELECT d.date, sum(d.api_requests)::bigint, sum(d.prompt_tokens + d.completion_tokens)::bigint
      FROM \"LiteLLM_DailyUserSpend\" d WHERE {where} GROUP BY d.date ORDER BY d.date";
const MODEL_ACTIVITY_SQL: &str = "
    SELECT coalesce(d.model_group, ''), d.date, sum(d.api_requests)::bigint,
           sum(d.prompt_tokens + d.completion_tokens)::bigint
      FROM \"LiteLLM_DailyUserSpend\" d WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2";

/// A required day range.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
}

/// `/global/spend/tags` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TagsQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
    /// Comma-separated tags; absent or `all-tags` means every tag.
    tags: Option<String>,
}

/// A daily-table filter over the given days, scoped to the caller.
fn days(actor: &Actor, first: NaiveDate, last: NaiveDate, user_table: bool) -> Where {
    let mut filter = Where::new(actor.account, "d.account_id");
    filter.push("d.date >= {}", query::day_key(first));
    filter.push("d.date <= {}", query::day_key(last));
    if user_table {
        Scope::of(actor).on_user_days(&mut filter);
    } else {
        Scope::of(actor).on_keys(&mut filter, "d.");
    }
    filter
}

/// [`days`] over a query's required range, on the user table.
fn user_days(actor: &Actor, range: &RangeQuery) -> Result<Where, ApiError> {
    let (first, last) = query::day_range(range.start_date.as_deref(), range.end_date.as_deref())?;
    Ok(days(actor, first, last, true))
}

/// The rows of `sql` (its `{where}` being `filter`), in a tenant
/// transaction of its own.
async fn filtered_rows(
    state: &AppState,
    actor: &Actor,
    sql: &str,
    filter: &Where,
) -> Result<Vec<Row>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(&sql.replace("{where}", &filter.sql()), &filter.params())
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Spend and requests per tag over a range, largest first:
/// `{spend_per_tag: [{name, spend, log_count}]}`.
#[utoipa::path(get, path = "/global/spend/tags", tag = "spend", params(TagsQuery),
    responses((status = 200, description = "{spend_per_tag: [{name, spend, log_count}]}")))]
pub async fn tags(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<TagsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (first, last) = query::day_range(query.start_date.as_deref(), query.end_date.as_deref())?;
    let mut filter = days(&actor, first, last, false);
    if let Some(tags) = query::id_list(query.tags.as_deref())
        && !tags.iter().any(|tag| tag == "all-tags")
    {
        filter.push("d.tag = ANY({})", tags);
    }
    let rows = filtered_rows(&state, &actor, TAGS_SQL, &filter).await?;
    let tags: Vec<Value> = rows
        .iter()
        .map(|row| {
            let (name, spend, count): (Option<String>, f64, i64) = (row.get(0), row.get(1), row.get(2));
            json!({"name": name, "spend": (spend * 10_000.0).round() / 10_000.0, "log_count": count})
        })
        .collect();
    Ok(Json(json!({"spend_per_tag": tags})))
}

/// Spend per provider over a range: `[{provider, spend}]`.
#[utoipa::path(get, path = "/global/spend/provider", tag = "spend", params(RangeQuery),
    responses((status = 200, description = "[{provider, spend}]")))]
pub async fn provider(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = user_days(&actor, &query)?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = json_rows(&tx, PROVIDERS_SQL, &filter).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(rows)))
}

/// `{api_key, startTime, endTime}`, all optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct EndUsersRequest {
    /// Only this key's spend (raw or hashed).
    api_key: Option<String>,
    /// Default: 30 days ago.
    #[serde(rename = "startTime")]
    start_time: Option<String>,
    /// Default: now.
    #[serde(rename = "endTime")]
    end_time: Option<String>,
}

/// The 100 end users with the most spend between `startTime` and `endTime`
/// (whole UTC days): `[{end_user, total_count, total_spend}]`.
#[utoipa::path(post, path = "/global/spend/end_users", tag = "spend", request_body = EndUsersRequest,
    responses((status = 200, description = "[{end_user, total_count, total_spend}]")))]
pub async fn end_users(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<EndUsersRequest>,
) -> Result<Json<Value>, ApiError> {
    let now = Utc::now();
    let start: DateTime<Utc> = match &body.start_time {
        Some(text) => query::start_of("startTime", text)?,
        None => now - chrono::Duration::days(30),
    };
    let end: DateTime<Utc> = match &body.end_time {
        Some(text) => query::end_of("endTime", text)?,
        None => now,
    };
    let last = (end - chrono::Duration::microseconds(1)).date_naive();
    let mut filter = days(&actor, start.date_naive(), last, false);
    filter.push_some(
        "d.api_key = {}",
        body.api_key.as_deref().map(query::key_hash),
    );
    let tx = state.db().tenant(actor.account).await?;
    let rows = json_rows(&tx, END_USERS_SQL, &filter).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(rows)))
}

/// Requests and tokens per day over a range:
/// `{daily_data: [{date, api_requests, total_tokens}], sum_api_requests, sum_total_tokens}`.
#[utoipa::path(get, path = "/global/activity", tag = "spend", params(RangeQuery),
    responses((status = 200, description = "{daily_data, sum_api_requests, sum_total_tokens}")))]
pub async fn activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = user_days(&actor, &query)?;
    let rows = filtered_rows(&state, &actor, ACTIVITY_SQL, &filter).await?;
    let (mut requests, mut tokens) = (0_i64, 0_i64);
    let daily: Vec<Value> = rows
        .iter()
        .map(|row| {
            let (date, day_requests, day_tokens): (String, i64, i64) =
                (row.get(0), row.get(1), row.get(2));
            requests += day_requests;
            tokens += day_tokens;
            json!({"date": query::day_label(&date), "api_requests": day_requests, "total_tokens": day_tokens})
        })
        .collect();
    Ok(Json(
        json!({"daily_data": daily, "sum_api_requests": requests, "sum_total_tokens": tokens}),
    ))
}

#[derive(Default)]
struct GroupActivity {
    daily: Vec<Value>,
    requests: i64,
    tokens: i64,
}

/// Requests and tokens per model group and day over a range, the ten
/// busiest groups: `[{model, daily_data, sum_api_requests, sum_total_tokens}]`.
#[utoipa::path(get, path = "/global/activity/model", tag = "spend", params(RangeQuery),
    responses((status = 200, description = "[{model, daily_data, sum_api_requests, sum_total_tokens}]")))]
pub async fn activity_by_model(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = user_days(&actor, &query)?;
    let rows = filtered_rows(&state, &actor, MODEL_ACTIVITY_SQL, &filter).await?;
    let mut groups: BTreeMap<String, GroupActivity> = BTreeMap::new();
    for row in &rows {
        let (group, date, requests, tokens): (String, String, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let entry = groups.entry(group.clone()).or_default();
        entry.requests += requests;
        entry.tokens += tokens;
        entry.daily.push(json!({
            "model_group": group, "date": query::day_label(&date), "api_requests": requests, "total_tokens": tokens,
        }));
    }
    let mut ranked: Vec<(String, GroupActivity)> = groups.into_iter().collect();
    ranked.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then_with(|| a.0.cmp(&b.0)));
    let out: Vec<Value> = ranked
        .into_iter()
        .take(10)
        .map(|(model, group)| {
            json!({
                "model": model, "daily_data": group.daily,
                "sum_api_requests": group.requests, "sum_total_tokens": group.tokens,
            })
        })
        .collect();
    Ok(Json(Value::Array(out)))
}
