//! Keeps the in-memory caches honest: LISTENs for `alchemi_changes` on a
//! connection of its own and evicts what a change touches, on every running
//! instance, within moments of the commit. If the connection drops, changes
//! may have been missed, so the caches are cleared before listening again.

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use tokio_postgres::AsyncMessage;

use crate::db::AccountId;
use crate::governance::HolderCache;
use crate::keys::KeyCache;
use crate::routing::ModelCache;

#[derive(Debug, Deserialize)]
struct Change {
    table: String,
    account_id: Option<uuid::Uuid>,
    #[serde(default)]
    tokens: Vec<String>,
}

/// The caches a change may touch.
#[derive(Clone)]
pub struct Caches {
    pub keys: KeyCache,
    pub models: ModelCache,
    pub holders: HolderCache,
}

impl Caches {
    /// Evicts what one change makes stale.
    pub async fn apply(&self, payload: &str) {
        let change: Change = match serde_json::from_str(payload) {
            Ok(change) => change,
            Err(err) => {
                tracing::warn!(error = %err, "unreadable change notification; clearing caches");
                self.clear();
                return;
            }
        };
        let account = change.account_id.and_then(|id| AccountId::new(id).ok());
        match change.table.as_str() {
            "LiteLLM_VerificationToken" | "LiteLLM_DeprecatedVerificationToken" => {
                for token in &change.tokens {
                    self.keys.evict_token(token);
                }
            }
            "LiteLLM_ProxyModelTable"
            | "LiteLLM_Config"
            | "LiteLLM_CredentialsTable"
            | "LiteLLM_AccessGroupTable" => match account {
                Some(account) => self.models.evict(account).await,
                None => self.models.clear(),
            },
            "Alchemi_AccountTable" => match account {
                Some(account) => {
                    self.keys.evict_account(account);
                    self.models.evict(account).await;
                    self.holders.evict(account).await;
                }
                None => self.clear(),
            },
            _ => match account {
                Some(account) => {
                    self.keys.evict_account(account);
                    self.holders.evict(account).await;
                }
                None => {
                    self.keys.clear();
                    self.holders.clear();
                }
            },
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.keys.clear();
        self.models.clear();
        self.holders.clear();
    }
}

/// Runs the listener until the process ends.
pub fn spawn(config: tokio_postgres::Config, caches: Caches) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(200);
        loop {
            match listen(&config, &caches).await {
                Ok(()) => tracing::warn!("change listener connection ended"),
                Err(err) => tracing::warn!(error = %err, "change listener failed"),
            }
            caches.clear();
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    })
}

async fn listen(
    config: &tokio_postgres::Config,
    caches: &Caches,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if sender.send(notification.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "change listener connection lost");
                    break;
                }
            }
        }
    });
    client.batch_execute("LISTEN alchemi_changes").await?;
    // Anything cached before LISTEN took effect may be stale.
    caches.clear();
    while let Some(payload) = receiver.recv().await {
        caches.apply(&payload).await;
    }
    driver.abort();
    Ok(())
}
