//! `/global/spend*` totals over the last 30 days, as LiteLLM's spend views
//! give them: the account's total, per day, per key, per team and per
//! model. They read the daily aggregate tables, whose rows the spend writer
//! keeps per (user, day, key, model, provider, endpoint), so a month is a
//! small index range whatever the traffic.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::query::{self, MAX_LIST_ROWS, Scope, Where, invalid};
use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::body::Query;
use crate::proxy::ApiError;

const TOTAL_SQL: &str = "
    SELECT coalesce(sum(d.spend), 0)::float8 FROM \"LiteLLM_DailyUserSpend\" d WHERE {where}";
const ACCOUNT_BUDGET_SQL: &str = "
    SELECT coalesce(max_budget, 0)::float8 FROM \"Alchemi_AccountTable\" WHERE account_id = $1";
const USER_BUDGET_SQL: &str = "
    SELECT coalesce(max_budget, 0)::float8 FROM \"LiteLLM_UserTable\" WHERE account_id = $1 AND user_id = $2";
const KEY_BUDGET_SQL: &str = "
    SELECT coalesce(max_budget, 0)::float8 FROM \"LiteLLM_VerificationToken\" WHERE account_id = $1 AND token = $2";
const DAILY_SQL: &str = "
    SELECT jsonb_build_object('date', d.date, 'spend', sum(d.spend))
      FROM \"LiteLLM_DailyUserSpend\" d WHERE {where} GROUP BY d.date ORDER BY d.date";
const DAILY_PER_KEY_SQL: &str = "
    SELECT jsonb_build_object('date', d.date, 'spend', sum(d.spend), 'api_key', d.api_key)
      FROM \"LiteLLM_DailyUserSpend\" d WHERE {where} GROUP BY d.date, d.api_key ORDER BY d.date, d.api_key";
const DAILY_PER_USER_KEY_SQL: &str = "
    SELECT jsonb_build_object('date', d.date, 'spend', sum(d.spend), 'api_key', d.api_key, 'user', d.user_id)
      FROM \"LiteLLM_DailyUserSpend\" d WHERE {where}
     GROUP BY d.date, d.api_key, d.user_id ORDER BY d.date, d.api_key";
const KEYS_SQL: &str = "
    SELECT jsonb_build_object('api_key', t.api_key, 'key_alias', k.key_alias, 'key_name', k.key_name,
                              'total_spend', t.total_spend)
      FROM (SELECT d.api_key, sum(d.spend) AS total_spend FROM \"LiteLLM_DailyUserSpend\" d
             WHERE {where} GROUP BY d.api_key ORDER BY total_spend DESC, d.api_key LIMIT {limit}) t
      LEFT JOIN \"LiteLLM_VerificationToken\" k ON k.account_id = $1 AND k.token = t.api_key
     ORDER BY t.total_spend DESC, t.api_key";
const TEAM_DAYS_SQL: &str = "
    SELECT d.date, coalesce(t.team_alias, d.team_id), sum(d.spend)::float8
      FROM \"LiteLLM_DailyTeamSpend\" d
      LEFT JOIN \"LiteLLM_TeamTable\" t ON t.account_id = d.account_id AND t.team_id = d.team_id
     WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2";
const DAY_TOTALS_SQL: &str = "
    SELECT d.date, sum(d.spend)::float8 FROM \"LiteLLM_DailyUserSpend\" d WHERE {where} GROUP BY 1";
const MODELS_SQL: &str = "
    SELECT jsonb_build_object('model', d.model, 'total_spend', sum(d.spend),
                              'total_tokens', sum(d.prompt_tokens + d.completion_tokens))
      FROM \"LiteLLM_DailyUserSpend\" d
     WHERE {where} AND coalesce(d.model, '') <> ''
     GROUP BY d.model ORDER BY sum(d.spend) DESC, d.model LIMIT {limit}";

/// The daily-user-table filter of the last 30 days, scoped to the caller.
fn last_month(actor: &Actor) -> Where {
    let (first, last) = query::last_30_days();
    let mut filter = Where::new(actor.account, "d.account_id");
    filter.push("d.date >= {}", query::day_key(first));
    filter.push("d.date <= {}", query::day_key(last));
    Scope::of(actor).on_user_days(&mut filter);
    filter
}

/// Runs a statement whose single column is a JSON value.
pub(super) async fn json_rows(
    tx: &TenantTx,
    sql: &str,
    filter: &Where,
) -> Result<Vec<Value>, ApiError> {
    let rows = tx
        .query(&sql.replace("{where}", &filter.sql()), &filter.params())
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Spend of the last 30 days and the budget over it (the account's; an
/// internal user's own): `{spend, max_budget}`.
#[utoipa::path(get, path = "/global/spend", tag = "spend",
    responses((status = 200, description = "{spend, max_budget}")))]
pub async fn spend(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let filter = last_month(&actor);
    let tx = state.db().tenant(actor.account).await?;
    let total: f64 = tx
        .query_one(
            &TOTAL_SQL.replace("{where}", &filter.sql()),
            &filter.params(),
        )
        .await?
        .get(0);
    let account = actor.account.uuid();
    let budget = match Scope::of(&actor) {
        Scope::Account => tx.query_opt(ACCOUNT_BUDGET_SQL, &[&account]).await?,
        Scope::User(user) => tx.query_opt(USER_BUDGET_SQL, &[&account, &user]).await?,
        Scope::Key(key) => tx.query_opt(KEY_BUDGET_SQL, &[&account, &key]).await?,
    };
    tx.commit().await?;
    let max_budget: f64 = budget.map_or(0.0, |row| row.get(0));
    Ok(Json(json!({"spend": total, "max_budget": max_budget})))
}

