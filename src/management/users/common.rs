//! What the identity families (users, teams, organizations, customers)
//! share: budget rows behind organizations, customers and memberships,
//! object-permission rows, request checks, and (from `records`) the user
//! rows they create and clean up for one another. Every change is audited
//! in the caller's transaction; nothing here commits.

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::budgets::{self, check_duration};
use crate::management::rows::{self, Field, Kind};
use crate::proxy::ApiError;

pub(in crate::management) use super::records::{
    KeyOwner, delete_invitations, delete_keys, ensure_user, join_team, leave_team, user_by_email,
};
/// The one-call audit row the identity families write for their many small changes.
pub(in crate::management) use crate::management::audited::record as audited;

/// Most rows a plain (unpaged) list returns.
pub const LIST_LIMIT: i64 = 1000;

/// Where budget rows live.
pub const BUDGET_TABLE: &str = "LiteLLM_BudgetTable";
/// Where internal users live.
pub const USER_TABLE: &str = "LiteLLM_UserTable";
const OBJECT_PERMISSION_TABLE: &str = "LiteLLM_ObjectPermissionTable";

/// The budget fields a holder may give inline instead of a `budget_id`.
pub const BUDGET_FIELDS: [Field; 8] = [
    ("max_budget", Kind::Number),
    ("soft_budget", Kind::Number),
    ("max_parallel_requests", Kind::Integer),
    ("tpm_limit", Kind::Integer),
    ("rpm_limit", Kind::Integer),
    ("budget_duration", Kind::Text),
    ("model_max_budget", Kind::Object),
    ("budget_reset_at", Kind::Time),
];

const OBJECT_PERMISSION_FIELDS: [Field; 6] = [
    ("mcp_servers", Kind::TextList),
    ("mcp_access_groups", Kind::TextList),
    ("mcp_tool_permissions", Kind::Object),
    ("vector_stores", Kind::TextList),
    ("agents", Kind::TextList),
    ("agent_access_groups", Kind::TextList),
];

/// A new row id (LiteLLM ids are UUID strings).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The acting user's id as LiteLLM records it (`created_by`, `updated_by`).
pub fn by(actor: &Actor) -> Value {
    json!(actor.label())
}

/// 400 naming the request field at fault.
pub fn invalid(param: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message).with_param(param)
}

/// 403 in the management API's words.
pub fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "auth_error", message)
}

/// A 422 from `rows::pick` on a nested object, renamed `outer.field`.
pub fn nested(mut err: ApiError, outer: &str) -> ApiError {
    if let Some(param) = err.param.take() {
        let full = format!("{outer}.{param}");
        err.message = err.message.replacen(&param, &full, 1);
        err.param = Some(full);
    }
    err
}

/// Columns that cannot be NULL take their empty value when a client sends
/// `null` for them.
pub fn clear_nulls(fields: &mut Map<String, Value>, lists: &[&str], objects: &[&str]) {
    for name in lists {
        if fields.get(*name).is_some_and(Value::is_null) {
            fields.insert((*name).to_owned(), json!([]));
        }
    }
    for name in objects {
        if fields.get(*name).is_some_and(Value::is_null) {
            fields.insert((*name).to_owned(), json!({}));
        }
    }
}

/// Checks a `{model: integer}` map such as `model_rpm_limit`.
pub fn check_model_limits(fields: &Map<String, Value>, name: &str) -> Result<(), ApiError> {
    let Some(Value::Object(map)) = fields.get(name) else {
        return Ok(());
    };
    for (model, limit) in map {
        if !(limit.is_i64() || limit.is_u64()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_error",
                format!("invalid request body: {name}.{model}: expected an integer"),
            )
            .with_param(name));
        }
    }
    Ok(())
}

/// Rejects negative money amounts, in LiteLLM's words.
pub fn check_not_negative(fields: &Map<String, Value>, names: &[&str]) -> Result<(), ApiError> {
    for name in names {
        if let Some(amount) = fields.get(*name).and_then(Value::as_f64)
            && amount < 0.0
        {
            return Err(invalid(
                name,
                format!("{name} cannot be negative. Received: {amount}"),
            ));
        }
    }
    Ok(())
}

/// Sets `budget_reset_at = now + budget_duration` when a duration is given
/// without a reset time (budget rows reset relative to their creation).
fn schedule_budget(fields: &mut Map<String, Value>) -> Result<(), ApiError> {
    if let Some(period) = check_duration(fields)?
        && !fields.contains_key("budget_reset_at")
    {
        let length = chrono::Duration::from_std(period.length()).unwrap_or_default();
        fields.insert("budget_reset_at".into(), json!(Utc::now() + length));
    }
    if fields.get("budget_duration").is_some_and(Value::is_null)
        && !fields.contains_key("budget_reset_at")
    {
        fields.insert("budget_reset_at".into(), Value::Null);
    }
    Ok(())
}

