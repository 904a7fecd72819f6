//! The account rows and their audit trail, through the super admin's
//! transaction. The platform account (the nil UUID) is excluded from every
//! statement, so it can be neither read nor changed here.

use serde_json::{Map, Value};

use crate::db::{AccountId, AdminTx, DbError};
use crate::proxy::ApiError;

/// The registry table.
pub const TABLE: &str = "Alchemi_AccountTable";

/// What audit rows of the super admin record as `changed_by`.
pub const CHANGED_BY: &str = "super_admin";

/// Columns `PUT /account/{id}` may change.
pub const UPDATABLE: [&str; 5] = [
    "account_name",
    "account_alias",
    "domain",
    "max_budget",
    "metadata",
];

const LOCK_SQL: &str = "
    SELECT to_jsonb(a.*) FROM \"Alchemi_AccountTable\" a
     WHERE a.account_id = $1 AND a.status <> 'platform' FOR UPDATE";

const GET_SQL: &str = "
    SELECT to_jsonb(a.*) FROM \"Alchemi_AccountTable\" a
     WHERE a.account_id = $1 AND a.status <> 'platform'";

const STATUS_SQL: &str = "
    UPDATE \"Alchemi_AccountTable\" SET status = $2
     WHERE account_id = $1 AND status <> 'platform' RETURNING to_jsonb(\"Alchemi_AccountTable\".*)";

const AUDIT_SQL: &str = "
    INSERT INTO \"LiteLLM_AuditLog\"
           (account_id, changed_by, changed_by_api_key, action, table_name, object_id, before_value, updated_values)
    VALUES ($1, $2, '', $3, $4, $5, $6, $7)";

/// The account id in a path; anything else (the platform account included)
/// is the same 404 as an account that does not exist.
pub fn parse_id(text: &str) -> Result<AccountId, ApiError> {
    text.parse().map_err(|_| not_found(text))
}

/// 404 for an account.
pub fn not_found(id: &str) -> ApiError {
    super::super::rows::not_found("Account", id)
}

/// One account's row.
pub async fn get(tx: &AdminTx, account: AccountId) -> Result<Option<Value>, DbError> {
    Ok(tx
        .query_opt(GET_SQL, &[&account.uuid()])
        .await?
        .map(|row| row.get(0)))
}

/// One account's row, locked for the rest of the transaction.
pub async fn lock(tx: &AdminTx, account: AccountId) -> Result<Option<Value>, DbError> {
    Ok(tx
        .query_opt(LOCK_SQL, &[&account.uuid()])
        .await?
        .map(|row| row.get(0)))
}

/// Changes the given columns (names from [`UPDATABLE`] only); returns the row.
pub async fn update(
    tx: &AdminTx,
    account: AccountId,
    changes: &Map<String, Value>,
) -> Result<Value, DbError> {
    let assignments: Vec<String> = UPDATABLE
        .iter()
        .filter(|column| changes.contains_key(**column))
        .map(|column| format!("\"{column}\" = r.\"{column}\""))
        .collect();
    if assignments.is_empty() {
        return Ok(lock(tx, account).await?.unwrap_or(Value::Null));
    }
    let sql = format!(
        "UPDATE \"Alchemi_AccountTable\" t SET {}
           FROM jsonb_populate_record(NULL::\"Alchemi_AccountTable\", $2) r
          WHERE t.account_id = $1 AND t.status <> 'platform' RETURNING to_jsonb(t.*)",
        assignments.join(", ")
    );
    let changes = Value::Object(changes.clone());
    Ok(tx
        .query_one(&sql, &[&account.uuid(), &changes])
        .await?
        .get(0))
}

/// Sets the account's status; returns the row.
pub async fn set_status(
    tx: &AdminTx,
    account: AccountId,
    status: &str,
) -> Result<Option<Value>, DbError> {
    Ok(tx
        .query_opt(STATUS_SQL, &[&account.uuid(), &status])
        .await?
        .map(|row| row.get(0)))
}

/// One audited change of the super admin, recorded in the affected account.
pub struct Audit<'a> {
    pub account: AccountId,
    pub action: &'a str,
    pub table: &'a str,
    pub object_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes the audit row inside the change's own transaction.
pub async fn audit(tx: &AdminTx, entry: Audit<'_>) -> Result<(), DbError> {
    let before = entry.before.map(without_password);
    let after = entry.after.map(without_password);
    tx.execute(
        AUDIT_SQL,
        &[
            &entry.account.uuid(),
            &CHANGED_BY,
            &entry.action,
            &entry.table,
            &entry.object_id,
            &before,
            &after,
        ],
    )
    .await?;
    Ok(())
}

/// Password hashes never reach the audit log.
pub fn without_password(mut value: Value) -> Value {
    if let Some(entry) = value.get_mut("password")
        && !entry.is_null()
    {
        *entry = Value::String("<redacted>".to_owned());
    }
    value
}
