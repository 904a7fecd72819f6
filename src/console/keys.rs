//! Virtual keys: the paged, searchable list, one key's page, the create
//! form, block/unblock, delete and regenerate. Every change goes through the
//! `/key/*` functions, so roles, validation and audit rows are the API's.
//! A new secret is shown once, on the page answering the POST that made it
//! (it never goes into a URL, and the page is not cached).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{Pager, money, text};
use crate::AppState;
use crate::management::keys::lifecycle::{delete_keys, rotate, set_blocked};
use crate::management::keys::read::{ListQuery, key_info, list_keys};
use crate::management::keys::write::create;
use crate::management::paging::PageInfo;

/// Keys per page.
const PAGE_SIZE: i64 = 20;

/// One key as the pages show it.
pub struct KeyRow {
    /// The stored hash: the key's id in URLs (never the secret).
    pub id: String,
    pub alias: String,
    pub name: String,
    pub models: String,
    pub spend: String,
    pub max_budget: String,
    pub rpm: String,
    pub tpm: String,
    pub expires: String,
    pub blocked: bool,
    pub created: String,
}

impl KeyRow {
    fn of(row: &Value) -> Self {
        let models = row["models"]
            .as_array()
            .map(|models| {
                models
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        Self {
            id: text(&row["token"]),
            alias: text(&row["key_alias"]),
            name: text(&row["key_name"]),
            models: if models.is_empty() {
                "all".to_owned()
            } else {
                models
            },
            spend: money(&row["spend"]),
            max_budget: if row["max_budget"].is_null() {
                String::new()
            } else {
                money(&row["max_budget"])
            },
            rpm: text(&row["rpm_limit"]),
            tpm: text(&row["tpm_limit"]),
            expires: text(&row["expires"]).chars().take(16).collect(),
            blocked: row["blocked"].as_bool().unwrap_or(false),
            created: text(&row["created_at"]).chars().take(10).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/keys/list.html")]
struct KeysPage {
    chrome: Chrome,
    can_write: bool,
    search: String,
    keys: Vec<KeyRow>,
    pager: Pager,
}

/// `?search=&page=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    search: String,
    page: Option<i64>,
}

/// The account's keys (an internal user sees their own).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let search = params.search.trim().to_owned();
    let query = ListQuery {
        page: params.page,
        size: Some(PAGE_SIZE),
        return_full_object: Some(true),
        search: Some(search.clone()),
        ..ListQuery::default()
    };
    let answer = list_keys(&state, &console.actor, query).await?;
    let keys = answer["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .map(KeyRow::of)
        .collect();
    let info = PageInfo {
        total_count: answer["total_count"].as_i64().unwrap_or(0),
        current_page: answer["current_page"].as_i64().unwrap_or(1),
        total_pages: answer["total_pages"].as_i64().unwrap_or(0),
    };
    Ok(render(&KeysPage {
        chrome: console.chrome("Virtual keys", "/ui/keys"),
        can_write: console.can_write(),
        pager: Pager::new("/ui/keys", &[("search", &search)], info),
        search,
        keys,
    }))
}

/// The create form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyFields {
    key_alias: String,
    /// Comma-separated model names; empty for all.
    models: String,
    max_budget: String,
    rpm_limit: String,
    tpm_limit: String,
    /// `30d`, `12h`...; empty never expires.
    duration: String,
}

fn invalid(message: &str) -> PageError {
    PageError {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        heading: "Not accepted",
        message: message.to_owned(),
    }
}

impl KeyFields {
    /// `/key/generate`'s request object.
    fn body(&self) -> Result<Map<String, Value>, PageError> {
        let mut body = Map::new();
        let alias = self.key_alias.trim();
        if !alias.is_empty() {
            body.insert("key_alias".into(), json!(alias));
        }
        let models: Vec<&str> = self
            .models
            .split(',')
            .map(str::trim)
            .filter(|model| !model.is_empty())
            .collect();
        if !models.is_empty() {
            body.insert("models".into(), json!(models));
        }
        if let Some(budget) = Some(self.max_budget.trim()).filter(|v| !v.is_empty()) {
            let budget: f64 = budget
                .parse()
                .map_err(|_| invalid("Max budget must be a number."))?;
            body.insert("max_budget".into(), json!(budget));
        }
        for (name, given, label) in [
            ("rpm_limit", &self.rpm_limit, "RPM limit"),
            ("tpm_limit", &self.tpm_limit, "TPM limit"),
        ] {
            if let Some(given) = Some(given.trim()).filter(|v| !v.is_empty()) {
                let limit: i64 = given
                    .parse()
                    .map_err(|_| invalid(&format!("{label} must be a whole number.")))?;
                body.insert(name.into(), json!(limit));
            }
        }
        let duration = self.duration.trim();
        if !duration.is_empty() {
            body.insert("duration".into(), json!(duration));
        }
        Ok(body)
    }
}

#[derive(Template)]
#[template(path = "console/keys/new.html")]
struct NewKeyPage {
    chrome: Chrome,
}

/// The create form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    require_writer(&console)?;
    Ok(render(&NewKeyPage {
        chrome: console.chrome("New key", "/ui/keys"),
    }))
}

fn require_writer(console: &AccountConsole) -> Result<(), PageError> {
    if console.can_write() {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "Your role reads this account; it does not change it.",
        ))
    }
}

