//! Users: the paged list (searched by email or id, filtered by role), the
//! create form (email, role, optional password, teams), and a user's page
//! with their teams and keys, the role/budget/models form and delete. Every
//! change goes through the `/user/*` functions, so roles, validation and
//! audit rows are the API's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{LimitFields, Request, split};
use super::list::{ListParams, Listing, PAGE_SIZE, page_info};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{Limits, Link, budget, day, each, href, joined, models, money, text};
use crate::AppState;
use crate::management::users::create::create as create_user;
use crate::management::users::read::{InfoQuery, ListQuery, info, list as list_users};
use crate::management::users::write::{self, DeleteUsersRequest};

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
        .ok_or_else(|| PageError::invalid("Choose one of the roles offered."))
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

/// The users list: the shared list parts and the role filter's choices.
#[derive(Template)]
#[template(path = "console/users/list.html")]
struct UsersPage {
    list: Listing<UserRow>,
    roles: Vec<RoleOption>,
}

impl std::ops::Deref for UsersPage {
    type Target = Listing<UserRow>;

    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

/// `?role=`, the list's filter besides the search.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleFilter {
    role: String,
}

/// The account's users (admins and viewers).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
    Query(filter): Query<RoleFilter>,
) -> Result<Response, PageError> {
    let role = filter.role.trim();
    let query = ListQuery {
        page: params.page(),
        page_size: PAGE_SIZE,
        role: Some(role.to_owned()).filter(|role| !role.is_empty()),
        search: Some(params.search().to_owned()),
        ..ListQuery::default()
    };
    let answer = console.read(&state, list_users, query).await?;
    let users = each(&answer["users"], UserRow::of);
    let info = page_info(&answer, ["total", "page", "total_pages"]);
    let list = Listing::new(
        console.chrome("Users", "/ui/users"),
        console.can_write(),
        "/ui/users",
        &params,
        &[("role", role)],
        users,
        info,
    );
    Ok(render(&UsersPage {
        list,
        roles: role_options(role),
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
        return Err(PageError::invalid("Give the user's email."));
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
    let user = console.call(&state, create_user, request.body()).await?;
    Ok(see_other(&href("/ui/users", &text(&user["user_id"]))))
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
    teams: Vec<Link>,
    keys: Vec<Link>,
}

/// A user: their role, budget, models, teams and keys. Another account's
/// user is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let query = InfoQuery { user_id: Some(id) };
    let answer = console.read(&state, info, query).await?;
    let row = &answer["user_info"];
    let teams = each(&answer["teams"], Link::team);
    let keys = each(&answer["keys"], Link::key);
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
    let body = || {
        let mut request = Request::edit();
        request
            .set("user_id", json!(id))
            .list("models", fields.models.as_deref())
            .limits(&fields.limits)?;
        if let Some(role) = &fields.user_role {
            request.set("user_role", json!(known_role(role)?));
        }
        Ok(request.body())
    };
    let to = href("/ui/users", &id);
    console.change(&state, write::update, body, &to).await
}

/// Deletes the user with their keys and memberships.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let request = || Ok(DeleteUsersRequest { user_ids: vec![id] });
    console
        .change(&state, write::delete, request, "/ui/users")
        .await
}
