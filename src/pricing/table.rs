//! The model price table and the resolution of a requested model name to
//! one of its entries.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

/// Prices and context window of one model as the table lists them. Every
/// field is optional: providers bill along different axes (tokens, seconds,
/// characters, images), and an absent price is not a zero price.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ModelPrice {
    /// LiteLLM's provider name (`openai`, `azure`, `bedrock`, ...).
    #[serde(rename = "litellm_provider")]
    pub provider: Option<String>,
    /// `chat`, `embedding`, `completion`, `image_generation`, ...
    pub mode: Option<String>,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    /// Price of a prompt token served from the provider's prompt cache.
    pub cache_read_input_token_cost: Option<f64>,
    /// Price of a prompt token written to the provider's prompt cache.
    pub cache_creation_input_token_cost: Option<f64>,
    /// Price of a reasoning token, when it differs from other output tokens.
    pub output_cost_per_reasoning_token: Option<f64>,
    pub input_cost_per_second: Option<f64>,
    pub output_cost_per_second: Option<f64>,
    pub input_cost_per_character: Option<f64>,
    pub output_cost_per_character: Option<f64>,
    pub output_cost_per_image: Option<f64>,
}

/// Model names to prices, read once and shared: the gateway prices every
/// call from it, so it lives for the whole process and is kept small.
#[derive(Debug, Default)]
pub struct PriceTable {
    /// Sorted by name. A sorted slice rather than a hash map: it holds the
    /// ~4,000 entries with no empty buckets, and a binary search costs a
    /// dozen comparisons.
    models: Box<[(Box<str>, ModelPrice)]>,
    /// Names that may prefix a model name as its provider (`openai/gpt-4o`).
    providers: HashSet<Box<str>>,
}

/// Routing prefixes LiteLLM accepts that the table may name no model under.
const ROUTING_PROVIDERS: &[&str] = &[
    "anthropic_text",
    "azure_ai",
    "custom_openai",
    "github",
    "hosted_vllm",
    "huggingface",
    "litellm_proxy",
    "lm_studio",
    "ollama_chat",
    "openrouter",
    "sagemaker_chat",
    "vertex_ai",
    "vertex_ai_beta",
    "vllm",
    "watsonx_text",
];

static BUILTIN: LazyLock<PriceTable> =
    LazyLock::new(
        || match PriceTable::from_json(include_str!("../../data/model_prices.json")) {
            Ok(table) => table,
            Err(error) => {
                tracing::error!(%error, "built-in price table unreadable; every model costs 0");
                PriceTable::default()
            }
        },
    );

/// One entry of a table being read: a malformed entry is dropped rather than
/// failing the whole table (LiteLLM's own file documents its schema in a
/// `sample_spec` entry whose fields are prose).
struct Entry(Option<ModelPrice>);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(ModelPrice::deserialize(&value).ok()))
    }
}

