//! What organization and team membership have in common: a member as a
//! request names them (`role`, `user_id`, `user_email`), a budget of the
//! member's own, and the membership row's audit under `{owner}:{user}`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Actor;
use super::audited;
use super::users::common;
use crate::db::TenantTx;
use crate::proxy::ApiError;

/// Someone to add, as the request names them.
#[derive(Debug, Clone)]
pub struct Joiner {
    /// One of the membership's [`Roles`].
    pub role: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

impl Joiner {
    /// True when `row` (a member entry, a user) is this joiner, by id or
    /// email.
    pub fn is(&self, row: &Value) -> bool {
        names(row, self.user_id.as_deref(), self.user_email.as_deref())
    }
}

/// True when `row` has the given `user_id` or the given `user_email`.
pub fn names(row: &Value, user_id: Option<&str>, user_email: Option<&str>) -> bool {
    user_id.is_some_and(|id| row["user_id"] == id)
        || user_email.is_some_and(|email| row["user_email"] == email)
}

/// The roles one kind of membership allows.
pub struct Roles {
    pub allowed: &'static [&'static str],
    /// The role of a member given without one (`""` when one is required).
    pub default: &'static str,
    /// The roles in the words of the 422 for any other.
    pub expected: &'static str,
}

/// 422 for a member at `path` (`member[2].role`).
pub fn bad(path: &str, problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!("invalid request body: {path}: {problem}"),
    )
    .with_param(path)
}

/// One member object at `path`: a role from `roles`, and an id or an email.
pub fn parse_member(value: &Value, path: &str, roles: &Roles) -> Result<Joiner, ApiError> {
    let Value::Object(member) = value else {
        return Err(bad(path, "expected an object"));
    };
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match member.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(bad(&format!("{path}.{name}"), "expected a string")),
        }
    };
    let role = text("role")?.unwrap_or_else(|| roles.default.to_owned());
    if !roles.allowed.contains(&role.as_str()) {
        return Err(bad(&format!("{path}.role"), roles.expected));
    }
    let (user_id, user_email) = (text("user_id")?, text("user_email")?);
    if user_id.is_none() && user_email.is_none() {
        return Err(bad(path, "user_id or user_email is required"));
    }
    Ok(Joiner {
        role,
        user_id,
        user_email,
    })
}

/// A list of member objects at `path` (`member[0]`, `member[1]`...).
pub fn parse_list(items: &[Value], path: &str, roles: &Roles) -> Result<Vec<Joiner>, ApiError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_member(item, &format!("{path}[{i}]"), roles))
        .collect()
}

/// A budget of the member's own with `max_budget`; returns its row.
pub async fn own_budget(tx: &TenantTx, actor: &Actor, max: f64) -> Result<Value, ApiError> {
    let fields = Map::from_iter([("max_budget".to_owned(), json!(max))]);
    common::create_budget(tx, actor, fields).await
}

/// One membership row as its audit rows name it: `{owner}:{user}`.
pub struct Membership<'a> {
    /// The membership table.
    pub table: &'static str,
    /// The organization or team.
    pub owner: &'a str,
    pub user: &'a str,
}

impl Membership<'_> {
    /// Records a change of this membership.
    pub async fn record(
        &self,
        tx: &TenantTx,
        actor: &Actor,
        action: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), ApiError> {
        let id = format!("{}:{}", self.owner, self.user);
        audited::record(tx, actor, action, self.table, &id, before, after).await
    }
}
