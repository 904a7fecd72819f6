//! What a key request may set, and how LiteLLM's conveniences (`duration`,
//! `budget_duration`, `soft_budget`, per-model limits) become columns.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::governance::Period;
use crate::management::audited::Table;
use crate::management::rows::{self, Field, Kind};
use crate::proxy::ApiError;

pub const TABLE: &str = "LiteLLM_VerificationToken";

/// The keys table for audited writes: a key enters the audit log as its
/// clients see it, without the secret columns.
pub const KEYS: Table = Table {
    name: TABLE,
    key: "token",
    audit_view: public_view,
};

/// [`public_row`] of a borrowed row, the shape [`Table::audit_view`] takes.
fn public_view(row: &Value) -> Value {
    public_row(row.clone())
}

/// Columns a client may set directly.
pub const FIELDS: [Field; 23] = [
    ("key_alias", Kind::Text),
    ("user_id", Kind::Text),
    ("team_id", Kind::Text),
    ("organization_id", Kind::Text),
    ("budget_id", Kind::Text),
    ("models", Kind::TextList),
    ("aliases", Kind::Object),
    ("metadata", Kind::Object),
    ("config", Kind::Object),
    ("permissions", Kind::Object),
    ("router_settings", Kind::Object),
    ("allowed_routes", Kind::TextList),
    ("allowed_cache_controls", Kind::TextList),
    ("policies", Kind::TextList),
    ("access_group_ids", Kind::TextList),
    ("max_budget", Kind::Number),
    ("model_max_budget", Kind::Object),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("max_parallel_requests", Kind::Integer),
    ("blocked", Kind::Bool),
    ("spend", Kind::Number),
    ("auto_rotate", Kind::Bool),
];

/// Request fields LiteLLM keeps in the key's metadata.
const METADATA_FIELDS: [Field; 6] = [
    ("model_rpm_limit", Kind::Object),
    ("model_tpm_limit", Kind::Object),
    ("rpm_limit_type", Kind::Text),
    ("tpm_limit_type", Kind::Text),
    ("tags", Kind::TextList),
    ("guardrails", Kind::TextList),
];

/// Request fields that are computed into columns.
const DERIVED_FIELDS: [Field; 6] = [
    ("duration", Kind::Text),
    ("budget_duration", Kind::Text),
    ("soft_budget", Kind::Number),
    ("temp_budget_increase", Kind::Number),
    ("temp_budget_expiry", Kind::Time),
    ("rotation_interval", Kind::Text),
];

/// The columns a create or update request sets.
pub struct KeyColumns {
    pub columns: Map<String, Value>,
    /// A soft budget needs a budget row of its own.
    pub soft_budget: Option<f64>,
}

/// Reads `body` into columns (validating every field's type); `existing`
/// metadata is kept and extended on update.
pub fn columns(
    body: &Map<String, Value>,
    existing_metadata: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<KeyColumns, ApiError> {
    let mut columns = rows::pick(body, &FIELDS)?;
    let extra = rows::pick(body, &METADATA_FIELDS)?;
    let derived = rows::pick(body, &DERIVED_FIELDS)?;
    let mut metadata = match columns.get("metadata").or(existing_metadata) {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    for (name, value) in extra {
        metadata.insert(name, value);
    }
    if let Some(Value::Number(increase)) = derived.get("temp_budget_increase") {
        metadata.insert(
            "temp_budget_increase".into(),
            Value::Number(increase.clone()),
        );
        if let Some(expiry) = derived.get("temp_budget_expiry") {
            metadata.insert("temp_budget_expiry".into(), expiry.clone());
        }
    }
    if !metadata.is_empty() || columns.contains_key("metadata") {
        columns.insert("metadata".into(), Value::Object(metadata));
    }
    if let Some(value) = derived.get("duration") {
        let expires = match value {
            Value::String(text) => Some(now + span(text, "duration")?),
            _ => None,
        };
        columns.insert("expires".into(), json!(expires));
    }
    if let Some(value) = derived.get("budget_duration") {
        match value {
            Value::String(text) => {
                let period = period(text, "budget_duration")?;
                columns.insert("budget_duration".into(), json!(text));
                columns.insert("budget_reset_at".into(), json!(period.next_reset(now)));
            }
            _ => {
                columns.insert("budget_duration".into(), Value::Null);
                columns.insert("budget_reset_at".into(), Value::Null);
            }
        }
    }
    if let Some(value) = derived.get("rotation_interval") {
        if let Value::String(text) = value {
            period(text, "rotation_interval")?;
        }
        columns.insert("rotation_interval".into(), value.clone());
    }
    if let Some(Value::String(key)) = body.get("key_alias")
        && key.trim().is_empty()
    {
        return Err(ApiError::bad_request("key_alias: must not be empty").with_param("key_alias"));
    }
    Ok(KeyColumns {
        columns,
        soft_budget: derived.get("soft_budget").and_then(Value::as_f64),
    })
}

fn period(text: &str, field: &str) -> Result<Period, ApiError> {
    Period::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{field}: `{text}` is not a duration such as 30s, 10m, 2h, 7d, 1w or 1mo"
        ))
        .with_param(field)
    })
}

/// A duration such as `30s` or `1mo`, as a span of time.
pub fn span(text: &str, field: &str) -> Result<chrono::Duration, ApiError> {
    let length = period(text, field)?.length();
    chrono::Duration::from_std(length)
        .map_err(|_| ApiError::bad_request(format!("{field}: too long")).with_param(field))
}

/// A key as `/key/*` shows it: the row without the stored hash in `token`
/// position (LiteLLM shows it as `token`/`token_id` only where documented).
pub fn public_row(mut row: Value) -> Value {
    if let Value::Object(map) = &mut row {
        map.remove("account_id");
    }
    row
}

/// A key row as an answer, with `extra` fields added (the raw key, ids...).
pub fn answer(row: Value, extra: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut answer = match public_row(row) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, value) in extra {
        answer.insert(name.to_owned(), value);
    }
    Value::Object(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conveniences_become_columns() {
        let now: DateTime<Utc> = "2026-11-27T07:35:36Z".parse().unwrap();
        let body = json!({
            "duration": "2h", "budget_duration": "1d", "model_rpm_limit": {"gpt-4": 3},
            "metadata": {"team": "x"}, "max_budget": 5.0, "soft_budget": 4.0,
        });
        let parsed = columns(body.as_object().unwrap(), None, now).unwrap();
        let columns = parsed.columns;
        assert_eq!(columns["expires"], json!("2026-11-27T09:35:36Z"));
        assert_eq!(columns["budget_reset_at"], json!("2026-11-28T00:00:00Z"));
        assert_eq!(columns["metadata"]["model_rpm_limit"]["gpt-4"], 3);
        assert_eq!(columns["metadata"]["team"], "x");
        assert_eq!(parsed.soft_budget, Some(4.0));
    }

    #[test]
    fn bad_fields_are_named() {
        let now = Utc::now();
        let err = columns(json!({"max_budget": "x"}).as_object().unwrap(), None, now)
            .err()
            .unwrap();
        assert_eq!(err.param.as_deref(), Some("max_budget"));
        let err = columns(json!({"duration": "soon"}).as_object().unwrap(), None, now)
            .err()
            .unwrap();
        assert_eq!(err.param.as_deref(), Some("duration"));
    }
}
