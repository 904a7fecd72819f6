//! `/account/{id}/sso`: an account's OpenID Connect settings, which only the
//! super admin writes (`Alchemi_AccountSSOConfig` is `tenant_readonly`).
//! The client secret is sealed with the server's vault before it is stored
//! and never answered back: readers see whether one is set. Account
//! administrators read their settings in the console through their own
//! tenant transaction; they cannot change them, because the provider
//! decides who may sign in to the account and with which role.

use std::collections::BTreeMap;

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
use crate::sso::settings::{self, Invalid, PROVIDER};
use crate::sso::{SsoConfig, SsoSettings};

const TABLE: &str = "Alchemi_AccountSSOConfig";

const GET_SQL: &str = "
    SELECT enabled, sso_settings, to_jsonb(s.*) FROM \"Alchemi_AccountSSOConfig\" s
     WHERE s.account_id = $1 FOR UPDATE";

const UPSERT_SQL: &str = "
    INSERT INTO \"Alchemi_AccountSSOConfig\" AS s (account_id, sso_provider, sso_settings, enabled)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (account_id) DO UPDATE
       SET sso_provider = excluded.sso_provider, sso_settings = excluded.sso_settings,
           enabled = excluded.enabled, updated_at = now()
    RETURNING to_jsonb(s.*)";

/// The settings the super admin sets. A missing or empty `client_secret`
/// keeps the stored one; `clear_client_secret` removes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SsoRequest {
    pub enabled: bool,
    /// The provider's issuer URL (`https://`; `http://` only on loopback).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub clear_client_secret: bool,
    /// Email domains that may sign in; empty admits any.
    pub allowed_domains: Vec<String>,
    /// Whether a first login creates the user.
    pub allow_signup: bool,
    /// Role of users a first login creates (default `internal_user_viewer`).
    pub default_role: String,
    /// ID-token claim read for the role mapping (`groups`, `role`...).
    pub role_claim: String,
    /// Claim value → `user_role`.
    pub role_map: BTreeMap<String, String>,
}

/// The settings as anyone may see them: the secret only as set or not.
pub fn public_view(config: &SsoConfig) -> Value {
    let settings = &config.settings;
    json!({
        "enabled": config.enabled,
        "sso_provider": PROVIDER,
        "issuer": settings.issuer,
        "client_id": settings.client_id,
        "client_secret_set": settings.client_secret.is_some(),
        "allowed_domains": settings.allowed_domains,
        "allow_signup": settings.allow_signup,
        "default_role": settings.default_role,
        "role_claim": settings.role_claim,
        "role_map": settings.role_map,
    })
}

/// The stored row as the audit log keeps it: the sealed secret redacted.
fn audit_view(mut row: Value) -> Value {
    if let Some(secret) = row.pointer_mut("/sso_settings/client_secret")
        && !secret.is_null()
    {
        *secret = json!("<redacted>");
    }
    row
}

fn refused(invalid: Invalid) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!(
            "invalid request body: {}: {}",
            invalid.field, invalid.message
        ),
    )
    .with_param(invalid.field)
}

/// An account's SSO settings (the client secret only as set or not).
#[utoipa::path(get, path = "/account/{id}/sso", tag = "accounts",
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The settings; `client_secret_set` says whether a secret is stored"),
              (status = 404, description = "No such account")))]
pub async fn info(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    sso_info(&state, &id)
        .await
        .map(|config| Json(public_view(&config)))
}

/// Account `id`'s SSO settings as stored (shared with the console).
pub(crate) async fn sso_info(state: &AppState, id: &str) -> Result<SsoConfig, ApiError> {
    let account = store::parse_id(id)?;
    let tx = state.db().admin().await?;
    if store::get(&tx, account).await?.is_none() {
        return Err(store::not_found(id));
    }
    let row = tx.query_opt(GET_SQL, &[&account.uuid()]).await?;
    tx.commit().await?;
    Ok(row
        .map(|row| SsoConfig::of(row.get(0), row.get(1)))
        .unwrap_or_default())
}

/// Set an account's SSO settings.
#[utoipa::path(put, path = "/account/{id}/sso", tag = "accounts", request_body = SsoRequest,
    params(("id" = String, Path, description = "The account id")),
    responses((status = 200, description = "The settings as stored (secret as set or not)"),
              (status = 404, description = "No such account"),
              (status = 422, description = "A field is not accepted")))]
pub async fn update(
    State(state): State<AppState>,
    _admin: SuperAdmin,
    Path(id): Path<String>,
    Body(body): Body<SsoRequest>,
) -> Result<Json<Value>, ApiError> {
    set_sso(&state, &id, body)
        .await
        .map(|config| Json(public_view(&config)))
}

/// Stores account `id`'s SSO settings, sealing a new client secret, and
/// audits the change in the account (shared with the console).
pub(crate) async fn set_sso(
    state: &AppState,
    id: &str,
    request: SsoRequest,
) -> Result<SsoConfig, ApiError> {
    let account = store::parse_id(id)?;
    let new_secret = request
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|secret| !secret.is_empty());
    let vault = state.upstream().vault();
    let sealed = match new_secret {
        Some(_) if !vault.can_encrypt() => {
            return Err(refused(Invalid {
                field: "client_secret",
                message: "a client secret is stored encrypted: set ALCHEMI_SALT_KEY first"
                    .to_owned(),
            }));
        }
        Some(secret) => Some(vault.encrypt(secret).map_err(ApiError::internal)?),
        None => None,
    };
    let tx = state.db().admin().await?;
    if store::lock(&tx, account).await?.is_none() {
        return Err(store::not_found(id));
    }
    let before = tx.query_opt(GET_SQL, &[&account.uuid()]).await?;
    let stored_secret = before
        .as_ref()
        .map(|row| SsoConfig::of(row.get(0), row.get(1)).settings.client_secret)
        .unwrap_or_default();
    let client_secret = match (sealed, request.clear_client_secret) {
        (Some(sealed), _) => Some(sealed),
        (None, true) => None,
        (None, false) => stored_secret,
    };
    let settings = SsoSettings {
        issuer: request.issuer,
        client_id: request.client_id,
        client_secret,
        allowed_domains: request.allowed_domains,
        allow_signup: request.allow_signup,
        default_role: request.default_role,
        role_claim: request.role_claim,
        role_map: request.role_map,
    }
    .normalized(request.enabled)
    .map_err(refused)?;
    let stored = serde_json::to_value(&settings).map_err(ApiError::internal)?;
    let after: Value = tx
        .query_one(
            UPSERT_SQL,
            &[&account.uuid(), &PROVIDER, &stored, &request.enabled],
        )
        .await?
        .get(0);
    let before = before.map(|row| row.get::<_, Value>(2));
    let action = if before.is_some() {
        "updated"
    } else {
        "created"
    };
    let object_id = after["id"].as_str().unwrap_or_default().to_owned();
    store::audit(
        &tx,
        Audit {
            account,
            action,
            table: TABLE,
            object_id: &object_id,
            before: before.map(audit_view),
            after: Some(audit_view(after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SsoConfig {
        enabled: request.enabled,
        settings,
    })
}

/// The role names a form offers.
pub fn roles() -> Vec<&'static str> {
    settings::role_names()
}
