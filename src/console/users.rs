//! Users: the paged list (searched by email or id, filtered by role), the
//! create form (email, role, optional password, teams), and a user's page
//! with their teams and keys, the role/budget/models form and delete. Every
//! change goes through the `/user/*` functions, so roles, validation and
//! audit rows are the API's.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{LimitFields, Request, invalid, split};
use super::page::{AccountConsole, Chrome, PageError, apply, render, see_other};
use super::view::{Limits, Pager, budget, day, href, joined, models, money, text};
use crate::AppState;
use crate::management::body::{Body, Query as ApiQuery};
use crate::management::paging::PageInfo;
use crate::management::users::create::create as create_user;
use crate::management::users::read::{InfoQuery, ListQuery, info, list as list_users};
use crate::management::users::write::{self, DeleteUsersRequest};

/// Users per page.
const PAGE_SIZE: i64 = 20;

/// The roles the console offers (LiteLLM's four account roles).
const ROLES: [(&str, &str); 4] = [
    ("proxy_admin", "Admin"),
    ("proxy_admin_viewer", "Admin viewer"),
    ("internal_user", "Internal user"),
    ("internal_user_viewer", "Internal user viewer"),
];

/// One choice of a role select.
pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn role_options(current: &str) -> Vec<RoleOption> {
    ROLES
        .iter()
        .map(|(value, label)| RoleOption {
            value,
            label,
            selected: *value == current,
        })
        .collect()
}

/// A role from a form: one the console offers.
fn known_role(given: &str) -> Result<&str, PageError> {
    ROLES
        .iter()
        .find(|(value, _)| *value == given)
        .map(|(value, _)| *value)
        .ok_or_else(|| invalid("Choose one of the roles offered."))
}

/// One user as the pages show them.
pub struct UserRow {
    pub id: String,
    pub href: String,
    pub email: String,
    pub role: String,
    pub spend: String,
    pub max_budget: String,
    pub models: String,
    pub keys: String,
    pub created: String,
}

impl UserRow {
    fn of(row: &Value) -> Self {
        let id = text(&row["user_id"]);
        Self {
            href: href("/ui/users", &id),
            id,
            email: text(&row["user_email"]),
            role: text(&row["user_role"]),
            spend: money(&row["spend"]),
            max_budget: budget(&row["max_budget"]),
            models: models(&row["models"]),
            keys: text(&row["key_count"]),
            created: day(&row["created_at"]),
        }
    }
}

#[derive(Template)]
#[template(path = "console/users/list.html")]
struct UsersPage {
    chrome: Chrome,
    can_write: bool,
    search: String,
    roles: Vec<RoleOption>,
    users: Vec<UserRow>,
    pager: Pager,
}

/// `?search=&role=&page=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    search: String,
    role: String,
    page: Option<i64>,
}

/// The account's users (admins and viewers).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let search = params.search.trim().to_owned();
    let role = params.role.trim().to_owned();
    let query = ListQuery {
        page: params.page.unwrap_or(1),
        page_size: PAGE_SIZE,
        role: Some(role.clone()).filter(|role| !role.is_empty()),
        search: Some(search.clone()),
        ..ListQuery::default()
    };
    let Json(answer) = list_users(State(state), console.actor.clone(), ApiQuery(query)).await?;
    let users = answer["users"]
        .as_array()
        .into_iter()
        .flatten()
        .map(UserRow::of)
        .collect();
    let info = PageInfo {
        total_count: answer["total"].as_i64().unwrap_or(0),
        current_page: answer["page"].as_i64().unwrap_or(1),
        total_pages: answer["total_pages"].as_i64().unwrap_or(0),
    };
    Ok(render(&UsersPage {
        chrome: console.chrome("Users", "/ui/users"),
        can_write: console.can_write(),
        pager: Pager::new("/ui/users", &[("search", &search), ("role", &role)], info),
        roles: role_options(&role),
        search,
        users,
    }))
}

