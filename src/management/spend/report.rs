//! `GET /global/spend/report`: spend per day and team (or customer), with
//! each model and key's share, or per key with each model's share, over a
//! required range. It reads `LiteLLM_SpendLogs`, the one table that knows
//! team, customer, key and model of every call together; the range keeps
//! it to one slice of the `(account_id, "startTime")` index.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{self, Scope, Where, invalid};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::proxy::ApiError;

/// A day as LiteLLM prints it, formatted once per day after aggregation.
const DAY: &str = "to_char(day, 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')";

/// Per day and team, each entry listing every (model, key) share. Rows are
/// aggregated on the bare timestamp and team id first; aliases and day
/// labels are attached to the few aggregated rows, and PostgreSQL renders
/// the whole answer as one JSON text, passed through untouched.
const TEAM_SQL: &str = "
    WITH by_key AS (
        SELECT date_trunc('day', sl.\"startTime\" AT TIME ZONE 'UTC') AS day, sl.team_id,
               sl.model, sl.api_key, sum(sl.spend) AS spend, sum(sl.total_tokens) AS total_tokens
          FROM \"LiteLLM_SpendLogs\" sl
         WHERE {where}
         GROUP BY 1, 2, 3, 4),
    per_team AS (
        SELECT b.day, coalesce(tt.team_alias, b.team_id, 'Unassigned Team') AS team_name,
               sum(b.spend) AS total_spend,
               json_agg(json_build_object('model', b.model, 'api_key', b.api_key, 'spend', b.spend,
                                          'total_tokens', b.total_tokens)
                        ORDER BY b.spend DESC, b.model, b.api_key) AS metadata
          FROM by_key b
          LEFT JOIN \"LiteLLM_TeamTable\" tt ON tt.account_id = $1 AND tt.team_id = b.team_id
         GROUP BY 1, 2),
    per_day AS (
        SELECT day, json_build_object('group_by_day', {day},
                   'teams', json_agg(json_build_object('team_name', team_name, 'total_spend', total_spend,
                                                       'metadata', metadata)
                                     ORDER BY total_spend DESC, team_name)) AS entry
          FROM per_team GROUP BY day)
    SELECT coalesce(json_agg(entry ORDER BY day), '[]')::text FROM per_day";

/// Per day and customer (end user), each listing its (model, key) shares.
const CUSTOMER_SQL: &str = "
    WITH by_key AS (
        SELECT date_trunc('day', sl.\"startTime\" AT TIME ZONE 'UTC') AS day, sl.end_user AS customer,
               sl.model, sl.api_key, sum(sl.spend) AS spend, sum(sl.total_tokens) AS total_tokens
          FROM \"LiteLLM_SpendLogs\" sl
         WHERE {where}
         GROUP BY 1, 2, 3, 4),
    per_customer AS (
        SELECT day, customer, sum(spend) AS total_spend,
               json_agg(json_build_object('model', model, 'api_key', api_key, 'spend', spend,
                                          'total_tokens', total_tokens)
                        ORDER BY spend DESC, model, api_key) AS metadata
          FROM by_key GROUP BY 1, 2),
    per_day AS (
        SELECT day, json_build_object('group_by_day', {day},
                   'customers', json_agg(json_build_object('customer', customer, 'total_spend', total_spend,
                                                           'metadata', metadata)
                                         ORDER BY total_spend DESC, customer)) AS entry
          FROM per_customer GROUP BY day)
    SELECT coalesce(json_agg(entry ORDER BY day), '[]')::text FROM per_day";

/// Per key, each listing its models.
const KEY_SQL: &str = "
    WITH by_model AS (
        SELECT sl.api_key, sl.model, sum(sl.spend) AS cost,
               sum(sl.prompt_tokens) AS input_tokens, sum(sl.completion_tokens) AS output_tokens
          FROM \"LiteLLM_SpendLogs\" sl
         WHERE {where}
         GROUP BY 1, 2),
    per_key AS (
        SELECT api_key, sum(cost) AS total_cost,
               json_build_object('api_key', api_key, 'total_cost', sum(cost),
                   'total_input_tokens', sum(input_tokens), 'total_output_tokens', sum(output_tokens),
                   'model_details', json_agg(json_build_object('model', model, 'total_cost', cost,
                                                               'total_input_tokens', input_tokens,
                                                               'total_output_tokens', output_tokens)
                                             ORDER BY cost DESC, model)) AS entry
          FROM by_model GROUP BY api_key)
    SELECT coalesce(json_agg(entry ORDER BY total_cost DESC, api_key), '[]')::text FROM per_key";

/// `/global/spend/report` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
    /// `team` (default), `customer` or `api_key`.
    group_by: Option<String>,
    /// One key's spend per model (raw or hashed key).
    api_key: Option<String>,
    /// One user's spend per key and model.
    internal_user_id: Option<String>,
    /// Only this team's spend.
    team_id: Option<String>,
    /// Only this customer's (end user's) spend.
    customer_id: Option<String>,
}

/// Spend over a range, per day and team (`group_by=team`):
/// `[{group_by_day, teams: [{team_name, total_spend, metadata: [{model,
/// api_key, spend, total_tokens}]}]}]`; per day and customer
/// (`group_by=customer`, `customers: [{customer, ...}]`); or per key
/// (`group_by=api_key`, or `api_key` / `internal_user_id` given):
/// `[{api_key, total_cost, total_input_tokens, total_output_tokens,
/// model_details}]`.
#[utoipa::path(get, path = "/global/spend/report", tag = "spend", params(ReportQuery),
    responses((status = 200, description = "Report rows")))]
pub async fn report(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ReportQuery>,
) -> Result<RawJson, ApiError> {
    let (Some(start), Some(end)) = (&query.start_date, &query.end_date) else {
        return Err(query::dates_required());
    };
    let mut filter = Where::new(actor.account, "sl.account_id");
    filter.push(
        "sl.\"startTime\" >= {}",
        query::start_of("start_date", start)?,
    );
    filter.push("sl.\"startTime\" < {}", query::end_of("end_date", end)?);
    Scope::of(&actor).on_logs(&mut filter, "sl.");
    filter.push_some("sl.team_id = {}", query.team_id.clone());
    filter.push_some("sl.end_user = {}", query.customer_id.clone());

    let sql = if let Some(key) = &query.api_key {
        filter.push("sl.api_key = {}", query::key_hash(key));
        KEY_SQL
    } else if let Some(user) = &query.internal_user_id {
        filter.push("sl.\"user\" = {}", user.clone());
        KEY_SQL
    } else {
        match query.group_by.as_deref() {
            None | Some("team") => TEAM_SQL,
            Some("customer") => CUSTOMER_SQL,
            Some("api_key") => KEY_SQL,
            Some(_) => return Err(invalid("group_by", "expected team, customer or api_key")),
        }
    };
    let tx = state.db().tenant(actor.account).await?;
    let sql = sql.replace("{day}", DAY).replace("{where}", &filter.sql());
    let text: String = tx.query_one(&sql, &filter.params()).await?.get(0);
    tx.commit().await?;
    Ok(RawJson(text))
}

/// A JSON document PostgreSQL has already rendered: a large report is sent
/// as it comes from the database instead of being parsed and printed again.
pub struct RawJson(String);

impl IntoResponse for RawJson {
    fn into_response(self) -> Response {
        ([(CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}
