//! `/account/*`: the super admin's registry of tenant accounts. Everything
//! here runs in an `alchemi_admin` transaction (row-level security
//! bypassed), never on tenant traffic. Accounts are suspended, never
//! deleted: a suspended account's keys stop at the key door, and the row's
//! change notification evicts what the gateway had cached, within a second.
//! Each change is audited inside the affected account.

pub(crate) mod admins;
pub(crate) mod sso;
mod store;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::SuperAdmin;
use super::body::{Body, Query};
use super::paging::{PageInfo, PageQuery};
use super::rows::{self, Field, Kind};
use crate::AppState;
use crate::db::{AccountId, AdminTx};
use crate::proxy::ApiError;
use store::{Audit, TABLE};

/// Fields of an account the super admin sets.
const FIELDS: [Field; 5] = [
    ("account_name", Kind::Text),
    ("account_alias", Kind::Text),
    ("domain", Kind::Text),
    ("max_budget", Kind::Number),
    ("metadata", Kind::Object),
];

const INSERT_SQL: &str = "
    INSERT INTO \"Alchemi_AccountTable\" AS t (account_name, account_alias, domain, max_budget, metadata, created_by)
    SELECT r.account_name, r.account_alias, r.domain, r.max_budget, coalesce(r.metadata, '{}'), $2
      FROM jsonb_populate_record(NULL::\"Alchemi_AccountTable\", $1) r
    RETURNING to_jsonb(t.*)";

const LIST_SQL: &str = "
    SELECT to_jsonb(a.*), count(*) OVER () FROM \"Alchemi_AccountTable\" a
     WHERE a.status <> 'platform'
       AND ($1::text IS NULL OR strpos(lower(a.account_name), lower($1)) > 0
            OR strpos(lower(coalesce(a.account_alias, '')), lower($1)) > 0)
       AND ($2::text IS NULL OR a.status = $2)
     ORDER BY a.created_at, a.account_id
     LIMIT $3 OFFSET $4";

const COUNT_SQL: &str = "
    SELECT count(*) FROM \"Alchemi_AccountTable\" a
     WHERE a.status <> 'platform'
       AND ($1::text IS NULL OR strpos(lower(a.account_name), lower($1)) > 0
            OR strpos(lower(coalesce(a.account_alias, '')), lower($1)) > 0)
       AND ($2::text IS NULL OR a.status = $2)";

const ADMINS_SQL: &str = "
    SELECT coalesce(jsonb_agg(jsonb_build_object('user_email', m.user_email, 'role', m.role,
                                                 'created_at', m.created_at) ORDER BY m.created_at), '[]')
      FROM \"Alchemi_AccountAdminTable\" m WHERE m.account_id = $1";

/// A new account (also the shape of `PUT /account/{id}`, all optional there).
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct AccountRequest {
    account_name: String,
    account_alias: Option<String>,
    /// The email domain whose users sign in to this account (`example.com`).
    domain: Option<String>,
    max_budget: Option<f64>,
    metadata: Option<Value>,
}

/// `?search=&status=&page=&size=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Part of the account's name or alias.
    search: Option<String>,
    /// `active` or `suspended`.
    status: Option<String>,
    page: Option<i64>,
    #[serde(alias = "page_size")]
    size: Option<i64>,
}

/// Checks the fields and brings `domain` to the form logins compare with.
fn checked(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut fields = rows::pick(body, &FIELDS)?;
    if fields.contains_key("account_name") {
        let name = rows::required_text(&fields, "account_name")?;
        fields.insert("account_name".into(), json!(name.trim()));
    }
    if let Some(Value::String(domain)) = fields.get("domain") {
        let domain = domain.trim().trim_start_matches('@').to_lowercase();
        let valid = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_error",
                "invalid request body: domain: expected an email domain such as example.com",
            )
            .with_param("domain"));
        }
        fields.insert("domain".into(), json!(domain));
    }
    if fields.get("metadata").is_some_and(Value::is_null) {
        fields.insert("metadata".into(), json!({}));
    }
    if let Some(budget) = fields.get("max_budget").and_then(Value::as_f64)
        && budget < 0.0
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_error",
            "invalid request body: max_budget: must not be negative",
        )
        .with_param("max_budget"));
    }
    Ok(fields)
}

/// Audits a change of the account's own row, inside the account.
async fn audit_account(
    tx: &AdminTx,
    account: AccountId,
    action: &str,
    object_id: &str,
    before: Option<Value>,
    after: &Value,
) -> Result<(), ApiError> {
    let entry = Audit {
        account,
        action,
        table: TABLE,
        object_id,
        before,
        after: Some(after.clone()),
    };
    Ok(store::audit(tx, entry).await?)
}

/// Create an account.
#[utoipa::path(post, path = "/account/new", tag = "accounts", request_body = AccountRequest,
    responses((status = 200, description = "The stored account row"),
              (status = 400, description = "The name or domain is taken"),
              (status = 403, description = "Not the super admin")))]
async fn create(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    create_account(&state, &body).await.map(Json)
}

