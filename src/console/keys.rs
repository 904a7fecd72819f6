//! Virtual keys: the paged, searchable list, one key's page with its edit
//! form, the create form, block/unblock, delete and regenerate. Every change goes through the
//! `/key/*` functions, so roles, validation and audit rows are the API's.
//! A new secret is shown once, on the page answering the POST that made it
//! (it never goes into a URL, and the page is not cached).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::{LimitFields, Request};
use super::list::{ListParams, PAGE_SIZE, list_page, page_info};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{Limits, budget, day, each, href, joined, models, money, text};
use crate::AppState;
use crate::management::keys::lifecycle::{delete_keys, rotate, set_blocked};
use crate::management::keys::read::{ListQuery, key_info, list_keys};
use crate::management::keys::write::{create, update_one};

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
    pub budget_duration: String,
    pub max_parallel: String,
    pub team_id: String,
}

impl KeyRow {
    fn of(row: &Value) -> Self {
        Self {
            id: text(&row["token"]),
            alias: text(&row["key_alias"]),
            name: text(&row["key_name"]),
            models: models(&row["models"]),
            spend: money(&row["spend"]),
            max_budget: budget(&row["max_budget"]),
            rpm: text(&row["rpm_limit"]),
            tpm: text(&row["tpm_limit"]),
            expires: text(&row["expires"]).chars().take(16).collect(),
            blocked: row["blocked"].as_bool().unwrap_or(false),
            created: day(&row["created_at"]),
            budget_duration: text(&row["budget_duration"]),
            max_parallel: text(&row["max_parallel_requests"]),
            team_id: text(&row["team_id"]),
        }
    }
}

/// The edit form's current values (as typed, not as shown).
pub struct KeyValues {
    pub key_alias: String,
    pub models: String,
    pub team_id: String,
    pub limits: Limits,
}

impl KeyValues {
    fn of(row: &Value) -> Self {
        Self {
            key_alias: text(&row["key_alias"]),
            models: joined(&row["models"]),
            team_id: text(&row["team_id"]),
            limits: Limits::of(row).with_parallel(row),
        }
    }
}

list_page!(KeysPage, KeyRow, "console/keys/list.html");

/// The account's keys (an internal user sees their own).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let query = ListQuery {
        page: Some(params.page()),
        size: Some(PAGE_SIZE),
        return_full_object: Some(true),
        search: Some(params.search().to_owned()),
        ..ListQuery::default()
    };
    let answer = list_keys(&state, &console.actor, query).await?;
    let keys = each(&answer["keys"], KeyRow::of);
    let info = page_info(&answer, ["total_count", "current_page", "total_pages"]);
    Ok(render(&KeysPage(console.listing(
        "Virtual keys",
        "/ui/keys",
        &params,
        keys,
        info,
    ))))
}

/// The create form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyFields {
    key_alias: String,
    /// Comma-separated model names; empty for all.
    models: String,
    #[serde(flatten)]
    limits: LimitFields,
    /// `30d`, `12h`...; empty never expires.
    duration: String,
}

impl KeyFields {
    /// `/key/generate`'s request object.
    fn body(&self) -> Result<Map<String, Value>, PageError> {
        let mut request = Request::create();
        request
            .text("key_alias", Some(&self.key_alias))
            .list("models", Some(&self.models))
            .limits(&self.limits)?
            .text("duration", Some(&self.duration));
        Ok(request.body())
    }
}

/// The edit form's fields; a field the form does not carry is unchanged.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyEdit {
    key_alias: Option<String>,
    models: Option<String>,
    #[serde(flatten)]
    limits: LimitFields,
    team_id: Option<String>,
    /// A new lifetime from now (`30d`); `never` removes the expiry; empty
    /// keeps it.
    duration: Option<String>,
}

impl KeyEdit {
    /// `/key/update`'s request object for the key `token`.
    fn body(&self, token: &str) -> Result<Map<String, Value>, PageError> {
        let mut request = Request::edit();
        request
            .set("key", json!(token))
            .text("key_alias", self.key_alias.as_deref())
            .list("models", self.models.as_deref())
            .limits(&self.limits)?
            .text("team_id", self.team_id.as_deref());
        match self.duration.as_deref().map(str::trim) {
            None | Some("") => {}
            Some(never) if never.eq_ignore_ascii_case("never") => {
                request.set("duration", Value::Null);
            }
            Some(duration) => {
                request.set("duration", json!(duration));
            }
        }
        Ok(request.body())
    }
}

#[derive(Template)]
#[template(path = "console/keys/new.html")]
struct NewKeyPage {
    chrome: Chrome,
}

/// The create form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    Ok(render(&NewKeyPage {
        chrome: console.chrome("New key", "/ui/keys"),
    }))
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
    console.require_writer()?;
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
    key_team_href: String,
    values: KeyValues,
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
        values: KeyValues::of(&row),
        key_team_href: href("/ui/teams", &key.team_id),
        key,
    }))
}

/// Saves the key's settings through `/key/update`.
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<KeyEdit>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let token = hashed(&id)?;
    update_one(&state, &console.actor, fields.body(&token)?).await?;
    Ok(see_other(&format!("/ui/keys/{token}")))
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