impl PriceTable {
    /// The table shipped in the binary, parsed on first use.
    pub fn builtin() -> &'static PriceTable {
        &BUILTIN
    }

    /// Reads a table in LiteLLM's format (an object of model name to
    /// entry), such as `data/model_prices.json` or LiteLLM's full file.
    pub fn from_json(text: &str) -> Result<PriceTable, serde_json::Error> {
        // Entry by entry, so only one entry is ever held as a JSON tree; the
        // ordered map leaves the names sorted and unique.
        let entries: BTreeMap<Box<str>, Entry> = serde_json::from_str(text)?;
        let mut models = Vec::with_capacity(entries.len());
        for (name, Entry(price)) in entries {
            match price {
                Some(price) => models.push((name, price)),
                None if &*name == "sample_spec" => {}
                None => tracing::warn!(model = %name, "malformed price table entry skipped"),
            }
        }
        let providers = models
            .iter()
            .filter_map(|(_, price)| price.provider.as_deref())
            .chain(ROUTING_PROVIDERS.iter().copied())
            .map(Box::from)
            .collect();
        Ok(PriceTable {
            models: models.into_boxed_slice(),
            providers,
        })
    }

    /// How many models the table prices.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether the table prices no model (the built-in one failed to load).
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The entry for `model` as a deployment names it, resolved as LiteLLM
    /// does: the name itself; then `provider/model`; then the name with
    /// known provider prefixes stripped one by one, so `openai/gpt-4o` finds
    /// `gpt-4o` and an Azure deployment `azure/<name>` finds `<name>` when
    /// the table has no `azure/<name>`.
    pub fn lookup(&self, model: &str, provider: Option<&str>) -> Option<&ModelPrice> {
        if let Some(price) = self.get(model) {
            return Some(price);
        }
        if let Some(provider) = provider.filter(|provider| !provider.is_empty())
            && let Some(price) = self.get(&format!("{provider}/{model}"))
        {
            return Some(price);
        }
        let mut rest = model;
        while let Some((prefix, tail)) = rest.split_once('/') {
            if !self.providers.contains(prefix) {
                break;
            }
            if let Some(price) = self.get(tail) {
                return Some(price);
            }
            rest = tail;
        }
        None
    }

    /// Every entry, sorted by name: `/model_group/info` lists a provider's
    /// models from it when a deployment is a wildcard (`anthropic/*`).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.models.iter().map(|(name, price)| (&**name, price))
    }

    fn get(&self, name: &str) -> Option<&ModelPrice> {
        self.models
            .binary_search_by(|(key, _)| (**key).cmp(name))
            .ok()
            .map(|index| &self.models[index].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(json: &str) -> PriceTable {
        PriceTable::from_json(json).unwrap()
    }

    #[test]
    fn builtin_table_prices_over_a_thousand_models() {
        let table = PriceTable::builtin();
        assert!(table.len() > 1000, "only {} models", table.len());
        assert!(!table.is_empty());
    }

    #[test]
    fn builtin_gpt_4o_matches_the_table() {
        let price = PriceTable::builtin().lookup("gpt-4o", None).unwrap();
        assert_eq!(price.provider.as_deref(), Some("openai"));
        assert_eq!(price.mode.as_deref(), Some("chat"));
        assert_eq!(price.input_cost_per_token, Some(2.5e-6));
        assert_eq!(price.output_cost_per_token, Some(1e-5));
        assert_eq!(price.cache_read_input_token_cost, Some(1.25e-6));
        assert_eq!(price.max_input_tokens, Some(128_000));
        assert_eq!(price.max_output_tokens, Some(16_384));
    }

    #[test]
    fn builtin_has_the_legacy_models() {
        let table = PriceTable::builtin();
        for model in ["gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613"] {
            let price = table.lookup(model, None).unwrap();
            assert_eq!(price.input_cost_per_token, Some(1.5e-6), "{model}");
            assert_eq!(price.output_cost_per_token, Some(2e-6), "{model}");
        }
        let claude = table.lookup("claude-3-5-sonnet-20241022", None).unwrap();
        assert_eq!(claude.provider.as_deref(), Some("anthropic"));
        assert_eq!(claude.input_cost_per_token, Some(3e-6));
        assert_eq!(claude.output_cost_per_token, Some(1.5e-5));
        assert_eq!(claude.cache_read_input_token_cost, Some(3e-7));
        assert_eq!(claude.cache_creation_input_token_cost, Some(3.75e-6));
    }

    #[test]
    fn provider_prefixes_are_stripped() {
        let table = PriceTable::builtin();
        let bare = table.lookup("gpt-4o", None).unwrap();
        assert!(std::ptr::eq(
            table.lookup("openai/gpt-4o", None).unwrap(),
            bare
        ));
        assert!(std::ptr::eq(
            table.lookup("openrouter/openai/gpt-4o", None).unwrap(),
            bare
        ));
        let claude = table.lookup("claude-3-5-sonnet-20241022", None).unwrap();
        assert!(std::ptr::eq(
            table
                .lookup("anthropic/claude-3-5-sonnet-20241022", None)
                .unwrap(),
            claude
        ));
        let sonnet = table
            .lookup("anthropic/claude-sonnet-4-5", Some("anthropic"))
            .unwrap();
        assert_eq!(sonnet.input_cost_per_token, Some(3e-6));
        assert_eq!(sonnet.cache_creation_input_token_cost, Some(3.75e-6));
        assert!(table.lookup("no-such-provider/gpt-4o", None).is_none());
        assert!(table.lookup("no-such-model", Some("openai")).is_none());
    }

    #[test]
    fn azure_deployments_prefer_azure_prices() {
        let table = table(
            r#"{
                "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-6},
                "azure/gpt-4o": {"litellm_provider": "azure", "input_cost_per_token": 2.75e-6},
                "gpt-4o-mini": {"litellm_provider": "openai", "input_cost_per_token": 1.5e-7}
            }"#,
        );
        let azure = table.lookup("azure/gpt-4o", None).unwrap();
        assert_eq!(azure.provider.as_deref(), Some("azure"));
        let fallback = table.lookup("azure/gpt-4o-mini", None).unwrap();
        assert_eq!(fallback.provider.as_deref(), Some("openai"));
        assert!(table.lookup("azure/my-deployment", None).is_none());
        // A bare name with a provider given tries `provider/model` second.
        let named = table.lookup("gpt-4o", Some("azure")).unwrap();
        assert_eq!(named.provider.as_deref(), Some("openai"));
    }

    #[test]
    fn provider_is_tried_as_a_prefix() {
        let table = PriceTable::builtin();
        let price = table.lookup("eu/gpt-4o", Some("azure")).unwrap();
        assert_eq!(price.provider.as_deref(), Some("azure"));
        assert!(std::ptr::eq(
            price,
            table.lookup("azure/eu/gpt-4o", None).unwrap()
        ));
    }

    #[test]
    fn malformed_entries_and_the_sample_spec_are_skipped() {
        let table = table(
            r#"{
                "sample_spec": {"max_input_tokens": "max input tokens", "input_cost_per_token": 0.0},
                "broken": {"input_cost_per_token": "cheap"},
                "whole": {"input_cost_per_token": 1, "max_input_tokens": 8192, "supports_vision": true}
            }"#,
        );
        assert_eq!(table.len(), 1);
        let whole = table.lookup("whole", None).unwrap();
        assert_eq!(whole.input_cost_per_token, Some(1.0));
        assert_eq!(whole.max_input_tokens, Some(8192));
    }

    #[test]
    fn a_table_that_is_not_an_object_is_an_error() {
        assert!(PriceTable::from_json("[]").is_err());
        assert!(PriceTable::from_json("{\"a\": ").is_err());
    }
}
