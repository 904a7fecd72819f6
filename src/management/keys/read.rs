//! Reading keys: `/key/info` (one, or the caller's own), `/v2/key/info`,
//! `/key/list` (paged and filtered) and `/key/aliases`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::access::{self, token_of};
use super::fields::{TABLE, public_row};
use crate::AppState;
use crate::management::body::{Body, Query};
use crate::management::paging::{PageInfo, PageQuery};
use crate::management::{Actor, rows};
use crate::proxy::ApiError;

/// `?key=` (the caller's own key when absent).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct InfoQuery {
    key: Option<String>,
}

/// `{"keys": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KeysRequest {
    keys: Vec<String>,
}

/// `/key/list` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListQuery {
    pub page: Option<i64>,
    #[serde(alias = "page_size")]
    pub size: Option<i64>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub organization_id: Option<String>,
    pub key_hash: Option<String>,
    pub key_alias: Option<String>,
    pub return_full_object: Option<bool>,
    /// `created_at` (default), `updated_at`, `spend`, `key_alias`, `expires`.
    pub sort_by: Option<String>,
    /// `desc` (default) or `asc`.
    pub sort_order: Option<String>,
    /// `deleted` lists deleted keys.
    pub status: Option<String>,
    /// Part of the alias or of the abbreviated key (the console's search box;
    /// not a LiteLLM parameter).
    #[serde(skip)]
    #[param(ignore)]
    pub search: Option<String>,
}

/// One key: `{"key": ..., "info": {...}}`.
#[utoipa::path(get, path = "/key/info", tag = "keys", params(InfoQuery),
    responses((status = 200, description = "`{\"key\", \"info\"}`"), (status = 404, description = "No such key")))]
pub async fn info(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(given) = query.key.or_else(|| actor.key_hash.clone()) else {
        return Err(ApiError::bad_request("key: name the key to describe").with_param("key"));
    };
    let info = key_info(&state, &actor, &given).await?;
    Ok(Json(json!({"key": given, "info": info})))
}

/// One key the actor may read, with its budget (shared with the console).
pub(crate) async fn key_info(
    state: &AppState,
    actor: &Actor,
    given: &str,
) -> Result<Value, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    let row = rows::get(&tx, TABLE, &[("token", &token_of(given))]).await?;
    let Some(row) = row else {
        return Err(rows::not_found("Key", given));
    };
    if !access::may_read(&tx, actor, &row).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth_error",
            "key not allowed to access this key's info",
        ));
    }
    let info = with_budget(&tx, row).await?;
    tx.commit().await?;
    Ok(info)
}

/// Several keys: `{"key": [...], "info": [...]}` (those the caller may read).
#[utoipa::path(post, path = "/v2/key/info", tag = "keys", request_body = KeysRequest,
    responses((status = 200, description = "`{\"key\": [...], \"info\": [...]}`")))]
pub async fn info_many(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<KeysRequest>,
) -> Result<Json<Value>, ApiError> {
    if body.keys.len() > 100 {
        return Err(ApiError::bad_request("keys: at most 100 keys per request").with_param("keys"));
    }
    let tx = state.db().tenant(actor.account).await?;
    let (mut keys, mut infos) = (Vec::new(), Vec::new());
    for given in body.keys {
        if let Some(row) = rows::get(&tx, TABLE, &[("token", &token_of(&given))]).await?
            && access::may_read(&tx, &actor, &row).await?
        {
            infos.push(with_budget(&tx, row).await?);
            keys.push(given);
        }
    }
    tx.commit().await?;
    Ok(Json(json!({"key": keys, "info": infos})))
}

async fn with_budget(tx: &crate::db::TenantTx, row: Value) -> Result<Value, ApiError> {
    let budget = super::write::budget_table(tx, &row).await?;
    let mut info = public_row(row);
    info["litellm_budget_table"] = budget;
    Ok(info)
}

const SORTABLE: [&str; 5] = ["created_at", "updated_at", "spend", "key_alias", "expires"];

/// A page of keys: hashes, or whole rows with `return_full_object=true`.
#[utoipa::path(get, path = "/key/list", tag = "keys", params(ListQuery),
    responses((status = 200, description = "`{keys, total_count, current_page, total_pages}`")))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    list_keys(&state, &actor, query).await.map(Json)
}

