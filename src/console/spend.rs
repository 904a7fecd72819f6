//! Spend logs: the account's calls, newest first, filtered by key, model
//! and date range, and one call's page. Users who do not see the whole
//! account see their own calls.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::page::{AccountConsole, Chrome, PageError, render};
use super::view::{Pager, money, text};
use crate::AppState;
use crate::management::paging::{PageInfo, PageQuery};

/// Calls per page.
const PAGE_SIZE: i64 = 25;

/// The count of matching calls (`$1` account, `$2` key hash or alias or
/// name, `$3` model, `$4`/`$5` first and last day, `$6` own user).
const COUNT_SQL: &str = "
    SELECT count(*) FROM \"LiteLLM_SpendLogs\" s
     WHERE s.account_id = $1
       AND ($2::text IS NULL OR s.api_key = $2 OR s.api_key IN (
            SELECT k.token FROM \"LiteLLM_VerificationToken\" k
             WHERE k.account_id = $1 AND (k.key_alias = $2 OR k.key_name = $2)))
       AND ($3::text IS NULL OR s.model = $3 OR s.model_group = $3)
       AND ($4::date IS NULL OR s.\"startTime\" >= $4::date)
       AND ($5::date IS NULL OR s.\"startTime\" < $5::date + 1)
       AND ($6::text IS NULL OR s.\"user\" = $6)";

/// A page of the same calls, newest first.
const PAGE_SQL: &str = "
    SELECT s.request_id, s.\"startTime\"::text, s.model, s.api_key,
           coalesce(k.key_alias, k.key_name, ''), s.spend, s.total_tokens, coalesce(s.status, '')
      FROM \"LiteLLM_SpendLogs\" s
      LEFT JOIN \"LiteLLM_VerificationToken\" k ON k.account_id = s.account_id AND k.token = s.api_key
     WHERE s.account_id = $1
       AND ($2::text IS NULL OR s.api_key = $2 OR s.api_key IN (
            SELECT t.token FROM \"LiteLLM_VerificationToken\" t
             WHERE t.account_id = $1 AND (t.key_alias = $2 OR t.key_name = $2)))
       AND ($3::text IS NULL OR s.model = $3 OR s.model_group = $3)
       AND ($4::date IS NULL OR s.\"startTime\" >= $4::date)
       AND ($5::date IS NULL OR s.\"startTime\" < $5::date + 1)
       AND ($6::text IS NULL OR s.\"user\" = $6)
     ORDER BY s.\"startTime\" DESC, s.request_id LIMIT $7 OFFSET $8";

const DETAIL_SQL: &str = "
    SELECT to_jsonb(s.*) FROM \"LiteLLM_SpendLogs\" s
     WHERE s.account_id = $1 AND s.request_id = $2 AND ($3::text IS NULL OR s.\"user\" = $3)";

/// One call in the list.
pub struct CallRow {
    pub id: String,
    pub time: String,
    pub model: String,
    pub key: String,
    pub spend: String,
    pub tokens: i32,
    pub status: String,
}

/// `?key=&model=&from=&to=&page=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    key: String,
    model: String,
    from: String,
    to: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/spend/list.html")]
struct SpendPage {
    chrome: Chrome,
    filters: Filters,
    calls: Vec<CallRow>,
    pager: Pager,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

fn day(text: &str, label: &str) -> Result<Option<chrono::NaiveDate>, PageError> {
    match given(text) {
        None => Ok(None),
        Some(text) => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PageError {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                heading: "Not accepted",
                message: format!("{label} must be a date (YYYY-MM-DD)."),
            }),
    }
}

fn own_user(console: &AccountConsole) -> Option<String> {
    if console.actor.sees_everything() {
        None
    } else {
        Some(console.actor.user_id.clone().unwrap_or_default())
    }
}

/// The spend log.
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let page = PageQuery {
        page: filters.page.unwrap_or(1),
        size: PAGE_SIZE,
    }
    .clamped();
    let actor = &console.actor;
    let key = given(&filters.key).map(|key| crate::management::keys::access::token_of(&key));
    let model = given(&filters.model);
    let from = day(&filters.from, "From")?;
    let to = day(&filters.to, "To")?;
    let own = own_user(&console);
    let (limit, offset) = (page.limit(), page.offset());
    let tx = state.db().tenant(actor.account).await?;
    let total: i64 = tx
        .query_one(
            COUNT_SQL,
            &[&actor.account.uuid(), &key, &model, &from, &to, &own],
        )
        .await?
        .get(0);
    let rows = tx
        .query(
            PAGE_SQL,
            &[
                &actor.account.uuid(),
                &key,
                &model,
                &from,
                &to,
                &own,
                &limit,
                &offset,
            ],
        )
        .await?;
    tx.commit().await?;
    let calls = rows
        .iter()
        .map(|row| {
            let hash: String = row.get(3);
            let name: String = row.get(4);
            let status: String = row.get(7);
            CallRow {
                id: row.get(0),
                time: row.get::<_, String>(1).chars().take(19).collect(),
                model: row.get(2),
                key: if name.is_empty() {
                    hash.chars().take(12).collect()
                } else {
                    name
                },
                spend: money(&Value::from(row.get::<_, f64>(5))),
                tokens: row.get(6),
                status: if status.is_empty() {
                    "success".to_owned()
                } else {
                    status
                },
            }
        })
        .collect();
    let pager = Pager::new(
        "/ui/spend",
        &[
            ("key", &filters.key),
            ("model", &filters.model),
            ("from", &filters.from),
            ("to", &filters.to),
        ],
        PageInfo::of(page, total),
    );
    Ok(render(&SpendPage {
        chrome: console.chrome("Spend logs", "/ui/spend"),
        filters,
        calls,
        pager,
    }))
}

/// One field of a call's page.
pub struct Field {
    pub name: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "console/spend/detail.html")]
struct CallPage {
    chrome: Chrome,
    id: String,
    fields: Vec<Field>,
    metadata: String,
    messages: String,
    response: String,
}

/// One call; another account's call is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = &console.actor;
    let own = own_user(&console);
    let tx = state.db().tenant(actor.account).await?;
    let row = tx
        .query_opt(DETAIL_SQL, &[&actor.account.uuid(), &id, &own])
        .await?;
    tx.commit().await?;
    let Some(row) = row else {
        return Err(PageError::not_found());
    };
    let call: Value = row.get(0);
    let fields = [
        ("Time", "startTime"),
        ("Ended", "endTime"),
        ("Call type", "call_type"),
        ("Model", "model"),
        ("Model group", "model_group"),
        ("Provider", "custom_llm_provider"),
        ("API base", "api_base"),
        ("Key (hash)", "api_key"),
        ("User", "user"),
        ("Team", "team_id"),
        ("End user", "end_user"),
        ("Status", "status"),
        ("Prompt tokens", "prompt_tokens"),
        ("Completion tokens", "completion_tokens"),
        ("Total tokens", "total_tokens"),
    ]
    .into_iter()
    .map(|(name, column)| Field {
        name,
        value: text(&call[column]),
    })
    .chain(std::iter::once(Field {
        name: "Spend",
        value: money(&call["spend"]),
    }))
    .collect();
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    Ok(render(&CallPage {
        chrome: console.chrome("Call", "/ui/spend"),
        id,
        fields,
        metadata: pretty(&call["metadata"]),
        messages: pretty(&call["messages"]),
        response: pretty(&call["response"]),
    }))
}
