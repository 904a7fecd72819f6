//! `/model/info`, `/v1/model/info` and `/v2/model/info`: the deployments
//! the calling key may use (as the router sees them), `litellm_params`
//! without secrets and `model_info` completed from the price table. Any key
//! may ask; a team's model is shown to that team and the account's admins.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::{describe, secrets};
use crate::AppState;
use crate::db::AccountId;
use crate::management::body::Query;
use crate::management::paging::{PageInfo, PageQuery};
use crate::management::rows;
use crate::proxy::{ApiError, Caller, allows, authenticate};
use crate::routing::{AccountModels, Deployment};

/// Who created and changed the account's own rows (the router's cache does
/// not keep it).
const META_SQL: &str = "
    SELECT coalesce(model_info ->> 'id', model_id),
           jsonb_build_object('created_by', created_by, 'updated_by', updated_by,
                              'created_at', created_at, 'updated_at', updated_at)
      FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id = $1 AND coalesce(model_info ->> 'id', model_id) = ANY($2)";

/// `?litellm_model_id=`: one deployment only.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct InfoQuery {
    litellm_model_id: Option<String>,
}

/// `/v2/model/info` filters and paging (`debug` is accepted and ignored:
/// internal fields are never shown).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(default)]
pub struct InfoV2Query {
    /// Exact model group name.
    model: Option<String>,
    /// One deployment.
    model_id: Option<String>,
    /// Part of the model group name, any case.
    search: Option<String>,
    /// Models owned by this team.
    team_id: Option<String>,
    /// Only models the caller created (`true`).
    user_models_only: Option<String>,
    page: i64,
    #[serde(alias = "page_size")]
    size: i64,
}

impl Default for InfoV2Query {
    fn default() -> Self {
        Self {
            model: None,
            model_id: None,
            search: None,
            team_id: None,
            user_models_only: None,
            page: 1,
            size: 50,
        }
    }
}

fn truthy(flag: Option<&str>) -> bool {
    flag.is_some_and(|text| matches!(text.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// The caller and the account's deployments.
pub(super) async fn load(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Caller, Arc<AccountModels>), ApiError> {
    let caller = authenticate(state, headers, None).await?;
    let models = state
        .models()
        .get(state.db(), caller.account)
        .await
        .map_err(ApiError::internal)?;
    Ok((caller, models))
}

/// False for another team's model: a team's model is shown to its team
/// and the account's admins only.
pub(super) fn team_sees(caller: &Caller, deployment: &Deployment) -> bool {
    let (Some(team), Some(key)) = (deployment.team_id(), &caller.key) else {
        return true;
    };
    matches!(
        key.owner_role.as_deref(),
        Some("proxy_admin" | "proxy_admin_viewer")
    ) || key.team_id.as_deref() == Some(team)
}

/// True when the caller may see `deployment` and use its group.
pub(super) fn may_see(caller: &Caller, deployment: &Deployment, models: &AccountModels) -> bool {
    team_sees(caller, deployment) && allows(caller, &deployment.model_name, models)
}

/// The name rows record as `created_by` for this caller.
fn label(caller: &Caller) -> String {
    match &caller.key {
        None => "master_key".to_owned(),
        Some(key) => key.user_id.clone().unwrap_or_else(|| key.token.clone()),
    }
}

async fn meta(
    state: &AppState,
    account: AccountId,
    chosen: &[&Deployment],
) -> Result<HashMap<String, Value>, ApiError> {
    let ids: Vec<String> = chosen
        .iter()
        .filter(|d| !d.platform)
        .map(|d| d.id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let tx = state.db().tenant(account).await?;
    let rows = tx.query(META_SQL, &[&account.uuid(), &ids]).await?;
    tx.commit().await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

fn entry(deployment: &Deployment, meta: Option<&Value>) -> Value {
    let mut info = describe::model_info(deployment);
    if let Some(Value::Object(meta)) = meta {
        for (name, value) in meta {
            info.insert(name.clone(), value.clone());
        }
    }
    json!({
        "model_name": deployment.model_name,
        "litellm_params": secrets::strip(&deployment.params),
        "model_info": info,
    })
}

async fn list(state: &AppState, headers: &HeaderMap, query: InfoQuery) -> Result<Value, ApiError> {
    let (caller, models) = load(state, headers).await?;
    let mut chosen: Vec<&Deployment> = models
        .deployments
        .iter()
        .filter(|d| may_see(&caller, d, &models))
        .collect();
    if let Some(id) = &query.litellm_model_id {
        chosen.retain(|d| &d.id == id);
        if chosen.is_empty() {
            return Err(rows::not_found("Model", id));
        }
    }
    let meta = meta(state, caller.account, &chosen).await?;
    let data: Vec<Value> = chosen.iter().map(|d| entry(d, meta.get(&d.id))).collect();
    Ok(json!({"data": data}))
}

/// The deployments the calling key may use.
#[utoipa::path(get, path = "/model/info", tag = "models", params(InfoQuery),
    responses((status = 200, description = "`{\"data\": [{model_name, litellm_params, model_info}]}`")))]
pub async fn model_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    list(&state, &headers, query).await.map(Json)
}

/// The same as `/model/info`.
#[utoipa::path(get, path = "/v1/model/info", tag = "models", params(InfoQuery),
    responses((status = 200, description = "`{\"data\": [{model_name, litellm_params, model_info}]}`")))]
pub async fn model_info_v1(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    list(&state, &headers, query).await.map(Json)
}

/// The deployments the calling key may use, filtered and paged.
#[utoipa::path(get, path = "/v2/model/info", tag = "models", params(InfoV2Query),
    responses((status = 200, description = "`{data, total_count, current_page, total_pages, size}`")))]
pub async fn model_info_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<InfoV2Query>,
) -> Result<Json<Value>, ApiError> {
    let (caller, models) = load(&state, &headers).await?;
    let search = query.search.as_deref().map(str::to_lowercase);
    let mut chosen: Vec<&Deployment> = models
        .deployments
        .iter()
        .filter(|d| may_see(&caller, d, &models))
        .filter(|d| query.model.as_ref().is_none_or(|m| &d.model_name == m))
        .filter(|d| query.model_id.as_ref().is_none_or(|id| &d.id == id))
        .filter(|d| {
            search
                .as_ref()
                .is_none_or(|s| d.model_name.to_lowercase().contains(s))
        })
        .filter(|d| {
            query
                .team_id
                .as_deref()
                .is_none_or(|team| d.team_id() == Some(team))
        })
        .collect();
    let meta = meta(&state, caller.account, &chosen).await?;
    if truthy(query.user_models_only.as_deref()) {
        let me = label(&caller);
        chosen.retain(|d| {
            meta.get(&d.id)
                .and_then(|m| m.get("created_by"))
                .and_then(Value::as_str)
                == Some(me.as_str())
        });
    }
    let page = PageQuery {
        page: query.page,
        size: query.size,
    }
    .clamped();
    let total = i64::try_from(chosen.len()).unwrap_or(i64::MAX);
    let data: Vec<Value> = chosen
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .map(|d| entry(d, meta.get(&d.id)))
        .collect();
    let info = PageInfo::of(page, total);
    Ok(Json(json!({
        "data": data,
        "total_count": info.total_count,
        "current_page": info.current_page,
        "total_pages": info.total_pages,
        "size": page.size,
    })))
}