/// A page of the keys the actor may see (shared with the console).
pub(crate) async fn list_keys(
    state: &AppState,
    actor: &Actor,
    query: ListQuery,
) -> Result<Value, ApiError> {
    let page = PageQuery {
        page: query.page.unwrap_or(1),
        size: query.size.unwrap_or(10),
    }
    .clamped();
    let mut user_id = query.user_id.clone();
    if !actor.sees_everything() {
        let Some(own) = actor.user_id.clone() else {
            return Err(actor
                .require_viewer("/key/list")
                .err()
                .unwrap_or_else(|| ApiError::bad_request("not allowed")));
        };
        if user_id.as_ref().is_some_and(|asked| *asked != own) {
            actor.require_viewer("/key/list")?;
        }
        user_id = Some(own);
    }
    let sort = query.sort_by.as_deref().unwrap_or("created_at");
    if !SORTABLE.contains(&sort) {
        return Err(
            ApiError::bad_request(format!("sort_by: one of {SORTABLE:?}")).with_param("sort_by"),
        );
    }
    let order = match query.sort_order.as_deref() {
        None | Some("desc") => "DESC",
        Some("asc") => "ASC",
        Some(_) => {
            return Err(ApiError::bad_request("sort_order: asc or desc").with_param("sort_order"));
        }
    };
    let table = if query.status.as_deref() == Some("deleted") {
        "LiteLLM_DeletedVerificationToken"
    } else {
        TABLE
    };
    let filters = "k.account_id = $1
        AND ($2::text IS NULL OR k.user_id = $2)
        AND ($3::text IS NULL OR k.team_id = $3)
        AND ($4::text IS NULL OR k.organization_id = $4)
        AND ($5::text IS NULL OR k.token = $5)
        AND ($6::text IS NULL OR k.key_alias = $6)
        AND ($7::text IS NULL OR strpos(lower(coalesce(k.key_alias, '')), lower($7)) > 0
             OR strpos(lower(coalesce(k.key_name, '')), lower($7)) > 0)";
    let key_hash = query.key_hash.as_deref().map(token_of);
    let search = query.search.filter(|text| !text.trim().is_empty());
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &actor.account.uuid(),
        &user_id,
        &query.team_id,
        &query.organization_id,
        &key_hash,
        &query.key_alias,
        &search,
    ];
    let tx = state.db().tenant(actor.account).await?;
    let total: i64 = tx
        .query_one(
            &format!("SELECT count(*) FROM \"{table}\" k WHERE {filters}"),
            &params,
        )
        .await?
        .get(0);
    // The page is picked from the index first (a deep page must not read
    // every row before it); only its rows are read whole and made JSON.
    let id = if table == TABLE { "token" } else { "id" };
    let sql = format!(
        "SELECT to_jsonb(k.*) FROM (
             SELECT k.{id}, k.{sort} FROM \"{table}\" k WHERE {filters}
              ORDER BY k.{sort} {order} NULLS LAST, k.{id} LIMIT {} OFFSET {}) p
           JOIN \"{table}\" k ON k.account_id = $1 AND k.{id} = p.{id}
          ORDER BY p.{sort} {order} NULLS LAST, p.{id}",
        page.limit(),
        page.offset()
    );
    let found = tx.query(&sql, &params).await?;
    tx.commit().await?;
    let full = query.return_full_object.unwrap_or(false);
    let keys: Vec<Value> = found
        .into_iter()
        .map(|row| {
            let row: Value = row.get(0);
            if full {
                public_row(row)
            } else {
                row["token"].clone()
            }
        })
        .collect();
    let info = PageInfo::of(page, total);
    Ok(json!({
        "keys": keys,
        "total_count": info.total_count,
        "current_page": info.current_page,
        "total_pages": info.total_pages,
    }))
}

/// The account's key aliases (at most 1000).
#[utoipa::path(get, path = "/key/aliases", tag = "keys",
    responses((status = 200, description = "`{\"aliases\": [...]}`")))]
pub async fn aliases(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_viewer("/key/aliases")?;
    let tx = state.db().tenant(actor.account).await?;
    let rows = tx
        .query(
            "SELECT DISTINCT key_alias FROM \"LiteLLM_VerificationToken\"
              WHERE account_id = $1 AND key_alias IS NOT NULL ORDER BY key_alias LIMIT 1000",
            &[&actor.account.uuid()],
        )
        .await?;
    tx.commit().await?;
    let aliases: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    Ok(Json(json!({"aliases": aliases})))
}
