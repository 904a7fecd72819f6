//! Key hash → key record, in memory. Unknown hashes are cached too (briefly)
//! so a flood of bad keys cannot reach the database; every change to a key,
//! its team or its account evicts the affected entries through
//! `LISTEN/NOTIFY`, and a TTL bounds staleness if a notification is missed.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::KeyRecord;
use crate::db::{AccountId, Db, DbError};

/// How long an entry may live without a notification.
const TTL: Duration = Duration::from_secs(60);

/// The cache of resolved keys.
#[derive(Clone)]
pub struct KeyCache {
    entries: Cache<String, Option<Arc<KeyRecord>>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
        }
    }

    /// Resolves a key hash: cache, else the door then a tenant transaction.
    pub async fn resolve(
        &self,
        db: &Db,
        hash: &str,
    ) -> Result<Option<Arc<KeyRecord>>, Arc<DbError>> {
        self.entries
            .try_get_with(hash.to_owned(), async {
                let Some(owner) = db.doors().key_owner(hash).await? else {
                    return Ok(None);
                };
                let tx = db.tenant(owner.account_id).await?;
                let record = super::load_key(&tx, &owner.token).await?;
                tx.commit().await?;
                Ok::<_, DbError>(record.map(Arc::new))
            })
            .await
    }

    /// Forgets one key hash (and any rotated hash that maps to it).
    pub fn evict_token(&self, token: &str) {
        let token = token.to_owned();
        let _ = self.entries.invalidate_entries_if(move |hash, record| {
            *hash == token || record.as_ref().is_some_and(|record| record.token == token)
        });
    }

    /// Forgets every key of an account, and every unknown-key entry (a new
    /// key may now exist).
    pub fn evict_account(&self, account: AccountId) {
        let _ = self.entries.invalidate_entries_if(move |_, record| {
            record
                .as_ref()
                .is_none_or(|record| record.account_id == account)
        });
    }

    /// Forgets everything (after a missed-notification window).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }
}