/// `?api_key=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct KeyQuery {
    /// A raw key (`sk-...`) or its hash.
    api_key: Option<String>,
}

/// Spend per day over the last 30 days: `[{date, spend}]`, per key with
/// `api_key`; an internal user gets `[{date, spend, api_key, user}]`.
#[utoipa::path(get, path = "/global/spend/logs", tag = "spend", params(KeyQuery),
    responses((status = 200, description = "[{date, spend}]")))]
pub async fn logs(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<KeyQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut filter = last_month(&actor);
    let key = query.api_key.as_deref().map(query::key_hash);
    let sql = match (Scope::of(&actor), &key) {
        (Scope::Account, None) => DAILY_SQL,
        (Scope::Account, Some(_)) => DAILY_PER_KEY_SQL,
        _ => DAILY_PER_USER_KEY_SQL,
    };
    filter.push_some("d.api_key = {}", key);
    let tx = state.db().tenant(actor.account).await?;
    let rows = json_rows(&tx, sql, &filter).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(rows)))
}

/// `?limit=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    /// The top `limit` rows.
    limit: Option<i64>,
}

fn limit(requested: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match requested {
        None => Ok(default),
        Some(limit) if limit >= 1 => Ok(limit.min(MAX_LIST_ROWS)),
        Some(limit) => Err(invalid(
            "limit",
            &format!("Invalid limit: {limit}, Limit must be greater than 0"),
        )),
    }
}

/// The keys with the most spend over the last 30 days:
/// `[{api_key, key_alias, key_name, total_spend}]`.
#[utoipa::path(get, path = "/global/spend/keys", tag = "spend", params(LimitQuery),
    responses((status = 200, description = "[{api_key, key_alias, key_name, total_spend}]")))]
pub async fn keys(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<LimitQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut filter = last_month(&actor);
    let limit = filter.param(limit(query.limit, MAX_LIST_ROWS)?);
    let tx = state.db().tenant(actor.account).await?;
    let rows = json_rows(&tx, &KEYS_SQL.replace("{limit}", &limit), &filter).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(rows)))
}

/// LiteLLM rounds team spend to cents here.
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Spend per team and day over the last 30 days; spend of keys without a
/// team shows as `Unassigned`: `{daily_spend: [{date, <team>: spend}],
/// teams, total_spend_per_team: [{team_id, total_spend}]}` (top 10).
#[utoipa::path(get, path = "/global/spend/teams", tag = "spend",
    responses((status = 200, description = "{daily_spend, teams, total_spend_per_team}")))]
pub async fn teams(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let (first, last) = query::last_30_days();
    let mut team_filter = Where::new(actor.account, "d.account_id");
    team_filter.push("d.date >= {}", query::day_key(first));
    team_filter.push("d.date <= {}", query::day_key(last));
    Scope::of(&actor).on_keys(&mut team_filter, "d.");
    let day_filter = last_month(&actor);

    let tx = state.db().tenant(actor.account).await?;
    let team_rows = tx
        .query(
            &TEAM_DAYS_SQL.replace("{where}", &team_filter.sql()),
            &team_filter.params(),
        )
        .await?;
    let day_rows = tx
        .query(
            &DAY_TOTALS_SQL.replace("{where}", &day_filter.sql()),
            &day_filter.params(),
        )
        .await?;
    tx.commit().await?;

    let mut days: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut assigned: BTreeMap<String, f64> = BTreeMap::new();
    for row in &team_rows {
        let (date, team, spend): (String, Option<String>, f64) =
            (row.get(0), row.get(1), row.get(2));
        *assigned.entry(date.clone()).or_default() += spend;
        let team = team.unwrap_or_else(|| "Unassigned".to_owned());
        *days.entry(date).or_default().entry(team).or_default() += cents(spend);
    }
    for row in &day_rows {
        let (date, total): (String, f64) = (row.get(0), row.get(1));
        let rest = cents(total - assigned.get(&date).copied().unwrap_or(0.0));
        if rest > 0.0 {
            *days
                .entry(date)
                .or_default()
                .entry("Unassigned".to_owned())
                .or_default() += rest;
        }
    }
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    let mut names = BTreeSet::new();
    let daily: Vec<Value> = days
        .into_iter()
        .map(|(date, spends)| {
            let mut entry = serde_json::Map::new();
            entry.insert("date".into(), json!(date));
            for (team, spend) in spends {
                *totals.entry(team.clone()).or_default() += spend;
                names.insert(team.clone());
                entry.insert(team, json!(spend));
            }
            Value::Object(entry)
        })
        .collect();
    let mut ranked: Vec<(String, f64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top: Vec<Value> = ranked
        .into_iter()
        .take(10)
        .map(|(team, spend)| json!({"team_id": team, "total_spend": spend}))
        .collect();
    Ok(Json(
        json!({"daily_spend": daily, "teams": names, "total_spend_per_team": top}),
    ))
}

/// The models with the most spend over the last 30 days (10 unless
/// `limit` says): `[{model, total_spend, total_tokens}]`.
#[utoipa::path(get, path = "/global/spend/models", tag = "spend", params(LimitQuery),
    responses((status = 200, description = "[{model, total_spend, total_tokens}]")))]
pub async fn models(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<LimitQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut filter = last_month(&actor);
    let limit = filter.param(limit(query.limit, 10)?);
    let tx = state.db().tenant(actor.account).await?;
    let rows = json_rows(&tx, &MODELS_SQL.replace("{limit}", &limit), &filter).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(rows)))
}
