//! Row-level helpers the endpoint families share: a JSON object becomes a
//! row through `jsonb_populate_record`, so PostgreSQL does the typing, and
//! only the columns an endpoint allows are ever named. Every statement
//! filters by the transaction's account as well as relying on RLS.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::db::{DbError, TenantTx};
use crate::proxy::ApiError;

/// The JSON shape a column accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Integer,
    Bool,
    /// Any JSON object (or null).
    Object,
    /// Any JSON value.
    Json,
    TextList,
    /// An RFC 3339 timestamp.
    Time,
}

/// A column an endpoint lets clients set.
pub type Field = (&'static str, Kind);

/// Checks the allowed fields present in `body` and returns them; a field of
/// the wrong type is a 422 naming it. `null` is accepted (it clears).
pub fn pick(body: &Map<String, Value>, allowed: &[Field]) -> Result<Map<String, Value>, ApiError> {
    let mut picked = Map::new();
    for (name, kind) in allowed {
        let Some(value) = body.get(*name) else {
            continue;
        };
        let fits = match (kind, value) {
            (_, Value::Null) => true,
            (Kind::Text, Value::String(_)) => true,
            (Kind::Number, Value::Number(_)) => true,
            (Kind::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Kind::Bool, Value::Bool(_)) => true,
            (Kind::Object, Value::Object(_)) => true,
            (Kind::Json, _) => true,
            (Kind::TextList, Value::Array(items)) => items.iter().all(Value::is_string),
            (Kind::Time, Value::String(text)) => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            _ => false,
        };
        if !fits {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_error",
                format!("invalid request body: {name}: expected {}", describe(*kind)),
            )
            .with_param(name));
        }
        picked.insert((*name).to_owned(), value.clone());
    }
    Ok(picked)
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "a string",
        Kind::Number => "a number",
        Kind::Integer => "an integer",
        Kind::Bool => "a boolean",
        Kind::Object => "an object",
        Kind::Json => "JSON",
        Kind::TextList => "a list of strings",
        Kind::Time => "an RFC 3339 timestamp",
    }
}

/// A required string field, or a 422 naming it.
pub fn required_text(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match body.get(name) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_error",
            format!("invalid request body: {name}: a non-empty string is required"),
        )
        .with_param(name)),
    }
}

fn columns(row: &Map<String, Value>) -> (String, String) {
    let names: Vec<String> = row.keys().map(|c| format!("\"{c}\"")).collect();
    let selected: Vec<String> = row.keys().map(|c| format!("r.\"{c}\"")).collect();
    (names.join(", "), selected.join(", "))
}

fn conditions(keys: &[(&str, &str)], first: usize) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, (column, _))| format!(" AND t.\"{column}\" = ${}", first + i))
        .collect()
}

/// Inserts `row` (plus the account) into `table`; returns the stored row.
pub async fn insert(
    tx: &TenantTx,
    table: &str,
    mut row: Map<String, Value>,
) -> Result<Value, DbError> {
    row.insert(
        "account_id".into(),
        Value::String(tx.account_id().to_string()),
    );
    let (names, selected) = columns(&row);
    let sql = format!(
        "INSERT INTO \"{table}\" AS t ({names})
         SELECT {selected} FROM jsonb_populate_record(NULL::\"{table}\", $1) r
         RETURNING to_jsonb(t.*)"
    );
    let row = tx.query_one(&sql, &[&Value::Object(row)]).await?;
    Ok(row.get(0))
}

/// Runs `sql` (with the account as `$1`, then `extra`, then the key
/// values) and returns the first row's JSON, if any.
async fn one_row(
    tx: &TenantTx,
    sql: &str,
    extra: Option<&Value>,
    keys: &[(&str, &str)],
) -> Result<Option<Value>, DbError> {
    let account = tx.account_id().uuid();
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&account];
    if let Some(extra) = extra {
        params.push(extra);
    }
    for (_, value) in keys {
        params.push(value);
    }
    Ok(tx.query_opt(sql, &params).await?.map(|row| row.get(0)))
}

/// Reads one row of the account by key columns.
pub async fn get(
    tx: &TenantTx,
    table: &str,
    keys: &[(&str, &str)],
) -> Result<Option<Value>, DbError> {
    let sql = format!(
        "SELECT to_jsonb(t.*) FROM \"{table}\" t WHERE t.account_id = $1{}",
        conditions(keys, 2)
    );
    one_row(tx, &sql, None, keys).await
}

/// Updates the given columns of one row; returns (before, after), or `None`
/// when the account has no such row.
pub async fn update(
    tx: &TenantTx,
    table: &str,
    keys: &[(&str, &str)],
    changes: Map<String, Value>,
) -> Result<Option<(Value, Value)>, DbError> {
    let lock = format!(
        "SELECT to_jsonb(t.*) FROM \"{table}\" t WHERE t.account_id = $1{} FOR UPDATE",
        conditions(keys, 2)
    );
    let Some(before) = one_row(tx, &lock, None, keys).await? else {
        return Ok(None);
    };
    if changes.is_empty() {
        return Ok(Some((before.clone(), before)));
    }
    let (names, selected) = columns(&changes);
    let sql = format!(
        "UPDATE \"{table}\" t SET ({names}) = (SELECT {selected} FROM jsonb_populate_record(NULL::\"{table}\", $2) r)
          WHERE t.account_id = $1{} RETURNING to_jsonb(t.*)",
        conditions(keys, 3)
    );
    let after = one_row(tx, &sql, Some(&Value::Object(changes)), keys)
        .await?
        .unwrap_or(Value::Null);
    Ok(Some((before, after)))
}

/// Deletes one row; returns it, or `None` when the account has no such row.
pub async fn delete(
    tx: &TenantTx,
    table: &str,
    keys: &[(&str, &str)],
) -> Result<Option<Value>, DbError> {
    let sql = format!(
        "DELETE FROM \"{table}\" t WHERE t.account_id = $1{} RETURNING to_jsonb(t.*)",
        conditions(keys, 2)
    );
    one_row(tx, &sql, None, keys).await
}

/// 404 in LiteLLM's words; the same for another account's id as for none.
pub fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found_error",
        format!("{what} not found: {id}"),
    )
}
