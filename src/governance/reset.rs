//! Budget resets: rows whose `budget_reset_at` has passed get their spend
//! zeroed and their next standardized boundary. Every instance runs the
//! schedule, but a transaction-scoped advisory lock lets exactly one of them
//! do each round; the rest skip it. The clock is a parameter, so tests can
//! move it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Period;
use crate::db::{Db, DbError};

/// Identifies the reset round among advisory locks ("alch" + 1).
pub const RESET_LOCK: i64 = 0x616c_6368_0001;

/// Tables with their own `budget_duration`: table, id column, spend columns.
const OWN_BUDGETS: [(&str, &str, bool); 4] = [
    ("LiteLLM_VerificationToken", "token", true),
    ("LiteLLM_UserTable", "user_id", true),
    ("LiteLLM_TeamTable", "team_id", true),
    ("LiteLLM_BudgetTable", "budget_id", false),
];

/// Spend that follows a shared budget row's period.
const FOLLOWERS: [&str; 4] = [
    "LiteLLM_EndUserTable",
    "LiteLLM_TeamMembership",
    "LiteLLM_OrganizationTable",
    "LiteLLM_OrganizationMembership",
];

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResetReport {
    /// False when another instance held the round.
    pub ran: bool,
    /// Rows whose spend went back to zero.
    pub reset: usize,
    /// Rows that only got their first `budget_reset_at`.
    pub scheduled: usize,
}

/// Runs one reset round as of `now`.
pub async fn reset_due(db: &Db, now: DateTime<Utc>) -> Result<ResetReport, DbError> {
    let tx = db.admin().await?;
    let locked: bool = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RESET_LOCK])
        .await?
        .get(0);
    if !locked {
        tx.rollback().await?;
        return Ok(ResetReport::default());
    }
    let mut report = ResetReport {
        ran: true,
        ..ResetReport::default()
    };
    for (table, id, has_spend) in OWN_BUDGETS {
        let due = tx
            .query(
                &format!(
                    "SELECT account_id, {id}, budget_duration, budget_reset_at IS NOT NULL
                       FROM \"{table}\"
                      WHERE budget_duration IS NOT NULL
                        AND (budget_reset_at IS NULL OR budget_reset_at <= $1)
                      FOR UPDATE SKIP LOCKED"
                ),
                &[&now],
            )
            .await?;
        let (mut accounts, mut ids, mut nexts, mut resets) = (vec![], vec![], vec![], vec![]);
        for row in due {
            let duration: String = row.get(2);
            let Some(period) = Period::parse(&duration) else {
                tracing::warn!(table, duration, "unreadable budget_duration; not reset");
                continue;
            };
            let reset: bool = row.get(3);
            if reset {
                report.reset += 1;
            } else {
                report.scheduled += 1;
            }
            accounts.push(row.get::<_, Uuid>(0));
            ids.push(row.get::<_, String>(1));
            nexts.push(period.next_reset(now));
            resets.push(reset);
        }
        if ids.is_empty() {
            continue;
        }
        let clear = if has_spend {
            ", spend = CASE WHEN x.reset THEN 0 ELSE t.spend END,
               model_spend = CASE WHEN x.reset THEN '{}'::jsonb ELSE t.model_spend END"
        } else {
            ""
        };
        tx.execute(
            &format!(
                "UPDATE \"{table}\" t SET budget_reset_at = x.next {clear}
                   FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bool[])
                        AS x(account_id, id, next, reset)
                  WHERE t.account_id = x.account_id AND t.{id} = x.id"
            ),
            &[&accounts, &ids, &nexts, &resets],
        )
        .await?;
        if !has_spend {
            reset_followers(&tx, &accounts, &ids, &resets).await?;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Zeroes the spend of end users, memberships and organizations whose
/// shared budget row just reset.
async fn reset_followers(
    tx: &crate::db::AdminTx,
    accounts: &[Uuid],
    budget_ids: &[String],
    resets: &[bool],
) -> Result<(), DbError> {
    let (accounts, budget_ids): (Vec<Uuid>, Vec<String>) = accounts
        .iter()
        .zip(budget_ids)
        .zip(resets)
        .filter(|(_, reset)| **reset)
        .map(|((account, id), _)| (*account, id.clone()))
        .unzip();
    if budget_ids.is_empty() {
        return Ok(());
    }
    for table in FOLLOWERS {
        tx.execute(
            &format!(
                "UPDATE \"{table}\" f SET spend = 0
                   FROM unnest($1::uuid[], $2::text[]) AS x(account_id, budget_id)
                  WHERE f.account_id = x.account_id AND f.budget_id = x.budget_id"
            ),
            &[&accounts, &budget_ids],
        )
        .await?;
    }
    Ok(())
}

/// Runs a reset round every `interval` until the process ends.
pub fn spawn_resets(db: Db, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match reset_due(&db, Utc::now()).await {
                Ok(report) if report.reset + report.scheduled > 0 => {
                    tracing::info!(
                        reset = report.reset,
                        scheduled = report.scheduled,
                        "budgets reset"
                    );
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "budget reset round failed"),
            }
        }
    })
}
