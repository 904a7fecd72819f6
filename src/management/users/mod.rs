//! Internal users (`LiteLLM_UserTable`): `/user/new`, `/user/info`,
//! `/user/update`, `/user/bulk_update`, `/user/delete`, `/user/list`. Team and organization
//! membership is written by those families; `common` holds what the
//! identity families share.

mod bulk;
/// Helpers the identity families share.
pub(in crate::management) mod common;
pub(crate) mod create;
pub(crate) mod read;
mod records;
pub(crate) mod write;

use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::TenantTx;
use crate::management::rows::{Field, Kind};
use crate::proxy::ApiError;
use common::invalid;

const TABLE: &str = common::USER_TABLE;

/// LiteLLM's user roles.
pub(in crate::management) const ROLES: [&str; 7] = [
    "proxy_admin",
    "proxy_admin_viewer",
    "org_admin",
    "internal_user",
    "internal_user_viewer",
    "team",
    "customer",
];

/// Columns clients may set on a user.
const FIELDS: [Field; 18] = [
    ("user_id", Kind::Text),
    ("user_alias", Kind::Text),
    ("user_email", Kind::Text),
    ("user_role", Kind::Text),
    ("team_id", Kind::Text),
    ("sso_user_id", Kind::Text),
    ("max_budget", Kind::Number),
    ("spend", Kind::Number),
    ("models", Kind::TextList),
    ("metadata", Kind::Object),
    ("max_parallel_requests", Kind::Integer),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("budget_duration", Kind::Text),
    ("allowed_cache_controls", Kind::TextList),
    ("policies", Kind::TextList),
    ("model_max_budget", Kind::Object),
    ("password", Kind::Text),
];

/// LiteLLM keeps these in the user's `metadata`.
const META_FIELDS: [Field; 4] = [
    ("model_rpm_limit", Kind::Object),
    ("model_tpm_limit", Kind::Object),
    ("guardrails", Kind::TextList),
    ("prompts", Kind::TextList),
];

/// A user row as clients see it: never the password hash.
pub(in crate::management) fn public(mut row: Value) -> Value {
    if let Value::Object(map) = &mut row {
        map.remove("password");
    }
    row
}

/// Rejects a `user_role` LiteLLM does not know.
fn check_role(fields: &Map<String, Value>) -> Result<(), ApiError> {
    match fields.get("user_role") {
        Some(Value::String(role)) if !ROLES.contains(&role.as_str()) => Err(invalid(
            "user_role",
            format!("user_role: `{role}` is not one of {}", ROLES.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// Moves the metadata-held fields into `metadata`, on top of `base`.
fn fold_metadata(
    body: &Map<String, Value>,
    fields: &mut Map<String, Value>,
    base: Option<&Value>,
) -> Result<(), ApiError> {
    let extra = crate::management::rows::pick(body, &META_FIELDS)?;
    common::check_model_limits(&extra, "model_rpm_limit")?;
    common::check_model_limits(&extra, "model_tpm_limit")?;
    if extra.is_empty() && !fields.contains_key("metadata") {
        return Ok(());
    }
    let mut metadata = match (fields.get("metadata"), base) {
        (Some(Value::Object(given)), Some(Value::Object(old))) => {
            let mut merged = old.clone();
            merged.extend(given.clone());
            merged
        }
        (Some(Value::Object(given)), _) => given.clone(),
        (Some(Value::Null), _) => Map::new(),
        (_, Some(Value::Object(old))) => old.clone(),
        _ => Map::new(),
    };
    for (name, value) in extra {
        if value.is_null() {
            metadata.remove(&name);
        } else {
            metadata.insert(name, value);
        }
    }
    fields.insert("metadata".into(), Value::Object(metadata));
    Ok(())
}

/// Sets `budget_reset_at` to the next boundary of `budget_duration`, as the
/// reset job does for users and teams.
pub(in crate::management) fn schedule_reset(
    fields: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    match crate::management::budgets::check_duration(fields)? {
        Some(period) => {
            fields.insert(
                "budget_reset_at".into(),
                serde_json::json!(period.next_reset(chrono::Utc::now())),
            );
        }
        None if fields.get("budget_duration").is_some_and(Value::is_null) => {
            fields.insert("budget_reset_at".into(), Value::Null);
        }
        None => {}
    }
    Ok(())
}

/// Replaces a given password with its argon2 hash.
fn hash_password(fields: &mut Map<String, Value>) -> Result<(), ApiError> {
    if let Some(Value::String(password)) = fields.get("password") {
        let phc = crate::secret::hash_password(password).map_err(ApiError::internal)?;
        fields.insert("password".into(), Value::String(phc));
    }
    Ok(())
}

const EMAIL_TAKEN_SQL: &str = "
    SELECT u.user_email FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND lower(u.user_email) = lower(trim($2))
       AND u.user_id IS DISTINCT FROM $3
     LIMIT 1";

/// 400 when another user of the account has this email.
async fn check_email_free(
    tx: &TenantTx,
    fields: &Map<String, Value>,
    user_id: Option<&str>,
) -> Result<(), ApiError> {
    let Some(Value::String(email)) = fields.get("user_email") else {
        return Ok(());
    };
    if let Some(row) = tx
        .query_opt(EMAIL_TAKEN_SQL, &[&tx.account_id().uuid(), email, &user_id])
        .await?
    {
        let existing: Option<String> = row.get(0);
        return Err(invalid(
            "user_email",
            format!(
                "User with email {} already exists",
                existing.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create::create))
        .routes(routes!(read::info))
        .routes(routes!(read::list))
        .routes(routes!(write::update))
        .routes(routes!(write::delete))
        .routes(routes!(bulk::bulk_update))
}
