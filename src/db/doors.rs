//! Calls to the SECURITY DEFINER functions that cross tenants on purpose:
//! finding which account a virtual key or a login email belongs to. Each
//! returns only what
//! that step needs; everything after it runs in a [`super::TenantTx`].

use deadpool_postgres::Pool;

use super::{AccountId, DbError};

/// The door functions, through the tenant pool with no tenant set.
pub struct Doors<'a> {
    pool: &'a Pool,
}

/// Which account owns a key hash, and the hash of the key currently in force
/// (differs from the presented one during a rotation's grace period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub account_id: AccountId,
    pub token: String,
}

const KEY_OWNER_SQL: &str = "SELECT account_id, token FROM alchemi.key_owner($1)";

/// The active account a login email signs in to, and whether it uses SSO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAccount {
    pub account_id: AccountId,
    pub sso_enabled: bool,
}

const LOGIN_ACCOUNT_SQL: &str = "SELECT account_id, sso_enabled FROM alchemi.login_account($1)";

impl<'a> Doors<'a> {
    pub(super) fn new(pool: &'a Pool) -> Self {
        Self { pool }
    }

    /// The account of an active account's key, by the key's sha256 hex.
    pub async fn key_owner(&self, token_hash: &str) -> Result<Option<KeyOwner>, DbError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(KEY_OWNER_SQL).await?;
        let row = client.query_opt(&statement, &[&token_hash]).await?;
        Ok(row.and_then(|row| {
            let account_id = AccountId::new(row.get(0)).ok()?;
            Some(KeyOwner {
                account_id,
                token: row.get(1),
            })
        }))
    }

    /// The one active account an email signs in to (by its domain, then as
    /// an account admin, then as a user); `None` when none or several match.
    pub async fn login_account(&self, email: &str) -> Result<Option<LoginAccount>, DbError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(LOGIN_ACCOUNT_SQL).await?;
        let row = client.query_opt(&statement, &[&email]).await?;
        Ok(row.and_then(|row| {
            Some(LoginAccount {
                account_id: AccountId::new(row.get(0)).ok()?,
                sso_enabled: row.get(1),
            })
        }))
    }
}
