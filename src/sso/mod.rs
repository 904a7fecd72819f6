//! Per-account single sign-on with OpenID Connect: the settings an account
//! keeps (`settings`), the conversation with its provider (`provider`), the
//! sign-in in flight between start and callback (`flow`), and the user a
//! verified identity becomes in that account (`signin`). The console's
//! handlers (`console::sso`) only wire these together; the super admin's
//! edits of the settings live with the accounts (`management::accounts`).

pub mod flow;
pub mod provider;
pub mod settings;
pub mod signin;

use serde_json::Value;

pub use provider::{Identity, Providers};
pub use settings::SsoSettings;

use crate::crypto::CryptoError;
use crate::db::{AccountId, DbError, TenantTx};

/// An account's SSO row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoConfig {
    pub enabled: bool,
    pub settings: SsoSettings,
}

const CONFIG_SQL: &str = "
    SELECT enabled, sso_settings FROM \"Alchemi_AccountSSOConfig\" WHERE account_id = $1";

impl SsoConfig {
    /// Reads the stored row's columns; settings that do not parse count as
    /// none (and so as not usable).
    pub fn of(enabled: bool, settings: Value) -> Self {
        Self {
            enabled,
            settings: serde_json::from_value(settings).unwrap_or_default(),
        }
    }

    /// True when sign-ins can go to the provider.
    pub fn usable(&self) -> bool {
        self.enabled && !self.settings.issuer.is_empty() && !self.settings.client_id.is_empty()
    }
}

/// The account's own SSO settings, read in its tenant transaction (the
/// table is readable by its account, written only by the super admin).
pub async fn config(tx: &TenantTx) -> Result<Option<SsoConfig>, DbError> {
    let row = tx.query_opt(CONFIG_SQL, &[&tx.account_id().uuid()]).await?;
    Ok(row.map(|row| SsoConfig::of(row.get(0), row.get(1))))
}

/// Why a sign-in through SSO did not complete. Each has a readable
/// explanation for the person signing in; provider details go to the log.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not set up for this account")]
    NotConfigured,
    #[error("the sign-in expired or was started in another browser")]
    Expired,
    #[error("the provider's answer does not belong to this sign-in")]
    StateMismatch,
    #[error("the provider refused the sign-in: {0}")]
    Refused(String),
    #[error("provider call failed: {0}")]
    Provider(String),
    #[error("the ID token was not accepted: {0}")]
    Token(String),
    #[error("the provider did not give a verified email address")]
    NoVerifiedEmail,
    #[error("this email may not sign in to this account")]
    NotAdmitted,
    #[error("there is no user for this email in the account")]
    NoUser,
    #[error("this email belongs to another sign-in identity")]
    IdentityConflict,
    #[error("the account is not available")]
    AccountUnavailable,
    #[error("stored client secret: {0}")]
    Secret(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl SsoError {
    /// True for failures on our side or the provider's (not the person's).
    pub fn is_server_side(&self) -> bool {
        matches!(self, Self::Provider(_) | Self::Secret(_) | Self::Db(_))
    }
}

/// The account of a flow, for readability at call sites.
pub fn account_of(flow: &flow::Flow) -> Result<AccountId, SsoError> {
    flow.account().ok_or(SsoError::Expired)
}
