//! A team's logging callbacks, kept where LiteLLM keeps them: the team's
//! `metadata.callback_settings` (`success_callback`, `failure_callback`,
//! `callback_vars`). `POST /team/{team_id}/callback` adds one,
//! `GET /team/{team_id}/callback` reads them, `POST
//! /team/{team_id}/disable_logging` turns them all off. Secret variables
//! (`langfuse_secret_key`, `langsmith_api_key`...) are sealed with the vault
//! before they are stored, and redacted in answers and audit rows.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{TABLE, audit_team, is_member, lock_or_404, require_team_admin};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::models::secrets;
use crate::management::rows::{self, Kind};
use crate::management::users::common::{forbidden, invalid};
use crate::proxy::ApiError;

/// The callback types LiteLLM knows.
const CALLBACK_TYPES: [&str; 3] = ["success", "failure", "success_and_failure"];

/// `{"callback_name", "callback_type", "callback_vars"}`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct AddTeamCallbackRequest {
    /// `langfuse`, `langsmith`, `gcs`...
    callback_name: String,
    /// `success`, `failure` or `success_and_failure` (the default).
    callback_type: Option<String>,
    /// The callback's settings; secret ones are stored encrypted.
    callback_vars: Option<Map<String, Value>>,
}

/// A team's `metadata.callback_settings`, as LiteLLM's `TeamCallbackMetadata`.
#[derive(Debug, Default)]
struct Settings {
    success: Vec<String>,
    failure: Vec<String>,
    vars: Map<String, Value>,
}

impl Settings {
    fn of(team: &Value) -> Self {
        let stored = &team["metadata"]["callback_settings"];
        let names = |field: &str| -> Vec<String> {
            stored[field]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            success: names("success_callback"),
            failure: names("failure_callback"),
            vars: stored["callback_vars"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }

    fn stored(&self) -> Value {
        json!({
            "success_callback": self.success,
            "failure_callback": self.failure,
            "callback_vars": self.vars,
        })
    }
}

/// `callback_vars` as answers show them: secrets redacted.
fn redacted_vars(vars: &Map<String, Value>) -> Value {
    secrets::redact(&Value::Object(vars.clone()))
}

/// The team row as the callback endpoints answer it.
fn public(mut team: Value) -> Value {
    let vars = &mut team["metadata"]["callback_settings"]["callback_vars"];
    if vars.is_object() {
        *vars = secrets::redact(vars);
    }
    team
}

fn duplicate(name: &str, list: &str, team_id: &str, existing: &[String]) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request_error",
        format!(
            "callback_name = {name} already exists in {list}, for team_id = {team_id}. Existing {list} = {existing:?}"
        ),
    )
    .with_param("callback_name")
}

/// Stores `settings` in the team's metadata and audits the change; returns
/// the team row after it.
async fn save(
    tx: &crate::db::TenantTx,
    actor: &Actor,
    team: Value,
    settings: &Settings,
) -> Result<Value, ApiError> {
    let team_id = team["team_id"].as_str().unwrap_or_default().to_owned();
    let mut metadata = team["metadata"].as_object().cloned().unwrap_or_default();
    metadata.insert("callback_settings".into(), settings.stored());
    let changes = Map::from_iter([("metadata".to_owned(), Value::Object(metadata))]);
    let Some((_, after)) = rows::update(tx, TABLE, &[("team_id", &team_id)], changes).await? else {
        return Err(rows::not_found("Team", &team_id));
    };
    audit_team(tx, actor, "updated", Some(team), Some(after.clone())).await?;
    Ok(after)
}

/// Add a success and/or failure logging callback to a team, with its
/// variables (secrets stored encrypted). The account admin or a team admin.
#[utoipa::path(post, path = "/team/{team_id}/callback", operation_id = "team_callback_add", tag = "teams",
    params(("team_id" = String, Path)), request_body = AddTeamCallbackRequest,
    responses((status = 200, description = "`{status, data: team row}` (secrets redacted)"),
              (status = 400, description = "The callback is already set"),
              (status = 404, description = "No such team")))]
