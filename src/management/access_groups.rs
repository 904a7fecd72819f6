//! Model access groups (`LiteLLM_AccessGroupTable`): a name standing for a
//! set of model groups, which keys and teams are granted by naming it in
//! their `models` (or by the group's `assigned_team_ids` /
//! `assigned_key_ids`). The proxy reads the table for every access check.
//! Groups that deployments declare in `model_info.access_groups` are listed
//! too, with the models that declare them.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Actor;
use super::audited;
use super::body::Body;
use super::models::invalid;
use super::rows::{self, Field, Kind};
use crate::AppState;
use crate::db::TenantTx;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_AccessGroupTable";
/// Access-group rows, written with their audit rows.
const GROUPS: audited::Table = audited::Table::plain(TABLE, "access_group_id");
const FIND_SQL: &str = "
    SELECT to_jsonb(g.*) FROM \"LiteLLM_AccessGroupTable\" g
     WHERE g.account_id = $1 AND (g.access_group_name = $2 OR g.access_group_id = $2)
     ORDER BY g.access_group_name = $2 DESC LIMIT 1";
const LIST_SQL: &str = "
    SELECT to_jsonb(g.*) FROM \"LiteLLM_AccessGroupTable\" g
     WHERE g.account_id = $1 ORDER BY g.access_group_name LIMIT 1000";
/// Deployments per model group, with the access groups they declare.
const DEPLOYMENTS_SQL: &str = "
    SELECT model_name,
           CASE jsonb_typeof(model_info -> 'access_groups')
                WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(model_info -> 'access_groups'))
                ELSE '{}'::text[] END
      FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id IN ($1, alchemi.platform_account_id())
     LIMIT 10000";
const NAMES_SQL: &str = "
    SELECT access_group_name FROM \"LiteLLM_AccessGroupTable\" WHERE account_id = $1";
const TEAMS_SQL: &str = "
    SELECT team_id FROM \"LiteLLM_TeamTable\" WHERE account_id = $1 AND team_id = ANY($2)";

/// Table columns clients may set besides the name and the models.
const FIELDS: [Field; 5] = [
    ("description", Kind::Text),
    ("assigned_team_ids", Kind::TextList),
    ("assigned_key_ids", Kind::TextList),
    ("access_mcp_server_ids", Kind::TextList),
    ("access_agent_ids", Kind::TextList),
];

/// `{access_group, model_names}` as LiteLLM takes them (also spelled
/// `access_group_name`, `access_model_names`), plus the table's other fields.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct AccessGroupRequest {
    access_group: Option<String>,
    model_names: Option<Vec<String>>,
    description: Option<String>,
    assigned_team_ids: Option<Vec<String>>,
    assigned_key_ids: Option<Vec<String>>,
}

