//! Transactions that own their pooled connection. `BEGIN` and the tenant's
//! `SET LOCAL` go out in one round trip; a transaction dropped without
//! `commit` is rolled back when the pool recycles the connection.

use std::ops::Deref;

use deadpool_postgres::Object;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{AccountId, DbError};

/// Statement parameters, as tokio-postgres takes them.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection inside a transaction. Statements are prepared once per
/// connection and cached.
pub struct DbConn {
    client: Object,
}

impl DbConn {
    /// Runs a statement and returns its rows.
    pub async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, DbError> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.query(&statement, params).await?)
    }

    /// Runs a statement that returns exactly one row.
    pub async fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row, DbError> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.query_one(&statement, params).await?)
    }

    /// Runs a statement that returns at most one row.
    pub async fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, DbError> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.query_opt(&statement, params).await?)
    }

    /// Runs a statement and returns the number of rows it touched.
    pub async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, DbError> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.execute(&statement, params).await?)
    }

    async fn finish(self, statement: &str) -> Result<(), DbError> {
        self.client.batch_execute(statement).await?;
        Ok(())
    }
}

/// A transaction of `alchemi_app` scoped to one account by row-level security.
pub struct TenantTx {
    conn: DbConn,
    account: AccountId,
}

impl TenantTx {
    pub(super) async fn begin(client: Object, account: AccountId) -> Result<Self, DbError> {
        // The literal comes from a parsed UUID, never from request text. `SET
        // LOCAL` (not `set_config`) because Citus forwards it to its workers.
        let begin = format!("BEGIN; SET LOCAL app.account_id = '{account}'");
        client.batch_execute(&begin).await?;
        Ok(Self {
            conn: DbConn { client },
            account,
        })
    }

    /// The account every statement of this transaction is scoped to.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), DbError> {
        self.conn.finish("COMMIT").await
    }

    /// Discards the transaction's writes now rather than at recycling.
    pub async fn rollback(self) -> Result<(), DbError> {
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
        client.batch_execute("BEGIN").await?;
        Ok(Self {
            conn: DbConn { client },
        })
    }

    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), DbError> {
        self.conn.finish("COMMIT").await
    }

    /// Discards the transaction's writes now rather than at recycling.
    pub async fn rollback(self) -> Result<(), DbError> {
        self.conn.finish("ROLLBACK").await
    }
}

impl Deref for AdminTx {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}
