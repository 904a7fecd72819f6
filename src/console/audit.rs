//! The audit log: the account's changes, newest first, filtered by action,
//! table, actor, object and date range, and one entry's page with its
//! before and after values (redacted as stored). Admins and viewers only,
//! through the `/audit` functions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::page::{AccountConsole, Chrome, PageError, render};
use super::view::{Choice, Pager, minute, pretty, segment, text};
use crate::AppState;
use crate::management::audit_logs::{Filters, audit_entry, search_entries};
use crate::management::paging::PageQuery;

/// Entries per page.
const PAGE_SIZE: i64 = 25;

/// The actions the filter offers.
const ACTIONS: [(&str, &str); 7] = [
    ("", "Any action"),
    ("created", "created"),
    ("updated", "updated"),
    ("deleted", "deleted"),
    ("blocked", "blocked"),
    ("unblocked", "unblocked"),
    ("rotated", "rotated"),
];

/// The tables the filter offers, by what they hold.
const TABLES: [(&str, &str); 10] = [
    ("", "Any object"),
    ("LiteLLM_ProxyModelTable", "Models"),
    ("LiteLLM_VerificationToken", "Virtual keys"),
    ("LiteLLM_BudgetTable", "Budgets"),
    ("LiteLLM_GuardrailsTable", "Guardrails"),
    ("LiteLLM_TeamTable", "Teams"),
    ("LiteLLM_UserTable", "Users"),
    ("LiteLLM_OrganizationTable", "Organizations"),
    ("LiteLLM_CredentialsTable", "Credentials"),
    ("LiteLLM_UISettings", "Console settings"),
];

/// One entry as the pages show it.
pub struct EntryRow {
    pub id: String,
    /// `id` as a URL segment.
    pub path: String,
    pub when: String,
    pub actor: String,
    pub action: String,
    pub table: String,
    pub object: String,
}

impl EntryRow {
    fn of(row: &Value) -> Self {
        let id = text(&row["id"]);
        let actor = match text(&row["changed_by"]) {
            name if name.is_empty() => text(&row["changed_by_api_key"]),
            name => name,
        };
        Self {
            path: segment(&id),
            id,
            when: minute(&row["updated_at"]),
            actor,
            action: text(&row["action"]),
            table: text(&row["table_name"]),
            object: text(&row["object_id"]),
        }
    }
}

/// `?action=&table=&actor=&object=&from=&to=&page=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    action: String,
    table: String,
    actor: String,
    object: String,
    from: String,
    to: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/audit/list.html")]
struct AuditPage {
    chrome: Chrome,
    params: ListParams,
    actions: Vec<Choice>,
    tables: Vec<Choice>,
    entries: Vec<EntryRow>,
    pager: Pager,
}

/// The filter's choices, keeping a value from the URL that it does not offer.
fn choices(options: &[(&str, &str)], current: &str) -> Vec<Choice> {
    let mut choices = Choice::list(options, current);
    if !choices.iter().any(|choice| choice.selected) {
        choices.push(Choice {
            value: current.to_owned(),
            label: current.to_owned(),
            selected: true,
        });
    }
    choices
}

/// The account's audit entries.
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(mut params): Query<ListParams>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    for value in [
        &mut params.action,
        &mut params.table,
        &mut params.actor,
        &mut params.object,
        &mut params.from,
        &mut params.to,
    ] {
        *value = value.trim().to_owned();
    }
    let given = |value: &str| {
        Some(value)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let (action, table, actor, object, from, to) = (
        given(&params.action),
        given(&params.table),
        given(&params.actor),
        given(&params.object),
        given(&params.from),
        given(&params.to),
    );
    let filters = Filters {
        changed_by: actor.as_deref(),
        action: action.as_deref(),
        table_name: table.as_deref(),
        object_id: object.as_deref(),
        start_date: from.as_deref(),
        end_date: to.as_deref(),
        ..Filters::default()
    };
    let page = PageQuery {
        page: params.page.unwrap_or(1),
        size: PAGE_SIZE,
    };
    let (rows, info) = search_entries(&state, &console.actor, &filters, page).await?;
    let pager = Pager::new(
        "/ui/audit",
        &[
            ("action", &params.action),
            ("table", &params.table),
            ("actor", &params.actor),
            ("object", &params.object),
            ("from", &params.from),
            ("to", &params.to),
        ],
        info,
    );
    Ok(render(&AuditPage {
        chrome: console.chrome("Audit log", "/ui/audit"),
        actions: choices(&ACTIONS, &params.action),
        tables: choices(&TABLES, &params.table),
        entries: rows.iter().map(EntryRow::of).collect(),
        pager,
        params,
    }))
}

#[derive(Template)]
#[template(path = "console/audit/detail.html")]
struct EntryPage {
    chrome: Chrome,
    entry: EntryRow,
    before: String,
    after: String,
}

/// One entry; another account's is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let row = audit_entry(&state, &console.actor, &id).await?;
    let entry = EntryRow::of(&row);
    Ok(render(&EntryPage {
        chrome: console.chrome(&format!("{} {}", entry.action, entry.object), "/ui/audit"),
        before: pretty(&row["before_value"]),
        after: pretty(&row["updated_values"]),
        entry,
    }))
}