pub async fn add(
    State(state): State<AppState>,
    actor: Actor,
    Path(team_id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let name = rows::required_text(&body, "callback_name")?;
    let given = rows::pick(
        &body,
        &[
            ("callback_type", Kind::Text),
            ("callback_vars", Kind::Object),
        ],
    )?;
    let kind = given
        .get("callback_type")
        .and_then(Value::as_str)
        .unwrap_or("success_and_failure");
    if !CALLBACK_TYPES.contains(&kind) {
        return Err(invalid(
            "callback_type",
            format!("callback_type must be one of {}", CALLBACK_TYPES.join(", ")),
        ));
    }
    let mut vars = given
        .get("callback_vars")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some((var, _)) = vars.iter().find(|(_, value)| !value.is_string()) {
        return Err(invalid(
            "callback_vars",
            format!("callback_vars.{var} must be a string"),
        ));
    }
    secrets::seal(state.upstream().vault(), &mut vars, "callback_vars")?;

    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &team_id).await?;
    require_team_admin(&team, &actor, "/team/{team_id}/callback")?;
    let mut settings = Settings::of(&team);
    let (success, failure) = match kind {
        "success" => (true, false),
        "failure" => (false, true),
        _ => (true, true),
    };
    if success && settings.success.contains(&name) {
        return Err(duplicate(
            &name,
            "success_callback",
            &team_id,
            &settings.success,
        ));
    }
    if failure && settings.failure.contains(&name) {
        return Err(duplicate(
            &name,
            "failure_callback",
            &team_id,
            &settings.failure,
        ));
    }
    if success {
        settings.success.push(name.clone());
    }
    if failure {
        settings.failure.push(name);
    }
    settings.vars.extend(vars);
    let after = save(&tx, &actor, team, &settings).await?;
    tx.commit().await?;
    Ok(Json(json!({"status": "success", "data": public(after)})))
}

/// A team's logging callbacks and their variables (secrets redacted).
/// Admins, viewers, the team's members and its keys may read them.
#[utoipa::path(get, path = "/team/{team_id}/callback", operation_id = "team_callback_get", tag = "teams",
    params(("team_id" = String, Path)),
    responses((status = 200, description = "`{status, data: {team_id, success_callbacks, failure_callbacks, callback_vars}}`"),
              (status = 404, description = "No such team")))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(team_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let Some(team) = rows::get(&tx, TABLE, &[("team_id", &team_id)]).await? else {
        return Err(rows::not_found("Team", &team_id));
    };
    tx.commit().await?;
    let allowed = actor.sees_everything()
        || is_member(&team, actor.user_id.as_deref())
        || actor.team_id.as_deref() == Some(team_id.as_str());
    if !allowed {
        return Err(forbidden(format!(
            "User={} not authorized to access this team={team_id}",
            actor.user_id.as_deref().unwrap_or("None")
        )));
    }
    let settings = Settings::of(&team);
    Ok(Json(json!({
        "status": "success",
        "data": {
            "team_id": team_id,
            "success_callbacks": settings.success,
            "failure_callbacks": settings.failure,
            "callback_vars": redacted_vars(&settings.vars),
        },
    })))
}

/// Turn off every logging callback of a team (its variables are kept).
/// The account admin or a team admin.
#[utoipa::path(post, path = "/team/{team_id}/disable_logging", operation_id = "team_disable_logging", tag = "teams",
    params(("team_id" = String, Path)),
    responses((status = 200, description = "`{status, message, data: {team_id, success_callbacks, failure_callbacks}}`"),
              (status = 404, description = "No such team")))]
pub async fn disable_logging(
    State(state): State<AppState>,
    actor: Actor,
    Path(team_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let team = lock_or_404(&tx, &team_id).await?;
    require_team_admin(&team, &actor, "/team/{team_id}/disable_logging")?;
    let mut settings = Settings::of(&team);
    settings.success.clear();
    settings.failure.clear();
    save(&tx, &actor, team, &settings).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "status": "success",
        "message": format!("Logging disabled for team {team_id}"),
        "data": {"team_id": team_id, "success_callbacks": [], "failure_callbacks": []},
    })))
}
