//! An account's deployments (`LiteLLM_ProxyModelTable`: its own rows and the
//! platform's), cached per account and invalidated on change, and the
//! resolution of a requested model name to candidate deployments.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use serde_json::Value;

use super::RouterSettings;
use crate::db::{AccountId, Db, DbError};
use crate::pricing::{PriceTable, cost};
use crate::providers::Provider;
use crate::translate::Usage;

/// One deployment: a model group member with its provider and limits.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `model_info.id`, else the row's `model_id`.
    pub id: String,
    /// The public group name (may be a wildcard pattern such as `openai/*`).
    pub model_name: String,
    pub provider: Provider,
    /// The model the provider is asked for (may contain `*`).
    pub upstream_model: String,
    pub api_base: Option<String>,
    /// Stored form: plain, `enc:v1:...` or `os.environ/NAME`.
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub weight: Option<f64>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub timeout: Option<f64>,
    pub stream_timeout: Option<f64>,
    pub max_retries: Option<u32>,
    /// Every `litellm_params` field, for provider-specific settings and
    /// prices. Shared: a routed call copies its deployment.
    pub params: Arc<Value>,
    /// The deployment's own prices (`input_cost_per_token`...), parsed once.
    pub prices: crate::pricing::PriceOverride,
    pub model_info: Arc<Value>,
    /// True for platform rows shared with every account.
    pub platform: bool,
}

impl Deployment {
    /// Reads a `LiteLLM_ProxyModelTable` row.
    fn from_row(
        model_id: String,
        model_name: String,
        params: Value,
        model_info: Value,
        platform: bool,
    ) -> Option<Self> {
        let model = params.get("model")?.as_str()?;
        let custom = params.get("custom_llm_provider").and_then(Value::as_str);
        let (provider, upstream_model) = Provider::parse(model, custom);
        let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
        let number = |name: &str| {
            params.get(name).and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
        };
        let id = model_info
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or(model_id);
        let prices = serde_json::from_value(params.clone()).unwrap_or_default();
        Some(Self {
            prices,
            id,
            model_name,
            provider,
            upstream_model,
            api_base: text("api_base"),
            api_key: text("api_key"),
            api_version: text("api_version"),
            weight: number("weight"),
            rpm: number("rpm").map(|v| v as u64),
            tpm: number("tpm").map(|v| v as u64),
            timeout: number("timeout"),
            stream_timeout: number("stream_timeout"),
            max_retries: number("max_retries").map(|v| v as u32),
            params: Arc::new(params),
            model_info: Arc::new(model_info),
            platform,
        })
    }

    /// The model to ask the provider for, given the requested name: a
    /// wildcard deployment (`openai/*` → `openai/*`) passes the matched part.
    pub fn upstream_for(&self, requested: &str) -> String {
        if !self.upstream_model.contains('*') {
            return self.upstream_model.clone();
        }
        let (_, requested_tail) = Provider::parse(requested, None);
        let captured = capture(&self.model_name, requested).unwrap_or(requested_tail);
        self.upstream_model.replacen('*', &captured, 1)
    }

