//! An account's administrators: an `Alchemi_AccountAdminTable` entry by
//! email, plus the account's `LiteLLM_UserTable` row for that email as
//! `proxy_admin`, where an optional password (argon2) lets them sign in
//! without SSO. Removing an administrator takes the role and the password
//! away again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::store::{self, Audit};
use crate::AppState;
use crate::management::SuperAdmin;
use crate::management::body::Body;
use crate::proxy::ApiError;

const ADMIN_TABLE: &str = "Alchemi_AccountAdminTable";
const USER_TABLE: &str = "LiteLLM_UserTable";

/// Shortest password accepted for an administrator.
const MIN_PASSWORD: usize = 8;

const INSERT_ADMIN_SQL: &str = "
    INSERT INTO \"Alchemi_AccountAdminTable\" AS m (account_id, user_email, created_by)
    VALUES ($1, $2, $3) RETURNING to_jsonb(m.*)";

const FIND_USER_SQL: &str = "
    SELECT to_jsonb(u.*) FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND lower(u.user_email) = lower($2)
     ORDER BY u.created_at LIMIT 1 FOR UPDATE";

const INSERT_USER_SQL: &str = "
    INSERT INTO \"LiteLLM_UserTable\" AS u (account_id, user_id, user_email, user_role, password)
    VALUES ($1, $2, $3, 'proxy_admin', $4) RETURNING to_jsonb(u.*)";

const PROMOTE_USER_SQL: &str = "
    UPDATE \"LiteLLM_UserTable\" u SET user_role = 'proxy_admin', password = coalesce($3, u.password)
     WHERE u.account_id = $1 AND u.user_id = $2 RETURNING to_jsonb(u.*)";

const DELETE_ADMIN_SQL: &str = "
    DELETE FROM \"Alchemi_AccountAdminTable\" m
     WHERE m.account_id = $1 AND lower(m.user_email) = lower($2) RETURNING to_jsonb(m.*)";

const DEMOTE_USER_SQL: &str = "
    UPDATE \"LiteLLM_UserTable\" u SET user_role = 'internal_user_viewer', password = NULL
     WHERE u.account_id = $1 AND u.user_id = $2 RETURNING to_jsonb(u.*)";

/// `{email, password?}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminRequest {
    pub email: String,
    /// Lets the administrator sign in with a password (else SSO only).
    pub password: Option<String>,
}

fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!("invalid request body: {field}: {problem}"),
    )
    .with_param(field)
}

/// A plausible email address, lowercased.
fn email(text: &str) -> Result<String, ApiError> {
    let email = text.trim().to_lowercase();
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(email)
        }
        _ => Err(invalid("email", "expected an email address")),
    }
}

/// Hashes off the async workers: argon2 is deliberately slow.
async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || crate::secret::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Make `email` an administrator of the account.
#[utoipa::path(post, path = "/account/{id}/admin", tag = "accounts", request_body = AdminRequest,
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The administrator entry, with the `user_id` it signs in as"),
              (status = 400, description = "Already an administrator"),
              (status = 404, description = "No such account")))]
pub async fn add(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
    Body(body): Body<AdminRequest>,
) -> Result<Json<Value>, ApiError> {
    add_admin(&state, &id, body).await.map(Json)
}