/// Creates a budget row from `fields` (a subset of [`BUDGET_FIELDS`]).
pub async fn create_budget(
    tx: &TenantTx,
    actor: &Actor,
    mut fields: Map<String, Value>,
) -> Result<Value, ApiError> {
    schedule_budget(&mut fields)?;
    let id = new_id();
    fields.insert("budget_id".into(), json!(id));
    fields.insert("created_by".into(), by(actor));
    fields.insert("updated_by".into(), by(actor));
    budgets::BUDGETS.create(tx, actor, fields).await
}

/// Changes a budget row in place (every holder pointing to it sees the
/// change); `None` when it does not exist.
pub async fn update_budget(
    tx: &TenantTx,
    actor: &Actor,
    budget_id: &str,
    mut fields: Map<String, Value>,
) -> Result<Option<Value>, ApiError> {
    schedule_budget(&mut fields)?;
    fields.insert("updated_by".into(), by(actor));
    budgets::BUDGETS.update(tx, actor, budget_id, fields).await
}

const BUDGET_REFERENCES_SQL: &str = "
    SELECT (SELECT count(*) FROM \"LiteLLM_OrganizationTable\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_OrganizationMembership\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_TeamMembership\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_EndUserTable\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_TagTable\" WHERE account_id = $1 AND budget_id = $2)
         + (SELECT count(*) FROM \"LiteLLM_TeamTable\"
             WHERE account_id = $1 AND metadata->>'team_member_budget_id' = $2)";

/// How many rows point to a budget.
pub async fn budget_references(tx: &TenantTx, budget_id: &str) -> Result<i64, ApiError> {
    let row = tx
        .query_one(
            BUDGET_REFERENCES_SQL,
            &[&tx.account_id().uuid(), &budget_id],
        )
        .await?;
    Ok(row.get(0))
}

/// Changes one holder's budget. A row that other holders also point to is
/// copied first, so they keep theirs; a holder without a budget gets a new
/// row. Returns the row now in force, or `None` when there was nothing to
/// change and no row.
pub async fn change_own_budget(
    tx: &TenantTx,
    actor: &Actor,
    current: Option<&str>,
    fields: Map<String, Value>,
) -> Result<Option<Value>, ApiError> {
    let existing = match current {
        Some(id) => rows::get(tx, BUDGET_TABLE, &[("budget_id", id)]).await?,
        None => None,
    };
    if fields.is_empty() {
        return Ok(existing);
    }
    let Some(existing) = existing else {
        return create_budget(tx, actor, fields).await.map(Some);
    };
    let id = existing["budget_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if budget_references(tx, &id).await? <= 1 {
        return update_budget(tx, actor, &id, fields).await;
    }
    let mut copy = Map::new();
    for (name, _) in BUDGET_FIELDS {
        if let Some(value) = existing.get(name).filter(|v| !v.is_null()) {
            copy.insert(name.to_owned(), value.clone());
        }
    }
    if fields.contains_key("budget_duration") {
        copy.remove("budget_reset_at");
    }
    copy.extend(fields);
    create_budget(tx, actor, copy).await.map(Some)
}

/// Creates, changes or (for `null` and `{}`) unlinks an object-permission
/// row; returns the id the holder points to afterwards.
pub async fn set_object_permission(
    tx: &TenantTx,
    actor: &Actor,
    current: Option<&str>,
    value: &Value,
) -> Result<Option<String>, ApiError> {
    let Value::Object(body) = value else {
        if value.is_null() {
            return Ok(None);
        }
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_error",
            "invalid request body: object_permission: expected an object",
        )
        .with_param("object_permission"));
    };
    if body.is_empty() {
        return Ok(None);
    }
    let mut fields = rows::pick(body, &OBJECT_PERMISSION_FIELDS)
        .map_err(|err| nested(err, "object_permission"))?;
    clear_nulls(
        &mut fields,
        &[
            "mcp_servers",
            "mcp_access_groups",
            "vector_stores",
            "agents",
            "agent_access_groups",
        ],
        &[],
    );
    if let Some(id) = current
        && let Some((before, after)) = rows::update(
            tx,
            OBJECT_PERMISSION_TABLE,
            &[("object_permission_id", id)],
            fields.clone(),
        )
        .await?
    {
        audited(
            tx,
            actor,
            "updated",
            OBJECT_PERMISSION_TABLE,
            id,
            Some(before),
            Some(after),
        )
        .await?;
        return Ok(Some(id.to_owned()));
    }
    let id = new_id();
    fields.insert("object_permission_id".into(), json!(id));
    let stored = rows::insert(tx, OBJECT_PERMISSION_TABLE, fields).await?;
    audited(
        tx,
        actor,
        "created",
        OBJECT_PERMISSION_TABLE,
        &id,
        None,
        Some(stored),
    )
    .await?;
    Ok(Some(id))
}