/// A list of strings under the first of `names` present.
fn text_list(body: &Map<String, Value>, names: &[&str]) -> Result<Option<Vec<String>>, ApiError> {
    let Some((name, value)) = names
        .iter()
        .find_map(|name| body.get(*name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    match value {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| invalid(name, "a list of strings")),
        _ => Err(invalid(name, "a list of strings")),
    }
}

/// What deployments say: model group → deployment count, and access group
/// → model groups declaring it.
struct Deployments {
    counts: BTreeMap<String, usize>,
    declared: BTreeMap<String, BTreeSet<String>>,
}

impl Deployments {
    async fn load(tx: &TenantTx) -> Result<Self, ApiError> {
        let rows = tx
            .query(DEPLOYMENTS_SQL, &[&tx.account_id().uuid()])
            .await?;
        let mut counts = BTreeMap::new();
        let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in rows {
            let name: String = row.get(0);
            for group in row.get::<_, Vec<String>>(1) {
                declared.entry(group).or_default().insert(name.clone());
            }
            *counts.entry(name).or_insert(0) += 1;
        }
        Ok(Self { counts, declared })
    }

    /// The group's model names: its own list plus the deployments declaring it.
    fn models_of(&self, group: &str, listed: &[String]) -> Vec<String> {
        let mut names: Vec<String> = listed.to_vec();
        for name in self.declared.get(group).into_iter().flatten() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    fn count(&self, names: &[String]) -> usize {
        names.iter().filter_map(|name| self.counts.get(name)).sum()
    }
}

/// A group as the list and info routes show it.
fn describe(row: Option<&Value>, name: &str, deployments: &Deployments) -> Value {
    let listed: Vec<String> = row
        .and_then(|row| serde_json::from_value(row["access_model_names"].clone()).ok())
        .unwrap_or_default();
    let models = deployments.models_of(name, &listed);
    let mut out = match row {
        Some(Value::Object(row)) => row.clone(),
        _ => Map::new(),
    };
    out.remove("account_id");
    out.insert("access_group".into(), json!(name));
    out.insert("deployment_count".into(), json!(deployments.count(&models)));
    out.insert("model_names".into(), json!(models));
    out.entry("access_group_id").or_insert(Value::Null);
    Value::Object(out)
}

/// Refuses model names no deployment serves (patterns and other access
/// groups are taken as they are).
async fn check_models(
    tx: &TenantTx,
    names: &[String],
    deployments: &Deployments,
) -> Result<(), ApiError> {
    let groups: Vec<String> = tx
        .query(NAMES_SQL, &[&tx.account_id().uuid()])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let missing: Vec<&str> = names
        .iter()
        .filter(|name| {
            !name.contains('*') && !deployments.counts.contains_key(*name) && !groups.contains(name)
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(
        ApiError::bad_request(format!("Model(s) not found: {}", missing.join(", ")))
            .with_param("model_names"),
    )
}

/// Refuses teams the account does not have.
async fn check_teams(tx: &TenantTx, fields: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(Value::Array(teams)) = fields.get("assigned_team_ids") else {
        return Ok(());
    };
    let wanted: Vec<String> = teams
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let found: Vec<String> = tx
        .query(TEAMS_SQL, &[&tx.account_id().uuid(), &wanted])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut missing: Vec<&str> = wanted
        .iter()
        .filter(|team| !found.contains(team))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_unstable();
    Err(
        ApiError::bad_request(format!("Unknown team ids: {}", missing.join(", ")))
            .with_param("assigned_team_ids"),
    )
}

async fn find(tx: &TenantTx, group: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_opt(FIND_SQL, &[&tx.account_id().uuid(), &group])
        .await?
        .map(|row| row.get(0)))
}

fn not_found(group: &str) -> ApiError {
    rows::not_found("Access group", group)
}

/// Create an access group of existing model groups.
#[utoipa::path(post, path = "/access_group/new", tag = "access groups", request_body = AccessGroupRequest,
    responses((status = 200, description = "`{access_group, model_names, models_updated, ...}`"), (status = 409, description = "The group exists")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/access_group/new")?;
    let name = match body
        .get("access_group")
        .or_else(|| body.get("access_group_name"))
    {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        _ => return Err(invalid("access_group", "a non-empty string")),
    };
    let models = text_list(&body, &["model_names", "access_model_names"])?
        .ok_or_else(|| invalid("model_names", "a list of strings"))?;
    let mut row = rows::pick(&body, &FIELDS)?;
    let tx = state.db().tenant(actor.account).await?;
    if find(&tx, &name).await?.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "invalid_request_error",
            format!("Access group '{name}' already exists. Use PUT /access_group/{name}/update to modify it."),
        )
        .with_param("access_group"));
    }
    let deployments = Deployments::load(&tx).await?;
    check_models(&tx, &models, &deployments).await?;
    check_teams(&tx, &row).await?;
    row.insert("access_group_name".into(), json!(name));
    row.insert("access_model_names".into(), json!(models));
    row.insert("created_by".into(), json!(actor.label()));
    row.insert("updated_by".into(), json!(actor.label()));
    let stored = GROUPS.create(&tx, &actor, row).await?;
    tx.commit().await?;
    state.models().evict(actor.account).await;
    let mut out = describe(Some(&stored), &name, &deployments);
    out["models_updated"] = json!(deployments.count(&models));
    Ok(Json(out))
}

