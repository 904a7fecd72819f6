//! The settings sections of a LiteLLM config, each key sorted into what the
//! gateway applies, what it keeps for reference, and what does not apply.

use serde_json::{Map, Value};

use crate::db::{DbError, TenantTx};

/// What became of one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// In force for the account.
    Applied,
    /// Stored in `LiteLLM_Config` for reference; the gateway does not act on it.
    Stored,
    /// Not applied, and why.
    NotApplied(String),
}

/// The sections as read from the file.
pub struct Sections {
    pub router: Map<String, Value>,
    pub litellm: Map<String, Value>,
    pub general: Map<String, Value>,
    pub environment: Map<String, Value>,
    pub other: Map<String, Value>,
}

/// `litellm_settings` keys that are router settings in the gateway
/// (`request_timeout` is the router's `timeout`).
const ROUTING_KEYS: [(&str, &str); 9] = [
    ("num_retries", "num_retries"),
    ("request_timeout", "timeout"),
    ("fallbacks", "fallbacks"),
    ("context_window_fallbacks", "context_window_fallbacks"),
    ("content_policy_fallbacks", "content_policy_fallbacks"),
    ("default_fallbacks", "default_fallbacks"),
    ("allowed_fails", "allowed_fails"),
    ("cooldown_time", "cooldown_time"),
    ("max_fallbacks", "max_fallbacks"),
];

/// `general_settings` keys the environment decides instead.
const ENVIRONMENT_KEYS: [(&str, &str); 5] = [
    (
        "master_key",
        "set LITELLM_MASTER_KEY (or ALCHEMI_MASTER_KEY)",
    ),
    ("database_url", "set DATABASE_URL"),
    ("store_model_in_db", "models always live in the database"),
    ("alerting", "alerts are stored as notifications"),
    (
        "proxy_budget_rescheduler_min_time",
        "set ALCHEMI_BUDGET_RESET_SECONDS",
    ),
];

const UPSERT_CONFIG_SQL: &str = "
    INSERT INTO \"LiteLLM_Config\" (account_id, param_name, param_value) VALUES ($1, $2, $3)
    ON CONFLICT (account_id, param_name) DO UPDATE
       SET param_value = coalesce(\"LiteLLM_Config\".param_value, '{}'::jsonb) || EXCLUDED.param_value";

/// Writes the settings; returns each key's disposition.
pub async fn apply(
    tx: &TenantTx,
    sections: Sections,
) -> Result<Vec<(String, Disposition)>, DbError> {
    let mut report = Vec::new();
    let mut router = sections.router;
    for key in router.keys() {
        report.push((format!("router_settings.{key}"), Disposition::Applied));
    }
    let mut litellm_rest = Map::new();
    for (key, value) in sections.litellm {
        let routing = ROUTING_KEYS.iter().find(|(name, _)| *name == key);
        if let Some((_, target)) = routing {
            router.entry((*target).to_owned()).or_insert(value);
            report.push((format!("litellm_settings.{key}"), Disposition::Applied));
        } else if key == "max_budget" {
            report.push((
                "litellm_settings.max_budget".into(),
                Disposition::NotApplied(
                    "account budgets are set by the super admin (/account/{id})".into(),
                ),
            ));
        } else {
            report.push((format!("litellm_settings.{key}"), Disposition::Stored));
            litellm_rest.insert(key, value);
        }
    }
    let account = tx.account_id().uuid();
    if !router.is_empty() {
        tx.execute(
            UPSERT_CONFIG_SQL,
            &[&account, &"router_settings", &Value::Object(router)],
        )
        .await?;
    }
    if !litellm_rest.is_empty() {
        tx.execute(
            UPSERT_CONFIG_SQL,
            &[&account, &"litellm_settings", &Value::Object(litellm_rest)],
        )
        .await?;
    }
    let mut general_rest = Map::new();
    for (key, value) in sections.general {
        match ENVIRONMENT_KEYS.iter().find(|(name, _)| *name == key) {
            Some((_, why)) => report.push((
                format!("general_settings.{key}"),
                Disposition::NotApplied((*why).into()),
            )),
            None => {
                report.push((format!("general_settings.{key}"), Disposition::Stored));
                general_rest.insert(key, value);
            }
        }
    }
    if !general_rest.is_empty() {
        tx.execute(
            UPSERT_CONFIG_SQL,
            &[&account, &"general_settings", &Value::Object(general_rest)],
        )
        .await?;
    }
    for key in sections.environment.keys() {
        report.push((
            format!("environment_variables.{key}"),
            Disposition::NotApplied(
                "set it in the gateway's environment; secrets are not copied into the database"
                    .into(),
            ),
        ));
    }
    for key in sections.other.keys() {
        report.push((
            key.clone(),
            Disposition::NotApplied("not a section this gateway reads".into()),
        ));
    }
    Ok(report)
}
