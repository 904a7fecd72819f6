//! The audited write every family repeats: change one row, then write its
//! audit row in the same tenant transaction so that both commit or neither
//! does. Nothing here commits: the handler does, once any other work of
//! the same change is done.

use serde_json::{Map, Value};

use super::Actor;
use super::audit::{self, Change};
use super::rows;
use crate::db::TenantTx;
use crate::proxy::ApiError;

/// One audit row in one call, for the many small changes that are not a
/// plain [`Table`] write (memberships, copies, cleanups).
pub async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    table: &str,
    object_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            table,
            object_id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// A table written through one key column, so that the write and its audit
/// row cannot drift apart from one family to the next.
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// The key column; its value is the audit row's `object_id`.
    pub key: &'static str,
    /// The row as the audit log keeps it: families whose rows hold sealed
    /// secrets of their own redact them here.
    pub audit_view: fn(&Value) -> Value,
}

/// The row as stored, for tables without secrets of their own (the audit
/// log still redacts the usual secret fields).
pub fn as_stored(row: &Value) -> Value {
    row.clone()
}

impl Table {
    /// A table whose rows enter the audit log as stored.
    pub const fn plain(name: &'static str, key: &'static str) -> Self {
        Self {
            name,
            key,
            audit_view: as_stored,
        }
    }

    /// Inserts `row` and records its creation; returns the stored row.
    pub async fn create(
        &self,
        tx: &TenantTx,
        actor: &Actor,
        row: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let stored = rows::insert(tx, self.name, row).await?;
        let id = stored[self.key].as_str().unwrap_or_default().to_owned();
        let after = (self.audit_view)(&stored);
        record(tx, actor, "created", self.name, &id, None, Some(after)).await?;
        Ok(stored)
    }

    /// Applies `changes` to row `id` and records them; returns the row
    /// after the change, or `None` when the account has no such row.
    pub async fn update(
        &self,
        tx: &TenantTx,
        actor: &Actor,
        id: &str,
        changes: Map<String, Value>,
    ) -> Result<Option<Value>, ApiError> {
        self.change(tx, actor, "updated", id, changes).await
    }

    /// [`Table::update`] recorded under another action (`blocked`,
    /// `unblocked`...).
    pub async fn change(
        &self,
        tx: &TenantTx,
        actor: &Actor,
        action: &str,
        id: &str,
        changes: Map<String, Value>,
    ) -> Result<Option<Value>, ApiError> {
        let Some((before, after)) = rows::update(tx, self.name, &[(self.key, id)], changes).await?
        else {
            return Ok(None);
        };
        let views = ((self.audit_view)(&before), (self.audit_view)(&after));
        record(
            tx,
            actor,
            action,
            self.name,
            id,
            Some(views.0),
            Some(views.1),
        )
        .await?;
        Ok(Some(after))
    }

    /// Deletes row `id` and records it; returns the deleted row, or `None`
    /// when the account has no such row.
    pub async fn delete(
        &self,
        tx: &TenantTx,
        actor: &Actor,
        id: &str,
    ) -> Result<Option<Value>, ApiError> {
        let Some(deleted) = rows::delete(tx, self.name, &[(self.key, id)]).await? else {
            return Ok(None);
        };
        let before = (self.audit_view)(&deleted);
        record(tx, actor, "deleted", self.name, id, Some(before), None).await?;
        Ok(Some(deleted))
    }
}
