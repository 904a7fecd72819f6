//! Every change made through the management API leaves a `LiteLLM_AuditLog`
//! row in the same transaction as the change: both commit or neither does.

use serde_json::Value;

use super::Actor;
use crate::db::{DbError, TenantTx};

/// One audited change.
pub struct Change<'a> {
    /// `created`, `updated`, `deleted`, `blocked`, `unblocked`, `rotated`.
    pub action: &'a str,
    pub table: &'a str,
    pub object_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

const INSERT_SQL: &str = "
    INSERT INTO \"LiteLLM_AuditLog\"
           (account_id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, before_value, updated_values)
    VALUES ($1, clock_timestamp(), $2, $3, $4, $5, $6, $7, $8)";

/// Writes the audit row of `change` inside `tx`.
pub async fn record(tx: &TenantTx, actor: &Actor, change: Change<'_>) -> Result<(), DbError> {
    let before = change.before.map(redact);
    let after = change.after.map(redact);
    tx.execute(
        INSERT_SQL,
        &[
            &tx.account_id().uuid(),
            &actor.label(),
            &actor.key_hash.clone().unwrap_or_default(),
            &change.action,
            &change.table,
            &change.object_id,
            &before,
            &after,
        ],
    )
    .await?;
    Ok(())
}

const INSERT_ALL_SQL: &str = "
    INSERT INTO \"LiteLLM_AuditLog\"
           (account_id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, before_value, updated_values)
    SELECT $1, clock_timestamp(), $2, $3, $4, $5, c.object_id, c.before_value, c.updated_values
      FROM unnest($6::text[], $7::jsonb[], $8::jsonb[]) AS c(object_id, before_value, updated_values)";

/// One change of a bulk write: the object's id, its values before and after.
pub type Entry = (String, Option<Value>, Option<Value>);

/// Writes the audit rows of many changes of one kind to one table inside
/// `tx` in one statement, for writes that touch a whole table slice at once
/// (a global spend reset).
pub async fn record_all(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    table: &str,
    entries: Vec<Entry>,
) -> Result<(), DbError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(entries.len());
    let mut befores = Vec::with_capacity(entries.len());
    let mut afters = Vec::with_capacity(entries.len());
    for (id, before, after) in entries {
        ids.push(id);
        befores.push(before.map(redact));
        afters.push(after.map(redact));
    }
    tx.execute(
        INSERT_ALL_SQL,
        &[
            &tx.account_id().uuid(),
            &actor.label(),
            &actor.key_hash.clone().unwrap_or_default(),
            &action,
            &table,
            &ids,
            &befores,
            &afters,
        ],
    )
    .await?;
    Ok(())
}

/// Secrets never reach the audit log: the usual secret fields, and at any
/// depth every field whose name marks a secret (`langfuse_secret_key`,
/// `langsmith_api_key`...), sealed or not.
fn redact(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        for field in [
            "password",
            "api_key",
            "key",
            "credential_values",
            "client_secret",
        ] {
            if let Some(entry) = map.get_mut(field)
                && !entry.is_null()
            {
                *entry = Value::String("<redacted>".to_owned());
            }
        }
        for (name, entry) in map.iter_mut() {
            if crate::crypto::is_secret(name) && entry.is_string() {
                *entry = Value::String("<redacted>".to_owned());
            }
        }
        for nested in map.values_mut() {
            if nested.is_object() {
                *nested = redact(std::mem::take(nested));
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let value =
            redact(json!({"password": "p", "litellm_params": {"api_key": "sk-x"}, "name": "n"}));
        assert_eq!(value["password"], "<redacted>");
        assert_eq!(value["litellm_params"]["api_key"], "<redacted>");
        assert_eq!(value["name"], "n");
        let value = redact(json!({"metadata": {"callback_settings": {"callback_vars": {
            "langfuse_secret_key": "enc:v1:abc", "langfuse_host": "https://h"}}}}));
        let vars = &value["metadata"]["callback_settings"]["callback_vars"];
        assert_eq!(vars["langfuse_secret_key"], "<redacted>");
        assert_eq!(vars["langfuse_host"], "https://h");
    }
}
