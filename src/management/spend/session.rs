//! `GET /spend/logs/session/ui`: every call of one session (the
//! `session_id` the proxy stores on each spend-log row), oldest first and
//! paged, in the shape of LiteLLM's other UI log pages. Internal users see
//! their own calls only; another account's session is simply empty.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::logs::log_page;
use super::query::{self, Scope, Where, invalid};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::Query;
use crate::proxy::ApiError;

/// The largest page (LiteLLM's bound for its log pages).
const MAX_PAGE_ROWS: i64 = 100;

/// `?session_id=&page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionQuery {
    /// The session (required).
    session_id: Option<String>,
    /// From 1.
    page: Option<i64>,
    /// At most 100 (default 50).
    page_size: Option<i64>,
}

/// One session's spend logs, oldest first:
/// `{data, total, page, page_size, total_pages}`.
#[utoipa::path(get, path = "/spend/logs/session/ui", tag = "spend", params(SessionQuery),
    responses((status = 200, description = "A page of the session's LiteLLM_SpendLogs rows"),
              (status = 422, description = "No session_id")))]
pub async fn session_ui(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<SessionQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(session_id) = query.session_id.filter(|id| !id.is_empty()) else {
        return Err(invalid("session_id", "field required"));
    };
    let (page, size) = query::paging(query.page, query.page_size, 50, MAX_PAGE_ROWS)?;
    let mut filter = Where::new(actor.account, "sl.account_id");
    filter.push("sl.session_id = {}", session_id);
    Scope::of(&actor).on_logs(&mut filter, "sl.");
    let order = "sl.\"startTime\", sl.request_id";
    log_page(&state, &actor, filter, order, page, size)
        .await
        .map(Json)
}
