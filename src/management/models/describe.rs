//! What the info routes say about a model: the built-in price table's entry
//! (context window, prices, mode), the deployment's own prices over it, and
//! the stored `model_info` over both, as LiteLLM layers them.

use serde_json::{Map, Value, json};

use crate::pricing::{ModelPrice, PriceTable};
use crate::routing::Deployment;

/// Fields a deployment may set in `litellm_params` over the table's.
const OVERRIDES: [&str; 11] = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "input_cost_per_second",
    "output_cost_per_second",
    "input_cost_per_character",
    "output_cost_per_character",
    "output_cost_per_image",
    "max_tokens",
];

/// Capability flags LiteLLM reports; the built-in table does not carry
/// them, so they are false unless `model_info` says otherwise.
pub const SUPPORTS: [&str; 9] = [
    "supports_vision",
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_tool_choice",
    "supports_response_schema",
    "supports_prompt_caching",
    "supports_reasoning",
    "supports_web_search",
    "supports_audio_input",
];

/// OpenAI request parameters the gateway passes on for chat-like calls.
const CHAT_PARAMS: [&str; 20] = [
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "user",
    "reasoning_effort",
];
const EMBEDDING_PARAMS: [&str; 3] = ["encoding_format", "dimensions", "user"];

fn number(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |v| json!(v))
}

fn tokens(value: Option<u64>) -> Value {
    value.map_or(Value::Null, |v| json!(v))
}

/// The table's facts about `key` (its entry may be missing: every field is
/// then null or false).
pub fn from_table(key: &str, provider: &str, price: Option<&ModelPrice>) -> Map<String, Value> {
    let empty = ModelPrice::default();
    let price = price.unwrap_or(&empty);
    let mode = price.mode.clone().unwrap_or_else(|| "chat".to_owned());
    let mut info = Map::new();
    info.insert("key".into(), json!(key));
    info.insert(
        "litellm_provider".into(),
        json!(price.provider.as_deref().unwrap_or(provider)),
    );
    info.insert("mode".into(), json!(mode));
    info.insert(
        "max_tokens".into(),
        tokens(price.max_output_tokens.or(price.max_input_tokens)),
    );
    info.insert("max_input_tokens".into(), tokens(price.max_input_tokens));
    info.insert("max_output_tokens".into(), tokens(price.max_output_tokens));
    let prices = [
        ("input_cost_per_token", price.input_cost_per_token),
        ("output_cost_per_token", price.output_cost_per_token),
        (
            "cache_read_input_token_cost",
            price.cache_read_input_token_cost,
        ),
        (
            "cache_creation_input_token_cost",
            price.cache_creation_input_token_cost,
        ),
        (
            "output_cost_per_reasoning_token",
            price.output_cost_per_reasoning_token,
        ),
        ("input_cost_per_second", price.input_cost_per_second),
        ("output_cost_per_second", price.output_cost_per_second),
        ("input_cost_per_character", price.input_cost_per_character),
        ("output_cost_per_character", price.output_cost_per_character),
        ("output_cost_per_image", price.output_cost_per_image),
    ];
    for (name, value) in prices {
        info.insert(name.into(), number(value));
    }
    for flag in SUPPORTS {
        info.insert(flag.into(), json!(false));
    }
    let params: &[&str] = match mode.as_str() {
        "chat" | "completion" | "responses" => &CHAT_PARAMS,
        "embedding" => &EMBEDDING_PARAMS,
        _ => &[],
    };
    info.insert("supported_openai_params".into(), json!(params));
    info
}

/// A deployment's `model_info` as `/model/info` shows it.
pub fn model_info(deployment: &Deployment) -> Map<String, Value> {
    let base = deployment
        .model_info
        .get("base_model")
        .and_then(Value::as_str)
        .unwrap_or(&deployment.upstream_model);
    let provider = deployment.provider.name.as_str();
    let price = PriceTable::builtin().lookup(base, Some(provider));
    let mut info = from_table(base, provider, price);
    for name in OVERRIDES {
        if let Some(value) = deployment.params.get(name).filter(|v| v.is_number()) {
            info.insert(name.into(), value.clone());
        }
    }
    if let Value::Object(stored) = deployment.model_info.as_ref() {
        for (name, value) in stored {
            info.insert(name.clone(), value.clone());
        }
    }
    info.insert("id".into(), json!(deployment.id));
    info.insert("db_model".into(), json!(!deployment.platform));
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_facts_fill_what_is_known() {
        let price = PriceTable::builtin().lookup("gpt-4o", None);
        let info = from_table("gpt-4o", "openai", price);
        assert_eq!(info["litellm_provider"], "openai");
        assert_eq!(info["mode"], "chat");
        assert_eq!(info["max_input_tokens"], 128_000);
        assert_eq!(info["max_tokens"], 16_384);
        assert_eq!(info["input_cost_per_token"], 2.5e-6);
        assert_eq!(info["supports_vision"], false);
        assert!(
            info["supported_openai_params"]
                .as_array()
                .unwrap()
                .contains(&json!("tools"))
        );

        let unknown = from_table("my-model", "openai", None);
        assert!(unknown["input_cost_per_token"].is_null());
        assert_eq!(unknown["litellm_provider"], "openai");
    }
}