#[derive(Template)]
#[template(path = "console/keys/secret.html")]
struct SecretPage {
    chrome: Chrome,
    heading: &'static str,
    key: KeyRow,
    secret: String,
}

/// Creates the key and shows its secret once.
pub async fn create_post(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<KeyFields>,
) -> Result<Response, PageError> {
    require_writer(&console)?;
    let answer = create(&state, &console.actor, fields.body()?).await?;
    let mut key = KeyRow::of(&answer);
    key.id = text(&answer["token_id"]);
    Ok(render(&SecretPage {
        chrome: console.chrome("Key created", "/ui/keys"),
        heading: "Key created",
        key,
        secret: text(&answer["key"]),
    }))
}

#[derive(Template)]
#[template(path = "console/keys/detail.html")]
struct KeyPage {
    chrome: Chrome,
    can_write: bool,
    key: KeyRow,
}

/// One key; another account's key is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = key_info(&state, &console.actor, &hashed(&id)?).await?;
    let key = KeyRow::of(&row);
    Ok(render(&KeyPage {
        chrome: console.chrome(&format!("Key {}", key.name), "/ui/keys"),
        can_write: console.can_write(),
        key,
    }))
}

/// A key id from a URL: only a stored hash, never a raw secret.
fn hashed(id: &str) -> Result<String, PageError> {
    if id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(id.to_owned())
    } else {
        Err(PageError::not_found())
    }
}

/// Blocks the key.
pub async fn block(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_blocked(&state, &console.actor, &hashed(&id)?, true).await?;
    Ok(see_other(&format!("/ui/keys/{id}")))
}

/// Unblocks the key.
pub async fn unblock(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    set_blocked(&state, &console.actor, &hashed(&id)?, false).await?;
    Ok(see_other(&format!("/ui/keys/{id}")))
}

/// Deletes the key.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    delete_keys(&state, &console.actor, &[hashed(&id)?], &[]).await?;
    Ok(see_other("/ui/keys"))
}

/// Gives the key a new secret and shows it once; the old one stops now.
pub async fn regenerate(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let answer = rotate(&state, &console.actor, &hashed(&id)?, Map::new()).await?;
    let mut key = KeyRow::of(&answer);
    key.id = text(&answer["token_id"]);
    Ok(render(&SecretPage {
        chrome: console.chrome("Key regenerated", "/ui/keys"),
        heading: "Key regenerated",
        key,
        secret: text(&answer["key"]),
    }))
}
