//! The key record: the key row joined with everything its calls are
//! governed by (its budget row, team, owner, team membership and
//! organization), read in a tenant transaction after the door named the
//! account.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::db::{AccountId, DbError, TenantTx};
use crate::governance::{Holder, Limits};

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
    pub aliases: Map<String, Value>,
    pub access_group_ids: Vec<String>,
    pub blocked: bool,
    pub expires: Option<DateTime<Utc>>,
    pub spend: f64,
    /// The key's limits, missing ones taken from its budget row.
    pub limits: Limits,
    /// `{model: {budget_limit, time_period}}`.
    pub model_max_budget: Map<String, Value>,
    /// Spend per model so far.
    pub model_spend: Map<String, Value>,
    pub metadata: Value,
    pub team: Option<TeamRecord>,
    /// The key's user (`user_id`), when the row exists.
    pub owner: Option<Holder>,
    /// That user's `user_role`, for the management API.
    pub owner_role: Option<String>,
    /// The user's membership of the key's team.
    pub membership: Option<Holder>,
    /// The key's organization, else its team's.
    pub organization: Option<Holder>,
}

/// The key's team, when it has one that exists.
#[derive(Debug, Clone)]
pub struct TeamRecord {
    pub team_id: String,
    pub team_alias: Option<String>,
    pub blocked: bool,
    pub models: Vec<String>,
    pub access_group_ids: Vec<String>,
    pub spend: f64,
    pub limits: Limits,
    pub metadata: Value,
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct KeyRow {
    token: String,
    key_name: Option<String>,
    key_alias: Option<String>,
    user_id: Option<String>,
    team_id: Option<String>,
    organization_id: Option<String>,
    models: Vec<String>,
    aliases: Option<Map<String, Value>>,
    access_group_ids: Vec<String>,
    blocked: Option<bool>,
    expires: Option<DateTime<Utc>>,
    spend: f64,
    model_max_budget: Option<Map<String, Value>>,
    model_spend: Option<Map<String, Value>>,
    metadata: Value,
    #[serde(flatten)]
    limits: Limits,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TeamRow {
    team_id: String,
    team_alias: Option<String>,
    blocked: bool,
    models: Vec<String>,
    access_group_ids: Vec<String>,
    spend: f64,
    metadata: Value,
    #[serde(flatten)]
    limits: Limits,
}

/// A user, membership or organization row: the parts budgets need.
#[derive(Deserialize, Default)]
#[serde(default)]
struct HolderRow {
    user_id: Option<String>,
    organization_id: Option<String>,
    user_role: Option<String>,
    spend: Option<f64>,
    models: Vec<String>,
    #[serde(flatten)]
    limits: Limits,
}

impl HolderRow {
    fn into_holder(self, id: String, budget: Option<Limits>) -> Holder {
        Holder {
            id,
            spend: self.spend.unwrap_or(0.0),
            limits: self.limits.or(budget.as_ref()),
            models: self.models,
            blocked: false,
        }
    }
}

const LOAD_SQL: &str = "
    SELECT to_jsonb(k), to_jsonb(kb), to_jsonb(t), to_jsonb(u),
           to_jsonb(m), to_jsonb(mb), to_jsonb(o), to_jsonb(ob)
      FROM \"LiteLLM_VerificationToken\" k
      LEFT JOIN \"LiteLLM_BudgetTable\" kb
             ON kb.account_id = k.account_id AND kb.budget_id = k.budget_id
      LEFT JOIN \"LiteLLM_TeamTable\" t
             ON t.account_id = k.account_id AND t.team_id = k.team_id
      LEFT JOIN \"LiteLLM_UserTable\" u
             ON u.account_id = k.account_id AND u.user_id = k.user_id
      LEFT JOIN \"LiteLLM_TeamMembership\" m
             ON m.account_id = k.account_id AND m.team_id = k.team_id AND m.user_id = k.user_id
      LEFT JOIN \"LiteLLM_BudgetTable\" mb
             ON mb.account_id = m.account_id AND mb.budget_id = m.budget_id
      LEFT JOIN \"LiteLLM_OrganizationTable\" o
             ON o.account_id = k.account_id
            AND o.organization_id = coalesce(k.organization_id, t.organization_id)
      LEFT JOIN \"LiteLLM_BudgetTable\" ob
             ON ob.account_id = o.account_id AND ob.budget_id = o.budget_id
     WHERE k.account_id = $1 AND k.token = $2";

/// One joined row as a struct; `None` when the join found nothing.
fn part<T: DeserializeOwned>(
    row: &tokio_postgres::Row,
    index: usize,
) -> Result<Option<T>, DbError> {
    match row.get::<_, Option<Value>>(index) {
        None => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|err| DbError::Decode(format!("key record part {index}: {err}"))),
    }
}

/// Reads a key of the transaction's account by its hash.
pub async fn load_key(tx: &TenantTx, token: &str) -> Result<Option<KeyRecord>, DbError> {
    let account_id = tx.account_id();
    let Some(row) = tx
        .query_opt(LOAD_SQL, &[&account_id.uuid(), &token])
        .await?
    else {
        return Ok(None);
    };
    let Some(key) = part::<KeyRow>(&row, 0)? else {
        return Ok(None);
    };
    let key_budget = part::<Limits>(&row, 1)?;
    let team = part::<TeamRow>(&row, 2)?.map(|team| TeamRecord {
        team_id: team.team_id,
        team_alias: team.team_alias,
        blocked: team.blocked,
        models: team.models,
        access_group_ids: team.access_group_ids,
        spend: team.spend,
        limits: team.limits,
        metadata: team.metadata,
    });
    let owner_row = part::<HolderRow>(&row, 3)?;
    let owner_role = owner_row.as_ref().and_then(|user| user.user_role.clone());
    let owner = owner_row.and_then(|user| {
        let id = user.user_id.clone()?;
        Some(user.into_holder(id, None))
    });
    let membership_budget = part::<Limits>(&row, 5)?;
    let membership = part::<HolderRow>(&row, 4)?.and_then(|member| {
        let id = format!("{}:{}", key.team_id.as_deref()?, member.user_id.as_deref()?);
        Some(member.into_holder(id, membership_budget))
    });
    let organization_budget = part::<Limits>(&row, 7)?;
    let organization = part::<HolderRow>(&row, 6)?.and_then(|org| {
        let id = org.organization_id.clone()?;
        Some(org.into_holder(id, organization_budget))
    });
    Ok(Some(KeyRecord {
        account_id,
        token: key.token,
        key_name: key.key_name,
        key_alias: key.key_alias,
        user_id: key.user_id,
        team_id: key.team_id,
        organization_id: key.organization_id,
        models: key.models,
        aliases: key.aliases.unwrap_or_default(),
        access_group_ids: key.access_group_ids,
        blocked: key.blocked.unwrap_or(false),
        expires: key.expires,
        spend: key.spend,
        limits: with_temporary_increase(key.limits.or(key_budget.as_ref()), &key.metadata),
        model_max_budget: key.model_max_budget.unwrap_or_default(),
        model_spend: key.model_spend.unwrap_or_default(),
        metadata: key.metadata,
        team,
        owner,
        owner_role,
        membership,
        organization,
    }))
}

/// `/key/update`'s `temp_budget_increase` raises the budget until
/// `temp_budget_expiry`.
fn with_temporary_increase(mut limits: Limits, metadata: &Value) -> Limits {
    let increase = metadata["temp_budget_increase"].as_f64().unwrap_or(0.0);
    let until = metadata["temp_budget_expiry"]
        .as_str()
        .and_then(|text| text.parse::<DateTime<Utc>>().ok());
    if increase > 0.0
        && until.is_some_and(|until| until > Utc::now())
        && let Some(max_budget) = limits.max_budget
    {
        limits.max_budget = Some(max_budget + increase);
    }
    limits
}
