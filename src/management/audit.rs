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

/// Secrets never reach the audit log.
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
    }
}
