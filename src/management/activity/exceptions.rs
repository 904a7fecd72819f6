//! `/global/activity/exceptions` and `/global/activity/exceptions/deployment`:
//! failed calls per day, for the account or one model group, and per
//! deployment (`api_base`), counted from the `LiteLLM_SpendLogs` rows the
//! spend writer marks `status = 'failure'`. The answer keeps LiteLLM's
//! field names (`num_rate_limit_exceptions`...), which its dashboard reads.
//! Internal users count their own calls only.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::management::spend::query::{self, Scope, Where};
use crate::proxy::ApiError;

/// Deployments the per-deployment view lists at most (LiteLLM's top ten).
const TOP_DEPLOYMENTS: usize = 10;

const PER_DAY_SQL: &str = "
    SELECT to_char((sl.\"startTime\" AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)
      FROM \"LiteLLM_SpendLogs\" sl
     WHERE {where}
     GROUP BY 1 ORDER BY 1";
const PER_DEPLOYMENT_SQL: &str = "
    SELECT coalesce(sl.api_base, ''),
           to_char((sl.\"startTime\" AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)
      FROM \"LiteLLM_SpendLogs\" sl
     WHERE {where}
     GROUP BY 1, 2 ORDER BY 1, 2";

/// A required day range and, optionally, one model group.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExceptionsQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
    /// Only calls to this model group (all groups when absent).
    model_group: Option<String>,
}

/// The failed calls of the range the caller may see.
fn failures(actor: &Actor, query: &ExceptionsQuery) -> Result<Where, ApiError> {
    let (Some(start), Some(end)) = (&query.start_date, &query.end_date) else {
        return Err(query::dates_required());
    };
    let mut filter = Where::new(actor.account, "sl.account_id");
    filter.push(
        "sl.\"startTime\" >= {}",
        query::start_of("start_date", start)?,
    );
    filter.push("sl.\"startTime\" < {}", query::end_of("end_date", end)?);
    filter.raw("sl.status = 'failure'");
    filter.push_some("sl.model_group = {}", query.model_group.clone());
    Scope::of(actor).on_logs(&mut filter, "sl.");
    Ok(filter)
}

/// Runs `sql` over the failed calls of the query's range.
async fn count(
    state: &AppState,
    actor: &Actor,
    sql: &str,
    query: &ExceptionsQuery,
) -> Result<Vec<tokio_postgres::Row>, ApiError> {
    let filter = failures(actor, query)?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(&sql.replace("{where}", &filter.sql()), &filter.params())
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Failed calls per day: `{daily_data: [{date, num_rate_limit_exceptions}],
/// sum_num_rate_limit_exceptions}`.
#[utoipa::path(get, path = "/global/activity/exceptions", tag = "spend", params(ExceptionsQuery),
    responses((status = 200, description = "{daily_data: [{date, num_rate_limit_exceptions}], sum_num_rate_limit_exceptions}"),
              (status = 400, description = "start_date or end_date missing")))]
pub async fn exceptions(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ExceptionsQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = count(&state, &actor, PER_DAY_SQL, &query).await?;
    let mut total = 0_i64;
    let daily: Vec<Value> = rows
        .iter()
        .map(|row| {
            let (date, failed): (String, i64) = (row.get(0), row.get(1));
            total += failed;
            json!({"date": query::day_label(&date), "num_rate_limit_exceptions": failed})
        })
        .collect();
    Ok(Json(
        json!({"daily_data": daily, "sum_num_rate_limit_exceptions": total}),
    ))
}

#[derive(Default)]
struct Deployment {
    daily: Vec<Value>,
    total: i64,
}

/// Failed calls per deployment and day, the ten deployments with the most:
/// `[{api_base, daily_data: [{api_base, date, num_rate_limit_exceptions}],
/// sum_num_rate_limit_exceptions}]`.
#[utoipa::path(get, path = "/global/activity/exceptions/deployment", tag = "spend", params(ExceptionsQuery),
    responses((status = 200, description = "[{api_base, daily_data, sum_num_rate_limit_exceptions}]"),
              (status = 400, description = "start_date or end_date missing")))]
pub async fn exceptions_by_deployment(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ExceptionsQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = count(&state, &actor, PER_DEPLOYMENT_SQL, &query).await?;
    let mut deployments: BTreeMap<String, Deployment> = BTreeMap::new();
    for row in &rows {
        let (api_base, date, failed): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        let entry = deployments.entry(api_base.clone()).or_default();
        entry.total += failed;
        entry.daily.push(json!({
            "api_base": api_base, "date": query::day_label(&date), "num_rate_limit_exceptions": failed,
        }));
    }
    let mut ranked: Vec<(String, Deployment)> = deployments.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total.cmp(&a.1.total).then_with(|| a.0.cmp(&b.0)));
    let out: Vec<Value> = ranked
        .into_iter()
        .take(TOP_DEPLOYMENTS)
        .map(|(api_base, deployment)| {
            json!({
                "api_base": api_base,
                "daily_data": deployment.daily,
                "sum_num_rate_limit_exceptions": deployment.total,
            })
        })
        .collect();
    Ok(Json(Value::Array(out)))
}
