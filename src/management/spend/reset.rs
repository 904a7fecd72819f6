//! `POST /global/spend/reset`: the account admin sets the spend of every
//! key and team of the account back to 0, as LiteLLM does (its spend logs
//! and daily aggregates stay: they are the history). Each reset row is
//! audited in the same transaction, and its `metadata.spend_epoch` moves on
//! so that every instance starts a fresh budget counter for it.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::audit::{self, Entry};
use crate::proxy::ApiError;

/// Zeroes the spend of one table's rows that have some, bumping their
/// epoch; returns each row's id and spend before. `{table}` and `{id}` are
/// fixed names from [`RESETS`], never request text.
const RESET_SQL: &str = "
    WITH old AS (
        SELECT t.{id} AS id, t.spend FROM \"{table}\" t
         WHERE t.account_id = $1 AND t.spend <> 0
         FOR UPDATE)
    UPDATE \"{table}\" t
       SET spend = 0,
           metadata = coalesce(t.metadata, '{}'::jsonb)
                      || jsonb_build_object('spend_epoch', coalesce((t.metadata ->> 'spend_epoch')::bigint, 0) + 1)
      FROM old
     WHERE t.account_id = $1 AND t.{id} = old.id
    RETURNING old.id, old.spend::float8";

/// The tables LiteLLM's reset covers, with their key column.
const RESETS: [(&str, &str); 2] = [
    ("LiteLLM_VerificationToken", "token"),
    ("LiteLLM_TeamTable", "team_id"),
];

/// Resets one table's spend and audits every row it changed.
async fn reset_table(tx: &TenantTx, actor: &Actor, table: &str, id: &str) -> Result<(), ApiError> {
    let sql = RESET_SQL.replace("{table}", table).replace("{id}", id);
    let entries: Vec<Entry> = tx
        .query(&sql, &[&tx.account_id().uuid()])
        .await?
        .iter()
        .map(|row| {
            let spend: f64 = row.get(1);
            (
                row.get(0),
                Some(json!({"spend": spend})),
                Some(json!({"spend": 0.0})),
            )
        })
        .collect();
    audit::record_all(tx, actor, "updated", table, entries).await?;
    Ok(())
}

/// Reset the spend of every key and team of the account to 0; spend logs
/// are kept. The account admin only.
#[utoipa::path(post, path = "/global/spend/reset", tag = "spend",
    responses((status = 200, description = "`{message, status}`"),
              (status = 401, description = "Not the account admin")))]
pub async fn reset(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/global/spend/reset")?;
    let tx = state.db().tenant(actor.account).await?;
    for (table, id) in RESETS {
        reset_table(&tx, &actor, table, id).await?;
    }
    tx.commit().await?;
    Ok(Json(json!({
        "message": "Spend for all API Keys and Teams reset successfully",
        "status": "success",
    })))
}
