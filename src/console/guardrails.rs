//! Guardrails: the account's guardrail definitions (paged, searchable by
//! name), adding, changing and deleting one. Writes go through the
//! `/guardrails` functions, so their key is stored sealed and audited
//! redacted; the pages only say whether one is stored.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields::{optional, required};
use super::list::{ListParams, list_page};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{Choice, minute, segment, text};
use crate::AppState;
use crate::management::guardrails::{
    MODES, create_guardrail, delete_guardrail, guardrail, patch_guardrail, search_guardrails,
};

/// The modes with their labels, as the form offers them.
const MODE_LABELS: [(&str, &str); 4] = [
    ("pre_call", "Before the call"),
    ("during_call", "During the call"),
    ("post_call", "After the call"),
    ("logging_only", "Logging only"),
];

/// One guardrail as the pages show it.
pub struct GuardrailRow {
    pub id: String,
    /// `id` as a URL segment.
    pub path: String,
    pub name: String,
    pub kind: String,
    pub mode: String,
    pub default_on: bool,
    pub api_base: String,
    pub has_key: bool,
    pub updated: String,
}

impl GuardrailRow {
    fn of(row: &Value) -> Self {
        let params = &row["litellm_params"];
        let id = text(&row["guardrail_id"]);
        Self {
            path: segment(&id),
            id,
            name: text(&row["guardrail_name"]),
            kind: text(&params["guardrail"]),
            mode: text(&params["mode"]),
            default_on: params["default_on"].as_bool().unwrap_or(false),
            api_base: text(&params["api_base"]),
            has_key: !params["api_key"].is_null(),
            updated: minute(&row["updated_at"]),
        }
    }
}

list_page!(GuardrailsPage, GuardrailRow, "console/guardrails/list.html");

/// The account's guardrails by name.
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let (rows, info) =
        search_guardrails(&state, &console.actor, params.filter(), params.page_query()).await?;
    let rows = rows.iter().map(GuardrailRow::of).collect();
    Ok(render(&GuardrailsPage(console.listing(
        "Guardrails",
        "/ui/guardrails",
        &params,
        rows,
        info,
    ))))
}

/// The guardrail form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GuardrailFields {
    guardrail_name: String,
    /// The integration (`presidio`, `lakera`, `aporia`, `bedrock`...).
    guardrail: String,
    mode: String,
    /// A checkbox: present when ticked.
    default_on: Option<String>,
    api_base: String,
    /// Empty keeps the stored key when editing.
    api_key: String,
}

impl GuardrailFields {
    /// The name and the `litellm_params` object: an empty base URL is null
    /// (an update clears it), an empty key is left out.
    fn parts(&self) -> Result<(String, Map<String, Value>), PageError> {
        let name = required(&self.guardrail_name, "Name")?;
        let kind = required(&self.guardrail, "Integration")?;
        let mode = self.mode.trim();
        if !MODES.contains(&mode) {
            return Err(PageError::invalid("Choose when the guardrail runs."));
        }
        let mut params = Map::from_iter([
            ("guardrail".to_owned(), json!(kind)),
            ("mode".to_owned(), json!(mode)),
            ("default_on".to_owned(), json!(self.default_on.is_some())),
            ("api_base".to_owned(), optional(&self.api_base)),
        ]);
        let key = self.api_key.trim();
        if !key.is_empty() {
            params.insert("api_key".into(), json!(key));
        }
        Ok((name, params))
    }

    fn of(row: &GuardrailRow) -> Self {
        Self {
            guardrail_name: row.name.clone(),
            guardrail: row.kind.clone(),
            mode: row.mode.clone(),
            default_on: row.default_on.then(String::new),
            api_base: row.api_base.clone(),
            api_key: String::new(),
        }
    }

    fn modes(&self) -> Vec<Choice> {
        Choice::list(&MODE_LABELS, &self.mode)
    }
}

#[derive(Template)]
#[template(path = "console/guardrails/new.html")]
struct NewGuardrailPage {
    chrome: Chrome,
    fields: GuardrailFields,
    modes: Vec<Choice>,
}

/// The new-guardrail form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    let fields = GuardrailFields {
        mode: "pre_call".to_owned(),
        ..GuardrailFields::default()
    };
    Ok(render(&NewGuardrailPage {
        chrome: console.chrome("New guardrail", "/ui/guardrails"),
        modes: fields.modes(),
        fields,
    }))
}

/// Stores the guardrail and shows it.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<GuardrailFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let (name, mut params) = fields.parts()?;
    params.retain(|_, value| !value.is_null());
    let body = Map::from_iter([(
        "guardrail".to_owned(),
        json!({"guardrail_name": name, "litellm_params": params}),
    )]);
    let stored = create_guardrail(&state, &console.actor, &body).await?;
    Ok(see_other(&format!(
        "/ui/guardrails/{}",
        segment(&text(&stored["guardrail_id"]))
    )))
}

#[derive(Template)]
#[template(path = "console/guardrails/detail.html")]
struct GuardrailPage {
    chrome: Chrome,
    can_write: bool,
    guardrail: GuardrailRow,
    fields: GuardrailFields,
    modes: Vec<Choice>,
}

/// One guardrail with its edit form; another account's is the same 404 as
/// a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let row = GuardrailRow::of(&guardrail(&state, &console.actor, &id).await?);
    let fields = GuardrailFields::of(&row);
    Ok(render(&GuardrailPage {
        chrome: console.chrome(&row.name, "/ui/guardrails"),
        can_write: console.can_write(),
        modes: fields.modes(),
        fields,
        guardrail: row,
    }))
}

/// Saves the guardrail's changes (its settings are merged, so an empty key
/// keeps the stored one).
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<GuardrailFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let (name, params) = fields.parts()?;
    let body = Map::from_iter([
        ("guardrail_name".to_owned(), json!(name)),
        ("litellm_params".to_owned(), Value::Object(params)),
    ]);
    patch_guardrail(&state, &console.actor, &id, &body).await?;
    Ok(see_other(&format!("/ui/guardrails/{}", segment(&id))))
}

/// Deletes the guardrail.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    delete_guardrail(&state, &console.actor, &id).await?;
    Ok(see_other("/ui/guardrails"))
}