/// Every access group of the account.
#[utoipa::path(get, path = "/access_group/list", tag = "access groups",
    responses((status = 200, description = "`{\"access_groups\": [{access_group, model_names, deployment_count, ...}]}`")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/access_group/list")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx.query(LIST_SQL, &[&actor.account.uuid()]).await?;
    let deployments = Deployments::load(&tx).await?;
    tx.commit().await?;
    let mut groups: BTreeMap<String, Value> = BTreeMap::new();
    for row in rows {
        let row: Value = row.get(0);
        let name = row["access_group_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        groups.insert(name.clone(), describe(Some(&row), &name, &deployments));
    }
    for name in deployments.declared.keys() {
        if !groups.contains_key(name) {
            groups.insert(name.clone(), describe(None, name, &deployments));
        }
    }
    Ok(Json(
        json!({"access_groups": groups.into_values().collect::<Vec<_>>()}),
    ))
}

/// One access group, by name or id.
#[utoipa::path(get, path = "/access_group/{access_group}/info", tag = "access groups",
    params(("access_group" = String, Path, description = "The group's name or id")),
    responses((status = 200, description = "`{access_group, model_names, deployment_count, ...}`"), (status = 404, description = "No such group")))]
async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Path(group): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/access_group/{access_group}/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let row = find(&tx, &group).await?;
    let deployments = Deployments::load(&tx).await?;
    tx.commit().await?;
    match row {
        Some(row) => {
            let name = row["access_group_name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok(Json(describe(Some(&row), &name, &deployments)))
        }
        None if deployments.declared.contains_key(&group) => {
            Ok(Json(describe(None, &group, &deployments)))
        }
        None => Err(not_found(&group)),
    }
}

/// Change an access group: `model_names` replaces its models; other fields
/// (`description`, `assigned_team_ids`, ...) replace theirs.
#[utoipa::path(put, path = "/access_group/{access_group}/update", tag = "access groups", request_body = AccessGroupRequest,
    params(("access_group" = String, Path, description = "The group's name or id")),
    responses((status = 200, description = "`{access_group, model_names, models_updated, ...}`"), (status = 404, description = "No such group")))]
async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(group): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/access_group/{access_group}/update")?;
    let models = text_list(&body, &["model_names", "access_model_names"])?;
    let mut changes = rows::pick(&body, &FIELDS)?;
    match body.get("access_group_name") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) if !name.trim().is_empty() => {
            changes.insert("access_group_name".into(), json!(name));
        }
        Some(_) => return Err(invalid("access_group_name", "a non-empty string")),
    }
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = find(&tx, &group).await? else {
        return Err(not_found(&group));
    };
    let id = existing["access_group_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let deployments = Deployments::load(&tx).await?;
    if let Some(models) = &models {
        check_models(&tx, models, &deployments).await?;
        changes.insert("access_model_names".into(), json!(models));
    }
    check_teams(&tx, &changes).await?;
    changes.insert("updated_by".into(), json!(actor.label()));
    let after = GROUPS
        .update(&tx, &actor, &id, changes)
        .await?
        .ok_or_else(|| not_found(&group))?;
    tx.commit().await?;
    state.models().evict(actor.account).await;
    let name = after["access_group_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut out = describe(Some(&after), &name, &deployments);
    let listed: Vec<String> =
        serde_json::from_value(after["access_model_names"].clone()).unwrap_or_default();
    out["models_updated"] = json!(deployments.count(&listed));
    Ok(Json(out))
}

/// Delete an access group; keys and teams naming it lose what it granted.
#[utoipa::path(delete, path = "/access_group/{access_group}/delete", tag = "access groups",
    params(("access_group" = String, Path, description = "The group's name or id")),
    responses((status = 200, description = "`{access_group, models_updated, message}`"), (status = 404, description = "No such group")))]
async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(group): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/access_group/{access_group}/delete")?;
    let tx = state.db().tenant(actor.account).await?;
    let Some(existing) = find(&tx, &group).await? else {
        return Err(not_found(&group));
    };
    let id = existing["access_group_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let deleted = GROUPS
        .delete(&tx, &actor, &id)
        .await?
        .ok_or_else(|| not_found(&group))?;
    let deployments = Deployments::load(&tx).await?;
    tx.commit().await?;
    state.models().evict(actor.account).await;
    let name = deleted["access_group_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let listed: Vec<String> =
        serde_json::from_value(deleted["access_model_names"].clone()).unwrap_or_default();
    Ok(Json(json!({
        "access_group": name,
        "models_updated": deployments.count(&listed),
        "message": format!("Access group '{name}' deleted successfully"),
    })))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(info))
        .routes(routes!(update))
        .routes(routes!(delete))
}
