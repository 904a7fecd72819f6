//! A team's members from its page: add by user id or email with a role,
//! change a role, remove. Through `/team/member_*`, so the account admin and
//! the team's own admins may do it, as in the API.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::form::{MemberFields, Request, member};
use super::page::{AccountConsole, PageError, see_other};
use super::view::href;
use crate::AppState;
use crate::management::teams::members::{MemberRef, member_add, member_delete, member_update};

/// The roles a member may have in a team.
pub const TEAM_ROLES: [&str; 2] = ["user", "admin"];

/// `admin` or `user`, as the form's select gives it.
fn role(given: &str) -> Result<&str, PageError> {
    if TEAM_ROLES.contains(&given) {
        Ok(given)
    } else {
        Err(PageError::invalid("Choose the role: admin or user."))
    }
}

/// Adds a member (created as a user when unknown).
pub async fn add(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<MemberFields>,
) -> Result<Response, PageError> {
    let (field, user) = member(&fields.user)?;
    let body = Request::create()
        .set("team_id", json!(id))
        .set("member", json!({"role": role(&fields.role)?, field: user}))
        .body();
    console.call(&state, member_add, body).await?;
    Ok(see_other(&href("/ui/teams", &id)))
}

/// Changes a member's role.
pub async fn change_role(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<MemberFields>,
) -> Result<Response, PageError> {
    let (field, user) = member(&fields.user)?;
    let body = Request::create()
        .set("team_id", json!(id))
        .set(field, user)
        .set("role", json!(role(&fields.role)?))
        .body();
    console.call(&state, member_update, body).await?;
    Ok(see_other(&href("/ui/teams", &id)))
}

/// Removes a member.
pub async fn remove(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<MemberFields>,
) -> Result<Response, PageError> {
    let (field, user) = member(&fields.user)?;
    let user = user.as_str().map(str::to_owned);
    let (user_id, user_email) = if field == "user_email" {
        (None, user)
    } else {
        (user, None)
    };
    let to = href("/ui/teams", &id);
    let body = MemberRef {
        team_id: id,
        user_id,
        user_email,
    };
    console.call(&state, member_delete, body).await?;
    Ok(see_other(&to))
}
