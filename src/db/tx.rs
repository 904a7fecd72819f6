//! Transactions that own their pooled connection. `BEGIN` and the tenant's
//! `SET LOCAL` go out in one round trip. A transaction dropped without
//! `commit` (a handler error, a client that went away) is rolled back right
//! away by a background task, cancelling any statement still running, so it
//! never holds locks while its connection idles in the pool.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::{AccountId, DbError};

/// Statement parameters, as tokio-postgres takes them.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection inside a transaction. Statements are prepared once per
/// connection and cached.
pub struct DbConn {
    client: Option<Object>,
    /// Set while a statement is awaited; still set on drop means the caller
    /// was cancelled mid-statement.
    in_flight: AtomicBool,
    finished: bool,
}

impl DbConn {
    fn new(client: Object) -> Self {
        Self {
            client: Some(client),
            in_flight: AtomicBool::new(false),
            finished: false,
        }
    }

    fn client(&self) -> Result<&Object, DbError> {
        self.client.as_ref().ok_or(DbError::Finished)
    }

    async fn tracked<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        self.in_flight.store(true, Ordering::Release);
        let result = work.await;
        self.in_flight.store(false, Ordering::Release);
        Ok(result?)
    }

    /// Runs a statement and returns its rows.
    pub async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, DbError> {
        let client = self.client()?;
        self.tracked(async {
            client
                .query(&client.prepare_cached(sql).await?, params)
                .await
        })
        .await
    }

    /// Runs a statement that returns exactly one row.
    pub async fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row, DbError> {
        let client = self.client()?;
        self.tracked(async {
            client
                .query_one(&client.prepare_cached(sql).await?, params)
                .await
        })
        .await
    }

    /// Runs a statement that returns at most one row.
    pub async fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, DbError> {
        let client = self.client()?;
        self.tracked(async {
            client
                .query_opt(&client.prepare_cached(sql).await?, params)
                .await
        })
        .await
    }

    /// Runs a statement and returns the number of rows it touched.
    pub async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, DbError> {
        let client = self.client()?;
        self.tracked(async {
            client
                .execute(&client.prepare_cached(sql).await?, params)
                .await
        })
        .await
    }

    async fn finish(&mut self, statement: &str) -> Result<(), DbError> {
        let client = self.client()?;
        self.tracked(client.batch_execute(statement)).await?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for DbConn {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (Some(client), Ok(runtime)) =
            (self.client.take(), tokio::runtime::Handle::try_current())
        else {
            // Without a runtime the pool's recycling statement rolls back instead.
            return;
        };
        let interrupted = self.in_flight.load(Ordering::Acquire);
        runtime.spawn(async move {
            if interrupted {
                let _ = client.cancel_token().cancel_query(NoTls).await;
            }
            if client.batch_execute("ROLLBACK").await.is_err() {
                // Unknown state: keep the connection out of the pool.
                let _ = Object::take(client);
            }
        });
    }
}

/// A transaction of `alchemi_app` scoped to one account by row-level security.
pub struct TenantTx {
    conn: DbConn,
    account: AccountId,
}

impl TenantTx {
    pub(super) async fn begin(client: Object, account: AccountId) -> Result<Self, DbError> {
        let mut conn = DbConn::new(client);
        // The literal comes from a parsed UUID, never from request text. `SET
        // LOCAL` (not `set_config`) because Citus forwards it to its workers.
        let begin = format!("BEGIN; SET LOCAL app.account_id = '{account}'");
        conn.finish(&begin).await?;
        conn.finished = false;
        Ok(Self { conn, account })
    }

    /// The account every statement of this transaction is scoped to.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Makes the transaction's writes durable.
    pub async fn commit(mut self) -> Result<(), DbError> {
        self.conn.finish("COMMIT").await
    }

    /// Discards the transaction's writes now.
    pub async fn rollback(mut self) -> Result<(), DbError> {
        self.conn.finish("ROLLBACK").await
    }
}

impl Deref for TenantTx {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

/// A transaction of `alchemi_admin`, which bypasses row-level security: for
/// super-admin handlers and platform jobs only.
pub struct AdminTx {
    conn: DbConn,
}

impl AdminTx {
    pub(super) async fn begin(client: Object) -> Result<Self, DbError> {
        let mut conn = DbConn::new(client);
        conn.finish("BEGIN").await?;
        conn.finished = false;
        Ok(Self { conn })
    }

    /// Makes the transaction's writes durable.
    pub async fn commit(mut self) -> Result<(), DbError> {
        self.conn.finish("COMMIT").await
    }

    /// Discards the transaction's writes now.
    pub async fn rollback(mut self) -> Result<(), DbError> {
        self.conn.finish("ROLLBACK").await
    }
}

impl Deref for AdminTx {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}
