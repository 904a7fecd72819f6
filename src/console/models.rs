//! Models: the account's deployments (paged, searchable), adding one from a
//! provider, model, base URL and key, changing and deleting it, and "Test
//! connection", which makes one minimal real call through the provider
//! code. Writes go through the `/model/*` functions, so the key is stored
//! sealed and audited redacted; pages never show it, only whether one is
//! stored.

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
use crate::management::models::{
    Probe, create_model, delete_model, model_row, search_models, test_connection, update_model,
};
use crate::providers::Provider;

/// The providers the form offers, as `litellm_params.model` prefixes them.
const PROVIDERS: [(&str, &str); 16] = [
    ("openai", "OpenAI"),
    ("azure", "Azure OpenAI"),
    ("anthropic", "Anthropic"),
    ("gemini", "Google Gemini"),
    ("cohere", "Cohere"),
    ("groq", "Groq"),
    ("mistral", "Mistral"),
    ("together_ai", "Together AI"),
    ("fireworks_ai", "Fireworks AI"),
    ("deepseek", "DeepSeek"),
    ("openrouter", "OpenRouter"),
    ("perplexity", "Perplexity"),
    ("xai", "xAI"),
    ("hosted_vllm", "vLLM (self-hosted)"),
    ("ollama", "Ollama"),
    ("openai_like", "Other OpenAI-compatible API"),
];

/// One deployment as the pages show it (never its key).
pub struct ModelRow {
    pub id: String,
    /// `id` as a URL segment.
    pub path: String,
    pub name: String,
    pub provider: String,
    pub model: String,
    pub api_base: String,
    pub api_version: String,
    pub has_key: bool,
    pub team: String,
    pub updated: String,
}

impl ModelRow {
    fn of(row: &Value) -> Self {
        let params = &row["litellm_params"];
        let (provider, model) = Provider::parse(
            params["model"].as_str().unwrap_or_default(),
            params["custom_llm_provider"].as_str(),
        );
        let id = text(&row["model_id"]);
        Self {
            path: segment(&id),
            id,
            name: text(&row["model_name"]),
            provider: provider.name,
            model,
            api_base: text(&params["api_base"]),
            api_version: text(&params["api_version"]),
            has_key: row["has_api_key"].as_bool().unwrap_or(false),
            team: text(&row["model_info"]["team_id"]),
            updated: minute(&row["updated_at"]),
        }
    }
}

list_page!(ModelsPage, ModelRow, "console/models/list.html");

/// The account's deployments.
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let (rows, info) =
        search_models(&state, &console.actor, params.filter(), params.page_query()).await?;
    let rows = rows.iter().map(ModelRow::of).collect();
    Ok(render(&ModelsPage(console.listing(
        "Models",
        "/ui/models",
        &params,
        rows,
        info,
    ))))
}

/// The model form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelFields {
    model_name: String,
    provider: String,
    model: String,
    api_base: String,
    api_version: String,
    /// Empty keeps the stored key when editing.
    api_key: String,
}

impl ModelFields {
    /// The `/model/new` and `/model/update` request object: empty optional
    /// fields are null (an update clears them), an empty key is left out
    /// (the stored one stays). `known_provider`, the stored one, is
    /// accepted even when the form does not offer it.
    fn body(&self, known_provider: &str) -> Result<Map<String, Value>, PageError> {
        let name = required(&self.model_name, "Model name")?;
        let model = required(&self.model, "Provider model")?;
        let provider = self.provider.trim();
        if provider != known_provider && !PROVIDERS.iter().any(|(p, _)| *p == provider) {
            return Err(PageError::invalid("Choose a provider from the list."));
        }
        let api_base = optional(&self.api_base);
        if let Some(base) = api_base.as_str()
            && !url::Url::parse(base).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
        {
            return Err(PageError::invalid(
                "API base must be an http:// or https:// address.",
            ));
        }
        let mut params = Map::from_iter([
            ("model".to_owned(), json!(format!("{provider}/{model}"))),
            ("api_base".to_owned(), api_base),
            ("api_version".to_owned(), optional(&self.api_version)),
        ]);
        let key = self.api_key.trim();
        if !key.is_empty() {
            params.insert("api_key".into(), json!(key));
        }
        Ok(Map::from_iter([
            ("model_name".to_owned(), json!(name)),
            ("litellm_params".to_owned(), Value::Object(params)),
        ]))
    }