#[derive(Template)]
#[template(path = "console/users/new.html")]
struct NewUserPage {
    chrome: Chrome,
    roles: Vec<RoleOption>,
}

/// The create form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    Ok(render(&NewUserPage {
        chrome: console.chrome("New user", "/ui/users"),
        roles: role_options("internal_user"),
    }))
}

/// The create form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserFields {
    user_email: String,
    user_role: String,
    password: String,
    /// Comma-separated team ids.
    teams: String,
}

/// Creates the user (without a key: keys are made on the keys page) and
/// shows them.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<NewUserFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    if fields.user_email.trim().is_empty() {
        return Err(invalid("Give the user's email."));
    }
    let mut request = Request::create();
    request
        .text("user_email", Some(&fields.user_email))
        .set("user_role", json!(known_role(&fields.user_role)?))
        .set("auto_create_key", json!(false));
    if !fields.password.is_empty() {
        request.set("password", json!(fields.password));
    }
    let teams = split(&fields.teams);
    if !teams.is_empty() {
        request.set("teams", json!(teams));
    }
    let Json(user) = create_user(State(state), console.actor.clone(), Body(request.body())).await?;
    Ok(see_other(&href("/ui/users", &text(&user["user_id"]))))
}

/// A team the user is in.
pub struct UserTeam {
    pub name: String,
    pub href: String,
}

/// A key of the user.
pub struct UserKey {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "console/users/detail.html")]
struct UserPage {
    chrome: Chrome,
    can_write: bool,
    user: UserRow,
    budget_duration: String,
    roles: Vec<RoleOption>,
    model_list: String,
    limits: Limits,
    teams: Vec<UserTeam>,
    keys: Vec<UserKey>,
}

/// A user: their role, budget, models, teams and keys. Another account's
/// user is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let query = InfoQuery { user_id: Some(id) };
    let Json(answer) = info(State(state), console.actor.clone(), ApiQuery(query)).await?;
    let row = &answer["user_info"];
    let teams = answer["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|team| {
            let id = text(&team["team_id"]);
            UserTeam {
                name: match text(&team["team_alias"]) {
                    alias if alias.is_empty() => id.clone(),
                    alias => alias,
                },
                href: href("/ui/teams", &id),
            }
        })
        .collect();
    let keys = answer["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|key| UserKey {
            id: text(&key["token"]),
            name: match text(&key["key_alias"]) {
                alias if alias.is_empty() => text(&key["key_name"]),
                alias => alias,
            },
        })
        .collect();
    let user = UserRow::of(row);
    Ok(render(&UserPage {
        chrome: console.chrome(
            if user.email.is_empty() {
                &user.id
            } else {
                &user.email
            },
            "/ui/users",
        ),
        can_write: console.can_write(),
        budget_duration: text(&row["budget_duration"]),
        roles: role_options(&user.role),
        model_list: joined(&row["models"]),
        limits: Limits::of(row),
        user,
        teams,
        keys,
    }))
}

/// The edit form's fields; a field the form does not carry is unchanged.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserEdit {
    user_role: Option<String>,
    models: Option<String>,
    #[serde(flatten)]
    limits: LimitFields,
}

/// Saves the user's role, budget and models.
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<UserEdit>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let mut request = Request::edit();
    request
        .set("user_id", json!(id))
        .list("models", fields.models.as_deref())
        .limits(&fields.limits)?;
    if let Some(role) = &fields.user_role {
        request.set("user_role", json!(known_role(role)?));
    }
    apply(write::update(
        State(state),
        console.actor.clone(),
        Body(request.body()),
    ))
    .await?;
    Ok(see_other(&href("/ui/users", &id)))
}

/// Deletes the user with their keys and memberships.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let request = DeleteUsersRequest { user_ids: vec![id] };
    apply(write::delete(
        State(state),
        console.actor.clone(),
        Body(request),
    ))
    .await?;
    Ok(see_other("/ui/users"))
}