/// Makes `body.email` an administrator of account `id` (shared with the
/// console).
pub(crate) async fn add_admin(
    state: &AppState,
    id: &str,
    body: AdminRequest,
) -> Result<Value, ApiError> {
    let account = store::parse_id(id)?;
    let email = email(&body.email)?;
    let password = match body.password {
        Some(password) if password.chars().count() < MIN_PASSWORD => {
            return Err(invalid(
                "password",
                &format!("must have at least {MIN_PASSWORD} characters"),
            ));
        }
        Some(password) => Some(hash(password).await?),
        None => None,
    };
    let tx = state.db().admin().await?;
    if store::lock(&tx, account).await?.is_none() {
        return Err(store::not_found(id));
    }
    let entry: Value = tx
        .query_one(
            INSERT_ADMIN_SQL,
            &[&account.uuid(), &email, &store::CHANGED_BY],
        )
        .await?
        .get(0);
    let entry_id = entry["id"].as_str().unwrap_or_default().to_owned();
    store::audit(
        &tx,
        Audit {
            account,
            action: "created",
            table: ADMIN_TABLE,
            object_id: &entry_id,
            before: None,
            after: Some(entry.clone()),
        },
    )
    .await?;

    let existing: Option<Value> = tx
        .query_opt(FIND_USER_SQL, &[&account.uuid(), &email])
        .await?
        .map(|row| row.get(0));
    let (user, before) = match existing {
        Some(before) => {
            let user_id = before["user_id"].as_str().unwrap_or_default().to_owned();
            let after: Value = tx
                .query_one(PROMOTE_USER_SQL, &[&account.uuid(), &user_id, &password])
                .await?
                .get(0);
            (after, Some(before))
        }
        None => {
            let user_id = uuid::Uuid::new_v4().to_string();
            let user: Value = tx
                .query_one(
                    INSERT_USER_SQL,
                    &[&account.uuid(), &user_id, &email, &password],
                )
                .await?
                .get(0);
            (user, None)
        }
    };
    let user_id = user["user_id"].as_str().unwrap_or_default().to_owned();
    let action = if before.is_some() {
        "updated"
    } else {
        "created"
    };
    store::audit(
        &tx,
        Audit {
            account,
            action,
            table: USER_TABLE,
            object_id: &user_id,
            before,
            after: Some(user),
        },
    )
    .await?;
    tx.commit().await?;

    let mut answer = entry;
    answer["user_id"] = json!(user_id);
    answer["password_set"] = json!(password.is_some());
    Ok(answer)
}

/// Remove an administrator: the entry goes, and the user row loses the
/// admin role and its password.
#[utoipa::path(delete, path = "/account/{id}/admin/{email}", tag = "accounts",
    params(("id" = String, Path, description = "The account id"),
           ("email" = String, Path, description = "The administrator's email")),
    responses((status = 200, description = "The removed administrator entry"),
              (status = 404, description = "No such account or administrator")))]
pub async fn remove(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path((id, email)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    remove_admin(&state, &id, &email).await.map(Json)
}

/// Takes the administrator role (and password) from `email` in account `id`
/// (shared with the console).
pub(crate) async fn remove_admin(
    state: &AppState,
    id: &str,
    email: &str,
) -> Result<Value, ApiError> {
    let account = store::parse_id(id)?;
    let tx = state.db().admin().await?;
    if store::lock(&tx, account).await?.is_none() {
        return Err(store::not_found(id));
    }
    let Some(entry) = tx
        .query_opt(DELETE_ADMIN_SQL, &[&account.uuid(), &email.trim()])
        .await?
        .map(|row| row.get::<_, Value>(0))
    else {
        return Err(crate::management::rows::not_found("Account admin", email));
    };
    let entry_id = entry["id"].as_str().unwrap_or_default().to_owned();
    store::audit(
        &tx,
        Audit {
            account,
            action: "deleted",
            table: ADMIN_TABLE,
            object_id: &entry_id,
            before: Some(entry.clone()),
            after: None,
        },
    )
    .await?;
    let user: Option<Value> = tx
        .query_opt(FIND_USER_SQL, &[&account.uuid(), &email.trim()])
        .await?
        .map(|row| row.get(0));
    if let Some(before) = user.filter(|user| user["user_role"] == "proxy_admin") {
        let user_id = before["user_id"].as_str().unwrap_or_default().to_owned();
        let after: Value = tx
            .query_one(DEMOTE_USER_SQL, &[&account.uuid(), &user_id])
            .await?
            .get(0);
        store::audit(
            &tx,
            Audit {
                account,
                action: "updated",
                table: "LiteLLM_UserTable",
                object_id: &user_id,
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(entry)
}
