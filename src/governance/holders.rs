//! The levels a request is governed by beyond its key: the end user it
//! names and the account itself. Both are cached like keys, and evicted by
//! the same change notifications.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use serde::Deserialize;
use serde_json::Value;

use super::{Holder, Limits};
use crate::db::{AccountId, Db, DbError};

const TTL: Duration = Duration::from_secs(60);

const END_USER_SQL: &str = "
    SELECT e.spend, coalesce(e.blocked, false), to_jsonb(b)
      FROM \"LiteLLM_EndUserTable\" e
      LEFT JOIN \"LiteLLM_BudgetTable\" b ON b.account_id = e.account_id AND b.budget_id = e.budget_id
     WHERE e.account_id = $1 AND e.user_id = $2";

const ACCOUNT_SQL: &str = "
    SELECT spend, max_budget, metadata, status = 'active' FROM \"Alchemi_AccountTable\" WHERE account_id = $1";

/// Account-wide limits kept in the account's metadata.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountMetadata {
    rpm_limit: Option<i64>,
    tpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    soft_budget: Option<f64>,
}

/// Cached end users and accounts.
#[derive(Clone)]
pub struct HolderCache {
    end_users: Cache<(AccountId, String), Option<Arc<Holder>>>,
    accounts: Cache<AccountId, Arc<Holder>>,
}

impl Default for HolderCache {
    fn default() -> Self {
        Self::new()
    }
}

impl HolderCache {
    /// Empty caches.
    pub fn new() -> Self {
        Self {
            end_users: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
            accounts: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TTL)
                .build(),
        }
    }

    /// The end user `id` of `account`, if such a row exists.
    pub async fn end_user(
        &self,
        db: &Db,
        account: AccountId,
        id: &str,
    ) -> Result<Option<Arc<Holder>>, Arc<DbError>> {
        self.end_users
            .try_get_with((account, id.to_owned()), async {
                let tx = db.tenant(account).await?;
                let row = tx.query_opt(END_USER_SQL, &[&account.uuid(), &id]).await?;
                tx.commit().await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let budget: Option<Limits> = row
                    .get::<_, Option<Value>>(2)
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|err| DbError::Decode(format!("end user budget: {err}")))?;
                Ok::<_, DbError>(Some(Arc::new(Holder {
                    id: id.to_owned(),
                    spend: row.get(0),
                    limits: budget.unwrap_or_default(),
                    models: Vec::new(),
                    blocked: row.get(1),
                })))
            })
            .await
    }

    /// The account's own budget and limits; `blocked` when the account is
    /// suspended or does not exist.
    pub async fn account(&self, db: &Db, account: AccountId) -> Result<Arc<Holder>, Arc<DbError>> {
        self.accounts
            .try_get_with(account, async {
                let tx = db.tenant(account).await?;
                let row = tx.query_opt(ACCOUNT_SQL, &[&account.uuid()]).await?;
                tx.commit().await?;
                let Some(row) = row else {
                    return Ok(Arc::new(Holder {
                        id: account.to_string(),
                        blocked: true,
                        ..Holder::default()
                    }));
                };
                let metadata: AccountMetadata =
                    serde_json::from_value(row.get::<_, Value>(2)).unwrap_or_default();
                Ok::<_, DbError>(Arc::new(Holder {
                    id: account.to_string(),
                    spend: row.get(0),
                    limits: Limits {
                        max_budget: row.get(1),
                        soft_budget: metadata.soft_budget,
                        rpm_limit: metadata.rpm_limit,
                        tpm_limit: metadata.tpm_limit,
                        max_parallel_requests: metadata.max_parallel_requests,
                        budget_reset_at: None,
                    },
                    models: Vec::new(),
                    blocked: !row.get::<_, bool>(3),
                }))
            })
            .await
    }

    /// Forgets one account's end users and limits.
    pub async fn evict(&self, account: AccountId) {
        self.accounts.invalidate(&account).await;
        let _ = self
            .end_users
            .invalidate_entries_if(move |(owner, _), _| *owner == account);
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.accounts.invalidate_all();
        self.end_users.invalidate_all();
    }
}
