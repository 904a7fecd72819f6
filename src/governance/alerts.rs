//! Soft budgets alert, they do not block: the call that crosses one leaves
//! a notification for the account's admins and a warning in the log.

use crate::db::{AccountId, Db, DbError};

/// A soft budget a call crossed.
#[derive(Debug, Clone)]
pub struct SoftBudgetAlert {
    pub account: AccountId,
    /// Who crossed it, e.g. `team t-1`.
    pub level: String,
    /// The id notified (key hash, team, user...).
    pub recipient: String,
    pub soft_budget: f64,
    pub spend_before: f64,
    pub spend_after: f64,
}

const INSERT_SQL: &str = "
    INSERT INTO \"Alchemi_NotificationTable\" (account_id, recipient_id, type, title, content, metadata)
    VALUES ($1, $2, 'soft_budget_crossed', $3, $4, $5)";

/// Logs and stores the alerts.
pub async fn record_alerts(db: &Db, alerts: Vec<SoftBudgetAlert>) -> Result<(), DbError> {
    for alert in alerts {
        tracing::warn!(
            account = %alert.account,
            level = %alert.level,
            soft_budget = alert.soft_budget,
            spend = alert.spend_after,
            "soft budget crossed"
        );
        let tx = db.tenant(alert.account).await?;
        let title = format!("Soft budget reached: {}", alert.level);
        let content = format!(
            "{} has spent ${:.6}, past its soft budget of ${:.6}.",
            alert.level, alert.spend_after, alert.soft_budget
        );
        let metadata = serde_json::json!({
            "soft_budget": alert.soft_budget,
            "spend": alert.spend_after,
        });
        tx.execute(
            INSERT_SQL,
            &[
                &alert.account.uuid(),
                &alert.recipient,
                &title,
                &content,
                &metadata,
            ],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
