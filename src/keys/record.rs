//! The key record: the key row joined with its team, read in a tenant
//! transaction after the door named the account.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{AccountId, DbError, TenantTx};

/// What the proxy needs to know about a virtual key.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub account_id: AccountId,
    /// sha256 hex of the key in force.
    pub token: String,
    pub key_name: Option<String>,
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub organization_id: Option<String>,
    pub models: Vec<String>,
    /// `{"alias": "model"}`.
    pub aliases: serde_json::Map<String, Value>,
    pub blocked: bool,
    pub expires: Option<DateTime<Utc>>,
    pub spend: f64,
    pub max_budget: Option<f64>,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i32>,
    pub metadata: Value,
    pub team: Option<TeamRecord>,
}

/// The key's team, when it has one that exists.
#[derive(Debug, Clone)]
pub struct TeamRecord {
    pub team_id: String,
    pub team_alias: Option<String>,
    pub blocked: bool,
    pub models: Vec<String>,
    pub spend: f64,
    pub max_budget: Option<f64>,
    pub metadata: Value,
}

const LOAD_SQL: &str = "
    SELECT k.token, k.key_name, k.key_alias, k.user_id, k.team_id, k.organization_id,
           k.models, k.aliases, coalesce(k.blocked, false), k.expires, k.spend, k.max_budget,
           k.tpm_limit, k.rpm_limit, k.max_parallel_requests, k.metadata,
           t.team_id, t.team_alias, coalesce(t.blocked, false), t.models, t.spend, t.max_budget, t.metadata
      FROM \"LiteLLM_VerificationToken\" k
      LEFT JOIN \"LiteLLM_TeamTable\" t ON t.account_id = k.account_id AND t.team_id = k.team_id
     WHERE k.account_id = $1 AND k.token = $2";

/// Reads a key of the transaction's account by its hash.
pub async fn load_key(tx: &TenantTx, token: &str) -> Result<Option<KeyRecord>, DbError> {
    let account_id = tx.account_id();
    let Some(row) = tx
        .query_opt(LOAD_SQL, &[&account_id.uuid(), &token])
        .await?
    else {
        return Ok(None);
    };
    let team = row.get::<_, Option<String>>(16).map(|team_id| TeamRecord {
        team_id,
        team_alias: row.get(17),
        blocked: row.get(18),
        models: row.get::<_, Option<Vec<String>>>(19).unwrap_or_default(),
        spend: row.get::<_, Option<f64>>(20).unwrap_or(0.0),
        max_budget: row.get(21),
        metadata: row.get::<_, Option<Value>>(22).unwrap_or(Value::Null),
    });
    let aliases = match row.get::<_, Value>(7) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Ok(Some(KeyRecord {
        account_id,
        token: row.get(0),
        key_name: row.get(1),
        key_alias: row.get(2),
        user_id: row.get(3),
        team_id: row.get(4),
        organization_id: row.get(5),
        models: row.get(6),
        aliases,
        blocked: row.get(8),
        expires: row.get(9),
        spend: row.get(10),
        max_budget: row.get(11),
        tpm_limit: row.get(12),
        rpm_limit: row.get(13),
        max_parallel_requests: row.get(14),
        metadata: row.get(15),
        team,
    }))
}
