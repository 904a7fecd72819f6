//! The only way into the database. Tenant code gets a [`TenantTx`]: a pooled
//! `alchemi_app` connection inside a transaction whose `app.account_id` is
//! set, so row-level security scopes every statement to one account.
//! Super-admin code gets an [`AdminTx`] from a separate `alchemi_admin` pool.
//! The pools are private to this module: nothing else can get a connection
//! without naming a tenant or taking the admin path.

mod account;
mod doors;
mod tx;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

pub use account::{AccountId, InvalidAccountId};
pub use doors::{Doors, KeyOwner, LoginAccount};
pub use tx::{AdminTx, DbConn, TenantTx};

/// Runs on every connection before it is handed out again: ends whatever a
/// cancelled request left open (its `SET LOCAL` dies with it) and wipes any
/// session state, like deadpool's `Clean` plus the `ROLLBACK`.
const RECYCLE_SQL: &str = "ROLLBACK; CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
     UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES;";

/// A database failure, kept whole for logging; clients only ever see a fixed
/// message for it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("the transaction is already finished")]
    Finished,
    #[error("unexpected row shape: {0}")]
    Decode(String),
}

impl DbError {
    /// The SQLSTATE of a statement error, to map constraint and policy
    /// violations to client errors.
    pub fn code(&self) -> Option<&tokio_postgres::error::SqlState> {
        match self {
            DbError::Query(err) => err.code(),
            DbError::Pool(_) | DbError::Finished | DbError::Decode(_) => None,
        }
    }

    /// The constraint a statement violated, if any.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Query(err) => err.as_db_error().and_then(|db| db.constraint()),
            DbError::Pool(_) | DbError::Finished | DbError::Decode(_) => None,
        }
    }
}

/// Connection settings for the two pools.
#[derive(Clone)]
pub struct DbTargets {
    /// `alchemi_app`: tenant traffic, subject to row-level security.
    pub app: tokio_postgres::Config,
    /// `alchemi_admin`: super-admin work, bypasses row-level security.
    pub admin: tokio_postgres::Config,
}

/// Pool sizes.
#[derive(Debug, Clone, Copy)]
pub struct PoolSizes {
    pub app: usize,
    pub admin: usize,
}

/// Both pools. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    app: Pool,
    admin: Pool,
    targets: DbTargets,
}

impl Db {
    /// Builds the pools; connections are opened lazily.
    pub fn connect(
        targets: DbTargets,
        sizes: PoolSizes,
    ) -> Result<Self, deadpool_postgres::BuildError> {
        Ok(Self {
            app: build_pool(targets.app.clone(), sizes.app)?,
            admin: build_pool(targets.admin.clone(), sizes.admin)?,
            targets,
        })
    }

    /// Pools of their own for a thread with its own async runtime: a
    /// connection is driven by the runtime that opened it, so sharing the
    /// main pools would let one runtime's load stall the other's queries.
    pub fn separate(&self, sizes: PoolSizes) -> Result<Self, deadpool_postgres::BuildError> {
        Self::connect(self.targets.clone(), sizes)
    }

    /// Opens a transaction scoped to `account`.
    pub async fn tenant(&self, account: AccountId) -> Result<TenantTx, DbError> {
        TenantTx::begin(self.app.get().await?, account).await
    }

    /// Opens a super-admin transaction (row-level security bypassed).
    pub async fn admin(&self) -> Result<AdminTx, DbError> {
        AdminTx::begin(self.admin.get().await?).await
    }

    /// The narrow lookups that run before a tenant is known.
    pub fn doors(&self) -> Doors<'_> {
        Doors::new(&self.app)
    }

    /// True when the app pool can run a statement.
    pub async fn ping(&self) -> bool {
        match self.app.get().await {
            Ok(conn) => conn.simple_query("SELECT 1").await.is_ok(),
            Err(_) => false,
        }
    }

    /// Pool occupancy for metrics: (size, available) of the tenant pool.
    pub fn app_pool_status(&self) -> (usize, usize) {
        let status = self.app.status();
        (status.size, status.available)
    }
}

fn build_pool(
    mut config: tokio_postgres::Config,
    size: usize,
) -> Result<Pool, deadpool_postgres::BuildError> {
    config.application_name("alchemi");
    config.connect_timeout(Duration::from_secs(5));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Custom(RECYCLE_SQL.to_owned()),
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
}
