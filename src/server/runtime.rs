//! The running application: state plus the background tasks behind it (the
//! spend writer, the change listener), started together and stopped in
//! order so queued spend is written before the process exits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{AppState, Services, Settings};
use crate::crypto::Vault;
use crate::db::Db;
use crate::governance::{self, Counters, HolderCache};
use crate::invalidation::{self, Caches};
use crate::keys::KeyCache;
use crate::routing::{DeploymentHealth, ModelCache};
use crate::spend::{SpendWriter, Spool};
use crate::upstream::Upstream;

/// What the runtime needs beyond the database.
pub struct RuntimeConfig {
    /// The `alchemi_app` connection settings, for the change listener.
    pub listen: tokio_postgres::Config,
    pub spool_dir: PathBuf,
    pub flush_interval: Duration,
    pub salt_key: Option<String>,
    /// Redis for counters shared by replicas; `None` counts per process.
    pub redis_url: Option<String>,
    /// How often budget resets are looked for.
    pub reset_interval: Duration,
}

/// State and background tasks.
pub struct Runtime {
    pub state: AppState,
    writer: SpendWriter,
    listener: JoinHandle<()>,
    resets: JoinHandle<()>,
}

impl Runtime {
    /// Starts the background tasks and builds the state.
    pub fn start(db: Db, settings: Settings, config: RuntimeConfig) -> anyhow::Result<Self> {
        let spool = Arc::new(Spool::new(config.spool_dir));
        let (writer, spend) = SpendWriter::start(&db, spool, config.flush_interval)?;
        let caches = Caches {
            keys: KeyCache::new(),
            models: ModelCache::new(),
            holders: HolderCache::new(),
        };
        let counters = match &config.redis_url {
            Some(url) => Counters::shared(url)?,
            None => Counters::local(),
        };
        let resets = governance::spawn_resets(db.clone(), config.reset_interval);
        let listener = invalidation::spawn(config.listen, caches.clone());
        let services = Services {
            keys: caches.keys,
            holders: caches.holders,
            counters,
            models: caches.models,
            upstream: Upstream::new(Vault::new(config.salt_key.as_deref()))?,
            health: Arc::new(DeploymentHealth::new()),
            spend,
            logins: crate::session::LoginThrottle::new(),
            sso: crate::sso::Providers::new()?,
        };
        Ok(Self {
            state: AppState::new(db, settings, services),
            writer,
            listener,
            resets,
        })
    }

    /// Drains the spend queue, then stops the listener.
    pub async fn shutdown(self) {
        drop(self.state);
        self.writer.shutdown().await;
        self.listener.abort();
        self.resets.abort();
    }
}
