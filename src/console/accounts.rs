//! The super admin's pages: the accounts list (paged, searchable), creating
//! and editing an account, suspending and reactivating it, and its
//! administrators. Every change goes through the `/account/*` functions, so
//! validation and audit rows are the API's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::list::{ListParams, Listing, list_page};
use super::page::{Chrome, PageError, SuperConsole, render, see_other};
use super::view::{money, text};
use crate::AppState;
use crate::management::accounts::admins::{AdminRequest, add_admin, remove_admin};
use crate::management::accounts::{
    account_info, create_account, list_accounts, set_status, update_account,
};

/// One account in the list.
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub status: String,
    pub spend: String,
    pub created: String,
}

impl AccountRow {
    fn of(row: &Value) -> Self {
        Self {
            id: text(&row["account_id"]),
            name: text(&row["account_name"]),
            domain: text(&row["domain"]),
            status: text(&row["status"]),
            spend: money(&row["spend"]),
            created: text(&row["created_at"]).chars().take(10).collect(),
        }
    }
}

list_page!(AccountsPage, AccountRow, "console/accounts/list.html");

/// The accounts list.
pub async fn list(
    State(state): State<AppState>,
    admin: SuperConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let search = Some(params.search().to_owned());
    let (rows, info) = list_accounts(&state, search, None, params.page_query()).await?;
    Ok(render(&AccountsPage(Listing::new(
        admin.chrome("Accounts", "/ui/accounts"),
        true,
        "/ui/accounts",
        &params,
        &[],
        rows.iter().map(AccountRow::of).collect(),
        info,
    ))))
}

/// The fields of the account form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountFields {
    account_name: String,
    account_alias: String,
    domain: String,
    max_budget: String,
}

impl AccountFields {
    /// The API's request object: empty fields clear the value.
    fn body(&self) -> Result<Map<String, Value>, PageError> {
        let optional = |value: &str| {
            let value = value.trim();
            if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            }
        };
        let budget = match self.max_budget.trim() {
            "" => Value::Null,
            given => json!(given.parse::<f64>().map_err(|_| PageError {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                heading: "Not accepted",
                message: "Max budget must be a number.".to_owned(),
            })?),
        };
        Ok(Map::from_iter([
            ("account_name".to_owned(), json!(self.account_name.trim())),
            ("account_alias".to_owned(), optional(&self.account_alias)),
            ("domain".to_owned(), optional(&self.domain)),
            ("max_budget".to_owned(), budget),
        ]))
    }

    fn of(row: &Value) -> Self {
        Self {
            account_name: text(&row["account_name"]),
            account_alias: text(&row["account_alias"]),
            domain: text(&row["domain"]),
            max_budget: text(&row["max_budget"]),
        }
    }
}

#[derive(Template)]
#[template(path = "console/accounts/new.html")]
struct NewAccountPage {
    chrome: Chrome,
    fields: AccountFields,
}

/// The new-account form.
pub async fn new_form(admin: SuperConsole) -> Response {
    render(&NewAccountPage {
        chrome: admin.chrome("New account", "/ui/accounts"),
        fields: AccountFields::default(),
    })
}

/// Creates the account and shows it.
pub async fn create(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Form(fields): Form<AccountFields>,
) -> Result<Response, PageError> {
    let row = create_account(&state, &fields.body()?).await?;
    Ok(see_other(&format!(
        "/ui/accounts/{}",
        text(&row["account_id"])
    )))
}

/// One administrator in the account page.
pub struct AdminRow {
    pub email: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "console/accounts/detail.html")]
struct AccountPage {
    chrome: Chrome,
    account: AccountRow,
    fields: AccountFields,
    admins: Vec<AdminRow>,
}

/// An account: its settings, status and administrators.
pub async fn detail(
    State(state): State<AppState>,
    admin: SuperConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = account_info(&state, &id).await?;
    let admins = row["admins"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| AdminRow {
            email: text(&entry["user_email"]),
            since: text(&entry["created_at"]).chars().take(10).collect(),
        })
        .collect();
    let account = AccountRow::of(&row);
    Ok(render(&AccountPage {
        chrome: admin.chrome(&account.name, "/ui/accounts"),
        fields: AccountFields::of(&row),
        account,
        admins,
    }))
}

/// Saves the account's settings.
pub async fn update(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Path(id): Path<String>,
    Form(fields): Form<AccountFields>,
) -> Result<Response, PageError> {
    update_account(&state, &id, &fields.body()?).await?;
    Ok(see_other(&format!("/ui/accounts/{id}")))
}

/// Suspends the account: its keys and sessions stop.
pub async fn suspend(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_status(&state, &id, "suspended", "blocked").await?;
    Ok(see_other(&format!("/ui/accounts/{id}")))
}

/// Reactivates a suspended account.
pub async fn reactivate(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_status(&state, &id, "active", "unblocked").await?;
    Ok(see_other(&format!("/ui/accounts/{id}")))
}

/// The add-administrator form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdminFields {
    email: String,
    password: String,
}

/// Adds an administrator (with a password when one is given).
pub async fn add_admin_post(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Path(id): Path<String>,
    Form(fields): Form<AdminFields>,
) -> Result<Response, PageError> {
    let password = Some(fields.password).filter(|password| !password.is_empty());
    add_admin(
        &state,
        &id,
        AdminRequest {
            email: fields.email,
            password,
        },
    )
    .await?;
    Ok(see_other(&format!("/ui/accounts/{id}")))
}

/// Removes an administrator.
pub async fn remove_admin_post(
    State(state): State<AppState>,
    _admin: SuperConsole,
    Path(id): Path<String>,
    Form(fields): Form<AdminFields>,
) -> Result<Response, PageError> {
    remove_admin(&state, &id, &fields.email).await?;
    Ok(see_other(&format!("/ui/accounts/{id}")))
}
