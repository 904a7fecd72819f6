//! Budgets: the account's shared budgets (paged, searchable by id), adding,
//! changing and deleting one. Writes go through the `/budget/*` functions,
//! so validation (durations) and audit rows are the API's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields::{integer, number, optional};
use super::list::{ListParams, list_page};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{budget, minute, segment, text};
use crate::AppState;
use crate::management::budgets::{
    budget_settings, create_budget, delete_budget, search_budgets, update_budget,
};

/// One budget as the pages show it.
pub struct BudgetRow {
    pub id: String,
    /// `id` as a URL segment.
    pub path: String,
    pub max_budget: String,
    pub soft_budget: String,
    pub rpm: String,
    pub tpm: String,
    pub parallel: String,
    pub duration: String,
    pub resets: String,
    pub updated: String,
}

impl BudgetRow {
    fn of(row: &Value) -> Self {
        let id = text(&row["budget_id"]);
        Self {
            path: segment(&id),
            id,
            max_budget: budget(&row["max_budget"]),
            soft_budget: budget(&row["soft_budget"]),
            rpm: text(&row["rpm_limit"]),
            tpm: text(&row["tpm_limit"]),
            parallel: text(&row["max_parallel_requests"]),
            duration: text(&row["budget_duration"]),
            resets: minute(&row["budget_reset_at"]),
            updated: minute(&row["updated_at"]),
        }
    }
}

list_page!(BudgetsPage, BudgetRow, "console/budgets/list.html");

/// The account's budgets, newest first.
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let (rows, info) =
        search_budgets(&state, &console.actor, params.filter(), params.page_query()).await?;
    let rows = rows.iter().map(BudgetRow::of).collect();
    Ok(render(&BudgetsPage(console.listing(
        "Budgets",
        "/ui/budgets",
        &params,
        rows,
        info,
    ))))
}

/// The budget form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BudgetFields {
    /// Only when creating; empty for a generated id.
    budget_id: String,
    max_budget: String,
    soft_budget: String,
    rpm_limit: String,
    tpm_limit: String,
    max_parallel_requests: String,
    budget_duration: String,
}

impl BudgetFields {
    /// The API's request object: empty fields are null (an update clears
    /// them).
    fn body(&self) -> Result<Map<String, Value>, PageError> {
        Ok(Map::from_iter([
            (
                "max_budget".to_owned(),
                number(&self.max_budget, "Max budget")?,
            ),
            (
                "soft_budget".to_owned(),
                number(&self.soft_budget, "Soft budget")?,
            ),
            (
                "rpm_limit".to_owned(),
                integer(&self.rpm_limit, "Requests per minute")?,
            ),
            (
                "tpm_limit".to_owned(),
                integer(&self.tpm_limit, "Tokens per minute")?,
            ),
            (
                "max_parallel_requests".to_owned(),
                integer(&self.max_parallel_requests, "Parallel requests")?,
            ),
            (
                "budget_duration".to_owned(),
                optional(&self.budget_duration),
            ),
        ]))
    }

    fn of(row: &Value) -> Self {
        Self {
            budget_id: text(&row["budget_id"]),
            max_budget: text(&row["max_budget"]),
            soft_budget: text(&row["soft_budget"]),
            rpm_limit: text(&row["rpm_limit"]),
            tpm_limit: text(&row["tpm_limit"]),
            max_parallel_requests: text(&row["max_parallel_requests"]),
            budget_duration: text(&row["budget_duration"]),
        }
    }
}

#[derive(Template)]
#[template(path = "console/budgets/new.html")]
struct NewBudgetPage {
    chrome: Chrome,
    fields: BudgetFields,
}

/// The new-budget form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    Ok(render(&NewBudgetPage {
        chrome: console.chrome("New budget", "/ui/budgets"),
        fields: BudgetFields::default(),
    }))
}

/// Creates the budget and shows it.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<BudgetFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let mut body = fields.body()?;
    body.retain(|_, value| !value.is_null());
    if let Value::String(id) = optional(&fields.budget_id) {
        body.insert("budget_id".into(), json!(id));
    }
    let stored = create_budget(&state, &console.actor, &body).await?;
    Ok(see_other(&format!(
        "/ui/budgets/{}",
        segment(&text(&stored["budget_id"]))
    )))
}

#[derive(Template)]
#[template(path = "console/budgets/detail.html")]
struct BudgetPage {
    chrome: Chrome,
    can_write: bool,
    budget: BudgetRow,
    fields: BudgetFields,
}

/// One budget with its edit form; another account's is the same 404 as a
/// missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let row = budget_settings(&state, &console.actor, &id).await?;
    let budget = BudgetRow::of(&row);
    Ok(render(&BudgetPage {
        chrome: console.chrome(&format!("Budget {}", budget.id), "/ui/budgets"),
        can_write: console.can_write(),
        fields: BudgetFields::of(&row),
        budget,
    }))
}

/// Saves the budget's changes.
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<BudgetFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let mut body = fields.body()?;
    body.insert("budget_id".into(), json!(id));
    update_budget(&state, &console.actor, &body).await?;
    Ok(see_other(&format!("/ui/budgets/{}", segment(&id))))
}

/// Deletes the budget.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    delete_budget(&state, &console.actor, &id).await?;
    Ok(see_other("/ui/budgets"))
}
