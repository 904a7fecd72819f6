//! `/spend/keys`, `/spend/users`, `/spend/tags`: spend per key, user and
//! request tag, largest first.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::query::{self, MAX_LIST_ROWS, Scope, Where};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::proxy::ApiError;

const KEYS_SQL: &str = "
    SELECT to_jsonb(k.*) FROM \"LiteLLM_VerificationToken\" k
     WHERE {where} ORDER BY k.spend DESC, k.token LIMIT {limit}";
const USERS_SQL: &str = "
    SELECT to_jsonb(u.*) - 'password' FROM \"LiteLLM_UserTable\" u
     WHERE {where} ORDER BY u.spend DESC, u.user_id LIMIT {limit}";
const TAGS_SQL: &str = "
    SELECT jsonb_build_object('individual_request_tag', d.tag, 'log_count', sum(d.api_requests),
                              'total_spend', sum(d.spend))
      FROM \"LiteLLM_DailyTagSpend\" d
     WHERE {where}
     GROUP BY d.tag ORDER BY sum(d.spend) DESC, d.tag LIMIT {limit}";

async fn list(
    state: &AppState,
    actor: &Actor,
    sql: &str,
    mut filter: Where,
) -> Result<Json<Value>, ApiError> {
    let limit = filter.param(MAX_LIST_ROWS);
    let sql = sql
        .replace("{where}", &filter.sql())
        .replace("{limit}", &limit);
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx.query(&sql, &filter.params()).await?;
    tx.commit().await?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| row.get(0)).collect(),
    )))
}

/// Every key of the account (an internal user: their own), by spend.
#[utoipa::path(get, path = "/spend/keys", tag = "spend",
    responses((status = 200, description = "LiteLLM_VerificationToken rows, largest spend first")))]
pub async fn keys(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let mut filter = Where::new(actor.account, "k.account_id");
    match Scope::of(&actor) {
        Scope::Account => {}
        Scope::User(user) => filter.push("k.user_id = {}", user),
        Scope::Key(key) => filter.push("k.token = {}", key),
    }
    list(&state, &actor, KEYS_SQL, filter).await
}

/// `?user_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UsersQuery {
    user_id: Option<String>,
}

/// Every user of the account by spend, or one user's row in a list (an
/// internal user: their own only).
#[utoipa::path(get, path = "/spend/users", tag = "spend", params(UsersQuery),
    responses((status = 200, description = "LiteLLM_UserTable rows, largest spend first")))]
pub async fn users(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<UsersQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut filter = Where::new(actor.account, "u.account_id");
    filter.push_some("u.user_id = {}", query.user_id);
    match Scope::of(&actor) {
        Scope::Account => {}
        Scope::User(user) => filter.push("u.user_id = {}", user),
        Scope::Key(_) => filter.raw("false"),
    }
    list(&state, &actor, USERS_SQL, filter).await
}

/// Day range of `/spend/tags`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TagsQuery {
    /// `YYYY-MM-DD`; with `end_date`, defaults to the last 30 days.
    start_date: Option<String>,
    end_date: Option<String>,
}

/// Spend and request count per request tag (from the daily tag totals; the
/// last 30 days unless a range is given).
#[utoipa::path(get, path = "/spend/tags", tag = "spend", params(TagsQuery),
    responses((status = 200, description = "[{individual_request_tag, log_count, total_spend}]")))]
pub async fn tags(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<TagsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (first, last) = match (&query.start_date, &query.end_date) {
        (None, None) => query::last_30_days(),
        (start, end) => query::day_range(start.as_deref(), end.as_deref())?,
    };
    let mut filter = Where::new(actor.account, "d.account_id");
    filter.push("d.date >= {}", query::day_key(first));
    filter.push("d.date <= {}", query::day_key(last));
    Scope::of(&actor).on_keys(&mut filter, "d.");
    list(&state, &actor, TAGS_SQL, filter).await
}
