//! Which models a caller may use: the key's list (empty inherits from the
//! team), bounded by the team's list, with LiteLLM's wildcards, special
//! names and access groups.

use axum::http::StatusCode;

use super::{ApiError, Caller};
use crate::routing::{AccountModels, pattern_matches};

/// One allow-list's verdict on a model.
fn list_allows(list: &[String], model: &str, models: &AccountModels) -> bool {
    if list.is_empty() {
        return true;
    }
    let serving = models.candidates(model);
    list.iter().any(|entry| {
        let entry = entry.as_str();
        entry == "*"
            || entry == "all-proxy-models"
            || entry == model
            || (entry.contains('*')
                && (pattern_matches(entry, model)
                    || serving
                        .iter()
                        .any(|d| pattern_matches(entry, &format!("{}/{model}", d.provider.name)))))
            || serving
                .iter()
                .any(|d| d.access_groups().iter().any(|group| group == entry))
    })
}

/// The key's own list with `all-team-models` resolved.
fn key_list(caller: &Caller) -> Vec<String> {
    let Some(key) = &caller.key else {
        return Vec::new();
    };
    if key.models.iter().any(|m| m == "all-team-models") {
        return key
            .team
            .as_ref()
            .map(|team| team.models.clone())
            .unwrap_or_default();
    }
    key.models.clone()
}

/// Refuses a model the caller may not use, in LiteLLM's words.
pub fn check_model(caller: &Caller, model: &str, models: &AccountModels) -> Result<(), ApiError> {
    let Some(key) = &caller.key else {
        return Ok(());
    };
    let own = key_list(caller);
    if !list_allows(&own, model, models) {
        return Err(denied("key", &own, model));
    }
    if let Some(team) = &key.team
        && !list_allows(&team.models, model, models)
    {
        return Err(denied("team", &team.models, model));
    }
    Ok(())
}

/// True when the caller may use `model` (for listing).
pub fn allows(caller: &Caller, model: &str, models: &AccountModels) -> bool {
    check_model(caller, model, models).is_ok()
}

fn denied(level: &str, list: &[String], model: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        &format!("{level}_model_access_denied"),
        format!(
            "{level} not allowed to access model. This {level} can only access models={list:?}. Tried to access {model}"
        ),
    )
    .with_param("model")
}