/// Creates an account from the request's fields (shared with the console).
pub(crate) async fn create_account(
    state: &AppState,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    rows::required_text(body, "account_name")?;
    let fields = checked(body)?;
    let tx = state.db().admin().await?;
    let row: Value = tx
        .query_one(INSERT_SQL, &[&Value::Object(fields), &store::CHANGED_BY])
        .await?
        .get(0);
    let id = row["account_id"].as_str().unwrap_or_default().to_owned();
    let account = store::parse_id(&id)?;
    audit_account(&tx, account, "created", &id, None, &row).await?;
    tx.commit().await?;
    Ok(row)
}

/// A page of accounts, oldest first; the platform account is never listed.
#[utoipa::path(get, path = "/account/list", tag = "accounts", params(ListQuery),
    responses((status = 200, description = "`{accounts, total_count, current_page, total_pages}`"),
              (status = 403, description = "Not the super admin")))]
async fn list(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = PageQuery {
        page: query.page.unwrap_or(1),
        size: query.size.unwrap_or(PageQuery::default().size),
    };
    let (accounts, info) = list_accounts(&state, query.search, query.status, page).await?;
    Ok(Json(json!({
        "accounts": accounts,
        "total_count": info.total_count,
        "current_page": info.current_page,
        "total_pages": info.total_pages,
    })))
}

/// A page of accounts matching `search` (name or alias) and `status`
/// (shared with the console).
pub(crate) async fn list_accounts(
    state: &AppState,
    search: Option<String>,
    status: Option<String>,
    page: PageQuery,
) -> Result<(Vec<Value>, PageInfo), ApiError> {
    let search = search.filter(|text| !text.trim().is_empty());
    let status = status.filter(|text| !text.is_empty());
    let tx = state.db().admin().await?;
    let rows = tx
        .query(LIST_SQL, &[&search, &status, &page.limit(), &page.offset()])
        .await?;
    let total: i64 = match rows.first() {
        Some(row) => row.get(1),
        None => tx.query_one(COUNT_SQL, &[&search, &status]).await?.get(0),
    };
    tx.commit().await?;
    let accounts: Vec<Value> = rows.iter().map(|row| row.get(0)).collect();
    Ok((accounts, PageInfo::of(page, total)))
}

/// One account, with its administrators.
#[utoipa::path(get, path = "/account/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The account row and `admins`"),
              (status = 404, description = "No such account")))]
async fn info(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    account_info(&state, &id).await.map(Json)
}

/// One account's row with its `admins` (shared with the console).
pub(crate) async fn account_info(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let account = store::parse_id(id)?;
    let tx = state.db().admin().await?;
    let Some(mut row) = store::get(&tx, account).await? else {
        return Err(store::not_found(id));
    };
    let admins: Value = tx.query_one(ADMINS_SQL, &[&account.uuid()]).await?.get(0);
    tx.commit().await?;
    row["admins"] = admins;
    Ok(row)
}

/// Change an account's name, alias, domain, budget or metadata.
#[utoipa::path(put, path = "/account/{id}", tag = "accounts", request_body = AccountRequest,
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The updated account row"),
              (status = 404, description = "No such account")))]
async fn update(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    update_account(&state, &id, &body).await.map(Json)
}

/// Changes an account's fields, auditing a real change (shared with the
/// console).
pub(crate) async fn update_account(
    state: &AppState,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let account = store::parse_id(id)?;
    let changes = checked(body)?;
    let tx = state.db().admin().await?;
    let Some(before) = store::lock(&tx, account).await? else {
        return Err(store::not_found(id));
    };
    let after = store::update(&tx, account, &changes).await?;
    if before != after {
        audit_account(&tx, account, "updated", id, Some(before), &after).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Moves an account to `status`, auditing the change when there is one
/// (shared with the console).
pub(crate) async fn set_status(
    state: &AppState,
    id: &str,
    status: &str,
    action: &str,
) -> Result<Value, ApiError> {
    let account = store::parse_id(id)?;
    let tx = state.db().admin().await?;
    let Some(before) = store::lock(&tx, account).await? else {
        return Err(store::not_found(id));
    };
    if before["status"] == status {
        tx.commit().await?;
        return Ok(before);
    }
    let after = store::set_status(&tx, account, status)
        .await?
        .ok_or_else(|| store::not_found(id))?;
    audit_account(&tx, account, action, id, Some(before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Suspend an account: its keys and sessions stop, its data stays.
#[utoipa::path(delete, path = "/account/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The suspended account row"),
              (status = 404, description = "No such account")))]
async fn suspend(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(&state, &id, "suspended", "blocked")
        .await
        .map(Json)
}

/// Reactivate a suspended account.
#[utoipa::path(post, path = "/account/{id}/reactivate", tag = "accounts",
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The active account row"),
              (status = 404, description = "No such account")))]
async fn reactivate(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(&state, &id, "active", "unblocked")
        .await
        .map(Json)
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(info, update, suspend))
        .routes(routes!(reactivate))
        .routes(routes!(admins::add))
        .routes(routes!(admins::remove))
        .routes(routes!(sso::info, sso::update))
}
