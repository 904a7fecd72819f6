//! `router_settings` as LiteLLM users write them, read from the account's
//! `LiteLLM_Config` row (or the platform's).

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::Strategy;

/// The router settings that change behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RouterSettings {
    pub routing_strategy: Strategy,
    pub num_retries: u32,
    /// Seconds; a request may override it.
    pub timeout: Option<f64>,
    /// `[{"gpt-4": ["gpt-3.5"]}]`
    pub fallbacks: Vec<HashMap<String, Vec<String>>>,
    pub context_window_fallbacks: Vec<HashMap<String, Vec<String>>>,
    pub content_policy_fallbacks: Vec<HashMap<String, Vec<String>>>,
    pub default_fallbacks: Vec<String>,
    pub max_fallbacks: usize,
    /// Seconds a failing deployment is taken out.
    pub cooldown_time: f64,
    pub allowed_fails: Option<u32>,
    pub model_group_alias: HashMap<String, Value>,
    pub retry_after: f64,
}

impl Default for RouterSettings {
    fn default() -> Self {
        Self {
            routing_strategy: Strategy::SimpleShuffle,
            num_retries: 2,
            timeout: None,
            fallbacks: Vec::new(),
            context_window_fallbacks: Vec::new(),
            content_policy_fallbacks: Vec::new(),
            default_fallbacks: Vec::new(),
            max_fallbacks: 5,
            cooldown_time: 5.0,
            allowed_fails: None,
            model_group_alias: HashMap::new(),
            retry_after: 0.0,
        }
    }
}

/// Which list of fallbacks applies to a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackKind {
    General,
    ContextWindow,
    ContentPolicy,
}

impl RouterSettings {
    /// Parses the stored JSON; unknown fields are ignored, bad ones fall back
    /// to defaults with a warning (a broken setting must not stop traffic).
    pub fn from_json(value: &Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "router_settings ignored");
            Self::default()
        })
    }

    /// Fallback groups configured for `group` and this kind of failure.
    pub fn fallbacks_for(&self, group: &str, kind: FallbackKind) -> Vec<String> {
        let lists = match kind {
            FallbackKind::General => &self.fallbacks,
            FallbackKind::ContextWindow => &self.context_window_fallbacks,
            FallbackKind::ContentPolicy => &self.content_policy_fallbacks,
        };
        let mut found: Vec<String> = lists
            .iter()
            .filter_map(|map| map.get(group))
            .flatten()
            .cloned()
            .collect();
        if found.is_empty() && kind == FallbackKind::General {
            found = self.default_fallbacks.clone();
        }
        found.truncate(self.max_fallbacks);
        found
    }

    /// The cooldown as a duration.
    pub fn cooldown(&self) -> Duration {
        Duration::from_secs_f64(self.cooldown_time.clamp(0.0, 3600.0))
    }

    /// The group an alias names, if it is one.
    pub fn alias_target(&self, name: &str) -> Option<String> {
        match self.model_group_alias.get(name)? {
            Value::String(target) => Some(target.clone()),
            Value::Object(map) => map.get("model").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }
}
