//! Which models a caller may use. Every level with a list bounds the call:
//! the key's own list (empty inherits), its team's, the owner's for a
//! personal key, and the organization's. Entries may be exact names,
//! wildcards (`openai/*`, `*`), `all-proxy-models`, `all-team-models`, or
//! access groups (deployment `model_info.access_groups`, or rows of
//! `LiteLLM_AccessGroupTable` named by name or id, or assigned to the key or
//! team).

use axum::http::StatusCode;

use super::{ApiError, Caller};
use crate::keys::KeyRecord;
use crate::routing::{AccountModels, pattern_matches};

/// How deep access groups may name other groups.
const GROUP_DEPTH: u8 = 3;

/// One entry's verdict on a model.
fn entry_allows(entry: &str, model: &str, models: &AccountModels, depth: u8) -> bool {
    if entry == "*" || entry == "all-proxy-models" || entry == model {
        return true;
    }
    let serving = models.candidates(model);
    // A bare name also matches as `provider/name` (`gpt-4o` is in `openai/*`).
    if entry.contains('*')
        && (pattern_matches(entry, model)
            || (!model.contains('/')
                && serving
                    .iter()
                    .any(|d| pattern_matches(entry, &format!("{}/{model}", d.provider.name)))))
    {
        return true;
    }
    if serving
        .iter()
        .any(|d| d.access_groups().iter().any(|group| group == entry))
    {
        return true;
    }
    depth < GROUP_DEPTH
        && models
            .access_groups
            .iter()
            .filter(|group| group.name == entry || group.id == entry)
            .flat_map(|group| &group.models)
            .any(|member| entry_allows(member, model, models, depth + 1))
}

/// A list's verdict: an empty list allows everything.
fn list_allows(list: &[String], model: &str, models: &AccountModels) -> bool {
    list.is_empty()
        || list
            .iter()
            .any(|entry| entry_allows(entry, model, models, 0))
}

/// A list plus the access groups granted to its holder (by id on the
/// holder, or by the group's assignment). A holder with no list of its own
/// but granted groups may use exactly what the groups hold.
fn with_groups(
    mut list: Vec<String>,
    group_ids: &[String],
    assigned: impl Fn(&crate::routing::AccessGroup) -> bool,
    models: &AccountModels,
) -> Vec<String> {
    for group in &models.access_groups {
        if group_ids.contains(&group.id) || assigned(group) {
            list.push(group.id.clone());
        }
    }
    list
}

/// The key's own list: `all-team-models` defers to the team's.
fn key_list(key: &KeyRecord, models: &AccountModels) -> Vec<String> {
    if key.models.iter().any(|m| m == "all-team-models") {
        return Vec::new();
    }
    let assigned = |group: &crate::routing::AccessGroup| {
        group
            .key_ids
            .iter()
            .any(|id| *id == key.token || key.key_alias.as_deref() == Some(id.as_str()))
    };
    with_groups(key.models.clone(), &key.access_group_ids, assigned, models)
}

/// Refuses a model the caller may not use, in LiteLLM's words.
pub fn check_model(caller: &Caller, model: &str, models: &AccountModels) -> Result<(), ApiError> {
    let Some(key) = &caller.key else {
        return Ok(());
    };
    let own = key_list(key, models);
    if !list_allows(&own, model, models) {
        return Err(denied("key", &own, model));
    }
    if let Some(team) = &key.team {
        let assigned = |group: &crate::routing::AccessGroup| group.team_ids.contains(&team.team_id);
        let list = with_groups(
            team.models.clone(),
            &team.access_group_ids,
            assigned,
            models,
        );
        if !list_allows(&list, model, models) {
            return Err(denied("team", &list, model));
        }
    } else if let Some(owner) = &key.owner
        && !list_allows(&owner.models, model, models)
    {
        return Err(denied("user", &owner.models, model));
    }
    if let Some(org) = &key.organization
        && !list_allows(&org.models, model, models)
    {
        return Err(denied("org", &org.models, model));
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
