//! The account's own deployments as the console lists them: paged,
//! searchable by name, provider model or base URL, secrets left out (only
//! whether an `api_key` is stored). Platform rows are not the account's to
//! manage and are not listed; asking for one reads as missing.

use serde_json::Value;

use super::public;
use crate::AppState;
use crate::management::Actor;
use crate::management::paging::{PageInfo, PageQuery, read_page};
use crate::management::rows;
use crate::proxy::ApiError;

/// The count of matching deployments (`$1` account, `$2` search or null).
const COUNT_SQL: &str = "
    SELECT count(*) FROM \"LiteLLM_ProxyModelTable\" t
     WHERE t.account_id = $1
       AND ($2::text IS NULL OR strpos(lower(t.model_name), lower($2)) > 0
            OR strpos(lower(coalesce(t.litellm_params->>'model', '')), lower($2)) > 0
            OR strpos(lower(coalesce(t.litellm_params->>'api_base', '')), lower($2)) > 0)";
/// A page of the same deployments, by name.
const PAGE_SQL: &str = "
    SELECT to_jsonb(t.*) || jsonb_build_object('has_api_key', t.litellm_params ? 'api_key')
      FROM \"LiteLLM_ProxyModelTable\" t
     WHERE t.account_id = $1
       AND ($2::text IS NULL OR strpos(lower(t.model_name), lower($2)) > 0
            OR strpos(lower(coalesce(t.litellm_params->>'model', '')), lower($2)) > 0
            OR strpos(lower(coalesce(t.litellm_params->>'api_base', '')), lower($2)) > 0)
     ORDER BY t.model_name, t.created_at, t.model_id LIMIT $3 OFFSET $4";
const ONE_SQL: &str = "
    SELECT to_jsonb(t.*) || jsonb_build_object('has_api_key', t.litellm_params ? 'api_key')
      FROM \"LiteLLM_ProxyModelTable\" t WHERE t.account_id = $1 AND t.model_id = $2";

/// A page of the account's deployments whose name, provider model or base
/// URL contains `search`.
pub(crate) async fn search_models(
    state: &AppState,
    actor: &Actor,
    search: Option<&str>,
    page: PageQuery,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    actor.require_viewer("/model/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let (rows, info) = read_page(
        &tx,
        COUNT_SQL,
        PAGE_SQL,
        &[&actor.account.uuid(), &search],
        page,
    )
    .await?;
    tx.commit().await?;
    Ok((rows.iter().map(public).collect(), info))
}

/// One of the account's deployments, without secrets.
pub(crate) async fn model_row(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Value, ApiError> {
    actor.require_viewer("/model/info")?;
    let tx = state.db().tenant(actor.account).await?;
    let row = tx
        .query_opt(ONE_SQL, &[&actor.account.uuid(), &id])
        .await?
        .map(|row| row.get::<_, Value>(0));
    tx.commit().await?;
    row.map(|row| public(&row))
        .ok_or_else(|| rows::not_found("Model", id))
}