    /// Access groups this deployment belongs to (`model_info.access_groups`).
    pub fn access_groups(&self) -> Vec<String> {
        self.model_info
            .get("access_groups")
            .and_then(Value::as_array)
            .map(|groups| {
                groups
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Input plus output price per token, for cost-based routing.
    pub fn unit_price(&self) -> f64 {
        let price = |name: &str| self.params.get(name).and_then(Value::as_f64).unwrap_or(0.0);
        price("input_cost_per_token") + price("output_cost_per_token")
    }

    /// What `usage` costs on this deployment: its own prices over the
    /// built-in table's for `model_info.base_model`, else `upstream_model`.
    pub fn cost_of(&self, upstream_model: &str, usage: &Usage, seconds: f64) -> f64 {
        let base = self
            .model_info
            .get("base_model")
            .and_then(Value::as_str)
            .unwrap_or(upstream_model);
        let price = PriceTable::builtin().lookup(base, Some(&self.provider.name));
        cost(price, &self.prices, usage, seconds)
    }

    /// The team that owns this deployment, if it is team-scoped.
    pub fn team_id(&self) -> Option<&str> {
        self.model_info.get("team_id").and_then(Value::as_str)
    }
}

/// True when `name` matches `pattern`, where `*` matches any run of characters.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    capture(pattern, name).is_some()
}

/// What the first `*` of `pattern` matched in `name` (glob with `*` only).
fn capture(pattern: &str, name: &str) -> Option<String> {
    let parts: Vec<&str> = pattern.split('*').collect();
    let first = parts.first()?;
    let last = parts.last()?;
    if !name.starts_with(first)
        || !name[first.len()..].ends_with(last)
        || name.len() < first.len() + last.len()
    {
        return None;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    let mut captured = None;
    for (index, middle) in parts[1..parts.len() - 1].iter().enumerate() {
        let at = rest.find(middle)?;
        if index == 0 {
            captured = Some(rest[..at].to_owned());
        }
        rest = &rest[at + middle.len()..];
    }
    Some(captured.unwrap_or_else(|| rest.to_owned()))
}

/// Everything routing needs for one account.
#[derive(Debug, Default)]
pub struct AccountModels {
    pub deployments: Vec<Deployment>,
    pub settings: RouterSettings,
    /// `LiteLLM_AccessGroupTable`: named sets of models keys and teams may be granted.
    pub access_groups: Vec<AccessGroup>,
}

/// A named set of models.
#[derive(Debug, Clone, Default)]
pub struct AccessGroup {
    pub id: String,
    pub name: String,
    pub models: Vec<String>,
    pub team_ids: Vec<String>,
    pub key_ids: Vec<String>,
}

impl AccountModels {
    /// The deployments serving `requested`: exact group names first (the
    /// account's own before the platform's), else wildcard groups.
    pub fn candidates(&self, requested: &str) -> Vec<&Deployment> {
        let name = self
            .settings
            .alias_target(requested)
            .unwrap_or_else(|| requested.to_owned());
        let exact: Vec<&Deployment> = self
            .deployments
            .iter()
            .filter(|d| d.model_name == name)
            .collect();
        if !exact.is_empty() {
            let own: Vec<&Deployment> = exact.iter().copied().filter(|d| !d.platform).collect();
            return if own.is_empty() { exact } else { own };
        }
        let mut wildcard: Vec<&Deployment> = self
            .deployments
            .iter()
            .filter(|d| d.model_name.contains('*') && pattern_matches(&d.model_name, &name))
            .collect();
        // The most specific pattern wins (`openai/*` over `*`).
        let longest = wildcard
            .iter()
            .map(|d| d.model_name.len())
            .max()
            .unwrap_or(0);
        wildcard.retain(|d| d.model_name.len() == longest);
        wildcard
    }

    /// The distinct public group names, for `/v1/models`.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .deployments
            .iter()
            .map(|d| d.model_name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

const DEPLOYMENTS_SQL: &str = "
    SELECT model_id, model_name, litellm_params, coalesce(model_info, '{}'::jsonb),
           account_id = alchemi.platform_account_id()
      FROM \"LiteLLM_ProxyModelTable\"
     WHERE account_id IN ($1, alchemi.platform_account_id())
     ORDER BY created_at, model_id";
const ACCESS_GROUPS_SQL: &str = "
    SELECT access_group_id, access_group_name, access_model_names, assigned_team_ids, assigned_key_ids
      FROM \"LiteLLM_AccessGroupTable\" WHERE account_id = $1";
const CREDENTIALS_SQL: &str = "
    SELECT credential_name, credential_values FROM \"LiteLLM_CredentialsTable\" WHERE account_id = $1";
const SETTINGS_SQL: &str = "
    SELECT param_value FROM \"LiteLLM_Config\"
     WHERE param_name = 'router_settings' AND account_id IN ($1, alchemi.platform_account_id())
     ORDER BY account_id = alchemi.platform_account_id()
     LIMIT 1";

/// `litellm_params` completed from the account's credential named by
/// `litellm_credential_name`: its values fill what the deployment leaves
/// unset (values stay in their stored form, revealed when used). Platform
/// deployments never read a tenant's credentials.
fn with_credential(mut params: Value, credentials: &HashMap<String, Value>) -> Value {
    let Some(Value::Object(values)) = params
        .get("litellm_credential_name")
        .and_then(Value::as_str)
        .and_then(|name| credentials.get(name))
    else {
        return params;
    };
    let values = values.clone();
    if let Value::Object(own) = &mut params {
        for (name, value) in values {
            if own.get(&name).is_none_or(Value::is_null) {
                own.insert(name, value);
            }
        }
    }
    params
}

/// Per-account deployment cache.
#[derive(Clone)]
pub struct ModelCache {
    entries: Cache<AccountId, Arc<AccountModels>>,
}

impl Default for ModelCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }

    /// The account's models, loaded on first use.
    pub async fn get(
        &self,
        db: &Db,
        account: AccountId,
    ) -> Result<Arc<AccountModels>, Arc<DbError>> {
        self.entries
            .try_get_with(account, async {
                let tx = db.tenant(account).await?;
                let rows = tx.query(DEPLOYMENTS_SQL, &[&account.uuid()]).await?;
                let settings = tx
                    .query_opt(SETTINGS_SQL, &[&account.uuid()])
                    .await?
                    .and_then(|row| row.get::<_, Option<Value>>(0))
                    .map(|value| RouterSettings::from_json(&value))
                    .unwrap_or_default();
                let access_groups = tx
                    .query(ACCESS_GROUPS_SQL, &[&account.uuid()])
                    .await?
                    .into_iter()
                    .map(|row| AccessGroup {
                        id: row.get(0),
                        name: row.get(1),
                        models: row.get(2),
                        team_ids: row.get(3),
                        key_ids: row.get(4),
                    })
                    .collect();
                let credentials: HashMap<String, Value> = tx
                    .query(CREDENTIALS_SQL, &[&account.uuid()])
                    .await?
                    .into_iter()
                    .map(|row| (row.get(0), row.get(1)))
                    .collect();
                tx.commit().await?;
                let deployments = rows
                    .into_iter()
                    .filter_map(|row| {
                        let platform: bool = row.get(4);
                        let params = if platform {
                            row.get(2)
                        } else {
                            with_credential(row.get(2), &credentials)
                        };
                        Deployment::from_row(row.get(0), row.get(1), params, row.get(3), platform)
                    })
                    .collect();
                Ok::<_, DbError>(Arc::new(AccountModels {
                    deployments,
                    settings,
                    access_groups,
                }))
            })
            .await
    }

    /// Forgets one account's models.
    pub async fn evict(&self, account: AccountId) {
        self.entries.invalidate(&account).await;
    }

    /// Forgets every account's models (platform rows changed).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(name: &str, model: &str) -> Deployment {
        Deployment::from_row(
            "id".into(),
            name.into(),
            json!({"model": model}),
            json!({}),
            false,
        )
        .unwrap()
    }

    #[test]
    fn wildcards_match_and_pass_the_captured_model() {
        assert!(pattern_matches("openai/*", "openai/gpt-4o"));
        assert!(!pattern_matches("openai/*", "anthropic/claude-2"));
        assert!(pattern_matches(
            "bedrock/anthropic.*",
            "bedrock/anthropic.claude-3"
        ));
        assert!(!pattern_matches(
            "bedrock/anthropic.*",
            "bedrock/amazon.titan"
        ));
        assert!(pattern_matches("*", "anything"));
        let any = deployment("*", "openai/*");
        assert_eq!(any.upstream_for("gpt-4o-mini"), "gpt-4o-mini");
        let openai = deployment("openai/*", "openai/*");
        assert_eq!(openai.upstream_for("openai/gpt-4o"), "gpt-4o");
    }

    #[test]
    fn a_named_credential_fills_what_the_deployment_leaves_unset() {
        let credentials = HashMap::from([(
            "shared".to_owned(),
            json!({"api_key": "enc:v1:abc", "api_base": "http://cred", "api_version": "v1"}),
        )]);
        let params = with_credential(
            json!({"model": "openai/gpt-4o", "litellm_credential_name": "shared", "api_base": "http://own", "api_version": null}),
            &credentials,
        );
        assert_eq!(params["api_key"], "enc:v1:abc");
        assert_eq!(params["api_base"], "http://own");
        assert_eq!(params["api_version"], "v1");
        let unknown = json!({"model": "m", "litellm_credential_name": "missing"});
        assert_eq!(with_credential(unknown.clone(), &credentials), unknown);
    }

    #[test]
    fn exact_groups_beat_wildcards_and_specific_beats_general() {
        let models = AccountModels {
            deployments: vec![
                deployment("*", "openai/*"),
                deployment("openai/*", "openai/*"),
                deployment("gpt-4o", "openai/gpt-4o"),
            ],
            settings: RouterSettings::default(),
            access_groups: Vec::new(),
        };
        assert_eq!(models.candidates("gpt-4o")[0].model_name, "gpt-4o");
        assert_eq!(models.candidates("openai/o1")[0].model_name, "openai/*");
        assert_eq!(models.candidates("mistral-large")[0].model_name, "*");
    }
}