    fn of(row: &ModelRow) -> Self {
        Self {
            model_name: row.name.clone(),
            provider: row.provider.clone(),
            model: row.model.clone(),
            api_base: row.api_base.clone(),
            api_version: row.api_version.clone(),
            api_key: String::new(),
        }
    }

    /// The provider choices, the current one selected (kept even when the
    /// form does not offer it, so saving does not change it).
    fn providers(&self) -> Vec<Choice> {
        let mut choices = Choice::list(&PROVIDERS, &self.provider);
        if !self.provider.is_empty() && !choices.iter().any(|choice| choice.selected) {
            choices.insert(
                0,
                Choice {
                    value: self.provider.clone(),
                    label: self.provider.clone(),
                    selected: true,
                },
            );
        }
        choices
    }
}

#[derive(Template)]
#[template(path = "console/models/new.html")]
struct NewModelPage {
    chrome: Chrome,
    fields: ModelFields,
    providers: Vec<Choice>,
}

/// The add-model form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    let fields = ModelFields {
        provider: "openai".to_owned(),
        ..ModelFields::default()
    };
    Ok(render(&NewModelPage {
        chrome: console.chrome("Add a model", "/ui/models"),
        providers: fields.providers(),
        fields,
    }))
}

/// Adds the deployment and shows it.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<ModelFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let mut body = fields.body("")?;
    // A new model has nothing to clear.
    if let Some(Value::Object(params)) = body.get_mut("litellm_params") {
        params.retain(|_, value| !value.is_null());
    }
    let stored = create_model(&state, &console.actor, &body).await?;
    Ok(see_other(&format!(
        "/ui/models/{}",
        segment(&text(&stored["model_id"]))
    )))
}

#[derive(Template)]
#[template(path = "console/models/detail.html")]
struct ModelPage {
    chrome: Chrome,
    can_write: bool,
    model: ModelRow,
    fields: ModelFields,
    providers: Vec<Choice>,
    /// The connection test's outcome, on the page answering its POST.
    probe: Option<Probe>,
    history: String,
}

async fn model_page(
    state: &AppState,
    console: &AccountConsole,
    id: &str,
    probe: Option<Probe>,
) -> Result<Response, PageError> {
    console.require_reader()?;
    let model = ModelRow::of(&model_row(state, &console.actor, id).await?);
    let fields = ModelFields::of(&model);
    let history = format!(
        "/ui/audit?table=LiteLLM_ProxyModelTable&object={}",
        segment(&model.id)
    );
    Ok(render(&ModelPage {
        chrome: console.chrome(&model.name, "/ui/models"),
        can_write: console.can_write(),
        providers: fields.providers(),
        fields,
        model,
        probe,
        history,
    }))
}

/// One deployment, with its edit form; another account's is the same 404
/// as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    model_page(&state, &console, &id, None).await
}

/// Saves the deployment's changes.
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<ModelFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let current = ModelRow::of(&model_row(&state, &console.actor, &id).await?);
    let body = fields.body(&current.provider)?;
    update_model(&state, &console.actor, &id, &body, "/model/update").await?;
    Ok(see_other(&format!("/ui/models/{}", segment(&id))))
}

/// Deletes the deployment.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    delete_model(&state, &console.actor, &id).await?;
    Ok(see_other("/ui/models"))
}

/// Calls the deployment once and shows the outcome on its page. The
/// answer is the page itself (a test changes nothing, and the provider's
/// message has no place in a URL).
pub async fn test(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let probe = test_connection(&state, &console.actor, &id).await?;
    model_page(&state, &console, &id, Some(probe)).await
}
